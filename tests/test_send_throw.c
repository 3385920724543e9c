/* Stage 3 on: send, throw and close, with CPython's (PEP 342) rules. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>

#include "sched.h"
#include "send_throw_model.h"

static const task_error oops = {TASK_ERROR_USER + 10, "oops"};
static const task_error other = {TASK_ERROR_USER + 11, "other"};
static const task_error cleanup_failed = {TASK_ERROR_USER + 12,
                                          "cleanup failed"};

/* A task whose body counts what it does. */
typedef struct probe {
    task task;
    int starts;   /* times the body ran from its first line */
    int cleanups; /* times its TASK_FINALLY section ran */
    int caught;   /* errors it handled */
    int i;
    int limit;   /* for stepper_main */
    long got[8]; /* the values its yields received */
    int ngot;
    task_status inner; /* what a call from inside returned */
    const task_error *inner_error;
    task *partner; /* for ping_main */
} probe;

static void probe_init(probe *p, task_fn *body)
{
    task_init(&p->task, body);
    p->starts = 0;
    p->cleanups = 0;
    p->caught = 0;
    p->i = 0;
    p->limit = 0;
    p->ngot = 0;
    p->inner = TASK_YIELDED;
    p->inner_error = NULL;
    p->partner = NULL;
}

static void expect_yielded(task *t, task_status s, long v)
{
    cr_assert_eq(s, TASK_YIELDED, "status %d, expected yielded", s);
    cr_assert_eq(t->yielded.kind, VALUE_INT);
    cr_assert_eq(t->yielded.as.i, v, "yielded %ld, expected %ld",
                 t->yielded.as.i, v);
    cr_assert_not(task_done(t));
}

static void expect_failed(task *t, task_status s, const task_error *e)
{
    cr_assert_eq(s, TASK_FAILED, "status %d, expected failed", s);
    cr_assert_eq(t->raised, e, "error '%s', expected '%s'",
                 t->raised ? t->raised->message : "(none)", e->message);
    cr_assert_eq(task_error_of(t, s), e);
}

/* A refusal is the call's status alone: nothing is written into t. */
static void expect_refused(task *t, task_status s, task_status want,
                           const task_error *e)
{
    cr_assert_eq(s, want, "status %d, expected %d", s, want);
    cr_assert_eq(task_error_of(t, s), e);
    cr_assert_null(t->error);
}

/* Yields 0, 1, 2, 3 (from TASK_YIELD_VALUE) and records what it gets. */
static task_status receiver_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    p->starts++;
    for (p->i = 0; p->i < 4; p->i++) {
        TASK_YIELD_VALUE(t, value_int(p->i));
        p->got[p->ngot++] = t->sent.kind == VALUE_INT ? t->sent.as.i : -1;
    }
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_END(t);
}

/* Yields 0 and 1 from TASK_YIELD_CATCH; handles oops, lets others end it. */
static task_status catcher_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    p->starts++;
    for (p->i = 0; p->i < 2; p->i++) {
        TASK_YIELD_CATCH(t, value_int(p->i));
        if (t->error == &oops) {
            p->caught++;
            t->error = NULL;
        } else if (t->error) {
            TASK_FAIL(t, t->error);
        }
    }
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_END(t);
}

/* Catches the exit error at its yield and yields 2; then ends. */
static task_status stubborn_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    p->starts++;
    TASK_YIELD_CATCH(t, value_int(1));
    if (t->error == &task_exit) {
        p->caught++;
        t->error = NULL;
        TASK_YIELD_VALUE(t, value_int(2));
    }
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_END(t);
}

/* Catches the exit error and ends without yielding again. */
static task_status obliging_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    TASK_YIELD_CATCH(t, value_int(1));
    if (t->error == &task_exit) {
        p->caught++;
        t->error = NULL;
    }
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_END(t);
}

static task_status failing_cleanup_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    TASK_YIELD(t);
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_FAIL(t, &cleanup_failed);
    TASK_END(t);
}

/* Yields once, then raises oops before its cleanup section. */
static task_status raiser_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    p->starts++;
    TASK_YIELD_VALUE(t, value_int(1));
    TASK_FAIL(t, &oops);
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_END(t);
}

/* Yields once, then returns, which skips its cleanup section. */
static task_status early_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, value_int(1));
    return TASK_DONE;
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_END(t);
}

