/*
 * send_throw_model.h: the rules of send, throw and close as a small model,
 * and a real task to hold against it (test_send_throw.c's model test).
 *
 * The subject yields 0, 1, ..., SUBJECT_LOOPS - 1, each from a
 * TASK_YIELD_CATCH. There it adds a sent integer to `sum`, handles
 * `subject_handled` (counts it, goes on), lets `subject_unhandled` end it,
 * and catches task_exit only at an odd i: it goes on as if resumed. Its
 * TASK_FINALLY counts cleanups. In Python:
 *
 *     def subject(s):
 *         try:
 *             for i in range(SUBJECT_LOOPS):
 *                 try:
 *                     x = yield i
 *                     if x is not None:
 *                         s.sum += x
 *                 except Handled:
 *                     s.handled += 1
 *                 except GeneratorExit:
 *                     if i % 2 == 0:
 *                         raise
 *         finally:
 *             s.cleanups += 1
 */
#ifndef SEND_THROW_MODEL_H
#define SEND_THROW_MODEL_H

#include <stdint.h>

#include "task.h"
#include "xorshift.h"

#define SUBJECT_LOOPS 4

static const task_error subject_handled = {TASK_ERROR_USER, "handled"};
static const task_error subject_unhandled = {TASK_ERROR_USER + 1,
                                             "unhandled"};

typedef struct subject {
    task task;
    int i;
    int cleanups;
    int handled;
    long sum;
} subject;

static task_status subject_main(task *t)
{
    subject *s = (subject *)t;

    TASK_BEGIN(t);
    for (s->i = 0; s->i < SUBJECT_LOOPS; s->i++) {
        TASK_YIELD_CATCH(t, value_int(s->i));
        if (t->error == &subject_handled) {
            s->handled++;
            t->error = NULL;
        } else if (t->error == &task_exit && s->i % 2 == 1) {
            t->error = NULL;
        } else if (t->error) {
            TASK_FAIL(t, t->error);
        } else if (t->sent.kind == VALUE_INT) {
            s->sum += t->sent.as.i;
        }
    }
    TASK_FINALLY(t);
    s->cleanups++;
    TASK_END(t);
}

static void subject_init(subject *s)
{
    task_init(&s->task, subject_main);
    s->i = 0;
    s->cleanups = 0;
    s->handled = 0;
    s->sum = 0;
}

/* What a test does to the subject. */
enum op { OP_NEXT, OP_SEND, OP_THROW_HANDLED, OP_THROW_UNHANDLED, OP_CLOSE,
          NOPS };

static const char *const op_names[NOPS] = {
    "next", "send", "throw(handled)", "throw(unhandled)", "close"};

/* What the rules say the subject is. */
typedef struct model {
    enum model_state { M_NEW, M_SUSPENDED, M_DONE } state;
    int i; /* the yield it waits at, while suspended */
    int cleanups;
    int handled;
    long sum;
} model;

/* What the rules say a call returns. */
typedef struct outcome {
    task_status status;
    long yielded;            /* for TASK_YIELDED and TASK_IGNORED_EXIT */
    const task_error *error; /* for the other statuses but TASK_DONE */
} outcome;

static void model_init(model *m)
{
    m->state = M_NEW;
    m->i = 0;
    m->cleanups = 0;
    m->handled = 0;
    m->sum = 0;
}

static outcome yielded(long v)
{
    outcome o = {TASK_YIELDED, v, NULL};
    return o;
}

static outcome ended(task_status s, const task_error *e)
{
    outcome o = {s, 0, e};
    return o;
}

/* A suspended subject goes on from yield i to the next one, or ends. */
static outcome model_go_on(model *m)
{
    if (++m->i < SUBJECT_LOOPS)
        return yielded(m->i);
    m->state = M_DONE;
    m->cleanups++;
    return ended(TASK_DONE, NULL);
}

/* An error the subject does not handle: its cleanup runs, it ends. */
static outcome model_fail(model *m, const task_error *e)
{
    m->state = M_DONE;
    m->cleanups++;
    return ended(TASK_FAILED, e);
}

static outcome model_resume(model *m, int has_value, long v)
{
    if (m->state == M_DONE)
        return ended(TASK_DONE, NULL);
    if (m->state == M_NEW) {
        if (has_value)
            return ended(TASK_NOT_STARTED, &task_error_not_started);
        m->state = M_SUSPENDED;
        m->i = 0;
        return yielded(0);
    }
    if (has_value)
        m->sum += v;
    return model_go_on(m);
}

static outcome model_throw(model *m, const task_error *e)
{
    if (m->state != M_SUSPENDED) {
        m->state = M_DONE;
        return ended(TASK_FAILED, e);
    }
    if (e == &subject_handled) {
        m->handled++;
        return model_go_on(m);
    }
    return model_fail(m, e);
}

static outcome model_close(model *m)
{
    outcome o;

    if (m->state != M_SUSPENDED) {
        m->state = M_DONE;
        return ended(TASK_DONE, NULL);
    }
    if (m->i % 2 == 0) {
        model_fail(m, &task_exit);
        return ended(TASK_DONE, NULL);
    }
    o = model_go_on(m); /* it caught the exit */
    if (o.status == TASK_YIELDED) {
        o.status = TASK_IGNORED_EXIT; /* and yielded: it stays suspended */
        o.error = &task_error_ignored_exit;
    }
    return o;
}

static outcome model_step(model *m, enum op op, long v)
{
    switch (op) {
    case OP_NEXT:
        return model_resume(m, 0, 0);
    case OP_SEND:
        return model_resume(m, 1, v);
    case OP_THROW_HANDLED:
        return model_throw(m, &subject_handled);
    case OP_THROW_UNHANDLED:
        return model_throw(m, &subject_unhandled);
    case OP_CLOSE:
    case NOPS:
        break;
    }
    return model_close(m);
}

/* The same call on the real task. */
static task_status subject_step(subject *s, enum op op, long v)
{
    switch (op) {
    case OP_NEXT:
        return task_resume(&s->task);
    case OP_SEND:
        return task_send(&s->task, value_int(v));
    case OP_THROW_HANDLED:
        return task_throw(&s->task, &subject_handled);
    case OP_THROW_UNHANDLED:
        return task_throw(&s->task, &subject_unhandled);
    case OP_CLOSE:
    case NOPS:
        break;
    }
    return task_close(&s->task);
}

#endif
