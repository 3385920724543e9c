/* prodqueue: the seed's producer and consumer, with a queue and sleeps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "io.h"
#include "queue.h"

static long long start; /* io_now() when the run began */

/* "@1.5": the time since the run began, in seconds, rounded down to a
 * tenth (a real sleep ends a little late, never early). */
static const char *stamp(void)
{
    static char s[32];
    long long tenths = (io_now() - start) / 100000000;

    snprintf(s, sizeof s, "@%lld.%lld", tenths / 10, tenths % 10);
    return s;
}

/* The consumer: the seed's Consumer.run(). */
typedef struct consumer {
    task task;
    const char *name;
    queue *buffer;
    io_wait wait;
    long data;
} consumer;

static task_status consumer_main(task *t)
{
    consumer *c = (consumer *)t;

    TASK_BEGIN(t);
    while (c->buffer->count > 0) { /* while not self.buffer.empty() */
        TASK_YIELD_VALUE(t, queue_get(&c->wait, c->buffer, -1));
        c->data = t->sent.as.i;
        printf("%s %s has got %ld from the buffer.\n", stamp(), c->name,
               c->data);
        TASK_YIELD_VALUE(t, io_sleep(&c->wait, 1.5));
        printf("%s %s is doing something with %ld\n", stamp(), c->name,
               c->data);
    }
    TASK_END(t);
}

/* The producer: put n items in the buffer, sleeping 1.2 s after each. */
typedef struct producer {
    task task;
    const char *name;
    queue *buffer;
    io_wait wait;
    long n;
    long i;
} producer;

static task_status producer_main(task *t)
{
    producer *p = (producer *)t;

    TASK_BEGIN(t);
    for (p->i = 1; p->i <= p->n; p->i++) {
        TASK_YIELD_VALUE(t, queue_put(&p->wait, p->buffer, value_int(p->i),
                                      -1));
        printf("%s %s has put %ld in the buffer.\n", stamp(), p->name, p->i);
        TASK_YIELD_VALUE(t, io_sleep(&p->wait, 1.2));
    }
    TASK_END(t);
}

static const char usage[] =
    "usage: prodqueue [-n ITEMS] [--virtual-time]\n"
    "  -n ITEMS        how many items the producer puts, "
    "0 to 1000000 (default 5)\n"
    "  --virtual-time  do not wait: jump the clock to the "
    "next timer\n";

int main(int argc, char **argv)
{
    long nitems = 5;
    queue buffer;
    producer *prod;
    consumer *cons;
    int stalled;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            nitems = args_number(usage, "-n", argv[++i], 0, 1000000);
        else if (strcmp(argv[i], "--virtual-time") == 0)
            io_virtual_time();
        else
            args_usage(usage);
    }
    /* The producer runs first, so the buffer is not empty when the
     * consumer first looks. */
    if (queue_init(&buffer, 0) < 0 ||
        !(prod = io_spawn(producer_main, sizeof *prod)) ||
        !(cons = io_spawn(consumer_main, sizeof *cons))) {
        fprintf(stderr, "prodqueue: no memory\n");
        return 1;
    }
    io_name(&prod->task, "Producer");
    io_name(&cons->task, "Consumer");
    prod->name = "Producer";
    prod->buffer = &buffer;
    prod->n = nitems;
    cons->name = "Consumer";
    cons->buffer = &buffer;
    start = io_now();
    stalled = io_run();
    queue_free(&buffer);
    return stalled ? 1 : 0;
}
