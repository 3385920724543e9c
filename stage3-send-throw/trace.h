/**
 * @file trace.h
 * @brief Tracing: what each call of a body did, for make trace.
 *
 * Off unless the environment variable COURSE_TRACE names a file. Then each
 * call of a body writes two lines to it, what went in and what came out,
 * and tests/trace.py draws them (a Chrome trace and a swimlane picture).
 * Off, a call pays one test of trace_on, and a task has no byte for it:
 * the names live in the file only.
 */
#ifndef TRACE_H
#define TRACE_H

#include "task.h"

/** 1 while tracing, 0 when off, -1 until the first call looks. */
extern int trace_on;

/** Call @p t's body, traced when tracing is on. */
#define TRACE_BODY(t) (trace_on ? trace_body(t) : (t)->body(t))

/**
 * Call @p t's body and write what it did to the trace.
 * @param t the task
 * @return what the body returned
 */
task_status trace_body(task *t);

/**
 * Give the trace a clock: a program with a virtual clock draws its slices
 * in its own time rather than one after another.
 * @param now returns the time, in seconds
 */
void trace_clock(double (*now)(void));

#endif
