/*
 * INIT: the capsule's identity, sent by the host after every boot and every
 * restore. Clones of one template share memory, so each must get its own
 * clock, hostname, id and, above all, fresh randomness.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* linux/random.h */
#define RNDADDENTROPY_IOC 0x40085203u   /* _IOW('R', 0x03, int[2]) */
#define RNDRESEEDCRNG_IOC 0x5207u       /* _IO('R', 0x07) */

#define MAX_ENTROPY 512
#define MAX_ID 256
#define MAX_HOSTNAME 64
#define CAPSULE_ID_FILE "/run/wrenn/capsule-id"
#define BOOT_ID_FILE "/run/wrenn/boot-id"
#define KERNEL_BOOT_ID "/proc/sys/kernel/random/boot_id"
#define MACHINE_ID_FILE "/etc/machine-id"

static int add_entropy(const uint8_t *bytes, size_t n)
{
    struct {
        int entropy_count;   /* bits credited */
        int buf_size;
        uint8_t buf[MAX_ENTROPY];
    } info;
    int err = 0;
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    info.entropy_count = (int)(8 * n);
    info.buf_size = (int)n;
    memcpy(info.buf, bytes, n);
    if (ioctl(fd, RNDADDENTROPY_IOC, &info) < 0)
        err = errno;
    /* Mixing in is not enough for a clone: the CRNG must be rekeyed now,
     * not at its next scheduled reseed. */
    /* ENODATA: the CRNG was not initialised yet (a CPU without RDRAND); the bits just credited
     * initialise it, seeded with these bytes, which serves the same purpose. */
    else if (ioctl(fd, RNDRESEEDCRNG_IOC) < 0 && errno != ENODATA)
        err = errno;
    close(fd);
    return err;
}

/* Writes `text` and a newline to `path` through a temporary file: readers never see half of it. */
static int write_atomic(const char *path, const char *text)
{
    char tmp[128];
    int err = 0;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
        err = errno ? errno : EIO;
    close(fd);
    if (!err && rename(tmp, path) < 0)
        err = errno;
    if (err)
        unlink(tmp);
    return err;
}

static int make_run_dir(void)
{
    struct stat st;
    /* mkdir needs write access to the parent's mount even when the directory exists, and a
     * restored guest's root file system is still frozen: only create what is missing. */
    return stat("/run/wrenn", &st) == 0 ? 0 : mkdir_parents(CAPSULE_ID_FILE);
}

/* The kernel's boot id is read-only and, once read, fixed for the life of the kernel: clones of a
 * template whose kernel had read it would all share it. A file of the capsule's own, bound over
 * it, is what every reader sees from now on. */
