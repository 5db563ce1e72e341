/* Frame and record codec of docs/guest-protocol.md, sections 1-3. */
#ifndef WRENN_PROTO_H
#define WRENN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAGIC0 0x57 /* 'W' */
#define FRAME_MAGIC1 0x52 /* 'R' */
#define HDR_LEN 12
#define MAX_PAYLOAD (1u << 20)
#define MAX_STREAM_ID 0x7fffffffu

enum msg_type {
    /* host -> guest */
    T_HELLO = 0x01, T_INIT = 0x02, T_PING = 0x03, T_CLOSE = 0x05, T_CREDIT = 0x06,
    T_EXEC = 0x10, T_STDIN = 0x11, T_STDIN_CLOSE = 0x12, T_RESIZE = 0x13,
    T_SIGNAL = 0x14, T_PS = 0x15, T_ATTACH = 0x16,
    T_READ = 0x20, T_WRITE = 0x21, T_WRITE_DATA = 0x22, T_WRITE_END = 0x23,
    T_STAT = 0x24, T_LIST = 0x25, T_MKDIR = 0x26, T_REMOVE = 0x27,
    T_FREEZE = 0x30, T_THAW = 0x31,
    /* guest -> host */
    T_OK = 0x80, T_HELLO_ACK = 0x81, T_ERROR = 0x82,
    T_STDOUT = 0x90, T_STDERR = 0x91, T_EXIT = 0x92, T_REPLAY = 0x93,
    T_DATA = 0xA0, T_END = 0xA1, T_ENTRIES = 0xA2,
};

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

void frame_header(uint8_t *hdr, uint8_t type, uint32_t stream, uint32_t len);

/* Scans p[0..avail) (avail >= 1) for the host's next frame, resynchronising on garbage: returns
 * how many bytes to consume, with *found = 1 when they are one whole frame starting at p; 0 bytes
 * when more input is needed first. */
size_t frame_scan(const uint8_t *p, size_t avail, int *found);

/* A record being built. Any failure (no memory, over MAX_PAYLOAD) sets err
 * and further adds are ignored; the sender then reports the failure. */
struct rec {
    uint8_t *p;
    size_t len, cap;
    int err;
};

void rec_init(struct rec *r);
void rec_free(struct rec *r);
void rec_add(struct rec *r, const char *key, const void *val, size_t vlen);
void rec_add_str(struct rec *r, const char *key, const char *val);
void rec_add_int(struct rec *r, const char *key, int64_t v);
void rec_add_rec(struct rec *r, const char *key, const struct rec *sub);

/* Reading. A payload is checked once with rec_valid(); the accessors below
 * assume a valid record. */
struct rec_iter {
    const uint8_t *p;
    size_t len, pos;
};
int rec_valid(const uint8_t *p, size_t len);
void rec_iter_init(struct rec_iter *it, const uint8_t *p, size_t len);
int rec_next(struct rec_iter *it, const char **key, size_t *klen,
             const uint8_t **val, size_t *vlen);
int rec_key_is(const char *key, size_t klen, const char *want);
/* First entry with this key: 1 found, 0 absent. */
int rec_find(const uint8_t *p, size_t len, const char *key,
             const uint8_t **val, size_t *vlen);

/* Typed getters: 0 = absent (out untouched), 1 = found, -1 = malformed. */
int rec_get_int(const uint8_t *p, size_t len, const char *key, int64_t *out);
int rec_get_bool(const uint8_t *p, size_t len, const char *key, int *out);
/* Copies a value as a C string; malformed if it holds a NUL byte. */
int rec_get_str(const uint8_t *p, size_t len, const char *key, char **out);

int parse_int(const uint8_t *v, size_t n, int64_t *out);   /* 0 ok, -1 bad */
char *value_dup(const uint8_t *v, size_t n);  /* NULL: NUL inside or no memory */

const char *errno_name(int err);

#endif
