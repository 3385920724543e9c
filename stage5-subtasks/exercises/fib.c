/* Exercise 5.4, recursion: fib(n) as a child task that yields fib(n - 1)
 * and fib(n - 2) as children of its own. Check it with
 * make exercise EX=5.4. */
#include <stdio.h>

#include "io.h"

static long children; /* how many fib children were allocated */

/* A child's frame: its n, and what it has added up so far. */
typedef struct fib {
    task task;
    long n;
    long sum;
} fib;

static value new_fib(long n);

static task_status fib_main(task *t)
{
    fib *f = (fib *)t;

    TASK_BEGIN(t);
    /* TODO (exercise 5.4): for n < 2 return n; else yield new_fib(n - 1)
     * and new_fib(n - 2), and return the sum of what they return. */
    TASK_RETURN(t, value_int(f->n));
    TASK_END(t);
}

/* fib(n) as a value to yield; value_task(NULL) if there is no memory. */
static value new_fib(long n)
{
    fib *f = io_child(fib_main, sizeof *f);

    if (f) {
        f->n = n;
        children++;
    }
    return value_task(f ? &f->task : NULL);
}

static task_status parent_main(task *t)
{
    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, new_fib(20));
    printf("fib(20) = %ld\n", t->sent.as.i);
    printf("children: %ld\n", children);
    TASK_END(t);
}

int main(void)
{
    if (!io_spawn(parent_main, sizeof(task))) {
        fprintf(stderr, "fib: no memory\n");
        return 1;
    }
    return io_run() < 0 ? 1 : 0;
}
