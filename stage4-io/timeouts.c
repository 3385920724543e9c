/* timeouts: waits that time out, handled or not, and a sleep that does not. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "io.h"
#include "queue.h"

/* A task of the scenes: its name, its wait, and what it waits on. */
typedef struct actor {
    task task;
    const char *name;
    io_wait wait;
    int fd;
    queue *queue;
    io_input in; /* what readline read from fd after its line */
    char buf[64];
} actor;

static long long start; /* io_now() when the scene began */

/* Print a line of the scene: who, what, and when: the time since the scene
 * began, in seconds, rounded down to a tenth (a real wait ends a little
 * late, never early). */
static void say(actor *a, const char *fmt, ...)
{
    va_list ap;
    long long tenths = (io_now() - start) / 100000000;

    printf("@%lld.%lld %s: ", tenths / 10, tenths % 10, a->name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static void scene(const char *title)
{
    static int scenes;

    printf("%s== %s ==\n", scenes++ ? "\n" : "", title);
}

static actor *spawn(task_fn *body, const char *name)
{
    actor *a = io_spawn(body, sizeof *a);

    if (!a) {
        fprintf(stderr, "timeouts: no memory\n");
        exit(1);
    }
    io_name(&a->task, name);
    a->name = name;
    return a;
}

/* Run the scene's tasks until none is left; its clock starts at 0. */
static void run(void)
{
    start = io_now();
    if (io_run() < 0)
        exit(1);
}

/* A pipe whose ends the loop may watch: non-blocking, as io.h asks. */
static void open_pipe(int fds[2])
{
    if (pipe(fds) < 0 || io_nonblock(fds[0]) < 0 || io_nonblock(fds[1]) < 0) {
        perror("timeouts: pipe");
        exit(1);
    }
}

/* A scene of a reader task on a pipe, and a writer task if there is one. */
static void pipe_scene(const char *title, task_fn *reader, task_fn *writer)
{
    int fds[2];

    scene(title);
    open_pipe(fds);
    spawn(reader, "reader")->fd = fds[0];
    if (writer)
        spawn(writer, "writer")->fd = fds[1];
    run();
    close(fds[0]);
    close(fds[1]);
}

/* ---- a recv that times out ---- */

static task_status recv_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    say(a, "waiting up to 1.0 s for bytes from a pipe nobody writes to");
    TASK_YIELD_CATCH(t, io_recv(&a->wait, a->fd, a->buf, sizeof a->buf, 1.0));
    if (t->error == &io_timeout) {
        say(a, "caught \"%s\" at its yield", t->error->message);
        t->error = NULL;
    }
    TASK_END(t);
}

static void recv_times_out(void)
{
    pipe_scene("a recv that times out", recv_main, NULL);
}

/* ---- a queue get that times out ---- */

static task_status get_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    say(a, "waiting up to 0.5 s for an item from an empty queue");
    TASK_YIELD_CATCH(t, queue_get(&a->wait, a->queue, 0.5));
    if (t->error == &io_timeout) {
        say(a, "caught \"%s\"; it no longer waits on the queue",
            t->error->message);
        t->error = NULL;
    }
    TASK_END(t);
}

static task_status put_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, io_sleep(&a->wait, 1.0));
    TASK_YIELD_VALUE(t, queue_put(&a->wait, a->queue, value_int(1), -1));
    say(a, "put 1; the queue holds %zu item, %ld tasks wait for one",
        a->queue->count, a->queue->getters.ntasks);
    TASK_END(t);
}

static void get_times_out(void)
{
    queue q;

    scene("a queue get that times out");
    if (queue_init(&q, 0) < 0) {
        fprintf(stderr, "timeouts: no memory\n");
        exit(1);
    }
    spawn(get_main, "getter")->queue = &q;
    spawn(put_main, "putter")->queue = &q;
    run();
    queue_free(&q);
}

/* ---- a sleep that wakes on time ---- */

static task_status sleep_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    say(a, "sleeping 2.0 s");
    TASK_YIELD_VALUE(t, io_sleep(&a->wait, 2.0));
    say(a, "woke on time, with no error");
    TASK_END(t);
}

static void sleep_wakes_on_time(void)
{
    scene("a sleep that wakes on time");
    spawn(sleep_main, "sleeper");
    run();
}

/* ---- a timeout that the task handles ---- */

static task_status patient_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    say(a, "waiting for a line, 1.0 s at a time");
    for (;;) {
        TASK_YIELD_CATCH(t, io_readline(&a->wait, a->fd, &a->in, a->buf,
                                        sizeof a->buf, 1.0));
        if (t->error != &io_timeout)
            break;
        say(a, "timed out; waiting again");
        t->error = NULL;
    }
    if (!t->error)
        say(a, "got \"%.*s\"", (int)strcspn(a->buf, "\n"), a->buf);
    TASK_END(t);
}

static task_status writer_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, io_sleep(&a->wait, 2.5));
    TASK_YIELD_VALUE(t, io_send(&a->wait, a->fd, "hello\n", 6, -1));
    say(a, "sent \"hello\"");
    TASK_END(t);
}

static void timeout_handled(void)
{
    pipe_scene("a timeout that the task handles", patient_main, writer_main);
}

/* ---- a timeout that the task does not handle ---- */

static task_status careless_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    say(a, "waiting up to 1.0 s for an item, without catching");
    TASK_YIELD_VALUE(t, queue_get(&a->wait, a->queue, 1.0));
    say(a, "got an item"); /* not reached: the queue stays empty */
    TASK_FINALLY(t);
    say(a, "cleanup runs; the error is \"%s\"",
        t->raised ? t->raised->message : "none");
    TASK_END(t);
}

/* Reads what the loop writes on stderr (a pipe, in this scene). */
static task_status stderr_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, io_readline(&a->wait, a->fd, &a->in, a->buf,
                                    sizeof a->buf, 5.0));
    say(a, "%.*s", (int)strcspn(a->buf, "\n"), a->buf);
    TASK_END(t);
}

static void timeout_not_handled(void)
{
    int fds[2], saved;
    queue q;

    scene("a timeout that the task does not handle");
    open_pipe(fds);
    if (queue_init(&q, 0) < 0) {
        fprintf(stderr, "timeouts: no memory\n");
        exit(1);
    }
    /* The loop reports the failed task on stderr; for this scene stderr is
     * a pipe that a task reads, so the report shows up on stdout. */
    saved = dup(2);
    dup2(fds[1], 2);
    close(fds[1]);
    spawn(careless_main, "waiter")->queue = &q;
    spawn(stderr_main, "stderr")->fd = fds[0];
    run();
    dup2(saved, 2);
    close(saved);
    close(fds[0]);
    queue_free(&q);
}

static const char usage[] =
    "usage: timeouts [--virtual-time]\n"
    "  --virtual-time  do not wait: jump the clock to the "
    "next timer\n";

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--virtual-time") == 0)
            io_virtual_time();
        else
            args_usage(usage);
    }
    recv_times_out();
    get_times_out();
    sleep_wakes_on_time();
    timeout_handled();
    timeout_not_handled();
    return 0;
}
