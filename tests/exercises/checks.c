/* checks.c: the exercises that check themselves, and what each expects.
 * A check looks at what the program does, never at its source, so that
 * any correct answer passes.
 *
 * A new exercise: its starter in <stage>/exercises/ (it builds, runs and
 * fails its check, with a TODO where the reader works), a line below, and
 * its reference solution as a patch to the starter,
 *   diff -u --label a/F --label b/F F solution.c >tests/exercises/S/B.patch
 * with F the starter, S its stage and B its name without .c; other correct
 * answers are B.alt1.patch, B.alt2.patch, and wrong answers that the
 * check must refuse B.wrong1.patch, B.wrong2.patch. test_exercises then
 * says the starter's hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

/* pool's documented output: AAA with 5 iterations, bbb with 10. */
static const char pool_output[] =
    "AAA 0\nbbb 0\nAAA 1\nbbb 1\nAAA 2\nbbb 2\nAAA 3\nbbb 3\nAAA 4\nbbb 4\n"
    "AAA finishing\nbbb 5\nbbb 6\nbbb 7\nbbb 8\nbbb 9\nbbb finishing\n";

/* Does line hold the number n, not as part of a longer number? */
static int has_number(const char *line, long n)
{
    char digits[32];
    size_t len;

    len = (size_t)snprintf(digits, sizeof digits, "%ld", n);
    for (const char *p = strstr(line, digits); p; p = strstr(p + 1, digits))
        if ((p == line || p[-1] < '0' || p[-1] > '9') &&
            (p[len] < '0' || p[len] > '9'))
            return 1;
    return 0;
}

/* 1.1: the tasks' lines as before, then one line with pool_run's 17. */
static int check_count(const struct ex_run *run, struct text *report)
{
    size_t n = strlen(pool_output);
    const char *out = run->out.s ? run->out.s : "";
    char last[1024];

    if (strncmp(out, pool_output, n) != 0) {
        text_printf(report, "The tasks' lines should be pool's, unchanged, "
                    "before the count.\n");
        return ex_expect_output(run, pool_output, report);
    }
    if (!ex_line(out + n, 1, last, sizeof last)) {
        text_printf(report, "After the tasks' lines, print what pool_run "
                    "returns; the output ends with \"bbb finishing\".\n");
        return 0;
    }
    if (ex_line(out + n, 2, last, sizeof last)) {
        text_printf(report, "Print one line after the tasks' lines, with "
                    "the count; there are more:\n");
        return ex_expect_output(run, pool_output, report);
    }
    if (!has_number(last, 17)) {
        text_printf(report, "The last line, \"%s\", should show what "
                    "pool_run returns, the number of resumes, and it does "
                    "not. Count them again: how many does a task with 5 "
                    "numbers need?\n", last);
        return 0;
    }
    return 1;
}

static const char add_task_output[] =
    "AAA 0\nbbb 0\nAAA 1\nbbb 1\nAAA 2\nbbb 2\nccc 0\nAAA 3\nbbb 3\nccc 1\n"
    "AAA 4\nbbb 4\nccc 2\nAAA finishing\nbbb 5\nccc finishing\nbbb 6\n"
    "bbb 7\nbbb 8\nbbb 9\nbbb finishing\n";

/* 1.2: ccc joins the queue behind bbb in the step that prints AAA 2. */
static int check_add_task(const struct ex_run *run, struct text *report)
{
    const char *out = run->out.s ? run->out.s : "";
    int at = ex_find_line(out, "ccc 0");
    char before[1024] = "";

    if (at == 0)
        text_printf(report, "ccc 0 never appeared; the exercise expects it "
                    "right after bbb 2.\n");
    else if (at == 1)
        text_printf(report, "ccc 0 appeared first; the exercise expects it "
                    "right after bbb 2.\n");
    else if (ex_line(out, at - 1, before, sizeof before) &&
             strcmp(before, "bbb 2") != 0)
        text_printf(report, "ccc 0 appeared after %s; the exercise expects "
                    "it right after bbb 2 (AAA adds ccc at the back of the "
                    "queue, behind bbb, in the step that prints AAA 2).\n",
                    before);
    return ex_expect_output(run, add_task_output, report);
}

/* 1.3: create runs at each one's first resume, then one step per turn. */
static int check_microthread(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "Number: 1\nNumber: 2\nNumber: 3\nNumber: 1\nNumber: 2\nNumber: 3\n"
        "Number: 1\nNumber: 2\nNumber: 3\n";

    return ex_expect_output(run, expected, report);
}

