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
    CHECK(fint(&f, "version", -1) == 1, "version is %s", fstr(&f, "version"));
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

static int t_hello_ends_streams_of_an_earlier_connection(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    send_rec(a, EXEC, 5, &r);
    EXPECT(a, &f, OK, 5, 3000);
    long long pid = fint(&f, "pid", -1);
    rb_str(&r, "nonce", "second connection");
    send_rec(a, HELLO, 0, &r);
    EXPECT(a, &f, HELLO_ACK, 0, 3000);
    CHECK(process_gone(pid, 3000), "process %lld of the old connection survived HELLO", pid);
    if (!ping_ok(a, 5))   /* the id is free again */
        return 1;
    return 0;
}

static int t_stdin_eof_kills_foreground_keeps_background(struct ag *a)
{
    struct rb r = { 0 };
    struct frame f;
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    send_rec(a, EXEC, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    long long fg = fint(&f, "pid", -1);
    rb_str(&r, "arg", "sleep");
    rb_str(&r, "arg", "30");
    rb_str(&r, "background", "1");
    send_rec(a, EXEC, 2, &r);
    EXPECT(a, &f, OK, 2, 3000);
    long long bg = fint(&f, "pid", -1);
    int st = ag_stop(a);
    a->pid = 0;
    CHECK(st == 0, "agent exit status %d", st);
    CHECK(process_gone(fg, 3000), "foreground process %lld survived the agent", fg);
    int alive = kill((pid_t)bg, 0) == 0;
    kill((pid_t)bg, SIGKILL);
    CHECK(alive, "background process %lld died with the agent", bg);
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
    send_rec(a, INIT, 1, &r);
    EXPECT(a, &f, OK, 1, 3000);
    const char *argv[] = { "sh", "-c", "echo $WRENN_CAPSULE_ID $X_INIT $LANG $Y", NULL };
    rb_str(&r, "env", "Y=2");
    if (run_exec(a, 2, argv, &r, &res, 5000))
        return 1;
    CHECK(strcmp(res.out, "cap-123 1 xx 2\n") == 0, "env gave '%s'", res.out);
    exec_result_free(&res);
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
    T(t_hello_ends_streams_of_an_earlier_connection),
    T(t_stdin_eof_kills_foreground_keeps_background),
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
    T(t_files_write_read_10mib_round_trip),
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
