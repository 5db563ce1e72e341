/*
 * The process table: every process the agent started, from fork until it was
 * reaped and its output reached EOF, then (if no stream saw its end) retained
 * for a while for ATTACH.
 *
 * The agent reads each process's output itself, whatever streams follow it:
 * the bytes go to every tap (stream) attached, into the replay ring, and for
 * background/detached processes into the log. A process is read only while
 * every tap has credit and nothing to replay, so the slowest stream sets the
 * pace and the ring never changes under a pending replay; with no tap it is
 * read as it comes (drained), so an unwatched process never blocks.
 *
 * Records are freed only by procs_sweep() at the end of a loop iteration, so
 * a pollset entry never points at freed memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

enum { ROLE_STATUS, ROLE_STDOUT, ROLE_STDERR, ROLE_STDIN };

/* Live and draining ones, retained ones, and ended ones a stream still
 * replays (each holds a stream): the table can never be fuller. */
#define MAX_RECORDS (MAX_PROCS + MAX_RETAINED + MAX_STREAMS)

static struct proc *recs[MAX_RECORDS];
static int nrecs;
static uint64_t start_counter, end_counter;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* ---------- records ---------- */

struct proc *proc_new(void)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->status_fd = p->out_fd = p->err_fd = p->in_fd = p->log_fd = -1;
    rec_init(&p->ps);
    return p;
}

void proc_free(struct proc *p)
{
    if (!p)
        return;
    close_fd(&p->status_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    close_fd(&p->in_fd);
    close_fd(&p->log_fd);
    free(p->ring.buf);
    rec_free(&p->ps);
    free(p->prog);
    free(p->cwd);
    free(p);
}

int proc_insert(struct proc *p)
{
    if (nrecs >= MAX_RECORDS)
        return -1;
    p->seq = ++start_counter;
    recs[nrecs++] = p;
    return 0;
}

/* Counts against MAX_PROCS: not yet ended, and not a failed start that is
 * only waiting to be reaped and swept. */
static int is_active(const struct proc *p)
{
    return !p->ended && !(p->failed && p->reaped);
}

int procs_full(void)
{
    int n = 0;
    for (int i = 0; i < nrecs; i++)
        n += is_active(recs[i]);
    return n >= MAX_PROCS || nrecs >= MAX_RECORDS;
}

struct proc *proc_live_by_pid(pid_t pid)
{
    for (int i = 0; i < nrecs; i++)
        if (!recs[i]->failed && !recs[i]->reaped && recs[i]->pid == pid)
            return recs[i];
    return NULL;
}

static int holds_tag(const struct proc *p, const char *tag)
{
    return !p->failed && !p->tag_given_up && p->tag[0] && strcmp(p->tag, tag) == 0;
}

struct proc *proc_live_by_tag(const char *tag)
{
    for (int i = 0; i < nrecs; i++)
        if (!recs[i]->reaped && holds_tag(recs[i], tag))
            return recs[i];
    return NULL;
}

int proc_tag_taken(const char *tag)
{
    for (int i = 0; i < nrecs; i++)
        if (holds_tag(recs[i], tag))
            return 1;
    return 0;
}

/* A draining or retained record gives its tag to a new process. Its log is
 * closed: the new process's log is the same file name, truncated at start. */
void proc_claim_tag(const char *tag)
{
    for (int i = 0; i < nrecs; i++) {
        if (holds_tag(recs[i], tag)) {
            recs[i]->tag_given_up = 1;
            close_fd(&recs[i]->log_fd);
        }
    }
}

struct proc *proc_attachable(int by_pid, pid_t pid, const char *tag)
{
    struct proc *best = NULL;
    for (int i = 0; i < nrecs; i++) {
        struct proc *p = recs[i];
        if (p->failed || (p->ended && !p->retained))
            continue;
        if (by_pid ? p->pid != pid : !holds_tag(p, tag))
            continue;
        /* pids are reused once reaped: a running process beats a record,
         * a newer record an older one. */
        if (!best || (best->ended && !p->ended) ||
            (best->ended == p->ended && p->seq > best->seq))
            best = p;
    }
    return best;
}

void proc_kill_group(struct proc *p)
{
    if (p->pid <= 0 || p->ended || (p->failed && p->reaped))
        return;
    kill(-p->pid, SIGKILL);
    if (!p->reaped)   /* it may not have made its own group yet */
        kill(p->pid, SIGKILL);
}

int proc_add_tap(struct proc *p, struct tap *t)
{
    if (p->ntaps >= MAX_TAPS)
        return -1;
    p->taps[p->ntaps++] = t;
    return 0;
}

void proc_remove_tap(struct proc *p, struct tap *t)
{
    for (int i = 0; i < p->ntaps; i++) {
        if (p->taps[i] == t) {
            p->taps[i] = p->taps[--p->ntaps];
            break;
        }
    }
    if (p->in_cur == t)
        p->in_cur = NULL;
}

/* ---------- retention ---------- */

static void retain(struct proc *p)
{
    struct proc *oldest = NULL;
    int n = 0;
    for (int i = 0; i < nrecs; i++) {
        if (!recs[i]->retained)
            continue;
        n++;
        if (!oldest || recs[i]->end_seq < oldest->end_seq)
            oldest = recs[i];
    }
    if (n >= MAX_RETAINED)
        oldest->retained = 0;   /* swept */
    p->retained = 1;
    p->end_seq = ++end_counter;
    p->retain_until = now_ms() + RETAIN_MS;
}

void proc_unretain(struct proc *p)
{
    p->retained = 0;
}

/* ---------- replay ring ---------- */

void proc_ring_copy(const struct proc *p, size_t off, uint8_t *dst, size_t n)
{
    const struct ring *r = &p->ring;
    if (n == 0)
        return;
    size_t pos = (r->start + off) % r->cap;
    size_t first = n < r->cap - pos ? n : r->cap - pos;
    memcpy(dst, r->buf + pos, first);
    memcpy(dst + first, r->buf, n - first);
}

/* Grows towards RING_MAX; on failure the ring keeps its size (and older
 * bytes are dropped sooner), nothing else changes. */
static void ring_grow(struct proc *p, size_t want)
{
    struct ring *r = &p->ring;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < want && cap < RING_MAX)
        cap *= 2;
    if (cap > RING_MAX)
        cap = RING_MAX;
    if (cap <= r->cap)
        return;
    uint8_t *nb = malloc(cap);
    if (!nb)
        return;
    proc_ring_copy(p, 0, nb, r->len);
    free(r->buf);
    r->buf = nb;
    r->cap = cap;
    r->start = 0;
}

