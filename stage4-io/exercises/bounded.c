/* Exercise 4.2, a bounded buffer: prodqueue's producer and consumer.
 * Check it with make exercise EX=4.2. */
#include <stdio.h>
#include <string.h>

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


int main(int argc, char **argv)
{
    queue buffer;
    producer *prod;
    consumer *cons;
    int stalled;

    if (argc == 2 && strcmp(argv[1], "--virtual-time") == 0) {
        io_virtual_time();
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [--virtual-time]\n", argv[0]);
        return 2;
    }
    /* The producer runs first, so the buffer is not empty when the
     * consumer first looks. */
    /* TODO (exercise 4.2): give the buffer a maxsize of 1, and let the
     * producer put its items without sleeping. */
    if (queue_init(&buffer, 0) < 0 ||
        !(prod = io_spawn(producer_main, sizeof *prod)) ||
        !(cons = io_spawn(consumer_main, sizeof *cons))) {
        fprintf(stderr, "%s: no memory\n", argv[0]);
        return 1;
    }
    prod->name = "Producer";
    prod->buffer = &buffer;
    prod->n = 5;
    cons->name = "Consumer";
    cons->buffer = &buffer;
    start = io_now();
    stalled = io_run();
    queue_free(&buffer);
    return stalled ? 1 : 0;
}
