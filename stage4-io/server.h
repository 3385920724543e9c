/**
 * @file server.h
 * @brief What every TCP server here shares: options, socket and listener.
 *
 * The seed's listener(sock) is the same for every server: accept, and start
 * a task for each connection. A program gives its name, its usage message
 * and the function that starts a task for a new connection; this does the
 * rest.
 */
#ifndef SERVER_H
#define SERVER_H

#include <sys/socket.h>

#include "task.h"

/** A TCP server. */
typedef struct server {
    const char *name;             /**< The program, for its messages. */
    const char *usage;            /**< Its usage message (see args.h). */
    void (*serve)(int fd);        /**< Starts a task for a new connection. */
    const char *host;             /**< The address asked; 127.0.0.1 at first. */
    unsigned short port;          /**< The port asked for; 0 at first. */
    struct sockaddr_storage addr; /**< Where it listens, once it does. */
    socklen_t addr_len;           /**< The length of addr. */
} server;

/**
 * Make @p s a server on 127.0.0.1, port 0 (any free port).
 * @param s the server
 * @param name the program's name
 * @param usage its usage message
 * @param serve starts a task for a new connection's fd (which it owns)
 */
void server_init(server *s, const char *name, const char *usage,
                 void (*serve)(int fd));

/**
 * Read `--host ADDRESS` (IPv4 or IPv6, in numbers: 127.0.0.1, ::1, ::) or
 * `--port PORT` at argv[*i]; a bad value prints the usage and exits with 2.
 * @param s the server
 * @param argc the number of arguments
 * @param argv the arguments
 * @param i the index of the option; it moves past its value
 * @return 1 if argv[*i] was one of them, else 0
 */
int server_option(server *s, int argc, char **argv, int *i);

/**
 * Listen on the server's address and start its listener task; the address
 * gets the port the kernel gave. A new connection whose fd select() cannot
 * watch is closed at once; a flood of them is said once on stderr.
 * @param s the server
 * @return 0, or -1 after saying why on stderr
 */
int server_start(server *s);

/**
 * Stop on SIGINT and SIGTERM, then print `listening on HOST:PORT` (or
 * `listening on [HOST]:PORT` for IPv6), the first line on stdout, for
 * whoever waits for it.
 * @param s the server
 */
void server_announce(const server *s);

/**
 * What a connection's task does with the error that ended it: an error
 * ends one connection only. Say why on stderr, `NAME: connection on fd FD
 * closed: WHY`, unless the client just went away (a reset, a broken pipe,
 * a timeout), and clear the error. task_exit, the server stopping, stays,
 * so that it goes on up.
 * @param name the program's name
 * @param t the connection's task
 * @param fd its socket
 */
void server_end_connection(const char *name, task *t, int fd);

#endif
