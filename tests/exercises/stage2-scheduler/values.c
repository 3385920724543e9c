/* Exercise 2.3, a solution: the switcher's three tasks, in virtual time,
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
    if (t->yielded.kind == VALUE_STR)
        printf("%s %s @%ld\n", name, t->yielded.as.s, now);
    else
        printf("%s %ld @%ld\n", name, t->yielded.as.i, now);
}

/* task4: each step works 1 s, then yields a word. */
typedef struct speaker {
    task task;
    const char *name;
    int i;
} speaker;

static task_status speaker_main(task *t)
{
    static const char *const words[] = {"one", "two", "three"};
    speaker *s = (speaker *)t;

    TASK_BEGIN(t);
    for (s->i = 0; s->i < 3; s->i++) {
        now += 1;
        TASK_YIELD_VALUE(t, value_str(words[s->i]));
    }
    TASK_END(t);
}

int main(void)
{
    worker tasks[3];
    speaker task4;
    pool taskqueue;
    task *front;

    worker_init(&tasks[0], "task1", 1, 6);
    worker_init(&tasks[1], "task2", 2, 3);
    worker_init(&tasks[2], "task3", 3, 2);
    pool_init(&taskqueue);
    for (int k = 0; k < 3; k++)
        pool_add(&taskqueue, &tasks[k].task);
    task_init(&task4.task, speaker_main);
    task4.name = "task4";
    pool_add(&taskqueue, &task4.task);
    while ((front = pool_step(&taskqueue)) != NULL)
        if (!task_done(front))
            print_yield(front == &task4.task ? task4.name
                                             : ((worker *)front)->name,
                        front);
    printf("all tasks finished, total time: %ld\n", now);
    return 0;
}