/* No TASK_FINALLY at all. */
static task_status bare_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    p->starts++;
    TASK_YIELD_VALUE(t, value_int(1));
    TASK_YIELD_VALUE(t, value_int(2));
    TASK_END(t);
}

enum inner_call { INNER_RESUME, INNER_THROW, INNER_CLOSE };
static enum inner_call inner_call;

/* Calls itself, records what that returned, handles it and yields 1. */
static task_status selfish_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    p->starts++;
    if (inner_call == INNER_RESUME)
        p->inner = task_resume(t);
    else if (inner_call == INNER_THROW)
        p->inner = task_throw(t, &oops);
    else
        p->inner = task_close(t);
    p->inner_error = task_error_of(t, p->inner);
    TASK_YIELD_VALUE(t, value_int(1));
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_END(t);
}

/* Resumes its partner, keeps what that returned, yields 1, ends. */
static task_status ping_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    p->inner = task_resume(p->partner);
    TASK_YIELD_VALUE(t, value_int(1));
    TASK_END(t);
}

/* Yields 1, then raises oops; its cleanup yields 2 before it counts. */
static task_status lingering_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, value_int(1));
    TASK_FAIL(t, &oops);
    TASK_FINALLY(t);
    TASK_YIELD_VALUE(t, value_int(2));
    p->cleanups++;
    TASK_END(t);
}

/* --- send --- */

Test(send, value_becomes_yield_result)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, receiver_main);
    expect_yielded(t, task_resume(t), 0);
    expect_yielded(t, task_send(t, value_int(42)), 1);
    expect_yielded(t, task_send(t, value_int(-7)), 2);
    expect_yielded(t, task_resume(t), 3);
    cr_assert_eq(p.ngot, 3);
    cr_assert_eq(p.got[0], 42);
    cr_assert_eq(p.got[1], -7);
    cr_assert_eq(p.got[2], -1); /* task_resume sends none */
    cr_assert_eq(t->sent.kind, VALUE_NONE);
}

Test(send, value_of_each_kind_arrives)
{
    probe p;
    task *t = &p.task;
    int x;

    probe_init(&p, receiver_main);
    task_resume(t);
    task_send(t, value_str("Hi, Mom!"));
    cr_assert_eq(t->sent.kind, VALUE_STR);
    cr_assert_str_eq(t->sent.as.s, "Hi, Mom!");
    task_send(t, value_ptr(&x));
    cr_assert_eq(t->sent.kind, VALUE_PTR);
    cr_assert_eq(t->sent.as.p, &x);
}

Test(send, non_none_before_start_is_refused_and_task_stays_new)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, receiver_main);
    expect_refused(t, task_send(t, value_int(1)), TASK_NOT_STARTED,
                   &task_error_not_started);
    cr_assert_null(t->raised);
    cr_assert_str_eq(task_error_not_started.message,
                     "can't send a value other than none "
                     "to a task that has not started");
    cr_assert_eq(task_error_not_started.code, TASK_ERROR_NOT_STARTED);
    cr_assert_eq(p.starts, 0);
    cr_assert_not(task_done(t));
    cr_assert_eq(t->resume, 0);
    /* Still new: none starts it from its first line. */
    expect_yielded(t, task_send(t, value_none()), 0);
    cr_assert_eq(p.starts, 1);
    cr_assert_null(t->error);
}

Test(send, to_finished_task_reports_done)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, receiver_main);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_eq(task_send(t, value_int(5)), TASK_DONE);
    cr_assert_eq(p.ngot, 0);
}

/* --- throw --- */

Test(throw, handled_yields_again)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, catcher_main);
    expect_yielded(t, task_resume(t), 0);
    expect_yielded(t, task_throw(t, &oops), 1);
    cr_assert_eq(p.caught, 1);
    cr_assert_null(t->error);
    cr_assert_eq(t->sent.kind, VALUE_NONE);
    cr_assert_eq(p.cleanups, 0);
}

Test(throw, handled_then_finishes_reports_done)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, catcher_main);
    expect_yielded(t, task_resume(t), 0);
    expect_yielded(t, task_send(t, value_int(7)), 1);
    cr_assert_eq(t->sent.as.i, 7);
    cr_assert_eq(task_throw(t, &oops), TASK_DONE);
    cr_assert(task_done(t));
    cr_assert_null(t->error);
    cr_assert_eq(t->sent.kind, VALUE_NONE); /* a throw sends nothing */
    cr_assert_eq(p.caught, 1);
    cr_assert_eq(p.cleanups, 1);
}

