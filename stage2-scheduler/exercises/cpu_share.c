/* Exercise 2.2, who gets the CPU: a scheduler that runs a microscheduler
 * (mt1 mt2 mt3) and mt4. Check it with make exercise EX=2.2. */
#include <stdio.h>

#include "sched.h"

/* The seed's TestMicroThread(num): a MicroThread whose step prints num. */
typedef struct microthread {
    task task;
    int num;
    long left; /* steps still to take */
} microthread;

static task_status microthread_main(task *t)
{
    microthread *m = (microthread *)t;

    TASK_BEGIN(t);
    while (m->left > 0) {
        m->left--;
        printf("Number: %d\n", m->num);
        TASK_YIELD_VALUE(t, value_int(1));
    }
    TASK_END(t);
}

static void add_microthread(sched *s, microthread *m, int num, long steps)
{
    task_init(&m->task, microthread_main);
    m->num = num;
    m->left = steps;
    sched_add(s, &m->task);
}

int main(void)
{
    microthread mt[4];
    sched scheduler, micro;

    sched_init(&micro);
    for (int k = 0; k < 3; k++)
        add_microthread(&micro, &mt[k], k + 1, 2);
    sched_init(&scheduler);
    sched_add(&scheduler, &micro.task);
    /* TODO (exercise 2.2): move mt4 into the microscheduler, after mt1,
     * mt2 and mt3. */
    add_microthread(&scheduler, &mt[3], 4, 6);
    sched_run(&scheduler);
    return 0;
}
