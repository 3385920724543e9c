/* switcher: the seed's event loop, three tasks that yield values to it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "task.h"
#include "trace.h"

/* The seed's task1, task2 and task3: each step works, then yields i. */
typedef struct worker {
    task task;
    const char *name;
    int seconds; /* how long each step works */
    int steps;
    int i;
} worker;

static int virtual_time;   /* 1: work advances virtual_now, nobody waits */
static double virtual_now; /* the simulated clock, in seconds */
static double start;       /* when the listing began */

static double now(void)
{
    struct timespec ts;

    if (virtual_time)
        return virtual_now;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The seed's time.sleep(): work that blocks, so it stalls every task. */
static void work(int seconds)
{
    struct timespec left = {seconds, 0};

    if (virtual_time) {
        virtual_now += seconds;
        return;
    }
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        ;
}

/* The seed's itime(): whole seconds since the listing began. */
static long itime(void)
{
    return (long)(now() - start + 0.5);
}

static task_status worker_main(task *t)
{
    worker *w = (worker *)t;

    TASK_BEGIN(t);
    w->i = 0;
    while (w->i < w->steps) {
        work(w->seconds);
        TASK_YIELD_VALUE(t, value_int(w->i));
        w->i++;
    }
    TASK_END(t);
}

static void worker_init(worker *w, const char *name, int seconds, int steps)
{
    task_init(&w->task, worker_main);
    task_name(&w->task, name);
    w->name = name;
    w->seconds = seconds;
    w->steps = steps;
}

static void print_yield(const worker *w)
{
    printf("%s %ld @%ld\n", w->name, w->task.yielded.as.i, itime());
}

/* SERIAL: run each task by itself, to its end. */
static void run_serial(worker *tasks, int ntasks)
{
    for (int k = 0; k < ntasks; k++)
        while (task_resume(&tasks[k].task) == TASK_YIELDED)
            print_yield(&tasks[k]);
}

/* ASYNCHRONOUS: the seed's switcher(). pool_step takes the front task,
   resumes it and, if it yielded, puts it back at the end of the queue. */
static void switcher(worker *tasks, int ntasks)
{
    pool taskqueue;
    task *front;

    pool_init(&taskqueue);
    for (int k = 0; k < ntasks; k++)
        pool_add(&taskqueue, &tasks[k].task);
    while ((front = pool_step(&taskqueue)) != NULL)
        if (!task_done(front))
            print_yield((worker *)front);
}

/* One listing: new tasks, a new start time, the run, the total. */
static void listing(void (*run)(worker *tasks, int ntasks))
{
    worker tasks[3];

    worker_init(&tasks[0], "task1", 1, 6);
    worker_init(&tasks[1], "task2", 2, 3);
    worker_init(&tasks[2], "task3", 3, 2);
    start = now();
    run(tasks, 3);
    printf("all tasks finished, total time: %.2f\n", now() - start);
}

static const char usage[] =
    "usage: switcher [--virtual-time] [serial]\n"
    "  --virtual-time  work advances a simulated clock "
    "instead of waiting\n"
    "  serial          first run the tasks one after "
    "another\n";

int main(int argc, char **argv)
{
    int serial = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--virtual-time") == 0 && !virtual_time)
            virtual_time = 1;
        else if (strcmp(argv[i], "serial") == 0 && !serial)
            serial = 1;
        else
            args_usage(usage);
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line when it happens */
    if (virtual_time)
        trace_clock(now);
    if (serial) {
        listing(run_serial);
        printf("\n");
    }
    listing(switcher);
    return 0;
}
