/* task.c: send, throw and close a task, and a round-robin pool. */
#include <stddef.h>
#include <stdio.h>

#include "task.h"
#include "trace.h"

const task_error task_exit = {TASK_ERROR_EXIT, "task exit"};
const task_error task_error_running = {TASK_ERROR_RUNNING,
                                       "task already running"};
const task_error task_error_not_started = {
    TASK_ERROR_NOT_STARTED, "can't send a value other than none to a task "
                            "that has not started"};
const task_error task_error_ignored_exit = {TASK_ERROR_IGNORED_EXIT,
                                            "task ignored exit"};

void task_init(task *t, task_fn *body)
{
    t->body = body;
    t->next = NULL;
    t->resume = 0;
    t->running = 0;
    t->cleaned_up = 0;
    t->yielded = value_none();
    t->sent = value_none();
    t->error = NULL;
    t->raised = NULL;
}

/* Run the body; on any way out, make sure its TASK_FINALLY section ran. */
static task_status run(task *t)
{
    task_status s;

    t->running = 1;
    s = TRACE_BODY(t);
    if (s != TASK_YIELDED && !t->cleaned_up) {
        t->resume = TASK_CLEANUP;
        s = TRACE_BODY(t);
    }
    t->running = 0;
    if (s != TASK_YIELDED)
        t->resume = TASK_FINISHED;
    return s;
}

void task_cleanup_starts(task *t)
{
    t->cleaned_up = 1;
    if (t->error) {
        t->raised = t->error;
        t->error = NULL;
    }
}

task_status task_ends(task *t)
{
    task_cleanup_starts(t);
    return t->raised ? TASK_FAILED : TASK_DONE;
}

task_status task_resume(task *t)
{
    return task_send(t, value_none());
}

task_status task_send(task *t, value v)
{
    if (t->running)
        return TASK_RUNNING;
    if (t->resume == TASK_FINISHED)
        return TASK_DONE;
    if (t->resume == 0 && v.kind != VALUE_NONE)
        return TASK_NOT_STARTED;
    t->sent = v;
    t->error = NULL;
    return run(t);
}

task_status task_throw(task *t, const task_error *e)
{
    if (t->running)
        return TASK_RUNNING;
    if (t->resume == 0 || t->resume == TASK_FINISHED) {
        t->resume = TASK_FINISHED;
        t->raised = e;
        return TASK_FAILED;
    }
    t->sent = value_none();
    t->error = e;
    return run(t);
}

task_status task_close(task *t)
{
    task_status s;

    if (t->running)
        return TASK_RUNNING;
    if (t->resume == 0 || t->resume == TASK_FINISHED) {
        t->resume = TASK_FINISHED;
        return TASK_DONE;
    }
    s = task_throw(t, &task_exit);
    if (s == TASK_YIELDED)
        return TASK_IGNORED_EXIT;
    if (s == TASK_FAILED && t->raised == &task_exit)
        return TASK_DONE;
    return s;
}

const task_error *task_error_of(const task *t, task_status s)
{
    switch (s) {
    case TASK_FAILED:
        return t->raised;
    case TASK_RUNNING:
        return &task_error_running;
    case TASK_NOT_STARTED:
        return &task_error_not_started;
    case TASK_IGNORED_EXIT:
        return &task_error_ignored_exit;
    case TASK_YIELDED:
    case TASK_DONE:
        break;
    }
    return NULL;
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

task *pool_take(pool *p)
{
    task *t = p->head;

    if (!t)
        return NULL;
    p->head = t->next;
    if (!p->head)
        p->tail = NULL;
    p->ntasks--;
    return t;
}

int pool_remove(pool *p, task *t)
{
    task **link = &p->head;
    task *prev = NULL;

    while (*link && *link != t) {
        prev = *link;
        link = &prev->next;
    }
    if (!*link)
        return 0;
    *link = t->next;
    if (p->tail == t)
        p->tail = prev;
    p->ntasks--;
    return 1;
}

task *pool_step(pool *p)
{
    task *t;
    task_status s;

    if (!p->head)
        return NULL;
    t = pool_take(p);
    s = task_resume(t);
    if (s == TASK_YIELDED)
        pool_add(p, t);
    else if (s != TASK_DONE)
        fprintf(stderr, "task failed: %s\n", task_error_of(t, s)->message);
    return t;
}

long pool_iteration(pool *p, long n)
{
    while (n-- > 0 && pool_step(p))
        ;
    return p->ntasks;
}

void pool_close(pool *p)
{
    task *t;
    task_status s;

    while (p->head) {
        t = pool_take(p);
        s = task_close(t);
        if (s != TASK_DONE)
            fprintf(stderr, "task failed on close: %s\n",
                    task_error_of(t, s)->message);
    }
}

long pool_run(pool *p)
{
    long steps = 0;

    while (pool_step(p))
        steps++;
    return steps;
}