Test(throw, unhandled_fails_with_same_error)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, catcher_main);
    task_resume(t);
    expect_failed(t, task_throw(t, &other), &other);
    cr_assert(task_done(t));
    cr_assert_eq(p.caught, 0);
    cr_assert_eq(p.cleanups, 1);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
}

Test(throw, at_a_plain_yield_ends_the_task)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, receiver_main);
    task_resume(t);
    expect_failed(t, task_throw(t, &oops), &oops);
    cr_assert(task_done(t));
    cr_assert_eq(p.ngot, 0); /* the code after the yield did not run */
    cr_assert_eq(p.cleanups, 1);
}

Test(throw, into_new_task_runs_no_code)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, catcher_main);
    expect_failed(t, task_throw(t, &oops), &oops);
    cr_assert(task_done(t));
    cr_assert_eq(p.starts, 0);
    cr_assert_eq(p.caught, 0);
    cr_assert_eq(p.cleanups, 0);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_eq(p.starts, 0);
}

Test(throw, into_finished_task_runs_no_code)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, catcher_main);
    task_resume(t);
    task_resume(t);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
    expect_failed(t, task_throw(t, &oops), &oops);
    expect_failed(t, task_throw(t, &other), &other);
    cr_assert_eq(p.starts, 1);
    cr_assert_eq(p.caught, 0);
    cr_assert_eq(p.cleanups, 1);
}

/* NULL is no error: the call is refused, whatever the task's state, and
 * the task goes on as if it had not been made (CPython: g.throw(None) is a
 * TypeError and leaves g alone). */
Test(throw, null_is_refused_and_the_task_stays_as_it_was)
{
    probe p;
    pool q;
    task *t = &p.task;

    probe_init(&p, receiver_main);
    expect_refused(t, task_throw(t, NULL), TASK_NULL_ERROR,
                   &task_error_null);
    cr_assert_eq(task_error_null.code, TASK_ERROR_NULL);
    cr_assert_not(task_done(t));
    cr_assert_eq(p.starts, 0);
    expect_yielded(t, task_resume(t), 0);
    expect_refused(t, task_throw(t, NULL), TASK_NULL_ERROR,
                   &task_error_null);
    expect_yielded(t, task_send(t, value_int(7)), 1);
    cr_assert_eq(p.got[0], 7);
    /* a pool runs it to its end, and reports nothing */
    pool_init(&q);
    pool_add(&q, t);
    cr_assert_eq(pool_run(&q), 3);
    cr_assert(task_done(t));
    cr_assert_eq(p.cleanups, 1);
    expect_refused(t, task_throw(t, NULL), TASK_NULL_ERROR,
                   &task_error_null);
}

/* --- close --- */

Test(close, runs_cleanup_once)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, receiver_main);
    task_resume(t);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert(task_done(t));
    cr_assert_null(t->error);
    cr_assert_eq(p.cleanups, 1);
    cr_assert_eq(p.ngot, 0);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
}

Test(close, task_that_catches_exit_and_ends_is_done)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, obliging_main);
    task_resume(t);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_null(t->error);
    cr_assert(task_done(t));
    cr_assert_eq(p.caught, 1);
    cr_assert_eq(p.cleanups, 1);
}

Test(close, new_task_does_nothing)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, receiver_main);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert(task_done(t));
    cr_assert_eq(p.starts, 0);
    cr_assert_eq(p.cleanups, 0);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_eq(p.starts, 0);
}

Test(close, finished_task_does_nothing)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, catcher_main);
    task_resume(t);
    task_resume(t);
    task_resume(t);
    cr_assert_eq(p.cleanups, 1);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
    cr_assert_eq(p.caught, 0);
}

Test(close, failed_task_does_nothing)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, catcher_main);
    task_resume(t);
    task_throw(t, &other);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
}

