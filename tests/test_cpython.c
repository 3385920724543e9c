/*
 * test_cpython: stage 3 on. The runtime against CPython: seeded random
 * sequences of next, send, throw and close run on generator bodies in C
 * and on the same bodies in CPython (tests/cpython_twin.py, whose bodies
 * are these, line for line), and what the two print must match line by
 * line. From stage 5 the bodies also run as child tasks 1 to 3 levels deep
 * under the I/O loop, below wrappers that yield them, and the loop closes
 * the whole stack, as CPython closes a chain of `yield from`.
 *
 * CPYTHON_SEED=N replays a run; CPYTHON_BODY=name runs one body only. On
 * a mismatch the test prints the shortest failing sequence it can find
 * and both outputs side by side.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "task.h"
#include "xorshift.h"
#if STAGE >= 5
#include "io.h"
#endif

#define SEQUENCES 2000 /* per mode */
#define MAX_OPS 12

static const task_error err_a = {TASK_ERROR_USER, "A"};
static const task_error err_b = {TASK_ERROR_USER + 1, "B"};
static const task_error err_c = {TASK_ERROR_USER + 2, "C"};
static const task_error err_d = {TASK_ERROR_USER + 3, "D"};

/* One call on the generator: n, s (send v), a or b (throw A or B), c. */
typedef struct op {
    char kind;
    long v;
} op;

typedef struct sequence {
    char mode; /* d: direct calls; l: a stack under the I/O loop */
    int body;
    int depth;
    int nops;
    op ops[MAX_OPS];
} sequence;

/* A body's frame; a wrapper's too. */
typedef struct body {
    task task;
#if STAGE >= 5
    io_wait wait;
#endif
    int i;
    int k;       /* a wrapper's level, 1 the outermost */
    int ignored; /* 1 once it ignored the exit */
    task *inner; /* what a wrapper, or the top, yields */
} body;

/* What the running sequence prints, and what its bodies need. */
static struct {
    char *text;
    size_t len, cap;
    int muted;
    task *me;    /* the body's own task */
    task *other; /* the task that caller resumes */
    int looped;  /* 1: a yield parks the task for the driver */
    task *parked;
    value out; /* what the parked task yields */
    const char *op;
    int closing;
    int finished;
} drv;

static void line(const char *fmt, ...)
{
    va_list ap;
    int n;

    if (drv.muted)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(drv.text + drv.len, drv.cap - drv.len, fmt, ap);
        va_end(ap);
        if ((size_t)n + 2 <= drv.cap - drv.len)
            break;
        drv.cap = 2 * drv.cap + (size_t)n + 64;
        drv.text = realloc(drv.text, drv.cap);
        cr_assert_not_null(drv.text);
    }
    drv.len += (size_t)n;
    drv.text[drv.len++] = '\n';
    drv.text[drv.len] = '\0';
}

#define LOG(...) line("  " __VA_ARGS__)

static char shown[64];

/* A value as Python's str() shows it. */
static const char *show(value v)
{
    if (v.kind == VALUE_NONE)
        return "None";
    if (v.kind == VALUE_INT)
        snprintf(shown, sizeof shown, "%ld", v.as.i);
#if STAGE >= 5
    else if (v.kind == VALUE_WAIT) /* reads the wait: ASan sees a dangling one */
        snprintf(shown, sizeof shown, "wait %d", (int)v.as.wait->op);
#endif
    else
        snprintf(shown, sizeof shown, "kind %d", (int)v.kind);
    return shown;
}

static const char *name_of(const task_error *e)
{
    if (e == &task_exit)
        return "exit";
    if (e == &task_error_running)
        return "running";
    if (e == &task_error_not_started)
        return "not_started";
    if (e == &task_error_ignored_exit)
        return "ignored";
    return e ? e->message : "(none)";
}

