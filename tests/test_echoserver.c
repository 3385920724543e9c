/*
 * test_echoserver: the echo servers over real sockets, driven from outside
 * the runtime by plain clients: non-blocking sockets and poll().
 *
 * Suite echoserver tests stage 4's echoserver, which echoes bytes; suite
 * echoserver_on_stage5 tests the same program built against stage 5's
 * runtime (a carried program, tests/carried). A server is
 * $COURSE_BIN/STAGE/NAME, else $COURSE_ROOT/STAGE/NAME, else ./STAGE/NAME
 * (the tests run from the repository root).
 *
 * Nothing here measures time. Every wait has a hang guard, GUARD_MS
 * without any progress, far above what a loaded machine or valgrind needs.
 * Under `make valgrind-tests` the server runs under valgrind too
 * (--trace-children), and a server that leaks exits 99, not 0. To run only
 * the servers under a tool, set ECHOSERVER_RUNNER to its command line
 * (words separated by spaces), e.g. 'valgrind -q --error-exitcode=99
 * --leak-check=full': the servers must still exit 0.
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

#include "server_proc.h"
#define MiB (1024 * 1024)
#define KiB 1024

/* The servers, from $COURSE_BIN or $COURSE_ROOT. */
#define STAGE4 "stage4-io/echoserver"
#define STAGE5 "stage5-subtasks/echoserver"

/* The longest line random_lines makes, not counting its newline. */
#define LONGEST_LINE 65534

extern char **environ;

/* ---- random payloads from a fixed seed ---- */

/* n bytes of lines: printable bytes, then a newline. Most lines are short,
 * one in four is up to LONGEST_LINE bytes long; the last may be cut short,
 * without its newline. */
static unsigned char *random_lines(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    size_t i = 0;

    cr_assert(p, "no memory for %zu bytes", n);
    while (i < n) {
        size_t len = rng_next() % 4 == 0 ? rng_next() % (LONGEST_LINE + 1)
                                         : rng_next() % 100;

        for (size_t k = 0; k < len && i < n; k++)
            p[i++] = (unsigned char)(' ' + rng_next() % 95);
        if (i < n)
            p[i++] = '\n';
    }
    return p;
}

/* n bytes of 16-byte lines: 15 printable bytes, then a newline. */
static unsigned char *short_lines(size_t n)
{
    unsigned char *p = random_bytes(n);

    for (size_t i = 0; i < n; i++)
        p[i] = i % 16 == 15 ? '\n' : (unsigned char)(' ' + p[i] % 95);
    return p;
}

/* ---- the server ---- */

static char server_path[4096];

/* The path of program, STAGE4 or STAGE5. */
static const char *find_server(const char *program)
{
    const char *bin = getenv("COURSE_BIN"), *root = getenv("COURSE_ROOT");

    if (bin && *bin)
        snprintf(server_path, sizeof server_path, "%s/%s", bin, program);
    else
        snprintf(server_path, sizeof server_path, "%s/%s",
                 root && *root ? root : ".", program);
    cr_assert(access(server_path, X_OK) == 0, "no server at %s: %s",
              server_path, strerror(errno));
    return server_path;
}


/* The command line that runs program with args: $ECHOSERVER_RUNNER's
 * words first, if it is set. Valid until the next call. */
static char **server_argv(const char *program, char *const args[])
{
    static char runner[4096], tool[4096];
    static char *argv[64];
    const char *env = getenv("ECHOSERVER_RUNNER");
    int n = 0;

    if (env && *env) {
        snprintf(runner, sizeof runner, "%s", env);
        for (char *w = strtok(runner, " "); w && n < 48;
             w = strtok(NULL, " "))
            argv[n++] = w;
        snprintf(tool, sizeof tool, "%s",
                 strchr(argv[0], '/') ? argv[0] : which(argv[0]));
        argv[0] = tool;
    }
    argv[n++] = (char *)find_server(program);
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return argv;
}

/* Valgrind suppressions for nc and socat, a temp file; see tool_env(). */
static char supp_path[] = "/tmp/test_echoserver_supp.XXXXXX";

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    rng_state = 0x9e3779b97f4a7c15u;
}

static void teardown(void)
{
    server_kill();
    if (!strstr(supp_path, "XXXXXX"))
        unlink(supp_path);
}