Test(close, ignored_exit_is_an_error)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, stubborn_main);
    task_resume(t);
    expect_refused(t, task_close(t), TASK_IGNORED_EXIT,
                   &task_error_ignored_exit);
    cr_assert_null(t->raised);
    cr_assert_eq(task_error_ignored_exit.code, TASK_ERROR_IGNORED_EXIT);
    cr_assert_str_eq(task_error_ignored_exit.message, "task ignored exit");
    cr_assert_eq(p.caught, 1);
    cr_assert_eq(p.cleanups, 0);
    /* It stays suspended at the yield it went to. */
    cr_assert_not(task_done(t));
    cr_assert_eq(t->yielded.as.i, 2);
    /* A second close throws the exit at that plain yield: it ends. */
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert(task_done(t));
    cr_assert_eq(p.cleanups, 1);
}

Test(close, ignored_exit_then_resume_goes_on)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, stubborn_main);
    task_resume(t);
    task_close(t);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_null(t->error);
    cr_assert_eq(p.cleanups, 1);
}

Test(close, cleanup_error_is_reported)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, failing_cleanup_main);
    task_resume(t);
    expect_failed(t, task_close(t), &cleanup_failed);
    cr_assert(task_done(t));
    cr_assert_eq(p.cleanups, 1);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
}

Test(close, task_without_finally_is_done)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, bare_main);
    expect_yielded(t, task_resume(t), 1);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_null(t->error);
    cr_assert(task_done(t));
    cr_assert_eq(p.starts, 1);
}

/* --- resume --- */

Test(resume, finished_reports_done_every_time)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, bare_main);
    task_resume(t);
    task_resume(t);
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(task_resume(t), TASK_DONE);
        cr_assert(task_done(t));
    }
    cr_assert_eq(p.starts, 1);
}

Test(resume, failed_task_reports_done)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, raiser_main);
    task_resume(t);
    expect_failed(t, task_resume(t), &oops);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_eq(p.starts, 1);
    cr_assert_eq(p.cleanups, 1);
}

Test(resume, from_inside_reports_running)
{
    probe p;
    task *t = &p.task;

    inner_call = INNER_RESUME;
    probe_init(&p, selfish_main);
    expect_yielded(t, task_resume(t), 1);
    cr_assert_eq(p.inner, TASK_RUNNING);
    cr_assert_eq(p.inner_error, &task_error_running);
    cr_assert_str_eq(p.inner_error->message, "task already running");
    cr_assert_eq(p.starts, 1);
    cr_assert_eq(p.cleanups, 0);
}

Test(resume, throw_from_inside_reports_running)
{
    probe p;
    task *t = &p.task;

    inner_call = INNER_THROW;
    probe_init(&p, selfish_main);
    expect_yielded(t, task_resume(t), 1);
    cr_assert_eq(p.inner, TASK_RUNNING);
    cr_assert_eq(p.inner_error, &task_error_running);
    cr_assert_eq(p.cleanups, 0);
}

Test(resume, close_from_inside_reports_running)
{
    probe p;
    task *t = &p.task;

    inner_call = INNER_CLOSE;
    probe_init(&p, selfish_main);
    expect_yielded(t, task_resume(t), 1);
    cr_assert_eq(p.inner, TASK_RUNNING);
    cr_assert_eq(p.inner_error, &task_error_running);
    cr_assert_eq(p.cleanups, 0);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
}

/* a resumes b, and b resumes a: it is b's call that is refused, and a
 * goes on with nothing written into it, as in CPython. */
Test(resume, a_refusal_goes_to_the_caller_not_into_the_task_called)
{
    probe a, b;

    probe_init(&a, ping_main);
    probe_init(&b, ping_main);
    a.partner = &b.task;
    b.partner = &a.task;
    expect_yielded(&a.task, task_resume(&a.task), 1);
    cr_assert_eq(b.inner, TASK_RUNNING);
    cr_assert_eq(task_error_of(&a.task, b.inner), &task_error_running);
    cr_assert_eq(a.inner, TASK_YIELDED);
    cr_assert_null(a.task.error);
    cr_assert_null(a.task.raised);
    cr_assert_eq(task_resume(&a.task), TASK_DONE);
}

/* --- finally --- */

Test(finally, an_error_in_flight_survives_a_yield_in_the_cleanup)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, lingering_main);
    expect_yielded(t, task_resume(t), 1);
    expect_yielded(t, task_resume(t), 2); /* oops is in flight */
    cr_assert_eq(t->raised, &oops);
    expect_failed(t, task_send(t, value_int(5)), &oops);
    cr_assert_eq(p.cleanups, 1);
}

