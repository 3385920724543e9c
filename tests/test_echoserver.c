/*
 * test_echoserver: stage 4's echoserver over real sockets, driven from
 * outside the runtime by plain clients: non-blocking sockets and poll().
 *
 * The server is $COURSE_BIN/stage4-io/echoserver, else
 * $COURSE_ROOT/stage4-io/echoserver, else ./stage4-io/echoserver (the tests
 * run from the repository root). It is always stage 4's: stage 5 has an
 * echoserver of its own that speaks in lines.
 *
 * Nothing here measures time. Every wait has a hang guard, GUARD_MS
 * without any progress, far above what a loaded machine or valgrind needs.
 * Under `make valgrind-tests` the server runs under valgrind too
 * (--trace-children), and a server that leaks exits 99, not 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUARD_MS 60000 /* a wait with no progress for this long has hung */
#define MiB (1024 * 1024)

extern char **environ;

/* ---- random payloads from a fixed seed ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12; /* xorshift64* */
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717u;
}

static unsigned char *random_bytes(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);

    cr_assert(p, "no memory for %zu bytes", n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = rng_next();

        memcpy(p + i, &r, n - i < 8 ? n - i : 8);
    }
    return p;
}

/* ---- child processes ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Start argv[0] (a path) with stdin, stdout and stderr on in, out and err,
 * and no other fd of ours. It dies with this process. */
static pid_t spawn(char *const argv[], char *const envp[], int in, int out,
                   int err)
{
    struct rlimit r;
    pid_t pid;

    getrlimit(RLIMIT_NOFILE, &r);
    fflush(NULL);
    pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid > 0)
        return pid;
    /* Only async-signal-safe calls from here: the parent may have threads. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(126);
    for (rlim_t fd = 3; fd < r.rlim_cur; fd++)
        close((int)fd);
    execve(argv[0], argv, envp);
    _exit(127);
}

/* Wait for pid to end; kill it after GUARD_MS. Returns its wait status. */
static int wait_exit(pid_t pid)
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
static int temp_file(void)
{
    char path[] = "/tmp/test_echoserver.XXXXXX";
    int fd = mkstemp(path);

    cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
    unlink(path);
    return fd;
}

/* Everything written to fd so far, as a string. */
static char *file_text(int fd)
{
    struct stat st;
    char *s;

    cr_assert(fstat(fd, &st) == 0);
    s = malloc((size_t)st.st_size + 1);
    cr_assert(s);
    cr_assert(pread(fd, s, (size_t)st.st_size, 0) == st.st_size);
    s[st.st_size] = '\0';
    return s;
}

static int open_null(void)
{
    int fd = open("/dev/null", O_RDWR);

    cr_assert(fd >= 0, "/dev/null: %s", strerror(errno));
    return fd;
}

/* ---- the server ---- */

static char server_path[4096];

static const char *find_server(void)
{
    const char *bin = getenv("COURSE_BIN"), *root = getenv("COURSE_ROOT");

    if (bin && *bin)
        snprintf(server_path, sizeof server_path,
                 "%s/stage4-io/echoserver", bin);
    else
        snprintf(server_path, sizeof server_path, "%s/stage4-io/echoserver",
                 root && *root ? root : ".");
    cr_assert(access(server_path, X_OK) == 0, "no server at %s: %s",
              server_path, strerror(errno));
    return server_path;
}

struct server {
    pid_t pid;
    int out;  /* the read end of its stdout */
    int err;  /* a temp file with its stderr */
    int port;
};

/* The server of the current test; fini kills it if the test failed. */
static struct server srv = {-1, -1, -1, 0};

/* Valgrind suppressions for nc and socat, a temp file; see tool_env(). */
static char supp_path[] = "/tmp/test_echoserver_supp.XXXXXX";

/* Let this process open more fds than FD_SETSIZE, for 1100 connections. */
static void raise_fd_limit(void)
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

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    rng_state = 0x9e3779b97f4a7c15u;
}

static void teardown(void)
{
    if (srv.pid > 0) {
        kill(srv.pid, SIGKILL);
        waitpid(srv.pid, NULL, 0);
        srv.pid = -1;
    }
    if (!strstr(supp_path, "XXXXXX"))
        unlink(supp_path);
}

/* Read the line "listening on 127.0.0.1:PORT" and return PORT. */
static int read_port(int fd)
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

