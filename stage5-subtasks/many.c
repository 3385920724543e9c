/* many: N tasks that each yield K times, to show that tasks are cheap. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "task.h"

typedef struct counter {
    task task;
    uint32_t id;
    uint32_t left; /* yields still to do */
} counter;

static uint64_t checksum = 14695981039346656037u; /* FNV-1a offset basis */

/* Fold the id of the task that runs into the checksum of the run order. */
static void record(uint32_t id)
{
    checksum = (checksum ^ id) * 1099511628211u;
}

static task_status counter_main(task *t)
{
    counter *c = (counter *)t;

    TASK_BEGIN(t);
    record(c->id);
    while (c->left > 0) {
        c->left--;
        TASK_YIELD(t);
        record(c->id);
    }
    TASK_END(t);
}

static const char usage[] =
    "usage: many [-n TASKS] [-k YIELDS]\n"
    "  -n TASKS   how many tasks, 1 to 100000000 "
    "(default 10000)\n"
    "  -k YIELDS  how many times each task yields, "
    "0 to 1000000 (default 3)\n";

int main(int argc, char **argv)
{
    long ntasks = 10000, nyields = 3, steps;
    counter *tasks;
    pool pool;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            ntasks = args_number(usage, "-n", argv[++i], 1, 100000000);
        else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
            nyields = args_number(usage, "-k", argv[++i], 0, 1000000);
        else
            args_usage(usage);
    }
    tasks = calloc((size_t)ntasks, sizeof *tasks);
    if (!tasks) {
        fprintf(stderr, "many: no memory for %ld tasks\n", ntasks);
        return 1;
    }
    pool_init(&pool);
    for (long i = 0; i < ntasks; i++) {
        task_init(&tasks[i].task, counter_main);
        tasks[i].id = (uint32_t)i;
        tasks[i].left = (uint32_t)nyields;
        pool_add(&pool, &tasks[i].task);
    }
    steps = pool_run(&pool);
    printf("tasks: %ld\n", ntasks);
    printf("yields per task: %ld\n", nyields);
    printf("resumes: %ld\n", steps);
    printf("order checksum: %016llx\n", (unsigned long long)checksum);
    free(tasks);
    return 0;
}
