/*
 * Protocol tests for wrenn-agent in --stdio mode.
 *   agent-test PATH-TO-wrenn-agent [NAME-SUBSTRING]
 * Each test gets a fresh agent; after the test the harness closes the
 * agent's stdin and requires a clean exit 0. Prints one line per test and
 * ends with "N passed, M failed".
 */
#include "harness.h"

/* Deterministic test data: xorshift32 bytes. */
static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed ? seed : 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static void path_in(char *out, size_t sz, const char *rel)
{
    snprintf(out, sz, "%s/%s", tmp_root, rel);
}

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Gone = no such process, or a zombie (dead; its new parent may reap it late). */
static int process_gone(long long pid, int within_ms)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%lld/stat", pid);
    for (int i = 0; i < within_ms / 10; i++) {
        FILE *f = fopen(path, "r");
        if (!f)
            return 1;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        const char *paren = strrchr(buf, ')');
        if (paren && paren[1] == ' ' && paren[2] == 'Z')
            return 1;
        usleep(10000);
    }
    return 0;
}

/* ---------- connection and framing ---------- */

static int t_hello_echoes_nonce(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    const uint8_t nonce[] = { 'n', '-', 0, 0xff, 0x57, 0x52, 42 };
    size_t vl;
    rb_add(&r, "nonce", nonce, sizeof nonce);
    send_rec(a, HELLO, 0, &r);
    EXPECT(a, &f, HELLO_ACK, 0, 3000);
    const uint8_t *v = rec_get_nth(f.p, f.n, "nonce", 0, &vl);
    CHECK(v && vl == sizeof nonce && memcmp(v, nonce, vl) == 0, "nonce not echoed byte for byte");
    CHECK(fint(&f, "version", -1) == 2, "version is %s", fstr(&f, "version"));
    return 0;
}

static int t_resync_after_garbage(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    /* junk, a lone 'W', "WW", and a "WR" header with an absurd length */
    const uint8_t junk[] = "hello\0\xffW\x01WWx" "WR\x03\x00\x00\x00\x00\x01\xff\xff\xff\xff";
    CHECK(send_raw(a, junk, sizeof junk - 1) == 0, "send failed");
    rb_str(&r, "nonce", "after-garbage");
    send_rec(a, HELLO, 0, &r);
    EXPECT(a, &f, HELLO_ACK, 0, 3000);
    CHECK(strcmp(fstr(&f, "nonce"), "after-garbage") == 0, "nonce '%s'", fstr(&f, "nonce"));
    return 0;
}

static int expect_error(struct ag *a, uint32_t sid, const char *code)
{
    struct frame f;
    EXPECT(a, &f, ERROR, sid, 5000);
    CHECK(strcmp(fstr(&f, "code"), code) == 0, "stream %u: wanted %s, got %s (%s)", sid, code,
          fstr(&f, "code"), fstr(&f, "message"));
    CHECK(fint(&f, "errno", 0) > 0, "errno missing");
    return 0;
}

static int t_malformed_frames_are_survived(struct ag *a)
{
    struct rb r = { 0 };
    /* wrong magic */
    const uint8_t bad_magic[] = { 'X', 'R', PING, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
    CHECK(send_raw(a, bad_magic, sizeof bad_magic) == 0, "send");
    /* oversized length */
    const uint8_t big[] = { 'W', 'R', PING, 0, 0, 0, 0, 2, 0, 0x10, 0, 1 };
    CHECK(send_raw(a, big, sizeof big) == 0, "send");
    /* key length 0 */
    const uint8_t zero_key[] = { 0, 0, 0, 0, 0, 1, 'x' };
    send_frame(a, STAT, 5, zero_key, sizeof zero_key);
    if (expect_error(a, 5, "EINVAL"))
        return 1;
    /* value length runs past the payload */
    const uint8_t past[] = { 0, 4, 'p', 'a', 't', 'h', 0, 0, 0, 99, '/' };
    send_frame(a, STAT, 6, past, sizeof past);
    if (expect_error(a, 6, "EINVAL"))
        return 1;
    /* a bad number, a missing program */
    rb_str(&r, "arg", "true");
    rb_str(&r, "timeout_ms", "12x");
    send_rec(a, EXEC, 7, &r);
    if (expect_error(a, 7, "EINVAL"))
        return 1;
    rb_str(&r, "cwd", "/");
    send_rec(a, EXEC, 8, &r);
    if (expect_error(a, 8, "EINVAL"))
        return 1;
    /* an integer that overflows int64 */
    rb_str(&r, "arg", "true");
    rb_str(&r, "timeout_ms", "99999999999999999999");
    send_rec(a, EXEC, 9, &r);
    if (expect_error(a, 9, "EINVAL"))
        return 1;
    /* requests on stream 0 and on an id over 2^31-1 */
    send_frame(a, STAT, 0, NULL, 0);
    if (expect_error(a, 0, "EINVAL"))
        return 1;
    send_frame(a, PING, 0x80000001u, NULL, 0);
    if (expect_error(a, 0x80000001u, "EINVAL"))
        return 1;
    /* a truncated frame, completed only later by filler */
    const uint8_t part[] = { 'W', 'R', 0x7f, 0, 0, 0, 0, 10, 0, 0, 0, 40, 1, 2, 3 };
    CHECK(send_raw(a, part, sizeof part) == 0, "send");
    usleep(200000);
    uint8_t filler[37] = { 0 };
    CHECK(send_raw(a, filler, sizeof filler) == 0, "send");
    if (expect_error(a, 10, "ENOSYS"))
        return 1;
    /* a maximal frame of garbage */
    uint8_t *max = malloc(MAX_PAYLOAD);
    pattern(max, MAX_PAYLOAD, 7);
    send_frame(a, 0x7e, 11, max, MAX_PAYLOAD);
    free(max);
    if (expect_error(a, 11, "ENOSYS"))
        return 1;
    /* a frame for a stream nobody opened is ignored */
    send_frame(a, STDIN, 12, "x", 1);
    send_credit(a, 12, 5);
    send_frame(a, CREDIT, 13, "\xff\xff", 2);
    if (!ping_ok(a, 100))
        return 1;
    return 0;
}

static int t_truncated_frame_then_eof_exits_cleanly(struct ag *a)
{
    const uint8_t part[] = { 'W', 'R', PING, 0, 0, 0, 0, 1, 0, 0, 1 };
    CHECK(send_raw(a, part, sizeof part) == 0, "send");
    return 0;   /* the runner closes stdin and wants exit status 0 */
}

static int t_unknown_type_is_enosys(struct ag *a)
{
    send_frame(a, 0x7e, 3, NULL, 0);
    if (expect_error(a, 3, "ENOSYS"))
        return 1;
    if (!ping_ok(a, 4))
        return 1;
    return 0;
}

static int t_duplicate_stream_id_is_einval(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    send_rec(a, EXEC, 7, &r);
    EXPECT(a, &f, OK, 7, 3000);
    long long pid = fint(&f, "pid", -1);
    send_frame(a, PING, 7, NULL, 0);
    if (expect_error(a, 7, "EINVAL"))
        return 1;
    /* both sides consider stream 7 over: its process is gone, no EXIT */
    CHECK(process_gone(pid, 3000), "process %lld of the ended stream still runs", pid);
    if (!ping_ok(a, 7))
        return 1;
    return 0;
}

/* ---------- exec ---------- */

static int t_exec_separates_stdout_stderr_and_exit_code(struct ag *a)
{
    struct exec_result res;
    const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
    if (run_exec(a, 1, argv, NULL, &res, 5000))
        return 1;
    CHECK(strcmp(res.out, "out\n") == 0, "stdout '%s'", res.out);
    CHECK(strcmp(res.err, "err\n") == 0, "stderr '%s'", res.err);
    CHECK(res.exit_code == 3 && res.signal == 0 && res.timed_out == 0, "exit %d signal %d timed_out %d",
          res.exit_code, res.signal, res.timed_out);
    exec_result_free(&res);
    return 0;
}

static int t_exec_with_env_cwd_and_stdin(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    char dir[300], out[8192] = "";
    size_t out_len = 0;
    path_in(dir, sizeof dir, "cwd test");
    mkdir(dir, 0755);
    rb_str(&r, "arg", "sh");
    rb_str(&r, "arg", "-c");
    rb_str(&r, "arg", "pwd; echo \"$FOO|$LANG|$HOME\"; cat");
    rb_str(&r, "env", "FOO=bar baz");
    rb_str(&r, "cwd", dir);
    rb_str(&r, "stdin", "1");
    send_rec(a, EXEC, 2, &r);
    EXPECT(a, &f, OK, 2, 3000);
    EXPECT(a, &f, CREDIT, 2, 3000);
    CHECK(fint(&f, "bytes", 0) == 1048576, "initial stdin credit %s", fstr(&f, "bytes"));
    send_frame(a, STDIN, 2, "hello\n", 6);
    send_frame(a, STDIN, 2, "world", 5);
    send_frame(a, STDIN_CLOSE, 2, NULL, 0);
    for (;;) {
        int rc = recv_frame(a, &f, 5000);
        CHECK(rc > 0, "no EXIT");
        if (f.type == CREDIT)
            continue;
        CHECK(f.stream == 2, "frame on stream %u", f.stream);
        if (f.type == EXIT)
            break;
        CHECK(f.type == STDOUT && out_len + f.n < sizeof out, "unexpected %s: %s", type_name(f.type),
              fstr(&f, "message"));
        memcpy(out + out_len, f.p, f.n);
        out_len += f.n;
        out[out_len] = 0;
    }
    CHECK(fint(&f, "exit_code", -1) == 0, "exit code %s", fstr(&f, "exit_code"));
    char want[1024];
    snprintf(want, sizeof want, "%s\nbar baz|C.UTF-8|%s/home\nhello\nworld", dir, tmp_root);
    CHECK(strcmp(out, want) == 0, "output '%s', wanted '%s'", out, want);

    /* a relative cwd is relative to the home dir */
    struct exec_result res;
    const char *argv[] = { "pwd", NULL };
    char sub[300];
    path_in(sub, sizeof sub, "home/sub");
    mkdir(sub, 0755);
    rb_str(&r, "cwd", "sub");
    if (run_exec(a, 3, argv, &r, &res, 5000))
        return 1;
    snprintf(want, sizeof want, "%s\n", sub);
    CHECK(strcmp(res.out, want) == 0, "pwd '%s', wanted '%s'", res.out, want);
    exec_result_free(&res);
    return 0;
}

static int t_exec_missing_program_or_cwd_is_enoent(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "arg", "no-such-program-wrenn");
    send_rec(a, EXEC, 1, &r);
    EXPECT(a, &f, ERROR, 1, 3000);
    CHECK(strcmp(fstr(&f, "code"), "ENOENT") == 0, "code %s", fstr(&f, "code"));
    CHECK(strstr(fstr(&f, "message"), "no-such-program-wrenn"), "message '%s'", fstr(&f, "message"));
    rb_str(&r, "arg", "/no/such/dir/prog");
    send_rec(a, EXEC, 2, &r);
    if (expect_error(a, 2, "ENOENT"))
        return 1;
    rb_str(&r, "arg", "true");
    rb_str(&r, "cwd", "/no-such-dir-wrenn");
    send_rec(a, EXEC, 3, &r);
    EXPECT(a, &f, ERROR, 3, 3000);
    CHECK(strcmp(fstr(&f, "code"), "ENOENT") == 0, "code %s", fstr(&f, "code"));
    CHECK(strstr(fstr(&f, "message"), "/no-such-dir-wrenn"), "message '%s'", fstr(&f, "message"));
    /* not executable */
    char path[300];
    path_in(path, sizeof path, "notexec.sh");
    write_file(path, "#!/bin/sh\n", 10);
    rb_str(&r, "arg", path);
    send_rec(a, EXEC, 4, &r);
    if (expect_error(a, 4, "EACCES"))
        return 1;
    if (!ping_ok(a, 5))
        return 1;
    return 0;
}

static int t_exec_timeout_kills_fast(struct ag *a)
{
    struct exec_result res;
    struct rb r = { 0 };
    const char *argv[] = { "sleep", "10", NULL };
    rb_str(&r, "timeout_ms", "200");
    int64_t t0 = mono_ms();
    if (run_exec(a, 1, argv, &r, &res, 5000))
        return 1;
    int64_t took = mono_ms() - t0;
    CHECK(res.timed_out == 1 && res.exit_code == 124, "timed_out %d exit_code %d", res.timed_out,
          res.exit_code);
    CHECK(took < 2000, "took %lld ms", (long long)took);
    exec_result_free(&res);

    /* a grandchild that left the group keeps the pipes open: no matter */
    const char *argv2[] = { "sh", "-c", "setsid sleep 3 & exec sleep 10", NULL };
    rb_str(&r, "timeout_ms", "300");
    t0 = mono_ms();
    if (run_exec(a, 2, argv2, &r, &res, 5000))
        return 1;
    took = mono_ms() - t0;
    CHECK(res.timed_out == 1, "timed_out %d", res.timed_out);
    CHECK(took < 2000, "escaped grandchild delayed EXIT: %lld ms", (long long)took);
    exec_result_free(&res);
    return 0;
}

static int t_exec_killed_by_signal(struct ag *a)
{
    struct exec_result res;
    const char *argv[] = { "sh", "-c", "kill -KILL $$", NULL };
    if (run_exec(a, 1, argv, NULL, &res, 5000))
        return 1;
    CHECK(res.exit_code == 137 && res.signal == 9 && res.timed_out == 0, "exit %d signal %d",
          res.exit_code, res.signal);
    exec_result_free(&res);
    return 0;
}