static void server_start(void)
{
    char *argv[] = {(char *)find_server(), "--port", "0", NULL};
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
static char *server_stop(int sig)
{
    char c;
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
    return file_text(srv.err);
}

static void server_stop_clean(void)
{
    char *err = server_stop(SIGTERM);

    cr_assert_str_empty(err, "the server's stderr:\n%s", err);
    free(err);
}

/* Call f for each fd the server has open. */
static void server_fds(void (*f)(int fd, const char *link, void *arg),
                       void *arg)
{
    char dir[64], path[sizeof dir + 256], link[128];
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)srv.pid);
    d = opendir(dir);
    cr_assert(d, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        ssize_t n;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n = readlink(path, link, sizeof link - 1);
        if (n < 0)
            continue; /* closed while we looked */
        link[n] = '\0';
        f(atoi(e->d_name), link, arg);
    }
    closedir(d);
}

static void count_socket(int fd, const char *link, void *arg)
{
    (void)fd;
    if (strncmp(link, "socket:", 7) == 0)
        ++*(int *)arg;
}

/* Wait until the server has no socket open but its listening one: every
 * handler has ended and closed its connection. */
static void wait_handlers_gone(void)
{
    int n = -1;

    for (long ms = 0; ms < GUARD_MS; ms += 5) {
        n = 0;
        server_fds(count_socket, &n);
        if (n == 1)
            return;
        sleep_ms(5);
    }
    cr_assert_fail("the server still has %d sockets open", n);
}

/* ---- clients ---- */

static int connect_to(int port, int rcvbuf)
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

