/*
 * fiber: a fast stackful library, Boost.Context's fibers (Debian
 * libboost-context-dev), in the round robin of switch.c.
 *
 *   fiber time -n N -k K -r R   N fibers in a FIFO, each resumed until it
 *                               has yielded K times; ns per resume+yield
 *   fiber mem -n N              resident bytes per fiber, stack included
 *
 * A fiber needs a stack. As ucontext.c does, we give it the smallest that
 * works: one fiber runs on a large painted stack, and each gets the
 * smallest power of two (at least 1 KiB) that is twice what it used, all
 * packed in one block without guard pages (the cheapest layout there is).
 * If N fibers would take more than a sixteenth of the free memory (the
 * machine is shared), as many as fit run and the "ucontext_stack" line
 * says so (requested=N, tasks=).
 */
#include <boost/context/fiber.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <utility>

extern "C" {
#include "measure.h"
}

namespace ctx = boost::context;

enum { PAINT = 0xa5, PROBE_STACK = 64 * 1024, MIN_STACK = 1024 };

/* Hands out stacks from one block, one after another; frees nothing. */
struct packed_stacks {
    char *base;
    size_t size;
    long *next;

    ctx::stack_context allocate()
    {
        ctx::stack_context s;

        s.size = size;
        s.sp = base + (size_t)++*next * size; /* stacks grow down */
        return s;
    }
    void deallocate(ctx::stack_context &) noexcept {}
};

static ctx::fiber make_fiber(packed_stacks stacks, long yields)
{
    return ctx::fiber(std::allocator_arg, stacks,
                      [yields](ctx::fiber &&sink) mutable {
                          while (yields > 0) {
                              yields--;
                              sink = std::move(sink).resume();
                          }
                          return std::move(sink);
                      });
}

/* The FIFO: a ring of fibers, taken at the head and put back at the tail. */
static long run_all(ctx::fiber *ring, long n)
{
    long steps = 0, head = 0, count = n;

    while (count > 0) {
        ctx::fiber f = std::move(ring[head]);

        head = head + 1 == n ? 0 : head + 1;
        count--;
        f = std::move(f).resume();
        steps++;
        if (f) {
            long tail = head + count;

            ring[tail >= n ? tail - n : tail] = std::move(f);
            count++;
        }
    }
    return steps;
}

static void start_all(ctx::fiber *ring, char *block, size_t size, long n,
                      long yields)
{
    long next = 0;
    packed_stacks stacks{block, size, &next};

    for (long i = 0; i < n; i++)
        ring[i] = make_fiber(stacks, yields);
}

static size_t probe_stack_use()
{
    char *block = (char *)bench_calloc("fiber", PROBE_STACK, 1);
    ctx::fiber f;
    size_t untouched = 0;

    memset(block, PAINT, PROBE_STACK);
    start_all(&f, block, PROBE_STACK, 1, 3);
    run_all(&f, 1);
    while (untouched < PROBE_STACK && (unsigned char)block[untouched] == PAINT)
        untouched++;
    free(block);
    return PROBE_STACK - untouched;
}

static size_t stack_size_for(size_t used)
{
    size_t size = MIN_STACK;

    while (size < 2 * used)
        size *= 2;
    return size;
}

/* How many fibers of @p bytes each fit in a sixteenth of free memory. */
static long fitting_tasks(long wanted, size_t bytes)
{
    double free_bytes = (double)sysconf(_SC_AVPHYS_PAGES) *
                        (double)sysconf(_SC_PAGESIZE);
    double fit = free_bytes / 16 / (double)bytes;

    if (fit >= (double)wanted)
        return wanted;
    if (fit >= 1000000)
        return (long)(fit / 1000000) * 1000000;
    return fit < 1 ? 1 : (long)fit;
}

static double time_one_run(ctx::fiber *ring, char *block, size_t size,
                           const bench_args *a, long switches)
{
    double start;
    long steps;

    start_all(ring, block, size, a->tasks, a->yields);
    start = cpu_ns();
    steps = run_all(ring, a->tasks);
    if (steps != switches) {
        fprintf(stderr, "fiber: %ld steps, expected %ld\n", steps, switches);
        exit(1);
    }
    return (cpu_ns() - start) / (double)steps;
}

int main(int argc, char **argv)
{
    bench_args a;
    size_t used = probe_stack_use(), size = stack_size_for(used);
    long requested, before;
    ctx::fiber *ring;
    char *block;

    bench_parse(&a, "fiber", argc, argv);
    requested = a.tasks;
    a.tasks = fitting_tasks(a.tasks, size + sizeof(ctx::fiber));
    before = rss_bytes();
    ring = new ctx::fiber[(size_t)a.tasks];
    block = (char *)bench_calloc("fiber", a.tasks, (long)size);
    if (a.mode == BENCH_TIME) {
        long switches = a.tasks * (a.yields + 1);
        double *ns = (double *)bench_calloc("fiber", a.reps, sizeof(double));

        if (a.warm_up)
            time_one_run(ring, block, size, &a, switches);
        for (int r = 0; r < a.reps; r++)
            ns[r] = time_one_run(ring, block, size, &a, switches);
        report_times("switch", &a, switches, ns, a.reps);
        free(ns);
    } else {
        start_all(ring, block, size, a.tasks, 0);
        run_all(ring, a.tasks); /* every stack is used once, as in a run */
        report_memory(a.tasks, (long)sizeof(ctx::fiber), before, rss_bytes());
    }
    printf("ucontext_stack requested=%ld tasks=%ld stack_used=%zu "
           "stack_size=%zu\n",
           requested, a.tasks, used, size);
    free(block);
    delete[] ring;
    return 0;
}
