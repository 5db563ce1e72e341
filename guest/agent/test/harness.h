/*
 * Test harness for wrenn-agent --stdio: starts the agent on a socketpair,
 * speaks the protocol of docs/guest-protocol.md with it, and bounds every
 * wait so that a hung agent fails a test instead of hanging the run.
 */
#ifndef WRENN_TEST_HARNESS_H
#define WRENN_TEST_HARNESS_H

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD (1u << 20)
#define HDR 12

enum {
    HELLO = 0x01, INIT = 0x02, PING = 0x03, CLOSE = 0x05, CREDIT = 0x06,
    EXEC = 0x10, STDIN = 0x11, STDIN_CLOSE = 0x12, RESIZE = 0x13, SIGNAL = 0x14, PS = 0x15,
    ATTACH = 0x16,
    READ = 0x20, WRITE = 0x21, WRITE_DATA = 0x22, WRITE_END = 0x23, STAT = 0x24,
    LIST = 0x25, MKDIR = 0x26, REMOVE = 0x27, FREEZE = 0x30, THAW = 0x31,
    OK = 0x80, HELLO_ACK = 0x81, ERROR = 0x82, STDOUT = 0x90, STDERR = 0x91, EXIT = 0x92,
    REPLAY = 0x93,
    DATA = 0xA0, END = 0xA1, ENTRIES = 0xA2,
};

static const char *agent_path;
static char tmp_root[256];     /* per run: agent HOME, TMPDIR, files */
static char fail_msg[1024];

/* A failed check records why and returns from the test. */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            snprintf(fail_msg, sizeof fail_msg, __VA_ARGS__);              \
            return 1;                                                      \
        }                                                                  \
    } while (0)

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- records ---------- */

struct rb {
    uint8_t *p;
    size_t len, cap;
};

static void rb_add(struct rb *r, const char *key, const void *val, size_t vlen)
{
    size_t kl = strlen(key);
    if (r->len + 6 + kl + vlen > r->cap) {
        r->cap = (r->len + 6 + kl + vlen) * 2 + 256;
        r->p = realloc(r->p, r->cap);
    }
    uint8_t *w = r->p + r->len;
    w[0] = (uint8_t)(kl >> 8);
    w[1] = (uint8_t)kl;
    memcpy(w + 2, key, kl);
    w[2 + kl] = (uint8_t)(vlen >> 24);
    w[3 + kl] = (uint8_t)(vlen >> 16);
    w[4 + kl] = (uint8_t)(vlen >> 8);
    w[5 + kl] = (uint8_t)vlen;
    if (vlen)
        memcpy(w + 6 + kl, val, vlen);
    r->len += 6 + kl + vlen;
}

static void rb_str(struct rb *r, const char *key, const char *val)
{
    rb_add(r, key, val, strlen(val));
}

static void rb_int(struct rb *r, const char *key, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    rb_str(r, key, buf);
}

static void rb_free(struct rb *r)
{
    free(r->p);
    r->p = NULL;
    r->len = r->cap = 0;
}

/* Finds the idx-th entry with key in a record; NULL if absent or malformed. */
static const uint8_t *rec_get_nth(const uint8_t *p, size_t n, const char *key, int idx, size_t *vlen)
{
    size_t pos = 0, kl = strlen(key);
    while (pos + 6 <= n) {
        size_t k = (size_t)p[pos] << 8 | p[pos + 1];
        if (pos + 6 + k > n)
            return NULL;
        size_t v = (size_t)p[pos + 2 + k] << 24 | (size_t)p[pos + 3 + k] << 16 |
                   (size_t)p[pos + 4 + k] << 8 | p[pos + 5 + k];
        if (pos + 6 + k + v > n)
            return NULL;
        if (k == kl && memcmp(p + pos + 2, key, k) == 0 && idx-- == 0) {
            *vlen = v;
            return p + pos + 6 + k;
        }
        pos += 6 + k + v;
    }
    return NULL;
}

/* Value as a string (into a rotating static buffer); "" when absent. */
static const char *rec_str(const uint8_t *p, size_t n, const char *key)
{
    static char bufs[8][4200];
    static int next;
    char *b = bufs[next++ % 8];
    size_t vl;
    const uint8_t *v = rec_get_nth(p, n, key, 0, &vl);
    if (!v)
        vl = 0;
    if (vl >= sizeof bufs[0])
        vl = sizeof bufs[0] - 1;
    memcpy(b, v ? (const char *)v : "", vl);
    b[vl] = 0;
    return b;
}

static long long rec_int(const uint8_t *p, size_t n, const char *key, long long dflt)
{
    size_t vl;
    const uint8_t *v = rec_get_nth(p, n, key, 0, &vl);
    if (!v || vl == 0 || vl > 20)
        return dflt;
    char buf[24];
    memcpy(buf, v, vl);
    buf[vl] = 0;
    return strtoll(buf, NULL, 10);
}

