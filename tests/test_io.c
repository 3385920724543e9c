/*
 * test_io: stage 4 on. Wait requests, the select() loop, the timer heap,
 * queues and timeouts (io.h, queue.h).
 *
 * The tests run in virtual time: the clock jumps to the next timer when no
 * task is ready and no fd is ready, so the times in the traces are exact and
 * no test waits or depends on how busy the machine is. Each task appends
 * what it saw to a trace, "name:what@ms", and a test compares the whole
 * trace with the one it expects.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
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

/* A test task: what it waits on and for how long, and what it got. */
typedef struct actor {
    task task;
    io_wait wait;
    const char *name;
    int fd;
    queue *queue;
    double seconds; /* a sleep before the wait, if positive */
    double timeout; /* the wait's timeout, or -1 */
    long item;
    int i;
    char *big; /* a large buffer */
    size_t size;
    size_t total;
    io_input in; /* what readline read after a line */
    char buf[64];
} actor;

static actor *spawn(task_fn *body, const char *name)
{
    actor *a = io_spawn(body, sizeof *a);

    cr_assert_not_null(a);
    a->name = name;
    a->fd = -1;
    a->seconds = -1;
    a->timeout = -1;
    return a;
}

static void open_pipe(int fds[2])
{
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(io_nonblock(fds[0]) | io_nonblock(fds[1]), 0);
}

/* What a caught error, or in a cleanup the error in flight, says in a
 * trace: its message, or "ok". */
static const char *what(task *t)
{
    if (t->error)
        return t->error->message;
    return t->raised ? t->raised->message : "ok";
}

/* The line of this file where `needle` first appears: the line of a
 * yield is where the task dump says a task waits. */
static int line_of(const char *needle)
{
    FILE *f = fopen(COURSE_ROOT "/tests/test_io.c", "r");
    char buf[512];
    int n = 0;

    cr_assert_not_null(f);
    while (fgets(buf, sizeof buf, f)) {
        n++;
        if (strstr(buf, needle))
            break;
    }
    fclose(f);
    return n;
}

/* What a stalled loop prints: the count, then `lines` lines of the dump,
 * each "line:what", for tasks 1, 2, ... */
static void expect_stall_dump(const char *then, int lines, ...)
{
    char want[1024];
    size_t n;
    va_list ap;

    n = (size_t)snprintf(want, sizeof want, "io_run: %d task%s stalled: "
                         "nothing can wake them\n", lines,
                         lines == 1 ? "" : "s");
    va_start(ap, lines);
    for (int i = 1; i <= lines; i++) {
        int at = va_arg(ap, int);
        const char *what = va_arg(ap, const char *);

        n += (size_t)snprintf(want + n, sizeof want - n,
                              "  task %d at line %d: waiting: %s\n", i, at,
                              what);
    }
    va_end(ap);
    snprintf(want + n, sizeof want - n, "%s", then);
    fflush(stderr);
    cr_assert_stderr_eq_str(want);
}

/* ---- timeouts ---- */

/* Sleep `seconds`, then recv once; catch. */
static task_status recv_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    if (a->seconds > 0) {
        TASK_YIELD_VALUE(t, io_sleep(&a->wait, a->seconds));
    }
    TASK_YIELD_CATCH(t, io_recv(&a->wait, a->fd, a->buf, sizeof a->buf,
                                a->timeout));
    if (t->error)
        note(a->name, "%s", t->error->message);
    else
        note(a->name, "got %ld", t->sent.as.i);
    t->error = NULL;
    TASK_END(t);
}

/* Sleep `seconds`, then send the string in buf. */
static task_status send_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    if (a->seconds > 0) {
        TASK_YIELD_VALUE(t, io_sleep(&a->wait, a->seconds));
    }
    TASK_YIELD_CATCH(t, io_send(&a->wait, a->fd, a->buf, strlen(a->buf),
                                -1));
    if (t->error)
        note(a->name, "%s", t->error->message);
    else
        note(a->name, "sent %ld", t->sent.as.i);
    t->error = NULL;
    TASK_END(t);
}

Test(io, a_timeout_is_thrown_at_the_yield_and_frees_the_fd)
{
    int p[2];
    actor *a, *b, *c;

    io_virtual_time();
    open_pipe(p);
    a = spawn(recv_main, "a");
    a->fd = p[0];
    a->timeout = 1.0;
    /* b waits on the same fd once a has timed out: not "busy" */
    b = spawn(recv_main, "b");
    b->fd = p[0];
    b->seconds = 1.5;
    b->timeout = 5.0;
    c = spawn(send_main, "c");
    c->fd = p[1];
    c->seconds = 2.0;
    strcpy(c->buf, "x");
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "a:timed out@1000 c:sent 1@2000 b:got 1@2000 ");
    close(p[0]);
    close(p[1]);
}

Test(io, a_timeout_is_an_error_with_a_code)
{
    cr_assert_eq(io_timeout.code, IO_ERROR_TIMEOUT);
    cr_assert_str_eq(io_timeout.message, "timed out");
}