static void nonblock(int fd)
{
    cr_assert(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
}

/* One client: it sends out (then shuts down its sending side) while it
 * reads what comes back, until end of file. */
struct peer {
    int wfd, rfd;             /* one socket, or a program's stdin, stdout */
    const unsigned char *out; /* what it sends */
    size_t outlen, sent;
    unsigned char *in;        /* what came back */
    size_t inlen, got;        /* room in `in`; more is an error */
    size_t stop_at;  /* disconnect once this much came back; 0: never */
    int forever;     /* sends out again and again, never reads: the hog */
    int done;
};

static void peer_socket(struct peer *p, int fd, const unsigned char *out,
                        size_t len)
{
    memset(p, 0, sizeof *p);
    nonblock(fd);
    p->wfd = p->rfd = fd;
    p->out = out;
    p->outlen = len;
    p->inlen = len;
    p->in = malloc(len ? len : 1);
    cr_assert(p->in);
}

static void peer_close(struct peer *p)
{
    if (p->wfd >= 0 && p->wfd != p->rfd)
        close(p->wfd);
    if (p->rfd >= 0)
        close(p->rfd);
    p->wfd = p->rfd = -1;
    p->done = 1;
}

/* Disconnect mid-transfer: even peers reset the connection, odd ones just
 * close it. */
static void peer_abort(struct peer *p, int i)
{
    struct linger reset = {1, 0};

    if (i % 2 == 0)
        setsockopt(p->rfd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    peer_close(p);
}

static void peer_write(struct peer *p, int i)
{
    ssize_t n = write(p->wfd, p->out + p->sent, p->outlen - p->sent);

    if (n < 0 && errno == EAGAIN)
        return;
    cr_assert(n >= 0, "client %d: write: %s", i, strerror(errno));
    p->sent += (size_t)n;
    if (p->sent < p->outlen)
        return;
    if (p->forever) {
        p->sent = 0;
    } else if (p->wfd == p->rfd) {
        shutdown(p->wfd, SHUT_WR);
    } else {
        close(p->wfd);
        p->wfd = -1;
    }
}

static void peer_read(struct peer *p, int i)
{
    static unsigned char buf[65536];
    ssize_t n = read(p->rfd, buf, sizeof buf);

    if (n < 0 && errno == EAGAIN)
        return;
    cr_assert(n >= 0, "client %d: read: %s", i, strerror(errno));
    if (n == 0) {
        peer_close(p);
        return;
    }
    cr_assert(p->got + (size_t)n <= p->inlen,
              "client %d: got more than %zu bytes back", i, p->inlen);
    memcpy(p->in + p->got, buf, (size_t)n);
    p->got += (size_t)n;
    if (p->stop_at && p->got >= p->stop_at)
        peer_abort(p, i);
}

static int wants_write(const struct peer *p)
{
    return p->wfd >= 0 && (p->forever || p->sent < p->outlen);
}

/* Move the bytes of every peer until each one that is not `forever` is
 * done; the others still send meanwhile. */
static void pump(struct peer *p, int n)
{
    struct pollfd *fds = malloc(2 * (size_t)n * sizeof *fds);
    int *owner = malloc(2 * (size_t)n * sizeof *owner);

    cr_assert(fds && owner);
    for (;;) {
        int k = 0, waiting = 0;

        for (int i = 0; i < n; i++) {
            if (p[i].done)
                continue;
            waiting += !p[i].forever;
            if (wants_write(&p[i])) {
                fds[k] = (struct pollfd){p[i].wfd, POLLOUT, 0};
                owner[k++] = i;
            }
            if (p[i].forever)
                continue;
            if (p[i].rfd == p[i].wfd && k > 0 && owner[k - 1] == i)
                fds[k - 1].events |= POLLIN;
            else {
                fds[k] = (struct pollfd){p[i].rfd, POLLIN, 0};
                owner[k++] = i;
            }
        }
        if (!waiting)
            break;
        cr_assert(poll(fds, (nfds_t)k, GUARD_MS) > 0,
                  "no progress for %d ms", GUARD_MS);
        for (int j = 0; j < k; j++) {
            struct peer *q = &p[owner[j]];
            short ev = fds[j].revents;

            if ((ev & (POLLIN | POLLHUP | POLLERR)) && !q->done &&
                !q->forever && fds[j].fd == q->rfd)
                peer_read(q, owner[j]);
            if ((ev & (POLLOUT | POLLHUP | POLLERR)) && !q->done &&
                wants_write(q) && fds[j].fd == q->wfd)
                peer_write(q, owner[j]);
        }
    }
    free(fds);
    free(owner);
}

/* Each peer got back exactly what it sent, then end of file. */
static void assert_echoed(const struct peer *p, int n)
{
    for (int i = 0; i < n; i++) {
        cr_assert_eq(p[i].got, p[i].outlen, "client %d: sent %zu, got %zu",
                     i, p[i].outlen, p[i].got);
        cr_assert(memcmp(p[i].in, p[i].out, p[i].outlen) == 0,
                  "client %d: the echo differs from what it sent", i);
    }
}

static void free_peers(struct peer *p, int n)
{
    for (int i = 0; i < n; i++) {
        if (!p[i].done)
            peer_close(&p[i]);
        free(p[i].in);
        free((void *)p[i].out);
    }
}

/* One more client, with len random bytes that must come back exactly. */
static void one_client_echo(size_t len)
{
    struct peer p;

    peer_socket(&p, connect_to(srv.port, 0), random_bytes(len), len);
    pump(&p, 1);
    assert_echoed(&p, 1);
    free_peers(&p, 1);
}

TestSuite(echoserver, .init = setup, .fini = teardown);

Test(echoserver, hundred_clients_random_payloads)
{
    struct peer p[100];

    server_start();
    for (int i = 0; i < 100; i++) {
        size_t len = i == 0 ? 1 : i == 1 ? MiB : 1 + rng_next() % MiB;

        peer_socket(&p[i], connect_to(srv.port, 0), random_bytes(len), len);
    }
    pump(p, 100);
    assert_echoed(p, 100);
    free_peers(p, 100);
    wait_handlers_gone();
    server_stop_clean();
}

Test(echoserver, clients_that_disconnect_mid_transfer)
{
    struct peer p[20];

    server_start();
    for (int i = 0; i < 20; i++) {
        peer_socket(&p[i], connect_to(srv.port, 0), random_bytes(MiB), MiB);
        p[i].stop_at = 1 + (size_t)i * 4096;
    }
    pump(p, 20);
    for (int i = 0; i < 20; i++)
        cr_assert(p[i].got < MiB, "client %d did not stop early", i);
    free_peers(p, 20);
    one_client_echo(MiB);
    wait_handlers_gone();
    server_stop_clean(); /* a client that goes away is no error */
}

Test(echoserver, a_client_that_never_reads)
{
    struct peer p[11];
    struct pollfd hog;

    server_start();
    /* The hog sends without end and never reads; its small receive buffer
     * soon leaves its handler waiting in io_send. When is up to the
     * kernel: the test checks only that the others are served. */
    peer_socket(&p[0], connect_to(srv.port, 4096), random_bytes(65536),
                65536);
    p[0].forever = 1;
    hog = (struct pollfd){p[0].rfd, POLLIN | POLLOUT, 0};
    do { /* until its handler is echoing to it */
        cr_assert(poll(&hog, 1, GUARD_MS) == 1, "the hog got no echo");
        if (hog.revents & POLLOUT)
            peer_write(&p[0], 0);
    } while (!(hog.revents & POLLIN));
    for (int i = 1; i < 11; i++) {
        size_t len = MiB / 4 + rng_next() % MiB;

        peer_socket(&p[i], connect_to(srv.port, 0), random_bytes(len), len);
    }
    pump(p, 11);
    assert_echoed(p + 1, 10);
    free_peers(p, 11);
    wait_handlers_gone();
    server_stop_clean();
}

static void count_low_fd(int fd, const char *link, void *arg)
{
    (void)link;
    if (fd < FD_SETSIZE)
        ++*(int *)arg;
}

/* Each line must be the documented one for an fd of FD_SETSIZE or more;
 * returns how many there are. */
static int count_fd_limit_lines(const char *err)
{
    char expected[160];
    int n = 0, fd;

    for (const char *s = err; *s; s += strlen(expected), n++) {
        fd = -1;
        sscanf(s, "echoserver: connection on fd %d ", &fd);
        snprintf(expected, sizeof expected,
                 "echoserver: connection on fd %d closed: fd is FD_SETSIZE "
                 "or more: select() cannot watch it\n", fd);
        cr_assert(fd >= FD_SETSIZE &&
                      strncmp(s, expected, strlen(expected)) == 0,
                  "unexpected line on the server's stderr: %.200s", s);
    }
    return n;
}

Test(echoserver, connections_past_fd_setsize)
{
    enum { N = 1100 };
    struct peer *p = calloc(N, sizeof *p);
    char *err;
    int low = 0, watchable;

    cr_assert(p);
    server_start();
    /* accept() takes the lowest free fd and the connections stay open, so
     * the first `watchable` of them, in the order they connect, get an fd
     * below FD_SETSIZE; the others are accepted and closed at once. */
    server_fds(count_low_fd, &low);
    watchable = FD_SETSIZE - low;
    cr_assert(watchable > 1000 && watchable < N,
              "the server has %d free fds below FD_SETSIZE", watchable);
    for (int i = 0; i < N; i++) {
        size_t len = i < watchable ? 1 + rng_next() % 200 : 0;

        peer_socket(&p[i], connect_to(srv.port, 0), random_bytes(len), len);
    }
    /* The others get end of file and nothing back. Once they all have, the
     * server has accepted every connection, so none that it watches can
     * get a freed fd below FD_SETSIZE when the first ones end. */
    pump(p + watchable, N - watchable);
    pump(p, watchable);
    assert_echoed(p, N);
    free_peers(p, N);
    free(p);
    wait_handlers_gone();
    err = server_stop(SIGTERM);
    cr_assert_eq(count_fd_limit_lines(err), N - watchable);
    free(err);
}

/* Idle clients, and one whose echo is under way, when the signal comes. */
static void stop_with_clients(int sig)
{
    int idle[5], busy;
    unsigned char *payload = random_bytes(MiB);
    char *err;
    ssize_t n;

    server_start();
    for (int i = 0; i < 5; i++)
        idle[i] = connect_to(srv.port, 0);
    busy = connect_to(srv.port, 0);
    nonblock(busy);
    n = write(busy, payload, MiB);
    cr_assert(n > 0, "write: %s", strerror(errno));
    err = server_stop(sig);
    cr_assert_str_empty(err, "the server's stderr:\n%s", err);
    free(err);
    for (int i = 0; i < 5; i++)
        close(idle[i]);
    close(busy);
    free(payload);
}

Test(echoserver, sigterm_exits_0)
{
    stop_with_clients(SIGTERM);
}

Test(echoserver, sigint_exits_0)
{
    stop_with_clients(SIGINT);
}

/* ---- nc and socat ---- */

/* Under valgrind --trace-children (make valgrind-tests), nc and socat run
 * under valgrind too, which finds their own harmless leaks. These
 * suppressions, which add to the command line's, hide what is theirs. */
static const char tools_supp[] =
    "{\n nc\n Memcheck:Leak\n match-leak-kinds: all\n ...\n"
    " obj:*/nc.openbsd\n}\n"
    "{\n socat\n Memcheck:Leak\n match-leak-kinds: all\n ...\n"
    " obj:*/socat\n}\n";

static char supp_opt[64];

/* environ with VALGRIND_OPTS=--suppressions=FILE, FILE holding tools_supp
 * (supp_path; teardown removes it). */
static char **tool_env(void)
{
    size_t n = 0, j = 0;
    char **env;
    int fd = mkstemp(supp_path);

    cr_assert(fd >= 0, "mkstemp: %s", strerror(errno));
    cr_assert(write(fd, tools_supp, sizeof tools_supp - 1) ==
              (ssize_t)sizeof tools_supp - 1);
    close(fd);
    snprintf(supp_opt, sizeof supp_opt, "VALGRIND_OPTS=--suppressions=%s",
             supp_path);
    while (environ[n])
        n++;
    env = calloc(n + 2, sizeof *env);
    cr_assert(env);
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "VALGRIND_OPTS=", 14) != 0)
            env[j++] = environ[i];
    env[j] = supp_opt;
    return env;
}