static void ring_append(struct proc *p, const uint8_t *d, size_t n)
{
    struct ring *r = &p->ring;
    if (r->len + n > r->cap)
        ring_grow(p, r->len + n);
    if (r->cap == 0)
        return;
    if (n > r->cap) {   /* only the tail can stay */
        d += n - r->cap;
        n = r->cap;
    }
    if (r->len + n > r->cap) {   /* the oldest bytes make room */
        size_t drop = r->len + n - r->cap;
        r->start = (r->start + drop) % r->cap;
        r->len -= drop;
    }
    size_t pos = (r->start + r->len) % r->cap;
    size_t first = n < r->cap - pos ? n : r->cap - pos;
    memcpy(r->buf + pos, d, first);
    memcpy(r->buf, d + first, n - first);
    r->len += n;
}

/* ---------- logs ---------- */

static void log_path(const struct proc *p, char *out, size_t sz, const char *suffix)
{
    snprintf(out, sz, "%s/%s.log%s", agent.log_dir, p->tag, suffix);
}

int proc_log_open(struct proc *p)
{
    char path[sizeof agent.log_dir + TAG_MAX + 16];
    log_path(p, path, sizeof path, "");
    int err = mkdir_parents(path);
    if (err)
        return err;
    p->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOCTTY | O_CLOEXEC, 0644);
    if (p->log_fd < 0)
        return errno;
    p->log_size = 0;
    return 0;
}

/* <tag>.log becomes <tag>.log.1 (replacing an older one) and a new log
 * starts: a process never holds more than 2 x LOG_ROTATE of logs. */
static void log_rotate(struct proc *p)
{
    char cur[sizeof agent.log_dir + TAG_MAX + 16], old[sizeof cur];
    log_path(p, cur, sizeof cur, "");
    log_path(p, old, sizeof old, ".1");
    close_fd(&p->log_fd);
    if (rename(cur, old) < 0)
        logmsg("rotate %s: %s", cur, strerror(errno));
    p->log_fd = open(cur, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOCTTY | O_CLOEXEC, 0644);
    if (p->log_fd < 0)
        logmsg("log %s: %s", cur, strerror(errno));
    p->log_size = 0;
}

/* The log is on tmpfs (/run) in a VM: never frozen, never slow. A failed
 * write (full) loses those bytes from the log only; the ring has them. */
static void log_append(struct proc *p, const uint8_t *d, size_t n)
{
    while (n > 0 && p->log_fd >= 0) {
        size_t room = (size_t)(LOG_ROTATE - p->log_size);
        ssize_t w = write(p->log_fd, d, n < room ? n : room);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p->log_size += w;
        d += w;
        n -= (size_t)w;
        if (p->log_size >= LOG_ROTATE)
            log_rotate(p);
    }
}

/* ---------- stdin ---------- */

int proc_has_stdin(const struct proc *p)
{
    return p->in_fd >= 0 && !p->ended;
}