/* Wait for an item without catching; say what ended it in its cleanup. */
static task_status careless_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, queue_get(&a->wait, a->queue, a->timeout));
    note(a->name, "not reached");
    TASK_FINALLY(t);
    note(a->name, "cleanup %s", what(t));
    TASK_END(t);
}

Test(io, an_unhandled_timeout_ends_the_task_after_its_cleanup,
     .init = cr_redirect_stderr)
{
    queue q;
    actor *a, *b;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 0), 0);
    a = spawn(careless_main, "a");
    a->queue = &q;
    a->timeout = 2.0;
    b = spawn(careless_main, "b");
    b->queue = &q;
    b->timeout = 1.0;
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "b:cleanup timed out@1000 "
                            "a:cleanup timed out@2000 ");
    fflush(stderr);
    cr_assert_stderr_eq_str("task failed: timed out\n"
                            "task failed: timed out\n");
    queue_free(&q);
}

/* ---- sleep order ---- */

/* Sleep `seconds`, `item` times (at least once), noting each wake-up. */
static task_status sleeper_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    do {
        TASK_YIELD_VALUE(t, io_sleep(&a->wait, a->seconds));
        note(a->name, "%s", what(t));
    } while (++a->i < a->item);
    TASK_END(t);
}

static void sleeper(const char *name, double seconds, long times)
{
    actor *a = spawn(sleeper_main, name);

    a->seconds = seconds;
    a->item = times;
}

Test(io, sleepers_wake_in_the_order_of_their_deadlines)
{
    io_virtual_time();
    sleeper("a", 3.0, 1);
    sleeper("b", 1.0, 1);
    sleeper("c", 2.0, 1);
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "b:ok@1000 c:ok@2000 a:ok@3000 ");
}

Test(io, equal_deadlines_wake_in_the_order_they_slept)
{
    io_virtual_time();
    sleeper("x", 1.0, 1);
    sleeper("y", 1.0, 1);
    sleeper("z", 1.0, 1);
    /* p's second sleep ends at 1 s too, but it began after q's sleep */
    sleeper("p", 0.5, 2);
    sleeper("q", 1.0, 1);
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "p:ok@500 x:ok@1000 y:ok@1000 z:ok@1000 "
                            "q:ok@1000 p:ok@1000 ");
}

Test(io, a_hundred_sleepers_wake_sorted)
{
    static char names[100][8]; /* they outlive the loop */
    char want[4096] = "";

    io_virtual_time();
    /* deadlines 37 * k mod 100 ms: every value 0..99 once, shuffled */
    for (int k = 0; k < 100; k++) {
        snprintf(names[k], sizeof names[k], "%d", 37 * k % 100);
        sleeper(names[k], (37 * k % 100) / 1000.0, 1);
    }
    for (int ms = 0; ms < 100; ms++)
        snprintf(want + strlen(want), sizeof want - strlen(want),
                 "%d:ok@%d ", ms, ms);
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, want);
}

/* ---- queues ---- */

/* Get `item` items, each after sleeping `seconds` if that is positive;
 * catch. */
static task_status getter_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (a->i = 0; a->i < a->item; a->i++) {
        if (a->seconds > 0) {
            TASK_YIELD_VALUE(t, io_sleep(&a->wait, a->seconds));
        }
        TASK_YIELD_CATCH(t, queue_get(&a->wait, a->queue, a->timeout));
        if (t->error)
            note(a->name, "%s", t->error->message);
        else
            note(a->name, "got %ld n=%zu", t->sent.as.i, a->queue->count);
        t->error = NULL;
    }
    TASK_END(t);
}

/* Put `item`, after sleeping `seconds` if that is positive; catch. */
static task_status putter_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    if (a->seconds > 0) {
        TASK_YIELD_VALUE(t, io_sleep(&a->wait, a->seconds));
    }
    TASK_YIELD_CATCH(t, queue_put(&a->wait, a->queue, value_int(a->item),
                                  a->timeout));
    if (t->error)
        note(a->name, "%s", t->error->message);
    else
        note(a->name, "put %ld n=%zu", a->item, a->queue->count);
    t->error = NULL;
    TASK_END(t);
}

static actor *getter(const char *name, queue *q, long items, double pause)
{
    actor *a = spawn(getter_main, name);

    a->queue = q;
    a->item = items;
    a->seconds = pause;
    return a;
}

static actor *putter(const char *name, queue *q, long item, double after)
{
    actor *a = spawn(putter_main, name);

    a->queue = q;
    a->item = item;
    a->seconds = after;
    return a;
}

