/*
 * measure.h: what every C benchmark here shares: a clock, the resident set
 * size, the command line (-n tasks, -k yields, -r repetitions) and the one
 * line of key=value results that bench/run.py reads.
 */
#ifndef MEASURE_H
#define MEASURE_H

/* What a benchmark is asked to do. */
enum bench_mode { BENCH_TIME, BENCH_MEM };

struct bench_args {
    enum bench_mode mode; /* time switches, or measure memory per task */
    long tasks;           /* -n: how many tasks */
    long yields;          /* -k: how many times each task yields */
    int reps;             /* -r: how many timed repetitions */
    int warm_up;          /* run once untimed first: yes below 1 M tasks,
                             where the set-up has not touched it all */
};

/* Nanoseconds on a monotonic clock. */
double now_ns(void);

/* Nanoseconds of CPU time this process has used, user and system: the
 * clock of every timed run, so that the moments a busy machine gives the
 * core to another process do not count. */
double cpu_ns(void);

/* The resident set size of this process, in bytes. */
long rss_bytes(void);

/* Parse "time|mem -n N -k K -r R", or print the usage and exit 2. */
void bench_parse(struct bench_args *a, const char *prog, int argc,
                 char **argv);

/* Allocate zeroed memory for n objects of size bytes, or exit 1. */
void *bench_calloc(const char *prog, long n, long size);

/*
 * Print one timing result line: "NAME tasks=.. yields=.. switches=..
 * reps=.. median_ns=.. min_ns=.. max_ns=.. samples_ns=a,b,c". @p ns holds
 * one figure (ns per switch) per repetition; it gets sorted.
 */
void report_times(const char *name, const struct bench_args *a,
                  long switches, double *ns, int n);

/* Print "mem tasks=.. sizeof_task=.. rss_before=.. rss_after=.. bytes_per_task=..". */
void report_memory(long tasks, long sizeof_task, long before, long after);

#endif
