/* Exercise 3.6, close a scheduler inside a scheduler: tasks a and b in
 * one scheduler, which shares another with task c. Check it with
 * make exercise EX=3.6. */
#include <stdio.h>

#include "sched.h"

/* Steps for ever; its cleanup says so when it is closed. */
typedef struct stepper {
    task task;
    const char *name;
    int step;
} stepper;

static task_status stepper_main(task *t)
{
    stepper *s = (stepper *)t;

    TASK_BEGIN(t);
    for (s->step = 1;; s->step++) {
        printf("%s step %d\n", s->name, s->step);
        TASK_YIELD(t);
    }
    TASK_FINALLY(t);
    printf("%s cleans up\n", s->name);
    TASK_END(t);
}

static void stepper_init(stepper *s, const char *name)
{
    task_init(&s->task, stepper_main);
    s->name = name;
}

int main(void)
{
    stepper a, b, c;
    pool pool;

    stepper_init(&a, "a");
    stepper_init(&b, "b");
    stepper_init(&c, "c");
    /* TODO (exercise 3.6): put a and b in a scheduler, and that scheduler
     * and then c in another one, the outer one. Resume the outer one 5
     * times, then close it. */
    pool_init(&pool);
    pool_add(&pool, &a.task);
    pool_add(&pool, &b.task);
    pool_add(&pool, &c.task);
    pool_iteration(&pool, 5);
    return 0;
}