static int t_exec_large_output_obeys_credit(struct ag *a)
{
    const size_t total = 20u << 20, window = 1u << 20;
    struct rb r = { 0 };
    struct frame f;
    char path[300];
    uint8_t *want = malloc(total);
    pattern(want, total, 12345);
    path_in(path, sizeof path, "big.bin");
    CHECK(write_file(path, want, total) == 0, "cannot write %s", path);
    rb_str(&r, "arg", "head");
    rb_str(&r, "arg", "-c");
    rb_int(&r, "arg", (long long)total);
    rb_str(&r, "arg", path);
    send_rec(a, EXEC, 9, &r);
    EXPECT(a, &f, OK, 9, 3000);

    size_t got = 0, granted = window;
    int stalled_checked = 0;
    int64_t deadline = mono_ms() + 60000;
    for (;;) {
        int rc = recv_frame(a, &f, (int)(deadline - mono_ms()));
        if (rc == 0 && !stalled_checked)
            break;
        CHECK(rc > 0, "stream stopped at %zu of %zu bytes", got, total);
        CHECK(f.stream == 9, "frame on stream %u", f.stream);
        if (f.type == EXIT)
            break;
        CHECK(f.type == STDOUT, "unexpected %s", type_name(f.type));
        CHECK(got + f.n <= granted, "agent sent %zu bytes past the credit of %zu", got + f.n - granted,
              granted);
        CHECK(memcmp(want + got, f.p, f.n) == 0, "data differs in %zu..%zu", got, got + f.n);
        got += f.n;
        if (got == window && !stalled_checked) {
            /* credit used up: the agent must stop, the process must block */
            struct frame g;
            int rc2 = recv_frame(a, &g, 500);
            CHECK(rc2 == 0, "agent kept sending without credit (%s)", type_name(g.type));
            stalled_checked = 1;
        }
        if (got + window > granted && stalled_checked) {
            send_credit(a, 9, (long long)window);
            granted += window;
        }
    }
    CHECK(stalled_checked, "never reached the credit limit");
    CHECK(got == total, "got %zu of %zu bytes", got, total);
    CHECK(fint(&f, "exit_code", -1) == 0, "exit code %s", fstr(&f, "exit_code"));
    free(want);
    return 0;
}

static int t_exec_stdin_beyond_credit_is_einval(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    /* no stdin=1: no credit at all */
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    send_rec(a, EXEC, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    send_frame(a, STDIN, 1, "x", 1);
    if (expect_error(a, 1, "EINVAL"))
        return 1;
    /* stdin=1 to a process that never reads: 1 MiB + a pipe's worth fit */
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    rb_str(&r, "stdin", "1");
    send_rec(a, EXEC, 2, &r);
    EXPECT(a, &f, OK, 2, 3000);
    uint8_t *buf = calloc(1, MAX_PAYLOAD);
    send_frame(a, STDIN, 2, buf, MAX_PAYLOAD);
    send_frame(a, STDIN, 2, buf, MAX_PAYLOAD);
    free(buf);
    if (expect_error(a, 2, "EINVAL"))
        return 1;
    if (!ping_ok(a, 3))
        return 1;
    return 0;
}

static int t_close_kills_foreground_process(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "arg", "sh");
    rb_str(&r, "arg", "-c");
    rb_str(&r, "arg", "sleep 30; echo never");
    send_rec(a, EXEC, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    long long pid = fint(&f, "pid", -1);
    send_frame(a, CLOSE, 1, NULL, 0);
    CHECK(process_gone(pid, 3000), "process %lld survived CLOSE", pid);
    int rc = recv_frame(a, &f, 300);
    CHECK(rc == 0, "a closed stream answered %s", type_name(f.type));
    return 0;
}

static int t_credit_extremes_do_no_harm(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "arg", "sh");
    rb_str(&r, "arg", "-c");
    rb_str(&r, "arg", "sleep 0.2; echo hi");
    send_rec(a, EXEC, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    send_credit(a, 1, 9223372036854775807LL);
    send_credit(a, 1, 9223372036854775807LL);
    EXPECT(a, &f, STDOUT, 1, 3000);
    CHECK(f.n == 3 && memcmp(f.p, "hi\n", 3) == 0, "stdout");
    EXPECT(a, &f, EXIT, 1, 3000);
    /* a negative credit is malformed */
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    send_rec(a, EXEC, 2, &r);
    EXPECT(a, &f, OK, 2, 3000);
    send_credit(a, 2, -5);
    return expect_error(a, 2, "EINVAL");
}

static int t_exec_many_args_and_env_entries(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "arg", "sh");
    rb_str(&r, "arg", "-c");
    rb_str(&r, "arg", "echo $#");
    rb_str(&r, "arg", "sh");
    for (int i = 0; i < 20000; i++)
        rb_str(&r, "arg", "x");
    send_rec(a, EXEC, 1, &r);
    EXPECT(a, &f, OK, 1, 5000);
    EXPECT(a, &f, STDOUT, 1, 5000);
    CHECK(f.n == 6 && memcmp(f.p, "20000\n", 6) == 0, "stdout '%.*s'", (int)f.n, (const char *)f.p);
    EXPECT(a, &f, EXIT, 1, 5000);
    send_frame(a, PS, 2, NULL, 0);
    EXPECT(a, &f, OK, 2, 3000);

    /* 45,000 env entries (~0.85 MiB) over 100 keys: the last value of a key wins, fast */
    char kv[32];
    rb_str(&r, "arg", "sh");
    rb_str(&r, "arg", "-c");
    rb_str(&r, "arg", "echo $K7 $K99 $LANG");
    for (int i = 0; i < 45000; i++) {
        snprintf(kv, sizeof kv, "K%d=v%d", i % 100, i);
        rb_str(&r, "env", kv);
    }
    rb_str(&r, "env", "LANG=C");
    int64_t t0 = mono_ms();
    send_rec(a, EXEC, 3, &r);
    EXPECT(a, &f, OK, 3, 5000);
    EXPECT(a, &f, STDOUT, 3, 5000);
    CHECK(f.n == 16 && memcmp(f.p, "v44907 v44999 C\n", 16) == 0, "stdout '%.*s'", (int)f.n,
          (const char *)f.p);
    EXPECT(a, &f, EXIT, 3, 5000);
    CHECK(mono_ms() - t0 < 2000, "took %lld ms", (long long)(mono_ms() - t0));
    return 0;
}

static int t_stream_limit_is_ebusy(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    for (uint32_t sid = 1; sid <= 256; sid++) {
        rb_str(&r, "arg", "sleep");
        rb_str(&r, "arg", "30");
        send_rec(a, EXEC, sid, &r);
    }
    for (int i = 0; i < 256; i++) {
        CHECK(recv_frame(a, &f, 5000) > 0, "only %d of 256 execs answered", i);
        CHECK(f.type == OK, "exec %d: %s %s", i, type_name(f.type), fstr(&f, "message"));
    }
    rb_str(&r, "arg", "true");
    send_rec(a, EXEC, 257, &r);
    if (expect_error(a, 257, "EBUSY"))
        return 1;
    if (!ping_ok(a, 258))   /* one-shot requests still work */
        return 1;
    send_frame(a, CLOSE, 1, NULL, 0);
    rb_str(&r, "arg", "true");
    send_rec(a, EXEC, 259, &r);
    EXPECT(a, &f, OK, 259, 3000);
    EXPECT(a, &f, EXIT, 259, 3000);
    return 0;
}

/* ---------- background, PS, SIGNAL ---------- */

static int find_in_ps(struct ag *a, uint32_t sid, const char *tag, long long *pid, int *bg,
                      char *args, size_t argsz)
{
    struct frame f;
    size_t vl;
    send_frame(a, PS, sid, NULL, 0);
    if (!expect(a, &f, OK, sid, 3000))
        return -1;
    for (int i = 0;; i++) {
        const uint8_t *p = rec_get_nth(f.p, f.n, "proc", i, &vl);
        if (!p)
            return 0;
        if (strcmp(rec_str(p, vl, "tag"), tag) != 0)
            continue;
        *pid = rec_int(p, vl, "pid", -1);
        *bg = (int)rec_int(p, vl, "background", -1);
        args[0] = 0;
        size_t al;
        for (int k = 0; rec_get_nth(p, vl, "arg", k, &al); k++) {
            const uint8_t *av = rec_get_nth(p, vl, "arg", k, &al);
            strncat(args, (const char *)av, al < argsz - strlen(args) - 2 ? al : 0);
            strcat(args, " ");
        }
        return 1;
    }
}

static int t_background_ps_and_signal_by_tag(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    rb_str(&r, "background", "1");
    rb_str(&r, "tag", "sleeper");
    send_rec(a, EXEC, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    long long pid = fint(&f, "pid", -1);
    CHECK(pid > 0 && strcmp(fstr(&f, "tag"), "sleeper") == 0, "OK pid %lld tag '%s'", pid, fstr(&f, "tag"));

    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    rb_str(&r, "background", "1");
    rb_str(&r, "tag", "sleeper");
    send_rec(a, EXEC, 2, &r);
    if (expect_error(a, 2, "EEXIST"))
        return 1;
    rb_str(&r, "arg", "true");
    rb_str(&r, "background", "1");
    rb_str(&r, "tag", "../evil");
    send_rec(a, EXEC, 3, &r);
    if (expect_error(a, 3, "EINVAL"))
        return 1;

    /* an untagged one gets proc-XXXXXXXX and logs stdout+stderr */
    rb_str(&r, "arg", "sh");
    rb_str(&r, "arg", "-c");
    rb_str(&r, "arg", "echo logged; echo err >&2");
    rb_str(&r, "background", "1");
    send_rec(a, EXEC, 4, &r);
    EXPECT(a, &f, OK, 4, 3000);
    char tag[80];
    snprintf(tag, sizeof tag, "%s", fstr(&f, "tag"));
    CHECK(strncmp(tag, "proc-", 5) == 0 && strlen(tag) == 13, "generated tag '%s'", tag);
    char log[400], content[64] = "";
    snprintf(log, sizeof log, "%s/tmp/wrenn-agent-%d/proc/%s.log", tmp_root, (int)a->pid, tag);
    for (int i = 0; i < 200 && strcmp(content, "logged\nerr\n") != 0; i++) {
        usleep(10000);
        FILE *lf = fopen(log, "r");
        if (lf) {
            size_t n = fread(content, 1, sizeof content - 1, lf);
            content[n] = 0;
            fclose(lf);
        }
    }
    CHECK(strcmp(content, "logged\nerr\n") == 0, "log %s holds '%s'", log, content);

    long long ps_pid = 0;
    int bg = -1;
    char args[256];
    CHECK(find_in_ps(a, 5, "sleeper", &ps_pid, &bg, args, sizeof args) == 1, "PS lacks 'sleeper'");
    CHECK(ps_pid == pid && bg == 1 && strcmp(args, "sleep 30 ") == 0, "PS: pid %lld bg %d args '%s'",
          ps_pid, bg, args);

    rb_str(&r, "tag", "sleeper");
    rb_str(&r, "signal", "15");
    send_rec(a, SIGNAL, 6, &r);
    EXPECT(a, &f, OK, 6, 3000);
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        usleep(20000);
        gone = find_in_ps(a, 7, "sleeper", &ps_pid, &bg, args, sizeof args) == 0;
    }
    CHECK(gone, "'sleeper' still listed after SIGTERM");
    rb_str(&r, "tag", "sleeper");
    rb_str(&r, "signal", "15");
    send_rec(a, SIGNAL, 8, &r);
    if (expect_error(a, 8, "ESRCH"))
        return 1;
    rb_str(&r, "pid", "1");
    rb_str(&r, "signal", "0");
    send_rec(a, SIGNAL, 9, &r);
    if (expect_error(a, 9, "ESRCH"))
        return 1;

    /* foreground processes are listed too, and signalled by pid */
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    send_rec(a, EXEC, 10, &r);
    EXPECT(a, &f, OK, 10, 3000);
    pid = fint(&f, "pid", -1);
    rb_int(&r, "pid", pid);
    rb_str(&r, "signal", "9");
    send_rec(a, SIGNAL, 11, &r);
    EXPECT(a, &f, OK, 11, 3000);
    EXPECT(a, &f, EXIT, 10, 3000);
    CHECK(fint(&f, "signal", -1) == 9 && fint(&f, "exit_code", -1) == 137, "EXIT signal %s",
          fstr(&f, "signal"));
    return 0;
}

/* ---------- pty ---------- */

static int t_pty_has_size_term_and_resize(struct ag *a)
{
    struct exec_result res;
    struct rb r = { 0 };
    struct frame f;
    const char *argv[] = { "sh", "-c", "stty size; echo $TERM; test -t 0 && echo tty", NULL };
    rb_str(&r, "pty", "1");
    rb_str(&r, "rows", "33");
    rb_str(&r, "cols", "101");
    if (run_exec(a, 1, argv, &r, &res, 5000))
        return 1;
    CHECK(strstr(res.out, "33 101"), "stty size printed '%s'", res.out);
    CHECK(strstr(res.out, "xterm-256color"), "TERM: '%s'", res.out);
    CHECK(strstr(res.out, "tty"), "stdin is no tty: '%s'", res.out);
    CHECK(res.exit_code == 0, "exit %d", res.exit_code);
    exec_result_free(&res);

    /* RESIZE, then input through the terminal */
    rb_str(&r, "arg", "sh");
    rb_str(&r, "arg", "-c");
    rb_str(&r, "arg", "read line; stty size; echo \"got $line\"");
    rb_str(&r, "pty", "1");
    send_rec(a, EXEC, 2, &r);
    EXPECT(a, &f, OK, 2, 3000);
    EXPECT(a, &f, CREDIT, 2, 3000);
    rb_str(&r, "rows", "40");
    rb_str(&r, "cols", "120");
    send_rec(a, RESIZE, 2, &r);
    send_frame(a, STDIN, 2, "go\n", 3);
    char out[4096] = "";
    size_t len = 0;
    for (;;) {
        int rc = recv_frame(a, &f, 5000);
        CHECK(rc > 0, "no EXIT; output so far '%s'", out);
        if (f.type == CREDIT)
            continue;
        if (f.type == EXIT)
            break;
        CHECK(f.type == STDOUT && len + f.n < sizeof out, "unexpected %s", type_name(f.type));
        memcpy(out + len, f.p, f.n);
        len += f.n;
        out[len] = 0;
    }
    CHECK(strstr(out, "40 120") && strstr(out, "got go"), "output '%s'", out);
    return 0;
}

/* ---------- processes apart from streams: ATTACH, detach, retention ---------- */

/* Alive = exists and is no zombie. */
static int process_alive(long long pid)
{
    return kill((pid_t)pid, 0) == 0 && !process_gone(pid, 10);
}

/* What one stream received. */
struct sink {
    uint32_t sid;
    char *replay, *out, *err;     /* NUL-terminated copies */
    size_t replay_n, out_n, err_n;
    int exited, exit_code, signal, timed_out;
    int hold_credit;              /* a reader that grants nothing back */
};

static void sink_init(struct sink *k, uint32_t sid)
{
    memset(k, 0, sizeof *k);
    k->sid = sid;
    k->replay = calloc(1, 1);
    k->out = calloc(1, 1);
    k->err = calloc(1, 1);
}

