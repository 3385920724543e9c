/* task.c: resuming a task, and a round-robin pool of tasks. */
#include <stddef.h>

#include "task.h"
#include "trace.h"

void task_init(task *t, task_fn *body)
{
    t->body = body;
    t->next = NULL;
    t->resume = 0;
    t->yielded = value_none();
}

task_status task_resume(task *t)
{
    if (t->resume == TASK_FINISHED)
        return TASK_DONE;
    if (TRACE_BODY(t) == TASK_YIELDED)
        return TASK_YIELDED;
    t->resume = TASK_FINISHED;
    return TASK_DONE;
}

int task_done(const task *t)
{
    return t->resume == TASK_FINISHED;
}

void pool_init(pool *p)
{
    p->head = NULL;
    p->tail = NULL;
    p->ntasks = 0;
}

void pool_add(pool *p, task *t)
{
    t->next = NULL;
    if (p->tail)
        p->tail->next = t;
    else
        p->head = t;
    p->tail = t;
    p->ntasks++;
}

static task *pool_take(pool *p)
{
    task *t = p->head;

    p->head = t->next;
    if (!p->head)
        p->tail = NULL;
    p->ntasks--;
    return t;
}

task *pool_step(pool *p)
{
    task *t;

    if (!p->head)
        return NULL;
    t = pool_take(p);
    if (task_resume(t) == TASK_YIELDED)
        pool_add(p, t);
    return t;
}

long pool_iteration(pool *p, long n)
{
    while (n-- > 0 && pool_step(p))
        ;
    return p->ntasks;
}

long pool_run(pool *p)
{
    long steps = 0;

    while (pool_step(p))
        steps++;
    return steps;
}
