/* A scheduler as a task: one step of one of its tasks per resume. Closing
 * it closes the tasks it still holds. */
#include <stddef.h>

#include "sched.h"

/* Yield what the task that ran yielded, or none if it just finished. */
static task_status sched_main(task *t)
{
    sched *s = (sched *)t;
    task *ran;

    TASK_BEGIN(t);
    while ((ran = pool_step(&s->pool)) != NULL) {
        TASK_YIELD_VALUE(t, task_done(ran) ? value_none() : ran->yielded);
    }
    TASK_FINALLY(t);
    pool_close(&s->pool);
    TASK_END(t);
}

void sched_init(sched *s)
{
    task_init(&s->task, sched_main);
    task_name(&s->task, "scheduler");
    pool_init(&s->pool);
}

void sched_add(sched *s, task *t)
{
    pool_add(&s->pool, t);
}

long sched_run(sched *s)
{
    long yields = 0;

    while (task_resume(&s->task) == TASK_YIELDED)
        yields++;
    return yields;
}
