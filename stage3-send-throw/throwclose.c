/* throwclose: every rule of send, throw and close, one short scene each. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sched.h"

/* A task of the scenes: it says what its body does, under its name. */
typedef struct actor {
    task task;
    const char *name;
    long total;
    int i;
    int limit;
    int cleanups;
} actor;

static const task_error oops = {TASK_ERROR_USER, "oops"};
static const task_error cleanup_failed = {TASK_ERROR_USER + 1,
                                          "cleanup failed"};

static void say(actor *a, const char *fmt, ...)
{
    va_list ap;

    printf("  %s: ", a->name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static void print_status(task *t, task_status s)
{
    switch (s) {
    case TASK_YIELDED:
        if (t->yielded.kind == VALUE_INT)
            printf("yielded %ld", t->yielded.as.i);
        else
            printf("yielded none");
        break;
    case TASK_DONE:
        printf("done");
        break;
    case TASK_RUNNING:
    case TASK_NOT_STARTED:
        printf("refused: %s", task_error_of(t, s)->message);
        break;
    case TASK_FAILED:
    case TASK_IGNORED_EXIT:
        printf("failed: %s", task_error_of(t, s)->message);
        break;
    }
}

static void announce(const char *call)
{
    printf("%s\n", call);
}

static void report(task *t, task_status s)
{
    printf("  -> ");
    print_status(t, s);
    printf("\n");
}

/* Print the call, run it (the body's lines come next), print its result. */
#define CALL(t, call) (announce(#call), report((t), (call)))

static void scene(const char *title)
{
    static int scenes;

    printf("%s== %s ==\n", scenes++ ? "\n" : "", title);
}

static void actor_init(actor *a, const char *name, task_fn *body)
{
    task_init(&a->task, body);
    task_name(&a->task, name);
    a->name = name;
    a->total = 0;
    a->i = 0;
    a->limit = -1;
    a->cleanups = 0;
}

/* x = yield total; total += x */
static task_status adder_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    say(a, "started");
    for (;;) {
        TASK_YIELD_VALUE(t, value_int(a->total));
        say(a, "got %ld", t->sent.as.i);
        a->total += t->sent.as.i;
    }
    TASK_END(t);
}

/* Yields 0 and 1, catching oops at each yield; any other error ends it. */
static task_status catcher_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (a->i = 0; a->i < 2; a->i++) {
        TASK_YIELD_CATCH(t, value_int(a->i));
        if (t->error == &oops) {
            say(a, "caught %s", t->error->message);
            t->error = NULL;
        } else if (t->error) {
            TASK_FAIL(t, t->error);
        }
    }
    say(a, "finishing");
    TASK_END(t);
}

/* Yields 1 and 2 inside a try whose finally counts the cleanups. */
static task_status plain_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    say(a, "started");
    TASK_YIELD_VALUE(t, value_int(1));
    TASK_YIELD_VALUE(t, value_int(2));
    TASK_FINALLY(t);
    a->cleanups++;
    say(a, "cleanup");
    TASK_END(t);
}

/* Catches the exit error and yields anyway: a close it ignores. */
static task_status stubborn_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD_CATCH(t, value_int(1));
    if (t->error == &task_exit) {
        say(a, "caught %s, yielding anyway", t->error->message);
        t->error = NULL;
        TASK_YIELD_VALUE(t, value_int(2));
    }
    TASK_FINALLY(t);
    a->cleanups++;
    say(a, "cleanup");
    TASK_END(t);
}

/* Its cleanup raises an error of its own. */
static task_status failing_cleanup_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD(t);
    TASK_FINALLY(t);
    a->cleanups++;
    say(a, "cleanup raises %s", cleanup_failed.message);
    TASK_FAIL(t, &cleanup_failed);
    TASK_END(t);
}

/* Returns from the middle of the body, which skips TASK_FINALLY. */
static task_status early_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    TASK_YIELD(t);
    say(a, "returning early");
    return TASK_DONE;
    TASK_FINALLY(t);
    a->cleanups++;
    say(a, "cleanup");
    TASK_END(t);
}