static void server_start(const char *program)
{
    char *const args[] = {"--port", "0", NULL};

    server_launch(server_argv(program, args));
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

/* Something that makes a payload of n bytes: random_bytes, random_lines. */
typedef unsigned char *payload_fn(size_t n);

/* One more client, with a payload of len bytes that must come back
 * exactly. */
static void one_client_echo(payload_fn *payload, size_t len)
{
    struct peer p;

    peer_socket(&p, connect_to(srv.port, 0), payload(len), len);
    pump(&p, 1);
    assert_echoed(&p, 1);
    free_peers(&p, 1);
}

TestSuite(echoserver, .init = setup, .fini = teardown);

Test(echoserver, hundred_clients_random_payloads)
{
    struct peer p[100];

    server_start(STAGE4);
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

    server_start(STAGE4);
    for (int i = 0; i < 20; i++) {
        peer_socket(&p[i], connect_to(srv.port, 0), random_bytes(MiB), MiB);
        p[i].stop_at = 1 + (size_t)i * 4096;
    }
    pump(p, 20);
    for (int i = 0; i < 20; i++)
        cr_assert(p[i].got < MiB, "client %d did not stop early", i);
    free_peers(p, 20);
    one_client_echo(random_bytes, MiB);
    wait_handlers_gone();
    server_stop_clean(); /* a client that goes away is no error */
}

/* The others are served while one client never reads; their payloads come
 * from payload. */
static void a_client_that_never_reads(const char *program,
                                      payload_fn *payload)
{
    struct peer p[11];
    struct pollfd hog;

    server_start(program);
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

        peer_socket(&p[i], connect_to(srv.port, 0), payload(len), len);
    }
    pump(p, 11);
    assert_echoed(p + 1, 10);
    free_peers(p, 11);
    wait_handlers_gone();
    server_stop_clean();
}

Test(echoserver, a_client_that_never_reads)
{
    a_client_that_never_reads(STAGE4, random_bytes);
}

static void count_low_fd(int fd, const char *link, void *arg)
{
    (void)link;
    if (fd < FD_SETSIZE)
        ++*(int *)arg;
}

/* The name a server gives itself in its messages: "stage4-io/echoserver"
 * -> "echoserver". */
static const char *name_of(const char *program)
{
    const char *slash = strrchr(program, '/');

    return slash ? slash + 1 : program;
}

/* Each line must say "NAME: connection on fd N closed: WHY" for an fd N of
 * min_fd or more; returns how many there are. */
static int count_closed_lines(const char *program, const char *err,
                              int min_fd, const char *why)
{
    const char *name = name_of(program);
    char format[64], expected[160];
    int n = 0, fd;

    snprintf(format, sizeof format, "%s: connection on fd %%d ", name);
    for (const char *s = err; *s; s += strlen(expected), n++) {
        fd = -1;
        sscanf(s, format, &fd);
        snprintf(expected, sizeof expected,
                 "%s: connection on fd %d closed: %s\n", name, fd, why);
        cr_assert(fd >= min_fd && strncmp(s, expected, strlen(expected)) == 0,
                  "unexpected line on the server's stderr: %.200s", s);
    }
    return n;
}

/* 1100 clients: those on an fd below FD_SETSIZE get their payload back,
 * the others are turned away, with one line on stderr for all of them:
 * they come in one burst. */
