/* Exercise 5.1, fall off the end: family's parent and children, with a
 * good child that returns nothing. Check it with make exercise EX=5.1. */
#include <stdio.h>
#include <stdlib.h>

#include "io.h"

/* Python: raise RuntimeError('oops!') */
static const task_error oops = {TASK_ERROR_USER, "oops!"};

/* A child's frame: whether it is the bad one. */
typedef struct child {
    task task;
    int bad;
} child;

/* def child(bad=False): if bad: raise ...; yield 'Hi, Mom!' */
static task_status child_main(task *t)
{
    child *c = (child *)t;

    TASK_BEGIN(t);
    if (c->bad)
        TASK_FAIL(t, &oops);
    /* TODO (exercise 5.1): end the good child with TASK_END alone. */
    TASK_RETURN(t, value_str("Hi, Mom!"));
    TASK_END(t);
}

/* child(bad) as a value to yield; NULL if there is no memory. */
static value new_child(int bad)
{
    child *c = io_child(child_main, sizeof *c);

    if (c)
        c->bad = bad;
    return value_task(c ? &c->task : NULL);
}

/* def parent(): try: both children ... except Exception as e: ... */
static task_status parent_main(task *t)
{
    TASK_BEGIN(t);
    TASK_YIELD_CATCH(t, new_child(0));
    if (!t->error) {
        /* TODO (exercise 5.1): print "good child says nothing" if the
         * child returned nothing. */
        printf("good child says: %s\n", t->sent.as.s);
        TASK_YIELD_CATCH(t, new_child(1));
    }
    if (!t->error)
        printf("bad child says: %s\n", t->sent.as.s);
    if (t->error) {
        printf("caught exception: %s\n", t->error->message);
        t->error = NULL;
    }
    TASK_END(t);
}

int main(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: %s\n", argv[0]);
        return 2;
    }
    if (!io_spawn(parent_main, sizeof(task))) {
        fprintf(stderr, "%s: no memory\n", argv[0]);
        return 1;
    }
    return io_run() < 0 ? 1 : 0;
}