/* Resumes itself, is refused, and goes on. */
static task_status selfish_main(task *t)
{
    actor *a = (actor *)t;
    task_status s;

    TASK_BEGIN(t);
    s = task_resume(t);
    printf("  %s: task_resume(t) from inside -> ", a->name);
    print_status(t, s);
    printf("\n");
    TASK_YIELD_VALUE(t, value_int(1));
    TASK_END(t);
}

/* Says "step i" and yields i, for i = 1 to limit (forever if limit < 0). */
static task_status stepper_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    for (a->i = 1; a->limit < 0 || a->i <= a->limit; a->i++) {
        say(a, "step %d", a->i);
        TASK_YIELD_VALUE(t, value_int(a->i));
    }
    TASK_FINALLY(t);
    a->cleanups++;
    say(a, "cleanup");
    TASK_END(t);
}

/* One step, then an error that nobody handles. */
static task_status raiser_main(task *t)
{
    actor *a = (actor *)t;

    TASK_BEGIN(t);
    say(a, "step 1");
    TASK_YIELD_VALUE(t, value_int(1));
    say(a, "raises %s", oops.message);
    TASK_FAIL(t, &oops);
    TASK_FINALLY(t);
    a->cleanups++;
    say(a, "cleanup");
    TASK_END(t);
}

static void scene_send(void)
{
    actor g;
    task *t = &g.task;

    scene("send: the value becomes the result of the yield");
    actor_init(&g, "body", adder_main);
    CALL(t, task_resume(t));
    CALL(t, task_send(t, value_int(10)));
    CALL(t, task_send(t, value_int(5)));
}

static void scene_send_before_start(void)
{
    actor g;
    task *t = &g.task;

    scene("send before start");
    actor_init(&g, "body", adder_main);
    CALL(t, task_send(t, value_int(10)));
    CALL(t, task_resume(t));
}

static void scene_handled_throw(void)
{
    actor g;
    task *t = &g.task;

    scene("handled throw");
    actor_init(&g, "body", catcher_main);
    CALL(t, task_resume(t));
    CALL(t, task_throw(t, &oops));
    CALL(t, task_throw(t, &oops));
}

static void scene_unhandled_throw(void)
{
    actor g;
    task *t = &g.task;

    scene("unhandled throw");
    actor_init(&g, "body", plain_main);
    CALL(t, task_resume(t));
    CALL(t, task_throw(t, &oops));
    printf("t->raised == &oops: %d\n", t->raised == &oops);
    CALL(t, task_resume(t));
}

static void scene_throw_into_new(void)
{
    actor g;
    task *t = &g.task;

    scene("throw into a new task");
    actor_init(&g, "body", plain_main);
    CALL(t, task_throw(t, &oops));
    CALL(t, task_resume(t));
}

static void scene_after_done(void)
{
    actor g;
    task *t = &g.task;

    scene("resume and throw after done");
    actor_init(&g, "body", plain_main);
    CALL(t, task_resume(t));
    CALL(t, task_resume(t));
    CALL(t, task_resume(t));
    CALL(t, task_resume(t));
    CALL(t, task_resume(t));
    CALL(t, task_throw(t, &oops));
    printf("cleanups: %d\n", g.cleanups);
}

static void scene_close(void)
{
    actor g;
    task *t = &g.task;

    scene("close with cleanup");
    actor_init(&g, "body", plain_main);
    CALL(t, task_resume(t));
    CALL(t, task_close(t));
    CALL(t, task_close(t));
    CALL(t, task_resume(t));
    printf("cleanups: %d\n", g.cleanups);
}

static void scene_close_new(void)
{
    actor g;
    task *t = &g.task;

    scene("close a new task");
    actor_init(&g, "body", plain_main);
    CALL(t, task_close(t));
    CALL(t, task_resume(t));
    printf("cleanups: %d\n", g.cleanups);
}

