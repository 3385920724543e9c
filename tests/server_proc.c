/* server_proc: what the tests of the servers share (see server_proc.h). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server_proc.h"

extern char **environ;

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

/* Read the line "listening on 127.0.0.1:PORT", or "[::1]:PORT" or
 * "[::]:PORT" for IPv6, and return PORT; srv.ipv6 says which. */
int read_port(int fd)
{
    char line[128], host[64] = "";
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
    sscanf(line, "listening on %63[^ ]\n%n", host, &end);
    if (strrchr(host, ':')) {
        port = atoi(strrchr(host, ':') + 1);
        *strrchr(host, ':') = '\0';
    }
    srv.ipv6 = strcmp(host, "[::1]") == 0 || strcmp(host, "[::]") == 0;
    cr_assert(end == (int)n && port > 0 && port < 65536 &&
                  (srv.ipv6 || strcmp(host, "127.0.0.1") == 0),
              "first line: expected 'listening on 127.0.0.1:PORT' (or "
              "[::1] or [::]), got '%s'", line);
    return port;
}

/* A socket connected to the server at port, over ::1 if it listens on
 * IPv6, else over 127.0.0.1. */
int connect_to(int port, int rcvbuf)
{
    struct sockaddr_in a;
    struct sockaddr_in6 a6;
    int fd = socket(srv.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    a6.sin6_port = htons((unsigned short)port);
    cr_assert((srv.ipv6 ? connect(fd, (struct sockaddr *)&a6, sizeof a6)
                        : connect(fd, (struct sockaddr *)&a, sizeof a)) == 0,
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

/* The highest fd this process has open. */
static int max_open_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int top = 2;

    cr_assert(d, "/proc/self/fd: %s", strerror(errno));
    while ((e = readdir(d)))
        if (atoi(e->d_name) > top)
            top = atoi(e->d_name);
    closedir(d);
    return top;
}

/* Start argv[0] (a path) with stdin, stdout and stderr on in, out and err,
 * and no other fd of ours. It dies with this process. */
pid_t spawn(char *const argv[], char *const envp[], int in, int out, int err)
{
    int top = max_open_fd();
    pid_t pid;

    fflush(NULL);
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid > 0)
        return pid;
    /* Only async-signal-safe calls from here: the parent may have threads. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(126);
    for (int fd = 3; fd <= top; fd++)
        close(fd);
    execve(argv[0], argv, envp);
    _exit(127);
}

/* Everything written to fd so far, as a string; *len gets its length. */
char *file_bytes(int fd, size_t *len)
{
    struct stat st;
    char *s;

    cr_assert(fstat(fd, &st) == 0);
    s = malloc((size_t)st.st_size + 1);
    cr_assert(s);
    cr_assert(pread(fd, s, (size_t)st.st_size, 0) == st.st_size);
    s[st.st_size] = '\0';
    if (len)
        *len = (size_t)st.st_size;
    return s;
}

char *file_text(int fd)
{
    return file_bytes(fd, NULL);
}

/* ---- the server ---- */

struct server srv = {-1, -1, -1, 0, 0};

/* Start the server argv on stdin /dev/null and read the port it says. */
void server_launch(char *const argv[])
{
    int pipefd[2], null = open_null();

    cr_assert(pipe(pipefd) == 0);
    srv.err = temp_file();
    srv.pid = spawn(argv, environ, null, pipefd[1], srv.err);
    close(pipefd[1]);
    close(null);
    srv.out = pipefd[0];
    srv.port = read_port(srv.out);
}

/* Stop the server with sig; it must exit 0 and have printed nothing more
 * on stdout. Returns its stderr. */
char *server_stop(int sig)
{
    char c, *err;
    int status;

    kill(srv.pid, sig);
    status = wait_exit(srv.pid);
    srv.pid = -1;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the server did not exit 0 on signal %d (status 0x%x); "
              "its stderr:\n%s", sig, status, file_text(srv.err));
    cr_assert(read(srv.out, &c, 1) == 0,
              "the server printed more than its first line on stdout");
    close(srv.out);
    err = file_text(srv.err);
    close(srv.err);
    return err;
}

/* Stop the server with SIGTERM; it must have said nothing on stderr. */
void server_stop_clean(void)
{
    char *err = server_stop(SIGTERM);

    cr_assert_str_empty(err, "the server's stderr:\n%s", err);
    free(err);
}

/* For a test's fini: kill the server if the test did not stop it. */
void server_kill(void)
{
    if (srv.pid > 0) {
        kill(srv.pid, SIGKILL);
        waitpid(srv.pid, NULL, 0);
        srv.pid = -1;
    }
}

/* ---- streamers: clients that never pause ---- */

enum { MAX_STREAMERS = 64 };

/* The streamers' loop, in the child: send msg again and again on every
 * socket, read and drop what comes back; once each has had bytes back,
 * say so on ready. Ends when the server has ended every connection. */
static void stream(const int *fds, int n, const unsigned char *msg,
                   size_t len, int ready)
{
    struct pollfd p[MAX_STREAMERS];
    size_t at[MAX_STREAMERS] = {0};
    int heard[MAX_STREAMERS] = {0}, open = n, quiet = n;
    static unsigned char buf[65536];

    for (int i = 0; i < n; i++)
        p[i] = (struct pollfd){fds[i], POLLIN | POLLOUT, 0};
    while (open > 0) {
        if (poll(p, (nfds_t)n, GUARD_MS) <= 0)
            _exit(1); /* hung */
        for (int i = 0; i < n; i++) {
            ssize_t k;

            if (p[i].fd < 0 || !p[i].revents)
                continue;
            if (p[i].revents & POLLOUT) {
                k = write(p[i].fd, msg + at[i], len - at[i]);
                if (k > 0)
                    at[i] = (at[i] + (size_t)k) % len;
            }
            k = read(p[i].fd, buf, sizeof buf);
            if (k > 0 && !heard[i]++ && --quiet == 0 &&
                write(ready, "", 1) != 1)
                _exit(1);
            if (k == 0 || (k < 0 && errno != EAGAIN)) {
                close(p[i].fd);
                p[i].fd = -1;
                open--;
            }
        }
    }
    _exit(0);
}

/* Start a child process with n connections to port that send msg (len
 * bytes) over and over, without a pause, and read all that comes back.
 * Returns when every connection has had an answer; the child ends when the
 * server has closed them all (wait_exit() it). */
pid_t start_streamers(int port, int n, const void *msg, size_t len)
{
    int fds[MAX_STREAMERS], ready[2];
    struct pollfd p;
    pid_t pid;
    char c;

    cr_assert(n > 0 && n <= MAX_STREAMERS && len > 0);
    for (int i = 0; i < n; i++) {
        fds[i] = connect_to(port, 0);
        cr_assert(fcntl(fds[i], F_SETFL, O_NONBLOCK) == 0);
    }
    cr_assert(pipe(ready) == 0);
    fflush(NULL);
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(ready[0]);
        stream(fds, n, msg, len, ready[1]);
    }
    close(ready[1]);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    p = (struct pollfd){ready[0], POLLIN, 0};
    cr_assert(poll(&p, 1, GUARD_MS) == 1 && read(ready[0], &c, 1) == 1,
              "the streamers got no answer from the server");
    close(ready[0]);
    return pid;
}
