/* What every TCP server here shares: options, socket and listener. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "io.h"
#include "server.h"

/* The seed's listener(sock): accept, and start a task per connection. */
typedef struct listener {
    task task;
    io_wait wait;
    const server *server;
    int fd;
    double pause; /* seconds to wait before the next accept; 0: no error */
    int refusing; /* 1: the last connection had an fd past select()'s */
} listener;

/* Start a task for a new connection, or close it at once if the loop
 * cannot watch its fd. A flood of those is said once, until a connection
 * has an fd that the loop can watch again. */
static void admit(listener *l, int fd)
{
    if (io_watchable(fd)) {
        l->refusing = 0;
        l->server->serve(fd);
        return;
    }
    if (!l->refusing)
        fprintf(stderr, "%s: connection on fd %d closed: %s\n",
                l->server->name, fd, io_error_fd_limit.message);
    l->refusing = 1;
    close(fd);
}

/* How long to pause after an accept error: 10 ms after the first, then
 * twice as long each time, up to 1 s. */
static double next_pause(double pause)
{
    if (pause == 0)
        return 0.01;
    if (pause < 0.5)
        return 2 * pause;
    return 1;
}

static task_status listener_main(task *t)
{
    listener *l = (listener *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, io_accept(&l->wait, l->fd, -1));
        if (t->error == &task_exit)
            break;
        if (!t->error) {
            l->pause = 0;
            admit(l, (int)t->sent.as.i);
            continue;
        }
        /* Out of fds, most likely: the socket stays readable, so pause
         * rather than spin until a client leaves, longer each time, and
         * say so once until an accept succeeds again. */
        if (l->pause == 0)
            fprintf(stderr, "%s: accept: %s\n", l->server->name,
                    t->error->message);
        t->error = NULL;
        l->pause = next_pause(l->pause);
        TASK_YIELD_VALUE(t, io_sleep(&l->wait, l->pause));
    }
    TASK_FINALLY(t);
    close(l->fd);
    TASK_END(t);
}

void server_init(server *s, const char *name, const char *usage,
                 void (*serve)(int fd))
{
    memset(s, 0, sizeof *s);
    s->name = name;
    s->usage = usage;
    s->serve = serve;
    s->host = "127.0.0.1";
}

/* Put host and port into s->addr. Returns 0, or -1 if host is not an IPv4
 * or IPv6 address written in numbers. */
static int resolve(server *s)
{
    struct addrinfo hints, *ai;
    struct in_addr v4;
    char port[8];

    /* getaddrinfo takes 1.2.3 as 1.2.0.3, as inet_aton does: not here. */
    if (!strchr(s->host, ':') && inet_pton(AF_INET, s->host, &v4) != 1)
        return -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    snprintf(port, sizeof port, "%u", s->port);
    if (getaddrinfo(s->host, port, &hints, &ai) != 0)
        return -1;
    memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
    s->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

int server_option(server *s, int argc, char **argv, int *i)
{
    const char *opt = argv[*i];

    if (*i + 1 >= argc)
        return 0;
    if (strcmp(opt, "--host") == 0) {
        s->host = argv[++*i];
        if (resolve(s) < 0) {
            fprintf(stderr, "%s: --host wants an IPv4 or IPv6 address such "
                            "as 127.0.0.1 or ::1, not '%s'\n", s->name,
                    s->host);
            args_usage(s->usage);
        }
        return 1;
    }
    if (strcmp(opt, "--port") == 0) {
        s->port =
            (unsigned short)args_number(s->usage, opt, argv[++*i], 0, 65535);
        return 1;
    }
    return 0;
}

/* Let the process have as many fds as the hard limit allows, so that a
 * connection past FD_SETSIZE is accepted and turned away at once instead
 * of waiting in the kernel's queue. */
static void raise_fd_limit(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

/* A TCP socket listening on s->addr; s->addr gets the port it really
 * has. */
static int listen_on(server *s)
{
    int one = 1;
    int fd = socket(s->addr.ss_family, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    if (io_nonblock(fd) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&s->addr, s->addr_len) < 0 ||
        listen(fd, SOMAXCONN) < 0 ||
        getsockname(fd, (struct sockaddr *)&s->addr, &s->addr_len) < 0) {
        int err = errno;

        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* s->addr as HOST:PORT, or [HOST]:PORT for an IPv6 host, into buf. */
static const char *address(const server *s, char *buf, size_t len)
{
    char host[64], port[8];

    if (getnameinfo((const struct sockaddr *)&s->addr, s->addr_len, host,
                    sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(host, sizeof host, "?");
    snprintf(buf, len, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
    return buf;
}

int server_start(server *s)
{
    char where[80];
    listener *l;
    int fd;

    raise_fd_limit();
    resolve(s);
    fd = listen_on(s);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot listen on %s: %s\n", s->name,
                address(s, where, sizeof where), strerror(errno));
        return -1;
    }
    l = io_spawn(listener_main, sizeof *l);
    if (!l) {
        fprintf(stderr, "%s: no memory\n", s->name);
        close(fd);
        return -1;
    }
    io_name(&l->task, "listener");
    l->server = s;
    l->fd = fd;
    return 0;
}

void server_announce(const server *s)
{
    char where[80];

    io_stop_on_signals(); /* before the line: whoever reads it may signal */
    printf("listening on %s\n", address(s, where, sizeof where));
    fflush(stdout);
}

void server_end_connection(const char *name, task *t, int fd)
{
    const task_error *e = t->error;

    if (!e || e == &task_exit)
        return;
    if (e != &io_timeout && e->code != IO_ERROR_OS + ECONNRESET &&
        e->code != IO_ERROR_OS + EPIPE)
        fprintf(stderr, "%s: connection on fd %d closed: %s\n", name, fd,
                e->message);
    t->error = NULL;
}