/* What a call on t reported, as the twin prints it. */
static const char *outcome(task *t, task_status s, int was_done, int close)
{
    static char o[96];

    if (s == TASK_YIELDED)
        snprintf(o, sizeof o, "yield %s", show(t->yielded));
    else if (s == TASK_DONE && close)
        snprintf(o, sizeof o, "ok");
#if STAGE >= 5
    else if (s == TASK_DONE)
        snprintf(o, sizeof o, "done %s",
                 was_done ? "None" : show(t->returned));
#endif
    else if (s == TASK_DONE)
        snprintf(o, sizeof o, "done");
    else
        snprintf(o, sizeof o, "raise %s", name_of(task_error_of(t, s)));
    (void)was_done;
    return o;
}

/* What a body's task_resume(other) reports. */
static const char *resume(task *t)
{
    int was_done = task_done(t);

    return outcome(t, task_resume(t), was_done, 0);
}

/* Under the loop a yield parks the task until the driver wakes it. */
static value out_value(task *t, value v)
{
#if STAGE >= 5
    if (drv.looped) {
        drv.parked = t;
        drv.out = v;
        return io_sleep(&((body *)t)->wait, -1);
    }
#endif
    (void)t;
    return v;
}

#define OUT(t, v) TASK_YIELD_VALUE(t, out_value(t, value_int(v)))
#define OUT_CATCH(t, v) TASK_YIELD_CATCH(t, out_value(t, value_int(v)))
#if STAGE >= 5
#define RETURN(t, v) TASK_RETURN(t, value_int(v))
#else
#define RETURN(t, v) return TASK_DONE /* no return value before stage 5 */
#endif

/* ---- the bodies: each is a generator in cpython_twin.py ---- */

static task_status loop_main(task *t)
{
    body *b = (body *)t;

    TASK_BEGIN(t);
    for (b->i = 0; b->i < 3; b->i++) {
        OUT(t, b->i);
        LOG("loop got %s", show(t->sent));
    }
    RETURN(t, 3);
    TASK_END(t);
}

static task_status handler_main(task *t)
{
    body *b = (body *)t;

    TASK_BEGIN(t);
    for (b->i = 0; b->i < 4; b->i++) {
        OUT_CATCH(t, b->i);
        if (t->error == &err_a) {
            LOG("handler caught A");
            t->error = NULL;
        } else if (t->error == &err_b) {
            LOG("handler caught B");
            t->error = NULL;
            RETURN(t, 5);
        } else if (t->error) {
            TASK_FAIL(t, t->error);
        } else {
            LOG("handler got %s", show(t->sent));
        }
    }
    RETURN(t, 6);
    TASK_END(t);
}

static task_status cleanup_main(task *t)
{
    TASK_BEGIN(t);
    OUT(t, 1);
    OUT(t, 2);
    TASK_FINALLY(t);
    LOG("cleanup runs");
    TASK_END(t);
}

static task_status stubborn_main(task *t)
{
    body *b = (body *)t;

    TASK_BEGIN(t);
    for (b->i = 0; b->i < 4; b->i++) {
        OUT_CATCH(t, b->i);
        if (t->error == &task_exit && !b->ignored) {
            b->ignored = 1;
            LOG("stubborn ignores exit");
            t->error = NULL;
        } else if (t->error) {
            TASK_FAIL(t, t->error);
        }
    }
    TASK_FINALLY(t);
    LOG("stubborn cleanup");
    TASK_END(t);
}

static task_status raiser_main(task *t)
{
    TASK_BEGIN(t);
    OUT(t, 1);
    TASK_FAIL(t, &err_d);
    TASK_FINALLY(t);
    LOG("raiser cleanup");
    TASK_END(t);
}

static task_status badclean_main(task *t)
{
    TASK_BEGIN(t);
    OUT(t, 1);
    OUT(t, 2);
    TASK_FINALLY(t);
    LOG("bad cleanup");
    TASK_FAIL(t, &err_c);
    TASK_END(t);
}

