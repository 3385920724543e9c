/* Exercise 2.4, tasks that add tasks: a parent that adds children to the
 * scheduler that runs it. Check it with make exercise EX=2.4. */
#include <stdio.h>

#include "sched.h"

/* A child prints a line at each of its two steps. */
typedef struct child {
    task task;
    int num;
    int step;
} child;

static task_status child_main(task *t)
{
    child *c = (child *)t;

    TASK_BEGIN(t);
    for (c->step = 1; c->step <= 2; c->step++) {
        printf("child %d step %d\n", c->num, c->step);
        TASK_YIELD(t);
    }
    TASK_END(t);
}

/* The parent takes six steps; its children are ready to be added. */
typedef struct parent {
    task task;
    sched *sched; /* the scheduler that runs the parent */
    child children[3];
    int step;
} parent;

static task_status parent_main(task *t)
{
    parent *p = (parent *)t;

    TASK_BEGIN(t);
    for (p->step = 1; p->step <= 6; p->step++) {
        printf("parent step %d\n", p->step);
        /* TODO (exercise 2.4): at steps 1, 3 and 5, add the next child
         * (child 1, child 2, child 3) to the scheduler that runs the
         * parent. */
        TASK_YIELD(t);
    }
    TASK_END(t);
}

int main(void)
{
    sched scheduler;
    parent p;

    sched_init(&scheduler);
    task_init(&p.task, parent_main);
    p.sched = &scheduler;
    for (int k = 0; k < 3; k++) {
        task_init(&p.children[k].task, child_main);
        p.children[k].num = k + 1;
    }
    sched_add(&scheduler, &p.task);
    sched_run(&scheduler);
    return 0;
}