static void sink_free(struct sink *k)
{
    free(k->replay);
    free(k->out);
    free(k->err);
}

/* Takes one frame for one of the sinks (CREDIT frames are skipped); any other
 * frame, REPLAY after live output or anything after EXIT fails the test. */
static int take_one(struct ag *a, struct sink *k, int n, int timeout_ms)
{
    struct frame f;
    int rc = recv_frame(a, &f, timeout_ms);
    CHECK(rc > 0, "%s while waiting for output", rc == 0 ? "timed out" : "EOF");
    if (f.type == CREDIT)
        return 0;
    for (int i = 0; i < n; i++) {
        struct sink *s = &k[i];
        if (f.stream != s->sid)
            continue;
        CHECK(!s->exited, "stream %u: %s after EXIT", s->sid, type_name(f.type));
        switch (f.type) {
        case REPLAY:
            CHECK(s->out_n == 0 && s->err_n == 0, "stream %u: REPLAY after live output", s->sid);
            append(&s->replay, &s->replay_n, f.p, f.n);
            break;
        case STDOUT:
            append(&s->out, &s->out_n, f.p, f.n);
            break;
        case STDERR:
            append(&s->err, &s->err_n, f.p, f.n);
            break;
        case EXIT:
            s->exited = 1;
            s->exit_code = (int)fint(&f, "exit_code", -1);
            s->signal = (int)fint(&f, "signal", -1);
            s->timed_out = (int)fint(&f, "timed_out", -1);
            return 0;
        default:
            CHECK(0, "stream %u: unexpected %s %s", s->sid, type_name(f.type), fstr(&f, "message"));
        }
        if (!s->hold_credit)
            send_credit(a, s->sid, (long long)f.n);
        return 0;
    }
    CHECK(0, "unexpected %s on stream %u %s", type_name(f.type), f.stream, fstr(&f, "message"));
}

/* What take_until waits for: every sink's EXIT, or (for sink idx) a string
 * in its replay or stdout, or that many bytes of replay + stdout + stderr. */
struct until {
    int all_exited;
    int idx;
    const char *needle;
    size_t bytes;
};

static int until_met(const struct sink *k, int n, const struct until *u)
{
    if (u->all_exited) {
        for (int i = 0; i < n; i++)
            if (!k[i].exited)
                return 0;
        return 1;
    }
    const struct sink *s = &k[u->idx];
    if (u->needle)
        return memmem(s->out, s->out_n, u->needle, strlen(u->needle)) ||
               memmem(s->replay, s->replay_n, u->needle, strlen(u->needle));
    return s->replay_n + s->out_n + s->err_n >= u->bytes;
}

static int take_until(struct ag *a, struct sink *k, int n, struct until u, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    while (!until_met(k, n, &u)) {
        int left = (int)(deadline - mono_ms());
        CHECK(left > 0, "timed out waiting for %s on stream %u (replay '%.60s' out '%.200s')",
              u.all_exited ? "EXIT" : u.needle ? u.needle : "bytes", k[u.idx].sid,
              k[u.idx].replay, k[u.idx].out);
        if (take_one(a, k, n, left))
            return 1;
    }
    return 0;
}

#define TAKE_EXITS(a, k, n, ms) take_until((a), (k), (n), (struct until){ .all_exited = 1 }, (ms))
#define TAKE_TEXT(a, k, n, i, s, ms) take_until((a), (k), (n), (struct until){ .idx = (i), .needle = (s) }, (ms))
#define TAKE_BYTES(a, k, n, i, b, ms) take_until((a), (k), (n), (struct until){ .idx = (i), .bytes = (b) }, (ms))

/* Nothing but CREDIT arrives for ms. */
static int quiet(struct ag *a, int ms)
{
    struct frame f;
    int64_t deadline = mono_ms() + ms;
    for (;;) {
        int left = (int)(deadline - mono_ms());
        if (left <= 0)
            return 0;
        int rc = recv_frame(a, &f, left);
        if (rc == 0)
            return 0;
        CHECK(rc > 0, "EOF");
        CHECK(f.type == CREDIT, "expected silence, got %s on stream %u (%zu bytes)", type_name(f.type),
              f.stream, f.n);
    }
}

/* Waits for a frame of type on sid; frames on other streams (a stream that
 * was closed may still have had some on the way) are skipped. */
static int expect_past_others(struct ag *a, struct frame *f, int type, uint32_t sid, int ms)
{
    int64_t deadline = mono_ms() + ms;
    for (;;) {
        int left = (int)(deadline - mono_ms());
        CHECK(left > 0 && recv_frame(a, f, left) > 0, "no %s on stream %u", type_name(type), sid);
        if (f->stream != sid || f->type == CREDIT)
            continue;
        CHECK(f->type == type, "wanted %s on %u, got %s %s", type_name(type), sid, type_name(f->type),
              fstr(f, "message"));
        return 0;
    }
}

static void send_attach(struct ag *a, uint32_t sid, long long pid, const char *tag, int replay)
{
    struct rb r = { 0 };
    if (pid != 0)
        rb_int(&r, "pid", pid);
    if (tag)
        rb_str(&r, "tag", tag);
    if (replay >= 0)
        rb_int(&r, "replay", replay);
    send_rec(a, ATTACH, sid, &r);
}

struct attached {
    long long pid;
    char tag[80];
    int pty, in, exited;
};

/* ATTACH (pid 0: by tag; replay -1: field left out) answered by OK. */
static int attach_ok(struct ag *a, uint32_t sid, long long pid, const char *tag, int replay,
                     struct attached *at)
{
    struct frame f;
    send_attach(a, sid, pid, tag, replay);
    EXPECT(a, &f, OK, sid, 3000);
    at->pid = fint(&f, "pid", -1);
    snprintf(at->tag, sizeof at->tag, "%s", fstr(&f, "tag"));
    at->pty = (int)fint(&f, "pty", -1);
    at->in = (int)fint(&f, "stdin", -1);
    at->exited = (int)fint(&f, "exited", -1);
    CHECK(at->pty >= 0 && at->in >= 0 && at->exited >= 0, "ATTACH OK lacks pty/stdin/exited");
    return 0;
}

/* EXEC without waiting for anything; extra fields appended (consumed). */
static void send_exec(struct ag *a, uint32_t sid, const char *const *argv, struct rb *extra)
{
    struct rb r = { 0 };
    for (int i = 0; argv[i]; i++)
        rb_str(&r, "arg", argv[i]);
    if (extra) {
        r.p = realloc(r.p, r.cap = r.len + extra->len + 1);
        memcpy(r.p + r.len, extra->p, extra->len);
        r.len += extra->len;
        rb_free(extra);
    }
    send_rec(a, EXEC, sid, &r);
}

static int exec_ok(struct ag *a, uint32_t sid, const char *const *argv, struct rb *extra,
                   long long *pid, char *tag, size_t tagsz)
{
    struct frame f;
    send_exec(a, sid, argv, extra);
    EXPECT(a, &f, OK, sid, 3000);
    *pid = fint(&f, "pid", -1);
    if (tag)
        snprintf(tag, tagsz, "%s", fstr(&f, "tag"));
    CHECK(*pid > 0, "EXEC OK without pid");
    return 0;
}

static void log_file(struct ag *a, const char *tag, const char *suffix, char *out, size_t sz)
{
    snprintf(out, sz, "%s/tmp/wrenn-agent-%d/proc/%s.log%s", tmp_root, (int)a->pid, tag, suffix);
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static size_t read_file_into(const char *path, char *buf, size_t sz)
{
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        n = fread(buf, 1, sz - 1, f);
        fclose(f);
    }
    buf[n] = 0;
    return n;
}

/* Waits until PS no longer lists pid (it was reaped); 0 = it was. Output of
 * other streams meanwhile is skipped. */
static int wait_unlisted(struct ag *a, uint32_t sid, long long pid, int within_ms)
{
    struct frame f;
    size_t vl;
    for (int64_t end = mono_ms() + within_ms; mono_ms() < end; usleep(20000)) {
        send_frame(a, PS, sid, NULL, 0);
        if (expect_past_others(a, &f, OK, sid, 3000))
            return 1;
        int listed = 0;
        for (int i = 0;; i++) {
            const uint8_t *p = rec_get_nth(f.p, f.n, "proc", i, &vl);
            if (!p)
                break;
            listed |= rec_int(p, vl, "pid", -1) == pid;
        }
        if (!listed)
            return 0;
    }
    snprintf(fail_msg, sizeof fail_msg, "process %lld still listed by PS", pid);
    return 1;
}

/* A PS entry's fields for pid; 0 = not listed (output of other streams
 * meanwhile is skipped). */
static int ps_entry(struct ag *a, uint32_t sid, long long pid, int *bg, int *pty, int *detach)
{
    struct frame f;
    size_t vl;
    send_frame(a, PS, sid, NULL, 0);
    if (expect_past_others(a, &f, OK, sid, 3000))
        return -1;
    for (int i = 0;; i++) {
        const uint8_t *p = rec_get_nth(f.p, f.n, "proc", i, &vl);
        if (!p)
            return 0;
        if (rec_int(p, vl, "pid", -1) != pid)
            continue;
        *bg = (int)rec_int(p, vl, "background", -1);
        *pty = (int)rec_int(p, vl, "pty", -1);
        *detach = (int)rec_int(p, vl, "detach", -1);
        return 1;
    }
}

static int t_attach_by_pid_and_tag_gets_replay_live_and_exit(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    struct attached at;
    struct sink k[3];
    long long pid;
    char tag[80];
    const char *argv[] = { "sh", "-c", "echo early; read x; echo \"late $x\"; echo e >&2; exit 7", NULL };
    rb_str(&r, "stdin", "1");
    rb_str(&r, "tag", "watched");
    if (exec_ok(a, 1, argv, &r, &pid, tag, sizeof tag))
        return 1;
    CHECK(strcmp(tag, "watched") == 0, "EXEC OK tag '%s'", tag);
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    sink_init(&k[2], 3);
    if (TAKE_TEXT(a, k, 1, 0, "early\n", 3000))
        return 1;

    /* by pid: OK, the first 1 MiB of input credit, the replay */
    send_attach(a, 2, pid, NULL, -1);
    EXPECT(a, &f, OK, 2, 3000);
    CHECK(fint(&f, "pid", -1) == pid && strcmp(fstr(&f, "tag"), "watched") == 0, "OK pid %s tag %s",
          fstr(&f, "pid"), fstr(&f, "tag"));
    CHECK(fint(&f, "pty", -1) == 0 && fint(&f, "stdin", -1) == 1 && fint(&f, "exited", -1) == 0,
          "OK pty %s stdin %s exited %s", fstr(&f, "pty"), fstr(&f, "stdin"), fstr(&f, "exited"));
    EXPECT(a, &f, CREDIT, 2, 3000);
    CHECK(fint(&f, "bytes", 0) == 1048576, "attach input credit %s", fstr(&f, "bytes"));
    EXPECT(a, &f, REPLAY, 2, 3000);
    CHECK(f.n == 6 && memcmp(f.p, "early\n", 6) == 0, "REPLAY '%.*s'", (int)f.n, (const char *)f.p);
    append(&k[1].replay, &k[1].replay_n, f.p, f.n);

    /* by tag, replay given explicitly */
    if (attach_ok(a, 3, 0, "watched", 1, &at))
        return 1;
    CHECK(at.pid == pid && at.in == 1 && at.exited == 0, "by tag: pid %lld stdin %d", at.pid, at.in);
    if (TAKE_TEXT(a, k, 3, 2, "early\n", 3000))
        return 1;

    /* input through an attach stream reaches the process; everyone sees the rest */
    send_frame(a, STDIN, 3, "go\n", 3);
    if (TAKE_EXITS(a, k, 3, 5000))
        return 1;
    CHECK(strcmp(k[0].out, "early\nlate go\n") == 0 && k[0].replay_n == 0, "owner stdout '%s'", k[0].out);
    for (int i = 0; i < 3; i++) {
        CHECK(strcmp(k[i].err, "e\n") == 0, "stream %u stderr '%s'", k[i].sid, k[i].err);
        CHECK(k[i].exit_code == 7 && k[i].signal == 0 && k[i].timed_out == 0, "stream %u EXIT %d",
              k[i].sid, k[i].exit_code);
    }
    for (int i = 1; i < 3; i++) {
        CHECK(strcmp(k[i].replay, "early\n") == 0 && strcmp(k[i].out, "late go\n") == 0,
              "stream %u replay '%s' stdout '%s'", k[i].sid, k[i].replay, k[i].out);
        sink_free(&k[i]);
    }
    sink_free(&k[0]);
    /* seen ended by its streams: not retained */
    send_attach(a, 4, pid, NULL, -1);
    return expect_error(a, 4, "ESRCH");
}

static int t_attach_with_replay_0_sends_no_replay(struct ag *a)
{
    struct rb r = { 0 };
    struct attached at;
    struct sink k[2];
    long long pid;
    const char *argv[] = { "sh", "-c", "echo before; read x; echo after", NULL };
    rb_str(&r, "stdin", "1");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    if (TAKE_TEXT(a, k, 2, 0, "before\n", 3000))
        return 1;
    if (attach_ok(a, 2, pid, NULL, 0, &at))
        return 1;
    CHECK(at.pid == pid && at.tag[0] == 0, "OK pid %lld tag '%s' (untagged)", at.pid, at.tag);
    send_frame(a, STDIN, 1, "x\n", 2);
    if (TAKE_EXITS(a, k, 2, 5000))
        return 1;
    CHECK(k[1].replay_n == 0, "replay=0 still got %zu REPLAY bytes", k[1].replay_n);
    CHECK(strcmp(k[1].out, "after\n") == 0 && k[1].exit_code == 0, "attach stdout '%s'", k[1].out);
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;
}

