/*
 * test_subtasks: stage 5 on. A task yields a child task: the child runs in
 * its place, its return value becomes the value of the parent's yield, its
 * unhandled error is thrown into the parent there, and closing a task
 * closes its whole stack, innermost first (io.h, task.h).
 *
 * The tests run in virtual time, so the times in the traces are exact.
 * Each task appends what it saw to a trace, "name:what@ms", and a test
 * compares the whole trace with the one it expects.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "queue.h"

static char trace[4096];

/* Append "name:what@ms " to the trace; ms is the loop's clock. */
static void note(const char *name, const char *fmt, ...)
{
    size_t n = strlen(trace);
    va_list ap;

    n += snprintf(trace + n, sizeof trace - n, "%s:", name);
    va_start(ap, fmt);
    n += vsnprintf(trace + n, sizeof trace - n, fmt, ap);
    va_end(ap);
    snprintf(trace + n, sizeof trace - n, "@%lld ",
             (io_now() + 500000) / 1000000);
}

/* What a caught error, or in a cleanup the error in flight, says in a
 * trace: its message, or "ok". */
static const char *what(task *t)
{
    if (t->error)
        return t->error->message;
    return t->raised ? t->raised->message : "ok";
}

/* A test task, parent or child: its frame. */
typedef struct actor {
    task task;
    io_wait wait;
    const char *name;
    long depth;     /* how many levels of children below it */
    long got;       /* what its child gave back */
    value gift;     /* what it returns */
    int falls_off;  /* 1: end without TASK_RETURN */
    int catches;    /* 1: catch the child's error */
    int fd;
    double timeout; /* -1: none */
    char *big;      /* a large buffer */
    size_t size;
    size_t total;
    int i;
    char buf[64];
} actor;

static actor *spawn(task_fn *body, const char *name)
{
    actor *a = io_spawn(body, sizeof *a);

    cr_assert_not_null(a);
    a->name = name;
    a->fd = -1;
    a->timeout = -1;
    return a;
}

static actor *child(task_fn *body, const char *name)
{
    actor *a = io_child(body, sizeof *a);

    cr_assert_not_null(a);
    a->name = name;
    a->fd = -1;
    a->timeout = -1;
    return a;
}

/* ---- return values ---- */

static int some_object;

/* Yield none twice (the loop runs it again), sleep 0.5 s, then return
 * gift, or fall off the end. */
static task_status giver_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD(t);
    TASK_YIELD(t);
    TASK_YIELD_VALUE(t, io_sleep(&a->wait, 0.5));
    if (!a->falls_off)
        TASK_RETURN(t, a->gift);
    TASK_END(t);
}

static value got[5];

/* Yield five givers: an int, a string, a pointer, an explicit none, and
 * one that falls off its end; keep what each yield got. */
static task_status receiver_main(task *t)
{
    actor *a = (actor *)t;
    actor *g;
    const value gifts[4] = {value_int(-42), value_str("Hi, Mom!"),
                            value_ptr(&some_object), value_none()};

    TASK_BEGIN(t);
    for (a->i = 0; a->i < 5; a->i++) {
        g = child(giver_main, "giver");
        if (a->i < 4)
            g->gift = gifts[a->i];
        else
            g->falls_off = 1;
        TASK_YIELD_VALUE(t, value_task(&g->task));
        got[a->i] = t->sent;
        note(a->name, "got %d", (int)t->sent.kind);
    }
    TASK_END(t);
}

Test(subtasks, a_child_returns_an_int_a_string_a_pointer_or_none)
{
    io_virtual_time();
    spawn(receiver_main, "p");
    cr_assert_eq(io_run(), 0);
    cr_assert_eq(got[0].kind, VALUE_INT);
    cr_assert_eq(got[0].as.i, -42);
    cr_assert_eq(got[1].kind, VALUE_STR);
    cr_assert_str_eq(got[1].as.s, "Hi, Mom!");
    cr_assert_eq(got[2].kind, VALUE_PTR);
    cr_assert_eq(got[2].as.p, &some_object);
    cr_assert_eq(got[3].kind, VALUE_NONE);
    /* its last yield was a wait: falling off the end still gives none */
    cr_assert_eq(got[4].kind, VALUE_NONE);
    cr_assert_str_eq(trace, "p:got 1@500 p:got 2@1000 p:got 3@1500 "
                            "p:got 0@2000 p:got 0@2500 ");
}