/* ---------- the agent process ---------- */

struct frame {
    int type;
    uint32_t stream;
    uint8_t *p;
    size_t n;
};

struct ag {
    pid_t pid;
    int fd;
    uint8_t *buf;
    size_t len;
    int eof;
};

static const char *fstr(const struct frame *f, const char *key) { return rec_str(f->p, f->n, key); }
static long long fint(const struct frame *f, const char *key, long long d) { return rec_int(f->p, f->n, key, d); }

static int ag_start(struct ag *a)
{
    int sv[2];
    char home[300], tmpd[300], logf[300];
    memset(a, 0, sizeof *a);
    snprintf(home, sizeof home, "%s/home", tmp_root);
    snprintf(tmpd, sizeof tmpd, "%s/tmp", tmp_root);
    snprintf(logf, sizeof logf, "%s/agent.log", tmp_root);
    mkdir(home, 0755);
    mkdir(tmpd, 0755);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    a->pid = fork();
    if (a->pid < 0)
        return -1;
    if (a->pid == 0) {
        int lf = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(sv[1], 0);
        dup2(sv[1], 1);
        if (lf >= 0)
            dup2(lf, 2);
        setenv("HOME", home, 1);
        setenv("TMPDIR", tmpd, 1);
        execl(agent_path, agent_path, "--stdio", (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    a->fd = sv[0];
    fcntl(a->fd, F_SETFL, O_NONBLOCK);
    a->buf = malloc(HDR + MAX_PAYLOAD + 65536);
    return 0;
}

/* Closes the agent's stdin/stdout and returns its exit status (-1: had to
 * be killed after 5 s). */
static int ag_stop(struct ag *a)
{
    int st = 0;
    if (a->pid == 0)   /* stopped by the test itself */
        return 0;
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    free(a->buf);
    a->buf = NULL;
    for (int i = 0; i < 500; i++) {
        if (waitpid(a->pid, &st, WNOHANG) == a->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    kill(a->pid, SIGKILL);
    waitpid(a->pid, &st, 0);
    return -1;
}

static int send_raw(struct ag *a, const void *p, size_t n)
{
    const uint8_t *b = p;
    int64_t deadline = mono_ms() + 10000;
    while (n > 0) {
        ssize_t w = write(a->fd, b, n);
        if (w > 0) {
            b += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        struct pollfd pf = { .fd = a->fd, .events = POLLOUT };
        int left = (int)(deadline - mono_ms());
        if (left <= 0 || poll(&pf, 1, left) <= 0)
            return -1;
    }
    return 0;
}

static int send_frame(struct ag *a, int type, uint32_t stream, const void *p, size_t n)
{
    uint8_t h[HDR] = { 0x57, 0x52, (uint8_t)type, 0,
                       (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8), (uint8_t)stream,
                       (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    if (send_raw(a, h, HDR))
        return -1;
    return n ? send_raw(a, p, n) : 0;
}

static int send_rec(struct ag *a, int type, uint32_t stream, struct rb *r)
{
    int rc = send_frame(a, type, stream, r->p, r->len);
    rb_free(r);
    return rc;
}

static int send_credit(struct ag *a, uint32_t stream, long long bytes)
{
    struct rb r = { 0 };
    rb_int(&r, "bytes", bytes);
    return send_rec(a, CREDIT, stream, &r);
}

/* Next frame from the agent: 1 got one (f->p valid until the next call),
 * 0 timed out, -1 EOF or a broken frame. */
static int recv_frame(struct ag *a, struct frame *f, int timeout_ms)
{
    static uint8_t *last;
    int64_t deadline = mono_ms() + timeout_ms;
    free(last);
    last = NULL;
    for (;;) {
        if (a->len >= HDR) {
            if (a->buf[0] != 0x57 || a->buf[1] != 0x52)
                return -1;
            size_t n = (size_t)a->buf[8] << 24 | (size_t)a->buf[9] << 16 |
                       (size_t)a->buf[10] << 8 | a->buf[11];
            if (n > MAX_PAYLOAD)
                return -1;
            if (a->len >= HDR + n) {
                f->type = a->buf[2];
                f->stream = (uint32_t)a->buf[4] << 24 | (uint32_t)a->buf[5] << 16 |
                            (uint32_t)a->buf[6] << 8 | a->buf[7];
                last = malloc(n + 1);
                memcpy(last, a->buf + HDR, n);
                last[n] = 0;
                f->p = last;
                f->n = n;
                memmove(a->buf, a->buf + HDR + n, a->len - HDR - n);
                a->len -= HDR + n;
                return 1;
            }
        }
        if (a->eof)
            return -1;
        int left = (int)(deadline - mono_ms());
        if (left < 0)
            return 0;
        struct pollfd pf = { .fd = a->fd, .events = POLLIN };
        if (poll(&pf, 1, left) <= 0)
            continue;
        ssize_t r = read(a->fd, a->buf + a->len, HDR + MAX_PAYLOAD + 65536 - a->len);
        if (r == 0)
            a->eof = 1;
        else if (r > 0)
            a->len += (size_t)r;
    }
}

static const char *type_name(int t)
{
    static char buf[16];
    switch (t) {
    case OK: return "OK";
    case HELLO_ACK: return "HELLO_ACK";
    case ERROR: return "ERROR";
    case STDOUT: return "STDOUT";
    case STDERR: return "STDERR";
    case EXIT: return "EXIT";
    case REPLAY: return "REPLAY";
    case DATA: return "DATA";
    case END: return "END";
    case ENTRIES: return "ENTRIES";
    case CREDIT: return "CREDIT";
    }
    snprintf(buf, sizeof buf, "0x%02x", t);
    return buf;
}

/* Waits for a frame on `stream`, skipping CREDIT frames unless asked for;
 * describes what came instead in fail_msg. Returns 1 on success (EXPECT
 * wraps it in the tests' 0 = success convention). */
static int expect(struct ag *a, struct frame *f, int type, uint32_t stream, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - mono_ms());
        int r = recv_frame(a, f, left < 0 ? 0 : left);
        if (r <= 0) {
            snprintf(fail_msg, sizeof fail_msg, "waited for %s on stream %u: %s",
                     type_name(type), stream, r == 0 ? "timed out" : "agent closed the stream");
            return 0;
        }
        if (f->type == CREDIT && type != CREDIT)
            continue;
        if (f->type == type && f->stream == stream)
            return 1;
        snprintf(fail_msg, sizeof fail_msg, "waited for %s on stream %u, got %s on stream %u%s%s",
                 type_name(type), stream, type_name(f->type), f->stream,
                 f->type == ERROR ? ": " : "", f->type == ERROR ? fstr(f, "message") : "");
        return 0;
    }
}

#define EXPECT(a, f, type, stream, ms)          \
    do {                                        \
        if (!expect((a), (f), (type), (stream), (ms))) \
            return 1;                           \
    } while (0)

static int ping_ok(struct ag *a, uint32_t stream)
{
    struct frame f;
    if (send_frame(a, PING, stream, NULL, 0) || !expect(a, &f, OK, stream, 3000))
        return 0;
    if (fint(&f, "uptime_ms", -1) < 0) {
        snprintf(fail_msg, sizeof fail_msg, "PING: no uptime_ms");
        return 0;
    }
    return 1;
}

/* ---------- exec helpers ---------- */

struct exec_result {
    char *out, *err;
    size_t out_len, err_len;
    int exit_code, signal, timed_out;
    long long pid;
};

static void exec_result_free(struct exec_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

static void append(char **buf, size_t *len, const uint8_t *p, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = 0;
}

/* Runs argv (NULL-terminated) with extra record fields, collects output and
 * EXIT, granting credit as it consumes. Like a test: 0 = success. */
static int run_exec(struct ag *a, uint32_t sid, const char *const *argv, struct rb *extra,
                    struct exec_result *res, int timeout_ms)
{
    struct rb r = { 0 };
    struct frame f;
    memset(res, 0, sizeof *res);
    res->out = calloc(1, 1);
    res->err = calloc(1, 1);
    for (int i = 0; argv[i]; i++)
        rb_str(&r, "arg", argv[i]);
    if (extra) {   /* more fields: env, cwd, pty, ... */
        r.p = realloc(r.p, r.cap = r.len + extra->len + 1);
        memcpy(r.p + r.len, extra->p, extra->len);
        r.len += extra->len;
        rb_free(extra);
    }
    send_rec(a, EXEC, sid, &r);
    EXPECT(a, &f, OK, sid, timeout_ms);
    res->pid = fint(&f, "pid", -1);
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - mono_ms());
        int rc = recv_frame(a, &f, left < 0 ? 0 : left);
        CHECK(rc > 0, "exec %s: %s waiting for output/EXIT", argv[0], rc == 0 ? "timed out" : "EOF");
        if (f.stream != sid || f.type == CREDIT)
            continue;
        if (f.type == STDOUT)
            append(&res->out, &res->out_len, f.p, f.n);
        else if (f.type == STDERR)
            append(&res->err, &res->err_len, f.p, f.n);
        else if (f.type == EXIT)
            break;
        else
            CHECK(0, "exec %s: unexpected %s: %s", argv[0], type_name(f.type), fstr(&f, "message"));
        if (f.type == STDOUT || f.type == STDERR)
            send_credit(a, sid, (long long)f.n);
    }
    res->exit_code = (int)fint(&f, "exit_code", -1);
    res->signal = (int)fint(&f, "signal", -1);
    res->timed_out = (int)fint(&f, "timed_out", -1);
    return 0;
}

#endif
