/*
 * Taps: the streams that follow a process. The EXEC stream of a foreground
 * process is its owner; ATTACH streams join later, get the replay ring first
 * and then the same live output. Either kind sends input, STDIN_CLOSE and
 * RESIZE to the process and ends with its EXIT.
 *
 * Ending a tap early only detaches it, except that the owner of a process
 * that is not detached takes the process group with it when the host gave it
 * up (CLOSE, or an ERROR for a protocol error). A hang-up or HELLO ends taps
 * without killing anything: the process runs on and can be attached to again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#include "proc.h"

struct tap *tap_new(struct proc *p, int owner)
{
    struct tap *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->p = p;
    t->owner = owner;
    return t;
}

void tap_free(struct tap *t)
{
    if (!t)
        return;
    free(t->inq);
    free(t);
}

void tap_output(struct tap *t, uint8_t type, const uint8_t *buf, size_t n)
{
    send_frame(type, t->s->id, buf, n);
    t->s->credit -= (int64_t)n;
}

/* ---------- the end: REPLAY owed, then EXIT ---------- */

static void send_exit(struct tap *t)
{
    const struct proc *p = t->p;
    struct rec r;
    int code = 0, sig = 0;
    if (WIFEXITED(p->wstatus)) {
        code = WEXITSTATUS(p->wstatus);
    } else if (WIFSIGNALED(p->wstatus)) {
        sig = WTERMSIG(p->wstatus);
        code = 128 + sig;
    }
    if (p->timed_out)
        code = 124;   /* as timeout(1) reports it */
    rec_init(&r);
    rec_add_int(&r, "exit_code", code);
    rec_add_int(&r, "signal", sig);
    rec_add_int(&r, "timed_out", p->timed_out);
    rec_add_int(&r, "duration_ms", p->end_ms - p->start_ms);
    send_rec(T_EXIT, t->s->id, &r);
    t->exit_sent = 1;
    stream_end(t->s);
}

/* Sends the replay the tap still owes, under its credit, then a due EXIT.
 * The ring does not change meanwhile: the process is not read while any of
 * its taps has replay left (proc.c, read_max). */
static void tap_flush(struct tap *t)
{
    struct stream *s = t->s;
    while (t->replay_left > 0) {
        if (!stream_can_send(s))
            return;
        size_t n = t->replay_left;
        if ((int64_t)n > s->credit)
            n = (size_t)s->credit;
        if (n > OUT_CHUNK)
            n = OUT_CHUNK;
        uint8_t *buf = out_reserve(n);
        if (!buf)
            return;
        proc_ring_copy(t->p, t->p->ring.len - t->replay_left, buf, n);
        out_commit(T_REPLAY, s->id, n);
        s->credit -= (int64_t)n;
        t->replay_left -= n;
    }
    if (t->exit_due && !t->exit_sent)
        send_exit(t);
}

static int tap_work(struct stream *s)
{
    struct tap *t = s->priv;
    if (t->p && !t->wait_start && (t->replay_left > 0 || t->exit_due))
        tap_flush(t);
    return 0;   /* more only after credit or queue room, which wake the loop */
}

/* ---------- start ---------- */

static void send_attach_ok(struct tap *t)
{
    const struct proc *p = t->p;
    int in = proc_has_stdin(p);
    struct rec r;
    rec_init(&r);
    rec_add_int(&r, "pid", p->pid);
    if (p->tag[0])
        rec_add_str(&r, "tag", p->tag);
    rec_add_int(&r, "pty", p->pty);
    rec_add_int(&r, "stdin", in);
    rec_add_int(&r, "exited", p->ended);
    send_ok(t->s->id, &r);
    if (in)
        stream_grant(t->s, INITIAL_CREDIT);
    if (t->want_replay)
        t->replay_left = p->ring.len;
    t->exit_due = p->ended;
    tap_flush(t);
}

static void send_exec_ok(struct tap *t)
{
    const struct proc *p = t->p;
    struct rec r;
    rec_init(&r);
    rec_add_int(&r, "pid", p->pid);
    if (p->tag[0])
        rec_add_str(&r, "tag", p->tag);
    send_ok(t->s->id, &r);
    if (p->background) {   /* its stream ends here; the process runs on */
        stream_end(t->s);
        return;
    }
    if (p->in_fd >= 0)
        stream_grant(t->s, INITIAL_CREDIT);
}

/* Ending a tap changes p->taps: callers walk a copy. */
static int taps_copy(const struct proc *p, struct tap **out)
{
    memcpy(out, p->taps, (size_t)p->ntaps * sizeof *out);
    return p->ntaps;
}

void taps_started(struct proc *p)
{
    struct tap *ts[MAX_TAPS];
    int n = taps_copy(p, ts);
    for (int i = 0; i < n; i++) {
        if (ts[i]->owner) {
            send_exec_ok(ts[i]);
        } else if (ts[i]->wait_start) {
            ts[i]->wait_start = 0;
            send_attach_ok(ts[i]);
        }
    }
}

void taps_start_failed(struct proc *p, int err, const char *msg)
{
    struct tap *ts[MAX_TAPS];
    int n = taps_copy(p, ts);
    for (int i = 0; i < n; i++) {
        if (ts[i]->owner)
            stream_fail(ts[i]->s, err, "%s", msg);
        else
            stream_fail(ts[i]->s, ESRCH, "process %d did not start: %s", (int)p->pid, msg);
    }
}

void taps_ended(struct proc *p)
{
    struct tap *ts[MAX_TAPS];
    int n = taps_copy(p, ts);
    for (int i = 0; i < n; i++) {
        ts[i]->exit_due = 1;
        if (!ts[i]->wait_start)
            tap_flush(ts[i]);
    }
}

/* ---------- host frames ---------- */