static task_status yieldclean_main(task *t)
{
    TASK_BEGIN(t);
    OUT(t, 1);
    OUT(t, 2);
    if (t->sent.kind != VALUE_NONE)
        TASK_FAIL(t, &err_d);
    RETURN(t, 7);
    TASK_FINALLY(t);
    LOG("cleanup yields");
    OUT(t, 99);
    LOG("cleanup got %s", show(t->sent));
    TASK_END(t);
}

static task_status finret_main(task *t)
{
    TASK_BEGIN(t);
    OUT(t, 1);
    OUT(t, 2);
    TASK_FINALLY(t);
    LOG("finally returns");
    RETURN(t, 8);
    TASK_END(t);
}

static task_status caller_main(task *t)
{
    TASK_BEGIN(t);
    OUT(t, 1);
    LOG("caller: other %s", resume(drv.other));
    OUT(t, 2);
    TASK_FINALLY(t);
    LOG("caller cleanup: other %s", resume(drv.other));
    TASK_END(t);
}

static task_status selfish_main(task *t)
{
    TASK_BEGIN(t);
    LOG("self %s", resume(t));
    OUT(t, 1);
    OUT(t, 2);
    TASK_FINALLY(t);
    LOG("cleanup: self %s", resume(t));
    TASK_END(t);
}

/* Catches any error and forgets to clear it: the error stays in flight,
 * and goes on at TASK_FINALLY as the error that ends the body. */
static task_status forgetful_main(task *t)
{
    TASK_BEGIN(t);
    OUT_CATCH(t, 1);
    if (t->error)
        LOG("forgetful saw %s", name_of(t->error));
    LOG("forgetful goes on");
    TASK_FINALLY(t);
    LOG("forgetful cleanup");
    TASK_END(t);
}

#if STAGE >= 5
/* A child for a cleanup: returns 4 at once, or (k = 2) yields 50 first. */
static task_status kid_main(task *t)
{
    body *b = (body *)t;

    TASK_BEGIN(t);
    LOG("kid%d runs", b->k);
    if (b->k == 2)
        OUT(t, 50);
    RETURN(t, 4);
    TASK_FINALLY(t);
    LOG("kid%d cleanup", b->k);
    TASK_END(t);
}

static task *kid(int k)
{
    body *b = io_child(kid_main, sizeof *b);

    cr_assert_not_null(b);
    b->k = k;
    return &b->task;
}

/* Its cleanup yields a child that returns at once. */
static task_status kidclean_main(task *t)
{
    TASK_BEGIN(t);
    OUT(t, 1);
    OUT(t, 2);
    TASK_FINALLY(t);
    LOG("kidclean cleanup");
    TASK_YIELD_VALUE(t, value_task(kid(1)));
    LOG("kidclean got %s", show(t->sent));
    TASK_END(t);
}

/* Its cleanup yields a child that waits before it returns. */
static task_status kidwait_main(task *t)
{
    TASK_BEGIN(t);
    OUT(t, 1);
    OUT(t, 2);
    TASK_FINALLY(t);
    LOG("kidwait cleanup");
    TASK_YIELD_VALUE(t, value_task(kid(2)));
    LOG("kidwait got %s", show(t->sent));
    TASK_END(t);
}
#endif

/* The task that caller resumes: it resumes caller back. It is no child,
 * so its yields never park. */
static task_status other_main(task *t)
{
    TASK_BEGIN(t);
    for (;;) {
        LOG("other: caller %s", resume(drv.me));
        TASK_YIELD_VALUE(t, value_int(0));
    }
    TASK_END(t);
}

static const struct {
    const char *name;
    task_fn *fn;
} bodies[] = {
    {"loop", loop_main},         {"handler", handler_main},
    {"cleanup", cleanup_main},   {"stubborn", stubborn_main},
    {"raiser", raiser_main},     {"badclean", badclean_main},
    {"yieldclean", yieldclean_main}, {"finret", finret_main},
    {"caller", caller_main},     {"selfish", selfish_main},
    {"forgetful", forgetful_main},
#if STAGE >= 5 /* these yield children: under the loop only */
    {"kidclean", kidclean_main}, {"kidwait", kidwait_main},
#endif
};
#define NBODIES ((int)(sizeof bodies / sizeof bodies[0]))
#define NDIRECT 11 /* the bodies that direct calls run: the first ones */

