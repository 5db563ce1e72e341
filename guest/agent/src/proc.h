/*
 * Processes and the streams that follow them (docs/guest-protocol.md
 * section 5), shared by exec.c, proc.c and attach.c.
 *
 * A struct proc is a process the agent started. It owns everything of the
 * process: its output pipes (or pty master), its stdin, its replay ring, its
 * log and its exit record, and it lives on whatever happens to streams.
 * A struct tap is a stream that follows a process: the EXEC stream of a
 * foreground process (its owner) or an ATTACH stream. A tap owns only its
 * own input queue (STDIN bytes not yet written, under its own credit) and
 * its replay position; it points at its process, and the process lists its
 * taps. Neither frees the other: a proc is freed by procs_sweep() once it
 * has ended, is not retained and has no tap left; a tap is freed when its
 * stream ends.
 */
#ifndef WRENN_PROC_H
#define WRENN_PROC_H

#include "agent.h"

#define TAG_MAX 64
#define MAX_TAPS 8                      /* streams per process (owner included) */
#define MAX_RETAINED 64                 /* exited processes kept for ATTACH */
#define RETAIN_MS (10 * 60 * 1000)
#define RING_MAX (64 * 1024)            /* replay buffer per process */
#define LOG_ROTATE (8 << 20)            /* <tag>.log becomes <tag>.log.1 here */
#define OUT_CHUNK (64 * 1024)           /* one read of a process's output */

/* Last RING_MAX bytes of output, allocated on first output and grown as
 * needed, so a quiet process costs nothing. */
struct ring {
    uint8_t *buf;
    size_t cap, start, len;             /* oldest byte at buf[start] */
};

/* What a child reports over its status pipe when its setup or exec fails. */
enum { STAGE_SETUP = 1, STAGE_CWD, STAGE_EXEC };
struct child_status { int stage, err; };

struct tap;

struct proc {
    pid_t pid;
    char tag[TAG_MAX + 1];              /* "" = none */
    int tag_given_up;                   /* a newer process took the tag: found by pid only */
    int background, detached, pty;
    int starting;                       /* exec not yet confirmed on the status pipe */
    int failed;                         /* exec failed: exiting, invisible */
    int reaped, wstatus, timed_out;
    int ended;                          /* reaped and output at EOF: exit record final */
    int retained;                       /* ended unseen: kept for ATTACH */
    int status_fd, out_fd, err_fd;      /* -1 when closed (out/err: at EOF) */
    int in_fd;                          /* stdin pipe or a dup of the pty master, -1 = none */
    int log_fd;                         /* background/detached: <tag>.log, else -1 */
    int64_t log_size;
    struct ring ring;
    struct tap *taps[MAX_TAPS];
    int ntaps;
    struct tap *in_cur;                 /* the tap whose input is being written */
    int64_t start_ms, end_ms, deadline; /* deadline: timeout (monotonic ms), 0 = none */
    int64_t retain_until;
    uint64_t seq;                       /* order of starts: the newest wins a lookup */
    uint64_t end_seq;                   /* order of ends, for the retention cap */
    struct rec ps;                      /* this process's PS entry */
    char *prog, *cwd;                   /* for start error messages */
};

struct tap {
    struct stream *s;
    struct proc *p;
    int owner;                          /* the EXEC stream of p */
    int wait_start;                     /* ATTACH while p was starting: OK once started */
    int want_replay;
    size_t replay_left;                 /* ring bytes still to send as REPLAY */
    int exit_due;                       /* p ended: EXIT after the replay */
    int exit_sent;
    uint8_t *inq;                       /* STDIN bytes not yet written to p */
    size_t inq_off, inq_len, inq_cap;
    int stdin_close;                    /* STDIN_CLOSE seen: close p's stdin after inq */
};

/* ---- proc.c: the process table ---- */
struct proc *proc_new(void);
void proc_free(struct proc *p);          /* one never inserted */
int proc_insert(struct proc *p);         /* -1: table full */
int procs_full(void);                    /* MAX_PROCS live and draining ones */
struct proc *proc_live_by_pid(pid_t pid);        /* started, not reaped: SIGNAL, PS */
struct proc *proc_live_by_tag(const char *tag);  /* not reaped: a taken tag */
int proc_tag_taken(const char *tag);     /* held by any record, for generated tags */
void proc_claim_tag(const char *tag);    /* older holders give the tag up */
/* ATTACH: live, draining or retained; NULL otherwise. */
struct proc *proc_attachable(int by_pid, pid_t pid, const char *tag);
int proc_log_open(struct proc *p);       /* 0 or an errno */
void proc_kill_group(struct proc *p);    /* SIGKILL to the group; no-op once gone */
void proc_unretain(struct proc *p);      /* an ATTACH took the retained record */
void proc_ring_copy(const struct proc *p, size_t off, uint8_t *dst, size_t n);
int proc_add_tap(struct proc *p, struct tap *t);   /* -1: MAX_TAPS reached */
void proc_remove_tap(struct proc *p, struct tap *t);
void proc_write_stdin(struct proc *p);
int proc_has_stdin(const struct proc *p);
void procs_ps(struct rec *r);            /* PS entries of the live processes */

/* ---- exec.c ---- */
int tag_valid(const char *tag);

/* ---- attach.c: taps ---- */
extern const struct stream_ops tap_ops;
struct tap *tap_new(struct proc *p, int owner);
void tap_free(struct tap *t);            /* one whose stream never opened */
void taps_started(struct proc *p);       /* OKs of the EXEC and waiting ATTACHes */
void taps_start_failed(struct proc *p, int err, const char *msg);
void taps_ended(struct proc *p);         /* EXIT to every tap */
void tap_output(struct tap *t, uint8_t type, const uint8_t *buf, size_t n);

#endif
