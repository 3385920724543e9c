/* Exercise 2.5, the seed's MicroScheduler: a scheduler that yields none for
 * ever once its pool is empty, in a pool of its own. Check it with
 * make exercise EX=2.5. */
#include <stdio.h>

#include "sched.h"

/* A task that prints a line at each of its two steps. */
typedef struct stepper {
    task task;
    const char *name;
    int step;
} stepper;

static task_status stepper_main(task *t)
{
    stepper *s = (stepper *)t;

    TASK_BEGIN(t);
    for (s->step = 1; s->step <= 2; s->step++) {
        printf("%s step %d\n", s->name, s->step);
        TASK_YIELD(t);
    }
    TASK_END(t);
}

static void stepper_init(stepper *s, const char *name)
{
    task_init(&s->task, stepper_main);
    s->name = name;
}

/* TODO (exercise 2.5): write a body for the scheduler that steps its pool
 * as the one in sched.c does but, once the pool is empty, yields none for
 * ever, as the seed's MicroScheduler does; give it to the scheduler in
 * main. */

int main(void)
{
    stepper a, b;
    sched micro;
    pool pool;

    stepper_init(&a, "a");
    stepper_init(&b, "b");
    sched_init(&micro);
    sched_add(&micro, &a.task);
    sched_add(&micro, &b.task);
    pool_init(&pool);
    pool_add(&pool, &micro.task);
    printf("tasks left after 10 steps: %ld\n", pool_iteration(&pool, 10));
    printf("the scheduler is %s\n",
           task_done(&micro.task) ? "done" : "not done");
    return 0;
}
