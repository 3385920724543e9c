/* printer: the seed's printer('hello') and printer('goodbye') taking turns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

/* The seed's printer(message), which prints forever; this one n times. */
typedef struct printer {
    task task;
    const char *message;
    long n;
    long i;
} printer;

static task_status printer_main(task *t)
{
    printer *p = (printer *)t;

    TASK_BEGIN(t);
    p->i = 0;
    while (p->i < p->n) {
        printf("%s\n", p->message);
        p->i++;
        TASK_YIELD(t);
    }
    TASK_END(t);
}

static void printer_init(printer *p, const char *message, long n)
{
    task_init(&p->task, printer_main);
    p->message = message;
    p->n = n;
}

static void usage(void)
{
    fprintf(stderr, "usage: printer [-n LINES]\n"
                    "  -n LINES  how many lines each printer prints, "
                    "0 to 1000000 (default 3)\n");
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
                "printer: %s wants a number from %ld to %ld, not '%s'\n",
                opt, lo, hi, s);
        usage();
    }
    return v;
}

int main(int argc, char **argv)
{
    long lines = 3;
    printer hello, goodbye;
    sched manager;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            lines = parse_count("-n", argv[++i], 0, 1000000);
        else
            usage();
    }
    sched_init(&manager);
    printer_init(&hello, "hello", lines);
    printer_init(&goodbye, "goodbye", lines);
    sched_add(&manager, &hello.task);
    sched_add(&manager, &goodbye.task);
    sched_run(&manager);
    return 0;
}
