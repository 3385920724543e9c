/* A queue of values between tasks; waiting tasks are served in order. */
#include <errno.h>
#include <stdlib.h>

#include "queue.h"

int queue_init(queue *q, size_t maxsize)
{
    q->cap = maxsize ? maxsize : 8;
    q->items = malloc(q->cap * sizeof *q->items);
    q->head = 0;
    q->count = 0;
    q->maxsize = maxsize;
    pool_init(&q->getters);
    pool_init(&q->putters);
    return q->items ? 0 : -1;
}

void queue_free(queue *q)
{
    free(q->items);
    q->items = NULL;
}

/* Double the ring, keeping the items in order. */
static int grow(queue *q)
{
    value *items = malloc(2 * q->cap * sizeof *items);

    if (!items)
        return -1;
    for (size_t i = 0; i < q->count; i++)
        items[i] = q->items[(q->head + i) % q->cap];
    free(q->items);
    q->items = items;
    q->head = 0;
    q->cap *= 2;
    return 0;
}

static int push(queue *q, value item)
{
    if (q->count == q->cap && grow(q) < 0)
        return -1;
    q->items[(q->head + q->count) % q->cap] = item;
    q->count++;
    return 0;
}

static value pop(queue *q)
{
    value item = q->items[q->head];

    q->head = (q->head + 1) % q->cap;
    q->count--;
    return item;
}

static int full(const queue *q)
{
    return q->maxsize && q->count >= q->maxsize;
}

static value wait_request(io_wait *w, enum io_op op, queue *q,
                          double timeout)
{
    value v = io_sleep(w, timeout);

    w->op = op;
    w->queue = q;
    return v;
}

value queue_get(io_wait *w, queue *q, double timeout)
{
    return wait_request(w, IO_GET, q, timeout);
}

value queue_put(io_wait *w, queue *q, value item, double timeout)
{
    value v = wait_request(w, IO_PUT, q, timeout);

    w->item = item;
    return v;
}

/* Room was made: the first waiting putter's item goes in. */
static void admit_putter(queue *q)
{
    task *t = pool_take(&q->putters);

    if (!t)
        return;
    push(q, t->yielded.as.wait->item); /* cannot fail: a slot is free */
    io_wake(t, value_none(), NULL);
}

static void serve_get(queue *q, task *t)
{
    if (q->count == 0) {
        pool_add(&q->getters, t);
        return;
    }
    io_wake(t, pop(q), NULL);
    admit_putter(q);
}

static void serve_put(queue *q, task *t)
{
    value item = t->yielded.as.wait->item;
    task *getter = pool_take(&q->getters);

    if (getter) {
        io_wake(getter, item, NULL);
        io_wake(t, value_none(), NULL);
    } else if (full(q)) {
        pool_add(&q->putters, t);
    } else if (push(q, item) < 0) {
        io_wake(t, value_none(), io_os_error(ENOMEM));
    } else {
        io_wake(t, value_none(), NULL);
    }
}

void queue_wait(queue *q, task *t)
{
    if (t->yielded.as.wait->op == IO_GET)
        serve_get(q, t);
    else
        serve_put(q, t);
}

void queue_forget(queue *q, task *t)
{
    if (!pool_remove(&q->getters, t))
        pool_remove(&q->putters, t);
}