static void op_name(const op *o, char *buf, size_t len)
{
    if (o->kind == 's')
        snprintf(buf, len, "s%ld", o->v);
    else if (o->kind == 'a' || o->kind == 'b')
        snprintf(buf, len, "t%c", o->kind - 'a' + 'A');
    else
        snprintf(buf, len, "%c", o->kind);
}

static void body_init(body *b, task_fn *fn)
{
    memset(b, 0, sizeof *b);
    task_init(&b->task, fn);
}

static task_status apply(task *t, const op *o)
{
    switch (o->kind) {
    case 's':
        return task_send(t, value_int(o->v));
    case 'a':
        return task_throw(t, &err_a);
    case 'b':
        return task_throw(t, &err_b);
    case 'c':
        return task_close(t);
    }
    return task_resume(t);
}

static void run_direct(const sequence *q)
{
    body b, o;
    char name[16];
    int was_done;

    body_init(&b, bodies[q->body].fn);
    body_init(&o, other_main);
    drv.me = &b.task;
    drv.other = &o.task;
    drv.looped = 0;
    for (int i = 0; i < q->nops; i++) {
        op_name(&q->ops[i], name, sizeof name);
        was_done = task_done(&b.task);
        line("%s -> %s", name,
             outcome(&b.task, apply(&b.task, &q->ops[i]), was_done,
                     q->ops[i].kind == 'c'));
    }
}

#if STAGE >= 5

/* ---- a stack under the I/O loop ---- */

static const sequence *looped;
static char loop_op[16];

static task_status wrapper_main(task *t)
{
    body *b = (body *)t;

    TASK_BEGIN(t);
    TASK_YIELD_CATCH(t, value_task(b->inner));
    if (t->error == &err_a) {
        LOG("w%d caught A", b->k);
        t->error = NULL;
        OUT(t, 10 * b->k);
        LOG("w%d got %s", b->k, show(t->sent));
        RETURN(t, -b->k);
    } else if (!t->error) {
        LOG("w%d got %s", b->k, show(t->sent));
        TASK_RETURN(t, t->sent);
    }
    TASK_FINALLY(t);
    LOG("w%d cleanup", b->k);
    TASK_END(t);
}

/* The caller of the stack: how the stack ends is the answer to a call. */
static task_status top_main(task *t)
{
    body *b = (body *)t;

    TASK_BEGIN(t);
    TASK_YIELD_CATCH(t, value_task(b->inner));
    if (!t->error)
        line("%s -> done %s", drv.op, show(t->sent));
    else if (t->error == &task_exit && drv.closing)
        line("%s -> ok", drv.op);
    else
        line("%s -> raise %s", drv.op, name_of(t->error));
    t->error = NULL;
    drv.finished = 1;
    TASK_END(t);
}

/* Makes the calls: wakes the parked task with a value or an error. It
 * ends for close: the loop then finds the stack waiting on nothing and
 * closes it, as io_run closes every task left. */
static task_status driver_main(task *t)
{
    body *b = (body *)t;
    const op *o;

    TASK_BEGIN(t);
    for (b->i = 1; !drv.finished; b->i++) {
        line("%s -> yield %s", drv.op, show(drv.out));
        if (b->i == looped->nops || looped->ops[b->i].kind == 'c') {
            drv.closing = 1;
            strcpy(loop_op, "c");
            break;
        }
        o = &looped->ops[b->i];
        op_name(o, loop_op, sizeof loop_op);
        if (o->kind == 'a' || o->kind == 'b')
            io_wake(drv.parked, value_none(),
                    o->kind == 'a' ? &err_a : &err_b);
        else
            io_wake(drv.parked,
                    o->kind == 's' ? value_int(o->v) : value_none(), NULL);
        drv.parked = NULL;
        TASK_YIELD(t);
    }
    TASK_END(t);
}

