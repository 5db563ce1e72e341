/*
 * File requests: READ, WRITE, STAT, LIST, MKDIR, REMOVE.
 *
 * READ and LIST produce data from the loop's "work" step, one chunk per
 * iteration and only under credit, so a large file or tree never sits in
 * memory and never starves other streams.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#define READ_CHUNK (256 * 1024)   /* DATA frames are at most this big */
#define LIST_MAX 100000           /* entries in one LIST */
#define LIST_FRAME (64 * 1024)    /* target size of an ENTRIES frame */

/* ---------- paths and entries ---------- */

int resolve_path(const uint8_t *v, size_t n, char *out, size_t outsz)
{
    char raw[8192];
    size_t len = 0, o = 0;
    if (n == 0 || memchr(v, 0, n))
        return EINVAL;
    if (v[0] != '/') {   /* relative to the home dir */
        len = strlen(agent.home);
        memcpy(raw, agent.home, len);
        raw[len++] = '/';
    }
    if (len + n >= sizeof raw)
        return ENAMETOOLONG;
    memcpy(raw + len, v, n);
    len += n;
    raw[len] = 0;

    /* Lexical clean-up: no empty, "." or ".." components in what is used
     * and reported, and never above "/". */
    for (size_t i = 0; i < len;) {
        while (i < len && raw[i] == '/')
            i++;
        size_t start = i;
        while (i < len && raw[i] != '/')
            i++;
        size_t cl = i - start;
        if (cl == 0 || (cl == 1 && raw[start] == '.'))
            continue;
        if (cl == 2 && raw[start] == '.' && raw[start + 1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            continue;
        }
        if (o + 1 + cl >= outsz)
            return ENAMETOOLONG;
        out[o++] = '/';
        memcpy(out + o, raw + start, cl);
        o += cl;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = 0;
    return 0;
}

int mkdir_parents(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i < len; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = 0;
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return errno;
        buf[i] = '/';
    }
    return 0;
}

static const char *type_name(mode_t m)
{
    if (S_ISREG(m))
        return "file";
    if (S_ISDIR(m))
        return "directory";
    if (S_ISLNK(m))
        return "symlink";
    return "other";
}

static void add_entry_fields(struct rec *r, const char *path, const struct stat *st)
{
    char buf[4096];
    const char *slash = strrchr(path, '/');
    const char *name = slash && slash[1] ? slash + 1 : path;
    rec_add_str(r, "name", name);
    rec_add_str(r, "path", path);
    rec_add_str(r, "type", type_name(st->st_mode));
    rec_add_int(r, "size", (int64_t)st->st_size);
    snprintf(buf, sizeof buf, "%o", (unsigned)(st->st_mode & 07777));
    rec_add_str(r, "mode", buf);
    rec_add_int(r, "mtime_ns", (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec);
    if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlink(path, buf, sizeof buf);
        if (n >= 0 && (size_t)n < sizeof buf)
            rec_add(r, "target", buf, (size_t)n);
    }
}

/* Parses `path`; answers ERROR itself and returns -1 when it is bad. */
static int request_path(uint32_t sid, const uint8_t *p, size_t n, const char *what,
                        char *out, size_t outsz)
{
    const uint8_t *v;
    size_t vl;
    if (!rec_find(p, n, "path", &v, &vl)) {
        send_error(sid, EINVAL, "%s: `path` is missing", what);
        return -1;
    }
    int err = resolve_path(v, vl, out, outsz);
    if (err) {
        send_error(sid, err, "%s: bad path '%.*s'", what, (int)(vl > 200 ? 200 : vl), (const char *)v);
        return -1;
    }
    return 0;
}

static int refuse_if_frozen(uint32_t sid, const char *what)
{
    if (!agent.frozen)
        return 0;
    /* Writing to a frozen filesystem would block the whole agent. */
    send_error(sid, EBUSY, "%s: filesystems are frozen", what);
    return 1;
}

static void unexpected_frame(struct stream *s, uint8_t type, const uint8_t *p, size_t n)
{
    (void)p;
    (void)n;
    stream_fail(s, EINVAL, "frame type 0x%02x does not belong to this stream", type);
}

/* ---------- READ ---------- */

struct read_st {
    int fd;
    int64_t sent;
    char path[4096];
};

static void read_release(struct stream *s)
{
    struct read_st *r = s->priv;
    close(r->fd);
    free(r);
}

static int read_work(struct stream *s)
{
    struct read_st *rs = s->priv;
    if (!stream_can_send(s))
        return 0;
    size_t max = s->credit < READ_CHUNK ? (size_t)s->credit : READ_CHUNK;
    uint8_t *buf = out_reserve(max);
    if (!buf)
        return 0;
    ssize_t r = read(rs->fd, buf, max);
    if (r > 0) {
        out_commit(T_DATA, s->id, (size_t)r);
        s->credit -= r;
        rs->sent += r;
        return 1;
    }
    if (r == 0) {
        struct rec e;
        rec_init(&e);
        rec_add_int(&e, "size", rs->sent);
        send_rec(T_END, s->id, &e);
        stream_end(s);
        return 0;
    }
    if (errno == EINTR || errno == EAGAIN)
        return 1;
    stream_fail(s, errno, "read %.300s: %s", rs->path, strerror(errno));
    return 0;
}

static const struct stream_ops read_ops = {
    .release = read_release,
    .frame = unexpected_frame,
    .work = read_work,
};

void read_request(uint32_t sid, const uint8_t *p, size_t n)
{
    char path[4096];
    struct stat st;
    if (request_path(sid, p, n, "READ", path, sizeof path))
        return;
    /* O_NONBLOCK: opening a FIFO must not hang the agent. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        send_error(sid, errno, "read %.300s: %s", path, strerror(errno));
        return;
    }
    if (fstat(fd, &st) < 0)
        st.st_mode = 0;
    if (!S_ISREG(st.st_mode)) {
        int err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        send_error(sid, err, "read %.300s: %s", path,
                   err == EISDIR ? "is a directory" : "not a regular file");
        close(fd);
        return;
    }
    struct read_st *rs = calloc(1, sizeof *rs);
    if (!rs) {
        close(fd);
        send_error(sid, ENOMEM, "out of memory");
        return;
    }
    rs->fd = fd;
    snprintf(rs->path, sizeof rs->path, "%s", path);
    if (!stream_open(sid, SK_READ, &read_ops, rs)) {
        close(fd);
        free(rs);
    }
}

/* ---------- WRITE ---------- */

struct write_st {
    int fd;
    int64_t written;
    char path[4096];
    char tmp[4096];   /* atomic: the file being written, renamed over path at WRITE_END */
};

static void write_release(struct stream *s)
{
    struct write_st *w = s->priv;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp[0])   /* an atomic write that did not finish leaves nothing behind */
        unlink(w->tmp);
    free(w);
}

static void write_frame(struct stream *s, uint8_t type, const uint8_t *p, size_t n)
{
    struct write_st *w = s->priv;
    if (type == T_WRITE_DATA) {
        if (!stream_take_window(s, n))
            return;
        for (size_t off = 0; off < n;) {
            ssize_t r = write(w->fd, p + off, n - off);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                int err = r < 0 ? errno : EIO;
                stream_fail(s, err, "write %.300s: %s", w->path, strerror(err));
                return;
            }
            off += (size_t)r;
        }
        w->written += (int64_t)n;
        stream_consumed(s, n, 1);
        return;
    }
    if (type == T_WRITE_END) {
        int fd = w->fd;
        w->fd = -1;
        if (close(fd) < 0) {   /* delayed write errors surface here */
            stream_fail(s, errno, "write %.300s: %s", w->path, strerror(errno));
            return;
        }
        if (w->tmp[0]) {
            if (rename(w->tmp, w->path) < 0) {
                stream_fail(s, errno, "write %.300s: %s", w->path, strerror(errno));
                return;
            }
            w->tmp[0] = 0;
        }
        struct rec r;
        rec_init(&r);
        rec_add_int(&r, "size", w->written);
        send_ok(s->id, &r);
        stream_end(s);
        return;
    }
    unexpected_frame(s, type, p, n);
}

