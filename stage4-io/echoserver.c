/* echoserver: the seed's listener and client_handler. Every byte a client
 * sends comes back to it, for any number of clients at once, in one thread.
 *
 * The listener is server.c's. echodemo.c includes this file with
 * ECHOSERVER_TASKS_ONLY defined, to run the same handler; everything after
 * that #ifndef is echoserver's own. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "io.h"
#include "server.h"

/* The seed's client_handler(sock): echo until the client closes. */
typedef struct client_handler {
    task task;
    io_wait wait;
    int fd;
    char name[32]; /* for the task dump: "client 3" */
    char buf[65536];
} client_handler;

static task_status client_handler_main(task *t)
{
    client_handler *c = (client_handler *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, io_recv(&c->wait, c->fd, c->buf, sizeof c->buf,
                                    -1));
        if (t->error || t->sent.as.i == 0)
            break;
        TASK_YIELD_CATCH(t, io_send(&c->wait, c->fd, c->buf,
                                    (size_t)t->sent.as.i, -1));
        if (t->error)
            break;
    }
    server_end_connection("echoserver", t, c->fd);
    TASK_FINALLY(t);
    close(c->fd);
    TASK_END(t);
}

static void serve(int fd)
{
    static long clients;
    client_handler *c = io_spawn(client_handler_main, sizeof *c);

    if (!c) {
        fprintf(stderr, "echoserver: connection on fd %d closed: no memory\n",
                fd);
        close(fd);
        return;
    }
    snprintf(c->name, sizeof c->name, "client %ld", ++clients);
    io_name(&c->task, c->name);
    c->fd = fd;
}

#ifndef ECHOSERVER_TASKS_ONLY

static const char usage[] =
    "usage: echoserver [--host ADDRESS] [--port PORT]\n"
    "  --host ADDRESS  the IPv4 or IPv6 address to listen on "
    "(default 127.0.0.1;\n"
    "                  :: is every address)\n"
    "  --port PORT     the TCP port, 0 to 65535; 0 takes any free "
    "port (default 0)\n"
    "Sends every byte back to its client. The first line on stdout "
    "is\n'listening on ADDRESS:PORT'. SIGINT or SIGTERM stops it.\n";

int main(int argc, char **argv)
{
    server s;

    server_init(&s, "echoserver", usage, serve);
    for (int i = 1; i < argc; i++)
        if (!server_option(&s, argc, argv, &i))
            args_usage(usage);
    if (server_start(&s) < 0)
        return 1;
    server_announce(&s);
    return io_run() == 0 ? 0 : 1;
}

#endif
