/* Exercise 1.1, count the switches: pool's two tasks, run to their end.
 * Check your answer with make exercise EX=1.1. */
#include <stdio.h>

#include "task.h"

typedef struct example_task {
    task task;
    const char *name;
    int max_iterations;
    int i;
} example_task;

static task_status example_main(task *t)
{
    example_task *e = (example_task *)t;

    TASK_BEGIN(t);
    e->i = 0;
    while (e->i < e->max_iterations) {
        printf("%s %d\n", e->name, e->i);
        e->i++;
        TASK_YIELD(t);
    }
    printf("%s finishing\n", e->name);
    TASK_END(t);
}

static void example_task_init(example_task *e, const char *name,
                              int max_iterations)
{
    task_init(&e->task, example_main);
    e->name = name;
    e->max_iterations = max_iterations;
}

int main(void)
{
    example_task task_a, task_b;
    pool pool;

    pool_init(&pool);
    example_task_init(&task_a, "AAA", 5);
    example_task_init(&task_b, "bbb", 10);
    pool_add(&pool, &task_a.task);
    pool_add(&pool, &task_b.task);
    /* TODO (exercise 1.1): replace these 100 calls with one pool_run, and
     * print, on a line of its own after the tasks' lines, what it returns. */
    for (int i = 0; i < 100; i++)
        pool_iteration(&pool, 1);
    return 0;
}