/* Sleep a second, then return 7. */
static task_status slow_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    note(a->name, "sleeps");
    TASK_YIELD_VALUE(t, io_sleep(&a->wait, 1.0));
    note(a->name, "wakes");
    TASK_RETURN(t, value_int(7));
    TASK_END(t);
}

/* Yield a slow child and note what it gave. */
static task_status slow_parent_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, value_task(&child(slow_main, "c")->task));
    note(a->name, "got %ld", t->sent.as.i);
    TASK_END(t);
}

/* Sleep half a second, twice, noting each wake-up. */
static task_status napper_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (a->i = 0; a->i < 2; a->i++) {
        note(a->name, "runs");
        TASK_YIELD_VALUE(t, io_sleep(&a->wait, 0.5));
    }
    TASK_END(t);
}

Test(subtasks, while_a_child_waits_other_tasks_run)
{
    io_virtual_time();
    spawn(slow_parent_main, "p");
    spawn(napper_main, "n");
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "c:sleeps@0 n:runs@0 n:runs@500 c:wakes@1000 "
                            "p:got 7@1000 ");
}

/* ---- errors ---- */

static const task_error boom = {TASK_ERROR_USER + 1, "boom"};
static int cleanups[3]; /* per level: top 0, child 1, grandchild 2 */

/* The grandchild: raise boom. */
static task_status raiser_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    note(a->name, "raises");
    TASK_FAIL(t, &boom);
    TASK_FINALLY(t);
    cleanups[2]++;
    note(a->name, "cleanup %s", what(t));
    TASK_END(t);
}

/* The child: yield the grandchild; catch its error or not. A caught error
 * becomes the return value 42. */
static task_status middle_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    if (a->catches) {
        TASK_YIELD_CATCH(t, value_task(&child(raiser_main, "g")->task));
        note(a->name, "caught %s", what(t));
        cr_assert_eq(t->error, &boom);
        t->error = NULL;
        TASK_RETURN(t, value_int(42));
    }
    TASK_YIELD_VALUE(t, value_task(&child(raiser_main, "g")->task));
    note(a->name, "not reached");
    TASK_FINALLY(t);
    cleanups[1]++;
    note(a->name, "cleanup %s", what(t));
    TASK_END(t);
}

static const task_error *caught;
static value result;

/* The top: yield the child, catch what comes back. */
static task_status top_main(task *t)
{
    actor *a = (actor *)t;
    actor *c;

    TASK_BEGIN(t);
    c = child(middle_main, "c");
    c->catches = a->catches;
    TASK_YIELD_CATCH(t, value_task(&c->task));
    caught = t->error;
    result = t->sent;
    note(a->name, "%s", what(t));
    t->error = NULL;
    TASK_FINALLY(t);
    cleanups[0]++;
    TASK_END(t);
}

Test(subtasks, an_error_goes_up_two_levels_to_the_parent_that_catches_it,
     .init = cr_redirect_stderr)
{
    io_virtual_time();
    spawn(top_main, "p");
    cr_assert_eq(io_run(), 0);
    cr_assert_eq(caught, &boom);
    cr_assert_eq(result.kind, VALUE_NONE);
    cr_assert_str_eq(trace, "g:raises@0 g:cleanup boom@0 "
                            "c:cleanup boom@0 p:boom@0 ");
    cr_assert_eq(cleanups[0], 1);
    cr_assert_eq(cleanups[1], 1);
    cr_assert_eq(cleanups[2], 1);
    fflush(stderr);
    cr_assert_stderr_eq_str(""); /* handled: the loop reports nothing */
}