static const struct stream_ops write_ops = {
    .release = write_release,
    .frame = write_frame,
};

static int parse_mode(const uint8_t *v, size_t n, mode_t *out)
{
    unsigned m = 0;
    if (n == 0 || n > 6)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '7')
            return -1;
        m = m * 8 + (unsigned)(v[i] - '0');
    }
    if (m > 07777)
        return -1;
    *out = (mode_t)m;
    return 0;
}

/* Opens a hidden file beside `path` for an atomic write: `.<name>.wrenn-XXXXXX`. The file to be
 * replaced must be a regular file (or not exist); the new one gets its mode unless one is given. */
static int open_atomic(const char *path, char *tmp, size_t tmpsz, mode_t *mode, int have_mode)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return -EISDIR;
        if (!S_ISREG(st.st_mode))
            return -EINVAL;
        if (!have_mode)
            *mode = st.st_mode & 07777;
    } else if (errno != ENOENT) {
        return -errno;
    }
    const char *slash = strrchr(path, '/');
    int len = snprintf(tmp, tmpsz, "%.*s/.%s.wrenn-XXXXXX", (int)(slash - path), path, slash + 1);
    if (len < 0 || (size_t)len >= tmpsz) {
        tmp[0] = 0;
        return -ENAMETOOLONG;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        tmp[0] = 0;
        return -err;
    }
    return fd;
}

