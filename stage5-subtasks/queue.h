/**
 * @file queue.h
 * @brief A queue of values between tasks: multitask's Queue.
 *
 * queue_get() waits while the queue is empty, queue_put() while it is full.
 * Waiting tasks are served first come, first served.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include "io.h"

/** A FIFO of values, with an optional maximum size. */
typedef struct queue {
    value *items;   /**< A ring of cap slots. */
    size_t cap;     /**< How many slots items has. */
    size_t head;    /**< The slot of the oldest item. */
    size_t count;   /**< How many items are in the queue. */
    size_t maxsize; /**< The most items it holds, or 0 for no limit. */
    pool getters;   /**< Tasks waiting for an item, in order. */
    pool putters;   /**< Tasks waiting for room, in order. */
} queue;

/**
 * Make @p q an empty queue.
 * @param q the queue
 * @param maxsize the most items it may hold, or 0 for no limit
 * @return 0, or -1 if there is no memory
 */
int queue_init(queue *q, size_t maxsize);

/**
 * Free the queue's memory. No task may wait on it any more.
 * @param q the queue
 */
void queue_free(queue *q);

/**
 * A request for the oldest item; the yield gets it.
 * @param w the request
 * @param q the queue
 * @param timeout seconds, or negative for none
 * @return the request as a value for TASK_YIELD_VALUE
 */
value queue_get(io_wait *w, queue *q, double timeout);

/**
 * A request to add @p item at the end; the yield gets none.
 * @param w the request
 * @param q the queue
 * @param item the item
 * @param timeout seconds, or negative for none
 * @return the request as a value for TASK_YIELD_VALUE
 */
value queue_put(io_wait *w, queue *q, value item, double timeout);

/**
 * Serve task @p t's get or put now, or make it wait its turn; used by the
 * loop.
 * @param q the queue
 * @param t a task whose last yield was queue_get() or queue_put() on @p q
 */
void queue_wait(queue *q, task *t);

/**
 * Stop @p t waiting on @p q (its timeout ran out, or it is closed).
 * @param q the queue
 * @param t the task
 */
void queue_forget(queue *q, task *t);

#endif