Test(finally, an_error_thrown_in_the_cleanup_takes_the_place_of_the_one_in_flight)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, lingering_main);
    task_resume(t);
    expect_yielded(t, task_resume(t), 2);
    expect_failed(t, task_throw(t, &other), &other);
    cr_assert(task_done(t));
    cr_assert_eq(p.cleanups, 0);
}

Test(finally, runs_once_on_normal_end)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, receiver_main);
    for (int k = 0; k < 4; k++)
        expect_yielded(t, task_resume(t), k);
    cr_assert_eq(p.cleanups, 0);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
    task_resume(t);
    task_close(t);
    task_throw(t, &oops);
    cr_assert_eq(p.cleanups, 1);
}

Test(finally, runs_once_on_error)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, raiser_main);
    task_resume(t);
    expect_failed(t, task_resume(t), &oops);
    cr_assert(task_done(t));
    cr_assert_eq(p.cleanups, 1);
    task_close(t);
    cr_assert_eq(p.cleanups, 1);
}

Test(finally, runs_once_on_early_return)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, early_main);
    task_resume(t);
    cr_assert_eq(task_resume(t), TASK_DONE);
    cr_assert(task_done(t));
    cr_assert_null(t->error);
    cr_assert_eq(p.cleanups, 1);
    task_close(t);
    cr_assert_eq(p.cleanups, 1);
}

Test(finally, runs_once_on_close)
{
    probe p;
    task *t = &p.task;

    probe_init(&p, catcher_main);
    task_resume(t);
    cr_assert_eq(task_close(t), TASK_DONE);
    cr_assert_eq(p.cleanups, 1);
    cr_assert_eq(p.caught, 0);
}

/* --- pool and sched --- */

/* Yields 1 to limit (forever if limit < 0), counting cleanups. */
static task_status stepper_main(task *t)
{
    probe *p = (probe *)t;

    TASK_BEGIN(t);
    for (p->i = 1; p->limit < 0 || p->i <= p->limit; p->i++)
        TASK_YIELD_VALUE(t, value_int(p->i));
    TASK_FINALLY(t);
    p->cleanups++;
    TASK_END(t);
}

static void stepper_init(probe *p, int limit)
{
    probe_init(p, stepper_main);
    p->limit = limit;
}

Test(pool, failed_task_reported_others_go_on, .init = cr_redirect_stderr)
{
    probe a, b;
    pool p;

    stepper_init(&a, 3);
    probe_init(&b, raiser_main);
    pool_init(&p);
    pool_add(&p, &a.task);
    pool_add(&p, &b.task);
    /* a 1, b 1, a 2, b fails, a 3, a ends */
    cr_assert_eq(pool_run(&p), 6);
    cr_assert(task_done(&a.task));
    cr_assert(task_done(&b.task));
    cr_assert_eq(b.task.raised, &oops);
    cr_assert_eq(a.cleanups, 1);
    cr_assert_eq(b.cleanups, 1);
    cr_assert_eq(p.ntasks, 0);
    fflush(stderr);
    cr_assert_stderr_eq_str("task failed: oops\n");
}

Test(pool, close_from_outside_while_suspended)
{
    probe a, b;
    pool p;

    stepper_init(&a, -1);
    stepper_init(&b, -1);
    pool_init(&p);
    pool_add(&p, &a.task);
    pool_add(&p, &b.task);
    pool_iteration(&p, 2);
    cr_assert_eq(task_close(&a.task), TASK_DONE);
    cr_assert_eq(a.cleanups, 1);
    cr_assert_eq(p.ntasks, 2); /* a still waits in the queue, done */
    cr_assert_eq(pool_step(&p), &a.task);
    cr_assert_eq(p.ntasks, 1); /* the pool dropped it */
    cr_assert_eq(p.head, &b.task);
    cr_assert_eq(pool_step(&p), &b.task);
    cr_assert_eq(b.task.yielded.as.i, 2);
    cr_assert_eq(a.cleanups, 1);
    cr_assert_eq(b.cleanups, 0);
    pool_close(&p);
    cr_assert_eq(b.cleanups, 1);
}

