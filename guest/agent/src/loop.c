/*
 * The event loop, the stream table and the dispatch of host frames.
 *
 * Streams are never freed while the loop iteration that ended them is still
 * running (pollfd owners point at them); they are marked dead and swept at
 * the end of the iteration.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* Credit is granted back once this much was written out (or at once when the
 * stream is idle), so the host always has most of its window. */
#define GRANT_STEP (64 * 1024)
#define CREDIT_CAP (INT64_MAX / 4)

static struct stream **streams;
static int nstreams, streams_cap, nlive;
static int sig_fd = -1;

struct stream *stream_find(uint32_t id)
{
    for (int i = 0; i < nstreams; i++)
        if (!streams[i]->dead && streams[i]->id == id)
            return streams[i];
    return NULL;
}

struct stream *stream_open(uint32_t id, enum stream_kind kind,
                           const struct stream_ops *ops, void *priv)
{
    if (nlive >= MAX_STREAMS) {
        send_error(id, EBUSY, "too many concurrent streams (limit %d)", MAX_STREAMS);
        return NULL;
    }
    if (nstreams == streams_cap) {
        int cap = streams_cap ? streams_cap * 2 : 32;
        struct stream **ns = realloc(streams, (size_t)cap * sizeof *ns);
        if (!ns) {
            send_error(id, ENOMEM, "out of memory");
            return NULL;
        }
        streams = ns;
        streams_cap = cap;
    }
    struct stream *s = calloc(1, sizeof *s);
    if (!s) {
        send_error(id, ENOMEM, "out of memory");
        return NULL;
    }
    s->id = id;
    s->kind = kind;
    s->ops = ops;
    s->priv = priv;
    s->credit = INITIAL_CREDIT;
    streams[nstreams++] = s;
    nlive++;
    return s;
}

void stream_end(struct stream *s)
{
    if (s->dead)
        return;
    s->dead = 1;
    nlive--;
    s->ops->release(s);
}

void stream_fail(struct stream *s, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    send_error(s->id, err, "%s", msg);
    stream_end(s);
}

/* The connection is gone (hang-up, HELLO, end of test mode): every stream
 * ends, and no process dies for it (section 5). */
void streams_abort_all(void)
{
    for (int i = 0; i < nstreams; i++) {
        if (streams[i]->dead)
            continue;
        streams[i]->conn_lost = 1;
        stream_end(streams[i]);
    }
}

void streams_fail_kind(enum stream_kind kind, int err, const char *msg)
{
    for (int i = 0; i < nstreams; i++)
        if (!streams[i]->dead && streams[i]->kind == kind)
            stream_fail(streams[i], err, "%s", msg);
}

static void streams_sweep(void)
{
    int j = 0;
    for (int i = 0; i < nstreams; i++) {
        if (streams[i]->dead)
            free(streams[i]);
        else
            streams[j++] = streams[i];
    }
    nstreams = j;
}

int stream_can_send(const struct stream *s)
{
    return s->credit > 0 && out_pending() < OUT_HIGH_WATER;
}

int stream_take_window(struct stream *s, size_t n)
{
    if ((int64_t)n > s->window) {
        stream_fail(s, EINVAL, "%zu bytes sent beyond the granted credit of %lld",
                    n, (long long)s->window);
        return 0;
    }
    s->window -= (int64_t)n;
    return 1;
}

void stream_grant(struct stream *s, int64_t n)
{
    struct rec r;
    s->window += n;
    rec_init(&r);
    rec_add_int(&r, "bytes", n);
    send_rec(T_CREDIT, s->id, &r);
}

void stream_consumed(struct stream *s, size_t n, int idle)
{
    s->ungranted += (int64_t)n;
    if (s->ungranted >= GRANT_STEP || (idle && s->ungranted > 0)) {
        stream_grant(s, s->ungranted);
        s->ungranted = 0;
    }
}

static void pollset_put(struct pollset *ps, struct stream *s, struct proc *p, int role, int fd,
                        short events)
{
    if (ps->n >= POLLSET_MAX)
        return;   /* cannot happen within the stream and process limits; never overflow */
    ps->fds[ps->n] = (struct pollfd){ .fd = fd, .events = events };
    ps->owner[ps->n].s = s;
    ps->owner[ps->n].p = p;
    ps->owner[ps->n].role = role;
    ps->n++;
}

void pollset_add(struct pollset *ps, struct stream *s, int role, int fd, short events)
{
    pollset_put(ps, s, NULL, role, fd, events);
}

void pollset_add_proc(struct pollset *ps, struct proc *p, int role, int fd, short events)
{
    pollset_put(ps, NULL, p, role, fd, events);
}

/* ---------- connection-level messages ---------- */

/* HELLO starts a connection: whatever streams an earlier host left behind
 * (one the guest never saw hang up, e.g. across a snapshot restore) end, and
 * their queued output is dropped; their processes run on, unattached. */
static void hello(const uint8_t *p, size_t n)
{
    const uint8_t *nonce = NULL;
    size_t nlen = 0;
    if (!rec_valid(p, n)) {
        send_error(0, EINVAL, "HELLO: malformed record");
        return;
    }
    rec_find(p, n, "nonce", &nonce, &nlen);
    streams_abort_all();
    conn_drop_output();
    struct rec r;
    rec_init(&r);
    rec_add(&r, "nonce", nonce, nlen);
    rec_add_int(&r, "version", 2);
    send_rec(T_HELLO_ACK, 0, &r);
}

