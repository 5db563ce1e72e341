/*
 * PID 1 boot: the agent is /init of an initramfs holding itself and the
 * kernel modules. It loads the modules, mounts the capsule's disk, switches
 * root to it, prepares the usual pseudo filesystems and finds its port.
 * A fatal error ends PID 1, so the kernel panics and the host sees the VM die.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define PORT_NAME "wrenn.0"
#define WAIT_MS 5000
#define NEWROOT "/newroot"

static void fatal(const char *what)
{
    logmsg("fatal: %s: %s", what, strerror(errno));
    exit(1);
}

static void sleep_ms(int ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

static void mount_or_log(const char *src, const char *dir, const char *type,
                         unsigned long flags, const char *opts)
{
    mkdir(dir, 0755);
    if (mount(src, dir, type, flags, opts) < 0)
        logmsg("mount %s on %s: %s", type, dir, strerror(errno));
}

/* The kernel starts init with fds 0-2 on /dev/console only if the initramfs
 * has that node; make sure they are open, so no later fd lands on 0-2. */
static void console_setup(void)
{
    int con = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        int src = fd == 0 ? null : con;
        if (src >= 0)
            dup2(src, fd);
    }
    if (con >= 0)
        log_set_fd(con);   /* con is >= 3 now, close-on-exec */
    if (null >= 0)
        close(null);
}

static void load_modules(void)
{
    char line[256], path[512];
    FILE *f = fopen("/modules.order", "re");
    if (!f)
        return;   /* a kernel with everything built in needs none */
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        snprintf(path, sizeof path, "/lib/modules/%s", line);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            logmsg("module %s: %s", line, strerror(errno));
            continue;
        }
        if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
            logmsg("module %s: %s", line, strerror(errno));
        close(fd);
    }
    fclose(f);
}

static int wait_for_path(const char *path)
{
    struct stat st;
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        if (stat(path, &st) == 0)
            return 0;
        sleep_ms(10);
    }
    return stat(path, &st);
}

static int rm_initramfs_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    if (ftw->level == 0)
        return 0;   /* "/" itself */
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static void switch_root(void)
{
    static const char *const moved[] = { "/dev", "/proc", "/sys" };
    char target[64];
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        snprintf(target, sizeof target, NEWROOT "%s", moved[i]);
        mkdir(target, 0755);
        if (mount(moved[i], target, NULL, MS_MOVE, NULL) < 0)
            fatal(target);
    }
    /* The initramfs stays in RAM until its files are gone. FTW_MOUNT keeps
     * this inside the initramfs: the new root is another filesystem. */
    nftw("/", rm_initramfs_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    if (chdir(NEWROOT) < 0)
        fatal("chdir " NEWROOT);
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
        fatal("move root");
    if (chroot(".") < 0)
        fatal("chroot");
    if (chdir("/") < 0)
        fatal("chdir /");
}

static void loopback_up(void)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;   /* the kernel adds 127.0.0.1 */
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            logmsg("lo up: %s", strerror(errno));
    }
    close(s);
}

/* The port's /dev node is named after its sysfs entry (vportNpM). */
static int find_port(char *dev, size_t devsz)
{
    char path[512], name[64];
    struct dirent *de;
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return -1;
    int found = -1;
    while (found < 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, name, sizeof name - 1);
        close(fd);
        if (n <= 0)
            continue;
        name[n] = 0;
        name[strcspn(name, "\n")] = 0;
        if (strcmp(name, PORT_NAME) == 0) {
            snprintf(dev, devsz, "/dev/%s", de->d_name);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static int open_port(void)
{
    char dev[300];
    for (int waited = 0; waited <= WAIT_MS; waited += 10) {
        if (find_port(dev, sizeof dev) == 0 && access(dev, F_OK) == 0) {
            /* A port can be opened only once: read and write on one fd. */
            int fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
            if (fd >= 0)
                return fd;
        }
        sleep_ms(10);
    }
    errno = ENODEV;
    fatal("virtio port " PORT_NAME);
    return -1;
}

int boot_pid1(void)
{
    mkdir("/dev", 0755);
    if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 && errno != EBUSY)
        fatal("mount /dev");
    console_setup();
    mount_or_log("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_or_log("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);

    load_modules();

    if (wait_for_path("/dev/vda") < 0)
        fatal("/dev/vda");
    mkdir(NEWROOT, 0755);
    if (mount("/dev/vda", NEWROOT, "ext4", 0, NULL) < 0)
        fatal("mount /dev/vda");
    switch_root();

    mount_or_log("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                 "ptmxmode=0666,mode=0620,gid=5");
    mount_or_log("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_or_log("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_or_log("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    if (mkdir_parents("/run/wrenn/proc/x") != 0)
        logmsg("mkdir /run/wrenn/proc: %s", strerror(errno));
    loopback_up();
    net_up();
    if (sethostname("capsule", 7) < 0)
        logmsg("sethostname: %s", strerror(errno));

    int fd = open_port();
    struct timespec up;
    clock_gettime(CLOCK_BOOTTIME, &up);
    logmsg("ready (%lld ms after kernel start)", (long long)up.tv_sec * 1000 + up.tv_nsec / 1000000);
    return fd;
}
