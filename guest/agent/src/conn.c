/*
 * The protocol byte stream: a resyncing frame parser on the input side, a
 * frame queue on the output side, and the port's hang-up handling.
 *
 * Linux virtio_console semantics (PID 1 mode): while no host is connected,
 * poll() reports POLLHUP on the port continually, read() returns 0 and
 * write() would block. So a hang-up is a state, not an event: the agent stops
 * polling the port (it would spin) and peeks at it every ~10 ms instead.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

/* Room for one maximal frame plus a read's worth of what follows it. */
#define IN_CAP (HDR_LEN + MAX_PAYLOAD + 256 * 1024)
/* Stop reading requests while this much output is queued: a host that does
 * not read its answers must not make the guest buffer without bound. */
#define OUT_INPUT_LIMIT (4u << 20)
#define HUNG_RECHECK_MS 10

static uint8_t inbuf[IN_CAP];

static struct {
    int in_fd, out_fd;
    size_t in_start, in_end;
    uint8_t *out;
    size_t out_start, out_end, out_cap;
    size_t out_boundary;   /* first frame boundary >= out_start */
    int hung;              /* PID 1: no host on the port */
    int64_t next_check;
    int eof;               /* test mode: stdin closed */
    int in_idx, out_idx;   /* pollfd slots of the last conn_poll_add */
} c;

void conn_init(int in_fd, int out_fd)
{
    c.in_fd = in_fd;
    c.out_fd = out_fd;
    /* A freshly opened port reports POLLHUP until the device's "host open"
     * message is processed, even when the host is already there and its
     * HELLO already waits in the port. So PID 1 starts out hung up, without
     * the draining of hang_up(): nothing in the port can be stale yet. */
    if (agent.pid1) {
        c.hung = 1;
        c.next_check = now_ms();
    }
}

size_t out_pending(void)
{
    return c.out_end - c.out_start;
}

int conn_eof(void)
{
    return c.eof;
}

/* ---------- output ---------- */

static int out_room(size_t n)
{
    if (c.out_start == c.out_end) {
        c.out_start = c.out_end = c.out_boundary = 0;
        if (c.out_cap > (8u << 20)) {   /* give a burst's memory back */
            free(c.out);
            c.out = NULL;
            c.out_cap = 0;
        }
    }
    if (c.out_end + n <= c.out_cap)
        return 1;
    if (c.out_start > 0) {   /* compact: the sent prefix is dead */
        memmove(c.out, c.out + c.out_start, c.out_end - c.out_start);
        c.out_end -= c.out_start;
        c.out_boundary -= c.out_start;
        c.out_start = 0;
        if (c.out_end + n <= c.out_cap)
            return 1;
    }
    size_t cap = c.out_cap ? c.out_cap : 64 * 1024;
    while (cap < c.out_end + n)
        cap *= 2;
    uint8_t *np = realloc(c.out, cap);
    if (!np)
        return 0;
    c.out = np;
    c.out_cap = cap;
    return 1;
}

uint8_t *out_reserve(size_t max)
{
    if (!out_room(HDR_LEN + max))
        return NULL;
    return c.out + c.out_end + HDR_LEN;
}

static void queue_frame(uint8_t type, uint32_t stream, size_t n)
{
    if (c.hung)   /* nobody to send to: dropped, like at a hang-up */
        return;
    frame_header(c.out + c.out_end, type, stream, (uint32_t)n);
    c.out_end += HDR_LEN + n;
}

void out_commit(uint8_t type, uint32_t stream, size_t n)
{
    if (n > 0)
        queue_frame(type, stream, n);
}

void send_frame(uint8_t type, uint32_t stream, const void *p, size_t n)
{
    uint8_t *w = out_reserve(n);
    if (!w) {
        logmsg("out of memory, frame dropped");
        return;
    }
    if (n)
        memcpy(w, p, n);
    queue_frame(type, stream, n);
}

/* Errors are built in a fixed buffer so they still go out when malloc fails. */
static size_t fixed_add(uint8_t *buf, size_t pos, const char *key, const char *val)
{
    size_t kl = strlen(key), vl = strlen(val);
    buf[pos] = 0;
    buf[pos + 1] = (uint8_t)kl;
    memcpy(buf + pos + 2, key, kl);
    put_be32(buf + pos + 2 + kl, (uint32_t)vl);
    memcpy(buf + pos + 6 + kl, val, vl);
    return pos + 6 + kl + vl;
}