static int t_attach_replays_exactly_the_last_64kib(struct ag *a)
{
    const size_t total = 200 * 1024, ring = 65536;
    struct attached at;
    struct sink k[2];
    char path[300], script[400];
    long long pid;
    uint8_t *data = malloc(total);
    pattern(data, total, 4242);
    path_in(path, sizeof path, "ring.bin");
    CHECK(write_file(path, data, total) == 0, "cannot write %s", path);
    snprintf(script, sizeof script, "head -c %zu '%s'; exec sleep 30", total, path);
    const char *argv[] = { "sh", "-c", script, NULL };
    if (exec_ok(a, 1, argv, NULL, &pid, NULL, 0))
        return 1;
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    if (TAKE_BYTES(a, k, 1, 0, total, 5000))
        return 1;
    CHECK(k[0].out_n == total && memcmp(k[0].out, data, total) == 0, "owner got %zu bytes", k[0].out_n);
    if (attach_ok(a, 2, pid, NULL, -1, &at))
        return 1;
    if (TAKE_BYTES(a, k, 2, 1, ring, 3000) || quiet(a, 200))
        return 1;
    CHECK(k[1].replay_n == ring, "replayed %zu bytes, wanted %zu", k[1].replay_n, ring);
    CHECK(memcmp(k[1].replay, data + total - ring, ring) == 0, "replay is not the last 64 KiB");
    free(data);
    sink_free(&k[0]);
    sink_free(&k[1]);
    send_frame(a, CLOSE, 1, NULL, 0);   /* the owner of a foreground process: it dies */
    CHECK(process_gone(pid, 3000), "process %lld survived its owner's CLOSE", pid);
    return 0;
}

static int t_detached_exec_survives_close_and_takes_input_by_attach(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    struct sink k[2];
    long long pid;
    char tag[80], log[400], content[256];
    int bg, pty, det;
    const char *argv[] = { "cat", NULL };
    rb_str(&r, "stdin", "1");
    rb_str(&r, "detach", "1");
    if (exec_ok(a, 1, argv, &r, &pid, tag, sizeof tag))
        return 1;
    CHECK(strncmp(tag, "proc-", 5) == 0 && strlen(tag) == 13, "generated tag '%s'", tag);
    CHECK(ps_entry(a, 9, pid, &bg, &pty, &det) == 1, "PS lacks %lld", pid);
    CHECK(bg == 0 && pty == 0 && det == 1, "PS background %d pty %d detach %d", bg, pty, det);
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    send_frame(a, STDIN, 1, "one\n", 4);
    if (TAKE_TEXT(a, k, 1, 0, "one\n", 3000))
        return 1;
    send_frame(a, CLOSE, 1, NULL, 0);
    usleep(200000);
    CHECK(process_alive(pid), "detached process %lld died with its stream", pid);

    send_attach(a, 2, 0, tag, -1);
    EXPECT(a, &f, OK, 2, 3000);
    CHECK(fint(&f, "stdin", -1) == 1 && fint(&f, "exited", -1) == 0, "OK stdin %s exited %s",
          fstr(&f, "stdin"), fstr(&f, "exited"));
    EXPECT(a, &f, CREDIT, 2, 3000);
    if (TAKE_TEXT(a, k + 1, 1, 0, "one\n", 3000))
        return 1;
    send_frame(a, STDIN, 2, "two\n", 4);
    if (TAKE_TEXT(a, k + 1, 1, 0, "two\n", 3000))
        return 1;
    send_frame(a, STDIN_CLOSE, 2, NULL, 0);
    if (TAKE_EXITS(a, k + 1, 1, 3000))
        return 1;
    CHECK(strcmp(k[1].replay, "one\n") == 0 && strcmp(k[1].out, "two\n") == 0 && k[1].exit_code == 0,
          "replay '%s' stdout '%s' exit %d", k[1].replay, k[1].out, k[1].exit_code);
    log_file(a, tag, "", log, sizeof log);
    read_file_into(log, content, sizeof content);
    CHECK(strcmp(content, "one\ntwo\n") == 0, "log %s holds '%s'", log, content);
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;
}

/* Frames the old connection had on the wire before HELLO may still come. */
static int hello_skipping(struct ag *a, const char *nonce)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "nonce", nonce);
    send_rec(a, HELLO, 0, &r);
    for (;;) {
        CHECK(recv_frame(a, &f, 3000) > 0, "no HELLO_ACK");
        if (f.type == HELLO_ACK && strcmp(fstr(&f, "nonce"), nonce) == 0)
            break;
        CHECK(f.type == STDOUT || f.type == STDERR || f.type == CREDIT, "before HELLO_ACK: %s",
              type_name(f.type));
    }
    CHECK(fint(&f, "version", -1) == 2, "version %s", fstr(&f, "version"));
    return 0;
}

static int t_hello_ends_streams_but_no_process(struct ag *a)
{
    struct attached at;
    struct sink k[2];
    long long pid;
    int bg, pty, det;
    const char *argv[] = { "sh", "-c", "echo start; while :; do echo tick; sleep 0.05; done", NULL };
    if (exec_ok(a, 5, argv, NULL, &pid, NULL, 0))
        return 1;
    sink_init(&k[0], 5);
    sink_init(&k[1], 6);
    if (TAKE_TEXT(a, k, 1, 0, "tick", 3000))
        return 1;
    if (hello_skipping(a, "second connection"))
        return 1;
    if (quiet(a, 300))   /* the old stream is over: not one more frame on it */
        return 1;
    CHECK(process_alive(pid), "process %lld of the old connection died at HELLO", pid);
    CHECK(ps_entry(a, 7, pid, &bg, &pty, &det) == 1, "PS lacks %lld", pid);
    CHECK(bg == 0 && pty == 0 && det == 0, "PS background %d pty %d detach %d", bg, pty, det);
    if (!ping_ok(a, 5))   /* the id is free again */
        return 1;
    if (attach_ok(a, 6, pid, NULL, -1, &at))
        return 1;
    CHECK(at.in == 0 && at.exited == 0, "OK stdin %d exited %d", at.in, at.exited);
    if (TAKE_TEXT(a, k + 1, 1, 0, "tick", 3000))
        return 1;
    CHECK(k[1].replay_n > 0 && memmem(k[1].replay, k[1].replay_n, "start\n", 6), "replay '%.60s'",
          k[1].replay);
    size_t before = k[1].out_n;
    for (int64_t end = mono_ms() + 3000; k[1].out_n == before && mono_ms() < end;)
        if (take_one(a, k + 1, 1, 3000))
            return 1;
    CHECK(k[1].out_n > before, "no live output after the replay");
    send_frame(a, CLOSE, 6, NULL, 0);   /* an attach stream only detaches */
    usleep(200000);
    CHECK(process_alive(pid), "process %lld died when an attach stream closed", pid);
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;   /* the agent's end kills it: it is not detached */
}

static int t_pty_shell_survives_hello_and_reattaches(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    struct sink k[2];
    long long pid;
    const char *argv[] = { "sh", NULL };
    rb_str(&r, "pty", "1");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    const char *cmd = "echo marker-$((6*7))\n";
    send_frame(a, STDIN, 1, cmd, strlen(cmd));
    if (TAKE_TEXT(a, k, 1, 0, "marker-42", 3000))
        return 1;
    int bg, pty, det;
    CHECK(ps_entry(a, 9, pid, &bg, &pty, &det) == 1, "PS lacks the shell");
    CHECK(bg == 0 && pty == 1 && det == 0, "PS background %d pty %d detach %d", bg, pty, det);
    if (hello_skipping(a, "terminal reconnect"))
        return 1;
    CHECK(process_alive(pid), "the shell died at HELLO");
    send_attach(a, 2, pid, NULL, -1);
    EXPECT(a, &f, OK, 2, 3000);
    CHECK(fint(&f, "pty", -1) == 1 && fint(&f, "stdin", -1) == 1, "OK pty %s stdin %s", fstr(&f, "pty"),
          fstr(&f, "stdin"));
    EXPECT(a, &f, CREDIT, 2, 3000);
    if (TAKE_TEXT(a, k + 1, 1, 0, "marker-42", 3000))
        return 1;
    CHECK(k[1].replay_n > 0 && memmem(k[1].replay, k[1].replay_n, "marker-42", 9),
          "the screen was not replayed: '%s'", k[1].replay);
    rb_str(&r, "rows", "50");
    rb_str(&r, "cols", "132");
    send_rec(a, RESIZE, 2, &r);
    cmd = "stty size\n";
    send_frame(a, STDIN, 2, cmd, strlen(cmd));
    if (TAKE_TEXT(a, k + 1, 1, 0, "50 132", 3000))
        return 1;
    cmd = "exit 3\n";
    send_frame(a, STDIN, 2, cmd, strlen(cmd));
    if (TAKE_EXITS(a, k + 1, 1, 3000))
        return 1;
    CHECK(k[1].exit_code == 3, "shell exit %d", k[1].exit_code);
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;
}

static int t_hello_keeps_timeout_and_retains_the_exit(struct ag *a)
{
    struct rb r = { 0 };
    struct attached at;
    struct sink k;
    long long pid;
    const char *argv[] = { "sh", "-c", "echo waiting; exec sleep 30", NULL };
    rb_str(&r, "timeout_ms", "400");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    if (hello_skipping(a, "lost owner"))
        return 1;
    CHECK(process_gone(pid, 3000), "the timeout did not kill %lld without its owner", pid);
    usleep(100000);
    if (attach_ok(a, 2, pid, NULL, -1, &at))
        return 1;
    CHECK(at.exited == 1 && at.in == 0, "OK exited %d stdin %d", at.exited, at.in);
    sink_init(&k, 2);
    if (TAKE_EXITS(a, &k, 1, 3000))
        return 1;
    CHECK(strcmp(k.replay, "waiting\n") == 0, "replay '%s'", k.replay);
    CHECK(k.timed_out == 1 && k.exit_code == 124 && k.signal == 9, "EXIT timed_out %d exit %d signal %d",
          k.timed_out, k.exit_code, k.signal);
    sink_free(&k);
    return 0;
}

static int t_background_logs_attaches_and_retains_its_exit(struct ag *a)
{
    struct rb r = { 0 };
    struct attached at;
    struct sink k[2];
    long long pid, pid2;
    char log[400], content[256] = "";
    const char *argv[] = { "sh", "-c", "echo bg-out; echo bg-err >&2; read x; exit 5", NULL };
    rb_str(&r, "background", "1");
    rb_str(&r, "stdin", "1");
    rb_str(&r, "tag", "bgx");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    log_file(a, "bgx", "", log, sizeof log);
    for (int i = 0; i < 300 && !strstr(content, "bg-err"); i++) {
        usleep(10000);
        read_file_into(log, content, sizeof content);
    }
    CHECK(strstr(content, "bg-out\n") && strstr(content, "bg-err\n"), "log %s holds '%s'", log, content);
    if (attach_ok(a, 2, 0, "bgx", -1, &at))
        return 1;
    CHECK(at.pid == pid && at.exited == 0 && at.in == 1, "OK pid %lld exited %d stdin %d", at.pid,
          at.exited, at.in);
    sink_init(&k[0], 2);
    if (TAKE_BYTES(a, k, 1, 0, 14, 3000))
        return 1;
    CHECK(strstr(k[0].replay, "bg-out\n") && strstr(k[0].replay, "bg-err\n"), "replay '%s'", k[0].replay);
    send_frame(a, STDIN, 2, "\n", 1);
    if (TAKE_EXITS(a, k, 1, 3000))
        return 1;
    CHECK(k[0].exit_code == 5, "EXIT %d", k[0].exit_code);

    /* one that ends with nobody attached keeps its output and exit for ATTACH, once */
    const char *argv2[] = { "sh", "-c", "echo done-out; exit 3", NULL };
    rb_str(&r, "background", "1");
    if (exec_ok(a, 3, argv2, &r, &pid2, NULL, 0))
        return 1;
    if (wait_unlisted(a, 4, pid2, 3000))
        return 1;
    usleep(100000);
    if (attach_ok(a, 5, pid2, NULL, -1, &at))
        return 1;
    CHECK(at.exited == 1 && at.in == 0, "OK exited %d stdin %d", at.exited, at.in);
    sink_init(&k[1], 5);
    if (TAKE_EXITS(a, k + 1, 1, 3000))
        return 1;
    CHECK(strcmp(k[1].replay, "done-out\n") == 0 && k[1].out_n == 0, "replay '%s'", k[1].replay);
    CHECK(k[1].exit_code == 3 && k[1].signal == 0, "EXIT %d", k[1].exit_code);
    send_attach(a, 6, pid2, NULL, -1);
    if (expect_error(a, 6, "ESRCH"))
        return 1;
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;
}

static int t_attach_backpressure_slowest_sets_the_pace_unattached_drains(struct ag *a)
{
    const size_t credit = 1u << 20, ring = 65536;
    struct rb r = { 0 };
    struct attached at;
    struct sink k[3];
    long long pid;
    /* detached, so that CLOSE of its owner lets it run on, unattached */
    const char *argv[] = { "head", "-c", "52428800", "/dev/zero", NULL };
    rb_str(&r, "detach", "1");
    rb_str(&r, "tag", "flood");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    k[0].hold_credit = k[1].hold_credit = 1;
    if (TAKE_BYTES(a, k, 1, 0, credit, 5000) || quiet(a, 300))
        return 1;
    CHECK(k[0].out_n == credit, "owner got %zu bytes on a credit of %zu", k[0].out_n, credit);

    /* a second stream: its replay, then nothing while the owner has no credit */
    if (attach_ok(a, 2, 0, "flood", -1, &at))
        return 1;
    if (TAKE_BYTES(a, k, 2, 1, ring, 3000) || quiet(a, 300))
        return 1;
    CHECK(k[1].replay_n == ring && k[1].out_n == 0 && k[0].out_n == credit,
          "replay %zu stdout %zu, owner %zu", k[1].replay_n, k[1].out_n, k[0].out_n);
    for (size_t i = 0; i < ring; i++)
        CHECK(k[1].replay[i] == 0, "replay byte %zu is %d", i, k[1].replay[i]);

    /* the owner may take 4 MiB more: both go at the attach stream's pace */
    send_credit(a, 1, 4 * (long long)credit);
    if (TAKE_BYTES(a, k, 2, 1, credit, 5000) || quiet(a, 300))
        return 1;
    CHECK(k[1].replay_n + k[1].out_n == credit, "attach stream got %zu bytes on a credit of %zu",
          k[1].replay_n + k[1].out_n, credit);
    CHECK(k[0].out_n == credit + (credit - ring), "owner got %zu bytes, the slower stream %zu",
          k[0].out_n, k[1].out_n);
    CHECK(process_alive(pid), "the writer is not alive and blocked");

    /* nobody attached: drained to its end, and its exit kept (the owner
     * first: it has credit, and would get more output once alone) */
    send_frame(a, CLOSE, 1, NULL, 0);
    send_frame(a, CLOSE, 2, NULL, 0);
    CHECK(process_gone(pid, 10000), "the unattached writer was not drained to its end");
    if (wait_unlisted(a, 4, pid, 3000))
        return 1;
    usleep(100000);
    if (attach_ok(a, 3, pid, NULL, -1, &at))
        return 1;
    CHECK(at.exited == 1, "OK exited %d", at.exited);
    sink_init(&k[2], 3);
    if (TAKE_EXITS(a, k + 2, 1, 3000))
        return 1;
    CHECK(k[2].replay_n == ring && k[2].exit_code == 0, "replay %zu exit %d", k[2].replay_n, k[2].exit_code);
    for (int i = 0; i < 3; i++)
        sink_free(&k[i]);
    return 0;
}