/* The path of a program in $PATH. */
static char *which(const char *name)
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

/* Run a program that copies its stdin to the server and the server's
 * answer to its stdout; what comes out must be what went in. */
static void round_trip(char *argv[])
{
    static const char hello[] = "hello\n";
    size_t len = sizeof hello - 1 + 256 * 1024;
    unsigned char *payload = random_bytes(len);
    int in[2], out[2], null = open_null(), status;
    char **env = tool_env();
    struct peer p;
    pid_t pid;

    memcpy(payload, hello, sizeof hello - 1);
    cr_assert(pipe(in) == 0 && pipe(out) == 0);
    pid = spawn(argv, env, in[0], out[1], null);
    close(in[0]);
    close(out[1]);
    close(null);
    peer_socket(&p, in[1], payload, len);
    p.rfd = out[0];
    nonblock(p.rfd);
    pump(&p, 1);
    status = wait_exit(pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "%s: status 0x%x", argv[0], status);
    assert_echoed(&p, 1);
    free_peers(&p, 1);
    free(env);
    wait_handlers_gone();
    server_stop_clean();
}

Test(echoserver, nc_round_trip)
{
    char port[16];
    /* -N: shut the socket down at the end of stdin (netcat-openbsd). */
    char *argv[] = {which("nc"), "-N", "127.0.0.1", port, NULL};

    server_start();
    snprintf(port, sizeof port, "%d", srv.port);
    round_trip(argv);
}