/* 2.2: mt4 is one of four in the microscheduler, so it waits its turn. */
static int check_cpu_share(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "Number: 1\nNumber: 2\nNumber: 3\nNumber: 4\nNumber: 1\nNumber: 2\n"
        "Number: 3\nNumber: 4\nNumber: 4\nNumber: 4\nNumber: 4\nNumber: 4\n";

    return ex_expect_output(run, expected, report);
}

/* 2.3: task4 takes its turn after task3, and its strings are printed. */
static int check_values(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "task1 0 @1\ntask2 0 @3\ntask3 0 @6\ntask4 one @7\ntask1 1 @8\n"
        "task2 1 @10\ntask3 1 @13\ntask4 two @14\ntask1 2 @15\n"
        "task2 2 @17\ntask4 three @18\ntask1 3 @19\ntask1 4 @20\n"
        "task1 5 @21\nall tasks finished, total time: 21\n";
    const char *out = run->out.s ? run->out.s : "";

    if (!strstr(out, "task4 "))
        text_printf(report, "task4 printed nothing; the exercise expects "
                    "three lines from it, the first \"task4 one @7\".\n");
    else if (!strstr(out, "task4 one"))
        text_printf(report, "task4's first line does not show the string "
                    "\"one\": print_yield must look at the value's kind.\n");
    return ex_expect_output(run, expected, report);
}

/* 2.4: a child added at a parent's step runs right after that step. */
static int check_spawn(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "parent step 1\nchild 1 step 1\nparent step 2\nchild 1 step 2\n"
        "parent step 3\nchild 2 step 1\nparent step 4\nchild 2 step 2\n"
        "parent step 5\nchild 3 step 1\nparent step 6\nchild 3 step 2\n";
    const char *out = run->out.s ? run->out.s : "";
    int children = 0;

    for (int k = 1; k <= 3; k++) {
        char line[32];

        snprintf(line, sizeof line, "child %d step 1", k);
        children += ex_find_line(out, line) != 0;
    }
    if (children < 3)
        text_printf(report, "%d of the 3 children ran; the exercise expects "
                    "child 1, 2 and 3, added at steps 1, 3 and 5.\n",
                    children);
    return ex_expect_output(run, expected, report);
}

/* 2.5: the seed's MicroScheduler never ends, so its pool never empties. */
static int check_forever(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "a step 1\nb step 1\na step 2\nb step 2\n"
        "tasks left after 10 steps: 1\nthe scheduler is not done\n";
    const char *out = run->out.s ? run->out.s : "";

    if (ex_find_line(out, "the scheduler is done"))
        text_printf(report, "The scheduler ended when its pool was empty; "
                    "the seed's yields none for ever instead.\n");
    return ex_expect_output(run, expected, report);
}

/* 3.1: none at the start, then the average of all numbers sent so far. */
static int check_averager(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "send 10 to a new averager: refused: can't send a value other than "
        "none to a task that has not started\nstart: yielded none\n"
        "send 10: average 10\nsend 20: average 15\nsend 60: average 30\n"
        "send 10: average 25\nclose: done\n";

    return ex_expect_output(run, expected, report);
}

/* 3.3: two throws are handled by yielding again; the third goes through. */
static int check_retry(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "resume: yielded 1\nthrow oops: yielded 1\nresume: yielded 2\n"
        "throw oops: yielded 2\nthrow oops: failed: oops\nresume: done\n";
    const char *out = run->out.s ? run->out.s : "";
    int handled = 0;

    for (const char *p = strstr(out, "throw oops: yielded"); p;
         p = strstr(p + 1, "throw oops: yielded"))
        handled++;
    if (handled != 2)
        text_printf(report, "%d of the 3 throws %s handled; the exercise "
                    "expects the first two to yield the same value again, "
                    "and the third to end the task.\n", handled,
                    handled == 1 ? "was" : "were");
    return ex_expect_output(run, expected, report);
}

/* 3.6: closing runs each pool's cleanups front to back, the inner
 * scheduler's when the outer one reaches it. */
static int check_nested(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "a step 1\nc step 1\nb step 1\nc step 2\na step 2\n"
        "c cleans up\nb cleans up\na cleans up\n";
    const char *out = run->out.s ? run->out.s : "";

    if (!strstr(out, "cleans up"))
        text_printf(report, "No cleanup ran: close the outer scheduler "
                    "after its 5 steps.\n");
    return ex_expect_output(run, expected, report);
}