static int set_boot_id(const char *boot_id)
{
    int err = make_run_dir();
    if (!err)
        err = write_atomic(BOOT_ID_FILE, boot_id);
    if (err)
        return err;
    /* a snapshot template's source may have bound its own: that one goes first */
    if (umount2(KERNEL_BOOT_ID, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return errno;
    return mount(BOOT_ID_FILE, KERNEL_BOOT_ID, NULL, MS_BIND, NULL) < 0 ? errno : 0;
}

/* 32 lowercase hex digits (machine-id(5)) */
static int valid_machine_id(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return i == 32;
}

/* 8-4-4-4-12 lowercase hex digits, as the kernel prints its boot id */
static int valid_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

static void free_env(char **env)
{
    for (char **e = env; e && *e; e++)
        free(*e);
    free(env);
}

void init_request(uint32_t sid, const uint8_t *p, size_t n)
{
    char *id = NULL, *host = NULL, *mac_text = NULL, *machine_id = NULL, *boot_id = NULL, **env = NULL;
    uint8_t mac[6];
    int64_t time_ns = 0;
    const uint8_t *entropy = NULL, *v;
    size_t entropy_len = 0, nenv = 0, kl, vl;
    const char *k;
    struct rec_iter it;
    int have_time, err = 0;
    char what[64] = "";

    /* Validate everything before changing anything. */
    have_time = rec_get_int(p, n, "time_ns", &time_ns);
    if (rec_get_str(p, n, "capsule_id", &id) < 0 || rec_get_str(p, n, "hostname", &host) < 0 ||
        rec_get_str(p, n, "mac", &mac_text) < 0 || (mac_text && parse_mac(mac_text, mac) < 0) ||
        rec_get_str(p, n, "machine_id", &machine_id) < 0 || (machine_id && !valid_machine_id(machine_id)) ||
        rec_get_str(p, n, "boot_id", &boot_id) < 0 || (boot_id && !valid_uuid(boot_id)) ||
        have_time < 0 || (have_time && time_ns < 0) || (id && strlen(id) > MAX_ID) ||
        (host && strlen(host) > MAX_HOSTNAME)) {
        send_error(sid, EINVAL, "INIT: a field is malformed");
        goto out;
    }
    if (rec_find(p, n, "entropy", &entropy, &entropy_len) && entropy_len > MAX_ENTROPY) {
        send_error(sid, EINVAL, "INIT: `entropy` is over %d bytes", MAX_ENTROPY);
        goto out;
    }
    rec_iter_init(&it, p, n);
    while (rec_next(&it, &k, &kl, &v, &vl))
        nenv += rec_key_is(k, kl, "env");
    if (nenv) {
        env = calloc(nenv + 1, sizeof *env);
        if (!env) {
            send_error(sid, ENOMEM, "out of memory");
            goto out;
        }
        size_t i = 0;
        rec_iter_init(&it, p, n);
        while (rec_next(&it, &k, &kl, &v, &vl)) {
            if (!rec_key_is(k, kl, "env"))
                continue;
            char *kv = value_dup(v, vl);
            if (!kv || !strchr(kv, '=') || kv[0] == '=') {
                free(kv);
                send_error(sid, EINVAL, "INIT: an `env` entry is not K=V");
                goto out;
            }
            env[i++] = kv;
        }
    }

    if (agent.pid1) {   /* test mode only records the id and the env */
        if (have_time && time_ns > 0) {
            struct timespec ts = { .tv_sec = time_ns / 1000000000, .tv_nsec = time_ns % 1000000000 };
            if (clock_settime(CLOCK_REALTIME, &ts) < 0 && !err) {
                err = errno;
                snprintf(what, sizeof what, "set the clock");
            }
        }
        if (host && sethostname(host, strlen(host)) < 0 && !err) {
            err = errno;
            snprintf(what, sizeof what, "set the hostname");
        }
        if (entropy_len > 0) {
            int e = add_entropy(entropy, entropy_len);
            if (e && !err) {
                err = e;
                snprintf(what, sizeof what, "reseed the kernel RNG");
            }
        }
        if (mac_text) {
            int e = net_set_mac(mac);
            if (e && !err) {
                err = e;
                snprintf(what, sizeof what, "set the MAC address");
            }
        }
        if (id) {
            int e = make_run_dir();
            if (!e)
                e = write_atomic(CAPSULE_ID_FILE, id);
            if (e && !err) {
                err = e;
                snprintf(what, sizeof what, "write %s", CAPSULE_ID_FILE);
            }
        }
        if (machine_id) {
            int e = write_atomic(MACHINE_ID_FILE, machine_id);
            if (e && !err) {
                err = e;
                snprintf(what, sizeof what, "write %s", MACHINE_ID_FILE);
            }
        }
        if (boot_id) {
            int e = set_boot_id(boot_id);
            if (e && !err) {
                err = e;
                snprintf(what, sizeof what, "set the boot id");
            }
        }
    }
    if (id) {
        free(agent.capsule_id);
        agent.capsule_id = id;
        id = NULL;
    }
    if (env) {   /* replaces the env of an earlier INIT */
        free_env(agent.init_env);
        agent.init_env = env;
        env = NULL;
    }
    if (err)
        send_error(sid, err, "INIT: cannot %s: %s", what, strerror(err));
    else
        send_ok(sid, NULL);
out:
    free(id);
    free(host);
    free(mac_text);
    free(machine_id);
    free(boot_id);
    free_env(env);
}
