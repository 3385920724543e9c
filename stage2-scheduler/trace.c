/* trace.c: each call of a body, written to the file $COURSE_TRACE names;
 * tests/trace.py reads it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

task_status trace_body(task *t)
{
    char buf[64];
    task_status s;

    if (!started())
        return t->body(t);
    fprintf(out, "begin %p next %d", (void *)t, t->resume);
    stamp();
    text(NULL);
    s = t->body(t);
    fprintf(out, "end %p %s %d", (void *)t,
            s == TASK_YIELDED ? "yielded" : "done", t->resume);
    stamp();
    text(s == TASK_YIELDED ? value_text(t->yielded, buf, sizeof buf) : NULL);
    return s;
}