static void scene_ignored_exit(void)
{
    actor g;
    task *t = &g.task;

    scene("ignored exit");
    actor_init(&g, "body", stubborn_main);
    CALL(t, task_resume(t));
    CALL(t, task_close(t));
    printf("task_done(t): %d, t->yielded: %ld\n", task_done(t),
           t->yielded.as.i);
    CALL(t, task_close(t));
    printf("cleanups: %d\n", g.cleanups);
}

static void scene_cleanup_error(void)
{
    actor g;
    task *t = &g.task;

    scene("close, and the cleanup fails");
    actor_init(&g, "body", failing_cleanup_main);
    CALL(t, task_resume(t));
    CALL(t, task_close(t));
    printf("task_done(t): %d\n", task_done(t));
}

static void scene_early_return(void)
{
    actor g;
    task *t = &g.task;

    scene("return before the cleanup section");
    actor_init(&g, "body", early_main);
    CALL(t, task_resume(t));
    CALL(t, task_resume(t));
    printf("cleanups: %d\n", g.cleanups);
}

static void scene_resume_from_inside(void)
{
    actor g;
    task *t = &g.task;

    scene("resume from inside");
    actor_init(&g, "body", selfish_main);
    CALL(t, task_resume(t));
}

/* The pool reports a failed task on stderr. This scene sends stderr to a
 * file and prints, after each step, what the pool wrote there. */
static int saved_stderr = -1;
static FILE *captured;
static off_t captured_shown;

static void capture_stderr(void)
{
    fflush(stderr);
    captured = tmpfile();
    saved_stderr = dup(2);
    if (!captured || saved_stderr < 0 || dup2(fileno(captured), 2) < 0) {
        perror("throwclose: can not capture stderr");
        exit(1);
    }
    captured_shown = 0;
}

static void show_stderr(void)
{
    static int at_line_start = 1;
    char c;

    fflush(stderr);
    while (pread(fileno(captured), &c, 1, captured_shown) == 1) {
        if (at_line_start)
            printf("stderr: ");
        putchar(c);
        at_line_start = c == '\n';
        captured_shown++;
    }
}

static void release_stderr(void)
{
    show_stderr();
    dup2(saved_stderr, 2);
    close(saved_stderr);
    fclose(captured);
}

static void scene_pool_failure(void)
{
    actor a, b;
    pool p;

    scene("a pool: one task fails, the other goes on");
    actor_init(&a, "a", stepper_main);
    a.limit = 3;
    actor_init(&b, "b", raiser_main);
    pool_init(&p);
    pool_add(&p, &a.task);
    pool_add(&p, &b.task);
    announce("while (pool_step(&p))");
    capture_stderr();
    while (pool_step(&p))
        show_stderr();
    release_stderr();
    printf("a: %s, b: %s\n", task_done(&a.task) ? "done" : "not done",
           task_done(&b.task) ? "done" : "not done");
    printf("cleanups: a %d, b %d\n", a.cleanups, b.cleanups);
}

static void scene_close_in_sched(void)
{
    actor a, b;
    sched s;

    scene("close a task that waits in a scheduler");
    actor_init(&a, "a", stepper_main);
    actor_init(&b, "b", stepper_main);
    sched_init(&s);
    sched_add(&s, &a.task);
    sched_add(&s, &b.task);
    CALL(&s.task, task_resume(&s.task));
    CALL(&s.task, task_resume(&s.task));
    CALL(&a.task, task_close(&a.task));
    CALL(&s.task, task_resume(&s.task));
    CALL(&s.task, task_resume(&s.task));
    printf("s.pool.ntasks: %ld\n", s.pool.ntasks);
    CALL(&s.task, task_close(&s.task));
    printf("cleanups: a %d, b %d\n", a.cleanups, b.cleanups);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: throwclose\n");
        return 2;
    }
    scene_send();
    scene_send_before_start();
    scene_handled_throw();
    scene_unhandled_throw();
    scene_throw_into_new();
    scene_after_done();
    scene_close();
    scene_close_new();
    scene_ignored_exit();
    scene_cleanup_error();
    scene_early_return();
    scene_resume_from_inside();
    scene_pool_failure();
    scene_close_in_sched();
    return 0;
}
