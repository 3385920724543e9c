/* Exercise 1.2, add a task from inside a task: pool's AAA and bbb, and a
 * third task, ccc, that AAA adds. Check it with make exercise EX=1.2. */
#include <stdio.h>

#include "task.h"

/* TODO (exercise 1.2): give example_task a pool * field, and make AAA
 * pool_add a third task, ccc with 3 iterations, in the step that prints
 * AAA 2. Where must that task live to outlive the call that adds it? */
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
    pool_run(&pool);
    return 0;
}