static void ping_request(uint32_t sid, const uint8_t *p, size_t n)
{
    struct timespec ts;
    struct rec r;
    (void)p;
    (void)n;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    rec_init(&r);
    rec_add_int(&r, "uptime_ms", (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    send_ok(sid, &r);
}

static void credit_frame(struct stream *s, const uint8_t *p, size_t n)
{
    int64_t bytes;
    if (!rec_valid(p, n) || rec_get_int(p, n, "bytes", &bytes) != 1 || bytes < 0) {
        stream_fail(s, EINVAL, "CREDIT: `bytes` must be a number >= 0");
        return;
    }
    s->credit = s->credit > CREDIT_CAP - bytes ? CREDIT_CAP : s->credit + bytes;
}

typedef void (*request_fn)(uint32_t sid, const uint8_t *p, size_t n);

static request_fn request_handler(uint8_t type)
{
    switch (type) {
    case T_INIT: return init_request;
    case T_PING: return ping_request;
    case T_EXEC: return exec_request;
    case T_SIGNAL: return signal_request;
    case T_PS: return ps_request;
    case T_ATTACH: return attach_request;
    case T_READ: return read_request;
    case T_WRITE: return write_request;
    case T_STAT: return stat_request;
    case T_LIST: return list_request;
    case T_MKDIR: return mkdir_request;
    case T_REMOVE: return remove_request;
    case T_FREEZE: return freeze_request;
    case T_THAW: return thaw_request;
    default: return NULL;
    }
}

void dispatch(uint8_t type, uint32_t sid, const uint8_t *p, size_t n)
{
    if (type == T_HELLO) {
        hello(p, n);
        return;
    }
    struct stream *s = sid ? stream_find(sid) : NULL;
    request_fn fn = request_handler(type);
    if (fn) {
        if (sid == 0 || sid > MAX_STREAM_ID) {
            send_error(sid, EINVAL, "a request needs a stream id in 1..2147483647");
            return;
        }
        if (s) {
            /* The host reused a live id; the ERROR below ends that id for the
             * host, so the guest ends the stream too (as on CLOSE). */
            stream_end(s);
            send_error(sid, EINVAL, "stream %u is already in use", sid);
            return;
        }
        if (!rec_valid(p, n)) {
            send_error(sid, EINVAL, "malformed record");
            return;
        }
        fn(sid, p, n);
        return;
    }
    switch (type) {
    case T_CLOSE:
        if (s)
            stream_end(s);
        return;
    case T_CREDIT:
        if (s)
            credit_frame(s, p, n);
        return;
    case T_STDIN: case T_STDIN_CLOSE: case T_RESIZE: case T_WRITE_DATA: case T_WRITE_END:
        if (s)
            s->ops->frame(s, type, p, n);
        return;
    default:
        /* A frame of an unknown type on a live stream is ignored; as a new
         * request it is answered, so the host does not wait for nothing. */
        if (!s)
            send_error(sid, ENOSYS, "unknown message type 0x%02x", type);
        return;
    }
}

/* ---------- the loop ---------- */

static void signals_init(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sig_fd < 0) {
        logmsg("signalfd: %s", strerror(errno));
        exit(1);
    }
}

/* Test mode only (EOF on stdin): the streams end as on a hang-up, then the
 * processes a stream would have killed die with the agent (section 7). */
void shutdown_agent(int code)
{
    streams_abort_all();
    procs_shutdown();
    exit(code);
}

void serve(void)
{
    static struct pollset ps;
    int more_work = 0;
    signals_init();
    for (;;) {
        ps.n = 0;
        pollset_add(&ps, NULL, 0, sig_fd, POLLIN);
        conn_poll_add(ps.fds, &ps.n);
        for (int i = 0; i < ps.n; i++) {
            ps.owner[i].s = NULL;
            ps.owner[i].p = NULL;
        }
        for (int i = 0; i < nstreams; i++)
            if (!streams[i]->dead && streams[i]->ops->poll_add)
                streams[i]->ops->poll_add(streams[i], &ps);
        procs_poll_add(&ps);

        int timeout = conn_timeout();
        int64_t deadline = procs_next_deadline();
        if (deadline) {
            int64_t left = deadline - now_ms();
            left = left < 0 ? 0 : left > 60000 ? 60000 : left;
            if (timeout < 0 || left < timeout)
                timeout = (int)left;
        }
        if (more_work)
            timeout = 0;

        if (poll(ps.fds, (nfds_t)ps.n, timeout) < 0 && errno != EINTR) {
            logmsg("poll: %s", strerror(errno));
            continue;
        }

        if (ps.fds[0].revents) {
            struct signalfd_siginfo si;
            while (read(sig_fd, &si, sizeof si) == sizeof si)
                ;
        }
        procs_reap();   /* cheap without children to reap; covers lost wakeups */

        for (int i = 1; i < ps.n; i++) {
            struct stream *s = ps.owner[i].s;
            if (!ps.fds[i].revents)
                continue;
            if (s && !s->dead)
                s->ops->poll_ready(s, ps.owner[i].role, ps.fds[i].fd, ps.fds[i].revents);
            else if (ps.owner[i].p)
                procs_poll_ready(ps.owner[i].p, ps.owner[i].role, ps.fds[i].fd, ps.fds[i].revents);
        }
        conn_poll_ready(ps.fds);

        more_work = 0;
        for (int i = 0; i < nstreams; i++)
            if (!streams[i]->dead && streams[i]->ops->work)
                more_work |= streams[i]->ops->work(streams[i]);

        procs_check_timeouts(now_ms());
        conn_tick();
        streams_sweep();
        procs_sweep();
        if (conn_eof())
            shutdown_agent(0);
    }
}