void write_request(uint32_t sid, const uint8_t *p, size_t n)
{
    char path[4096], tmp[4096] = "";
    struct stat st;
    mode_t mode = 0644;
    int append = 0, atomic = 0, have_mode, fd;
    const uint8_t *v;
    size_t vl;

    if (request_path(sid, p, n, "WRITE", path, sizeof path) || refuse_if_frozen(sid, "WRITE"))
        return;
    have_mode = rec_find(p, n, "mode", &v, &vl);
    if ((have_mode && parse_mode(v, vl, &mode)) || rec_get_bool(p, n, "append", &append) < 0 ||
        rec_get_bool(p, n, "atomic", &atomic) < 0 || (append && atomic)) {
        send_error(sid, EINVAL, "WRITE: `mode` must be octal digits, `append` and `atomic` 0 or 1, not both 1");
        return;
    }
    int err = mkdir_parents(path);
    if (err) {
        send_error(sid, err, "write %.300s: cannot create its directory: %s", path, strerror(err));
        return;
    }
    if (atomic) {
        fd = open_atomic(path, tmp, sizeof tmp, &mode, have_mode);
        if (fd < 0) {
            send_error(sid, -fd, "write %.300s: %s", path, strerror(-fd));
            return;
        }
        have_mode = 1;   /* mkostemp made it 0600: the mode is set below */
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                        (append ? O_APPEND : O_TRUNC), mode);
        if (fd < 0) {
            send_error(sid, errno, "write %.300s: %s", path, strerror(errno));
            return;
        }
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        send_error(sid, EINVAL, "write %.300s: not a regular file", path);
        close(fd);
        return;
    }
    /* An explicit mode applies to an existing file too (open only sets it
     * on creation, through the umask). */
    if (have_mode && fchmod(fd, mode) < 0) {
        send_error(sid, errno, "chmod %.300s: %s", path, strerror(errno));
        close(fd);
        if (tmp[0])
            unlink(tmp);
        return;
    }
    struct write_st *w = calloc(1, sizeof *w);
    if (!w) {
        close(fd);
        if (tmp[0])
            unlink(tmp);
        send_error(sid, ENOMEM, "out of memory");
        return;
    }
    w->fd = fd;
    snprintf(w->path, sizeof w->path, "%s", path);
    snprintf(w->tmp, sizeof w->tmp, "%s", tmp);
    struct stream *s = stream_open(sid, SK_WRITE, &write_ops, w);
    if (!s) {
        close(fd);
        if (tmp[0])
            unlink(tmp);
        free(w);
        return;
    }
    stream_grant(s, INITIAL_CREDIT);
}

/* ---------- STAT, MKDIR, REMOVE ---------- */

void stat_request(uint32_t sid, const uint8_t *p, size_t n)
{
    char path[4096];
    struct stat st;
    struct rec r;
    if (request_path(sid, p, n, "STAT", path, sizeof path))
        return;
    if (lstat(path, &st) < 0) {
        send_error(sid, errno, "stat %.300s: %s", path, strerror(errno));
        return;
    }
    rec_init(&r);
    add_entry_fields(&r, path, &st);
    send_ok(sid, &r);
}