Test(io, waiting_getters_get_the_items_in_the_order_they_came)
{
    queue q;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 0), 0);
    getter("g1", &q, 1, -1);
    getter("g2", &q, 1, -1);
    getter("g3", &q, 1, -1);
    putter("p1", &q, 1, 1.0);
    putter("p2", &q, 2, 1.0);
    putter("p3", &q, 3, 1.0);
    cr_assert_eq(io_run(), 0);
    /* each item goes straight to the first waiting getter */
    cr_assert_str_eq(trace, "g1:got 1 n=0@1000 p1:put 1 n=0@1000 "
                            "g2:got 2 n=0@1000 p2:put 2 n=0@1000 "
                            "g3:got 3 n=0@1000 p3:put 3 n=0@1000 ");
    cr_assert_eq(q.getters.ntasks, 0);
    queue_free(&q);
}

Test(io, items_come_out_in_the_order_they_went_in)
{
    char want[4096] = "";
    queue q;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 0), 0);
    /* 20 items: more than the ring's first 8 slots, so it grows; all 20
     * go in before the first putter runs again */
    for (long k = 1; k <= 20; k++) {
        putter("p", &q, k, -1);
        snprintf(want + strlen(want), sizeof want - strlen(want),
                 "p:put %ld n=20@0 ", k);
    }
    getter("g", &q, 20, 1.0);
    for (long k = 1; k <= 20; k++)
        snprintf(want + strlen(want), sizeof want - strlen(want),
                 "g:got %ld n=%ld@%ld ", k, 20 - k, k * 1000);
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, want);
    queue_free(&q);
}

Test(io, a_full_queue_admits_waiting_putters_in_order)
{
    queue q;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 1), 0);
    putter("p1", &q, 10, -1);
    putter("p2", &q, 20, -1);
    putter("p3", &q, 30, -1);
    getter("g", &q, 3, 1.0);
    cr_assert_eq(io_run(), 0);
    /* the queue never holds more than one item */
    cr_assert_str_eq(trace, "p1:put 10 n=1@0 "
                            "g:got 10 n=1@1000 p2:put 20 n=1@1000 "
                            "g:got 20 n=1@2000 p3:put 30 n=1@2000 "
                            "g:got 30 n=0@3000 ");
    queue_free(&q);
}

Test(io, a_getter_that_timed_out_no_longer_waits)
{
    queue q;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 0), 0);
    getter("a", &q, 1, -1)->timeout = 0.5;
    getter("b", &q, 1, -1);
    putter("p", &q, 7, 2.0);
    putter("r", &q, 8, 3.0);
    cr_assert_eq(io_run(), 0);
    /* 7 goes to b, not to a; nobody takes 8 */
    cr_assert_str_eq(trace, "a:timed out@500 b:got 7 n=0@2000 "
                            "p:put 7 n=0@2000 r:put 8 n=1@3000 ");
    cr_assert_eq(q.count, 1);
    cr_assert_eq(q.getters.ntasks, 0);
    queue_free(&q);
}

Test(io, a_putter_that_timed_out_puts_nothing)
{
    queue q;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 1), 0);
    putter("p1", &q, 1, -1);
    putter("p2", &q, 2, -1)->timeout = 1.0; /* the queue is full */
    getter("g", &q, 2, 2.0)->timeout = 0.5;
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "p1:put 1 n=1@0 p2:timed out@1000 "
                            "g:got 1 n=0@2000 g:timed out@4500 ");
    cr_assert_eq(q.putters.ntasks, 0);
    queue_free(&q);
}

/* ---- stalled tasks ---- */

Test(io, tasks_that_nothing_can_wake_are_reported_and_closed,
     .init = cr_redirect_stderr)
{
    queue q;
    int at;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 0), 0);
    spawn(careless_main, "a")->queue = &q;
    spawn(careless_main, "b")->queue = &q;
    cr_assert_eq(io_run(), -1);
    at = line_of("TASK_YIELD_VALUE(t, queue_get(&a->wait, a->queue, "
                 "a->timeout))");
    expect_stall_dump("", 2, at, "queue get", at, "queue get");
    /* closed newest first; the error in their cleanup is the exit */
    cr_assert_str_eq(trace, "b:cleanup task exit@0 a:cleanup task exit@0 ");
    cr_assert_eq(q.getters.ntasks, 0);
    queue_free(&q);
}

/* Waits on the queue; ignores the exit every time. */
static task_status deaf_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, queue_get(&a->wait, a->queue, -1));
        if (t->error != &task_exit)
            break;
        note(a->name, "ignores the exit");
        t->error = NULL;
    }
    TASK_FINALLY(t);
    note(a->name, "cleanup %s", what(t));
    TASK_END(t);
}

/* A task that ignores the exit is not freed with its cleanup not run: it
 * is closed once more, then its cleanup runs, once. */
Test(io, a_task_that_ignores_the_exit_runs_its_cleanup_before_it_is_freed,
     .init = cr_redirect_stderr)
{
    queue q;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 0), 0);
    spawn(deaf_main, "a")->queue = &q;
    cr_assert_eq(io_run(), -1);
    cr_assert_str_eq(trace, "a:ignores the exit@0 a:ignores the exit@0 "
                            "a:cleanup task exit@0 ");
    expect_stall_dump("task failed on close: task ignored exit\n", 1,
                      line_of("TASK_YIELD_CATCH(t, queue_get(&a->wait, "
                              "a->queue, -1))"),
                      "queue get");
    cr_assert_eq(q.getters.ntasks, 0);
    queue_free(&q);
}

