/* family: the seed's parent and child. A good child returns a greeting to
 * its parent; a bad child raises an error, which the parent catches. */
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
    TASK_RETURN(t, value_str("Hi, Mom!"));
    TASK_END(t);
}

/* child(bad) as a value to yield; NULL if there is no memory. */
static value new_child(int bad)
{
    child *c = io_child(child_main, sizeof *c);

    if (!c)
        return value_task(NULL);
    io_name(&c->task, bad ? "bad child" : "good child");
    c->bad = bad;
    return value_task(&c->task);
}

/* def parent(): try: both children ... except Exception as e: ... */
static task_status parent_main(task *t)
{
    TASK_BEGIN(t);
    TASK_YIELD_CATCH(t, new_child(0));
    if (t->error)
        goto except;
    printf("good child says: %s\n", t->sent.as.s);
    TASK_YIELD_CATCH(t, new_child(1));
    if (t->error)
        goto except;
    printf("bad child says: %s\n", t->sent.as.s);
    TASK_RETURN(t, value_none());
except:
    printf("caught exception: %s\n", t->error->message);
    t->error = NULL;
    TASK_END(t);
}

int main(int argc, char **argv)
{
    task *parent;

    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: family\n"
                        "  a parent task yields a good child and a bad one\n");
        return 2;
    }
    parent = io_spawn(parent_main, sizeof *parent);
    if (!parent) {
        fprintf(stderr, "family: no memory\n");
        return 1;
    }
    io_name(parent, "parent");
    return io_run() < 0 ? 1 : 0;
}