/* 4.1: with 1 s sleeps the producer's wake-ups meet the consumer's. */
static int check_seed_numbers(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "@0.0 Producer has put 1 in the buffer.\n"
        "@0.0 Consumer has got 1 from the buffer.\n"
        "@1.0 Producer has put 2 in the buffer.\n"
        "@1.5 Consumer is doing something with 1\n"
        "@1.5 Consumer has got 2 from the buffer.\n"
        "@2.0 Producer has put 3 in the buffer.\n"
        "@3.0 Consumer is doing something with 2\n"
        "@3.0 Consumer has got 3 from the buffer.\n"
        "@3.0 Producer has put 4 in the buffer.\n"
        "@4.0 Producer has put 5 in the buffer.\n"
        "@4.5 Consumer is doing something with 3\n"
        "@4.5 Consumer has got 4 from the buffer.\n"
        "@6.0 Consumer is doing something with 4\n"
        "@6.0 Consumer has got 5 from the buffer.\n"
        "@7.5 Consumer is doing something with 5\n";
    const char *out = run->out.s ? run->out.s : "";

    if (!ex_find_line(out, "@1.0 Producer has put 2 in the buffer."))
        text_printf(report, "The producer should put 2 at @1.0, one sleep "
                    "of 1 s after it put 1.\n");
    return ex_expect_output(run, expected, report);
}

/* 4.2: a full buffer makes the producer wait in queue_put. */
static int check_bounded(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "@0.0 Producer has put 1 in the buffer.\n"
        "@0.0 Consumer has got 1 from the buffer.\n"
        "@0.0 Producer has put 2 in the buffer.\n"
        "@1.5 Consumer is doing something with 1\n"
        "@1.5 Consumer has got 2 from the buffer.\n"
        "@1.5 Producer has put 3 in the buffer.\n"
        "@3.0 Consumer is doing something with 2\n"
        "@3.0 Consumer has got 3 from the buffer.\n"
        "@3.0 Producer has put 4 in the buffer.\n"
        "@4.5 Consumer is doing something with 3\n"
        "@4.5 Consumer has got 4 from the buffer.\n"
        "@4.5 Producer has put 5 in the buffer.\n"
        "@6.0 Consumer is doing something with 4\n"
        "@6.0 Consumer has got 5 from the buffer.\n"
        "@7.5 Consumer is doing something with 5\n";
    const char *out = run->out.s ? run->out.s : "";

    if (!ex_find_line(out, "@0.0 Producer has put 2 in the buffer."))
        text_printf(report, "The producer should put 2 at @0.0, as soon as "
                    "the consumer has taken 1 out of the one-item buffer, "
                    "and then wait in queue_put for room.\n");
    return ex_expect_output(run, expected, report);
}

/* 4.3: the third read has 1 s left of the 5, and times out at @5.0. */
static int check_deadline(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "@2.0 got: one\n@4.0 got: two\n@5.0 timed out\n";
    const char *out = run->out.s ? run->out.s : "";

    if (!strstr(out, "timed out"))
        text_printf(report, "No read timed out; the third line comes at "
                    "@6.0, after the 5 seconds for all three are up.\n");
    else if (!ex_find_line(out, "@5.0 timed out"))
        text_printf(report, "The read should time out at @5.0, 5 seconds "
                    "after the first read began.\n");
    return ex_expect_output(run, expected, report);
}

/* 4.4: 2 000 clients at once, so fds far past FD_SETSIZE, all served. */
static int check_many_clients(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "clients: 2000\nechoed intact: 2000\n"
        "a client fd of FD_SETSIZE (1024) or more: yes\n";
    const char *out = run->out.s ? run->out.s : "";

    if (strstr(out, "select() cannot watch it"))
        text_printf(report, "Clients were turned away because their fd is "
                    "FD_SETSIZE or more: the table still cannot hold such "
                    "an fd, or watchable() still refuses it.\n");
    return ex_expect_output(run, expected, report);
}

/* 5.1: a child that falls off the end returns none. */
static int check_nothing(const struct ex_run *run, struct text *report)
{
    static const char expected[] =
        "good child says nothing\ncaught exception: oops!\n";
    const char *out = run->out.s ? run->out.s : "";

    if (strstr(out, "Hi, Mom!"))
        text_printf(report, "The good child still returns its greeting; "
                    "end it with TASK_END alone.\n");
    return ex_expect_output(run, expected, report);
}

/* 5.4: fib(20) is 6765, whichever way the small cases are done: a child
 * for every call makes 21891 children, none for fib(0) and fib(1) 10945. */