static task *stack_of(const sequence *q)
{
    body *b = io_child(bodies[q->body].fn, sizeof *b);
    body *w;

    cr_assert_not_null(b);
    drv.me = &b->task;
    for (int k = q->depth - 1; k >= 1; k--) {
        w = io_child(wrapper_main, sizeof *w);
        cr_assert_not_null(w);
        w->k = k;
        w->inner = &b->task;
        b = w;
    }
    return &b->task;
}

/* Where the loop's stderr goes: it says that each stack is left waiting
 * on nothing. On a crash, what the sanitizer said is there too. */
static char loop_log[] = "/tmp/test_cpython.loop.XXXXXX";
static int loop_fd = -1;

static void loop_stderr_begin(void)
{
    if (loop_fd < 0) {
        loop_fd = mkstemp(loop_log);
        cr_assert(loop_fd >= 0);
        fprintf(stderr, "test_cpython: the loop's stderr goes to %s\n",
                loop_log);
    }
    cr_assert_eq(ftruncate(loop_fd, 0), 0);
    lseek(loop_fd, 0, SEEK_SET);
}

/* Only what the loop says of a stalled stack (its count and its task
 * dump), or of a close that failed, is expected there. */
static void loop_stderr_check(void)
{
    char buf[4096], *s = buf, *end;
    ssize_t n = pread(loop_fd, buf, sizeof buf - 1, 0);

    cr_assert(n >= 0);
    buf[n] = '\0';
    for (; (end = strchr(s, '\n')); s = end + 1)
        cr_assert(strncmp(s, "io_run: ", 8) == 0 ||
                      strncmp(s, "  task 1 at ", 12) == 0 ||
                      strncmp(s, "    child at ", 13) == 0 ||
                      strncmp(s, "task failed on close: ", 22) == 0,
                  "the loop said: %s", s);
}

static void run_looped(const sequence *q)
{
    body o, *top;
    int saved = dup(2);

    body_init(&o, other_main);
    drv.other = &o.task;
    drv.looped = 1;
    drv.parked = NULL;
    drv.closing = 0;
    drv.finished = 0;
    looped = q;
    strcpy(loop_op, "n");
    drv.op = loop_op;
    top = io_spawn(top_main, sizeof *top);
    cr_assert_not_null(top);
    top->inner = stack_of(q);
    cr_assert_not_null(io_spawn(driver_main, sizeof(body)));
    loop_stderr_begin();
    dup2(loop_fd, 2);
    io_run();
    dup2(saved, 2);
    close(saved);
    loop_stderr_check();
}

#endif

/* ---- running both sides ---- */

/* CPYTHON_BODY=name: only that body, to look at one at a time. */
static int only_body(void)
{
    const char *name = getenv("CPYTHON_BODY");

    for (int i = 0; name && i < NBODIES; i++)
        if (strcmp(name, bodies[i].name) == 0)
            return i;
    cr_assert_null(name, "CPYTHON_BODY=%s: no such body", name);
    return -1;
}

static void make_sequence(sequence *q, char mode, uint32_t *rng)
{
    static const char kinds[] = "nnnsssabcc";
    int only = only_body();

    q->mode = mode;
    q->body = (int)(next_random(rng) % (mode == 'd' ? NDIRECT : NBODIES));
    if (only >= 0 && (mode == 'l' || only < NDIRECT))
        q->body = only;
    q->depth = mode == 'l' ? 1 + (int)(next_random(rng) % 3) : 1;
    q->nops = 1 + (int)(next_random(rng) % MAX_OPS);
    for (int i = 0; i < q->nops; i++) {
        q->ops[i].kind = kinds[next_random(rng) % (sizeof kinds - 1)];
        q->ops[i].v = 1 + (long)(next_random(rng) % 99);
    }
    if (mode == 'l')
        q->ops[0].kind = 'n'; /* the loop starts the stack */
}

