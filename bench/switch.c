/*
 * switch: what a task switch and a task cost in one stage's runtime.
 *
 * Built once per stage, against that stage's task.h and runtime files.
 *   switch time -n N -k K -r R   N tasks each yield K times, run by
 *                                pool_run; ns per resume+yield, R times
 *   switch mem -n N              resident bytes per task for N bare tasks
 *                                (the runtime's struct and nothing else)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "measure.h"
#include "task.h"

/* The task the switch benchmark runs: yields `left` times, then ends. */
typedef struct counter {
    task task;
    uint32_t left;
} counter;

static task_status counter_main(task *t)
{
    counter *c = (counter *)t;

    TASK_BEGIN(t);
    while (c->left > 0) {
        c->left--;
        TASK_YIELD(t);
    }
    TASK_END(t);
}

/* The body of a bare task for the memory count; it never runs. */
static task_status bare_main(task *t)
{
    TASK_BEGIN(t);
    TASK_END(t);
}

/* Set up every counter afresh and queue it. */
static void counters_start(pool *p, counter *c, const struct bench_args *a)
{
    pool_init(p);
    for (long i = 0; i < a->tasks; i++) {
        task_init(&c[i].task, counter_main);
        c[i].left = (uint32_t)a->yields;
        pool_add(p, &c[i].task);
    }
}

/* One timed run of the whole pool: ns per step, or exit if steps are off. */
static double time_one_run(counter *c, const struct bench_args *a,
                           long switches)
{
    pool p;
    double start;
    long steps;

    counters_start(&p, c, a);
    start = cpu_ns();
    steps = pool_run(&p);
    if (steps != switches) {
        fprintf(stderr, "switch: pool_run took %ld steps, expected %ld\n",
                steps, switches);
        exit(1);
    }
    return (cpu_ns() - start) / (double)steps;
}

static void time_switches(const struct bench_args *a)
{
    long switches = a->tasks * (a->yields + 1);
    counter *c = bench_calloc("switch", a->tasks, sizeof *c);
    double *ns = bench_calloc("switch", a->reps, sizeof *ns);

    if (a->warm_up)
        time_one_run(c, a, switches);
    for (int r = 0; r < a->reps; r++)
        ns[r] = time_one_run(c, a, switches);
    report_times("switch", a, switches, ns, a->reps);
    free(ns);
    free(c);
}

/* Make and queue @p n bare tasks. */
static void bare_tasks_start(pool *p, task *t, long n)
{
    pool_init(p);
    for (long i = 0; i < n; i++) {
        task_init(&t[i], bare_main);
        pool_add(p, &t[i]);
    }
}

static void measure_memory(const struct bench_args *a)
{
    static task few[16];
    long before, after;
    task *t;
    pool p;

    bare_tasks_start(&p, few, 16); /* the code it runs is resident now */
    before = rss_bytes();
    t = bench_calloc("switch", a->tasks, sizeof *t);
    bare_tasks_start(&p, t, a->tasks);
    after = rss_bytes();
    report_memory(a->tasks, (long)sizeof(task), before, after);
    free(t);
}

int main(int argc, char **argv)
{
    struct bench_args a;

    bench_parse(&a, "switch", argc, argv);
    if ((unsigned long)a.yields > UINT32_MAX) {
        fprintf(stderr, "switch: -k is at most %lu\n",
                (unsigned long)UINT32_MAX);
        return 2;
    }
    if (a.mode == BENCH_TIME)
        time_switches(&a);
    else
        measure_memory(&a);
    return 0;
}