Test(pool, close_closes_every_task_and_empties_it)
{
    probe a, b, c;
    pool p;

    stepper_init(&a, -1);
    stepper_init(&b, -1);
    stepper_init(&c, -1);
    pool_init(&p);
    pool_add(&p, &a.task);
    pool_add(&p, &b.task);
    pool_add(&p, &c.task);
    pool_iteration(&p, 2); /* c has not started */
    pool_close(&p);
    cr_assert_eq(p.ntasks, 0);
    cr_assert_null(p.head);
    cr_assert_null(p.tail);
    cr_assert(task_done(&a.task) && task_done(&b.task) && task_done(&c.task));
    cr_assert_eq(a.cleanups, 1);
    cr_assert_eq(b.cleanups, 1);
    cr_assert_eq(c.cleanups, 0);
}

Test(pool, close_reports_a_cleanup_error, .init = cr_redirect_stderr)
{
    probe a, b;
    pool p;

    probe_init(&a, failing_cleanup_main);
    stepper_init(&b, -1);
    pool_init(&p);
    pool_add(&p, &a.task);
    pool_add(&p, &b.task);
    pool_iteration(&p, 2);
    pool_close(&p);
    cr_assert_eq(a.cleanups, 1);
    cr_assert_eq(b.cleanups, 1);
    fflush(stderr);
    cr_assert_stderr_eq_str("task failed on close: cleanup failed\n");
}

Test(sched, close_closes_its_tasks)
{
    probe a, b, c;
    sched s;

    stepper_init(&a, -1);
    stepper_init(&b, -1);
    stepper_init(&c, -1);
    sched_init(&s);
    sched_add(&s, &a.task);
    sched_add(&s, &b.task);
    expect_yielded(&s.task, task_resume(&s.task), 1);
    expect_yielded(&s.task, task_resume(&s.task), 1);
    sched_add(&s, &c.task); /* never runs */
    cr_assert_eq(task_close(&s.task), TASK_DONE);
    cr_assert(task_done(&s.task));
    cr_assert_eq(s.pool.ntasks, 0);
    cr_assert(task_done(&a.task) && task_done(&b.task) && task_done(&c.task));
    cr_assert_eq(a.cleanups, 1);
    cr_assert_eq(b.cleanups, 1);
    cr_assert_eq(c.cleanups, 0);
    cr_assert_eq(c.starts, 0);
}

Test(sched, close_from_outside_while_it_waits_in_a_scheduler)
{
    probe a, b;
    sched s;

    stepper_init(&a, -1);
    stepper_init(&b, -1);
    sched_init(&s);
    sched_add(&s, &a.task);
    sched_add(&s, &b.task);
    task_resume(&s.task);
    task_resume(&s.task);
    cr_assert_eq(task_close(&a.task), TASK_DONE);
    cr_assert_eq(a.cleanups, 1);
    /* The scheduler takes a, finds it done, drops it and yields none. */
    cr_assert_eq(task_resume(&s.task), TASK_YIELDED);
    cr_assert_eq(s.task.yielded.kind, VALUE_NONE);
    cr_assert_eq(s.pool.ntasks, 1);
    expect_yielded(&s.task, task_resume(&s.task), 2);
    cr_assert_eq(task_close(&s.task), TASK_DONE);
    cr_assert_eq(a.cleanups, 1);
    cr_assert_eq(b.cleanups, 1);
}

Test(sched, failed_task_is_reported_and_dropped, .init = cr_redirect_stderr)
{
    probe a, b;
    sched s;

    stepper_init(&a, 2);
    probe_init(&b, raiser_main);
    sched_init(&s);
    sched_add(&s, &a.task);
    sched_add(&s, &b.task);
    /* a 1, b 1, a 2, b fails (none), a ends (none), s ends */
    cr_assert_eq(sched_run(&s), 5);
    cr_assert(task_done(&s.task));
    cr_assert_null(s.task.raised);
    cr_assert_eq(a.cleanups, 1);
    cr_assert_eq(b.cleanups, 1);
    fflush(stderr);
    cr_assert_stderr_eq_str("task failed: oops\n");
}

Test(sched, thrown_error_closes_its_tasks_and_fails_it)
{
    probe a;
    sched s;

    stepper_init(&a, -1);
    sched_init(&s);
    sched_add(&s, &a.task);
    task_resume(&s.task);
    expect_failed(&s.task, task_throw(&s.task, &oops), &oops);
    cr_assert(task_done(&s.task));
    cr_assert(task_done(&a.task));
    cr_assert_eq(a.cleanups, 1);
}