static int queue_stdin(struct tap *t, const uint8_t *p, size_t n)
{
    if (t->inq_off + t->inq_len + n > t->inq_cap) {
        if (t->inq_off) {
            memmove(t->inq, t->inq + t->inq_off, t->inq_len);
            t->inq_off = 0;
        }
        if (t->inq_len + n > t->inq_cap) {
            size_t cap = t->inq_cap ? t->inq_cap : 16 * 1024;
            while (cap < t->inq_len + n)
                cap *= 2;
            uint8_t *nq = realloc(t->inq, cap);
            if (!nq)
                return -1;
            t->inq = nq;
            t->inq_cap = cap;
        }
    }
    memcpy(t->inq + t->inq_off + t->inq_len, p, n);
    t->inq_len += n;
    return 0;
}

static void resize(struct tap *t, const uint8_t *p, size_t n)
{
    int64_t rows, cols;
    if (!rec_valid(p, n) || rec_get_int(p, n, "rows", &rows) != 1 ||
        rec_get_int(p, n, "cols", &cols) != 1 || rows < 1 || rows > 65535 ||
        cols < 1 || cols > 65535) {
        stream_fail(t->s, EINVAL, "RESIZE: `rows` and `cols` must be 1..65535");
        return;
    }
    if (!t->p || !t->p->pty || t->p->in_fd < 0)
        return;
    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
    ioctl(t->p->in_fd, TIOCSWINSZ, &ws);   /* the kernel sends SIGWINCH */
}

static void stdin_close(struct tap *t)
{
    struct proc *p = t->p;
    if (!p || !proc_has_stdin(p) || t->stdin_close)
        return;
    if (p->pty) {
        /* A terminal has no "close": send its EOF character instead. */
        struct termios tio;
        uint8_t eof = 4;
        if (tcgetattr(p->in_fd, &tio) == 0 && tio.c_cc[VEOF])
            eof = tio.c_cc[VEOF];
        if (queue_stdin(t, &eof, 1) == 0)
            proc_write_stdin(p);
        return;
    }
    t->stdin_close = 1;
    proc_write_stdin(p);
}

static void tap_frame(struct stream *s, uint8_t type, const uint8_t *p, size_t n)
{
    struct tap *t = s->priv;
    switch (type) {
    case T_STDIN:
        if (!stream_take_window(s, n))
            return;
        if (!t->p || !proc_has_stdin(t->p) || t->stdin_close) {
            stream_consumed(s, n, 1);   /* counted, and dropped */
            return;
        }
        if (queue_stdin(t, p, n)) {
            stream_fail(s, ENOMEM, "out of memory");
            return;
        }
        proc_write_stdin(t->p);
        return;
    case T_STDIN_CLOSE:
        stdin_close(t);
        return;
    case T_RESIZE:
        resize(t, p, n);
        return;
    default:
        stream_fail(s, EINVAL, "frame type 0x%02x does not belong to an %s stream", type,
                    t->owner ? "EXEC" : "ATTACH");
        return;
    }
}

static void tap_release(struct stream *s)
{
    struct tap *t = s->priv;
    struct proc *p = t->p;
    if (p) {
        /* A foreground process lives only with its owner, unless the
         * connection went away (then it runs on, unattached). */
        if (t->owner && !p->detached && !t->exit_sent && !s->conn_lost)
            proc_kill_group(p);
        proc_remove_tap(p, t);
    }
    tap_free(t);
}

const struct stream_ops tap_ops = {
    .release = tap_release,
    .frame = tap_frame,
    .work = tap_work,
};

/* ---------- ATTACH ---------- */

void attach_request(uint32_t sid, const uint8_t *p, size_t n)
{
    int64_t pid = 0;
    char *tag = NULL;
    int replay = 1;
    struct proc *pr;
    int have_pid = rec_get_int(p, n, "pid", &pid);
    int have_tag = rec_get_str(p, n, "tag", &tag);
    if (have_pid < 0 || have_tag < 0 || rec_get_bool(p, n, "replay", &replay) < 0 ||
        (have_pid != 1 && have_tag != 1)) {
        send_error(sid, EINVAL, "ATTACH needs `pid` (a number) or `tag`, and `replay` 0/1");
        goto out;
    }
    if (have_pid != 1 && !tag_valid(tag)) {
        send_error(sid, EINVAL, "ATTACH: tag '%.80s' is not 1-64 of [A-Za-z0-9._-]", tag);
        goto out;
    }
    if (have_pid == 1)   /* pid wins */
        pr = pid > 0 && pid <= INT32_MAX ? proc_attachable(1, (pid_t)pid, NULL) : NULL;
    else
        pr = proc_attachable(0, 0, tag);
    if (!pr) {
        if (have_pid == 1)
            send_error(sid, ESRCH, "no process %lld to attach to", (long long)pid);
        else
            send_error(sid, ESRCH, "no process tagged '%s' to attach to", tag);
        goto out;
    }
    if (pr->ntaps >= MAX_TAPS) {
        send_error(sid, EBUSY, "process %d has %d streams already (limit)", (int)pr->pid, MAX_TAPS);
        goto out;
    }
    struct tap *t = tap_new(pr, 0);
    if (!t) {
        send_error(sid, ENOMEM, "out of memory");
        goto out;
    }
    t->want_replay = replay;
    t->s = stream_open(sid, SK_ATTACH, &tap_ops, t);
    if (!t->s) {
        tap_free(t);
        goto out;
    }
    proc_add_tap(pr, t);
    proc_unretain(pr);   /* attached once: its retention ends */
    if (pr->starting)
        t->wait_start = 1;   /* OK once the exec is confirmed (or ERROR) */
    else
        send_attach_ok(t);
out:
    free(tag);
}
