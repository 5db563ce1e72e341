/*
 * wrenn-agent: the guest agent of a Wrenn capsule.
 *
 * One process, one thread, one poll() loop. It serves the framed protocol of
 * docs/guest-protocol.md over a single byte stream (the virtio-serial port
 * "wrenn.0" when it runs as PID 1, stdin/stdout in --stdio test mode).
 *
 * Module map:
 *   proto.c     frame and record codec, errno names
 *   conn.c      the byte stream: resyncing frame parser, output queue, hang-up
 *   loop.c      poll loop, stream table, dispatch of host frames, credit
 *   exec.c      EXEC (env, fork/exec, pty), SIGNAL, PS
 *   proc.c      process table: output fan-out, replay ring, logs, stdin,
 *               reaping, timeouts, retention of exited processes
 *   attach.c    streams that follow a process (EXEC owner, ATTACH): replay, EXIT
 *   files.c     READ, WRITE, STAT, LIST, MKDIR, REMOVE
 *   freeze.c    FREEZE, THAW
 *   identity.c  INIT (clock, hostname, capsule id, entropy, env)
 *   boot.c      PID 1 boot: mounts, modules, switch root, port discovery
 *   main.c      mode selection and process-wide setup
 */
#ifndef WRENN_AGENT_H
#define WRENN_AGENT_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "proto.h"

/* Limits of section 6 of the protocol doc. */
#define MAX_STREAMS 256
#define MAX_PROCS 1024

/* Every guest->host data stream starts with this much credit (section 4),
 * and the guest grants the host this much when it accepts STDIN/WRITE_DATA. */
#define INITIAL_CREDIT (1 << 20)

/* Producers (pipes, files) only read while the output queue holds less than
 * this, so the guest never buffers more than about one chunk per stream. */
#define OUT_HIGH_WATER (256 * 1024)

/* ---- main.c: logging and small helpers ---- */
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_fd(int fd);
int64_t now_ms(void);    /* CLOCK_MONOTONIC, for timeouts and durations */
int set_nonblock(int fd);

/* ---- global agent state ---- */
struct agent {
    int pid1;                /* 1: PID 1 in a VM; 0: --stdio test mode */
    char home[4096];         /* default cwd, base of relative paths */
    char log_dir[4096];      /* where background processes log */
    char *capsule_id;        /* from INIT, NULL before */
    char **init_env;         /* "K=V" list from the last INIT, NULL-terminated */
    int frozen;              /* filesystems frozen by FREEZE (PID 1 mode) */
    unsigned long long nofile_soft; /* RLIMIT_NOFILE soft limit to give children */
};
extern struct agent agent;

/* ---- conn.c: the byte stream ---- */
void conn_init(int in_fd, int out_fd);
/* Adds the port's pollfds (those to poll now) to fds[*n...]. */
void conn_poll_add(struct pollfd *fds, int *n);
/* Handles their revents: writes queued output, reads and dispatches frames. */
void conn_poll_ready(const struct pollfd *fds);
/* Poll timeout the connection needs (ms, -1 = none): ~10 ms while hung up. */
int conn_timeout(void);
void conn_tick(void);             /* re-checks a hung-up port */
int conn_eof(void);               /* test mode: input reached EOF */
size_t out_pending(void);         /* bytes queued towards the host */

