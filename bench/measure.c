/* measure.c: clock, RSS, arguments and result lines for the benchmarks. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "measure.h"

double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

double cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

long rss_bytes(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s time [-n TASKS] [-k YIELDS] [-r REPS]\n"
            "       %s mem [-n TASKS]\n"
            "  -n TASKS   tasks, 1 to 100000000 (default 1000)\n"
            "  -k YIELDS  yields per task, 0 to 1000000000 (default 1000)\n"
            "  -r REPS    timed repetitions, 1 to 100 (default 5)\n",
            prog, prog);
    exit(2);
}

/* A whole decimal number in [lo, hi], or the usage. */
static long parse_long(const char *prog, const char *opt, const char *s,
                       long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "%s: %s wants a number from %ld to %ld, not '%s'\n",
                prog, opt, lo, hi, s);
        usage(prog);
    }
    return v;
}

void bench_parse(struct bench_args *a, const char *prog, int argc,
                 char **argv)
{
    a->tasks = 1000;
    a->yields = 1000;
    a->reps = 5;
    if (argc < 2)
        usage(prog);
    if (strcmp(argv[1], "time") == 0)
        a->mode = BENCH_TIME;
    else if (strcmp(argv[1], "mem") == 0)
        a->mode = BENCH_MEM;
    else
        usage(prog);
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            usage(prog);
        if (strcmp(argv[i], "-n") == 0)
            a->tasks = parse_long(prog, "-n", argv[++i], 1, 100000000);
        else if (strcmp(argv[i], "-k") == 0)
            a->yields = parse_long(prog, "-k", argv[++i], 0, 1000000000);
        else if (strcmp(argv[i], "-r") == 0)
            a->reps = (int)parse_long(prog, "-r", argv[++i], 1, 100);
        else
            usage(prog);
    }
    a->warm_up = a->tasks < 1000000;
}

void *bench_calloc(const char *prog, long n, long size)
{
    void *p = calloc((size_t)n, (size_t)size);

    if (!p) {
        fprintf(stderr, "%s: no memory for %ld objects of %ld bytes\n", prog,
                n, size);
        exit(1);
    }
    return p;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(const double *sorted, int n)
{
    if (n % 2)
        return sorted[n / 2];
    return (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

void report_times(const char *name, const struct bench_args *a,
                  long switches, double *ns, int n)
{
    printf("%s tasks=%ld yields=%ld switches=%ld reps=%d samples_ns=", name,
           a->tasks, a->yields, switches, n);
    for (int i = 0; i < n; i++)
        printf("%s%.4f", i ? "," : "", ns[i]);
    qsort(ns, (size_t)n, sizeof *ns, compare_doubles);
    printf(" median_ns=%.4f min_ns=%.4f max_ns=%.4f\n", median(ns, n), ns[0],
           ns[n - 1]);
}

void report_memory(long tasks, long sizeof_task, long before, long after)
{
    printf("mem tasks=%ld sizeof_task=%ld rss_before=%ld rss_after=%ld "
           "bytes_per_task=%.2f\n",
           tasks, sizeof_task, before, after,
           (double)(after - before) / (double)tasks);
}