Test(echoserver, socat_round_trip)
{
    char addr[64];
    /* -t: after the end of stdin, wait this long for the server's end
     * (default 0.5 s); a hang guard here, the server ends it first. */
    char *argv[] = {which("socat"), "-t", "60", "-", addr, NULL};

    server_start();
    snprintf(addr, sizeof addr, "TCP:127.0.0.1:%d", srv.port);
    round_trip(argv);
}

/* ---- arguments ---- */

/* Run the server with args; it must exit with code, printing nothing on
 * stdout. Returns its stderr. */
static char *run_server(char *const args[], int code)
{
    char *argv[8] = {(char *)find_server()};
    int out = temp_file(), err = temp_file(), null = open_null(), status;
    char *text;

    for (int i = 0; args[i]; i++)
        argv[i + 1] = args[i];
    status = wait_exit(spawn(argv, environ, null, out, err));
    text = file_text(out);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == code,
              "status 0x%x, not exit %d; stderr:\n%s", status, code,
              file_text(err));
    cr_assert_str_empty(text, "stdout: %s", text);
    free(text);
    text = file_text(err);
    close(out);
    close(err);
    close(null);
    return text;
}

Test(echoserver, bad_arguments_exit_2)
{
    static char *const cases[][3] = {
        {"--port", "65536", NULL}, {"--port", "-1", NULL},
        {"--port", "80x", NULL},   {"--port", "", NULL},
        {"--port", NULL, NULL},    {"--host", "1.2.3", NULL},
        {"--host", "::1", NULL},   {"--host", "localhost", NULL},
        {"--verbose", NULL, NULL}, {"8080", NULL, NULL},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = run_server(cases[i], 2);

        cr_assert(strstr(err, "usage: echoserver [--host ADDRESS] "
                              "[--port PORT]\n"),
                  "case %zu: no usage on stderr:\n%s", i, err);
        free(err);
    }
}

Test(echoserver, port_in_use_exits_1)
{
    char port[16], expected[128];
    char *args[] = {"--port", port, NULL};
    char *err;

    server_start();
    snprintf(port, sizeof port, "%d", srv.port);
    err = run_server(args, 1);
    snprintf(expected, sizeof expected,
             "echoserver: cannot listen on 127.0.0.1:%d: "
             "Address already in use\n", srv.port);
    cr_assert_str_eq(err, expected);
    free(err);
    server_stop_clean();
}
