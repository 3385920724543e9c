/* server_proc: what the tests of the servers share (see server_proc.h). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server_proc.h"

uint64_t rng_state;

uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12; /* xorshift64* */
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717u;
}

unsigned char *random_bytes(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);

    cr_assert(p, "no memory for %zu bytes", n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = rng_next();

        memcpy(p + i, &r, n - i < 8 ? n - i : 8);
    }
    return p;
}

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Wait for pid to end; kill it after GUARD_MS. Returns its wait status. */
int wait_exit(pid_t pid)
{
    int status;

    for (long ms = 0; ms < GUARD_MS; ms += 5) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        cr_assert(r >= 0, "waitpid: %s", strerror(errno));
        if (r == pid)
            return status;
        sleep_ms(5);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    cr_assert_fail("process %d did not end within %d ms", (int)pid, GUARD_MS);
    return status;
}

/* A file for a child's stderr, already unlinked. */
int temp_file(void)
{
    char path[] = "/tmp/course_test.XXXXXX";
    int fd = mkstemp(path);

    cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
    unlink(path);
    return fd;
}

int open_null(void)
{
    int fd = open("/dev/null", O_RDWR);

    cr_assert(fd >= 0, "/dev/null: %s", strerror(errno));
    return fd;
}

/* Let this process open more fds than FD_SETSIZE, for 1100 connections. */
void raise_fd_limit(void)
{
    struct rlimit r;

    cr_assert(getrlimit(RLIMIT_NOFILE, &r) == 0);
    r.rlim_cur = r.rlim_max;
    cr_assert(setrlimit(RLIMIT_NOFILE, &r) == 0, "setrlimit: %s",
              strerror(errno));
    cr_assert(r.rlim_cur >= 1200,
              "the fd limit (ulimit -Hn) is %ld; these tests need 1200",
              (long)r.rlim_cur);
}

/* Read the line "listening on 127.0.0.1:PORT" and return PORT. */
int read_port(int fd)
{
    char line[128];
    size_t n = 0;
    int port = -1, end = -1;
    struct pollfd p = {fd, POLLIN, 0};

    while (n < sizeof line - 1) {
        cr_assert(poll(&p, 1, GUARD_MS) == 1, "no line from the server");
        cr_assert(read(fd, line + n, 1) == 1, "the server's stdout ended");
        if (line[n++] == '\n')
            break;
    }
    line[n] = '\0';
    sscanf(line, "listening on 127.0.0.1:%d\n%n", &port, &end);
    cr_assert(end == (int)n && port > 0 && port < 65536,
              "first line: expected 'listening on 127.0.0.1:PORT', got '%s'",
              line);
    return port;
}

int connect_to(int port, int rcvbuf)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    cr_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0,
              "connect to port %d: %s", port, strerror(errno));
    return fd;
}

/* The path of a program in $PATH. */
char *which(const char *name)
{
    static char found[4096];
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");

    cr_assert(path);
    for (char *dir = strtok(path, ":"); dir; dir = strtok(NULL, ":")) {
        snprintf(found, sizeof found, "%s/%s", dir, name);
        if (access(found, X_OK) == 0) {
            free(path);
            return found;
        }
    }
    free(path);
    cr_assert_fail("%s is not installed (tests/install-deps installs it)",
                   name);
    return NULL;
}
