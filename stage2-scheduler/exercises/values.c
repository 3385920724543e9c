/* Exercise 2.3, other values: the switcher's three tasks, in virtual time,
 * and a fourth that yields strings. Check it with make exercise EX=2.3. */
#include <stdio.h>

#include "task.h"

/* The seed's task1, task2 and task3: each step works, then yields i. */
typedef struct worker {
    task task;
    const char *name;
    int seconds; /* how long each step works */
    int steps;
    int i;
} worker;

static long now; /* the simulated clock, in seconds */

static task_status worker_main(task *t)
{
    worker *w = (worker *)t;

    TASK_BEGIN(t);
    w->i = 0;
    while (w->i < w->steps) {
        now += w->seconds;
        TASK_YIELD_VALUE(t, value_int(w->i));
        w->i++;
    }
    TASK_END(t);
}

static void worker_init(worker *w, const char *name, int seconds, int steps)
{
    task_init(&w->task, worker_main);
    w->name = name;
    w->seconds = seconds;
    w->steps = steps;
}

static void print_yield(const char *name, const task *t)
{
    printf("%s %ld @%ld\n", name, t->yielded.as.i, now);
}

/* TODO (exercise 2.3): add a fourth task, task4, after task3: each of its
 * three steps works 1 s, then yields a string: "one", "two", "three".
 * Make print_yield print a string where it prints a number now
 * ("task4 one @7"). */
int main(void)
{
    worker tasks[3];
    pool taskqueue;
    task *front;

    worker_init(&tasks[0], "task1", 1, 6);
    worker_init(&tasks[1], "task2", 2, 3);
    worker_init(&tasks[2], "task3", 3, 2);
    pool_init(&taskqueue);
    for (int k = 0; k < 3; k++)
        pool_add(&taskqueue, &tasks[k].task);
    while ((front = pool_step(&taskqueue)) != NULL)
        if (!task_done(front))
            print_yield(((worker *)front)->name, front);
    printf("all tasks finished, total time: %ld\n", now);
    return 0;
}
