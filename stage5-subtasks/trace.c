/* trace.c: each call of a body, written to the file $COURSE_TRACE names;
 * tests/trace.py reads it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "trace.h"

int trace_on = -1;
static FILE *out;
static double (*clock_now)(void);

static void stop(void)
{
    fclose(out);
    out = NULL;
    trace_on = 0;
}

/* Tracing starts at the first call, if COURSE_TRACE names a file. */
static int started(void)
{
    const char *path;

    if (trace_on >= 0)
        return trace_on;
    trace_on = 0;
    path = getenv("COURSE_TRACE");
    if (!path || !*path)
        return 0;
    out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "trace: %s: %s\n", path, strerror(errno));
        return 0;
    }
    atexit(stop);
    trace_on = 1;
    return 1;
}

void trace_clock(double (*now)(void))
{
    clock_now = now;
    if (started())
        fprintf(out, "clock\n");
}

/* Where stdout is: what was printed so far, if it is a file, else -1. */
static long long printed(void)
{
    fflush(stdout);
    return (long long)lseek(STDOUT_FILENO, 0, SEEK_CUR);
}

/* The time and stdout's offset, the fields every line shares. */
static void stamp(void)
{
    long long at = printed();

    if (clock_now)
        fprintf(out, " %lld %.9f", at, clock_now());
    else
        fprintf(out, " %lld -", at);
}

/* A text, to the end of the line: "-" for none, else "=" and the text. */
static void text(const char *s)
{
    if (!s) {
        fputs(" -\n", out);
        return;
    }
    fputs(" =", out);
    for (; *s; s++)
        if (*s == '\n')
            fputs("\\n", out);
        else if (*s == '\\')
            fputs("\\\\", out);
        else
            fputc(*s, out);
    fputc('\n', out);
}

/* A value as text, in buf if it needs room; NULL for none. */
static const char *value_text(value v, char *buf, size_t size)
{
    switch (v.kind) {
    case VALUE_INT:
        snprintf(buf, size, "%ld", v.as.i);
        return buf;
    case VALUE_STR:
        return v.as.s;
    case VALUE_PTR:
        snprintf(buf, size, "pointer %p", v.as.p);
        return buf;
    case VALUE_NONE:
    case VALUE_WAIT:
    case VALUE_TASK:
        break;
    }
    return NULL;
}

void trace_name(task *t, const char *name, const char *file)
{
    const char *base = strrchr(file, '/');

    if (!started())
        return;
    fprintf(out, "name %p %s", (void *)t, base ? base + 1 : file);
    text(name);
}

/* Which call runs the body: what task_send, task_throw, task_close and
 * run() left in the task for it. */
static const char *call_of(const task *t)
{
    if (t->resume == TASK_CLEANUP)
        return "cleanup";
    if (t->error == &task_exit)
        return "close";
    if (t->error)
        return "throw";
    return t->sent.kind == VALUE_NONE ? "next" : "send";
}

/* What the call did, as its caller will see it. */
static const char *status_of(const task *t, const char *call, task_status s)
{
    int closing = strcmp(call, "close") == 0;

    if (s == TASK_YIELDED)
        return closing ? "ignored-exit" : "yielded";
    if (s == TASK_FAILED && t->raised != &task_exit)
        return "failed";
    return "done";
}

/* What went in: the value sent, or the message of the error thrown. */
static const char *sent_text(const task *t, char *buf, size_t size)
{
    if (t->error)
        return t->error->message;
    return value_text(t->sent, buf, size);
}

/* What came out: the value yielded, or the message of the error raised. */
static const char *out_text(const task *t, task_status s, char *buf,
                            size_t size)
{
    if (s == TASK_YIELDED)
        return value_text(t->yielded, buf, size);
    if (s == TASK_FAILED && t->raised)
        return t->raised->message;
    if (s == TASK_DONE)
        return value_text(t->returned, buf, size);
    return NULL;
}

/* t yielded a wait request: what it waits for, and how long at most. */
static void wait_line(const task *t)
{
    static const char *const ops[] = {
        "?", "readable", "writable", "accept", "recv", "send",
        "readline", "connect", "sleep", "get", "put"};
    const io_wait *w = t->yielded.as.wait;
    double timeout = -1;

    if (w->deadline >= 0)
        timeout = (double)(w->deadline - io_now()) / 1e9;
    fprintf(out, "wait %p %s %d %.9f\n", (void *)t, ops[w->op], w->fd,
            timeout);
}

task_status trace_body(task *t)
{
    char buf[64];
    const char *call;
    task_status s;

    if (!started())
        return t->body(t);
    call = call_of(t);
    fprintf(out, "begin %p %s %d", (void *)t, call, t->resume);
    stamp();
    text(sent_text(t, buf, sizeof buf));
    s = t->body(t);
    fprintf(out, "end %p %s %d", (void *)t, status_of(t, call, s),
            t->resume);
    stamp();
    text(out_text(t, s, buf, sizeof buf));
    if (s == TASK_YIELDED && t->yielded.kind == VALUE_WAIT)
        wait_line(t);
    if (s == TASK_YIELDED && t->yielded.kind == VALUE_TASK)
        fprintf(out, "child %p %p\n", (void *)t, (void *)t->yielded.as.task);
    return s;
}
