/* prodcons: the classic producer/consumer with generators only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "task.h"

/* The consumer: a coroutine that gets each item as the result of a yield. */
typedef struct consumer {
    task task;
    const char *name;
} consumer;

static task_status consumer_main(task *t)
{
    consumer *c = (consumer *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD(t);
        printf("%s has got %ld from the buffer.\n", c->name, t->sent.as.i);
    }
    TASK_FINALLY(t);
    printf("%s is closing.\n", c->name);
    TASK_END(t);
}

/* The producer: start the consumer, send it n items, then close it. */
static void produce(const char *name, task *consumer, long n)
{
    task_resume(consumer);
    for (long i = 1; i <= n; i++) {
        printf("%s has put %ld in the buffer.\n", name, i);
        task_send(consumer, value_int(i));
    }
    task_close(consumer);
}

static const char usage[] =
    "usage: prodcons [-n ITEMS]\n"
    "  -n ITEMS  how many items the producer sends, "
    "0 to 1000000 (default 5)\n";

int main(int argc, char **argv)
{
    long nitems = 5;
    consumer cons;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            nitems = args_number(usage, "-n", argv[++i], 0, 1000000);
        else
            args_usage(usage);
    }
    task_init(&cons.task, consumer_main);
    task_name(&cons.task, "Consumer");
    cons.name = "Consumer";
    produce("Producer", &cons.task, nitems);
    return 0;
}