Test(io, one_stalled_task_is_one_task, .init = cr_redirect_stderr)
{
    queue q;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 1), 0);
    putter("p1", &q, 1, -1);
    putter("p2", &q, 2, -1); /* the queue is full, and nobody gets */
    cr_assert_eq(io_run(), -1);
    /* p1 is gone: p2 is the first task left */
    expect_stall_dump("", 1, line_of("TASK_YIELD_CATCH(t, queue_put("),
                      "queue put");
    /* p2 catches the exit that closes it, at its yield */
    cr_assert_str_eq(trace, "p1:put 1 n=1@0 p2:task exit@0 ");
    cr_assert_eq(q.putters.ntasks, 0);
    queue_free(&q);
}

/* Note that it runs, and its cleanup. */
static task_status hello_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    note(a->name, "runs");
    TASK_FINALLY(t);
    note(a->name, "cleanup");
    TASK_END(t);
}

/* Wait on the queue; the cleanup spawns a task. */
static task_status spawner_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, queue_get(&a->wait, a->queue, -1));
    TASK_FINALLY(t);
    note(a->name, "cleanup spawns");
    spawn(hello_main, "new");
    TASK_END(t);
}

/* A task spawned while the loop closes everything is the newest: it is
 * closed next and never runs, and the loop keeps no pointer to it. */
Test(io, a_task_spawned_by_a_cleanup_during_close_is_closed_too,
     .init = cr_redirect_stderr)
{
    queue q;

    io_virtual_time();
    cr_assert_eq(queue_init(&q, 0), 0);
    spawn(spawner_main, "a")->queue = &q;
    spawn(spawner_main, "b")->queue = &q;
    cr_assert_eq(io_run(), -1);
    cr_assert_str_eq(trace, "b:cleanup spawns@0 a:cleanup spawns@0 ");
    /* the next run starts from nothing */
    spawn(hello_main, "later");
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "b:cleanup spawns@0 a:cleanup spawns@0 "
                            "later:runs@0 later:cleanup@0 ");
    queue_free(&q);
}

/* ---- the fd limit of select() ---- */

/* Wait until fd is readable (op IO_READABLE) or writable; catch. */
static task_status ready_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    if (a->item == IO_READABLE) {
        TASK_YIELD_CATCH(t, io_readable(&a->wait, a->fd, a->timeout));
    } else {
        TASK_YIELD_CATCH(t, io_writable(&a->wait, a->fd, a->timeout));
    }
    note(a->name, "%s", what(t));
    t->error = NULL;
    TASK_END(t);
}

static actor *waiter(const char *name, int fd, enum io_op op)
{
    actor *a = spawn(ready_main, name);

    a->fd = fd;
    a->item = op;
    return a;
}

Test(io, an_fd_of_fd_setsize_or_more_is_an_error_not_an_overflow)
{
    struct rlimit rl;
    int p[2];

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < FD_SETSIZE + 8) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < FD_SETSIZE + 8)
            cr_skip_test("RLIMIT_NOFILE is %ld: no fd %d to test with",
                         (long)rl.rlim_max, FD_SETSIZE);
        rl.rlim_cur = FD_SETSIZE + 8;
        cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    io_virtual_time();
    open_pipe(p);
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(dup2(p[0], FD_SETSIZE - 1), FD_SETSIZE - 1);
    cr_assert_eq(dup2(p[0], FD_SETSIZE), FD_SETSIZE);
    cr_assert_eq(dup2(p[1], FD_SETSIZE + 6), FD_SETSIZE + 6);
    waiter("last", FD_SETSIZE - 1, IO_READABLE);
    waiter("limit", FD_SETSIZE, IO_READABLE);
    waiter("over", FD_SETSIZE + 6, IO_WRITABLE);
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "limit:fd is FD_SETSIZE or more: select() "
                            "cannot watch it@0 "
                            "over:fd is FD_SETSIZE or more: select() "
                            "cannot watch it@0 last:ok@0 ");
    cr_assert_eq(io_error_fd_limit.code, IO_ERROR_FD_LIMIT);
}

Test(io, a_negative_fd_is_the_same_error)
{
    io_virtual_time();
    waiter("neg", -1, IO_READABLE);
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "neg:fd is FD_SETSIZE or more: select() "
                            "cannot watch it@0 ");
}

Test(io, two_tasks_may_not_wait_on_one_fd_the_same_way)
{
    int s[2];

    io_virtual_time();
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    cr_assert_eq(io_nonblock(s[0]), 0);
    waiter("a", s[0], IO_READABLE)->timeout = 1.0;
    waiter("b", s[0], IO_READABLE);
    waiter("w", s[0], IO_WRITABLE); /* reading and writing are two ways */
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "b:another task waits on this fd@0 "
                            "w:ok@0 a:timed out@1000 ");
    close(s[0]);
    close(s[1]);
}

