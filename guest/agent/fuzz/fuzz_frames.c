/*
 * libFuzzer target: the bytes the host side of the port could send the guest agent, through the
 * code the agent reads them with (frame_scan, as conn.c uses it, and the record parser every
 * request goes through). Crashes, hangs, reads out of bounds and leaks are findings.
 *   make -C guest/agent fuzz [FUZZ_SECONDS=30]
 */
#include <stdint.h>
#include <stdlib.h>

#include "../src/proto.h"

/* Every value as a number and a string, and as a nested record where it is one (bounded depth). */
static void walk_record(const uint8_t *p, size_t n, int depth)
{
    struct rec_iter it;
    const char *k;
    size_t kl, vl;
    const uint8_t *v;
    if (!rec_valid(p, n))
        return;
    rec_iter_init(&it, p, n);
    while (rec_next(&it, &k, &kl, &v, &vl)) {
        int64_t num;
        (void)parse_int(v, vl, &num);
        free(value_dup(v, vl));
        if (depth < 4)
            walk_record(v, vl, depth + 1);
    }
    /* the typed getters requests use */
    int64_t i;
    int b;
    char *s = NULL;
    (void)rec_get_int(p, n, "timeout_ms", &i);
    (void)rec_get_bool(p, n, "pty", &b);
    if (rec_get_str(p, n, "cmd", &s) > 0)
        free(s);
    const uint8_t *found;
    size_t found_len;
    (void)rec_find(p, n, "entropy", &found, &found_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        int whole;
        size_t n = frame_scan(data + pos, size - pos, &whole);
        if (n == 0)
            break;   /* a frame cut off at the end: the agent would wait for the rest */
        if (whole)
            walk_record(data + pos + HDR_LEN, n - HDR_LEN, 0);
        pos += n;
    }
    return 0;
}
