/*
 * EXEC, the process table, ptys, SIGNAL and PS.
 *
 * A process is started with fork + exec; the child reports a failed setup or
 * exec over a close-on-exec status pipe, so "no such program" is an ERROR and
 * a successful exec is seen as EOF on that pipe, without ever blocking the
 * loop. A foreground exec's stream sends EXIT only when the process was
 * reaped and both output pipes reached EOF, so no output is lost.
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
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

#define TAG_MAX 64
#define PS_ARGS_MAX 1024       /* bytes of arguments kept for PS per process */
#define OUT_CHUNK (64 * 1024)  /* one read of a process's output */
#define CLOSE_RANGE_CLOEXEC_FLAG 4   /* linux/close_range.h, not in musl */

enum { STAGE_SETUP = 1, STAGE_CWD, STAGE_EXEC };
struct child_status { int stage, err; };

enum { ROLE_STATUS, ROLE_STDOUT, ROLE_STDERR, ROLE_STDIN };

struct exec_st;

struct proc {
    pid_t pid;
    char tag[TAG_MAX + 1];
    int background;
    int failed;                /* exec failed: exiting, not listed, not signalled */
    struct exec_st *ex;        /* its exec stream while that lasts (background:
                                  until the start was confirmed) */
    int64_t deadline;          /* background timeout (ms, monotonic), 0 = none */
    struct rec ps;             /* this process's PS entry */
};

static struct proc *procs[MAX_PROCS];
static int nprocs;

struct exec_st {
    struct stream *s;
    struct proc *proc;         /* NULL once reaped */
    pid_t pid;
    int starting;              /* exec not yet confirmed on the status pipe */
    int background, pty;
    int status_fd;
    int out_fd, err_fd;        /* -1 once at EOF */
    int in_fd;                 /* stdin pipe or a dup of the pty master, -1 = none */
    int stdin_broken;          /* stdin is gone: further STDIN bytes are dropped */
    int stdin_close;           /* STDIN_CLOSE seen: close once the queue drained */
    uint8_t *inq;
    size_t inq_off, inq_len, inq_cap;
    int reaped, wstatus, timed_out;
    int exited;                /* EXIT was sent: the stream ended normally */
    int64_t start_ms, end_ms, deadline;
    char *prog, *cwd;          /* for error messages */
    char tag[TAG_MAX + 1];
    struct exec_st *next;      /* list of live exec streams, for timeouts */
};

static struct exec_st *execs;

static void exec_release(struct stream *s);
static void exec_frame(struct stream *s, uint8_t type, const uint8_t *p, size_t n);
static void exec_poll_add(struct stream *s, struct pollset *ps);
static void exec_poll_ready(struct stream *s, int role, int fd, short revents);

