/* Exercise 5.5, two children at once: a parent that gets the results of
 * two jobs that run at the same time. Check it with make exercise EX=5.5. */
#include <stdio.h>

#include "io.h"
#include "queue.h"

static long long start; /* io_now() when the run began */

/* "@1.5": the time since the run began, rounded down to a tenth. */
static const char *stamp(void)
{
    static char s[32];
    long long tenths = (io_now() - start) / 100000000;

    snprintf(s, sizeof s, "@%lld.%lld", tenths / 10, tenths % 10);
    return s;
}

/* A job, as a child task: it sleeps, then returns ten times its seconds. */
typedef struct job {
    task task;
    io_wait wait;
    long seconds;
} job;

static task_status job_main(task *t)
{
    job *j = (job *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, io_sleep(&j->wait, (double)j->seconds));
    TASK_RETURN(t, value_int(10 * j->seconds));
    TASK_END(t);
}

/* A job as a value to yield; value_task(NULL) if there is no memory. */
static value new_job(long seconds)
{
    job *j = io_child(job_main, sizeof *j);

    if (j)
        j->seconds = seconds;
    return value_task(j ? &j->task : NULL);
}

/* The parent: the results of a 2-second job and a 3-second job. */
typedef struct parent {
    task task;
    io_wait wait;
    queue *results; /* empty, ready for the results */
    long result[2];
} parent;

static task_status parent_main(task *t)
{
    parent *p = (parent *)t;

    TASK_BEGIN(t);
    /* TODO (exercise 5.5): run both jobs at the same time, so that both
     * results are in after 3 s, not 5 s: spawn a task for each job that
     * yields it and puts its result in the queue, and get both results
     * from the queue. */
    TASK_YIELD_VALUE(t, new_job(2));
    p->result[0] = t->sent.as.i;
    TASK_YIELD_VALUE(t, new_job(3));
    p->result[1] = t->sent.as.i;
    printf("%s results: %ld %ld\n", stamp(), p->result[0], p->result[1]);
    TASK_END(t);
}

int main(void)
{
    queue results;
    parent *p;
    int stalled;

    io_virtual_time();
    if (queue_init(&results, 0) < 0 ||
        !(p = io_spawn(parent_main, sizeof *p))) {
        fprintf(stderr, "gather: no memory\n");
        return 1;
    }
    p->results = &results;
    start = io_now();
    stalled = io_run();
    queue_free(&results);
    return stalled ? 1 : 0;
}