static void connections_past_fd_setsize(const char *program,
                                        payload_fn *payload)
{
    enum { N = 1100 };
    struct peer *p = calloc(N, sizeof *p);
    char *err;
    int low = 0, watchable;

    cr_assert(p);
    server_start(program);
    /* accept() takes the lowest free fd and the connections stay open, so
     * the first `watchable` of them, in the order they connect, get an fd
     * below FD_SETSIZE; the others are accepted and closed at once. */
    server_fds(count_low_fd, &low);
    watchable = FD_SETSIZE - low;
    cr_assert(watchable > 1000 && watchable < N,
              "the server has %d free fds below FD_SETSIZE", watchable);
    for (int i = 0; i < N; i++) {
        size_t len = i < watchable ? 1 + rng_next() % 200 : 0;

        peer_socket(&p[i], connect_to(srv.port, 0), payload(len), len);
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
    cr_assert_eq(count_closed_lines(program, err, FD_SETSIZE,
                                    "fd is FD_SETSIZE or more: select() "
                                    "cannot watch it"),
                 1, "%d connections turned away; stderr:\n%.400s",
                 N - watchable, err);
    free(err);
}

Test(echoserver, connections_past_fd_setsize)
{
    connections_past_fd_setsize(STAGE4, random_bytes);
}

/* Idle clients, and one whose echo is under way, when the signal comes. */
static void stop_with_clients(const char *program, int sig)
{
    int idle[5], busy;
    unsigned char *payload = random_bytes(MiB);
    char *err;
    ssize_t n;

    server_start(program);
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
    stop_with_clients(STAGE4, SIGTERM);
}

Test(echoserver, sigint_exits_0)
{
    stop_with_clients(STAGE4, SIGINT);
}

/* Clients that send without a pause keep an fd ready on every pass of the
 * loop; the signal must stop the server all the same. */
static void stop_under_load(const char *program, int sig,
                            payload_fn *payload)
{
    unsigned char *msg = payload(64 * KiB);
    pid_t streamers[2];
    char *err;

    server_start(program);
    /* Two processes: together they send faster than the server echoes. */
    for (int i = 0; i < 2; i++)
        streamers[i] = start_streamers(srv.port, 25, msg, 64 * KiB);
    err = server_stop(sig);
    cr_assert_str_empty(err, "the server's stderr:\n%s", err);
    free(err);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(wait_exit(streamers[i]), 0, "the streamers hung");
    free(msg);
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

/* Run a program that copies its stdin to the server and the server's
 * answer to its stdout; what comes out must be what went in: "hello\n",
 * then 256 KiB from payload. */
static void round_trip(char *argv[], payload_fn *payload)
{
    static const char hello[] = "hello\n";
    size_t len = sizeof hello - 1 + 256 * 1024;
    unsigned char *bytes = payload(len);
    int in[2], out[2], null = open_null(), status;
    char **env = tool_env();
    struct peer p;
    pid_t pid;

    memcpy(bytes, hello, sizeof hello - 1);
    cr_assert(pipe(in) == 0 && pipe(out) == 0);
    pid = spawn(argv, env, in[0], out[1], null);
    close(in[0]);
    close(out[1]);
    close(null);
    peer_socket(&p, in[1], bytes, len);
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

/* The server starts first: under ECHOSERVER_RUNNER, it calls which() too,
 * whose answer lasts until the next call. */
static void nc_round_trip(const char *program, payload_fn *payload)
{
    char port[16];

    server_start(program);
    snprintf(port, sizeof port, "%d", srv.port);
    /* -N: shut the socket down at the end of stdin (netcat-openbsd). */
    round_trip((char *[]){which("nc"), "-N", "127.0.0.1", port, NULL},
               payload);
}

Test(echoserver, nc_round_trip)
{
    nc_round_trip(STAGE4, random_bytes);
}

static void socat_round_trip(const char *program, payload_fn *payload)
{
    char addr[64];

    server_start(program);
    snprintf(addr, sizeof addr, "TCP:127.0.0.1:%d", srv.port);
    /* -t: after the end of stdin, wait this long for the server's end
     * (default 0.5 s); a hang guard here, the server ends it first. */
    round_trip((char *[]){which("socat"), "-t", "60", "-", addr, NULL},
               payload);
}

Test(echoserver, socat_round_trip)
{
    socat_round_trip(STAGE4, random_bytes);
}

/* ---- arguments ---- */

/* Run program with args; it must exit with code, printing nothing on
 * stdout. Returns its stderr. */
static char *run_server(const char *program, char *const args[], int code)
{
    char **argv = server_argv(program, args);
    int out = temp_file(), err = temp_file(), null = open_null(), status;
    char *text;

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

static void bad_arguments_exit_2(const char *program)
{
    static char *const cases[][3] = {
        {"--port", "65536", NULL}, {"--port", "-1", NULL},
        {"--port", "80x", NULL},   {"--port", "", NULL},
        {"--port", NULL, NULL},    {"--host", "1.2.3", NULL},
        {"--host", "1::2::3", NULL}, {"--host", "localhost", NULL},
        {"--verbose", NULL, NULL}, {"8080", NULL, NULL},
    };

    char usage[96];

    snprintf(usage, sizeof usage, "usage: %s [--host ADDRESS] [--port PORT]\n",
             name_of(program));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = run_server(program, cases[i], 2);

        cr_assert(strstr(err, usage),
                  "case %zu: no usage on stderr:\n%s", i, err);
        free(err);
    }
}

Test(echoserver, bad_arguments_exit_2)
{
    bad_arguments_exit_2(STAGE4);
}

static void port_in_use_exits_1(const char *program)
{
    char port[16], expected[128];
    char *args[] = {"--port", port, NULL};
    char *err;

    server_start(program);
    snprintf(port, sizeof port, "%d", srv.port);
    err = run_server(program, args, 1);
    snprintf(expected, sizeof expected,
             "%s: cannot listen on 127.0.0.1:%d: Address already in use\n",
             name_of(program), srv.port);
    cr_assert_str_eq(err, expected);
    free(err);
    server_stop_clean();
}

Test(echoserver, port_in_use_exits_1)
{
    port_in_use_exits_1(STAGE4);
}

/* Over IPv6: the server listens on host, says so as [host]:PORT, and
 * echoes to a client that connects to ::1 (connect_to does, when the
 * server said [::1] or [::]). */
static void echoes_over_ipv6(const char *program, const char *host,
                             payload_fn *payload)
{
    char *const args[] = {"--host", (char *)host, "--port", "0", NULL};

    server_launch(server_argv(program, args));
    cr_assert(srv.ipv6, "the server did not say it listens on IPv6");
    one_client_echo(payload, 64 * KiB);
    wait_handlers_gone();
    server_stop_clean();
}

Test(echoserver, echoes_over_ipv6_loopback)
{
    echoes_over_ipv6(STAGE4, "::1", random_bytes);
}

Test(echoserver, echoes_over_ipv6_on_every_address)
{
    echoes_over_ipv6(STAGE4, "::", random_bytes);
}

/* ---- stage 4's server on stage 5's runtime ---- */

/* A connected client socket, non-blocking, for the step-by-step tests. */
static int client(void)
{
    int fd = connect_to(srv.port, 0);

    nonblock(fd);
    return fd;
}

/* Send all len bytes. Returns 1, or 0 if the server closed the connection
 * first (EPIPE or ECONNRESET). */
static int send_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    struct pollfd w = {fd, POLLOUT, 0};

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return 0;
        if (n < 0 && errno == EAGAIN) {
            cr_assert(poll(&w, 1, GUARD_MS) == 1, "cannot send for %d ms",
                      GUARD_MS);
            continue;
        }
        cr_assert(n > 0, "write: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

/* The next len bytes that come back must be expected. */
static void recv_expect(int fd, const void *expected, size_t len)
{
    unsigned char *buf = malloc(len ? len : 1);
    struct pollfd r = {fd, POLLIN, 0};
    size_t got = 0;

    cr_assert(buf);
    while (got < len) {
        ssize_t n;

        cr_assert(poll(&r, 1, GUARD_MS) == 1,
                  "nothing came back for %d ms; got %zu of %zu bytes",
                  GUARD_MS, got, len);
        n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EAGAIN)
            continue;
        cr_assert(n > 0, "got %zu of %zu bytes, then %s", got, len,
                  n == 0 ? "end of file" : strerror(errno));
        got += (size_t)n;
    }
    cr_assert(memcmp(buf, expected, len) == 0,
              "the %zu bytes that came back differ from those expected",
              len);
    free(buf);
}

/* Nothing more comes back: the server ends the connection, with end of
 * file, or, if reset_ok, possibly with a reset. */
static void recv_end(int fd, int reset_ok)
{
    struct pollfd r = {fd, POLLIN, 0};
    unsigned char c;
    ssize_t n;

    do {
        cr_assert(poll(&r, 1, GUARD_MS) == 1,
                  "the server did not end the connection in %d ms",
                  GUARD_MS);
        n = read(fd, &c, 1);
    } while (n < 0 && errno == EAGAIN);
    if (n < 0 && errno == ECONNRESET && reset_ok)
        return;
    cr_assert(n == 0, "expected the end of the connection, got %s",
              n > 0 ? "a byte more" : strerror(errno));
}

/* One line goes round: sent, and the same bytes back. */
static void echo_line(int fd, const char *line)
{
    cr_assert(send_all(fd, line, strlen(line)));
    recv_expect(fd, line, strlen(line));
}

/* A line of len printable bytes, then a newline: len + 1 bytes. */
static unsigned char *one_line(size_t len)
{
    unsigned char *p = malloc(len + 1);

    cr_assert(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)(' ' + rng_next() % 95);
    p[len] = '\n';
    return p;
}

TestSuite(echoserver_on_stage5, .init = setup, .fini = teardown);

Test(echoserver_on_stage5, hundred_clients_random_lines)
{
    struct peer p[100];

    server_start(STAGE5);
    for (int i = 0; i < 100; i++) {
        size_t len = i == 0 ? 1 : i == 1 ? 256 * KiB
                                         : 1 + rng_next() % (256 * KiB);
        unsigned char *out = random_lines(len);

        if (i == 1) { /* begins with a line of the longest length */
            memset(out, 'L', LONGEST_LINE);
            out[LONGEST_LINE] = '\n';
        }
        peer_socket(&p[i], connect_to(srv.port, 0), out, len);
    }
    pump(p, 100);
    assert_echoed(p, 100);
    free_peers(p, 100);
    wait_handlers_gone();
    server_stop_clean();
}

Test(echoserver_on_stage5, a_last_line_without_newline_comes_back_at_eof)
{
    static const char *const cases[] = {"x", "first\nsecond", "\n\nlast"};
    unsigned char *longest = one_line(LONGEST_LINE);
    int fd;

    server_start(STAGE5);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fd = client();
        cr_assert(send_all(fd, cases[i], strlen(cases[i])));
        shutdown(fd, SHUT_WR);
        recv_expect(fd, cases[i], strlen(cases[i]));
        recv_end(fd, 0);
        close(fd);
    }
    fd = client(); /* the longest line, without its newline */
    cr_assert(send_all(fd, longest, LONGEST_LINE));
    shutdown(fd, SHUT_WR);
    recv_expect(fd, longest, LONGEST_LINE);
    recv_end(fd, 0);
    close(fd);
    free(longest);
    wait_handlers_gone();
    server_stop_clean();
}

Test(echoserver_on_stage5, clients_that_disconnect_mid_line)
{
    struct peer p[10];
    int fds[20];

    server_start(STAGE5);
    /* Each sends lines and half a line, gets the lines back, and goes:
     * even ones reset the connection, odd ones close it. */
    for (int i = 0; i < 20; i++) {
        size_t len = 2 + rng_next() % (8 * KiB), whole = len - 1;
        unsigned char *out = random_lines(len);

        out[len - 1] = 'h'; /* the last line is cut short */
        while (whole > 0 && out[whole - 1] != '\n')
            whole--;
        fds[i] = client();
        cr_assert(send_all(fds[i], out, len));
        recv_expect(fds[i], out, whole);
        free(out);
    }
    for (int i = 0; i < 20; i++) {
        struct linger reset = {1, 0};

        if (i % 2 == 0)
            setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        close(fds[i]);
    }
    /* These go away while their echo is under way. */
    for (int i = 0; i < 10; i++) {
        peer_socket(&p[i], connect_to(srv.port, 0), random_lines(256 * KiB),
                    256 * KiB);
        p[i].stop_at = 1 + (size_t)i * 4096;
    }
    pump(p, 10);
    for (int i = 0; i < 10; i++)
        cr_assert(p[i].got < 256 * KiB, "client %d did not stop early", i);
    free_peers(p, 10);
    one_client_echo(random_lines, 256 * KiB);
    wait_handlers_gone();
    server_stop_clean(); /* a client that goes away is no error */
}

Test(echoserver_on_stage5, a_client_that_never_reads)
{
    a_client_that_never_reads(STAGE5, random_lines);
}

Test(echoserver_on_stage5, connections_past_fd_setsize)
{
    connections_past_fd_setsize(STAGE5, random_lines);
}

Test(echoserver_on_stage5, sigterm_exits_0)
{
    stop_with_clients(STAGE5, SIGTERM);
}

Test(echoserver_on_stage5, sigint_exits_0)
{
    stop_with_clients(STAGE5, SIGINT);
}

Test(echoserver_on_stage5, nc_round_trip)
{
    nc_round_trip(STAGE5, random_lines);
}

Test(echoserver_on_stage5, socat_round_trip)
{
    socat_round_trip(STAGE5, random_lines);
}

Test(echoserver_on_stage5, bad_arguments_exit_2)
{
    bad_arguments_exit_2(STAGE5);
}

Test(echoserver_on_stage5, port_in_use_exits_1)
{
    port_in_use_exits_1(STAGE5);
}

Test(echoserver_on_stage5, echoes_over_ipv6_loopback)
{
    echoes_over_ipv6(STAGE5, "::1", random_lines);
}

/* ---- under load: clients that never pause ---- */

/* While one client streams short lines without a pause, another's ping
 * comes back: the streamer's task gives the loop back after each read and
 * each write. */
static void streamer_and_ping(const char *program)
{
    unsigned char *msg = short_lines(64 * KiB);
    pid_t streamer;
    int fd;

    server_start(program);
    streamer = start_streamers(srv.port, 1, msg, 64 * KiB);
    fd = client();
    for (int i = 0; i < 10; i++)
        echo_line(fd, "ping\n");
    close(fd);
    server_stop_clean();
    cr_assert_eq(wait_exit(streamer), 0, "the streamer hung");
    free(msg);
}

Test(echoserver, sigterm_stops_it_under_full_load)
{
    stop_under_load(STAGE4, SIGTERM, short_lines);
}

Test(echoserver, sigint_stops_it_under_full_load)
{
    stop_under_load(STAGE4, SIGINT, short_lines);
}

Test(echoserver_on_stage5, sigterm_stops_it_under_full_load)
{
    stop_under_load(STAGE5, SIGTERM, short_lines);
}

Test(echoserver_on_stage5, a_client_that_streams_does_not_starve_another)
{
    streamer_and_ping(STAGE5);
}

/* ---- out of fds ---- */

/* How many times err says that accept() ran out of fds. */
static int count_out_of_fds(const char *program, const char *err)
{
    char line[128];
    int n = 0;

    snprintf(line, sizeof line, "%s: accept: %s\n", name_of(program),
             strerror(EMFILE));
    for (const char *s = err; (s = strstr(s, line)); s += strlen(line))
        n++;
    return n;
}

/* Wait until the server has said n times that it is out of fds. */
static void wait_out_of_fds_said(const char *program, int n)
{
    for (long ms = 0; ms < GUARD_MS; ms += 5) {
        char *err = file_text(srv.err);
        int said = count_out_of_fds(program, err);

        free(err);
        if (said >= n)
            return;
        sleep_ms(5);
    }
    cr_assert_fail("the server did not say it is out of fds");
}

/* Under a limit of 32 fds, 40 clients connect: accept() fails until they
 * leave. The server says so once for each such burst, however long it
 * lasts, and then serves again. It runs without $ECHOSERVER_RUNNER: a tool
 * such as valgrind needs more fds than that. */
static void out_of_fds_is_said_once_a_burst(const char *program)
{
    char *argv[] = {which("prlimit"), "--nofile=32:32",
                    (char *)find_server(program), "--port", "0", NULL};
    int fd[40];
    char *err;

    server_launch(argv);
    for (int burst = 1; burst <= 2; burst++) {
        for (int i = 0; i < 40; i++)
            fd[i] = connect_to(srv.port, 0);
        wait_out_of_fds_said(program, burst);
        sleep_ms(500); /* time to say it again, were it said each time */
        for (int i = 0; i < 40; i++)
            close(fd[i]);
        wait_handlers_gone();
    }
    one_client_echo(random_bytes, KiB);
    err = server_stop(SIGTERM);
    cr_assert_eq(count_out_of_fds(program, err), 2,
                 "expected the line once a burst; stderr:\n%s", err);
    cr_assert_eq(strlen(err), 2 * (strlen(name_of(program)) + 10 +
                                   strlen(strerror(EMFILE)) + 1),
                 "stderr has more:\n%s", err);
    free(err);
}

Test(echoserver, out_of_fds_is_said_once_a_burst)
{
    out_of_fds_is_said_once_a_burst(STAGE4);
}

Test(echoserver_on_stage5, out_of_fds_is_said_once_a_burst)
{
    out_of_fds_is_said_once_a_burst(STAGE5);
}

/* ---- the task dump (SIGQUIT) ---- */

/* The first line of the course's file `path` that holds `needle`. */
static int source_line(const char *path, const char *needle)
{
    const char *root = getenv("COURSE_ROOT");
    char file[4096], buf[512];
    int n = 0;
    FILE *f;

    snprintf(file, sizeof file, "%s/%s", root && *root ? root : COURSE_ROOT,
             path);
    f = fopen(file, "r");
    cr_assert(f, "%s: %s", file, strerror(errno));
    while (fgets(buf, sizeof buf, f)) {
        n++;
        if (strstr(buf, needle)) {
            fclose(f);
            return n;
        }
    }
    cr_assert_fail("%s has no line with %s", file, needle);
    return 0;
}

/* How many dumps text holds, and where the last one starts. */
static int dumps_in(char *text, char **last)
{
    int n = 0;

    *last = NULL;
    for (char *s = text; (s = strstr(s, "io_run: ")); s++, n++)
        *last = s;
    return n;
}

/* Send SIGQUIT and wait until the server's stderr holds the whole new dump
 * it prints; return that dump, from its "io_run: " line. */
static char *dump_after_sigquit(void)
{
    char *err = file_text(srv.err), *dump;
    int before = dumps_in(err, &dump);
    long tasks, lines;

    free(err);
    cr_assert_eq(kill(srv.pid, SIGQUIT), 0);
    for (int waited = 0;; waited += 10) {
        err = file_text(srv.err);
        lines = 0;
        if (dumps_in(err, &dump) > before) {
            for (char *s = dump; (s = strchr(s, '\n')); s++)
                lines++;
            if (sscanf(dump, "io_run: %ld task", &tasks) == 1 &&
                lines == tasks + 1 && dump[strlen(dump) - 1] == '\n')
                break;
        }
        if (waitpid(srv.pid, NULL, WNOHANG) == srv.pid) {
            srv.pid = -1;
            cr_assert_fail("the server exited after SIGQUIT; its stderr:\n%s",
                           err);
        }
        free(err);
        cr_assert(waited < GUARD_MS, "no dump in %d ms after SIGQUIT",
                  GUARD_MS);
        sleep_ms(10);
    }
    dump = strdup(dump);
    free(err);
    cr_assert_not_null(dump);
    return dump;
}

/* SIGQUIT: the listener and three idle clients, by the names the server
 * gives them, each where its task is suspended (file:line of its yield)
 * and waiting for its fd to be readable; then the server goes on
 * echoing. */
Test(echoserver, sigquit_dumps_every_task_and_the_server_goes_on)
{
    int c[3], fd[4], listener, handler;
    char want[128], *dump = NULL, *line, *err, *at;

    listener = source_line("stage4-io/server.c",
                           "TASK_YIELD_CATCH(t, io_accept(");
    handler = source_line("stage4-io/echoserver.c",
                          "TASK_YIELD_CATCH(t, io_recv(");
    server_start(STAGE4);
    for (int i = 0; i < 3; i++) {
        c[i] = client();
        echo_line(c[i], "before the dump\n");
    }
    /* a handler that has just echoed may not wait yet: ask again until
     * every task waits */
    do {
        free(dump);
        dump = dump_after_sigquit();
    } while (strstr(dump, ": ready"));
    cr_assert_str_eq(strtok(dump, "\n"), "io_run: 4 tasks at SIGQUIT");
    for (int i = 0; i < 4; i++) {
        line = strtok(NULL, "\n");
        cr_assert_not_null(line, "the dump has %d task lines, not 4", i);
        at = strstr(line, ": waiting: fd ");
        cr_assert(at && sscanf(at, ": waiting: fd %d", &fd[i]) == 1,
                  "not a task line: %s", line);
        if (i == 0)
            snprintf(want, sizeof want,
                     "  listener at server.c:%d: waiting: fd %d readable "
                     "(accept)", listener, fd[i]);
        else
            snprintf(want, sizeof want,
                     "  client %d at echoserver.c:%d: waiting: fd %d "
                     "readable (recv)", i, handler, fd[i]);
        cr_assert_str_eq(line, want);
        for (int k = 0; k < i; k++)
            cr_assert_neq(fd[k], fd[i], "two tasks wait for fd %d", fd[i]);
    }
    cr_assert_null(strtok(NULL, "\n"), "the dump has more than 4 tasks");
    for (int i = 0; i < 3; i++)
        echo_line(c[i], "after the dump\n");
    err = server_stop(SIGTERM);
    for (line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
        cr_assert(strncmp(line, "io_run: ", 8) == 0 ||
                      strncmp(line, "  listener ", 11) == 0 ||
                      strncmp(line, "  client ", 9) == 0,
                  "the server's stderr has more than dumps: %s", line);
    free(err);
    free(dump);
    for (int i = 0; i < 3; i++)
        close(c[i]);
}