static int t_background_log_rotates_at_8mib(struct ag *a)
{
    const long long mib = 1 << 20;
    struct rb r = { 0 };
    long long pid;
    char log[400], old[400];
    const char *argv[] = { "head", "-c", "20971520", "/dev/zero", NULL };
    rb_str(&r, "background", "1");
    rb_str(&r, "tag", "rot");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    log_file(a, "rot", "", log, sizeof log);
    log_file(a, "rot", ".1", old, sizeof old);
    if (wait_unlisted(a, 2, pid, 10000))
        return 1;
    for (int i = 0; i < 300 && file_size(log) != 4 * mib; i++)
        usleep(10000);
    /* 20 MiB: rotated at 8 and at 16 MiB */
    CHECK(file_size(log) == 4 * mib, "%s is %lld bytes", log, file_size(log));
    CHECK(file_size(old) == 8 * mib, "%s is %lld bytes", old, file_size(old));
    return 0;
}

static int t_attach_while_starting_waits_for_the_start(struct ag *a)
{
    struct rb e = { 0 }, t = { 0 };
    struct frame f;
    struct sink k[2];
    /* EXEC and ATTACH in one write: the ATTACH finds the process starting */
    rb_str(&e, "arg", "sh");
    rb_str(&e, "arg", "-c");
    rb_str(&e, "arg", "echo quick");
    rb_str(&e, "tag", "quick");
    rb_str(&t, "tag", "quick");
    size_t n = 2 * HDR + e.len + t.len;
    uint8_t *buf = malloc(n);
    uint8_t *w = buf;
    const struct { int type; uint32_t sid; struct rb *r; } fr[] = { { EXEC, 1, &e }, { ATTACH, 2, &t } };
    for (int i = 0; i < 2; i++) {
        uint32_t len = (uint32_t)fr[i].r->len;
        uint8_t h[HDR] = { 0x57, 0x52, (uint8_t)fr[i].type, 0, 0, 0, 0, (uint8_t)fr[i].sid,
                           (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
        memcpy(w, h, HDR);
        memcpy(w + HDR, fr[i].r->p, len);
        w += HDR + len;
    }
    CHECK(send_raw(a, buf, n) == 0, "send");
    free(buf);
    rb_free(&e);
    rb_free(&t);
    int oks = 0;
    while (oks < 2) {
        CHECK(recv_frame(a, &f, 3000) > 0, "only %d OKs", oks);
        CHECK(f.type == OK, "got %s on %u: %s", type_name(f.type), f.stream, fstr(&f, "message"));
        oks++;
    }
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    if (TAKE_EXITS(a, k, 2, 3000))
        return 1;
    for (int i = 0; i < 2; i++) {
        CHECK(strcmp(k[i].out, "quick\n") == 0 && k[i].exit_code == 0, "stream %u: replay '%s' out '%s'",
              k[i].sid, k[i].replay, k[i].out);
        sink_free(&k[i]);
    }

    /* the start fails: the EXEC's own error, ESRCH for the waiting ATTACH */
    rb_str(&e, "arg", "no-such-program-wrenn");
    rb_str(&e, "tag", "never");
    rb_str(&t, "tag", "never");
    uint8_t h[HDR];
    n = 2 * HDR + e.len + t.len;
    buf = malloc(n);
    memcpy(h, (uint8_t[HDR]){ 0x57, 0x52, EXEC, 0, 0, 0, 0, 3, 0, 0, (uint8_t)(e.len >> 8), (uint8_t)e.len }, HDR);
    memcpy(buf, h, HDR);
    memcpy(buf + HDR, e.p, e.len);
    memcpy(h, (uint8_t[HDR]){ 0x57, 0x52, ATTACH, 0, 0, 0, 0, 4, 0, 0, (uint8_t)(t.len >> 8), (uint8_t)t.len }, HDR);
    memcpy(buf + HDR + e.len, h, HDR);
    memcpy(buf + 2 * HDR + e.len, t.p, t.len);
    CHECK(send_raw(a, buf, n) == 0, "send");
    free(buf);
    rb_free(&e);
    rb_free(&t);
    for (int i = 0; i < 2; i++) {
        CHECK(recv_frame(a, &f, 3000) > 0, "no answer");
        CHECK(f.type == ERROR, "got %s on %u", type_name(f.type), f.stream);
        const char *want = f.stream == 3 ? "ENOENT" : "ESRCH";
        CHECK(strcmp(fstr(&f, "code"), want) == 0, "stream %u: %s, wanted %s", f.stream, fstr(&f, "code"),
              want);
    }
    return 0;
}

static int t_exited_process_gives_its_tag_to_a_new_one(struct ag *a)
{
    struct rb r = { 0 };
    struct attached at;
    struct sink k[2];
    long long first, second;
    char log[400], content[256];
    const char *argv1[] = { "sh", "-c", "echo first", NULL };
    const char *argv2[] = { "sh", "-c", "echo second; exec sleep 30", NULL };
    rb_str(&r, "background", "1");
    rb_str(&r, "tag", "again");
    if (exec_ok(a, 1, argv1, &r, &first, NULL, 0) || wait_unlisted(a, 2, first, 3000))
        return 1;
    usleep(100000);
    rb_str(&r, "background", "1");
    rb_str(&r, "tag", "again");
    if (exec_ok(a, 3, argv2, &r, &second, NULL, 0))
        return 1;
    rb_str(&r, "background", "1");   /* now it is taken by a live one */
    rb_str(&r, "tag", "again");
    send_exec(a, 4, argv1, &r);
    if (expect_error(a, 4, "EEXIST"))
        return 1;
    if (attach_ok(a, 5, 0, "again", -1, &at))
        return 1;
    CHECK(at.pid == second && at.exited == 0, "tag 'again' is pid %lld, wanted %lld", at.pid, second);
    sink_init(&k[0], 5);
    if (TAKE_TEXT(a, k, 1, 0, "second\n", 3000))
        return 1;
    if (attach_ok(a, 6, first, NULL, -1, &at))   /* the old one by pid */
        return 1;
    CHECK(at.exited == 1 && strcmp(at.tag, "again") == 0, "old one: exited %d tag '%s'", at.exited, at.tag);
    sink_init(&k[1], 6);
    if (TAKE_EXITS(a, k + 1, 1, 3000))
        return 1;
    CHECK(strcmp(k[1].replay, "first\n") == 0, "old replay '%s'", k[1].replay);
    log_file(a, "again", "", log, sizeof log);
    read_file_into(log, content, sizeof content);
    CHECK(strcmp(content, "second\n") == 0, "log holds '%s'", content);
    rb_str(&r, "tag", "again");
    rb_str(&r, "signal", "9");
    send_rec(a, SIGNAL, 7, &r);
    EXPECT(a, &(struct frame){ 0 }, OK, 7, 3000);
    if (TAKE_EXITS(a, k, 1, 3000))
        return 1;
    CHECK(k[0].signal == 9, "EXIT signal %d", k[0].signal);
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;
}

static int t_attach_bad_requests(struct ag *a)
{
    struct rb r = { 0 };
    struct attached at;
    long long pid;
    const char *argv[] = { "sleep", "30", NULL };
    rb_str(&r, "tag", "target");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    uint32_t sid = 10;
    /* malformed: EINVAL */
    send_frame(a, ATTACH, sid, NULL, 0);   /* neither pid nor tag */
    if (expect_error(a, sid++, "EINVAL"))
        return 1;
    const char *bad_pids[] = { "12x", "", "-", "99999999999999999999", " 1", NULL };
    for (int i = 0; bad_pids[i]; i++) {
        rb_str(&r, "pid", bad_pids[i]);
        send_rec(a, ATTACH, sid, &r);
        if (expect_error(a, sid++, "EINVAL"))
            return 1;
    }
    const char *bad_tags[] = { "", "../target", ".hidden", "a/b", NULL };
    for (int i = 0; bad_tags[i]; i++) {
        rb_str(&r, "tag", bad_tags[i]);
        send_rec(a, ATTACH, sid, &r);
        if (expect_error(a, sid++, "EINVAL"))
            return 1;
    }
    rb_add(&r, "tag", "tar\0get", 7);
    send_rec(a, ATTACH, sid, &r);
    if (expect_error(a, sid++, "EINVAL"))
        return 1;
    rb_int(&r, "pid", pid);
    rb_str(&r, "replay", "2");
    send_rec(a, ATTACH, sid, &r);
    if (expect_error(a, sid++, "EINVAL"))
        return 1;
    const uint8_t broken[] = { 0, 3, 'p', 'i', 'd', 0, 0, 0, 9, '1' };
    send_frame(a, ATTACH, sid, broken, sizeof broken);
    if (expect_error(a, sid++, "EINVAL"))
        return 1;
    /* well-formed, but no such process: ESRCH */
    const long long no_pids[] = { 0, -1, -9223372036854775807LL, 1, 2147483647LL, 2147483648LL,
                                  9223372036854775807LL };
    for (size_t i = 0; i < sizeof no_pids / sizeof *no_pids; i++) {
        rb_int(&r, "pid", no_pids[i]);
        send_rec(a, ATTACH, sid, &r);
        if (expect_error(a, sid++, "ESRCH"))
            return 1;
    }
    send_attach(a, sid, 0, "no-such-tag", -1);
    if (expect_error(a, sid++, "ESRCH"))
        return 1;
    /* both given: pid wins, even over a tag of nothing */
    if (attach_ok(a, sid++, pid, "no-such-tag", 0, &at))
        return 1;
    CHECK(at.pid == pid && strcmp(at.tag, "target") == 0, "pid %lld tag '%s'", at.pid, at.tag);
    /* on stream 0 and on an id over 2^31-1 */
    send_attach(a, 0, pid, NULL, -1);
    if (expect_error(a, 0, "EINVAL"))
        return 1;
    send_attach(a, 0x80000000u, pid, NULL, -1);
    if (expect_error(a, 0x80000000u, "EINVAL"))
        return 1;
    CHECK(process_alive(pid), "target died");
    return ping_ok(a, 99) ? 0 : 1;
}

static int t_attach_limit_is_8_streams_per_process(struct ag *a)
{
    struct attached at;
    long long pid;
    const char *argv[] = { "sleep", "30", NULL };
    if (exec_ok(a, 1, argv, NULL, &pid, NULL, 0))
        return 1;
    for (uint32_t sid = 2; sid <= 8; sid++)   /* the owner and 7 more */
        if (attach_ok(a, sid, pid, NULL, -1, &at))
            return 1;
    send_attach(a, 9, pid, NULL, -1);
    if (expect_error(a, 9, "EBUSY"))
        return 1;
    send_frame(a, CLOSE, 5, NULL, 0);
    if (attach_ok(a, 9, pid, NULL, -1, &at))
        return 1;
    send_attach(a, 10, pid, NULL, -1);
    if (expect_error(a, 10, "EBUSY"))
        return 1;
    CHECK(process_alive(pid), "process died");
    return 0;
}

static int t_attach_stream_errors_never_end_the_process(struct ag *a)
{
    struct rb r = { 0 };
    struct attached at;
    struct sink k[1];
    long long pid, quiet_pid;
    const char *argv[] = { "cat", NULL };
    rb_str(&r, "stdin", "1");
    rb_str(&r, "detach", "1");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    rb_str(&r, "stdin", "1");   /* for the deaf one below; not detached: dies with the agent */
    sink_init(&k[0], 1);
    /* a frame that belongs to no attach stream: EINVAL, that stream ends */
    const int wrong[] = { WRITE_DATA, WRITE_END };
    uint32_t sid = 2;
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++, sid++) {
        if (attach_ok(a, sid, pid, NULL, -1, &at))
            return 1;
        send_frame(a, wrong[i], sid, "x", 1);
        if (expect_error(a, sid, "EINVAL"))
            return 1;
    }
    /* a request on the id of an attach stream: EINVAL, the attach stream ends */
    if (attach_ok(a, sid, pid, NULL, -1, &at))
        return 1;
    send_attach(a, sid, pid, NULL, -1);
    if (expect_error(a, sid, "EINVAL"))
        return 1;
    sid++;
    /* a malformed RESIZE and CREDIT */
    if (attach_ok(a, sid, pid, NULL, -1, &at))
        return 1;
    send_frame(a, RESIZE, sid, "zz", 2);
    if (expect_error(a, sid++, "EINVAL"))
        return 1;
    if (attach_ok(a, sid, pid, NULL, -1, &at))
        return 1;
    send_credit(a, sid, -1);
    if (expect_error(a, sid++, "EINVAL"))
        return 1;
    /* STDIN beyond the attach stream's credit, to a process that never reads
     * it: 1 MiB + a pipe's worth fit, the second 1 MiB does not */
    const char *argv2[] = { "sleep", "30", NULL };
    long long deaf_pid;
    if (exec_ok(a, 40, argv2, &r, &deaf_pid, NULL, 0))
        return 1;
    if (attach_ok(a, 41, deaf_pid, NULL, -1, &at))
        return 1;
    CHECK(at.in == 1, "stdin %d", at.in);
    uint8_t *big = calloc(1, MAX_PAYLOAD);
    send_frame(a, STDIN, 41, big, MAX_PAYLOAD);
    send_frame(a, STDIN, 41, big, MAX_PAYLOAD);
    free(big);
    if (expect_error(a, 41, "EINVAL"))
        return 1;
    /* STDIN to a process without input: there is no credit at all */
    if (exec_ok(a, 50, argv2, NULL, &quiet_pid, NULL, 0))
        return 1;
    if (attach_ok(a, 51, quiet_pid, NULL, -1, &at))
        return 1;
    CHECK(at.in == 0, "stdin %d for a process without input", at.in);
    send_frame(a, STDIN, 51, "x", 1);
    if (expect_error(a, 51, "EINVAL"))
        return 1;
    /* after all that the processes and their owners are fine */
    CHECK(process_alive(pid) && process_alive(deaf_pid) && process_alive(quiet_pid),
          "a process died of its attach streams");
    if (!ping_ok(a, 52))
        return 1;
    send_frame(a, STDIN, 1, "alive\n", 6);
    if (TAKE_TEXT(a, k, 1, 0, "alive\n", 3000))
        return 1;
    send_frame(a, STDIN_CLOSE, 1, NULL, 0);
    if (TAKE_EXITS(a, k, 1, 3000))
        return 1;
    sink_free(&k[0]);
    return 0;
}

static int t_attach_close_and_credit_floods(struct ag *a)
{
    struct attached at;
    struct sink k;
    long long pid;
    const char *argv[] = { "sh", "-c", "i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.01; done", NULL };
    struct rb r = { 0 };
    rb_str(&r, "detach", "1");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0))
        return 1;
    send_frame(a, CLOSE, 1, NULL, 0);   /* detached: it runs on */
    /* open and close attach streams, CLOSE many times, CREDIT absurd amounts */
    uint8_t *burst = malloc(64 * 1024);
    for (uint32_t round = 0; round < 20; round++) {
        uint32_t sid = 100 + round;
        struct frame f;
        send_attach(a, sid, pid, NULL, round % 2);
        if (expect_past_others(a, &f, OK, sid, 3000))
            return 1;
        size_t n = 0;
        for (int i = 0; i < 200; i++) {
            struct rb c = { 0 };
            rb_int(&c, "bytes", i % 2 ? 9223372036854775807LL : 0);
            uint32_t len = (uint32_t)c.len;
            uint8_t h[HDR] = { 0x57, 0x52, CREDIT, 0, (uint8_t)(sid >> 24), (uint8_t)(sid >> 16),
                               (uint8_t)(sid >> 8), (uint8_t)sid, 0, 0, (uint8_t)(len >> 8), (uint8_t)len };
            memcpy(burst + n, h, HDR);
            memcpy(burst + n + HDR, c.p, len);
            n += HDR + len;
            rb_free(&c);
        }
        for (int i = 0; i < 100; i++) {
            uint8_t h[HDR] = { 0x57, 0x52, CLOSE, 0, (uint8_t)(sid >> 24), (uint8_t)(sid >> 16),
                               (uint8_t)(sid >> 8), (uint8_t)sid, 0, 0, 0, 0 };
            memcpy(burst + n, h, HDR);
            n += HDR;
        }
        CHECK(send_raw(a, burst, n) == 0, "send");
    }
    free(burst);
    struct frame f;
    send_frame(a, PING, 99, NULL, 0);
    if (expect_past_others(a, &f, OK, 99, 3000))
        return 1;
    /* the process ran on, undisturbed, to its end */
    CHECK(process_gone(pid, 5000), "process %lld did not end", pid);
    if (wait_unlisted(a, 98, pid, 3000))
        return 1;
    usleep(100000);
    if (attach_ok(a, 200, pid, NULL, -1, &at))
        return 1;
    CHECK(at.exited == 1, "exited %d", at.exited);
    sink_init(&k, 200);
    if (TAKE_EXITS(a, &k, 1, 3000))
        return 1;
    CHECK(k.exit_code == 0 && strstr(k.replay, "line 0\n") && strstr(k.replay, "line 39\n"),
          "exit %d replay '%s'", k.exit_code, k.replay);
    sink_free(&k);
    return 0;
}