static void write_sequence(FILE *f, const sequence *q)
{
    char name[16];

    fprintf(f, "%c %s %d", q->mode, bodies[q->body].name, q->depth);
    for (int i = 0; i < q->nops; i++) {
        op_name(&q->ops[i], name, sizeof name);
        fprintf(f, " %s", name);
    }
    fprintf(f, "\n");
}

/* What the C runtime prints for q, in a string of its own. */
static char *run_c(const sequence *q)
{
    if (!drv.text) {
        drv.cap = 4096;
        drv.text = malloc(drv.cap);
        cr_assert_not_null(drv.text);
    }
    drv.len = 0;
    drv.text[0] = '\0';
    drv.muted = 0;
#if STAGE >= 5
    if (q->mode == 'l')
        run_looped(q);
    else
#endif
        run_direct(q);
    drv.muted = 1;
    return strdup(drv.text);
}

static const char *twin_path(void)
{
    const char *root = getenv("COURSE_ROOT");
    static char path[4096];

    if (!root)
        root = COURSE_ROOT;
    snprintf(path, sizeof path, "%s/tests/cpython_twin.py", root);
    return path;
}

/* What CPython prints for each of the n sequences: one string each. */
static char **run_python(const sequence *qs, int n)
{
    char tmp[] = "/tmp/test_cpython.XXXXXX", cmd[8192], *buf = NULL;
    char **outs = calloc((size_t)n, sizeof *outs);
    size_t cap = 0, len = 0, got;
    int fd = mkstemp(tmp), k = 0;
    FILE *f, *p;

    cr_assert(fd >= 0 && outs);
    f = fdopen(fd, "w");
    for (int i = 0; i < n; i++)
        write_sequence(f, &qs[i]);
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 '%s' %d < '%s'", twin_path(), STAGE,
             tmp);
    p = popen(cmd, "r");
    cr_assert_not_null(p);
    do {
        if (cap - len < 65536) {
            cap = 2 * cap + 65536;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        got = fread(buf + len, 1, cap - len - 1, p);
        len += got;
    } while (got > 0);
    buf[len] = '\0';
    cr_assert_eq(pclose(p), 0, "%s failed", cmd);
    unlink(tmp);
    for (char *s = buf, *end; k < n && (end = strstr(s, "==\n")); k++) {
        *end = '\0';
        outs[k] = strdup(s);
        s = end + 3;
    }
    cr_assert_eq(k, n, "the twin printed %d sequences of %d", k, n);
    free(buf);
    return outs;
}

/* Which of the n sequences fail; -1 if none, else the one with the
 * fewest calls. */
static int shortest_failure(const sequence *qs, int n, int *failures)
{
    char **py = run_python(qs, n);
    int best = -1;

    *failures = 0;
    for (int i = 0; i < n; i++) {
        char *c = run_c(&qs[i]);

        if (strcmp(c, py[i]) != 0) {
            ++*failures;
            if (best < 0 || qs[i].nops < qs[best].nops)
                best = i;
        }
        free(c);
        free(py[i]);
    }
    free(py);
    return best;
}

/* Drop one call at a time while the sequence still fails. */
static sequence shrink(sequence q)
{
    sequence tries[MAX_OPS];
    int n, failures, i;

    for (;;) {
        n = 0;
        for (i = q.mode == 'l' ? 1 : 0; i < q.nops && q.nops > 1; i++) {
            tries[n] = q;
            memmove(&tries[n].ops[i], &tries[n].ops[i + 1],
                    (size_t)(q.nops - i - 1) * sizeof(op));
            tries[n++].nops--;
        }
        i = n ? shortest_failure(tries, n, &failures) : -1;
        if (i < 0)
            return q;
        q = tries[i];
    }
}