static int check_fib(const struct ex_run *run, struct text *report)
{
    const char *out = run->out.s ? run->out.s : "";
    char line[1024];
    long children;

    if (!ex_line(out, 1, line, sizeof line) ||
        strcmp(line, "fib(20) = 6765") != 0) {
        text_printf(report, "The first line should be \"fib(20) = 6765\"; "
                    "it is \"%s\".\n", ex_line(out, 1, line, sizeof line)
                    ? line : "(no line)");
        return 0;
    }
    if (!ex_line(out, 2, line, sizeof line) ||
        sscanf(line, "children: %ld", &children) != 1) {
        text_printf(report, "The second line should count the children, as "
                    "\"children: N\".\n");
        return 0;
    }
    if (children != 21891 && children != 10945) {
        text_printf(report, "%ld children: the recursion should make one "
                    "child per call of fib (21891), or one per call with "
                    "n >= 2 if fib(0) and fib(1) are done in place "
                    "(10945).\n", children);
        return 0;
    }
    if (ex_line(out, 3, line, sizeof line)) {
        text_printf(report, "After the count there should be nothing; "
                    "there is \"%s\".\n", line);
        return 0;
    }
    return 1;
}

/* 5.5: the jobs sleep at the same time, so both are done at @3.0. */
static int check_gather(const struct ex_run *run, struct text *report)
{
    const char *out = run->out.s ? run->out.s : "";

    if (strstr(out, "@5.0"))
        text_printf(report, "The results came in at @5.0: the jobs ran one "
                    "after the other. Run them at the same time, and both "
                    "are in at @3.0.\n");
    return ex_expect_output(run, "@3.0 results: 20 30\n", report);
}

const struct exercise exercises[] = {
    {"1.1", "Count the switches", "stage1-basic-yield",
     "count.c", {0}, 0x199e5739b7874f7full, check_count},
    {"1.2", "Add a task from inside a task", "stage1-basic-yield",
     "add_task.c", {0}, 0x31f573989bd8108full, check_add_task},
    {"1.3", "MicroThread", "stage1-basic-yield",
     "microthread.c", {0}, 0xec97803659f3a3b1ull, check_microthread},
    {"2.2", "Who gets the CPU", "stage2-scheduler",
     "cpu_share.c", {0}, 0xc415143457a66a8aull, check_cpu_share},
    {"2.3", "Other values", "stage2-scheduler",
     "values.c", {0}, 0x5e84a10ae8ec4c9bull, check_values},
    {"2.4", "Tasks that add tasks", "stage2-scheduler",
     "spawn.c", {0}, 0xb165a4a406bbf16eull, check_spawn},
    {"2.5", "The seed's MicroScheduler", "stage2-scheduler",
     "forever.c", {0}, 0x1c28b42b0255e8ecull, check_forever},
    {"3.1", "A running average", "stage3-send-throw",
     "averager.c", {0}, 0xabb649a9c77289a9ull, check_averager},
    {"3.3", "Retry on error", "stage3-send-throw",
     "retry.c", {0}, 0x436486d504698dc8ull, check_retry},
    {"3.6", "Close a scheduler inside a scheduler", "stage3-send-throw",
     "nested.c", {0}, 0xe47129503516baadull, check_nested},
    {"4.1", "The seed's numbers", "stage4-io",
     "seed_numbers.c", {"--virtual-time"},
     0xbe99de40fd241254ull, check_seed_numbers},
    {"4.2", "A bounded buffer", "stage4-io",
     "bounded.c", {"--virtual-time"}, 0x7eb2d52eefc1ca34ull, check_bounded},
    {"4.3", "A deadline, not a timeout", "stage4-io",
     "deadline.c", {0}, 0x53dd68333bda4875ull, check_deadline},
    {"4.4", "Past select()", "stage4-io", "poll_fds.c", {0},
     0xea33763d3092d23bull, check_many_clients},
    {"5.1", "Fall off the end", "stage5-subtasks",
     "nothing.c", {0}, 0x9e019c831ab83284ull, check_nothing},
    {"5.4", "Recursion", "stage5-subtasks",
     "fib.c", {0}, 0x1127f6fe6ba5d217ull, check_fib},
    {"5.5", "Two children at once", "stage5-subtasks",
     "gather.c", {0}, 0x2ebfc91f078c6133ull, check_gather},
};

const int nexercises = sizeof exercises / sizeof exercises[0];

static const struct ex_part parts[] = {
    {"4.4", "io.c", "many_clients.c"},
};

const struct ex_part *ex_part_of(const struct exercise *e)
{
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strcmp(parts[i].id, e->id) == 0)
            return &parts[i];
    return NULL;
}
