/*
 * FREEZE and THAW: make the guest's disks consistent before the host pauses
 * or snapshots the VM (sync + FIFREEZE on every writable disk filesystem),
 * and let them go again afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "agent.h"

/* linux/fs.h; musl's headers do not carry the kernel's. */
#define FIFREEZE_IOC 0xC0045877u   /* _IOWR('X', 119, int) */
#define FITHAW_IOC 0xC0045878u     /* _IOWR('X', 120, int) */

#define MAX_MOUNTS 64

static int disk_fs(const char *type)
{
    static const char *const types[] = { "ext4", "ext3", "ext2", "xfs", "btrfs", "f2fs" };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(type, types[i]) == 0)
            return 1;
    return 0;
}

/* /proc/mounts escapes blanks in paths as \040 and so on. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

/* Writable disk filesystems, in mount order. Returns how many. */
static int disk_mounts(char mnt[][512], int max)
{
    char line[2048];
    int n = 0;
    FILE *f = fopen("/proc/mounts", "re");
    if (!f)
        return 0;
    while (n < max && fgets(line, sizeof line, f)) {
        char *save, *dev = strtok_r(line, " ", &save);
        char *dir = strtok_r(NULL, " ", &save);
        char *type = strtok_r(NULL, " ", &save);
        char *opts = strtok_r(NULL, " ", &save);
        if (!dev || !dir || !type || !opts || !disk_fs(type))
            continue;
        if (strncmp(opts, "rw", 2) != 0 || (opts[2] != ',' && opts[2] != 0))
            continue;
        unescape(dir);
        snprintf(mnt[n++], 512, "%s", dir);
    }
    fclose(f);
    return n;
}

static int fs_ioctl(const char *dir, unsigned long req)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int r = ioctl(fd, req, 0) < 0 ? errno : 0;
    close(fd);
    return r;
}

static void skipped(uint32_t sid)
{
    struct rec r;
    rec_init(&r);
    rec_add_int(&r, "skipped", 1);
    send_ok(sid, &r);
}

void freeze_request(uint32_t sid, const uint8_t *p, size_t n)
{
    static char mnt[MAX_MOUNTS][512];
    int frozen[MAX_MOUNTS];
    int count = 0;
    (void)p;
    (void)n;
    if (!agent.pid1) {   /* test mode never touches the host's filesystems */
        skipped(sid);
        return;
    }
    /* A WRITE in flight would block the agent on the frozen disk. */
    streams_fail_kind(SK_WRITE, EBUSY, "filesystems are being frozen");
    sync();
    int m = disk_mounts(mnt, MAX_MOUNTS);
    /* Last mounted first: a filesystem mounted inside another is frozen
     * before its parent. */
    for (int i = m - 1; i >= 0; i--) {
        int err = fs_ioctl(mnt[i], FIFREEZE_IOC);
        if (err == 0 || err == EBUSY) {   /* EBUSY: frozen already */
            frozen[count++] = i;
            continue;
        }
        if (err == EOPNOTSUPP || err == ENOTTY)
            continue;
        for (int j = count - 1; j >= 0; j--)
            fs_ioctl(mnt[frozen[j]], FITHAW_IOC);
        send_error(sid, err, "freeze %.300s: %s", mnt[i], strerror(err));
        return;
    }
    agent.frozen = 1;
    struct rec r;
    rec_init(&r);
    rec_add_int(&r, "filesystems", count);
    send_ok(sid, &r);
}

void thaw_request(uint32_t sid, const uint8_t *p, size_t n)
{
    static char mnt[MAX_MOUNTS][512];
    int first_err = 0, count = 0;
    char failed[512] = "";
    (void)p;
    (void)n;
    if (!agent.pid1) {
        skipped(sid);
        return;
    }
    /* Every candidate, not only what this agent froze: after a restore the
     * host must be able to thaw whatever state the snapshot caught. */
    int m = disk_mounts(mnt, MAX_MOUNTS);
    for (int i = 0; i < m; i++) {
        int err = fs_ioctl(mnt[i], FITHAW_IOC);
        if (err == 0)
            count++;
        else if (err != EINVAL && err != EOPNOTSUPP && err != ENOTTY && !first_err) {
            first_err = err;   /* EINVAL: it was not frozen */
            snprintf(failed, sizeof failed, "%.500s", mnt[i]);
        }
    }
    agent.frozen = 0;
    if (first_err) {
        send_error(sid, first_err, "thaw %.300s: %s", failed, strerror(first_err));
        return;
    }
    struct rec r;
    rec_init(&r);
    rec_add_int(&r, "filesystems", count);
    send_ok(sid, &r);
}