static const struct stream_ops exec_ops = {
    .release = exec_release,
    .frame = exec_frame,
    .poll_add = exec_poll_add,
    .poll_ready = exec_poll_ready,
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* ---------- process table ---------- */

static struct proc *proc_by_pid(pid_t pid)
{
    for (int i = 0; i < nprocs; i++)
        if (procs[i]->pid == pid)
            return procs[i];
    return NULL;
}

static struct proc *proc_by_tag(const char *tag)
{
    for (int i = 0; i < nprocs; i++)
        if (!procs[i]->failed && procs[i]->tag[0] && strcmp(procs[i]->tag, tag) == 0)
            return procs[i];
    return NULL;
}

static void proc_remove(struct proc *p)
{
    for (int i = 0; i < nprocs; i++) {
        if (procs[i] == p) {
            procs[i] = procs[--nprocs];
            break;
        }
    }
    rec_free(&p->ps);
    free(p);
}

/* Kills a whole process group (and the leader, in case it has not yet made
 * its own group when this runs). */
static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

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
static int tag_valid(const char *t)
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
        if (!proc_by_tag(out))
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
    int want_stdin, background, pty, rows, cols;
    const char *log_path;
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
static int spawn(struct exec_st *e, const struct spawn_req *rq)
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
        e->out_fd = m;
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
        e->in_fd = fcntl(m, F_DUPFD_CLOEXEC, 3);
        if (e->in_fd < 0)
            goto fail;
    } else if (rq->background) {
        cin = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (cin < 0)
            goto fail;
        if ((errno = mkdir_parents(rq->log_path)) != 0)
            goto fail;
        cout = open(rq->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOCTTY | O_CLOEXEC, 0644);
        if (cout < 0)
            goto fail;
        cerr = cout;
    } else {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
            goto fail;
        e->out_fd = p[0];
        cout = p[1];
        if (pipe2(p, O_CLOEXEC) < 0)
            goto fail;
        e->err_fd = p[0];
        cerr = p[1];
        if (rq->want_stdin) {
            if (pipe2(p, O_CLOEXEC) < 0)
                goto fail;
            cin = p[0];
            e->in_fd = p[1];
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
    e->status_fd = st[0];
    close(cin);
    if (cout != cin)
        close(cout);
    if (cerr != cout && cerr != cin)
        close(cerr);
    e->pid = pid;
    set_nonblock(e->status_fd);
    if (e->out_fd >= 0)
        set_nonblock(e->out_fd);
    if (e->err_fd >= 0)
        set_nonblock(e->err_fd);
    if (e->in_fd >= 0)
        set_nonblock(e->in_fd);
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
    close_fd(&e->out_fd);
    close_fd(&e->err_fd);
    close_fd(&e->in_fd);
    return err;
}

static void exec_st_free(struct exec_st *e)
{
    if (!e)
        return;
    free(e->prog);
    free(e->cwd);
    free(e->inq);
    free(e);
}

void exec_request(uint32_t sid, const uint8_t *p, size_t n)
{
    struct strv args = { 0 }, req_env = { 0 }, env = { 0 };
    struct exec_st *e = NULL;
    struct proc *pr = NULL;
    char *cwd_in = NULL, *tag = NULL;
    char cwd[4096], log_path[4096 + TAG_MAX + 8];
    int64_t timeout_ms = 0, rows = 24, cols = 80;
    int want_stdin = 0, background = 0, pty = 0, err;
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
    if (tag && proc_by_tag(tag)) {
        send_error(sid, EEXIST, "EXEC: a process tagged '%s' is running", tag);
        goto out;
    }
    if (nprocs >= MAX_PROCS) {
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

    e = calloc(1, sizeof *e);
    pr = calloc(1, sizeof *pr);
    if (!e || !pr || !(e->prog = strdup(args.v[0])) || !(e->cwd = strdup(cwd))) {
        send_error(sid, ENOMEM, "out of memory");
        goto out;
    }
    e->status_fd = e->out_fd = e->err_fd = e->in_fd = -1;
    e->background = background;
    e->pty = pty;
    if (tag)
        snprintf(e->tag, sizeof e->tag, "%s", tag);
    else if (background)
        make_tag(e->tag);
    snprintf(log_path, sizeof log_path, "%s/%s.log", agent.log_dir, e->tag);

    struct stream *s = stream_open(sid, SK_EXEC, &exec_ops, e);
    if (!s)
        goto out;
    e->s = s;
    e->next = execs;
    execs = e;

    struct spawn_req rq = {
        .argv = args.v, .envp = env.v, .cwd = cwd,
        .want_stdin = want_stdin, .background = background, .pty = pty,
        .rows = rows ? (int)rows : 24, .cols = cols ? (int)cols : 80,
        .log_path = log_path,
    };
    e->start_ms = now_ms();
    err = spawn(e, &rq);
    if (err) {
        pr = (free(pr), NULL);
        e = NULL;   /* owned by the stream now */
        stream_fail(s, err, "EXEC %.200s: cannot start: %s", args.v[0], strerror(err));
        goto out;
    }
    if (timeout_ms > 0)
        e->deadline = e->start_ms + timeout_ms;

    pr->pid = e->pid;
    snprintf(pr->tag, sizeof pr->tag, "%s", e->tag);
    pr->background = background;
    pr->ex = e;
    if (background) {
        pr->deadline = e->deadline;
        e->deadline = 0;   /* the process table keeps a background timeout */
    }
    rec_init(&pr->ps);
    rec_add_int(&pr->ps, "pid", pr->pid);
    rec_add_str(&pr->ps, "tag", pr->tag);
    size_t budget = PS_ARGS_MAX;
    for (size_t i = 0; i < args.n && budget > 0; i++) {
        size_t al = strlen(args.v[i]);
        al = al < budget ? al : budget;
        rec_add(&pr->ps, "arg", args.v[i], al);
        budget -= al;
    }
    rec_add_int(&pr->ps, "background", background);
    procs[nprocs++] = pr;
    e->proc = pr;
    e->starting = 1;
    pr = NULL;
    e = NULL;

out:
    free(pr);
    if (e && !e->s)
        exec_st_free(e);
    free(cwd_in);
    free(tag);
    strv_free(&args);
    strv_free(&req_env);
    strv_free(&env);
}

/* ---------- a running exec stream ---------- */

static void send_exit(struct exec_st *e)
{
    struct rec r;
    int code = 0, sig = 0;
    if (WIFEXITED(e->wstatus)) {
        code = WEXITSTATUS(e->wstatus);
    } else if (WIFSIGNALED(e->wstatus)) {
        sig = WTERMSIG(e->wstatus);
        code = 128 + sig;
    }
    if (e->timed_out)
        code = 124;   /* as timeout(1) reports it */
    rec_init(&r);
    rec_add_int(&r, "exit_code", code);
    rec_add_int(&r, "signal", sig);
    rec_add_int(&r, "timed_out", e->timed_out);
    rec_add_int(&r, "duration_ms", e->end_ms - e->start_ms);
    send_rec(T_EXIT, e->s->id, &r);
}

static void maybe_finish(struct exec_st *e)
{
    if (e->s->dead || e->starting || !e->reaped || e->out_fd >= 0 || e->err_fd >= 0)
        return;
    send_exit(e);
    e->exited = 1;
    stream_end(e->s);
}

static void exec_release(struct stream *s)
{
    struct exec_st *e = s->priv;
    if (e->proc) {
        if (!e->background)
            kill_group(e->pid);   /* a foreground process lives only with its stream */
        e->proc->ex = NULL;
    } else if (!e->background && !e->exited && e->pid > 0 && !proc_by_pid(e->pid)) {
        /* Reaped, but its stream was given up while the rest of its group
         * still held the pipes: that rest goes too. After a normal EXIT,
         * processes it left behind (`cmd &`) are let be. */
        kill(-e->pid, SIGKILL);
    }
    close_fd(&e->status_fd);
    close_fd(&e->out_fd);
    close_fd(&e->err_fd);
    close_fd(&e->in_fd);
    for (struct exec_st **pp = &execs; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    exec_st_free(e);
}

static void started(struct exec_st *e)
{
    struct rec r;
    e->starting = 0;
    close_fd(&e->status_fd);
    rec_init(&r);
    rec_add_int(&r, "pid", e->pid);
    if (e->tag[0])
        rec_add_str(&r, "tag", e->tag);
    send_ok(e->s->id, &r);
    if (e->background) {   /* its stream ends here; the process runs on */
        stream_end(e->s);
        return;
    }
    if (e->in_fd >= 0)
        stream_grant(e->s, INITIAL_CREDIT);
    maybe_finish(e);
}

static void read_status(struct exec_st *e)
{
    struct child_status cs;
    ssize_t r = read(e->status_fd, &cs, sizeof cs);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r != (ssize_t)sizeof cs) {   /* EOF: the exec happened */
        started(e);
        return;
    }
    if (e->proc)
        e->proc->failed = 1;
    struct stream *s = e->s;
    if (cs.stage == STAGE_CWD)
        stream_fail(s, cs.err, "cwd %.300s: %s", e->cwd, strerror(cs.err));
    else if (cs.stage == STAGE_EXEC && cs.err == ENOENT)
        stream_fail(s, cs.err, "%.300s: program not found", e->prog);
    else if (cs.stage == STAGE_EXEC)
        stream_fail(s, cs.err, "exec %.300s: %s", e->prog, strerror(cs.err));
    else
        stream_fail(s, cs.err, "process setup for %.300s: %s", e->prog, strerror(cs.err));
}

static void pump_output(struct exec_st *e, int *fd, uint8_t type)
{
    struct stream *s = e->s;
    size_t max = s->credit < OUT_CHUNK ? (size_t)s->credit : OUT_CHUNK;
    if (max == 0)   /* the other pipe used up the credit in this round */
        return;
    uint8_t *buf = out_reserve(max);
    if (!buf)
        return;
    ssize_t r = read(*fd, buf, max);
    if (r > 0) {
        out_commit(type, s->id, (size_t)r);
        s->credit -= r;
        return;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    /* EOF, or EIO: a pty master whose last slave fd was closed. */
    close_fd(fd);
    maybe_finish(e);
}

static void drop_stdin(struct exec_st *e)
{
    size_t dropped = e->inq_len;
    e->stdin_broken = 1;
    e->inq_off = e->inq_len = 0;
    close_fd(&e->in_fd);
    stream_consumed(e->s, dropped, 1);   /* the host may go on sending */
}

static void write_stdin(struct exec_st *e)
{
    while (e->inq_len > 0 && e->in_fd >= 0) {
        ssize_t w = write(e->in_fd, e->inq + e->inq_off, e->inq_len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                drop_stdin(e);   /* EPIPE: nobody reads the process's stdin */
            break;
        }
        e->inq_off += (size_t)w;
        e->inq_len -= (size_t)w;
        if (e->inq_len == 0)
            e->inq_off = 0;
        stream_consumed(e->s, (size_t)w, e->inq_len == 0);
    }
    if (e->stdin_close && e->inq_len == 0 && !e->pty)
        close_fd(&e->in_fd);
}

static int queue_stdin(struct exec_st *e, const uint8_t *p, size_t n)
{
    if (e->inq_off + e->inq_len + n > e->inq_cap) {
        if (e->inq_off) {
            memmove(e->inq, e->inq + e->inq_off, e->inq_len);
            e->inq_off = 0;
        }
        if (e->inq_len + n > e->inq_cap) {
            size_t cap = e->inq_cap ? e->inq_cap : 16 * 1024;
            while (cap < e->inq_len + n)
                cap *= 2;
            uint8_t *nq = realloc(e->inq, cap);
            if (!nq)
                return -1;
            e->inq = nq;
            e->inq_cap = cap;
        }
    }
    memcpy(e->inq + e->inq_off + e->inq_len, p, n);
    e->inq_len += n;
    return 0;
}

static void resize(struct exec_st *e, const uint8_t *p, size_t n)
{
    int64_t rows, cols;
    if (!rec_valid(p, n) || rec_get_int(p, n, "rows", &rows) != 1 ||
        rec_get_int(p, n, "cols", &cols) != 1 || rows < 1 || rows > 65535 ||
        cols < 1 || cols > 65535) {
        stream_fail(e->s, EINVAL, "RESIZE: `rows` and `cols` must be 1..65535");
        return;
    }
    if (!e->pty || e->in_fd < 0)
        return;
    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
    ioctl(e->in_fd, TIOCSWINSZ, &ws);   /* the kernel sends SIGWINCH */
}

static void exec_frame(struct stream *s, uint8_t type, const uint8_t *p, size_t n)
{
    struct exec_st *e = s->priv;
    switch (type) {
    case T_STDIN:
        if (!stream_take_window(s, n))
            return;
        if (e->stdin_broken || e->stdin_close || e->in_fd < 0) {
            stream_consumed(s, n, 1);
            return;
        }
        if (queue_stdin(e, p, n)) {
            stream_fail(s, ENOMEM, "out of memory");
            return;
        }
        write_stdin(e);
        return;
    case T_STDIN_CLOSE:
        if (e->stdin_close || e->in_fd < 0)
            return;
        if (e->pty) {
            /* A terminal has no "close": send its EOF character instead. */
            struct termios t;
            uint8_t eof = 4;
            if (tcgetattr(e->in_fd, &t) == 0 && t.c_cc[VEOF])
                eof = t.c_cc[VEOF];
            if (queue_stdin(e, &eof, 1) == 0)
                write_stdin(e);
            return;
        }
        e->stdin_close = 1;
        write_stdin(e);
        return;
    case T_RESIZE:
        resize(e, p, n);
        return;
    default:
        stream_fail(s, EINVAL, "frame type 0x%02x does not belong to an EXEC stream", type);
        return;
    }
}

static void exec_poll_add(struct stream *s, struct pollset *ps)
{
    struct exec_st *e = s->priv;
    if (e->starting) {
        pollset_add(ps, s, ROLE_STATUS, e->status_fd, POLLIN);
        return;
    }
    if (stream_can_send(s)) {
        if (e->out_fd >= 0)
            pollset_add(ps, s, ROLE_STDOUT, e->out_fd, POLLIN);
        if (e->err_fd >= 0)
            pollset_add(ps, s, ROLE_STDERR, e->err_fd, POLLIN);
    }
    if (e->in_fd >= 0 && e->inq_len > 0)
        pollset_add(ps, s, ROLE_STDIN, e->in_fd, POLLOUT);
}

static void exec_poll_ready(struct stream *s, int role, int fd, short revents)
{
    struct exec_st *e = s->priv;
    (void)revents;
    switch (role) {
    case ROLE_STATUS:
        if (fd == e->status_fd)
            read_status(e);
        break;
    case ROLE_STDOUT:
        if (fd == e->out_fd)
            pump_output(e, &e->out_fd, T_STDOUT);
        break;
    case ROLE_STDERR:
        if (fd == e->err_fd)
            pump_output(e, &e->err_fd, T_STDERR);
        break;
    case ROLE_STDIN:
        if (fd == e->in_fd)
            write_stdin(e);
        break;
    }
}

/* ---------- reaping and timeouts ---------- */

static void exec_reaped(struct exec_st *e, int wstatus)
{
    e->reaped = 1;
    e->wstatus = wstatus;
    e->end_ms = now_ms();
    e->proc = NULL;
    if (e->timed_out) {
        /* Pipes held open by escaped grandchildren must not delay the EXIT. */
        close_fd(&e->out_fd);
        close_fd(&e->err_fd);
    }
    maybe_finish(e);
}

void procs_reap(void)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0)
            return;
        struct proc *p = proc_by_pid(pid);
        if (!p)
            continue;   /* PID 1 adopts orphans; they are reaped, not reported */
        struct exec_st *e = p->ex;
        proc_remove(p);
        if (e) {
            e->proc = NULL;
            exec_reaped(e, st);
        }
    }
}