void send_error(uint32_t stream, int err, const char *fmt, ...)
{
    char msg[600], num[16];
    uint8_t buf[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(num, sizeof num, "%d", err);
    size_t n = fixed_add(buf, 0, "errno", num);
    n = fixed_add(buf, n, "code", errno_name(err));
    n = fixed_add(buf, n, "message", msg);
    send_frame(T_ERROR, stream, buf, n);
}

void send_rec(uint8_t type, uint32_t stream, struct rec *r)
{
    if (r->err)
        send_error(stream, r->err, "%s", r->err == E2BIG ? "reply too large" : "out of memory");
    else
        send_frame(type, stream, r->p, r->len);
    rec_free(r);
}

void send_ok(uint32_t stream, struct rec *r)
{
    if (r)
        send_rec(T_OK, stream, r);
    else
        send_frame(T_OK, stream, NULL, 0);
}

/* Keeps the rest of a frame that is half on the wire, so whatever is queued
 * next (HELLO_ACK) starts on a frame boundary; drops the other frames. */
void conn_drop_output(void)
{
    c.out_end = c.out_boundary;
}

static void hang_up(void);

static void flush_output(void)
{
    while (c.out_start < c.out_end) {
        ssize_t w = write(c.out_fd, c.out + c.out_start, c.out_end - c.out_start);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return;
            if (!agent.pid1) {   /* the test harness went away */
                c.eof = 1;
                return;
            }
            hang_up();
            return;
        }
        c.out_start += (size_t)w;
        while (c.out_boundary < c.out_start)
            c.out_boundary += HDR_LEN + get_be32(c.out + c.out_boundary + 8);
    }
}

/* ---------- input ---------- */

static void parse_input(void)
{
    while (c.in_start < c.in_end) {
        uint8_t *p = inbuf + c.in_start;
        int found;
        size_t n = frame_scan(p, c.in_end - c.in_start, &found);
        if (n == 0)
            break;
        c.in_start += n;
        if (found)
            dispatch(p[2], get_be32(p + 4), p + HDR_LEN, n - HDR_LEN);
    }
    if (c.in_start == c.in_end)
        c.in_start = c.in_end = 0;
}

/* Host gone (PID 1 mode): its half-sent request and our unsent answers are
 * meaningless now; every stream ends, every process lives on. */
static void hang_up(void)
{
    /* Bytes already in the port belong to the old connection; a complete
     * stale request must not run when the next host connects. */
    for (int i = 0; i < 64; i++) {
        ssize_t r = read(c.in_fd, inbuf, sizeof inbuf);
        if (r <= 0)
            break;
    }
    c.in_start = c.in_end = 0;
    c.out_start = c.out_end = c.out_boundary = 0;
    streams_abort_all();
    c.hung = 1;
    c.next_check = now_ms() + HUNG_RECHECK_MS;
    logmsg("host disconnected");
}

static void read_input(void)
{
    if (c.in_start > 0 && IN_CAP - c.in_end < 256 * 1024) {
        memmove(inbuf, inbuf + c.in_start, c.in_end - c.in_start);
        c.in_end -= c.in_start;
        c.in_start = 0;
    }
    ssize_t r = read(c.in_fd, inbuf + c.in_end, IN_CAP - c.in_end);
    if (r > 0) {
        c.in_end += (size_t)r;
        parse_input();
        return;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (agent.pid1)
        hang_up();
    else
        c.eof = 1;
}

void conn_poll_add(struct pollfd *fds, int *n)
{
    c.in_idx = c.out_idx = -1;
    if (c.hung || c.eof)
        return;
    short in_ev = out_pending() < OUT_INPUT_LIMIT ? POLLIN : 0;
    short out_ev = out_pending() ? POLLOUT : 0;
    if (c.in_fd == c.out_fd) {
        /* Polled even with no events wanted: POLLHUP still tells of a hang-up. */
        c.in_idx = c.out_idx = *n;
        fds[(*n)++] = (struct pollfd){ .fd = c.in_fd, .events = in_ev | out_ev };
        return;
    }
    if (in_ev) {
        c.in_idx = *n;
        fds[(*n)++] = (struct pollfd){ .fd = c.in_fd, .events = in_ev };
    }
    if (out_ev) {
        c.out_idx = *n;
        fds[(*n)++] = (struct pollfd){ .fd = c.out_fd, .events = out_ev };
    }
}

void conn_poll_ready(const struct pollfd *fds)
{
    if (c.out_idx >= 0 && fds[c.out_idx].revents & (POLLOUT | POLLERR | POLLHUP))
        flush_output();
    if (c.hung || c.in_idx < 0)   /* the write may have found the host gone */
        return;
    short rev = fds[c.in_idx].revents;
    if (agent.pid1 && rev & (POLLHUP | POLLERR)) {
        hang_up();
        return;
    }
    if (rev & (POLLIN | POLLHUP | POLLERR))
        read_input();
    /* Answers to what was just read go out without waiting a poll round. */
    if (!c.hung && out_pending())
        flush_output();
}

int conn_timeout(void)
{
    if (!c.hung)
        return -1;
    int64_t left = c.next_check - now_ms();
    return left < 0 ? 0 : (int)left;
}

void conn_tick(void)
{
    if (!c.hung || now_ms() < c.next_check)
        return;
    struct pollfd p = { .fd = c.in_fd, .events = POLLIN };
    if (poll(&p, 1, 0) >= 0 && !(p.revents & (POLLHUP | POLLERR))) {
        c.hung = 0;
        logmsg("host connected");
        return;
    }
    c.next_check = now_ms() + HUNG_RECHECK_MS;
}
