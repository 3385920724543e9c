/* echoserver: the seed's listener and client_handler. Every byte a client
 * sends comes back to it, for any number of clients at once, in one thread.
 *
 * echodemo.c includes this file with ECHOSERVER_TASKS_ONLY defined, to run
 * the same two tasks; everything after that #ifndef is echoserver's own. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "io.h"

/* The seed's client_handler(sock): echo until the client closes. */
typedef struct client_handler {
    task task;
    io_wait wait;
    int fd;
    char buf[65536];
} client_handler;

/* The seed's listener(sock): accept, and start a handler per connection. */
typedef struct listener {
    task task;
    io_wait wait;
    int fd;
} listener;

/* An error ends one connection only. Say why, unless the client just went
 * away, or the server is stopping (task_exit, which must go on up). */
static void end_connection(client_handler *c)
{
    const task_error *e = c->task.error;

    if (!e || e == &task_exit)
        return;
    if (e->code != IO_ERROR_OS + ECONNRESET && e->code != IO_ERROR_OS + EPIPE)
        fprintf(stderr, "echoserver: connection on fd %d closed: %s\n", c->fd,
                e->message);
    c->task.error = NULL;
}

static task_status client_handler_main(task *t)
{
    client_handler *c = (client_handler *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, io_recv(&c->wait, c->fd, c->buf, sizeof c->buf,
                                    -1));
        if (t->error || t->sent.as.i == 0)
            break;
        TASK_YIELD_CATCH(t, io_send(c->fd, c->buf, (size_t)t->sent.as.i, -1));
        if (t->error)
            break;
    }
    end_connection(c);
    TASK_FINALLY(t);
    close(c->fd);
    TASK_END(t);
}

static void serve(int fd)
{
    client_handler *c = io_spawn(client_handler_main, sizeof *c);

    if (!c) {
        fprintf(stderr, "echoserver: connection on fd %d closed: no memory\n",
                fd);
        close(fd);
        return;
    }
    c->fd = fd;
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
            serve((int)t->sent.as.i);
            continue;
        }
        /* Out of fds, most likely: the socket stays readable, so pause
         * rather than spin until a client leaves. */
        fprintf(stderr, "echoserver: accept: %s\n", t->error->message);
        t->error = NULL;
        TASK_YIELD_VALUE(t, io_sleep(&l->wait, 0.1));
    }
    TASK_FINALLY(t);
    close(l->fd);
    TASK_END(t);
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

/* Start the listener on a socket made by listen_on(); 0, or -1 if there is
 * no memory (the socket is closed). */
static int start_listener(int fd)
{
    listener *l = io_spawn(listener_main, sizeof *l);

    if (!l) {
        close(fd);
        return -1;
    }
    l->fd = fd;
    return 0;
}

#ifndef ECHOSERVER_TASKS_ONLY

static const char usage[] =
    "usage: echoserver [--host ADDRESS] [--port PORT]\n"
    "  --host ADDRESS  the IPv4 address to listen on "
    "(default 127.0.0.1)\n"
    "  --port PORT     the TCP port, 0 to 65535; 0 takes any free "
    "port (default 0)\n"
    "Sends every byte back to its client. The first line on stdout "
    "is\n'listening on ADDRESS:PORT'. SIGINT or SIGTERM stops it.\n";

static void parse_host(const char *s, struct sockaddr_in *addr)
{
    if (inet_pton(AF_INET, s, &addr->sin_addr) != 1) {
        fprintf(stderr, "echoserver: --host wants an IPv4 address such as "
                        "127.0.0.1, not '%s'\n", s);
        args_usage(usage);
    }
}

static void parse_port(const char *s, struct sockaddr_in *addr)
{
    long port = args_number(usage, "--port", s, 0, 65535);

    addr->sin_port = htons((unsigned short)port);
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

int main(int argc, char **argv)
{
    struct sockaddr_in addr;
    char host[INET_ADDRSTRLEN];
    int fd;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            parse_host(argv[++i], &addr);
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            parse_port(argv[++i], &addr);
        else
            args_usage(usage);
    }
    raise_fd_limit();
    inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
    fd = listen_on(&addr);
    if (fd < 0) {
        fprintf(stderr, "echoserver: cannot listen on %s:%u: %s\n", host,
                (unsigned)ntohs(addr.sin_port), strerror(errno));
        return 1;
    }
    if (start_listener(fd) < 0) {
        fprintf(stderr, "echoserver: no memory\n");
        return 1;
    }
    io_stop_on_signals(); /* before the line: whoever reads it may signal */
    printf("listening on %s:%u\n", host, (unsigned)ntohs(addr.sin_port));
    fflush(stdout);
    return io_run() == 0 ? 0 : 1;
}

#endif