void mkdir_request(uint32_t sid, const uint8_t *p, size_t n)
{
    char path[4096];
    struct stat st;
    struct rec r;
    if (request_path(sid, p, n, "MKDIR", path, sizeof path) || refuse_if_frozen(sid, "MKDIR"))
        return;
    if (lstat(path, &st) == 0) {
        send_error(sid, EEXIST, "mkdir %.300s: already exists", path);
        return;
    }
    int err = mkdir_parents(path);
    if (err || mkdir(path, 0755) < 0 || lstat(path, &st) < 0) {
        err = err ? err : errno;
        send_error(sid, err, "mkdir %.300s: %s", path, strerror(err));
        return;
    }
    rec_init(&r);
    add_entry_fields(&r, path, &st);
    send_ok(sid, &r);
}

/* nftw has no user pointer; REMOVE is not reentrant, so statics do. */
static int rm_err;
static char rm_failed[4096];

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int r = (type == FTW_DP || type == FTW_DNR) ? rmdir(path) : unlink(path);
    if (r < 0 && errno != ENOENT && !rm_err) {
        rm_err = errno;
        snprintf(rm_failed, sizeof rm_failed, "%s", path);
    }
    return 0;   /* like rm -r: remove what can be removed */
}

void remove_request(uint32_t sid, const uint8_t *p, size_t n)
{
    char path[4096];
    struct stat st;
    if (request_path(sid, p, n, "REMOVE", path, sizeof path) || refuse_if_frozen(sid, "REMOVE"))
        return;
    if (strcmp(path, "/") == 0) {
        send_error(sid, EINVAL, "remove /: refusing to remove the root");
        return;
    }
    if (lstat(path, &st) < 0) {
        send_error(sid, errno, "remove %.300s: %s", path, strerror(errno));
        return;
    }
    rm_err = 0;
    if (S_ISDIR(st.st_mode)) {
        /* Depth first, never following symlinks, never into other mounts. */
        if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && !rm_err) {
            rm_err = errno;
            snprintf(rm_failed, sizeof rm_failed, "%s", path);
        }
    } else if (unlink(path) < 0) {
        rm_err = errno;
        snprintf(rm_failed, sizeof rm_failed, "%s", path);
    }
    if (rm_err) {
        send_error(sid, rm_err, "remove %.300s: %s", rm_failed, strerror(rm_err));
        return;
    }
    send_ok(sid, NULL);
}

/* ---------- LIST ---------- */

struct list_level {
    char *dir;
    char **names;   /* sorted */
    size_t n, i;
};

