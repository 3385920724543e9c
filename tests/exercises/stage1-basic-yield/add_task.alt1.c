/* Exercise 1.2, another solution: ccc is allocated, after the print, and
 * main frees it once the pool is empty. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task.h"

typedef struct example_task {
    task task;
    pool *pool;
    struct example_task *added;
    const char *name;
    int max_iterations;
    int i;
} example_task;

static task_status example_main(task *t);

static example_task *example_task_new(pool *p, const char *name, int n)
{
    example_task *e = calloc(1, sizeof *e);

    if (e) {
        task_init(&e->task, example_main);
        e->pool = p;
        e->name = name;
        e->max_iterations = n;
    }
    return e;
}

static task_status example_main(task *t)
{
    example_task *e = (example_task *)t;

    TASK_BEGIN(t);
    for (e->i = 0; e->i < e->max_iterations; e->i++) {
        printf("%s %d\n", e->name, e->i);
        if (strcmp(e->name, "AAA") == 0 && e->i == 2) {
            e->added = example_task_new(e->pool, "ccc", 3);
            if (e->added)
                pool_add(e->pool, &e->added->task);
        }
        TASK_YIELD(t);
    }
    printf("%s finishing\n", e->name);
    TASK_END(t);
}

int main(void)
{
    example_task *task_a, *task_b;
    pool pool;

    pool_init(&pool);
    task_a = example_task_new(&pool, "AAA", 5);
    task_b = example_task_new(&pool, "bbb", 10);
    if (!task_a || !task_b)
        return 1;
    pool_add(&pool, &task_a->task);
    pool_add(&pool, &task_b->task);
    pool_run(&pool);
    free(task_a->added);
    free(task_a);
    free(task_b);
    return 0;
}
