/* Exercise 3.3, retry on error: a task that yields the same value again
 * when oops is thrown in, and gives up the third time. Check it with
 * make exercise EX=3.3. */
#include <stdio.h>

#include "task.h"

static const task_error oops = {TASK_ERROR_USER, "oops"};

/* Yields 1, 2, 3, ... */
typedef struct retrier {
    task task;
    long i;
    int throws; /* how many times oops was thrown in */
} retrier;

static task_status retrier_main(task *t)
{
    retrier *r = (retrier *)t;

    TASK_BEGIN(t);
    for (r->i = 1;; r->i++) {
        /* TODO (exercise 3.3): when oops is thrown in at this yield, yield
         * r->i again instead of going on; the third time, let it end the
         * task. */
        TASK_YIELD_VALUE(t, value_int(r->i));
    }
    TASK_END(t);
}

/* What a call returned: the value yielded, done, or the error. */
static void print_status(const char *what, task *t, task_status s)
{
    printf("%s: ", what);
    if (s == TASK_YIELDED)
        printf("yielded %ld\n", t->yielded.as.i);
    else if (s == TASK_DONE)
        printf("done\n");
    else
        printf("failed: %s\n", task_error_of(t, s)->message);
}

int main(void)
{
    retrier r = {0};

    task_init(&r.task, retrier_main);
    print_status("resume", &r.task, task_resume(&r.task));
    print_status("throw oops", &r.task, task_throw(&r.task, &oops));
    print_status("resume", &r.task, task_resume(&r.task));
    print_status("throw oops", &r.task, task_throw(&r.task, &oops));
    print_status("throw oops", &r.task, task_throw(&r.task, &oops));
    print_status("resume", &r.task, task_resume(&r.task));
    return 0;
}
