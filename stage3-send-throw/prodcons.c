/* prodcons: the classic producer/consumer with generators only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void usage(void)
{
    fprintf(stderr, "usage: prodcons [-n ITEMS]\n"
                    "  -n ITEMS  how many items the producer sends, "
                    "0 to 1000000 (default 5)\n");
    exit(2);
}

/* Parse a whole decimal number in [lo, hi], or print the usage and exit. */
static long parse_count(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr,
                "prodcons: %s wants a number from %ld to %ld, not '%s'\n",
                opt, lo, hi, s);
        usage();
    }
    return v;
}

int main(int argc, char **argv)
{
    long nitems = 5;
    consumer cons;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            nitems = parse_count("-n", argv[++i], 0, 1000000);
        else
            usage();
    }
    task_init(&cons.task, consumer_main);
    cons.name = "Consumer";
    produce("Producer", &cons.task, nitems);
    return 0;
}