static int t_retention_keeps_the_64_newest(struct ag *a)
{
    enum { N = 70 };
    struct rb r = { 0 };
    struct attached at;
    long long pids[N];
    char script[64];
    for (int i = 0; i < N; i++) {
        snprintf(script, sizeof script, "echo r%d; exit %d", i, i);
        const char *argv[] = { "sh", "-c", script, NULL };
        rb_str(&r, "background", "1");
        if (exec_ok(a, (uint32_t)(1000 + i), argv, &r, &pids[i], NULL, 0))
            return 1;
        /* one after the other, so that the order of their ends is known */
        if (wait_unlisted(a, 1, pids[i], 3000))
            return 1;
        usleep(5000);
    }
    usleep(100000);
    for (int i = 0; i < N - 64; i++) {
        send_attach(a, (uint32_t)(2000 + i), pids[i], NULL, -1);
        if (expect_error(a, (uint32_t)(2000 + i), "ESRCH"))
            return 1;
    }
    for (int i = N - 64; i < N; i++) {
        struct sink k;
        char want[16];
        if (attach_ok(a, (uint32_t)(3000 + i), pids[i], NULL, -1, &at))
            return 1;
        CHECK(at.exited == 1, "r%d: exited %d", i, at.exited);
        sink_init(&k, (uint32_t)(3000 + i));
        if (TAKE_EXITS(a, &k, 1, 3000))
            return 1;
        snprintf(want, sizeof want, "r%d\n", i);
        CHECK(strcmp(k.replay, want) == 0 && k.exit_code == i, "r%d: replay '%s' exit %d", i, k.replay,
              k.exit_code);
        sink_free(&k);
    }
    return 0;
}

static int t_owner_close_kills_and_attach_streams_get_exit(struct ag *a)
{
    struct attached at;
    struct sink k[2];
    long long pid;
    const char *argv[] = { "sh", "-c", "echo up; exec sleep 30", NULL };
    if (exec_ok(a, 1, argv, NULL, &pid, NULL, 0))
        return 1;
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    if (TAKE_TEXT(a, k, 1, 0, "up\n", 3000))
        return 1;
    if (attach_ok(a, 2, pid, NULL, -1, &at))
        return 1;
    if (TAKE_TEXT(a, k, 2, 1, "up\n", 3000))
        return 1;
    CHECK(strcmp(k[1].replay, "up\n") == 0, "replay '%s'", k[1].replay);
    send_frame(a, CLOSE, 1, NULL, 0);
    if (TAKE_EXITS(a, k + 1, 1, 3000))
        return 1;
    CHECK(k[1].signal == 9 && k[1].exit_code == 137, "EXIT signal %d exit %d", k[1].signal, k[1].exit_code);
    CHECK(process_gone(pid, 3000), "process %lld survived", pid);
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;
}

/* Two streams write to one slow reader: the bytes of one STDIN frame are
 * never interleaved with the other stream's. */
static int t_input_from_two_streams_keeps_frames_whole(struct ag *a)
{
    enum { FRAMES = 10, LEN = 16384 };
    struct rb r = { 0 };
    struct attached at;
    struct sink k[2];
    long long pid;
    char *line = malloc(LEN);
    const char *argv[] = { "sh", "-c", "sleep 0.3; exec cat", NULL };
    rb_str(&r, "stdin", "1");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0) || attach_ok(a, 2, pid, NULL, -1, &at))
        return 1;
    sink_init(&k[0], 1);
    sink_init(&k[1], 2);
    for (int i = 0; i < FRAMES; i++) {   /* 320 KiB: far more than a pipe holds */
        memset(line, 'A', LEN - 1);
        line[LEN - 1] = '\n';
        send_frame(a, STDIN, 1, line, LEN);
        memset(line, 'B', LEN - 1);
        send_frame(a, STDIN, 2, line, LEN);
    }
    free(line);
    if (TAKE_BYTES(a, k, 2, 0, 2 * FRAMES * LEN, 10000))
        return 1;
    int as = 0, bs = 0;
    for (size_t off = 0; off < k[0].out_n; off += LEN) {
        char c = k[0].out[off];
        size_t span = strspn(k[0].out + off, c == 'A' ? "A" : "B");
        CHECK((c == 'A' || c == 'B') && span == LEN - 1 && k[0].out[off + LEN - 1] == '\n',
              "line at %zu is not one whole frame (%zu x '%c')", off, span, c);
        as += c == 'A';
        bs += c == 'B';
    }
    CHECK(as == FRAMES && bs == FRAMES, "%d A lines, %d B lines", as, bs);
    send_frame(a, STDIN_CLOSE, 2, NULL, 0);
    if (TAKE_EXITS(a, k, 2, 3000))
        return 1;
    CHECK(k[1].out_n == k[0].out_n && memcmp(k[1].out, k[0].out, k[0].out_n) == 0,
          "the attach stream saw other output than the owner");
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;
}

/* The leader exits at once; a child left in its group holds the pipes. */
static int t_reaped_leader_with_open_pipes_is_drained_and_attachable(struct ag *a)
{
    struct rb r = { 0 };
    struct attached at;
    struct sink k[2];
    long long pid, newer;
    const char *argv[] = { "sh", "-c", "(sleep 0.6; echo late) & echo early", NULL };
    rb_str(&r, "background", "1");
    rb_str(&r, "tag", "drain");
    if (exec_ok(a, 1, argv, &r, &pid, NULL, 0) || wait_unlisted(a, 2, pid, 3000))
        return 1;
    /* reaped, output still open: attachable, not exited */
    if (attach_ok(a, 3, 0, "drain", -1, &at))
        return 1;
    CHECK(at.pid == pid && at.exited == 0, "OK pid %lld exited %d", at.pid, at.exited);
    sink_init(&k[0], 3);
    sink_init(&k[1], 5);
    if (TAKE_TEXT(a, k, 2, 0, "early\n", 3000))
        return 1;
    /* its tag goes to a new process; the old one stays attachable by pid */
    const char *argv2[] = { "sh", "-c", "echo newer", NULL };
    rb_str(&r, "background", "1");
    rb_str(&r, "tag", "drain");
    if (exec_ok(a, 4, argv2, &r, &newer, NULL, 0))
        return 1;
    if (attach_ok(a, 5, pid, NULL, -1, &at))
        return 1;
    CHECK(at.exited == 0, "by pid: exited %d", at.exited);
    int64_t t0 = mono_ms();
    if (TAKE_EXITS(a, k, 2, 3000))
        return 1;
    CHECK(mono_ms() - t0 > 200, "EXIT came before the pipes reached EOF");
    for (int i = 0; i < 2; i++) {
        CHECK(strcmp(k[i].replay, "early\n") == 0 && strcmp(k[i].out, "late\n") == 0 && k[i].exit_code == 0,
              "stream %u: replay '%s' stdout '%s' exit %d", k[i].sid, k[i].replay, k[i].out, k[i].exit_code);
        sink_free(&k[i]);
    }
    return 0;
}

/* CLOSE of the owner kills what is left of the group of a reaped leader,
 * unless the process is detached. */
static int t_owner_close_kills_the_group_of_a_reaped_leader_unless_detached(struct ag *a)
{
    struct rb r = { 0 };
    struct attached at;
    struct sink k[2];
    long long pid, child, det_pid, det_child;
    const char *argv[] = { "sh", "-c", "sleep 30 & echo $!", NULL };
    if (exec_ok(a, 1, argv, NULL, &pid, NULL, 0))
        return 1;
    sink_init(&k[0], 1);
    if (TAKE_TEXT(a, k, 1, 0, "\n", 3000) || wait_unlisted(a, 2, pid, 3000))
        return 1;
    child = atoll(k[0].out);
    CHECK(child > 0 && process_alive(child), "child '%s'", k[0].out);
    send_frame(a, CLOSE, 1, NULL, 0);
    CHECK(process_gone(child, 3000), "the group's sleep %lld survived its owner's CLOSE", child);
    sink_free(&k[0]);

    rb_str(&r, "detach", "1");
    if (exec_ok(a, 3, argv, &r, &det_pid, NULL, 0))
        return 1;
    sink_init(&k[0], 3);
    if (TAKE_TEXT(a, k, 1, 0, "\n", 3000) || wait_unlisted(a, 4, det_pid, 3000))
        return 1;
    det_child = atoll(k[0].out);
    send_frame(a, CLOSE, 3, NULL, 0);
    usleep(200000);
    CHECK(process_alive(det_child), "the detached group's sleep died with its owner's CLOSE");
    if (attach_ok(a, 5, det_pid, NULL, -1, &at))
        return 1;
    CHECK(at.exited == 0, "exited %d", at.exited);
    kill((pid_t)det_child, SIGKILL);
    sink_init(&k[1], 5);
    if (TAKE_EXITS(a, k + 1, 1, 3000))
        return 1;
    CHECK(k[1].exit_code == 0, "EXIT %d (the leader's own status)", k[1].exit_code);
    sink_free(&k[0]);
    sink_free(&k[1]);
    return 0;
}

/* 1,024 processes: live ones count, and reaped ones that still have open
 * output; retained ones do not. */
static int t_process_limit_is_1024(struct ag *a)
{
    enum { LIMIT = 1024 };
    struct rlimit rl;
    struct frame f;
    struct rb r = { 0 };
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 6400) {
        printf("     (skipped: RLIMIT_NOFILE hard limit %llu is too low for %d processes)\n",
               (unsigned long long)rl.rlim_max, LIMIT);
        return 0;
    }
    long long *pids = calloc(LIMIT, sizeof *pids);
    /* one that has ended, unattached: retained, not counted */
    const char *done[] = { "true", NULL };
    rb_str(&r, "background", "1");
    if (exec_ok(a, 1, done, &r, &pids[0], NULL, 0) || wait_unlisted(a, 2, pids[0], 3000))
        return 1;
    /* one reaped leader whose child holds the pipes: counted */
    const char *drain[] = { "sh", "-c", "sleep 30 & exit 0", NULL };
    rb_str(&r, "background", "1");
    long long leader;
    if (exec_ok(a, 3, drain, &r, &leader, NULL, 0) || wait_unlisted(a, 2, leader, 3000))
        return 1;
    const char *argv[] = { "sleep", "30", NULL };
    int ok = 0, busy = 0, sent = 0, answered = 0;
    /* A starting process holds a stream until its exec is confirmed: at most 256 streams may be
     * open (section 6), so the requests go out in a window well below that, whatever the load. */
    while (answered < LIMIT) {
        while (sent < LIMIT && sent - answered < 128) {
            rb_str(&r, "background", "1");
            send_exec(a, (uint32_t)(10 + sent), argv, &r);
            sent++;
        }
        CHECK(recv_frame(a, &f, 10000) > 0, "%d of %d answers", answered, LIMIT);
        answered++;
        if (f.type == OK) {
            pids[ok++] = fint(&f, "pid", -1);
            continue;
        }
        CHECK(f.type == ERROR && strcmp(fstr(&f, "code"), "EBUSY") == 0, "exec %u: %s %s", f.stream,
              type_name(f.type), fstr(&f, "code"));
        busy++;
    }
    int alive = ok == LIMIT - 1 && busy == 1;
    for (int i = 0; i < ok; i++)
        kill((pid_t)pids[i], SIGKILL);
    /* the leader's child too: the group */
    kill(-(pid_t)leader, SIGKILL);
    CHECK(alive, "%d started, %d EBUSY; wanted %d and 1", ok, busy, LIMIT - 1);
    free(pids);
    return 0;
}

