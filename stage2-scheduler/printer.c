/* printer: the seed's printer('hello') and printer('goodbye') taking turns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
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
    task_name(&p->task, message);
    p->message = message;
    p->n = n;
}

static const char usage[] =
    "usage: printer [-n LINES]\n"
    "  -n LINES  how many lines each printer prints, "
    "0 to 1000000 (default 3)\n";

int main(int argc, char **argv)
{
    long lines = 3;
    printer hello, goodbye;
    sched manager;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            lines = args_number(usage, "-n", argv[++i], 0, 1000000);
        else
            args_usage(usage);
    }
    sched_init(&manager);
    printer_init(&hello, "hello", lines);
    printer_init(&goodbye, "goodbye", lines);
    sched_add(&manager, &hello.task);
    sched_add(&manager, &goodbye.task);
    sched_run(&manager);
    return 0;
}