Test(subtasks, a_middle_level_that_catches_the_error_returns_a_value)
{
    io_virtual_time();
    spawn(top_main, "p")->catches = 1;
    cr_assert_eq(io_run(), 0);
    cr_assert_null(caught);
    cr_assert_eq(result.kind, VALUE_INT);
    cr_assert_eq(result.as.i, 42);
    /* the middle's cleanup ran after its TASK_RETURN, with no error */
    cr_assert_str_eq(trace, "g:raises@0 g:cleanup boom@0 c:caught boom@0 "
                            "c:cleanup ok@0 p:ok@0 ");
    cr_assert_eq(cleanups[0], 1);
    cr_assert_eq(cleanups[1], 1);
    cr_assert_eq(cleanups[2], 1);
}

Test(subtasks, an_error_nobody_catches_ends_the_top_task,
     .init = cr_redirect_stderr)
{
    io_virtual_time();
    spawn(middle_main, "c");
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "g:raises@0 g:cleanup boom@0 "
                            "c:cleanup boom@0 ");
    fflush(stderr);
    cr_assert_stderr_eq_str("task failed: boom\n");
}

/* Yield a child that is not there: what io_child's failure gives. */
static task_status orphan_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    if (a->catches) {
        TASK_YIELD_CATCH(t, value_task(NULL));
        caught = t->error;
        note(a->name, "%s", what(t));
        t->error = NULL;
        /* the task goes on: a real child works */
        TASK_YIELD_VALUE(t, value_task(&child(slow_main, "c")->task));
        note(a->name, "got %ld", t->sent.as.i);
    } else {
        TASK_YIELD_VALUE(t, value_task(NULL));
        note(a->name, "not reached");
    }
    TASK_END(t);
}

Test(subtasks, a_null_child_throws_enomem_into_the_parent,
     .init = cr_redirect_stderr)
{
    char want[256];

    io_virtual_time();
    spawn(orphan_main, "p")->catches = 1;
    spawn(orphan_main, "q");
    cr_assert_eq(io_run(), 0);
    cr_assert_eq(caught, io_os_error(ENOMEM));
    cr_assert_eq(caught->code, IO_ERROR_OS + ENOMEM);
    snprintf(want, sizeof want, "p:%s@0 c:sleeps@0 c:wakes@1000 "
             "p:got 7@1000 ", strerror(ENOMEM));
    cr_assert_str_eq(trace, want);
    fflush(stderr);
    snprintf(want, sizeof want, "task failed: %s\n", strerror(ENOMEM));
    cr_assert_stderr_eq_str(want);
}

/* ---- depth ---- */

enum { DEEP = 100000 };
static long order[DEEP + 1]; /* per depth: when its cleanup ran, from 1 */
static long ncleanups;
static uintptr_t frame_at[2]; /* the body's frame at depth DEEP and 0 */
static queue never;           /* a queue nobody puts into */

/* Level `depth` yields a child of depth - 1 and returns what it got + 1;
 * depth 0 returns 1, or first waits: on `never` if i is 1, a 100 s sleep
 * if i is 2. */
static task_status deep_main(task *t)
{
    actor *a = (actor *)t;
    actor *c;

    TASK_BEGIN(t);
    if (a->depth == DEEP)
        frame_at[0] = (uintptr_t)__builtin_frame_address(0);
    if (a->depth > 0) {
        c = child(deep_main, "deep");
        c->depth = a->depth - 1;
        c->i = a->i;
        TASK_YIELD_VALUE(t, value_task(&c->task));
        a->got = t->sent.as.i;
    } else {
        frame_at[1] = (uintptr_t)__builtin_frame_address(0);
        if (a->i == 1) {
            TASK_YIELD_VALUE(t, queue_get(&a->wait, &never, -1));
        } else if (a->i == 2) {
            TASK_YIELD_VALUE(t, io_sleep(&a->wait, 100));
        }
    }
    TASK_FINALLY(t);
    cr_assert_eq(order[a->depth], 0, "cleanup of depth %ld ran twice",
                 a->depth);
    order[a->depth] = ++ncleanups;
    if (a->i && a->depth < 10)
        note("cleanup", "%ld %s", a->depth, what(t));
    TASK_RETURN(t, value_int(a->got + 1));
    TASK_END(t);
}