/* ---- a task that never waits does not starve the others ---- */

static int reader_done;

/* Yield plainly until the reader is done; count the yields in item. */
static task_status spinner_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    while (!reader_done && a->item < 1000) {
        a->item++;
        TASK_YIELD(t);
    }
    note(a->name, "stopped after %ld yields", a->item);
    TASK_END(t);
}

static actor *spinner;

/* Wait until fd can be written, then write buf with a plain write(). */
static task_status poke_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, io_writable(&a->wait, a->fd, -1));
    note(a->name, "wrote %ld", (long)write(a->fd, a->buf, strlen(a->buf)));
    TASK_END(t);
}

static task_status reader_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, io_recv(&a->wait, a->fd, a->buf, sizeof a->buf - 1,
                                -1));
    a->buf[t->sent.as.i] = '\0';
    note(a->name, "got %s during yield %ld", a->buf, spinner->item);
    reader_done = 1;
    TASK_END(t);
}

Test(io, a_task_that_keeps_yielding_does_not_starve_io)
{
    int p[2];
    actor *w;

    io_virtual_time();
    open_pipe(p);
    spinner = spawn(spinner_main, "spin");
    spawn(reader_main, "r")->fd = p[0];
    w = spawn(poke_main, "w");
    w->fd = p[1];
    strcpy(w->buf, "ping");
    cr_assert_eq(io_run(), 0);
    /* yield 1: r and w wait, select() (timeout 0) finds the pipe writable;
     * yield 2: w writes; while a task is ready the loop looks at the fds
     * every other pass; yield 3: select() finds the pipe readable;
     * yield 4: r reads */
    cr_assert_str_eq(trace, "w:wrote 4@0 r:got ping during yield 4@0 "
                            "spin:stopped after 4 yields@0 ");
    close(p[0]);
    close(p[1]);
}

/* ---- send all of it; readline ---- */

/* Send size bytes of big, then close the fd. */
static task_status bulk_send_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, io_send(&a->wait, a->fd, a->big, a->size, -1));
    note(a->name, "sent %ld", t->sent.as.i);
    close(a->fd);
    TASK_END(t);
}

static size_t recvs; /* how many recvs bulk_recv_main took */

/* Read into big (size bytes) until end of file, up to 64 KiB at a time. */
static task_status bulk_recv_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_VALUE(t, io_recv(&a->wait, a->fd, a->big + a->total,
                                    a->size - a->total < 65536
                                        ? a->size - a->total
                                        : 65536,
                                    -1));
        if (t->sent.as.i == 0)
            break;
        a->total += (size_t)t->sent.as.i;
        recvs++;
    }
    note(a->name, "end of file after %zu bytes", a->total);
    TASK_END(t);
}

Test(io, a_send_of_4_mib_arrives_whole_across_partial_writes)
{
    enum { SIZE = 4 << 20 };
    char *out = malloc(SIZE), *in = malloc(SIZE + 1), want[128];
    int p[2];
    actor *s, *r;

    cr_assert(out && in);
    for (size_t k = 0; k < SIZE; k++)
        out[k] = (char)(k * 7 + k / 65536);
    io_virtual_time();
    open_pipe(p);
    s = spawn(bulk_send_main, "s");
    s->fd = p[1];
    s->big = out;
    s->size = SIZE;
    r = spawn(bulk_recv_main, "r");
    r->fd = p[0];
    r->big = in;
    r->size = SIZE + 1; /* room for one byte too many */
    cr_assert_eq(io_run(), 0);
    snprintf(want, sizeof want, "s:sent %d@0 r:end of file after %d bytes@0 ",
             SIZE, SIZE);
    cr_assert_str_eq(trace, want);
    /* a pipe holds far less than 4 MiB: the send took many writes */
    cr_assert_gt(recvs, 1);
    cr_assert(memcmp(out, in, SIZE) == 0);
    free(out);
    free(in);
    close(p[0]);
}

/* Read lines into buf (of `size` bytes, at most 64), each with timeout,
 * until end of file, noting each one or its error. */
static task_status lines_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, io_readline(&a->wait, a->fd, &a->in, a->buf,
                                        a->size, a->timeout));
        if (t->error) {
            note(a->name, "%s", t->error->message);
            t->error = NULL;
            a->timeout = -1;
            if (a->size < 2)
                break;
            continue;
        }
        if (t->sent.as.i == 0)
            break;
        cr_assert_eq(strlen(a->buf), (size_t)t->sent.as.i);
        note(a->name, "%ld [%s]", t->sent.as.i, a->buf);
    }
    note(a->name, "eof");
    TASK_END(t);
}

/* Send the strings in big, separated by '|', with a 1 s sleep between;
 * then close the fd. */