static void print_side_by_side(const char *c, const char *py)
{
    const char *a = c, *b = py;

    fprintf(stderr, "%-44s | %s\n", "C", "CPython");
    while (*a || *b) {
        int la = (int)strcspn(a, "\n"), lb = (int)strcspn(b, "\n");

        fprintf(stderr, "%-44.*s %c %.*s\n", la, a,
                la == lb && strncmp(a, b, (size_t)la) == 0 ? '|' : '*', lb,
                b);
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
}

/* Every body at every depth, and every kind of call after the first one,
 * or the sequences test less than they seem to. */
static void check_coverage(const sequence *qs, char mode)
{
    int seen[NBODIES][4] = {{0}}, kinds[128] = {0}, only = only_body();

    for (int i = 0; i < SEQUENCES; i++) {
        seen[qs[i].body][qs[i].depth]++;
        for (int k = 1; k < qs[i].nops; k++)
            kinds[(unsigned char)qs[i].ops[k].kind]++;
    }
    for (int b = 0; b < (mode == 'd' ? NDIRECT : NBODIES); b++)
        for (int d = 1; d <= (mode == 'l' ? 3 : 1); d++)
            cr_assert(only >= 0 || seen[b][d] > 0, "%s at depth %d never ran",
                      bodies[b].name, d);
    for (const char *k = "nsabc"; *k; k++)
        cr_assert_gt(kinds[(unsigned char)*k], 0, "no call %c", *k);
}

static void check_mode(char mode, uint32_t seed)
{
    sequence *qs = calloc(SEQUENCES, sizeof *qs), q;
    uint32_t rng = seed;
    int failures, i;
    char **py;
    char *c;

    cr_assert_not_null(qs);
    for (i = 0; i < SEQUENCES; i++)
        make_sequence(&qs[i], mode, &rng);
    check_coverage(qs, mode);
    i = shortest_failure(qs, SEQUENCES, &failures);
    if (i >= 0) {
        q = shrink(qs[i]);
        py = run_python(&q, 1);
        c = run_c(&q);
        fprintf(stderr, "test_cpython: seed %u, mode %c: %d of %d "
                        "sequences differ from CPython; the shortest:\n",
                seed, mode, failures, SEQUENCES);
        write_sequence(stderr, &q);
        print_side_by_side(c, py[0]);
        free(c);
        free(py[0]);
        free(py);
        free(qs);
        free(drv.text);
        drv.text = NULL;
        cr_assert_fail("stage %d differs from CPython (seed %u)", STAGE,
                       seed);
    }
    free(qs);
    free(drv.text);
    drv.text = NULL;
}

static uint32_t seed(void)
{
    const char *s = getenv("CPYTHON_SEED");
    uint32_t n = s ? (uint32_t)strtoul(s, NULL, 10) : 20261201u;

    fprintf(stderr, "test_cpython: seed %u (CPYTHON_SEED=%u replays it), "
                    "%d sequences per mode\n",
            n ? n : 1, n ? n : 1, SEQUENCES);
    return n ? n : 1;
}

Test(cpython, direct_calls_match_cpython_generators, .timeout = 300)
{
    check_mode('d', seed());
}

#if STAGE >= 5
/* The loop's stderr is kept only if a crash cut the test short. */
static void loop_stderr_end(void)
{
    if (loop_fd >= 0) {
        close(loop_fd);
        unlink(loop_log);
        loop_fd = -1;
    }
}

Test(cpython, child_stacks_under_the_loop_match_yield_from, .timeout = 300,
     .fini = loop_stderr_end)
{
    check_mode('l', seed());
}
#endif

#if STAGE >= 5
#define DONE_AGAIN "n -> done None\n"
#else
#define DONE_AGAIN "n -> done\n"
#endif

/* The twin itself: a known sequence, known lines. */
Test(cpython, the_twin_says_what_cpython_does)
{
    sequence q = {'d', 6, 1, 4, {{'n', 0}, {'a', 0}, {'n', 0}, {'n', 0}}};
    char **py = run_python(&q, 1);

    cr_assert_str_eq(bodies[6].name, "yieldclean");
    cr_assert_str_eq(py[0], "n -> yield 1\n"
                            "  cleanup yields\n"
                            "tA -> yield 99\n"
                            "  cleanup got None\n"
                            "n -> raise A\n" DONE_AGAIN);
    free(py[0]);
    free(py);
}