void send_frame(uint8_t type, uint32_t stream, const void *p, size_t n);
void send_rec(uint8_t type, uint32_t stream, struct rec *r);   /* consumes r */
void send_ok(uint32_t stream, struct rec *r);                  /* r may be NULL */
void send_error(uint32_t stream, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Zero-copy data frames: reserve room for up to max payload bytes, fill it,
 * then commit the bytes actually produced (0 = nothing is sent). */
uint8_t *out_reserve(size_t max);
void out_commit(uint8_t type, uint32_t stream, size_t n);
/* The connection was reset (hang-up or a new HELLO): drop queued output. */
void conn_drop_output(void);

/* ---- loop.c: streams ---- */
enum stream_kind { SK_EXEC, SK_ATTACH, SK_READ, SK_WRITE, SK_LIST };

struct stream;
struct pollset;
struct proc;

struct stream_ops {
    /* Releases everything the stream holds (the owner of a foreground
     * process kills it unless conn_lost). Called once, when the stream ends
     * for any reason. */
    void (*release)(struct stream *s);
    /* A host frame for this stream (STDIN, WRITE_DATA, RESIZE, ...). */
    void (*frame)(struct stream *s, uint8_t type, const uint8_t *p, size_t n);
    /* Registers the fds to poll now. */
    void (*poll_add)(struct stream *s, struct pollset *ps);
    /* An fd registered by poll_add is ready. */
    void (*poll_ready)(struct stream *s, int role, int fd, short revents);
    /* Makes progress that needs no poll (reading a regular file); returns 1 if
     * it could make more progress right away. */
    int (*work)(struct stream *s);
};

struct stream {
    uint32_t id;
    enum stream_kind kind;
    const struct stream_ops *ops;
    int dead;             /* ended; freed at the end of the loop iteration */
    int conn_lost;        /* ended by a hang-up or HELLO, not by the host's CLOSE */
    int64_t credit;       /* guest->host payload bytes the host still accepts */
    int64_t window;       /* host->guest bytes granted and not yet received */
    int64_t ungranted;    /* host->guest bytes consumed, not yet granted back */
    void *priv;
};

/* Every fd the loop may poll: the port, signalfd, a few per stream, and a
 * process's status pipe or its stdout, stderr and stdin. */
#define POLLSET_MAX (MAX_STREAMS * 4 + MAX_PROCS * 3 + 8)
struct pollset {
    struct pollfd fds[POLLSET_MAX];
    struct { struct stream *s; struct proc *p; int role; } owner[POLLSET_MAX];
    int n;
};
void pollset_add(struct pollset *ps, struct stream *s, int role, int fd, short events);
void pollset_add_proc(struct pollset *ps, struct proc *p, int role, int fd, short events);

struct stream *stream_find(uint32_t id);
/* Opens a stream; on failure (too many streams) answers ERROR EBUSY itself. */
struct stream *stream_open(uint32_t id, enum stream_kind kind,
                           const struct stream_ops *ops, void *priv);
void stream_end(struct stream *s);   /* after its final frame was queued */
void stream_fail(struct stream *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void streams_abort_all(void);        /* hang-up / new connection: kills nothing */
void streams_fail_kind(enum stream_kind kind, int err, const char *msg);
int stream_can_send(const struct stream *s);   /* credit and queue room */
/* Accounts host->guest data (STDIN, WRITE_DATA) against the granted window;
 * returns 0 on overrun (the stream has then been failed with EINVAL). */
int stream_take_window(struct stream *s, size_t n);
void stream_grant(struct stream *s, int64_t n);   /* grant a new window */
/* n bytes were written out; grants them back once enough piled up
 * (or at once when idle is set: nothing is left buffered). */
void stream_consumed(struct stream *s, size_t n, int idle);

void dispatch(uint8_t type, uint32_t stream, const uint8_t *p, size_t n);
void serve(void) __attribute__((noreturn));
void shutdown_agent(int code) __attribute__((noreturn));

/* ---- exec.c, attach.c ---- */
void exec_request(uint32_t sid, const uint8_t *p, size_t n);
void signal_request(uint32_t sid, const uint8_t *p, size_t n);
void ps_request(uint32_t sid, const uint8_t *p, size_t n);
void attach_request(uint32_t sid, const uint8_t *p, size_t n);

/* ---- proc.c: the loop's hooks into the process table ---- */
void procs_poll_add(struct pollset *ps);
void procs_poll_ready(struct proc *p, int role, int fd, short revents);
void procs_reap(void);
int64_t procs_next_deadline(void);   /* 0 = none */
void procs_check_timeouts(int64_t now);
void procs_sweep(void);              /* frees records nothing needs any more */
void procs_shutdown(void);           /* kills the groups of non-detached processes */

/* ---- files.c ---- */
void read_request(uint32_t sid, const uint8_t *p, size_t n);
void write_request(uint32_t sid, const uint8_t *p, size_t n);
void stat_request(uint32_t sid, const uint8_t *p, size_t n);
void list_request(uint32_t sid, const uint8_t *p, size_t n);
void mkdir_request(uint32_t sid, const uint8_t *p, size_t n);
void remove_request(uint32_t sid, const uint8_t *p, size_t n);
/* Makes an absolute, lexically clean path from a request's `path` value
 * (relative = relative to home); returns 0 or an errno. */
int resolve_path(const uint8_t *v, size_t n, char *out, size_t outsz);
int mkdir_parents(const char *path);   /* mkdir -p of path's parent */

/* ---- freeze.c ---- */
void freeze_request(uint32_t sid, const uint8_t *p, size_t n);
void thaw_request(uint32_t sid, const uint8_t *p, size_t n);

/* ---- identity.c ---- */
void init_request(uint32_t sid, const uint8_t *p, size_t n);

/* ---- net.c ---- */
void net_up(void);                        /* configures eth0 (boot, PID 1) when the VM has one */
int net_set_mac(const uint8_t mac[6]);    /* 0 or an errno */
int parse_mac(const char *text, uint8_t mac[6]);   /* "aa:bb:cc:dd:ee:ff"; -1 when malformed */

/* ---- boot.c ---- */
/* Boots the VM as PID 1 and returns the open port fd; exits on fatal error. */
int boot_pid1(void);

#endif
