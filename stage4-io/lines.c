/* lines: readline on the stdout of child processes, a line as it arrives. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "queue.h"

/* A child process: a shell script that prints a line each time it reads
 * one ("go") on its stdin. */
typedef struct child {
    const char *name;
    const char *script;
    pid_t pid;
    int in;  /* the write end of its stdin */
    int out; /* the read end of its stdout */
} child;

static child count = {"count", "for i in 1 2 3; do read go && echo $i; done",
                      -1, -1, -1};
static child words = {
    "words", "for w in one two three; do read go && echo $w; done", -1, -1,
    -1};
static child longer = {
    "long",
    "read go && { i=0; while [ $i -lt 10 ]; do printf 0123456789; "
    "i=$((i + 1)); done; echo; }; read go && echo short again",
    -1, -1, -1};

static child *const children[] = {&count, &words, &longer};
enum { NCHILDREN = sizeof children / sizeof children[0] };

/* Whose turn it is to print a line, one turn after the other. */
static child *const turns[] = {&count, &words,  &count, &longer,
                               &words, &count, &longer, &words};
enum { NTURNS = sizeof turns / sizeof turns[0] };

/* Reads a child's stdout a line at a time and prints each line. */
typedef struct reader {
    task task;
    io_wait wait;
    child *child;
    queue *printed; /* gets an item each time a line is printed */
    size_t skipped; /* bytes of a line too long for line[], so far */
    io_input in;    /* what readline read after the line */
    char line[32];
} reader;

static task_status reader_main(task *t)
{
    reader *r = (reader *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, io_readline(&r->wait, r->child->out, &r->in,
                                        r->line, sizeof r->line, -1));
        if (t->error == &io_error_line_too_long) {
            r->skipped += r->wait.done; /* what readline took of the line */
            t->error = NULL;
            continue;
        }
        if (t->error || t->sent.as.i == 0)
            break;
        if (r->skipped > 0) {
            printf("%s: (skipped %zu bytes: %s)\n", r->child->name,
                   r->skipped + (size_t)t->sent.as.i,
                   io_error_line_too_long.message);
            r->skipped = 0;
        } else {
            printf("%s: %s", r->child->name, r->line);
        }
        TASK_YIELD_VALUE(t, queue_put(&r->wait, r->printed, value_none(), -1));
    }
    TASK_END(t);
}

/* Gives the turns: says "go" to a child, then waits until its line is
 * printed, so that no two children ever print at the same time. */
typedef struct conductor {
    task task;
    io_wait wait;
    queue *printed;
    int turn;
} conductor;

static task_status conductor_main(task *t)
{
    conductor *c = (conductor *)t;

    TASK_BEGIN(t);
    for (c->turn = 0; c->turn < NTURNS; c->turn++) {
        TASK_YIELD_VALUE(t, io_send(&c->wait, turns[c->turn]->in, "go\n", 3,
                                    -1));
        TASK_YIELD_VALUE(t, queue_get(&c->wait, c->printed, -1));
    }
    TASK_END(t);
}

/* Make fd `from` the fd `to`. */
static void move_fd(int from, int to)
{
    if (from != to) {
        dup2(from, to);
        close(from);
    }
}

/* Start c's script with pipes on its stdin and stdout. */
static int start_child(child *c)
{
    int in[2], out[2];

    if (pipe(in) < 0)
        return -1;
    if (pipe(out) < 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    /* Our ends must not leak into the children started after this one,
     * and the loop watches them, so they must not block (io.h). */
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    io_nonblock(in[1]);
    io_nonblock(out[0]);
    fflush(stdout);
    c->pid = fork();
    if (c->pid == 0) {
        move_fd(out[1], 1);
        move_fd(in[0], 0);
        execl("/bin/sh", "sh", "-c", c->script, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    c->in = in[1];
    c->out = out[0];
    return c->pid < 0 ? -1 : 0;
}

/* Close c's stdin: its next "read go" fails, and it ends. */
static void stop_child(child *c)
{
    if (c->in >= 0)
        close(c->in);
    c->in = -1;
}

/* Close our ends of c's pipes, wait for it to end and say how it ended. */
static void reap_child(child *c)
{
    int status;

    stop_child(c);
    if (c->out >= 0)
        close(c->out);
    c->out = -1;
    if (c->pid <= 0 || waitpid(c->pid, &status, 0) < 0)
        return;
    if (WIFEXITED(status))
        printf("%s: exit status %d\n", c->name, WEXITSTATUS(status));
    else
        printf("%s: killed by signal %d\n", c->name, WTERMSIG(status));
}

int main(int argc, char **argv)
{
    queue printed;
    conductor *cond = NULL;
    reader *r;
    int result = 0;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: lines\n");
        return 2;
    }
    if (queue_init(&printed, 0) < 0)
        return 1;
    for (int k = 0; k < NCHILDREN && result == 0; k++) {
        if (start_child(children[k]) < 0 ||
            !(r = io_spawn(reader_main, sizeof *r))) {
            perror("lines: starting a child");
            result = 1;
        } else {
            io_name(&r->task, children[k]->name);
            r->child = children[k];
            r->printed = &printed;
        }
    }
    if (result == 0 && (cond = io_spawn(conductor_main, sizeof *cond))) {
        io_name(&cond->task, "conductor");
        cond->printed = &printed;
    }
    if (!cond) /* no turns: end the children, so that the readers end */
        for (int k = 0; k < NCHILDREN; k++)
            stop_child(children[k]);
    if (io_run() < 0)
        result = 1;
    for (int k = 0; k < NCHILDREN; k++)
        reap_child(children[k]);
    queue_free(&printed);
    return result;
}
