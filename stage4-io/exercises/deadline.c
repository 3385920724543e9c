/* Exercise 4.3, a deadline, not a timeout: a task that must read three
 * lines from a pipe within 5 seconds in all. Check it with
 * make exercise EX=4.3. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

static long long start; /* io_now() when the run began */

/* "@1.5": the time since the run began, rounded down to a tenth. */
static const char *stamp(void)
{
    static char s[32];
    long long tenths = (io_now() - start) / 100000000;

    snprintf(s, sizeof s, "@%lld.%lld", tenths / 10, tenths % 10);
    return s;
}

/* Writes a line into the pipe every 2 seconds. */
typedef struct writer {
    task task;
    io_wait wait;
    int fd;
    int k;
} writer;

static task_status writer_main(task *t)
{
    static const char *const lines[] = {"one\n", "two\n", "three\n"};
    writer *w = (writer *)t;

    TASK_BEGIN(t);
    for (w->k = 0; w->k < 3; w->k++) {
        TASK_YIELD_VALUE(t, io_sleep(&w->wait, 2));
        if (write(w->fd, lines[w->k], strlen(lines[w->k])) < 0)
            perror("write");
    }
    TASK_END(t);
}

/* Reads the three lines, each in one read. */
typedef struct reader {
    task task;
    io_wait wait;
    int fd;
    int k;
    char line[64];
} reader;

static task_status reader_main(task *t)
{
    reader *r = (reader *)t;

    TASK_BEGIN(t);
    for (r->k = 0; r->k < 3; r->k++) {
        /* TODO (exercise 4.3): 5 seconds for all three reads together,
         * not 5 seconds for each. */
        TASK_YIELD_CATCH(t, io_recv(&r->wait, r->fd, r->line,
                                    sizeof r->line - 1, 5));
        if (t->error == &io_timeout) {
            printf("%s timed out\n", stamp());
            t->error = NULL;
            break;
        }
        if (t->error)
            break;
        r->line[t->sent.as.i] = '\0';
        printf("%s got: %s", stamp(), r->line);
    }
    TASK_END(t);
}

int main(void)
{
    int fds[2];
    reader *r;
    writer *w;

    io_virtual_time();
    if (pipe(fds) < 0 || io_nonblock(fds[0]) < 0) {
        perror("pipe");
        return 1;
    }
    if (!(r = io_spawn(reader_main, sizeof *r)) ||
        !(w = io_spawn(writer_main, sizeof *w))) {
        fprintf(stderr, "deadline: no memory\n");
        return 1;
    }
    r->fd = fds[0];
    w->fd = fds[1];
    start = io_now();
    if (io_run() < 0)
        return 1;
    close(fds[0]);
    close(fds[1]);
    return 0;
}
