/* Exercise 2.3, another solution: the switcher's three tasks, in virtual time,
 * and a fourth that yields strings. Check it with make exercise EX=2.3. */
#include <stdio.h>

#include "task.h"

/* The seed's task1, task2 and task3: each step works, then yields i. */
typedef struct worker {
    task task;
    const char *name;
    int seconds; /* how long each step works */
    int steps;
    const char *const *words; /* if not NULL, yield these, not numbers */
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
        TASK_YIELD_VALUE(t, w->words ? value_str(w->words[w->i])
                                     : value_int(w->i));
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
    switch (t->yielded.kind) {
    case VALUE_STR:
        printf("%s %s @%ld\n", name, t->yielded.as.s, now);
        break;
    default:
        printf("%s %ld @%ld\n", name, t->yielded.as.i, now);
    }
}

int main(void)
{
    static const char *const words[] = {"one", "two", "three"};
    worker tasks[4] = {0};
    pool taskqueue;
    task *front;

    worker_init(&tasks[0], "task1", 1, 6);
    worker_init(&tasks[1], "task2", 2, 3);
    worker_init(&tasks[2], "task3", 3, 2);
    worker_init(&tasks[3], "task4", 1, 3);
    tasks[3].words = words;
    pool_init(&taskqueue);
    for (int k = 0; k < 4; k++)
        pool_add(&taskqueue, &tasks[k].task);
    while ((front = pool_step(&taskqueue)) != NULL)
        if (!task_done(front))
            print_yield(((worker *)front)->name, front);
    printf("all tasks finished, total time: %ld\n", now);
    return 0;
}