static task_status chunks_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    while (a->big[a->total]) {
        a->size = strcspn(a->big + a->total, "|");
        TASK_YIELD_VALUE(t, io_send(&a->wait, a->fd, a->big + a->total,
                                    a->size, -1));
        a->total += a->size;
        if (a->big[a->total] == '|') {
            a->total++;
            TASK_YIELD_VALUE(t, io_sleep(&a->wait, 1.0));
        }
    }
    close(a->fd);
    TASK_END(t);
}

static void readline_through_pipe(const char *chunks, size_t bufsize,
                                  double timeout)
{
    int p[2];
    actor *w, *r;

    io_virtual_time();
    open_pipe(p);
    r = spawn(lines_main, "r");
    r->fd = p[0];
    r->size = bufsize;
    r->timeout = timeout;
    w = spawn(chunks_main, "w");
    w->fd = p[1];
    w->big = (char *)chunks;
    cr_assert_eq(io_run(), 0);
    close(p[0]);
}

Test(io, readline_gathers_a_line_across_chunks)
{
    readline_through_pipe("hel|lo\nwor|ld\nlast", 16, -1);
    /* a last line without a newline comes at end of file */
    cr_assert_str_eq(trace, "r:6 [hello\n]@1000 r:6 [world\n]@2000 "
                            "r:4 [last]@2000 r:eof@2000 ");
}

Test(io, a_line_longer_than_the_buffer_is_an_error_not_an_overflow)
{
    /* 8 bytes: a line of up to 7 bytes with its newline, and the '\0' */
    readline_through_pipe("abcdef\nabcdefg\nxy\n", 8, -1);
    /* readline took "abcdefg" (7 bytes) of the long line: "\n" is left */
    cr_assert_str_eq(trace, "r:7 [abcdef\n]@0 "
                            "r:line longer than the buffer@0 "
                            "r:1 [\n]@0 r:3 [xy\n]@0 r:eof@0 ");
}

Test(io, a_readline_buffer_needs_room_for_a_newline_and_a_nul)
{
    readline_through_pipe("\n", 2, -1);
    cr_assert_str_eq(trace, "r:1 [\n]@0 r:eof@0 ");
}

Test(io, a_readline_buffer_of_one_byte_is_too_small)
{
    readline_through_pipe("\n", 1, -1);
    cr_assert_str_eq(trace, "r:line longer than the buffer@0 "
                            "r:eof@0 ");
}

/* Send big (size bytes) in one io_send, with timeout; then shut the
 * writing side. */
static task_status timed_send_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_CATCH(t, io_send(&a->wait, a->fd, a->big, a->size,
                                a->timeout));
    if (t->error)
        note(a->name, "%s", what(t));
    else
        note(a->name, "sent %ld", t->sent.as.i);
    t->error = NULL;
    shutdown(a->fd, SHUT_WR);
    TASK_END(t);
}

Test(io, a_send_nobody_reads_times_out_as_a_whole)
{
    enum { SIZE = 4 << 20 };
    char *out = calloc(1, SIZE);
    int sv[2];
    actor *s;

    cr_assert_not_null(out);
    io_virtual_time();
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(io_nonblock(sv[0]), 0);
    s = spawn(timed_send_main, "s");
    s->fd = sv[0];
    s->big = out;
    s->size = SIZE;
    s->timeout = 2.0;
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "s:timed out@2000 ");
    free(out);
    close(sv[0]);
    close(sv[1]);
}

Test(io, a_readline_timeout_is_for_the_whole_line)
{
    /* bytes come at 0 s and 1 s, the newline at 2 s: too late for 1.5 s;
     * the next readline, without a timeout, gets the rest of the line */
    readline_through_pipe("a|b|c\n", 16, 1.5);
    cr_assert_str_eq(trace, "r:timed out@1500 r:2 [c\n]@2000 r:eof@2000 ");
}

/* Read three lines, closing the fd after the first: the other two must
 * come from the connection's input, without a wait on the fd. */
static task_status close_after_one_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (a->i = 0; a->i < 4; a->i++) {
        TASK_YIELD_CATCH(t, io_readline(&a->wait, a->fd, &a->in, a->buf,
                                        sizeof a->buf, -1));
        if (t->error) {
            note(a->name, "%s", t->error->message);
            break;
        }
        note(a->name, "%ld [%s] %zu left", t->sent.as.i, a->buf,
             a->in.end - a->in.start);
        if (a->i == 0)
            close(a->fd);
    }
    t->error = NULL;
    TASK_END(t);
}

