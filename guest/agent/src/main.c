/*
 * Entry point: `wrenn-agent` as PID 1 of a capsule VM, or
 * `wrenn-agent --stdio` as an ordinary process serving on stdin/stdout
 * (test mode, section 7 of docs/guest-protocol.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

struct agent agent;
static int log_fd = 2;

void log_set_fd(int fd)
{
    log_fd = fd;
}

void logmsg(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n = snprintf(buf, sizeof buf, "wrenn-agent: ");
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    if (write(log_fd, buf, (size_t)n) < 0) {
        /* nowhere left to complain */
    }
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* What the agent may hold at once: per process a status pipe while it starts,
 * stdout, stderr, stdin and a log; per stream a READ's or WRITE's file (and
 * a LIST's directory while it is read); the port, signalfd and spares. */
#define NOFILE_NEED (MAX_PROCS * 5 + MAX_STREAMS * 2 + 64)

/* The usual soft limit (1024) is far too low for that: the agent raises its
 * soft limit to the hard one, and a hard limit that is too low too (a
 * kernel's init gets 4096) to what it needs, which PID 1 may. Children get
 * the original soft limit back (select() users expect it). */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= NOFILE_NEED)
        return;
    agent.nofile_soft = (unsigned long long)rl.rlim_cur;
    struct rlimit want = rl;
    if (want.rlim_max < NOFILE_NEED)
        want.rlim_max = NOFILE_NEED;
    want.rlim_cur = want.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0)
        return;
    rl.rlim_cur = rl.rlim_max;   /* not allowed to raise the hard limit */
    setrlimit(RLIMIT_NOFILE, &rl);
    logmsg("RLIMIT_NOFILE is %llu, below the %d the process limit needs",
           (unsigned long long)rl.rlim_cur, NOFILE_NEED);
}

static void setup_stdio_mode(void)
{
    const char *home = getenv("HOME");
    const char *tmp = getenv("TMPDIR");
    snprintf(agent.home, sizeof agent.home, "%s", home && home[0] == '/' ? home : "/");
    /* Created by the first background/detached exec, so runs without one leave nothing behind. */
    snprintf(agent.log_dir, sizeof agent.log_dir, "%s/wrenn-agent-%d/proc",
             tmp && tmp[0] == '/' ? tmp : "/tmp", (int)getpid());
    set_nonblock(0);
    set_nonblock(1);
    conn_init(0, 1);
}

int main(int argc, char **argv)
{
    int stdio_mode = argc == 2 && strcmp(argv[1], "--stdio") == 0;
    if (!stdio_mode && (argc != 1 || getpid() != 1)) {
        fprintf(stderr, "usage: wrenn-agent --stdio   (or as PID 1 of a capsule)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);   /* a closed pipe is an EPIPE to handle, not death */
    raise_nofile();
    if (stdio_mode) {
        setup_stdio_mode();
    } else {
        agent.pid1 = 1;
        int fd = boot_pid1();
        snprintf(agent.home, sizeof agent.home, "/root");
        snprintf(agent.log_dir, sizeof agent.log_dir, "/run/wrenn/proc");
        conn_init(fd, fd);
    }
    serve();
}
