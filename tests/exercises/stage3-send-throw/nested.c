/* Exercise 3.6, a solution: tasks a and b in
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
    sched inner, outer;

    stepper_init(&a, "a");
    stepper_init(&b, "b");
    stepper_init(&c, "c");
    sched_init(&inner);
    sched_add(&inner, &a.task);
    sched_add(&inner, &b.task);
    sched_init(&outer);
    sched_add(&outer, &inner.task);
    sched_add(&outer, &c.task);
    for (int k = 0; k < 5; k++)
        task_resume(&outer.task);
    task_close(&outer.task);
    return 0;
}
