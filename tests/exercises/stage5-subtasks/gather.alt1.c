/* Exercise 5.5, another solution: a parent that gets the results of
 * two jobs that run at the same time. Check it with make exercise EX=5.5. */
#include <errno.h>
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

/* Runs one job, writes its result where it is told, and says so. */
typedef struct runner {
    task task;
    io_wait wait;
    queue *done;
    long *slot;
    long seconds;
} runner;

static task_status runner_main(task *t)
{
    runner *r = (runner *)t;

    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, new_job(r->seconds));
    *r->slot = t->sent.as.i;
    TASK_YIELD_VALUE(t, queue_put(&r->wait, r->done, value_none(), -1));
    TASK_END(t);
}

static int spawn_runner(queue *done, long *slot, long seconds)
{
    runner *r = io_spawn(runner_main, sizeof *r);

    if (r) {
        r->done = done;
        r->slot = slot;
        r->seconds = seconds;
    }
    return r != NULL;
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
    if (!spawn_runner(p->results, &p->result[0], 2) ||
        !spawn_runner(p->results, &p->result[1], 3))
        TASK_FAIL(t, io_os_error(ENOMEM));
    TASK_YIELD_VALUE(t, queue_get(&p->wait, p->results, -1));
    TASK_YIELD_VALUE(t, queue_get(&p->wait, p->results, -1));
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