/* --- the model --- */

#define MODEL_SEEDS 200
#define MODEL_STEPS 30

static const char *status_name(task_status s)
{
    static const char *const names[] = {"yielded",     "done",
                                        "failed",      "running",
                                        "not started", "ignored exit"};

    return names[s];
}

/* How often each call met each state, over all seeds: every pair must
   occur, or the random sequences test less than they seem to. */
static int coverage[3][NOPS];

static void check_seed(uint32_t seed)
{
    uint32_t rng = seed;
    subject s;
    model m;

    subject_init(&s);
    model_init(&m);
    for (int step = 1; step <= MODEL_STEPS; step++) {
        enum op op = (enum op)(next_random(&rng) % NOPS);
        long v = (long)(next_random(&rng) % 100) + 1;
        task_status got;
        outcome want;

        coverage[m.state][op]++;
        want = model_step(&m, op, v);
        got = subject_step(&s, op, v);
        cr_assert_eq(got, want.status, "seed %u, step %d, %s: %s, model: %s",
                     seed, step, op_names[op], status_name(got),
                     status_name(want.status));
        if (got == TASK_YIELDED || got == TASK_IGNORED_EXIT)
            cr_assert_eq(s.task.yielded.as.i, want.yielded,
                         "seed %u, step %d, %s: yielded %ld, model: %ld",
                         seed, step, op_names[op], s.task.yielded.as.i,
                         want.yielded);
        if (got != TASK_YIELDED && got != TASK_DONE)
            cr_assert_eq(task_error_of(&s.task, got), want.error,
                         "seed %u, step %d, %s: error '%s', model: '%s'",
                         seed, step, op_names[op],
                         task_error_of(&s.task, got)->message,
                         want.error->message);
        cr_assert_eq(task_done(&s.task), m.state == M_DONE,
                     "seed %u, step %d, %s: done %d, model: %d", seed, step,
                     op_names[op], task_done(&s.task), m.state == M_DONE);
        cr_assert_eq(s.cleanups, m.cleanups,
                     "seed %u, step %d, %s: cleanups %d, model: %d", seed,
                     step, op_names[op], s.cleanups, m.cleanups);
        cr_assert_eq(s.handled, m.handled,
                     "seed %u, step %d, %s: handled %d, model: %d", seed,
                     step, op_names[op], s.handled, m.handled);
        cr_assert_eq(s.sum, m.sum, "seed %u, step %d, %s: sum %ld, model: %ld",
                     seed, step, op_names[op], s.sum, m.sum);
    }
}

Test(model, random_sequences_match_the_model)
{
    for (uint32_t seed = 1; seed <= MODEL_SEEDS; seed++)
        check_seed(seed);
    for (int state = 0; state < 3; state++)
        for (int op = 0; op < NOPS; op++)
            cr_assert_gt(coverage[state][op], 0, "state %d never met %s",
                         state, op_names[op]);
}

Test(model, the_model_follows_the_rules_examples)
{
    model m;
    outcome o;

    /* The model itself, on the rules' own examples. */
    model_init(&m);
    o = model_step(&m, OP_SEND, 5);
    cr_assert_eq(o.status, TASK_NOT_STARTED);
    cr_assert_eq(o.error, &task_error_not_started);
    cr_assert_eq(m.state, M_NEW);
    o = model_step(&m, OP_NEXT, 0);
    cr_assert_eq(o.status, TASK_YIELDED);
    cr_assert_eq(o.yielded, 0);
    o = model_step(&m, OP_CLOSE, 0); /* caught at an even i: ends */
    cr_assert_eq(o.status, TASK_DONE);
    cr_assert_eq(m.cleanups, 1);
    model_init(&m);
    model_step(&m, OP_NEXT, 0);
    model_step(&m, OP_NEXT, 0);
    o = model_step(&m, OP_CLOSE, 0); /* caught at i = 1: ignored */
    cr_assert_eq(o.status, TASK_IGNORED_EXIT);
    cr_assert_eq(o.error, &task_error_ignored_exit);
    cr_assert_eq(o.yielded, 2);
    cr_assert_eq(m.state, M_SUSPENDED);
}
