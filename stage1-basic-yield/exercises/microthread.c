/* Exercise 1.3, MicroThread: Leonardo Giordani's MicroThread, whose body
 * calls create() once and step() until it says stop; three of them in a
 * pool. Check it with make exercise EX=1.3. */
#include <stdio.h>

#include "task.h"

/* A MicroThread: what create() and step() do is up to each one. */
typedef struct microthread microthread;
struct microthread {
    task task;
    void (*create)(microthread *m); /* runs once, at the first resume */
    int (*step)(microthread *m);    /* one step; returns 0 to stop */
    int num;
    int left;
};

static task_status microthread_main(task *t)
{
    TASK_BEGIN(t);
    /* TODO (exercise 1.3): call create, yield, then loop: call step and
     * yield, until step returns 0. */
    TASK_END(t);
}

/* The seed's TestMicroThread: three steps, each prints its number. */
static void number_create(microthread *m)
{
    m->left = 3;
}

static int number_step(microthread *m)
{
    if (m->left == 0)
        return 0;
    m->left--;
    printf("Number: %d\n", m->num);
    return 1;
}

int main(void)
{
    microthread mt[3];
    pool pool;

    pool_init(&pool);
    for (int k = 0; k < 3; k++) {
        task_init(&mt[k].task, microthread_main);
        mt[k].create = number_create;
        mt[k].step = number_step;
        mt[k].num = k + 1;
        pool_add(&pool, &mt[k].task);
    }
    pool_run(&pool);
    return 0;
}
