/* What every TCP server here shares: options, socket and listener. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
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
} listener;

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
            l->server->serve((int)t->sent.as.i);
            continue;
        }
        /* Out of fds, most likely: the socket stays readable, so pause
         * rather than spin until a client leaves, longer each time, and
         * say so once until an accept succeeds again. */
        if (l->pause == 0)
            fprintf(stderr, "%s: accept: %s\n", l->server->name,
                    t->error->message);
        t->error = NULL;
        l->pause = l->pause == 0 ? 0.01 : l->pause < 0.5 ? 2 * l->pause : 1;
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
    s->addr.sin_family = AF_INET;
    s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

int server_option(server *s, int argc, char **argv, int *i)
{
    const char *opt = argv[*i];

    if (*i + 1 >= argc)
        return 0;
    if (strcmp(opt, "--host") == 0) {
        if (inet_pton(AF_INET, argv[++*i], &s->addr.sin_addr) != 1) {
            fprintf(stderr, "%s: --host wants an IPv4 address such as "
                            "127.0.0.1, not '%s'\n", s->name, argv[*i]);
            args_usage(s->usage);
        }
        return 1;
    }
    if (strcmp(opt, "--port") == 0) {
        s->addr.sin_port = htons(
            (unsigned short)args_number(s->usage, opt, argv[++*i], 0, 65535));
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

/* A TCP socket listening on addr; addr gets the port it really has. */
static int listen_on(struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0 ||
        listen(fd, SOMAXCONN) < 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
        int err = errno;

        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

int server_start(server *s)
{
    char host[INET_ADDRSTRLEN];
    listener *l;
    int fd;

    raise_fd_limit();
    fd = listen_on(&s->addr);
    if (fd < 0) {
        inet_ntop(AF_INET, &s->addr.sin_addr, host, sizeof host);
        fprintf(stderr, "%s: cannot listen on %s:%u: %s\n", s->name, host,
                (unsigned)ntohs(s->addr.sin_port), strerror(errno));
        return -1;
    }
    l = io_spawn(listener_main, sizeof *l);
    if (!l) {
        fprintf(stderr, "%s: no memory\n", s->name);
        close(fd);
        return -1;
    }
    task_name(&l->task, "listener");
    l->server = s;
    l->fd = fd;
    return 0;
}

void server_announce(const server *s)
{
    char host[INET_ADDRSTRLEN];

    io_stop_on_signals(); /* before the line: whoever reads it may signal */
    inet_ntop(AF_INET, &s->addr.sin_addr, host, sizeof host);
    printf("listening on %s:%u\n", host, (unsigned)ntohs(s->addr.sin_port));
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
