/* pool: the seed's ExampleTask, two tasks sharing one TaskPool. */
#include <stdio.h>
#include <string.h>

#include "task.h"

/* The seed's ExampleTask: its fields are the generator's frame. */
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

/* The same body with the macros written out: a hand-made state machine. */
static task_status example_main_by_hand(task *t)
{
    example_task *e = (example_task *)t;

    switch (t->resume) {
    case 0:
        e->i = 0;
        while (e->i < e->max_iterations) {
            printf("%s %d\n", e->name, e->i);
            e->i++;
            t->resume = 1;
            return TASK_YIELDED;
    case 1:;
        }
        printf("%s finishing\n", e->name);
    }
    return TASK_DONE;
}

static void example_task_init(example_task *e, task_fn *body,
                              const char *name, int max_iterations)
{
    task_init(&e->task, body);
    task_name(&e->task, name);
    e->name = name;
    e->max_iterations = max_iterations;
}

int main(int argc, char **argv)
{
    task_fn *body = example_main;
    example_task task_a, task_b;
    pool pool;

    if (argc == 2 && strcmp(argv[1], "--by-hand") == 0) {
        body = example_main_by_hand;
    } else if (argc != 1) {
        fprintf(stderr, "usage: pool [--by-hand]\n");
        return 2;
    }
    pool_init(&pool);
    example_task_init(&task_a, body, "AAA", 5);
    example_task_init(&task_b, body, "bbb", 10);
    pool_add(&pool, &task_a.task);
    pool_add(&pool, &task_b.task);
    for (int i = 0; i < 100; i++)
        pool_iteration(&pool, 1);
    return 0;
}
