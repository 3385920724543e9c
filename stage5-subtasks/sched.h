/**
 * @file sched.h
 * @brief A scheduler that is itself a task: the seed's MicroScheduler.
 *
 * Resuming the scheduler's task runs one step of one of its own tasks and
 * yields what that task yielded. Add the scheduler's task to a pool, or to
 * another scheduler, and it shares the CPU like any other task. Closing it
 * closes every task it still holds.
 */
#ifndef SCHED_H
#define SCHED_H

#include "task.h"

/** A scheduler: a task whose body steps a pool of tasks. */
typedef struct sched {
    task task; /**< The scheduler as a task; add it where tasks go. */
    pool pool; /**< The tasks it runs, round-robin. */
} sched;

/**
 * Make @p s a scheduler with no tasks.
 * @param s the scheduler
 */
void sched_init(sched *s);

/**
 * Give @p s another task to run. Safe to call while it runs.
 * @param s the scheduler
 * @param t a task that is in no pool
 */
void sched_add(sched *s, task *t);

/**
 * Resume the scheduler until it has no task left: the seed's
 * `for i in ms.main(): pass`.
 * @param s the scheduler
 * @return how many times its task yielded
 */
long sched_run(sched *s);

#endif