/* EOF on stdin ends the agent (doc section 7): foreground processes that are
 * not detached die with it, owned or not; detached and background ones run on. */
static int t_stdin_eof_kills_foreground_keeps_detached_and_background(struct ag *a)
{
    struct rb r = { 0 };
    long long orphan, fg, det, bg;
    const char *argv[] = { "sleep", "30", NULL };
    if (exec_ok(a, 1, argv, NULL, &orphan, NULL, 0) || hello_skipping(a, "orphans it"))
        return 1;
    if (exec_ok(a, 2, argv, NULL, &fg, NULL, 0))
        return 1;
    rb_str(&r, "detach", "1");
    if (exec_ok(a, 3, argv, &r, &det, NULL, 0))
        return 1;
    rb_str(&r, "background", "1");
    if (exec_ok(a, 4, argv, &r, &bg, NULL, 0))
        return 1;
    int st = ag_stop(a);
    a->pid = 0;
    CHECK(st == 0, "agent exit status %d", st);
    CHECK(process_gone(fg, 3000), "foreground process %lld survived the agent", fg);
    CHECK(process_gone(orphan, 3000), "foreground process %lld without owner survived the agent", orphan);
    int alive = process_alive(det) && process_alive(bg);
    kill((pid_t)det, SIGKILL);
    kill((pid_t)bg, SIGKILL);
    CHECK(alive, "a detached (%lld) or background (%lld) process died with the agent", det, bg);
    return 0;
}

/* ---------- concurrency ---------- */

static int t_concurrent_streams_interleave(struct ag *a)
{
    enum { N = 6 };
    char out[N][256];
    int exited[N] = { 0 }, left = N;
    struct frame f;
    for (int k = 0; k < N; k++) {
        struct rb r = { 0 };
        char script[128];
        snprintf(script, sizeof script, "for i in 1 2 3 4 5; do echo s%d-$i; sleep 0.02; done", k);
        rb_str(&r, "arg", "sh");
        rb_str(&r, "arg", "-c");
        rb_str(&r, "arg", script);
        send_rec(a, EXEC, 100 + k, &r);
        out[k][0] = 0;
    }
    send_frame(a, PING, 99, NULL, 0);
    int64_t deadline = mono_ms() + 10000;
    int pinged = 0;
    while (left > 0 || !pinged) {
        int rc = recv_frame(a, &f, (int)(deadline - mono_ms()));
        CHECK(rc > 0, "%d streams unfinished", left);
        if (f.stream == 99) {
            CHECK(f.type == OK, "PING answered %s", type_name(f.type));
            pinged = 1;
            continue;
        }
        int k = (int)f.stream - 100;
        CHECK(k >= 0 && k < N, "frame on stream %u", f.stream);
        if (f.type == STDOUT)
            strncat(out[k], (const char *)f.p, f.n < sizeof out[k] - strlen(out[k]) - 1 ? f.n : 0);
        else if (f.type == EXIT) {
            CHECK(!exited[k] && fint(&f, "exit_code", -1) == 0, "stream %d EXIT", k);
            exited[k] = 1;
            left--;
        } else
            CHECK(f.type == OK, "stream %d: %s %s", k, type_name(f.type), fstr(&f, "message"));
    }
    for (int k = 0; k < N; k++) {
        char want[256];
        snprintf(want, sizeof want, "s%d-1\ns%d-2\ns%d-3\ns%d-4\ns%d-5\n", k, k, k, k, k);
        CHECK(strcmp(out[k], want) == 0, "stream %d output '%s'", k, out[k]);
    }
    return 0;
}

/* ---------- files ---------- */

static int write_remote(struct ag *a, uint32_t sid, const char *path, const uint8_t *data, size_t n,
                        struct rb *extra)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "path", path);
    if (extra) {
        r.p = realloc(r.p, r.cap = r.len + extra->len + 1);
        memcpy(r.p + r.len, extra->p, extra->len);
        r.len += extra->len;
        rb_free(extra);
    }
    send_rec(a, WRITE, sid, &r);
    EXPECT(a, &f, CREDIT, sid, 3000);
    long long window = fint(&f, "bytes", 0);
    CHECK(window == 1048576, "initial WRITE credit %lld", window);
    size_t off = 0;
    while (off < n) {
        while (window <= 0) {
            EXPECT(a, &f, CREDIT, sid, 5000);
            window += fint(&f, "bytes", 0);
        }
        size_t chunk = n - off;
        if (chunk > 200 * 1024)
            chunk = 200 * 1024;
        if ((long long)chunk > window)
            chunk = (size_t)window;
        CHECK(send_frame(a, WRITE_DATA, sid, data + off, chunk) == 0, "send");
        off += chunk;
        window -= (long long)chunk;
        /* pick up credit that is already there, without waiting */
        while (recv_frame(a, &f, 0) > 0) {
            CHECK(f.type == CREDIT && f.stream == sid, "during WRITE: %s %s", type_name(f.type),
                  fstr(&f, "message"));
            window += fint(&f, "bytes", 0);
        }
    }
    send_frame(a, WRITE_END, sid, NULL, 0);
    EXPECT(a, &f, OK, sid, 10000);
    CHECK(fint(&f, "size", -1) == (long long)n, "WRITE OK size %s, wanted %zu", fstr(&f, "size"), n);
    return 0;
}

static int read_remote(struct ag *a, uint32_t sid, const char *path, uint8_t **out, size_t *n)
{
    struct rb r = { 0 };
    struct frame f;
    size_t got = 0, cap = 1 << 20, granted = 1 << 20, unacked = 0;
    uint8_t *buf = malloc(cap);
    *out = buf;
    rb_str(&r, "path", path);
    send_rec(a, READ, sid, &r);
    for (;;) {
        int rc = recv_frame(a, &f, 10000);
        CHECK(rc > 0, "READ stalled at %zu bytes", got);
        CHECK(f.stream == sid, "frame on stream %u", f.stream);
        if (f.type == END)
            break;
        CHECK(f.type == DATA, "READ: %s %s", type_name(f.type), fstr(&f, "message"));
        CHECK(f.n <= 256 * 1024, "DATA frame of %zu bytes", f.n);
        CHECK(got + f.n <= granted, "READ sent past its credit");
        if (got + f.n > cap) {
            while (got + f.n > cap)
                cap *= 2;
            buf = realloc(buf, cap);
            *out = buf;
        }
        memcpy(buf + got, f.p, f.n);
        got += f.n;
        unacked += f.n;
        if (unacked >= 512 * 1024) {
            send_credit(a, sid, (long long)unacked);
            granted += unacked;
            unacked = 0;
        }
    }
    CHECK(fint(&f, "size", -1) == (long long)got, "END size %s, got %zu", fstr(&f, "size"), got);
    *n = got;
    return 0;
}

static int t_files_write_read_10mib_round_trip(struct ag *a)
{
    const size_t n = 10u << 20;
    uint8_t *data = malloc(n), *back = NULL;
    size_t back_n = 0;
    struct rb r = { 0 };
    struct stat st;
    char local[300];
    pattern(data, n, 99);
    rb_str(&r, "mode", "600");
    if (write_remote(a, 1, "data/deep/blob.bin", data, n, &r))
        return 1;
    path_in(local, sizeof local, "home/data/deep/blob.bin");
    CHECK(stat(local, &st) == 0 && st.st_size == (off_t)n, "file on disk: size %lld",
          (long long)st.st_size);
    CHECK((st.st_mode & 0777) == 0600, "mode %o", (unsigned)(st.st_mode & 0777));
    if (read_remote(a, 2, "data/deep/blob.bin", &back, &back_n))
        return 1;
    CHECK(back_n == n && memcmp(back, data, n) == 0, "read back %zu bytes, differing", back_n);
    free(back);

    /* append, and an empty file */
    if (write_remote(a, 3, "data/app.txt", (const uint8_t *)"abc", 3, NULL))
        return 1;
    rb_str(&r, "append", "1");
    if (write_remote(a, 4, "data/app.txt", (const uint8_t *)"def", 3, &r))
        return 1;
    if (read_remote(a, 5, "data/app.txt", &back, &back_n))
        return 1;
    CHECK(back_n == 6 && memcmp(back, "abcdef", 6) == 0, "append gave '%.*s'", (int)back_n, back);
    free(back);
    if (write_remote(a, 6, "data/empty", NULL, 0, NULL))
        return 1;
    if (read_remote(a, 7, "data/empty", &back, &back_n))
        return 1;
    CHECK(back_n == 0, "empty file read %zu bytes", back_n);
    free(back);
    free(data);
    return 0;
}

/* An atomic WRITE replaces the file only at WRITE_END: a write given up half-way (CLOSE) leaves
 * the old content and no temporary file; the new file keeps the old one's mode. */
static int t_files_atomic_write_replaces_only_when_complete(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    char local[300], dir[300];
    uint8_t *back = NULL;
    size_t back_n = 0;
    path_in(local, sizeof local, "home/at/keep.txt");
    rb_str(&r, "mode", "640");
    if (write_remote(a, 1, "at/keep.txt", (const uint8_t *)"old", 3, &r))
        return 1;

    rb_str(&r, "path", "at/keep.txt");
    rb_str(&r, "atomic", "1");
    send_rec(a, WRITE, 2, &r);
    EXPECT(a, &f, CREDIT, 2, 3000);
    CHECK(send_frame(a, WRITE_DATA, 2, "half of the new con", 19) == 0, "send");
    EXPECT(a, &f, CREDIT, 2, 3000);   /* granted back once written: the bytes are in the file */
    if (read_remote(a, 3, "at/keep.txt", &back, &back_n))
        return 1;
    CHECK(back_n == 3 && memcmp(back, "old", 3) == 0, "mid-write the file is '%.*s'", (int)back_n, back);
    free(back);
    send_frame(a, CLOSE, 2, NULL, 0);
    if (read_remote(a, 4, "at/keep.txt", &back, &back_n))
        return 1;
    CHECK(back_n == 3 && memcmp(back, "old", 3) == 0, "after CLOSE the file is '%.*s'", (int)back_n, back);
    free(back);
    path_in(dir, sizeof dir, "home/at");
    int entries = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        entries += e->d_name[0] != '.' || strstr(e->d_name, "wrenn") != NULL;
    if (d)
        closedir(d);
    CHECK(entries == 1, "%d entries in the directory: a temporary file was left", entries);

    rb_str(&r, "atomic", "1");
    if (write_remote(a, 5, "at/keep.txt", (const uint8_t *)"new content", 11, &r))
        return 1;
    if (read_remote(a, 6, "at/keep.txt", &back, &back_n))
        return 1;
    CHECK(back_n == 11 && memcmp(back, "new content", 11) == 0, "after WRITE_END '%.*s'", (int)back_n, back);
    free(back);
    struct stat st;
    CHECK(stat(local, &st) == 0 && (st.st_mode & 0777) == 0640, "mode %o, wanted the old 640", (unsigned)(st.st_mode & 0777));

    rb_str(&r, "path", "at/keep.txt");
    rb_str(&r, "atomic", "1");
    rb_str(&r, "append", "1");
    send_rec(a, WRITE, 7, &r);
    EXPECT(a, &f, ERROR, 7, 3000);
    CHECK(strcmp(fstr(&f, "code"), "EINVAL") == 0, "atomic append: %s", fstr(&f, "code"));
    rb_str(&r, "path", "at");
    rb_str(&r, "atomic", "1");
    send_rec(a, WRITE, 8, &r);
    EXPECT(a, &f, ERROR, 8, 3000);
    CHECK(strcmp(fstr(&f, "code"), "EISDIR") == 0, "atomic write over a directory: %s", fstr(&f, "code"));
    return 0;
}

static int t_files_stat(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    char p[300], want[300];
    path_in(p, sizeof p, "home/st.txt");
    write_file(p, "12345", 5);
    chmod(p, 0640);
    path_in(want, sizeof want, "home/st-link");
    symlink("st.txt", want);

    rb_str(&r, "path", "st.txt");
    send_rec(a, STAT, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    CHECK(strcmp(fstr(&f, "name"), "st.txt") == 0 && strcmp(fstr(&f, "path"), p) == 0, "name %s path %s",
          fstr(&f, "name"), fstr(&f, "path"));
    CHECK(strcmp(fstr(&f, "type"), "file") == 0 && fint(&f, "size", -1) == 5, "type %s size %s",
          fstr(&f, "type"), fstr(&f, "size"));
    CHECK(strcmp(fstr(&f, "mode"), "640") == 0 && fint(&f, "mtime_ns", 0) > 1000000000000000000LL,
          "mode %s mtime %s", fstr(&f, "mode"), fstr(&f, "mtime_ns"));

    rb_str(&r, "path", "st-link");
    send_rec(a, STAT, 2, &r);
    EXPECT(a, &f, OK, 2, 3000);
    CHECK(strcmp(fstr(&f, "type"), "symlink") == 0 && strcmp(fstr(&f, "target"), "st.txt") == 0,
          "symlink: type %s target %s", fstr(&f, "type"), fstr(&f, "target"));

    rb_str(&r, "path", "/");
    send_rec(a, STAT, 3, &r);
    EXPECT(a, &f, OK, 3, 3000);
    CHECK(strcmp(fstr(&f, "type"), "directory") == 0 && strcmp(fstr(&f, "path"), "/") == 0, "/: %s %s",
          fstr(&f, "type"), fstr(&f, "path"));

    rb_str(&r, "path", "nope/../missing");
    send_rec(a, STAT, 4, &r);
    return expect_error(a, 4, "ENOENT");
}

static int t_files_list_depth_2(struct ag *a)
{
    const char *dirs[] = { "home/tree", "home/tree/b", "home/tree/b/e", "home/tree/b/e/deep" };
    const char *files[] = { "home/tree/a.txt", "home/tree/b/c.txt", "home/tree/b/e/f.txt" };
    char p[300], q[300];
    struct rb r = { 0 };
    struct frame f;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        path_in(p, sizeof p, dirs[i]);
        mkdir(p, 0755);
    }
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        path_in(p, sizeof p, files[i]);
        write_file(p, "x", 1);
    }
    path_in(p, sizeof p, "home/tree/link");
    symlink("b", p);

    rb_str(&r, "path", "tree");
    rb_str(&r, "depth", "2");
    send_rec(a, LIST, 1, &r);
    char seen[1024] = "";
    int entries = 0;
    CHECK(recv_frame(a, &f, 3000) > 0 && f.stream == 1, "no answer to LIST");
    for (;;) {   /* ENTRIES frames until END */
        if (f.type == END)
            break;
        CHECK(f.type == ENTRIES, "got %s", type_name(f.type));
        size_t vl;
        for (int i = 0;; i++) {
            const uint8_t *e = rec_get_nth(f.p, f.n, "entry", i, &vl);
            if (!e)
                break;
            path_in(q, sizeof q, "home/tree/");
            const char *path = rec_str(e, vl, "path");
            CHECK(strncmp(path, q, strlen(q)) == 0, "path %s outside the tree", path);
            strcat(seen, path + strlen(q));
            strcat(seen, ":");
            strcat(seen, rec_str(e, vl, "type"));
            strcat(seen, " ");
            entries++;
        }
        int rc = recv_frame(a, &f, 3000);
        CHECK(rc > 0 && f.stream == 1, "LIST stopped");
    }
    const char *want = "a.txt:file b:directory b/c.txt:file b/e:directory link:symlink ";
    CHECK(strcmp(seen, want) == 0, "listed '%s', wanted '%s'", seen, want);
    CHECK(fint(&f, "count", -1) == entries && fint(&f, "truncated", -1) == 0, "END count %s truncated %s",
          fstr(&f, "count"), fstr(&f, "truncated"));

    rb_str(&r, "path", "tree/a.txt");
    send_rec(a, LIST, 2, &r);
    if (expect_error(a, 2, "ENOTDIR"))
        return 1;
    rb_str(&r, "path", "tree");
    rb_str(&r, "depth", "0");
    send_rec(a, LIST, 3, &r);
    return expect_error(a, 3, "EINVAL");
}