int64_t procs_next_deadline(void)
{
    int64_t d = 0;
    for (int i = 0; i < nprocs; i++)
        if (procs[i]->deadline && (!d || procs[i]->deadline < d))
            d = procs[i]->deadline;
    for (struct exec_st *e = execs; e; e = e->next)
        if (e->deadline && (!d || e->deadline < d))
            d = e->deadline;
    return d;
}

void procs_check_timeouts(int64_t now)
{
    for (int i = 0; i < nprocs; i++) {
        if (procs[i]->deadline && now >= procs[i]->deadline) {
            procs[i]->deadline = 0;
            kill_group(procs[i]->pid);
        }
    }
    for (struct exec_st *e = execs, *next; e; e = next) {
        next = e->next;   /* e may end below */
        if (!e->deadline || now < e->deadline || e->s->dead)
            continue;
        e->deadline = 0;
        e->timed_out = 1;
        if (!e->reaped) {
            kill_group(e->pid);   /* the EXIT follows the reap */
            continue;
        }
        kill(-e->pid, SIGKILL);
        close_fd(&e->out_fd);
        close_fd(&e->err_fd);
        maybe_finish(e);
    }
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
    if (have_pid == 1) {
        pr = pid > 0 && pid <= INT32_MAX ? proc_by_pid((pid_t)pid) : NULL;
        if (pr && pr->failed)
            pr = NULL;
    } else {
        pr = proc_by_tag(tag);
    }
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
    for (int i = 0; i < nprocs; i++) {
        if (procs[i]->failed)
            continue;
        if (r.len + procs[i]->ps.len + 16 > MAX_PAYLOAD - 32) {
            rec_add_int(&r, "truncated", 1);
            break;
        }
        rec_add_rec(&r, "proc", &procs[i]->ps);
    }
    send_ok(sid, &r);
}
