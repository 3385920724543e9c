/* Exercise 1.2, a solution: ccc lives in a static variable. */
#include <stdio.h>

#include "task.h"

typedef struct example_task {
    task task;
    pool *pool;
    const char *name;
    int max_iterations;
    int i;
} example_task;

static void example_task_init(example_task *e, pool *p, const char *name,
                              int max_iterations);

static task_status example_main(task *t)
{
    static example_task task_c;
    example_task *e = (example_task *)t;

    TASK_BEGIN(t);
    e->i = 0;
    while (e->i < e->max_iterations) {
        printf("%s %d\n", e->name, e->i);
        if (e->i == 2 && e->name[0] == 'A') {
            example_task_init(&task_c, e->pool, "ccc", 3);
            pool_add(e->pool, &task_c.task);
        }
        e->i++;
        TASK_YIELD(t);
    }
    printf("%s finishing\n", e->name);
    TASK_END(t);
}

static void example_task_init(example_task *e, pool *p, const char *name,
                              int max_iterations)
{
    task_init(&e->task, example_main);
    e->pool = p;
    e->name = name;
    e->max_iterations = max_iterations;
}

int main(void)
{
    example_task task_a, task_b;
    pool pool;

    pool_init(&pool);
    example_task_init(&task_a, &pool, "AAA", 5);
    example_task_init(&task_b, &pool, "bbb", 10);
    pool_add(&pool, &task_a.task);
    pool_add(&pool, &task_b.task);
    pool_run(&pool);
    return 0;
}
