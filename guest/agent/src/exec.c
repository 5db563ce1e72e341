/*
 * EXEC (parsing, env, fork/exec, pty), SIGNAL and PS.
 *
 * A process is started with fork + exec; the child reports a failed setup or
 * exec over a close-on-exec status pipe, so "no such program" is an ERROR and
 * a successful exec is seen as EOF on that pipe (proc.c), without ever
 * blocking the loop. What happens to the process after that is proc.c's
 * (its output, stdin, end) and attach.c's (the streams that follow it).
 */
#include <sys/stat.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

#define PS_ARGS_MAX 1024       /* bytes of arguments kept for PS per process */
#define CLOSE_RANGE_CLOEXEC_FLAG 4   /* linux/close_range.h, not in musl */

/* ---------- parsing an EXEC ---------- */

struct strv {
    char **v;
    size_t n, cap;
};

static int strv_push(struct strv *sv, char *s)
{
    if (!s)
        return -1;
    if (sv->n + 2 > sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        char **nv = realloc(sv->v, cap * sizeof *nv);
        if (!nv) {
            free(s);
            return -1;
        }
        sv->v = nv;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
    return 0;
}

static void strv_free(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

static int env_valid(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return eq && eq != kv;
}

static size_t key_len(const char *kv)
{
    return (size_t)(strchr(kv, '=') - kv);
}

/* qsort has no context argument; build_env is not reentrant. */
static char **env_sort_base;

/* Orders entry indices by key, then by position, so the last value given
 * for a key ends its run. */
static int cmp_env(const void *a, const void *b)
{
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    const char *x = env_sort_base[ia], *y = env_sort_base[ib];
    size_t kx = key_len(x), ky = key_len(y);
    int c = memcmp(x, y, kx < ky ? kx : ky);
    if (c)
        return c;
    if (kx != ky)
        return kx < ky ? -1 : 1;
    return ia < ib ? -1 : ia > ib;
}

/* Default env, then WRENN_CAPSULE_ID, then INIT's env, then TERM for a pty,
 * then the request's env; a later value of a key replaces an earlier one.
 * Sort-based, because a request may carry tens of thousands of entries. */
static int build_env(struct strv *env, const struct strv *req_env, int pty)
{
    char buf[4200];
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    const char *user = "root";
    struct strv all = { 0 };
    if (!agent.pid1) {   /* test mode runs as whoever started it */
        if (getenv("PATH"))
            path = getenv("PATH");
        if (getenv("USER"))
            user = getenv("USER");
    }
    snprintf(buf, sizeof buf, "PATH=%s", path);
    if (strv_push(&all, strdup(buf)))
        goto out;
    snprintf(buf, sizeof buf, "HOME=%s", agent.home);
    if (strv_push(&all, strdup(buf)))
        goto out;
    snprintf(buf, sizeof buf, "USER=%s", user);
    if (strv_push(&all, strdup(buf)) || strv_push(&all, strdup("LANG=C.UTF-8")))
        goto out;
    if (agent.capsule_id) {
        snprintf(buf, sizeof buf, "WRENN_CAPSULE_ID=%s", agent.capsule_id);
        if (strv_push(&all, strdup(buf)))
            goto out;
    }
    for (char **e = agent.init_env; e && *e; e++)
        if (strv_push(&all, strdup(*e)))
            goto out;
    if (pty && strv_push(&all, strdup("TERM=xterm-256color")))
        goto out;
    for (size_t i = 0; i < req_env->n; i++)
        if (strv_push(&all, strdup(req_env->v[i])))
            goto out;

    /* Mark every entry that a later one of the same key replaces (as an
     * empty string: no valid entry is empty), then keep the rest in order. */
    size_t *idx = malloc((all.n ? all.n : 1) * sizeof *idx);
    if (!idx)
        goto out;
    for (size_t i = 0; i < all.n; i++)
        idx[i] = i;
    env_sort_base = all.v;
    qsort(idx, all.n, sizeof *idx, cmp_env);
    for (size_t i = 0; i + 1 < all.n; i++) {
        const char *x = all.v[idx[i]], *y = all.v[idx[i + 1]];
        size_t k = key_len(x);
        if (k == key_len(y) && memcmp(x, y, k) == 0)
            all.v[idx[i]][0] = 0;
    }
    free(idx);
    for (size_t i = 0; i < all.n; i++) {
        if (all.v[i][0] == 0) {
            free(all.v[i]);
            continue;
        }
        if (strv_push(env, all.v[i])) {
            for (size_t j = i + 1; j < all.n; j++)
                free(all.v[j]);
            free(all.v);
            return -1;
        }
    }
    free(all.v);
    return 0;
out:
    strv_free(&all);
    return -1;
}

/* Tags name log files, so they are plain names. */
int tag_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > TAG_MAX || t[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = t[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

static void make_tag(char *out)
{
    static uint32_t counter;
    for (int attempt = 0; attempt < 16; attempt++) {
        uint32_t r;
        if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
            r = (uint32_t)now_ms() * 2654435761u ^ ++counter * 40503u ^ (uint32_t)getpid();
        snprintf(out, TAG_MAX + 1, "proc-%08x", r);
        if (!proc_tag_taken(out))
            return;
    }
}

/* ---------- the child ---------- */

static int move_fd(int from, int to)
{
    if (from == to)
        return fcntl(to, F_SETFD, 0);   /* keep it across exec */
    return dup2(from, to) < 0 ? -1 : 0;
}

static void child_exec(int status_fd, int cin, int cout, int cerr, int pty,
                       char **argv, char **envp, const char *cwd, const char *resolved)
{
    struct child_status cs = { STAGE_SETUP, 0 };
    sigset_t none;

    /* The agent blocks SIGCHLD and ignores SIGPIPE; a program expects defaults. */
    for (int sig = 1; sig < 65; sig++)
        signal(sig, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (setsid() < 0)   /* own session and process group: killed as a group */
        goto fail;
    if (pty && ioctl(cin, TIOCSCTTY, 0) < 0)
        goto fail;
    if (move_fd(cin, 0) || move_fd(cout, 1) || move_fd(cerr, 2))
        goto fail;
    /* Nothing else of the agent's may leak into the program. */
    syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC_FLAG);
    if (agent.nofile_soft) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
            rl.rlim_cur = (rlim_t)agent.nofile_soft;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    umask(022);
    cs.stage = STAGE_CWD;
    if (chdir(cwd) < 0)
        goto fail;
    cs.stage = STAGE_EXEC;
    if (resolved[0]) {
        execve(resolved, argv, envp);
        if (errno != ENOEXEC)
            goto fail;
    }
    environ = envp;            /* execvp looks PATH up in the program's env */
    execvp(argv[0], argv);
fail:
    cs.err = errno;
    while (write(status_fd, &cs, sizeof cs) < 0 && errno == EINTR)
        ;
    _exit(127);
}

/* ---------- starting a process ---------- */

struct spawn_req {
    char **argv, **envp;
    const char *cwd;
    int want_stdin, pty, rows, cols;
};

/*
 * PATH lookups, remembered. execvp tries execve in every PATH directory in turn, and under TCG
 * each failed execve costs about half a millisecond: for busybox's /bin applets that was a fifth
 * of an exec's round trip. A hit is checked with one access() before it is used.
 */
#define LOOKUP_CACHE 32
static struct lookup { char *path_env; char *name; char *resolved; } lookups[LOOKUP_CACHE];
static unsigned lookup_next;

static const char *path_of(char **envp)
{
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    return "/usr/local/bin:/bin:/usr/bin";
}

static int is_exec_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* Leaves `out` empty when the name has a slash or is not found: execvp then decides. */
static void resolve_program(const char *name, char **envp, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!name[0] || strchr(name, '/'))
        return;
    const char *path = path_of(envp);
    for (unsigned i = 0; i < LOOKUP_CACHE; i++) {
        struct lookup *l = &lookups[i];
        if (l->name && strcmp(l->name, name) == 0 && strcmp(l->path_env, path) == 0) {
            if (is_exec_file(l->resolved) && strlen(l->resolved) < outlen) {
                strcpy(out, l->resolved);
                return;
            }
            break;
        }
    }
    for (const char *dir = path; *dir; ) {
        const char *end = strchrnul(dir, ':');
        int n = snprintf(out, outlen, "%.*s/%s", (int)(end - dir), dir, name);
        if (n > 0 && (size_t)n < outlen && end > dir && is_exec_file(out)) {
            struct lookup *l = &lookups[lookup_next++ % LOOKUP_CACHE];
            free(l->path_env);
            free(l->name);
            free(l->resolved);
            l->path_env = strdup(path);
            l->name = strdup(name);
            l->resolved = strdup(out);
            if (!l->path_env || !l->name || !l->resolved) {
                free(l->path_env);
                free(l->name);
                free(l->resolved);
                l->path_env = l->name = l->resolved = NULL;
            }
            return;
        }
        dir = *end ? end + 1 : end;
    }
    out[0] = '\0';
}

/*
 * vfork: under TCG, copying the agent's page tables and taking the copy-on-write faults
 * afterwards is a large part of an exec's round trip. The child only makes system calls and
 * sets `environ`, which the parent puts back once the child has exec'd or died. Kept in a
 * function of its own so that no local of the caller lives across the vfork.
 */
static pid_t start_child(int status_fd, int cin, int cout, int cerr, const struct spawn_req *rq)
{
    char resolved[PATH_MAX];
    resolve_program(rq->argv[0], rq->envp, resolved, sizeof resolved);
    char **saved_environ = environ;
    pid_t pid = vfork();
    if (pid == 0)
        child_exec(status_fd, cin, cout, cerr, rq->pty, rq->argv, rq->envp, rq->cwd, resolved);
    environ = saved_environ;
    return pid;
}

/* Creates the process's fds, forks and execs. Returns 0 or an errno. */

/* Creates the process's fds, forks and execs. Returns 0 or an errno. */
static int spawn(struct proc *p, const struct spawn_req *rq)
{
    int st[2] = { -1, -1 };
    int cin = -1, cout = -1, cerr = -1;   /* the child's ends */
    int err;

    errno = 0;   /* some failures below (ptsname_r) need not set it */
    if (pipe2(st, O_CLOEXEC) < 0)
        return errno;
    if (rq->pty) {
        char name[64];
        struct winsize ws = { .ws_row = (unsigned short)rq->rows,
                              .ws_col = (unsigned short)rq->cols };
        int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m < 0)
            goto fail;
        p->out_fd = m;
        if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0)
            goto fail;
        if (ioctl(m, TIOCSWINSZ, &ws) < 0)
            goto fail;
        cin = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (cin < 0)
            goto fail;
        cout = cerr = cin;
        /* A second fd on the master, so stdin can be polled for writing and
         * closed independently of the output side. */
        p->in_fd = fcntl(m, F_DUPFD_CLOEXEC, 3);
        if (p->in_fd < 0)
            goto fail;
    } else {
        /* Pipes for every process, background ones too: the agent reads
         * them into the replay ring, the log and the attached streams. */
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
            goto fail;
        p->out_fd = fds[0];
        cout = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
            goto fail;
        p->err_fd = fds[0];
        cerr = fds[1];
        if (rq->want_stdin) {
            if (pipe2(fds, O_CLOEXEC) < 0)
                goto fail;
            cin = fds[0];
            p->in_fd = fds[1];
        } else {
            cin = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (cin < 0)
                goto fail;
        }
    }

    pid_t pid = start_child(st[1], cin, cout, cerr, rq);
    if (pid < 0)
        goto fail;

    close(st[1]);
    p->status_fd = st[0];
    close(cin);
    if (cout != cin)
        close(cout);
    if (cerr != cout && cerr != cin)
        close(cerr);
    p->pid = pid;
    set_nonblock(p->status_fd);
    if (p->out_fd >= 0)
        set_nonblock(p->out_fd);
    if (p->err_fd >= 0)
        set_nonblock(p->err_fd);
    if (p->in_fd >= 0)
        set_nonblock(p->in_fd);
    return 0;

fail:
    err = errno ? errno : EIO;
    close(st[0]);
    close(st[1]);
    if (cin >= 0)
        close(cin);
    if (cout >= 0 && cout != cin)
        close(cout);
    if (cerr >= 0 && cerr != cout && cerr != cin)
        close(cerr);
    return err;   /* p's own fds are closed with p */
}

/* The PS entry is built once, at the start. */
static void build_ps(struct proc *p, const struct strv *args)
{
    rec_add_int(&p->ps, "pid", p->pid);
    rec_add_str(&p->ps, "tag", p->tag);
    size_t budget = PS_ARGS_MAX;
    for (size_t i = 0; i < args->n && budget > 0; i++) {
        size_t al = strlen(args->v[i]);
        al = al < budget ? al : budget;
        rec_add(&p->ps, "arg", args->v[i], al);
        budget -= al;
    }
    rec_add_int(&p->ps, "background", p->background);
    rec_add_int(&p->ps, "pty", p->pty);
    rec_add_int(&p->ps, "detach", p->detached);
}

void exec_request(uint32_t sid, const uint8_t *p, size_t n)
{
    struct strv args = { 0 }, req_env = { 0 }, env = { 0 };
    struct proc *pr = NULL;
    struct tap *t = NULL;
    char *cwd_in = NULL, *tag = NULL;
    char cwd[4096];
    int64_t timeout_ms = 0, rows = 24, cols = 80;
    int want_stdin = 0, background = 0, detach = 0, pty = 0, err;
    struct rec_iter it;
    const char *k;
    size_t kl, vl;
    const uint8_t *v;

    rec_iter_init(&it, p, n);
    while (rec_next(&it, &k, &kl, &v, &vl)) {
        if (rec_key_is(k, kl, "arg")) {
            if (strv_push(&args, value_dup(v, vl))) {
                send_error(sid, EINVAL, "EXEC: an `arg` holds a NUL byte");
                goto out;
            }
        } else if (rec_key_is(k, kl, "env")) {
            char *kv = value_dup(v, vl);
            if (!kv || !env_valid(kv) || strv_push(&req_env, kv)) {
                if (kv && !env_valid(kv))
                    free(kv);
                send_error(sid, EINVAL, "EXEC: an `env` entry is not K=V");
                goto out;
            }
        }
    }
    if (rec_get_str(p, n, "cwd", &cwd_in) < 0 || rec_get_str(p, n, "tag", &tag) < 0 ||
        rec_get_int(p, n, "timeout_ms", &timeout_ms) < 0 || timeout_ms < 0 ||
        rec_get_bool(p, n, "stdin", &want_stdin) < 0 ||
        rec_get_bool(p, n, "background", &background) < 0 ||
        rec_get_bool(p, n, "detach", &detach) < 0 ||
        rec_get_bool(p, n, "pty", &pty) < 0 ||
        rec_get_int(p, n, "rows", &rows) < 0 || rows < 0 || rows > 65535 ||
        rec_get_int(p, n, "cols", &cols) < 0 || cols < 0 || cols > 65535) {
        send_error(sid, EINVAL, "EXEC: a field is malformed");
        goto out;
    }
    if (args.n == 0 || args.v[0][0] == 0) {
        send_error(sid, EINVAL, "EXEC: `arg` (the program) is missing");
        goto out;
    }
    if (background && pty) {
        send_error(sid, EINVAL, "EXEC: a background process cannot have a pty");
        goto out;
    }
    if (tag && !tag_valid(tag)) {
        send_error(sid, EINVAL, "EXEC: tag '%.80s' is not 1-64 of [A-Za-z0-9._-]", tag);
        goto out;
    }
    if (tag && proc_live_by_tag(tag)) {
        send_error(sid, EEXIST, "EXEC: a process tagged '%s' is running", tag);
        goto out;
    }
    if (procs_full()) {
        send_error(sid, EBUSY, "EXEC: too many processes (limit %d)", MAX_PROCS);
        goto out;
    }
    if (cwd_in) {
        err = resolve_path((const uint8_t *)cwd_in, strlen(cwd_in), cwd, sizeof cwd);
        if (err) {
            send_error(sid, err, "EXEC: bad cwd '%.200s'", cwd_in);
            goto out;
        }
    } else {
        snprintf(cwd, sizeof cwd, "%s", agent.home);
    }
    if (build_env(&env, &req_env, pty)) {
        send_error(sid, ENOMEM, "out of memory");
        goto out;
    }

    pr = proc_new();
    t = tap_new(NULL, 1);   /* linked to pr once pr is in the table */
    if (!pr || !t || !(pr->prog = strdup(args.v[0])) || !(pr->cwd = strdup(cwd))) {
        send_error(sid, ENOMEM, "out of memory");
        goto out;
    }
    pr->background = background;
    pr->detached = background || detach;   /* a background process is always detached */
    pr->pty = pty;
    if (tag)
        snprintf(pr->tag, sizeof pr->tag, "%s", tag);
    else if (pr->detached)
        make_tag(pr->tag);

    t->s = stream_open(sid, SK_EXEC, &tap_ops, t);
    if (!t->s)
        goto out;
    /* From here on the stream owns the tap; an error ends it. */
    struct stream *s = t->s;
    if (pr->tag[0])
        proc_claim_tag(pr->tag);
    if (pr->detached && (err = proc_log_open(pr)) != 0) {
        stream_fail(s, err, "EXEC %.200s: cannot open its log: %s", args.v[0], strerror(err));
        t = NULL;
        goto out;
    }
    struct spawn_req rq = {
        .argv = args.v, .envp = env.v, .cwd = cwd, .want_stdin = want_stdin, .pty = pty,
        .rows = rows ? (int)rows : 24, .cols = cols ? (int)cols : 80,
    };
    pr->start_ms = now_ms();
    err = spawn(pr, &rq);
    if (err) {
        stream_fail(s, err, "EXEC %.200s: cannot start: %s", args.v[0], strerror(err));
        t = NULL;
        goto out;
    }
    if (timeout_ms > 0)
        pr->deadline = pr->start_ms + timeout_ms;
    pr->starting = 1;
    build_ps(pr, &args);
    proc_insert(pr);   /* cannot fail: procs_full() said there is room */
    t->p = pr;
    proc_add_tap(pr, t);
    pr = NULL;
    t = NULL;

out:
    if (t && !t->s)
        tap_free(t);
    proc_free(pr);
    free(cwd_in);
    free(tag);
    strv_free(&args);
    strv_free(&req_env);
    strv_free(&env);
}

/* ---------- SIGNAL and PS ---------- */

void signal_request(uint32_t sid, const uint8_t *p, size_t n)
{
    int64_t pid = 0, sig = -1;
    char *tag = NULL;
    struct proc *pr = NULL;
    int have_pid = rec_get_int(p, n, "pid", &pid);
    int have_tag = rec_get_str(p, n, "tag", &tag);
    if (have_pid < 0 || have_tag < 0 || rec_get_int(p, n, "signal", &sig) != 1 ||
        sig < 0 || sig > 64 || (have_pid != 1 && have_tag != 1)) {
        send_error(sid, EINVAL, "SIGNAL needs `pid` or `tag` and a `signal` 0..64");
        free(tag);
        return;
    }
    if (have_pid == 1)
        pr = pid > 0 && pid <= INT32_MAX ? proc_live_by_pid((pid_t)pid) : NULL;
    else
        pr = proc_live_by_tag(tag);
    if (!pr) {
        if (have_pid == 1)
            send_error(sid, ESRCH, "no process %lld started by the agent", (long long)pid);
        else
            send_error(sid, ESRCH, "no process tagged '%.80s'", tag);
        free(tag);
        return;
    }
    free(tag);
    /* To the group, so a shell's children get it too. */
    if (kill(-pr->pid, (int)sig) < 0 && kill(pr->pid, (int)sig) < 0) {
        send_error(sid, errno, "kill %d: %s", (int)pr->pid, strerror(errno));
        return;
    }
    send_ok(sid, NULL);
}

void ps_request(uint32_t sid, const uint8_t *p, size_t n)
{
    struct rec r;
    (void)p;
    (void)n;
    rec_init(&r);
    procs_ps(&r);
    send_ok(sid, &r);
}
