/* Frame headers and records (docs/guest-protocol.md sections 1 and 2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

void frame_header(uint8_t *hdr, uint8_t type, uint32_t stream, uint32_t len)
{
    hdr[0] = FRAME_MAGIC0;
    hdr[1] = FRAME_MAGIC1;
    hdr[2] = type;
    hdr[3] = 0;
    put_be32(hdr + 4, stream);
    put_be32(hdr + 8, len);
}

size_t frame_scan(const uint8_t *p, size_t avail, int *found)
{
    *found = 0;
    if (p[0] != FRAME_MAGIC0) {   /* not a frame: skip to the next 'W' */
        const uint8_t *q = avail > 1 ? memchr(p + 1, FRAME_MAGIC0, avail - 1) : NULL;
        return q ? (size_t)(q - p) : avail;
    }
    if (avail < 2)
        return 0;
    if (p[1] != FRAME_MAGIC1)
        return 1;
    if (avail < HDR_LEN)
        return 0;
    uint32_t len = get_be32(p + 8);
    if (len > MAX_PAYLOAD)   /* not a frame either: drop one byte */
        return 1;
    if (avail < HDR_LEN + len)
        return 0;
    *found = 1;
    return HDR_LEN + len;
}

void rec_init(struct rec *r)
{
    r->p = NULL;
    r->len = r->cap = 0;
    r->err = 0;
}

void rec_free(struct rec *r)
{
    free(r->p);
    rec_init(r);
}

void rec_add(struct rec *r, const char *key, const void *val, size_t vlen)
{
    size_t klen = strlen(key);
    if (r->err)
        return;
    /* A record must fit in one frame's payload. */
    if (klen == 0 || klen > 255 || vlen > MAX_PAYLOAD ||
        r->len + 6 + klen + vlen > MAX_PAYLOAD) {
        r->err = E2BIG;
        return;
    }
    size_t need = r->len + 6 + klen + vlen;
    if (need > r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        while (cap < need)
            cap *= 2;
        uint8_t *np = realloc(r->p, cap);
        if (!np) {
            r->err = ENOMEM;
            return;
        }
        r->p = np;
        r->cap = cap;
    }
    uint8_t *w = r->p + r->len;
    w[0] = (uint8_t)(klen >> 8);
    w[1] = (uint8_t)klen;
    memcpy(w + 2, key, klen);
    put_be32(w + 2 + klen, (uint32_t)vlen);
    if (vlen)
        memcpy(w + 6 + klen, val, vlen);
    r->len = need;
}

void rec_add_str(struct rec *r, const char *key, const char *val)
{
    rec_add(r, key, val, strlen(val));
}

void rec_add_int(struct rec *r, const char *key, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    rec_add(r, key, buf, (size_t)n);
}

void rec_add_rec(struct rec *r, const char *key, const struct rec *sub)
{
    if (sub->err) {
        if (!r->err)
            r->err = sub->err;
        return;
    }
    rec_add(r, key, sub->p, sub->len);
}

/* Walks the whole payload once so that later accessors can trust lengths. */
int rec_valid(const uint8_t *p, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        if (len - pos < 2)
            return 0;
        size_t klen = (size_t)p[pos] << 8 | p[pos + 1];
        if (klen == 0 || klen > 255 || len - pos - 2 < klen + 4)
            return 0;
        pos += 2 + klen;
        uint32_t vlen = get_be32(p + pos);
        pos += 4;
        if (vlen > MAX_PAYLOAD || vlen > len - pos)
            return 0;
        pos += vlen;
    }
    return 1;
}

void rec_iter_init(struct rec_iter *it, const uint8_t *p, size_t len)
{
    it->p = p;
    it->len = len;
    it->pos = 0;
}

int rec_next(struct rec_iter *it, const char **key, size_t *klen,
             const uint8_t **val, size_t *vlen)
{
    if (it->pos >= it->len)
        return 0;
    const uint8_t *e = it->p + it->pos;
    *klen = (size_t)e[0] << 8 | e[1];
    *key = (const char *)e + 2;
    *vlen = get_be32(e + 2 + *klen);
    *val = e + 6 + *klen;
    it->pos += 6 + *klen + *vlen;
    return 1;
}

int rec_key_is(const char *key, size_t klen, const char *want)
{
    return strlen(want) == klen && memcmp(key, want, klen) == 0;
}

int rec_find(const uint8_t *p, size_t len, const char *key,
             const uint8_t **val, size_t *vlen)
{
    struct rec_iter it;
    const char *k;
    size_t kl;
    rec_iter_init(&it, p, len);
    while (rec_next(&it, &k, &kl, val, vlen))
        if (rec_key_is(k, kl, key))
            return 1;
    return 0;
}

/* Integers are ASCII decimal, -?[0-9]{1,19}, and must fit an int64. */
int parse_int(const uint8_t *v, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t acc = 0;
    if (n > 0 && v[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (n - i < 1 || n - i > 19)
        return -1;
    for (; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        acc = acc * 10 + (uint64_t)(v[i] - '0');   /* 19 digits cannot wrap */
    }
    if (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

int rec_get_int(const uint8_t *p, size_t len, const char *key, int64_t *out)
{
    const uint8_t *v;
    size_t vl;
    if (!rec_find(p, len, key, &v, &vl))
        return 0;
    return parse_int(v, vl, out) == 0 ? 1 : -1;
}

int rec_get_bool(const uint8_t *p, size_t len, const char *key, int *out)
{
    int64_t v;
    int r = rec_get_int(p, len, key, &v);
    if (r <= 0)
        return r;
    if (v != 0 && v != 1)
        return -1;
    *out = (int)v;
    return 1;
}

char *value_dup(const uint8_t *v, size_t n)
{
    if (memchr(v, 0, n))
        return NULL;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, v, n);
    s[n] = 0;
    return s;
}

int rec_get_str(const uint8_t *p, size_t len, const char *key, char **out)
{
    const uint8_t *v;
    size_t vl;
    if (!rec_find(p, len, key, &v, &vl))
        return 0;
    char *s = value_dup(v, vl);
    if (!s)
        return -1;
    *out = s;
    return 1;
}

const char *errno_name(int err)
{
    static const struct { int err; const char *name; } names[] = {
        {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EINTR, "EINTR"},
        {EIO, "EIO"}, {ENXIO, "ENXIO"}, {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"},
        {EBADF, "EBADF"}, {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
        {EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"},
        {EXDEV, "EXDEV"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
        {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ENOTTY, "ENOTTY"},
        {ETXTBSY, "ETXTBSY"}, {EFBIG, "EFBIG"}, {ENOSPC, "ENOSPC"}, {ESPIPE, "ESPIPE"},
        {EROFS, "EROFS"}, {EMLINK, "EMLINK"}, {EPIPE, "EPIPE"}, {ERANGE, "ERANGE"},
        {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"},
        {ELOOP, "ELOOP"}, {EOVERFLOW, "EOVERFLOW"}, {EOPNOTSUPP, "EOPNOTSUPP"},
        {ETIMEDOUT, "ETIMEDOUT"}, {EDQUOT, "EDQUOT"}, {ECANCELED, "ECANCELED"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].err == err)
            return names[i].name;
    return "EUNKNOWN";
}