/* The top: yield a stack of `depth` levels, note what comes back. */
static task_status deep_top_main(task *t)
{
    actor *a = (actor *)t;
    actor *c;

    TASK_BEGIN(t);
    c = child(deep_main, "deep");
    c->depth = a->depth;
    c->i = a->i;
    TASK_YIELD_VALUE(t, value_task(&c->task));
    note(a->name, "got %ld", t->sent.as.i);
    TASK_END(t);
}

Test(subtasks, a_hundred_thousand_levels_return_through_the_heap)
{
    io_virtual_time();
    spawn(deep_top_main, "p")->depth = DEEP;
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "p:got 100001@0 ");
    /* every level cleaned up once, innermost first */
    cr_assert_eq(ncleanups, DEEP + 1);
    for (long d = 0; d <= DEEP; d++)
        cr_assert_eq(order[d], d + 1);
    /* the bottom runs in a C frame at the same place as the top: the loop
     * calls each level, no level calls the next */
    cr_assert_lt(frame_at[0] > frame_at[1] ? frame_at[0] - frame_at[1]
                                           : frame_at[1] - frame_at[0],
                 1024);
}

/* Check that the stack of `levels` + 1 tasks was closed innermost first
 * (depth 0 is the innermost), each once. */
static void assert_closed_innermost_first(long levels)
{
    cr_assert_eq(ncleanups, levels + 1);
    for (long d = 0; d <= levels; d++)
        cr_assert_eq(order[d], d + 1, "depth %ld closed as number %ld", d,
                     order[d]);
}

Test(subtasks, a_stalled_stack_is_closed_innermost_first,
     .init = cr_redirect_stderr)
{
    io_virtual_time();
    cr_assert_eq(queue_init(&never, 0), 0);
    actor *p = spawn(deep_main, "p");
    p->depth = 4;
    p->i = 1;
    cr_assert_eq(io_run(), -1);
    assert_closed_innermost_first(4);
    cr_assert_str_eq(trace, "cleanup:0 task exit@0 cleanup:1 task exit@0 "
                            "cleanup:2 task exit@0 cleanup:3 task exit@0 "
                            "cleanup:4 task exit@0 ");
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "io_run: 1 task stalled: nothing can wake them\n");
    queue_free(&never);
}

/* A child that waits on a queue nobody fills. Closed, its cleanup raises
 * boom (i = 1), or it ignores the exit every time (i = 2). */
static task_status closing_child_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, queue_get(&a->wait, &never, -1));
        if (t->error != &task_exit || a->i != 2)
            break;
        note(a->name, "ignores the exit");
        t->error = NULL;
    }
    TASK_FINALLY(t);
    note(a->name, "cleanup %s", what(t));
    if (a->i == 1)
        TASK_FAIL(t, &boom);
    TASK_END(t);
}

/* Yield a closing child; say what comes back at the yield. */
static task_status closing_parent_main(task *t)
{
    actor *a = (actor *)t;
    actor *c;

    TASK_BEGIN(t);
    c = child(closing_child_main, "c");
    c->i = a->i;
    TASK_YIELD_CATCH(t, value_task(&c->task));
    note(a->name, "caught %s", what(t));
    t->error = NULL;
    TASK_END(t);
}

/* As CPython closes a yield from: the child first; what its close raised
 * is raised in the parent at its yield, where the parent catches it. */
Test(subtasks, an_error_from_closing_a_child_is_raised_in_its_parent,
     .init = cr_redirect_stderr)
{
    io_virtual_time();
    cr_assert_eq(queue_init(&never, 0), 0);
    spawn(closing_parent_main, "p")->i = 1;
    cr_assert_eq(io_run(), -1);
    cr_assert_str_eq(trace, "c:cleanup task exit@0 p:caught boom@0 ");
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "io_run: 1 task stalled: nothing can wake them\n");
    queue_free(&never);
}

/* The parent gets task_error_ignored_exit; the child is closed once more,
 * then its cleanup is run, once, before it is freed. */