/* 2 x 50,001 files in two directories: the listing stops at 100,000.
 * On tmpfs when there is one: creating 100,000 files on a busy disk is slow. */
static int list_bounded_in(struct ag *a, const char *dir)
{
    char p[400];
    struct rb r = { 0 };
    struct frame f;
    for (int d = 0; d < 2; d++) {
        snprintf(p, sizeof p, "%s/d%d", dir, d);
        mkdir(p, 0755);
        for (int i = 0; i <= 50000; i++) {
            snprintf(p, sizeof p, "%s/d%d/f%05d", dir, d, i);
            int fd = open(p, O_WRONLY | O_CREAT, 0644);
            CHECK(fd >= 0, "cannot create %s", p);
            close(fd);
        }
    }
    rb_str(&r, "path", dir);
    rb_str(&r, "depth", "5");
    send_rec(a, LIST, 1, &r);
    long long entries = 0, bytes = 0;
    for (;;) {
        CHECK(recv_frame(a, &f, 10000) > 0 && f.stream == 1, "LIST stopped after %lld entries", entries);
        if (f.type == END)
            break;
        CHECK(f.type == ENTRIES, "got %s", type_name(f.type));
        for (size_t pos = 0; pos + 6 <= f.n; entries++) {   /* entries are all "entry" */
            size_t kl = (size_t)f.p[pos] << 8 | f.p[pos + 1];
            size_t vl = (size_t)f.p[pos + 2 + kl] << 24 | (size_t)f.p[pos + 3 + kl] << 16 |
                        (size_t)f.p[pos + 4 + kl] << 8 | f.p[pos + 5 + kl];
            pos += 6 + kl + vl;
        }
        bytes += (long long)f.n;
        if (bytes >= 512 * 1024) {
            send_credit(a, 1, bytes);
            bytes = 0;
        }
    }
    CHECK(entries == 100000, "listed %lld entries", entries);
    CHECK(fint(&f, "count", -1) == 100000 && fint(&f, "truncated", -1) == 1, "END count %s truncated %s",
          fstr(&f, "count"), fstr(&f, "truncated"));
    return 0;
}

static int t_files_list_is_bounded(struct ag *a)
{
    char dir[300], cmd[400];
    snprintf(dir, sizeof dir, "/dev/shm/wrenn-agent-test-%d", (int)getpid());
    if (mkdir(dir, 0755) < 0) {
        path_in(dir, sizeof dir, "home/many");
        mkdir(dir, 0755);
    }
    int rc = list_bounded_in(a, dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}

static int t_files_mkdir_existing_is_eexist(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    char want[300];
    rb_str(&r, "path", "made/with/parents");
    send_rec(a, MKDIR, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    path_in(want, sizeof want, "home/made/with/parents");
    CHECK(strcmp(fstr(&f, "path"), want) == 0 && strcmp(fstr(&f, "type"), "directory") == 0,
          "entry %s %s", fstr(&f, "path"), fstr(&f, "type"));
    rb_str(&r, "path", "made/with/parents");
    send_rec(a, MKDIR, 2, &r);
    return expect_error(a, 2, "EEXIST");
}

static int t_files_read_errors(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "path", "/no/such/file");
    send_rec(a, READ, 1, &r);
    EXPECT(a, &f, ERROR, 1, 3000);
    CHECK(strcmp(fstr(&f, "code"), "ENOENT") == 0 && strstr(fstr(&f, "message"), "/no/such/file"),
          "code %s message '%s'", fstr(&f, "code"), fstr(&f, "message"));
    rb_str(&r, "path", ".");
    send_rec(a, READ, 2, &r);
    if (expect_error(a, 2, "EISDIR"))
        return 1;
    rb_str(&r, "path", "");
    send_rec(a, READ, 3, &r);
    if (expect_error(a, 3, "EINVAL"))
        return 1;
    send_frame(a, READ, 4, NULL, 0);   /* no path at all */
    return expect_error(a, 4, "EINVAL");
}

static int t_files_remove_recursive_keeps_symlink_targets(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    char p[300], outside[300];
    const char *dirs[] = { "home/rm", "home/rm/x", "home/rm/x/y", "outside" };
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        path_in(p, sizeof p, dirs[i]);
        mkdir(p, 0755);
    }
    path_in(p, sizeof p, "home/rm/x/y/file");
    write_file(p, "1", 1);
    path_in(outside, sizeof outside, "outside/keep");
    write_file(outside, "1", 1);
    path_in(p, sizeof p, "home/rm/x/link");
    char target[300];
    path_in(target, sizeof target, "outside");
    symlink(target, p);

    rb_str(&r, "path", "rm");
    send_rec(a, REMOVE, 1, &r);
    EXPECT(a, &f, OK, 1, 5000);
    path_in(p, sizeof p, "home/rm");
    CHECK(access(p, F_OK) != 0, "%s still exists", p);
    CHECK(access(outside, F_OK) == 0, "REMOVE followed a symlink and deleted %s", outside);
    rb_str(&r, "path", "rm");
    send_rec(a, REMOVE, 2, &r);
    return expect_error(a, 2, "ENOENT");
}

/* ---------- INIT, FREEZE ---------- */

static int t_init_sets_capsule_id_and_env(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    struct exec_result res;
    uint8_t entropy[64];
    pattern(entropy, sizeof entropy, 3);
    rb_str(&r, "capsule_id", "cap-123");
    rb_str(&r, "hostname", "ignored-in-test-mode");
    rb_str(&r, "time_ns", "1700000000000000000");
    rb_add(&r, "entropy", entropy, sizeof entropy);
    rb_str(&r, "env", "X_INIT=1");
    rb_str(&r, "env", "LANG=xx");
    rb_str(&r, "mac", "02:00:00:12:34:56");
    send_rec(a, INIT, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    const char *argv[] = { "sh", "-c", "echo $WRENN_CAPSULE_ID $X_INIT $LANG $Y", NULL };
    rb_str(&r, "env", "Y=2");
    if (run_exec(a, 2, argv, &r, &res, 5000))
        return 1;
    CHECK(strcmp(res.out, "cap-123 1 xx 2\n") == 0, "env gave '%s'", res.out);
    exec_result_free(&res);
    /* a multicast MAC, or one that is not six bytes, is refused before anything is applied */
    for (uint32_t sid = 4; sid <= 6; sid++) {
        rb_str(&r, "mac", sid == 4 ? "01:00:00:12:34:56" : sid == 5 ? "02:00:00:12:34" : "02:00:00:12:34:5g");
        send_rec(a, INIT, sid, &r);
        if (expect_error(a, sid, "EINVAL"))
            return 1;
    }
    rb_str(&r, "mac", "02:00:00:12:34:56");
    /* a machine id that is not 32 lowercase hex digits, a boot id that is not a UUID: refused */
    const char *bad[][2] = { { "machine_id", "0123456789abcdef0123456789abcdeF" }, { "machine_id", "0123" },
                             { "boot_id", "0123456789ab-cdef-0123-456789abcdef" }, { "boot_id", "../../etc/passwd" } };
    for (uint32_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rb one = { 0 };
        rb_str(&one, bad[i][0], bad[i][1]);
        send_rec(a, INIT, 10 + i, &one);
        if (expect_error(a, 10 + i, "EINVAL"))
            return 1;
    }
    rb_str(&r, "machine_id", "0123456789abcdef0123456789abcdef");
    rb_str(&r, "boot_id", "01234567-89ab-cdef-0123-456789abcdef");
    send_rec(a, INIT, 20, &r);
    EXPECT(a, &f, OK, 20, 3000);
    uint8_t big[600] = { 0 };
    rb_add(&r, "entropy", big, sizeof big);
    send_rec(a, INIT, 3, &r);
    return expect_error(a, 3, "EINVAL");
}

static int t_freeze_and_thaw_are_skipped_in_test_mode(struct ag *a)
{
    struct frame f;
    send_frame(a, FREEZE, 1, NULL, 0);
    EXPECT(a, &f, OK, 1, 3000);
    CHECK(fint(&f, "skipped", 0) == 1, "FREEZE skipped=%s", fstr(&f, "skipped"));
    send_frame(a, THAW, 2, NULL, 0);
    EXPECT(a, &f, OK, 2, 3000);
    CHECK(fint(&f, "skipped", 0) == 1, "THAW skipped=%s", fstr(&f, "skipped"));
    return 0;
}

/* ---------- runner ---------- */

static const struct {
    const char *name;
    int (*fn)(struct ag *);
} tests[] = {
#define T(fn) { #fn + 2, fn }
    T(t_hello_echoes_nonce),
    T(t_resync_after_garbage),
    T(t_malformed_frames_are_survived),
    T(t_truncated_frame_then_eof_exits_cleanly),
    T(t_unknown_type_is_enosys),
    T(t_duplicate_stream_id_is_einval),
    T(t_exec_separates_stdout_stderr_and_exit_code),
    T(t_exec_with_env_cwd_and_stdin),
    T(t_exec_missing_program_or_cwd_is_enoent),
    T(t_exec_timeout_kills_fast),
    T(t_exec_killed_by_signal),
    T(t_exec_large_output_obeys_credit),
    T(t_exec_stdin_beyond_credit_is_einval),
    T(t_close_kills_foreground_process),
    T(t_credit_extremes_do_no_harm),
    T(t_exec_many_args_and_env_entries),
    T(t_stream_limit_is_ebusy),
    T(t_background_ps_and_signal_by_tag),
    T(t_pty_has_size_term_and_resize),
    T(t_concurrent_streams_interleave),
    T(t_attach_by_pid_and_tag_gets_replay_live_and_exit),
    T(t_attach_with_replay_0_sends_no_replay),
    T(t_attach_replays_exactly_the_last_64kib),
    T(t_attach_while_starting_waits_for_the_start),
    T(t_detached_exec_survives_close_and_takes_input_by_attach),
    T(t_input_from_two_streams_keeps_frames_whole),
    T(t_owner_close_kills_and_attach_streams_get_exit),
    T(t_hello_ends_streams_but_no_process),
    T(t_pty_shell_survives_hello_and_reattaches),
    T(t_hello_keeps_timeout_and_retains_the_exit),
    T(t_stdin_eof_kills_foreground_keeps_detached_and_background),
    T(t_background_logs_attaches_and_retains_its_exit),
    T(t_exited_process_gives_its_tag_to_a_new_one),
    T(t_retention_keeps_the_64_newest),
    T(t_attach_backpressure_slowest_sets_the_pace_unattached_drains),
    T(t_background_log_rotates_at_8mib),
    T(t_attach_bad_requests),
    T(t_attach_limit_is_8_streams_per_process),
    T(t_attach_stream_errors_never_end_the_process),
    T(t_attach_close_and_credit_floods),
    T(t_reaped_leader_with_open_pipes_is_drained_and_attachable),
    T(t_owner_close_kills_the_group_of_a_reaped_leader_unless_detached),
    T(t_process_limit_is_1024),
    T(t_files_write_read_10mib_round_trip),
    T(t_files_atomic_write_replaces_only_when_complete),
    T(t_files_stat),
    T(t_files_list_depth_2),
    T(t_files_list_is_bounded),
    T(t_files_mkdir_existing_is_eexist),
    T(t_files_read_errors),
    T(t_files_remove_recursive_keeps_symlink_targets),
    T(t_init_sets_capsule_id_and_env),
    T(t_freeze_and_thaw_are_skipped_in_test_mode),
#undef T
};

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-wrenn-agent [NAME-SUBSTRING]\n", argv[0]);
        return 2;
    }
    agent_path = argv[1];
    signal(SIGPIPE, SIG_IGN);
    alarm(900);   /* last resort; every wait has its own timeout */
    snprintf(tmp_root, sizeof tmp_root, "/tmp/wrenn-agent-test.XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof tests / sizeof *tests; i++) {
        struct ag a;
        if (argc > 2 && !strstr(tests[i].name, argv[2]))
            continue;
        fail_msg[0] = 0;
        int64_t t0 = mono_ms();
        int rc = ag_start(&a) == 0 ? tests[i].fn(&a) : (snprintf(fail_msg, sizeof fail_msg, "cannot start agent"), 1);
        int st = ag_stop(&a);
        if (rc == 0 && st != 0) {
            snprintf(fail_msg, sizeof fail_msg, "agent exit status %d after stdin EOF", st);
            rc = 1;
        }
        long long ms = (long long)(mono_ms() - t0);
        if (rc == 0) {
            passed++;
            printf("ok   %-50s %5lld ms\n", tests[i].name, ms);
        } else {
            failed++;
            printf("FAIL %-50s %5lld ms: %s\n", tests[i].name, ms, fail_msg);
        }
    }
    if (failed == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmp_root);
    } else {
        printf("(agent log and files kept in %s)\n", tmp_root);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
