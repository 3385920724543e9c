/* Exercise 3.1, a running average: the classic coroutine averager, fed by
 * task_send. Check it with make exercise EX=3.1. */
#include <stdio.h>

#include "task.h"

typedef struct averager {
    task task;
    long total;
    long count;
} averager;

static task_status averager_main(task *t)
{
    TASK_BEGIN(t);
    /* TODO (exercise 3.1): yield the average of the numbers sent so far
     * (none before the first), each time a number is sent. */
    for (;;) {
        TASK_YIELD(t);
    }
    TASK_END(t);
}

/* What a call returned, and the value it yielded or the error. */
static void print_status(const char *what, task *t, task_status s)
{
    printf("%s: ", what);
    if (s == TASK_YIELDED && t->yielded.kind == VALUE_INT)
        printf("average %ld\n", t->yielded.as.i);
    else if (s == TASK_YIELDED)
        printf("yielded none\n");
    else if (s == TASK_DONE)
        printf("done\n");
    else
        printf("%s: %s\n", s == TASK_FAILED ? "failed" : "refused",
               task_error_of(t, s)->message);
}

int main(void)
{
    static const long numbers[] = {10, 20, 60, 10};
    averager avg = {0};
    char what[32];

    task_init(&avg.task, averager_main);
    print_status("send 10 to a new averager", &avg.task,
                 task_send(&avg.task, value_int(10)));
    print_status("start", &avg.task, task_resume(&avg.task));
    for (int k = 0; k < 4; k++) {
        snprintf(what, sizeof what, "send %ld", numbers[k]);
        print_status(what, &avg.task,
                     task_send(&avg.task, value_int(numbers[k])));
    }
    print_status("close", &avg.task, task_close(&avg.task));
    return 0;
}