struct list_st {
    struct list_level *lv;
    int nlv, cap;
    int maxdepth;
    int64_t count;
    size_t held;    /* names read and not yet listed, over all levels */
    int cut;        /* some names were never read: the listing is truncated */
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void join_path(char *out, size_t outsz, const char *dir, const char *name)
{
    snprintf(out, outsz, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
}

/* Reads and sorts a directory's names. Memory is bounded: no more names are
 * held than can still be listed. Returns 0 or an errno. */
static int list_push(struct list_st *ls, const char *dir)
{
    size_t budget = ls->count + (int64_t)ls->held >= LIST_MAX ? 0
                  : (size_t)(LIST_MAX - ls->count - (int64_t)ls->held);
    struct list_level lv = { 0 };
    size_t cap = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno;
    if (ls->nlv == ls->cap) {
        int ncap = ls->cap ? ls->cap * 2 : 8;
        struct list_level *nl = realloc(ls->lv, (size_t)ncap * sizeof *nl);
        if (!nl) {
            closedir(d);
            return ENOMEM;
        }
        ls->lv = nl;
        ls->cap = ncap;
    }
    lv.dir = strdup(dir);
    if (!lv.dir) {
        closedir(d);
        return ENOMEM;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (lv.n >= budget) {
            ls->cut = 1;
            break;
        }
        if (lv.n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(lv.names, ncap * sizeof *nn);
            if (!nn)
                break;
            lv.names = nn;
            cap = ncap;
        }
        if (!(lv.names[lv.n] = strdup(de->d_name)))
            break;
        lv.n++;
    }
    closedir(d);
    if (lv.n > 1)
        qsort(lv.names, lv.n, sizeof *lv.names, cmp_names);
    ls->held += lv.n;
    ls->lv[ls->nlv++] = lv;
    return 0;
}

static void list_pop(struct list_st *ls)
{
    struct list_level *lv = &ls->lv[--ls->nlv];
    for (size_t i = 0; i < lv->n; i++)
        free(lv->names[i]);
    ls->held -= lv->n - lv->i;
    free(lv->names);
    free(lv->dir);
}

static void list_release(struct stream *s)
{
    struct list_st *ls = s->priv;
    while (ls->nlv > 0)
        list_pop(ls);
    free(ls->lv);
    free(ls);
}

static void list_end(struct stream *s, int truncated)
{
    struct list_st *ls = s->priv;
    struct rec r;
    rec_init(&r);
    rec_add_int(&r, "count", ls->count);
    rec_add_int(&r, "truncated", truncated || ls->cut);
    send_rec(T_END, s->id, &r);
    stream_end(s);
}

/* Sends one ENTRIES frame: depth first, pre-order, sorted by name within a
 * directory; symlinks are listed, never followed. */
static int list_work(struct stream *s)
{
    struct list_st *ls = s->priv;
    struct rec batch;
    char path[4096 + 256];
    int done = 0, truncated = 0;
    if (!stream_can_send(s))
        return 0;
    size_t limit = s->credit < LIST_FRAME ? (size_t)s->credit : LIST_FRAME;
    rec_init(&batch);
    while (!batch.err) {
        if (ls->nlv == 0) {
            done = 1;
            break;
        }
        struct list_level *lv = &ls->lv[ls->nlv - 1];
        if (lv->i == lv->n) {
            list_pop(ls);
            continue;
        }
        struct stat st;
        join_path(path, sizeof path, lv->dir, lv->names[lv->i]);
        if (lstat(path, &st) < 0) {   /* gone since readdir */
            lv->i++;
            ls->held--;
            continue;
        }
        if (ls->count >= LIST_MAX) {
            done = truncated = 1;
            break;
        }
        struct rec ent;
        rec_init(&ent);
        add_entry_fields(&ent, path, &st);
        if (batch.len + ent.len + 11 > limit) {
            rec_free(&ent);
            break;   /* next frame (under more credit, if need be) */
        }
        rec_add_rec(&batch, "entry", &ent);
        rec_free(&ent);
        lv->i++;
        ls->held--;
        ls->count++;
        if (S_ISDIR(st.st_mode) && ls->nlv < ls->maxdepth)
            list_push(ls, path);   /* an unreadable subdirectory is listed, not entered */
    }
    if (batch.err) {
        rec_free(&batch);
        stream_fail(s, ENOMEM, "out of memory");
        return 0;
    }
    int sent = batch.len > 0;
    if (sent) {
        s->credit -= (int64_t)batch.len;
        send_rec(T_ENTRIES, s->id, &batch);
    } else {
        rec_free(&batch);
    }
    if (done) {
        list_end(s, truncated);
        return 0;
    }
    /* Nothing sent means the credit is too small for the next entry: wait
     * for CREDIT instead of spinning. */
    return sent && stream_can_send(s);
}

static const struct stream_ops list_ops = {
    .release = list_release,
    .frame = unexpected_frame,
    .work = list_work,
};

void list_request(uint32_t sid, const uint8_t *p, size_t n)
{
    char path[4096];
    struct stat st;
    int64_t depth = 1;
    if (request_path(sid, p, n, "LIST", path, sizeof path))
        return;
    if (rec_get_int(p, n, "depth", &depth) < 0 || depth < 1) {
        send_error(sid, EINVAL, "LIST: `depth` must be a number >= 1");
        return;
    }
    if (stat(path, &st) < 0) {
        send_error(sid, errno, "list %.300s: %s", path, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        send_error(sid, ENOTDIR, "list %.300s: not a directory", path);
        return;
    }
    struct list_st *ls = calloc(1, sizeof *ls);
    if (!ls) {
        send_error(sid, ENOMEM, "out of memory");
        return;
    }
    ls->maxdepth = depth > 4096 ? 4096 : (int)depth;
    int err = list_push(ls, path);
    if (err) {
        send_error(sid, err, "list %.300s: %s", path, strerror(err));
        free(ls->lv);
        free(ls);
        return;
    }
    if (!stream_open(sid, SK_LIST, &list_ops, ls)) {
        while (ls->nlv > 0)
            list_pop(ls);
        free(ls->lv);
        free(ls);
    }
}
