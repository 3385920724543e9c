/*
 * child: what calling a child task costs in stage 5's runtime.
 *
 * Built against stage 5 (its task.h, io.h and runtime files).
 *   child [-c CALLS] [-r REPS] [-d DEPTH]
 *
 * One top-level task, made with io_spawn() and run by io_run(), calls
 * CALLS children (25000000 by default: about 0.5 s a run) one after
 * another, R times over after one untimed run:
 * each time it makes a child with io_child() and yields it with
 * TASK_YIELD_VALUE(t, value_task(...)); the child returns its number at
 * once with TASK_RETURN (it never waits), and the loop's trampoline sends
 * that back as the parent's t->sent and keeps the child's memory for the
 * next io_child(). A figure is ns per call+return, and it includes what
 * the runtime really does per call: taking the child from the loop's
 * spare ones (or calloc() when none fits) and zeroing it in io_child(),
 * and putting it back in the loop. The sum of
 * the numbers that came back is checked: a wrong one exits 1.
 *
 * Then the same with a chain: the top task calls a child, which calls a
 * child, DEPTH levels down (10 by default; 0 skips it), CALLS/DEPTH times,
 * so that CALLS children run in all; a figure is ns per level (per child
 * call+return).
 *
 * Result lines, in the key=value form of bench/run.py (the `child` line is
 * the one it reads; `child_chain` goes to its extras):
 *   child_chain way=stage5-subtasks depth=.. calls=.. reps=.. samples_ns=..
 *               median_ns=.. min_ns=.. max_ns=.. chain_ns=..
 *   child way=stage5-subtasks calls=.. reps=.. samples_ns=.. median_ns=..
 *         min_ns=.. max_ns=..
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "measure.h"
#include "task.h"

/* A child: returns x + what its own child returned, or x at the bottom. */
typedef struct node {
    task task;
    long x;
    int depth; /* how many levels are left below this one */
} node;

static task_status node_main(task *t)
{
    node *n = (node *)t;
    node *c;

    TASK_BEGIN(t);
    if (n->depth == 0)
        TASK_RETURN(t, value_int(n->x));
    c = io_child(node_main, sizeof *c);
    if (c) {
        c->x = 1;
        c->depth = n->depth - 1;
    }
    TASK_YIELD_VALUE(t, value_task(c ? &c->task : NULL));
    TASK_RETURN(t, value_int(n->x + t->sent.as.i));
    TASK_END(t);
}

/* The one top-level task: every repetition of both ways, timed inside. */
typedef struct bench {
    task task;
    long calls;       /* children per flat run */
    long chains;      /* top-level calls per chain run */
    int depth;        /* levels of a chain, 0 for none */
    int reps;         /* timed runs of each way (plus one untimed) */
    int run;          /* which run, 0 being the untimed one */
    long i;           /* which call in this run */
    long long sum;    /* what the children returned in this run */
    double start;     /* cpu_ns() when this run began */
    double *flat_ns;  /* ns per call+return, one per timed run */
    double *chain_ns; /* ns per level, one per timed run */
} bench;

/* 1 once the task made every run and checked it (the loop frees the task
 * when it ends, so this lives outside it). */
static int finished;

static const task_error wrong_sum = {TASK_ERROR_USER,
                                     "the children's values came back wrong"};

/* The call of child number @p x (0, 1, 2, ...) as made by the top task. */
static node *top_child(long x, int depth)
{
    node *c = io_child(node_main, sizeof *c);

    if (c) {
        c->x = x;
        c->depth = depth;
    }
    return c;
}

/* What a run's sum must be: each call returns its number plus one per
 * level under the first. */
static long long expected_sum(long calls, int levels)
{
    long long n = calls;

    return n * (n - 1) / 2 + n * (levels - 1);
}

static int check(const char *way, long long sum, long long want)
{
    if (sum == want)
        return 1;
    fprintf(stderr, "child: %s run summed %lld, expected %lld\n", way, sum,
            want);
    return 0;
}

