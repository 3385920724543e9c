/*
 * ucontext: the stackful way without assembly, for comparison. N
 * coroutines made with makecontext, resumed round-robin from a scheduler
 * context with swapcontext, each yielding K times.
 *
 *   ucontext time -n N -k K -r R   ns per resume+yield, R times
 *   ucontext mem -n N              resident bytes per coroutine
 *
 * Each coroutine needs a stack. We give it the smallest that works: we run
 * one coroutine on a large painted stack, see how deep it went, and take
 * the smallest power of two (at least 256 bytes) that is twice that. The
 * stacks are packed in one malloc'd block, with no guard pages: the
 * cheapest layout there is, so the comparison favours ucontext.
 * If N coroutines would need more than a quarter of the free memory, we run
 * as many as fit and say so (requested=N, tasks=what ran).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "measure.h"

/* A coroutine: its saved registers and its place in the run queue. */
struct coro {
    ucontext_t context;
    struct coro *next;
    long left; /* yields still to do */
    int done;
};

/* A FIFO of coroutines, like the course's pool. */
struct queue {
    struct coro *head, *tail;
};

static ucontext_t scheduler;
static struct coro *running;

enum { PAINT = 0xa5, PROBE_STACK = 64 * 1024, MIN_STACK = 256 };

/* The body: yield `left` times back to the scheduler, then end. */
static void coro_main(void)
{
    struct coro *c = running;

    while (c->left > 0) {
        c->left--;
        swapcontext(&c->context, &scheduler);
    }
    c->done = 1; /* returning goes to uc_link, the scheduler */
}

static void coro_start(struct coro *c, char *stack, size_t size, long yields)
{
    getcontext(&c->context);
    c->context.uc_stack.ss_sp = stack;
    c->context.uc_stack.ss_size = size;
    c->context.uc_link = &scheduler;
    makecontext(&c->context, coro_main, 0);
    c->next = NULL;
    c->left = yields;
    c->done = 0;
}

static void queue_put(struct queue *q, struct coro *c)
{
    c->next = NULL;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
}

static struct coro *queue_take(struct queue *q)
{
    struct coro *c = q->head;

    q->head = c->next;
    if (!q->head)
        q->tail = NULL;
    return c;
}

/* Resume coroutines round-robin until all are done; returns the steps. */
static long run_all(struct queue *q)
{
    long steps = 0;

    while (q->head) {
        running = queue_take(q);
        swapcontext(&scheduler, &running->context);
        steps++;
        if (!running->done)
            queue_put(q, running);
    }
    return steps;
}

/* How many bytes of stack one coroutine really uses, by painting. */
static size_t probe_stack_use(void)
{
    char *stack = bench_calloc("ucontext", PROBE_STACK, 1);
    struct queue q = {NULL, NULL};
    struct coro c;
    size_t untouched = 0;

    memset(stack, PAINT, PROBE_STACK);
    coro_start(&c, stack, PROBE_STACK, 3);
    queue_put(&q, &c);
    run_all(&q);
    while (untouched < PROBE_STACK && (unsigned char)stack[untouched] == PAINT)
        untouched++;
    free(stack);
    return PROBE_STACK - untouched;
}

/* The smallest power of two, at least MIN_STACK, that is twice @p used. */
static size_t stack_size_for(size_t used)
{
    size_t size = MIN_STACK;

    while (size < 2 * used)
        size *= 2;
    return size;
}

/* How many coroutines of @p bytes each fit in a quarter of free memory. */
static long fitting_tasks(long wanted, size_t bytes)
{
    double free_bytes = (double)sysconf(_SC_AVPHYS_PAGES) *
                        (double)sysconf(_SC_PAGESIZE);
    double fit = free_bytes / 4 / (double)bytes;

    if (fit >= (double)wanted)
        return wanted;
    if (fit >= 1000000)
        return (long)(fit / 1000000) * 1000000;
    return fit < 1 ? 1 : (long)fit;
}

/* The coroutines and their stacks. */
struct crowd {
    struct coro *coros;
    char *stacks;
    size_t stack_size;
};

static void crowd_start(struct crowd *w, struct queue *q, long n, long yields)
{
    q->head = q->tail = NULL;
    for (long i = 0; i < n; i++) {
        coro_start(&w->coros[i], w->stacks + (size_t)i * w->stack_size,
                   w->stack_size, yields);
        queue_put(q, &w->coros[i]);
    }
}

static double time_one_run(struct crowd *w, const struct bench_args *a,
                           long switches)
{
    struct queue q;
    double start;
    long steps;

    crowd_start(w, &q, a->tasks, a->yields);
    start = cpu_ns();
    steps = run_all(&q);
    if (steps != switches) {
        fprintf(stderr, "ucontext: %ld steps, expected %ld\n", steps,
                switches);
        exit(1);
    }
    return (cpu_ns() - start) / (double)steps;
}

static void time_switches(struct crowd *w, const struct bench_args *a)
{
    long switches = a->tasks * (a->yields + 1);
    double *ns = bench_calloc("ucontext", a->reps, sizeof *ns);

    if (a->warm_up)
        time_one_run(w, a, switches);
    for (int r = 0; r < a->reps; r++)
        ns[r] = time_one_run(w, a, switches);
    report_times("ucontext", a, switches, ns, a->reps);
    free(ns);
}

int main(int argc, char **argv)
{
    struct bench_args a;
    struct crowd w;
    size_t used = probe_stack_use();
    long requested, before;

    bench_parse(&a, "ucontext", argc, argv);
    w.stack_size = stack_size_for(used);
    requested = a.tasks;
    a.tasks = fitting_tasks(a.tasks, w.stack_size + sizeof(struct coro));
    before = rss_bytes();
    w.coros = bench_calloc("ucontext", a.tasks, sizeof *w.coros);
    w.stacks = bench_calloc("ucontext", a.tasks, (long)w.stack_size);
    if (a.mode == BENCH_TIME) {
        time_switches(&w, &a);
    } else {
        struct queue q;

        crowd_start(&w, &q, a.tasks, 0);
        run_all(&q); /* every stack is used once, as in a real run */
        report_memory(a.tasks, (long)sizeof(struct coro), before, rss_bytes());
    }
    printf("ucontext_stack requested=%ld tasks=%ld stack_used=%zu "
           "stack_size=%zu\n",
           requested, a.tasks, used, w.stack_size);
    free(w.stacks);
    free(w.coros);
    return 0;
}
