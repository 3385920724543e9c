/* microthreads: the seed's MicroThread, Scheduler and MicroScheduler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "sched.h"

/* The seed's TestMicroThread(num): a MicroThread whose step prints num. */
typedef struct microthread {
    task task;
    int num;
    long steps; /* how many steps it takes (the seed's never stop) */
    long left;
} microthread;

/* The seed's create(): the delayed initializer; the first resume runs it. */
static void create(microthread *m)
{
    m->left = m->steps;
}

/* The seed's step(). It returns 0 where the seed's would raise
   StopIteration: when it has no step left. */
static int step(microthread *m)
{
    if (m->left == 0)
        return 0;
    m->left--;
    printf("Number: %d\n", m->num);
    return 1;
}

/* The seed's MicroThread.main(): create, yield 1, then step and yield 1. */
static task_status microthread_main(task *t)
{
    microthread *m = (microthread *)t;

    TASK_BEGIN(t);
    create(m);
    TASK_YIELD_VALUE(t, value_int(1));
    while (step(m)) {
        TASK_YIELD_VALUE(t, value_int(1));
    }
    TASK_END(t);
}

/* What the trace calls them, by num. */
static const char *const names[] = {"mt1", "mt2", "mt3", "mt4"};

/* The seed's add_microthread(): start it, so that create() runs now. */
static void add_microthread(sched *s, microthread *m, int num, long steps)
{
    task_init(&m->task, microthread_main);
    task_name(&m->task, names[num - 1]);
    m->num = num;
    m->steps = steps;
    task_resume(&m->task);
    sched_add(s, &m->task);
}

static const char usage[] =
    "usage: microthreads [-r ROUNDS]\n"
    "  -r ROUNDS  how many rounds mt1 mt2 mt3 run, "
    "0 to 1000000 (default 2)\n";

int main(int argc, char **argv)
{
    long rounds = 2;
    microthread mt[4];
    sched scheduler, micro;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            rounds = args_number(usage, "-r", argv[++i], 0, 1000000);
        else
            args_usage(usage);
    }

    printf("a scheduler runs mt1 mt2 mt3:\n");
    sched_init(&scheduler);
    for (int k = 0; k < 3; k++)
        add_microthread(&scheduler, &mt[k], k + 1, rounds);
    sched_run(&scheduler);

    printf("a scheduler runs a microscheduler (mt1 mt2 mt3) and mt4:\n");
    sched_init(&micro);
    task_name(&micro.task, "microscheduler");
    for (int k = 0; k < 3; k++)
        add_microthread(&micro, &mt[k], k + 1, rounds);
    sched_init(&scheduler);
    sched_add(&scheduler, &micro.task); /* no create() to run: add it as is */
    add_microthread(&scheduler, &mt[3], 4, 3 * rounds);
    sched_run(&scheduler);
    return 0;
}