/* Input is gone (closed, or nobody reads it): every queued byte is dropped
 * and granted back, so the hosts may go on sending (into nothing). */
static void drop_stdin(struct proc *p)
{
    close_fd(&p->in_fd);
    for (int i = 0; i < p->ntaps; i++) {
        struct tap *t = p->taps[i];
        size_t dropped = t->inq_len;
        t->inq_off = t->inq_len = 0;
        t->stdin_close = 0;
        stream_consumed(t->s, dropped, 1);
    }
}

/* Taps take turns at the process's stdin, one whole queue at a time, so the
 * bytes of one STDIN frame are never interleaved with another stream's. */
static struct tap *next_writer(struct proc *p)
{
    if (p->in_cur && p->in_cur->inq_len > 0)
        return p->in_cur;
    int from = 0;
    for (int i = 0; i < p->ntaps; i++)
        if (p->taps[i] == p->in_cur)
            from = i + 1;
    for (int k = 0; k < p->ntaps; k++) {
        struct tap *t = p->taps[(from + k) % p->ntaps];
        if (t->inq_len > 0)
            return p->in_cur = t;
    }
    return NULL;
}

void proc_write_stdin(struct proc *p)
{
    struct tap *t;
    while (p->in_fd >= 0 && (t = next_writer(p)) != NULL) {
        ssize_t w = write(p->in_fd, t->inq + t->inq_off, t->inq_len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                drop_stdin(p);   /* EPIPE: nobody reads the process's stdin */
            return;
        }
        t->inq_off += (size_t)w;
        t->inq_len -= (size_t)w;
        if (t->inq_len == 0)
            t->inq_off = 0;
        stream_consumed(t->s, (size_t)w, t->inq_len == 0);
    }
    for (int i = 0; i < p->ntaps && p->in_fd >= 0 && !p->pty; i++)
        if (p->taps[i]->stdin_close && p->taps[i]->inq_len == 0)
            drop_stdin(p);   /* STDIN_CLOSE after that stream's bytes */
}

static int stdin_pending(const struct proc *p)
{
    for (int i = 0; i < p->ntaps; i++)
        if (p->taps[i]->inq_len > 0)
            return 1;
    return 0;
}

/* ---------- output ---------- */

/* How much of the output may be read now: as much as the tightest tap
 * accepts, nothing while a tap still replays or waits for the start. */
static size_t read_max(const struct proc *p)
{
    int64_t m = OUT_CHUNK;
    if (p->ntaps == 0)
        return OUT_CHUNK;
    if (out_pending() >= OUT_HIGH_WATER)
        return 0;
    for (int i = 0; i < p->ntaps; i++) {
        const struct tap *t = p->taps[i];
        if (t->wait_start || t->replay_left > 0)
            return 0;
        if (t->s->credit < m)
            m = t->s->credit;
    }
    return m > 0 ? (size_t)m : 0;
}

static void maybe_finish(struct proc *p)
{
    if (p->ended || p->starting || p->failed || !p->reaped || p->out_fd >= 0 || p->err_fd >= 0)
        return;
    p->ended = 1;
    close_fd(&p->in_fd);
    close_fd(&p->log_fd);
    rec_free(&p->ps);
    if (p->ntaps == 0)
        retain(p);
    else
        taps_ended(p);
}