Test(io, readline_reads_a_buffer_and_hands_out_the_lines_in_it_without_a_wait)
{
    static const char lines[] = "one\ntwo\nthree\n";
    int p[2];
    actor *r;

    io_virtual_time();
    open_pipe(p);
    cr_assert_eq(write(p[1], lines, strlen(lines)), (ssize_t)strlen(lines));
    close(p[1]);
    r = spawn(close_after_one_main, "r");
    r->fd = p[0];
    cr_assert_eq(io_run(), 0);
    /* one read took all 14 bytes; the fourth readline has to wait on the
     * closed fd, and cannot */
    cr_assert_str_eq(trace, "r:4 [one\n] 10 left@0 r:4 [two\n] 6 left@0 "
                            "r:6 [three\n] 0 left@0 "
                            "r:Bad file descriptor@0 ");
}

/* How many read system calls this process has made: syscr in
 * /proc/self/io. */
static long reads_so_far(void)
{
    char line[128];
    long n = -1;
    FILE *f = fopen("/proc/self/io", "r");

    cr_assert_not_null(f, "/proc/self/io: %s", strerror(errno));
    while (fgets(line, sizeof line, f))
        sscanf(line, "syscr: %ld", &n);
    fclose(f);
    cr_assert(n >= 0, "no syscr in /proc/self/io");
    return n;
}

static const char *sent_lines; /* what long_lines_main must read */
static size_t lines_total;     /* the bytes it read, and dropped */
static int short_lines;        /* the lines of 8 bytes it read */

/* Read lines into big (of `size` bytes) until end of file, each checked
 * against sent_lines; note each one's length, or its error, but count the
 * lines of 8 bytes. */
static task_status long_lines_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, io_readline(&a->wait, a->fd, &a->in, a->big,
                                        a->size, -1));
        if (t->error) {
            note(a->name, "%s", t->error->message);
            a->total += a->size - 1; /* the bytes it dropped */
            t->error = NULL;
            continue;
        }
        if (t->sent.as.i == 0)
            break;
        cr_assert_eq(strlen(a->big), (size_t)t->sent.as.i);
        cr_assert(memcmp(a->big, sent_lines + a->total,
                         (size_t)t->sent.as.i) == 0,
                  "the line at byte %zu differs from the one sent", a->total);
        a->total += (size_t)t->sent.as.i;
        lines_total = a->total;
        if (t->sent.as.i == 8)
            short_lines++;
        else
            note(a->name, "%ld", t->sent.as.i);
    }
    note(a->name, "eof");
    TASK_END(t);
}

/* Lines longer than the connection's input (16 KiB) arrive whole across
 * many reads, and many short lines come in one read; a line too long for
 * the buffer is an error, and the readline after it goes on with the rest
 * of that line. The pipe holds 64 KiB, the buffer is 64 KiB: there are far
 * fewer reads than bytes. */
Test(io, long_lines_cross_reads_and_short_ones_share_one)
{
    enum { BUF = 65536, SHORT = 2000 };
    /* a line of 40000 bytes, 2000 of 8 bytes, the longest (65534 bytes
     * and the newline), one byte too long (65535 dropped, "\n" left), and
     * a last line of 65534 bytes without a newline, at end of file */
    size_t size = 40001 + SHORT * 8 + 65535 + 65536 + 65534, off = 0;
    char *out = malloc(size), *line = malloc(BUF), *sent;
    int p[2];
    actor *s, *r;
    long before, reads;

    cr_assert(out && line);
    memset(out + off, 'a', 40000);
    out[off += 40000] = '\n';
    off++;
    for (int i = 0; i < SHORT; i++, off += 8)
        memcpy(out + off, "short 1\n", 8);
    memset(out + off, 'L', 65534);
    out[off += 65534] = '\n';
    off++;
    memset(out + off, 'T', 65535);
    out[off += 65535] = '\n';
    off++;
    memset(out + off, 'e', 65534);
    off += 65534;
    cr_assert_eq(off, size);
    sent_lines = out;
    io_virtual_time();
    open_pipe(p);
    s = spawn(bulk_send_main, "s");
    s->fd = p[1];
    s->big = out;
    s->size = size;
    r = spawn(long_lines_main, "r");
    r->fd = p[0];
    r->big = line;
    r->size = BUF;
    before = reads_so_far();
    cr_assert_eq(io_run(), 0);
    reads = reads_so_far() - before;
    sent = strstr(trace, "s:sent 252606@0 "); /* where, depends on the pipe */
    cr_assert_not_null(sent, "the trace: %s", trace);
    memmove(sent, sent + 16, strlen(sent + 16) + 1);
    cr_assert_str_eq(trace, "r:40001@0 r:65535@0 "
                            "r:line longer than the buffer@0 r:1@0 "
                            "r:65534@0 r:eof@0 ");
    cr_assert_eq(short_lines, SHORT);
    cr_assert_eq(lines_total, size);
    /* one read a byte would be 252 606 reads */
    cr_assert_lt(reads, (long)(size / 1024), "%ld reads for %zu bytes",
                 reads, size);
    free(out);
    free(line);
    close(p[0]);
}

/* ---- errors from the OS ---- */