Test(subtasks, a_child_that_ignores_the_exit_runs_its_cleanup_before_it_is_freed,
     .init = cr_redirect_stderr)
{
    io_virtual_time();
    cr_assert_eq(queue_init(&never, 0), 0);
    spawn(closing_parent_main, "p")->i = 2;
    cr_assert_eq(io_run(), -1);
    cr_assert_str_eq(trace, "c:ignores the exit@0 c:ignores the exit@0 "
                            "c:cleanup task exit@0 "
                            "p:caught task ignored exit@0 ");
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "io_run: 1 task stalled: nothing can wake them\n");
    queue_free(&never);
}

/* Ask the loop to stop, as a kill would. */
static task_status killer_main(task *t)
{
    TASK_BEGIN(t);
    cr_assert_eq(raise(SIGTERM), 0);
    TASK_END(t);
}

Test(subtasks, sigterm_closes_every_stack_innermost_first)
{
    char want[256];
    long long ms;

    io_virtual_time();
    io_stop_on_signals();
    actor *p = spawn(deep_main, "p");
    p->depth = 4;
    p->i = 2;
    spawn(killer_main, "k");
    cr_assert_eq(io_run(), 0);
    assert_closed_innermost_first(4);
    /* the clock says when the loop stopped (in virtual time a signal
     * lets it jump to the sleeper's deadline); the order is the point */
    ms = (io_now() + 500000) / 1000000;
    snprintf(want, sizeof want, "cleanup:0 task exit@%lld "
             "cleanup:1 task exit@%lld cleanup:2 task exit@%lld "
             "cleanup:3 task exit@%lld cleanup:4 task exit@%lld ",
             ms, ms, ms, ms, ms);
    cr_assert_str_eq(trace, want);
}

Test(subtasks, a_stack_of_a_hundred_thousand_levels_closes,
     .init = cr_redirect_stderr)
{
    io_virtual_time();
    cr_assert_eq(queue_init(&never, 0), 0);
    actor *p = spawn(deep_main, "p");
    p->depth = DEEP;
    p->i = 1;
    cr_assert_eq(io_run(), -1);
    assert_closed_innermost_first(DEEP);
    queue_free(&never);
}

/* ---- timeouts ---- */

/* Wait up to `timeout` for fd to be readable; catch the timeout (and
 * return "gave up") or not. */
static task_status impatient_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    if (a->catches) {
        TASK_YIELD_CATCH(t, io_readable(&a->wait, a->fd, a->timeout));
        note(a->name, "caught %s", what(t));
        t->error = NULL;
        TASK_RETURN(t, value_str("gave up"));
    }
    TASK_YIELD_VALUE(t, io_readable(&a->wait, a->fd, a->timeout));
    note(a->name, "not reached");
    TASK_FINALLY(t);
    note(a->name, "cleanup %s", what(t));
    TASK_END(t);
}

/* Yield an impatient child on fd; note what came back. */
static task_status waits_for_child_main(task *t)
{
    actor *a = (actor *)t;
    actor *c;

    TASK_BEGIN(t);
    c = child(impatient_main, "c");
    c->fd = a->fd;
    c->timeout = 1.5;
    c->catches = a->catches;
    TASK_YIELD_CATCH(t, value_task(&c->task));
    caught = t->error;
    if (t->error)
        note(a->name, "caught %s", what(t));
    else
        note(a->name, "got %s", t->sent.as.s);
    t->error = NULL;
    TASK_END(t);
}

static void child_times_out(int catches)
{
    int p[2];
    actor *a;

    io_virtual_time();
    cr_assert_eq(pipe(p), 0);
    a = spawn(waits_for_child_main, "p");
    a->fd = p[0];
    a->catches = catches;
    cr_assert_eq(io_run(), 0);
    close(p[0]);
    close(p[1]);
}

Test(subtasks, a_timeout_lands_in_the_child_that_waits)
{
    child_times_out(1);
    cr_assert_null(caught);
    cr_assert_str_eq(trace, "c:caught timed out@1500 "
                            "c:cleanup ok@1500 p:got gave up@1500 ");
}

Test(subtasks, a_timeout_the_child_does_not_catch_goes_to_the_parent)
{
    child_times_out(0);
    cr_assert_eq(caught, &io_timeout);
    cr_assert_str_eq(trace, "c:cleanup timed out@1500 "
                            "p:caught timed out@1500 ");
}
