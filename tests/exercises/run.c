/* run.c: run a command with a hang guard, and collect what it prints. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exercise.h"

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read what is ready on fd into t; 0 at end of file. */
static int drain(int fd, struct text *t, size_t *total)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);

    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n > 0 && *total < OUTPUT_CAP)
        text_add(t, buf, (size_t)n);
    *total += (size_t)(n > 0 ? n : 0);
    return n > 0;
}

int ex_run_command(char *const argv[], struct ex_run *r, int merge)
{
    int out[2], err[2];
    struct pollfd fds[2];
    size_t total = 0;
    double deadline = seconds_now() + HANG_GUARD;
    pid_t pid;
    int status, open_fds = 2;

    memset(r, 0, sizeof *r);
    if (pipe(out) < 0 || pipe(err) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);

        dup2(null, 0);
        dup2(out[1], 1);
        dup2(merge ? out[1] : err[1], 2);
        close(out[0]);
        close(err[0]);
        execvp(argv[0], argv);
        fprintf(stderr, "exercise: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    fds[0] = (struct pollfd){.fd = out[0], .events = POLLIN};
    fds[1] = (struct pollfd){.fd = err[0], .events = POLLIN};
    while (open_fds > 0 && !r->hung) {
        double left = deadline - seconds_now();

        if (left <= 0 || total > OUTPUT_CAP) {
            kill(pid, SIGKILL);
            r->hung = left <= 0 ? 1 : 2;
            break;
        }
        if (poll(fds, 2, (int)(left * 1000) + 1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            if (!drain(fds[i].fd, i == 0 ? &r->out : &r->err, &total)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status)
                                  : 128 + WTERMSIG(status);
    return 0;
}

void ex_run_free(struct ex_run *r)
{
    text_free(&r->out);
    text_free(&r->err);
}