Test(io, a_send_to_a_closed_pipe_is_epipe_and_the_process_lives)
{
    int p[2];
    actor *w;
    char want[128];

    signal(SIGPIPE, SIG_DFL); /* io_run must ignore it itself */
    io_virtual_time();
    open_pipe(p);
    close(p[0]);
    w = spawn(send_main, "w");
    w->fd = p[1];
    strcpy(w->buf, "x");
    cr_assert_eq(io_run(), 0);
    snprintf(want, sizeof want, "w:%s@0 ", strerror(EPIPE));
    cr_assert_str_eq(trace, want);
    cr_assert_eq(io_os_error(EPIPE)->code, IO_ERROR_OS + EPIPE);
    cr_assert_eq(io_os_error(EPIPE), io_os_error(EPIPE));
    close(p[1]);
}

/* Close the fd, then end. */
static task_status closer_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD(t);
    close(a->fd);
    note(a->name, "closed");
    TASK_END(t);
}

Test(io, closing_an_fd_under_a_waiting_task_wakes_it_with_ebadf)
{
    int p[2];
    char want[128];

    io_virtual_time();
    open_pipe(p);
    waiter("r", p[0], IO_READABLE);
    spawn(closer_main, "c")->fd = p[0];
    cr_assert_eq(io_run(), 0);
    snprintf(want, sizeof want, "c:closed@0 r:%s@0 ", strerror(EBADF));
    cr_assert_str_eq(trace, want);
    close(p[1]);
}

static volatile sig_atomic_t signals;
static int alarm_fd; /* where the alarm writes */

/* Count the signal and write a byte: a handler may call write(). */
static void on_alarm(int sig)
{
    (void)sig;
    signals++;
    if (write(alarm_fd, "x", 1) != 1)
        signals = -1000;
}

Test(io, a_signal_during_the_wait_does_not_disturb_it)
{
    struct sigaction sa;
    struct itimerval in_50ms = {{0, 0}, {0, 50000}};
    int p[2];

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: select() fails with EINTR */
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
    io_virtual_time();
    open_pipe(p);
    alarm_fd = p[1];
    spawn(recv_main, "r")->fd = p[0];
    /* The loop waits in select() for the pipe; the signal interrupts the
     * wait (EINTR), and its handler writes the byte the loop waits for. */
    cr_assert_eq(setitimer(ITIMER_REAL, &in_50ms, NULL), 0);
    cr_assert_eq(io_run(), 0);
    cr_assert_eq(signals, 1);
    cr_assert_str_eq(trace, "r:got 1@0 ");
    close(p[0]);
    close(p[1]);
}

/* ---- small things the loop must get right ---- */

Test(io, an_os_errors_message_is_its_own_copy)
{
    const task_error *e = io_os_error(250);

    cr_assert_str_eq(e->message, "Unknown error 250");
    /* glibc builds the message of an unknown errno in a buffer that its
     * next strerror() frees */
    cr_assert_str_eq(strerror(251), "Unknown error 251");
    cr_assert_str_eq(e->message, "Unknown error 250");
    cr_assert_eq(io_os_error(250), e);
    cr_assert_eq(e->code, IO_ERROR_OS + 250);
}

/* Raise SIGTERM, which stays pending until the loop waits. */
static task_status raiser_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    cr_assert_eq(raise(SIGTERM), 0);
    note(a->name, "raised");
    TASK_END(t);
}

Test(io, a_run_after_a_stop_by_signal_runs)
{
    int p[2];

    io_virtual_time();
    io_stop_on_signals();
    open_pipe(p);
    spawn(recv_main, "r")->fd = p[0]; /* waits for ever */
    spawn(raiser_main, "s");
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "s:raised@0 r:task exit@0 ");
    spawn(hello_main, "next");
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "s:raised@0 r:task exit@0 "
                            "next:runs@0 next:cleanup@0 ");
    close(p[0]);
    close(p[1]);
}

static actor *sleepy; /* the task that waker_main wakes */

/* Wake sleepy twice, then yield, and wake it once more: only the first
 * wake counts; then wake itself, which waits for nothing. */
static task_status waker_main(task *t)
{
    TASK_BEGIN(t);
    io_wake(&sleepy->task, value_int(1), NULL);
    io_wake(&sleepy->task, value_int(2), NULL);
    TASK_YIELD(t);
    io_wake(&sleepy->task, value_int(3), NULL);
    io_wake(t, value_int(4), NULL);
    TASK_END(t);
}

/* Sleep 5 s and note what the wake brought. */
static task_status woken_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, io_sleep(&a->wait, 5));
    note(a->name, "woke with %ld", t->sent.as.i);
    TASK_YIELD(t);
    note(a->name, "again");
    TASK_END(t);
}

Test(io, waking_a_task_that_is_not_parked_does_nothing)
{
    io_virtual_time();
    sleepy = spawn(woken_main, "s");
    spawn(waker_main, "w");
    cr_assert_eq(io_run(), 0);
    cr_assert_str_eq(trace, "s:woke with 1@0 s:again@0 ");
}
