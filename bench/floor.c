/*
 * floor: the cheapest thing a task switch could be, an indirect call to a
 * function that does nothing.
 *
 *   floor time -n N -k K -r R   an array of N function pointers, called in
 *                               turn K+1 times over; ns per call, R times
 *
 * The same N and K as switch.c make the same number of calls over an array
 * of the same length. The callee is out of line and the table is filled at
 * run time through a volatile pointer, so the compiler can neither inline
 * the call nor drop it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "measure.h"

typedef void call_fn(void);

/* The function every slot points to: does no work. */
__attribute__((noinline)) static void do_nothing(void)
{
    __asm__ volatile("");
}

/* Out of the optimiser's sight: what the table is filled with. */
static call_fn *volatile opaque_target = do_nothing;

/* One timed run: every slot called K+1 times; ns per call. */
static double time_one_run(call_fn **table, const struct bench_args *a)
{
    double start = cpu_ns();

    for (long k = 0; k <= a->yields; k++)
        for (long i = 0; i < a->tasks; i++)
            table[i]();
    return (cpu_ns() - start) / ((double)a->tasks * (double)(a->yields + 1));
}

int main(int argc, char **argv)
{
    struct bench_args a;
    call_fn **table;
    double *ns;

    bench_parse(&a, "floor", argc, argv);
    if (a.mode != BENCH_TIME) {
        fprintf(stderr, "floor: only 'time' makes sense here\n");
        return 2;
    }
    table = bench_calloc("floor", a.tasks, sizeof *table);
    ns = bench_calloc("floor", a.reps, sizeof *ns);
    for (long i = 0; i < a.tasks; i++)
        table[i] = opaque_target;
    if (a.warm_up)
        time_one_run(table, &a);
    for (int r = 0; r < a.reps; r++)
        ns[r] = time_one_run(table, &a);
    report_times("floor", &a, a.tasks * (a.yields + 1), ns, a.reps);
    free(ns);
    free(table);
    return 0;
}