static void pump(struct proc *p, int *fd, uint8_t type)
{
    static uint8_t buf[OUT_CHUNK];
    size_t max = read_max(p);
    if (max == 0)   /* the other pipe used up the credit in this round */
        return;
    ssize_t r = read(*fd, buf, max);
    if (r > 0) {
        for (int i = 0; i < p->ntaps; i++)
            tap_output(p->taps[i], type, buf, (size_t)r);
        ring_append(p, buf, (size_t)r);
        log_append(p, buf, (size_t)r);
        return;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    /* EOF, or EIO: a pty master whose last slave fd was closed. */
    close_fd(fd);
    maybe_finish(p);
}

/* ---------- start ---------- */

static void read_status(struct proc *p)
{
    struct child_status cs;
    char msg[512];
    ssize_t r = read(p->status_fd, &cs, sizeof cs);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    close_fd(&p->status_fd);
    p->starting = 0;
    if (r != (ssize_t)sizeof cs) {   /* EOF: the exec happened */
        taps_started(p);
        maybe_finish(p);
        return;
    }
    p->failed = 1;
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    close_fd(&p->in_fd);
    close_fd(&p->log_fd);
    if (cs.stage == STAGE_CWD)
        snprintf(msg, sizeof msg, "cwd %.300s: %s", p->cwd, strerror(cs.err));
    else if (cs.stage == STAGE_EXEC && cs.err == ENOENT)
        snprintf(msg, sizeof msg, "%.300s: program not found", p->prog);
    else if (cs.stage == STAGE_EXEC)
        snprintf(msg, sizeof msg, "exec %.300s: %s", p->prog, strerror(cs.err));
    else
        snprintf(msg, sizeof msg, "process setup for %.300s: %s", p->prog, strerror(cs.err));
    taps_start_failed(p, cs.err, msg);
}

/* ---------- PS ---------- */

void procs_ps(struct rec *r)
{
    for (int i = 0; i < nrecs; i++) {
        const struct proc *p = recs[i];
        if (p->failed || p->reaped)
            continue;
        if (r->len + p->ps.len + 16 > MAX_PAYLOAD - 32) {
            rec_add_int(r, "truncated", 1);
            break;
        }
        rec_add_rec(r, "proc", &p->ps);
    }
}

/* ---------- the loop's hooks ---------- */

void procs_poll_add(struct pollset *ps)
{
    for (int i = 0; i < nrecs; i++) {
        struct proc *p = recs[i];
        if (p->starting) {
            pollset_add_proc(ps, p, ROLE_STATUS, p->status_fd, POLLIN);
            continue;
        }
        if (p->failed || p->ended)
            continue;
        if ((p->out_fd >= 0 || p->err_fd >= 0) && read_max(p) > 0) {
            if (p->out_fd >= 0)
                pollset_add_proc(ps, p, ROLE_STDOUT, p->out_fd, POLLIN);
            if (p->err_fd >= 0)
                pollset_add_proc(ps, p, ROLE_STDERR, p->err_fd, POLLIN);
        }
        if (p->in_fd >= 0 && stdin_pending(p))
            pollset_add_proc(ps, p, ROLE_STDIN, p->in_fd, POLLOUT);
    }
}

/* The fd is checked against the record: it may have been closed (and its
 * number reused) earlier in this iteration. */
void procs_poll_ready(struct proc *p, int role, int fd, short revents)
{
    (void)revents;
    if (fd < 0)
        return;
    if (role == ROLE_STATUS && fd == p->status_fd)
        read_status(p);
    else if (role == ROLE_STDOUT && fd == p->out_fd)
        pump(p, &p->out_fd, T_STDOUT);
    else if (role == ROLE_STDERR && fd == p->err_fd)
        pump(p, &p->err_fd, T_STDERR);
    else if (role == ROLE_STDIN && fd == p->in_fd)
        proc_write_stdin(p);
}

void procs_reap(void)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0)
            return;
        struct proc *p = NULL;
        for (int i = 0; i < nrecs && !p; i++)
            if (recs[i]->pid == pid && !recs[i]->reaped)
                p = recs[i];
        if (!p)
            continue;   /* PID 1 adopts orphans; they are reaped, not reported */
        p->reaped = 1;
        p->wstatus = st;
        p->end_ms = now_ms();
        if (p->failed)
            continue;   /* swept */
        if (p->timed_out) {
            /* Pipes held open by escaped grandchildren must not delay the EXIT. */
            close_fd(&p->out_fd);
            close_fd(&p->err_fd);
        }
        maybe_finish(p);
    }
}

int64_t procs_next_deadline(void)
{
    int64_t d = 0;
    for (int i = 0; i < nrecs; i++) {
        const struct proc *p = recs[i];
        int64_t x = p->retained ? p->retain_until : p->ended || p->failed ? 0 : p->deadline;
        if (x && (!d || x < d))
            d = x;
    }
    return d;
}

void procs_check_timeouts(int64_t now)
{
    for (int i = 0; i < nrecs; i++) {
        struct proc *p = recs[i];
        if (p->retained && now >= p->retain_until)
            p->retained = 0;   /* swept */
        if (!p->deadline || now < p->deadline || p->ended || p->failed)
            continue;
        p->deadline = 0;
        p->timed_out = 1;
        if (!p->reaped) {
            proc_kill_group(p);   /* the EXIT follows the reap */
            continue;
        }
        /* Reaped already; what is left of its group holds the pipes. */
        proc_kill_group(p);
        close_fd(&p->out_fd);
        close_fd(&p->err_fd);
        maybe_finish(p);
    }
}

void procs_sweep(void)
{
    int j = 0;
    for (int i = 0; i < nrecs; i++) {
        struct proc *p = recs[i];
        if (p->ntaps == 0 && !p->retained && (p->ended || (p->failed && p->reaped)))
            proc_free(p);
        else
            recs[j++] = p;
    }
    nrecs = j;
}

/* Test mode ends with the agent: what a stream would have killed goes too,
 * detached and background processes are left running. */
void procs_shutdown(void)
{
    for (int i = 0; i < nrecs; i++)
        if (!recs[i]->detached)
            proc_kill_group(recs[i]);
}