static task_status bench_main(task *t)
{
    bench *b = (bench *)t;
    node *c;

    TASK_BEGIN(t);
    for (b->run = 0; b->run <= b->reps; b->run++) {
        b->sum = 0;
        b->start = cpu_ns();
        for (b->i = 0; b->i < b->calls; b->i++) {
            c = top_child(b->i, 0);
            TASK_YIELD_VALUE(t, value_task(c ? &c->task : NULL));
            b->sum += t->sent.as.i;
        }
        if (b->run > 0)
            b->flat_ns[b->run - 1] = (cpu_ns() - b->start) / (double)b->calls;
        if (!check("flat", b->sum, expected_sum(b->calls, 1)))
            TASK_FAIL(t, &wrong_sum);
    }
    for (b->run = 0; b->depth > 0 && b->run <= b->reps; b->run++) {
        b->sum = 0;
        b->start = cpu_ns();
        for (b->i = 0; b->i < b->chains; b->i++) {
            c = top_child(b->i, b->depth - 1);
            TASK_YIELD_VALUE(t, value_task(c ? &c->task : NULL));
            b->sum += t->sent.as.i;
        }
        if (b->run > 0)
            b->chain_ns[b->run - 1] = (cpu_ns() - b->start) /
                                      ((double)b->chains * b->depth);
        if (!check("chain", b->sum, expected_sum(b->chains, b->depth)))
            TASK_FAIL(t, &wrong_sum);
    }
    finished = 1;
    TASK_END(t);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Print "samples_ns=a,b,c median_ns=.. min_ns=.. max_ns=.."; sorts @p ns,
 * returns the median. */
static double print_samples(double *ns, int n)
{
    double median;

    printf("samples_ns=");
    for (int i = 0; i < n; i++)
        printf("%s%.4f", i ? "," : "", ns[i]);
    qsort(ns, (size_t)n, sizeof *ns, compare_doubles);
    median = n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2;
    printf(" median_ns=%.4f min_ns=%.4f max_ns=%.4f", median, ns[0],
           ns[n - 1]);
    return median;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: child [-c CALLS] [-r REPS] [-d DEPTH]\n"
            "  -c CALLS  child calls per run, 1 to 1000000000 "
            "(default 25000000)\n"
            "  -r REPS   timed runs, 1 to 100 (default 5)\n"
            "  -d DEPTH  levels of the chain, 0 (none) to 1000 "
            "(default 10)\n");
    exit(2);
}

static long parse_long(const char *s, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    long calls = 25000000; /* about 0.5 s a run at 20 ns a call */
    int reps = 5, depth = 10;
    double *flat_ns, *chain_ns, median;
    long chains;
    bench *b;

    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "-c") == 0)
            calls = parse_long(argv[i + 1], 1, 1000000000);
        else if (strcmp(argv[i], "-r") == 0)
            reps = (int)parse_long(argv[i + 1], 1, 100);
        else if (strcmp(argv[i], "-d") == 0)
            depth = (int)parse_long(argv[i + 1], 0, 1000);
        else
            usage();
    }
    b = io_spawn(bench_main, sizeof *b);
    if (!b) {
        fprintf(stderr, "child: no memory for the task\n");
        return 1;
    }
    chains = depth > 0 ? (calls + depth - 1) / depth : 0;
    flat_ns = bench_calloc("child", reps, sizeof *flat_ns);
    chain_ns = bench_calloc("child", reps, sizeof *chain_ns);
    b->calls = calls;
    b->depth = depth;
    b->chains = chains;
    b->reps = reps;
    b->flat_ns = flat_ns;
    b->chain_ns = chain_ns;
    if (io_run() != 0 || !finished) {
        fprintf(stderr, "child: the benchmark task did not finish\n");
        return 1;
    }
    if (depth > 0) {
        printf("child_chain way=stage5-subtasks depth=%d calls=%ld reps=%d ",
               depth, chains * depth, reps);
        median = print_samples(chain_ns, reps);
        printf(" chain_ns=%.4f\n", median * depth);
    }
    printf("child way=stage5-subtasks calls=%ld reps=%d ", calls, reps);
    print_samples(flat_ns, reps);
    printf("\n");
    free(flat_ns);
    free(chain_ns);
    return 0;
}
