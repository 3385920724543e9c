/*
 * test_pool: the task and pool API of stage 1 (task.h), built against the
 * runtime of every stage from stage 1 on.
 *
 * Each test task appends its name to a trace every time it is resumed, so a
 * test can assert the exact order in which tasks ran.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "task.h"

static char trace[256];
static int ntrace;

static void record(char name)
{
    if (ntrace < (int)sizeof trace - 1)
        trace[ntrace++] = name;
}

/* A task that records its name each time it runs, and yields `yields` times. */
typedef struct tracer {
    task task;
    char name;
    int yields;
    int i;
    int calls;   /* how many times the body function was called */
    pool *pool;  /* with child: the body adds child to pool at its start */
    task *child;
} tracer;

static task_status tracer_main(task *t)
{
    tracer *r = (tracer *)t;

    r->calls++;
    TASK_BEGIN(t);
    record(r->name);
    if (r->child)
        pool_add(r->pool, r->child);
    for (r->i = 0; r->i < r->yields; r->i++) {
        TASK_YIELD(t);
        record(r->name);
    }
    TASK_END(t);
}

static void tracer_init(tracer *r, char name, int yields)
{
    task_init(&r->task, tracer_main);
    r->name = name;
    r->yields = yields;
    r->calls = 0;
    r->pool = NULL;
    r->child = NULL;
}

Test(pool, round_robin_order)
{
    tracer a, b, c;
    long steps;
    pool p;

    pool_init(&p);
    tracer_init(&a, 'A', 2);
    tracer_init(&b, 'B', 0);
    tracer_init(&c, 'C', 1);
    pool_add(&p, &a.task);
    pool_add(&p, &b.task);
    pool_add(&p, &c.task);
    cr_assert_eq(p.ntasks, 3);
    steps = pool_run(&p);
    cr_assert_eq(steps, 6, "pool_run took %ld steps, not 6", steps);
    cr_assert_str_eq(trace, "ABCACA");
    cr_assert_eq(p.ntasks, 0);
    cr_assert(task_done(&a.task) && task_done(&b.task) && task_done(&c.task));
}

Test(pool, task_done_on_first_resume)
{
    tracer a;
    pool p;

    tracer_init(&a, 'A', 0);
    cr_assert_eq(task_done(&a.task), 0);
    cr_assert_eq(task_resume(&a.task), TASK_DONE);
    cr_assert_eq(task_done(&a.task), 1);
    cr_assert_str_eq(trace, "A");

    tracer_init(&a, 'a', 0);
    pool_init(&p);
    pool_add(&p, &a.task);
    cr_assert_eq(pool_step(&p), &a.task);
    cr_assert_eq(p.ntasks, 0);
    cr_assert_null(pool_step(&p));
    cr_assert_str_eq(trace, "Aa");
}

Test(pool, empty_pool)
{
    pool p;

    pool_init(&p);
    cr_assert_null(pool_step(&p));
    cr_assert_eq(pool_run(&p), 0);
    cr_assert_eq(pool_iteration(&p, 5), 0);
    cr_assert_eq(p.ntasks, 0);
}

/* A task added by a running task goes to the back of the queue, behind
 * every task that was waiting, but ahead of the task that added it. */
Test(pool, task_added_while_running)
{
    tracer parent, other, child;
    long steps;
    pool p;

    pool_init(&p);
    tracer_init(&parent, 'P', 1);
    tracer_init(&other, 'O', 1);
    tracer_init(&child, 'c', 1);
    parent.pool = &p;
    parent.child = &child.task;
    pool_add(&p, &parent.task);
    pool_add(&p, &other.task);
    cr_assert_eq(pool_step(&p), &parent.task);
    cr_assert_eq(p.ntasks, 3);
    steps = pool_run(&p);
    cr_assert_eq(steps, 5, "pool_run took %ld steps, not 5", steps);
    cr_assert_str_eq(trace, "POcPOc");
}

Test(pool, iteration_takes_n_steps)
{
    tracer a, b;
    pool p;

    pool_init(&p);
    tracer_init(&a, 'A', 10);
    tracer_init(&b, 'B', 10);
    pool_add(&p, &a.task);
    pool_add(&p, &b.task);
    cr_assert_eq(pool_iteration(&p, 0), 2);
    cr_assert_str_eq(trace, "");
    cr_assert_eq(pool_iteration(&p, 3), 2);
    cr_assert_str_eq(trace, "ABA");
    cr_assert_eq(pool_iteration(&p, 1), 2);
    cr_assert_str_eq(trace, "ABAB");
    /* 22 resumes in all; 18 are left, and more steps than that do no harm. */
    cr_assert_eq(pool_iteration(&p, 100), 0);
    cr_assert_eq(ntrace, 22);
}

Test(pool, resume_done_task)
{
    tracer a;
    int calls;

    tracer_init(&a, 'A', 1);
    cr_assert_eq(task_resume(&a.task), TASK_YIELDED);
    cr_assert_eq(task_resume(&a.task), TASK_DONE);
    /* From stage 3 on the runtime may call a body once more on its way out
     * (to run its cleanup section); once done, it calls it never again. */
    calls = a.calls;
    cr_assert_eq(task_resume(&a.task), TASK_DONE);
    cr_assert_eq(task_resume(&a.task), TASK_DONE);
    cr_assert_str_eq(trace, "AA");
    cr_assert_eq(a.calls, calls);
    cr_assert_eq(task_done(&a.task), 1);
}

/* A million tasks that yield twice: every resume counted, in order. */
#define MANY 1000000
#define FNV_BASIS 14695981039346656037u
#define FNV_PRIME 1099511628211u

typedef struct counter {
    task task;
    uint32_t id;
    int i;
} counter;

static long resumes;
static uint64_t checksum = FNV_BASIS;

static void count(const counter *c)
{
    resumes++;
    checksum = (checksum ^ c->id) * FNV_PRIME;
}

static task_status counter_main(task *t)
{
    counter *c = (counter *)t;

    TASK_BEGIN(t);
    count(c);
    for (c->i = 0; c->i < 2; c->i++) {
        TASK_YIELD(t);
        count(c);
    }
    TASK_END(t);
}

Test(pool, million_tasks, .timeout = 120)
{
    counter *tasks = calloc(MANY, sizeof *tasks);
    uint64_t want = FNV_BASIS;
    long steps;
    pool p;

    cr_assert(tasks);
    pool_init(&p);
    for (uint32_t i = 0; i < MANY; i++) {
        task_init(&tasks[i].task, counter_main);
        tasks[i].id = i;
        pool_add(&p, &tasks[i].task);
    }
    cr_assert_eq(p.ntasks, MANY);
    steps = pool_run(&p);
    cr_assert_eq(steps, 3L * MANY, "pool_run took %ld steps", steps);
    /* Round robin: three rounds, each over the tasks in the order added. */
    for (int round = 0; round < 3; round++)
        for (uint32_t i = 0; i < MANY; i++)
            want = (want ^ i) * FNV_PRIME;
    cr_assert_eq(resumes, 3L * MANY, "%ld resumes", resumes);
    cr_assert_eq(checksum, want, "order checksum %016llx, want %016llx",
                 (unsigned long long)checksum, (unsigned long long)want);
    cr_assert(task_done(&tasks[0].task) && task_done(&tasks[MANY - 1].task));
    free(tasks);
}
