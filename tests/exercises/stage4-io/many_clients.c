/* many_clients: the check of exercise 4.4, past select(). echoserver's
 * tasks and 2 000 clients, all tasks of one loop over loopback. Each client
 * connects, sends one line, reads it back, and then keeps its connection
 * open until every client is done, so that the loop watches some 4 000
 * sockets at once, most of them FD_SETSIZE (1024) or more. When all are
 * done, the last one raises SIGTERM, which stops the loop.
 *
 * It prints how many clients there were, how many got their line back
 * intact, and whether a client's fd was FD_SETSIZE or more; then the first
 * failure, if any. */
#define ECHOSERVER_TASKS_ONLY /* client_handler and serve(), no main */
#include "echoserver.c"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>

#include "queue.h"

enum {
    NCLIENTS = 2000,
    FDS_NEEDED = 2 * NCLIENTS + 64 /* both ends of each, and a margin */
};

static server echo;
static queue never; /* nothing is put here: clients wait in it, connected */
static int finished, intact, past_fd_setsize;
static char first_failure[256];

typedef struct client {
    task task;
    io_wait wait;
    int id;
    int fd;
    int done; /* it has its line back, or has failed */
    size_t len, got;
    char line[32];
    char echo[32];
} client;

static const task_error not_in_one_write = {
    TASK_ERROR_USER, "the line did not go out in one write"};
static const task_error closed_early = {
    TASK_ERROR_USER, "the server closed the connection"};
static const task_error changed = {TASK_ERROR_USER,
                                   "the line came back changed"};

/* A client is done, with its line back or with the error that stopped it;
 * the last one stops the loop. */
static void done(client *c, const task_error *error)
{
    c->done = 1;
    if (error && !first_failure[0])
        snprintf(first_failure, sizeof first_failure,
                 "first failure: client %d, fd %d: %s", c->id, c->fd,
                 error->message);
    if (!error)
        intact++;
    if (++finished == NCLIENTS)
        raise(SIGTERM);
}

static task_status client_main(task *t)
{
    client *c = (client *)t;

    TASK_BEGIN(t);
    c->len = (size_t)snprintf(c->line, sizeof c->line, "client %d\n", c->id);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        TASK_FAIL(t, io_os_error(errno));
    if (c->fd >= FD_SETSIZE)
        past_fd_setsize = 1;
    TASK_YIELD_VALUE(t, io_connect(&c->wait, c->fd,
                                   (struct sockaddr *)&echo.addr,
                                   sizeof echo.addr, -1));
    /* A new connection has room for a short line: one write sends it. */
    if (write(c->fd, c->line, c->len) != (ssize_t)c->len)
        TASK_FAIL(t, &not_in_one_write);
    while (c->got < c->len) {
        TASK_YIELD_VALUE(t, io_recv(&c->wait, c->fd, c->echo + c->got,
                                    c->len - c->got, -1));
        if (t->sent.as.i == 0)
            TASK_FAIL(t, &closed_early);
        c->got += (size_t)t->sent.as.i;
    }
    if (memcmp(c->echo, c->line, c->len) != 0)
        TASK_FAIL(t, &changed);
    done(c, NULL);
    TASK_YIELD_VALUE(t, queue_get(&c->wait, &never, -1));
    TASK_FINALLY(t);
    if (!c->done)
        done(c, t->raised); /* the error that ends it */
    if (c->fd >= 0)
        close(c->fd);
    TASK_END(t);
}

/* Room for both ends of every connection. */
static int raise_fd_limit(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) < 0)
        return -1;
    if (r.rlim_cur >= FDS_NEEDED)
        return 0;
    if (r.rlim_max < FDS_NEEDED) {
        fprintf(stderr, "many_clients: this check needs %d fds open at "
                        "once, and the hard limit is %llu (ulimit -Hn)\n",
                FDS_NEEDED, (unsigned long long)r.rlim_max);
        return -1;
    }
    r.rlim_cur = FDS_NEEDED;
    return setrlimit(RLIMIT_NOFILE, &r);
}

int main(void)
{
    int result;

    if (raise_fd_limit() < 0 || queue_init(&never, 0) < 0)
        return 1;
    server_init(&echo, "echoserver", "usage: many_clients\n", serve);
    if (server_start(&echo) < 0)
        return 1;
    for (int i = 0; i < NCLIENTS; i++) {
        client *c = io_spawn(client_main, sizeof *c);

        if (!c) {
            fprintf(stderr, "many_clients: no memory\n");
            return 1;
        }
        c->id = i + 1;
        c->fd = -1;
    }
    io_stop_on_signals();
    result = io_run();
    queue_free(&never);
    printf("clients: %d\n", NCLIENTS);
    printf("echoed intact: %d\n", intact);
    printf("a client fd of FD_SETSIZE (%d) or more: %s\n", FD_SETSIZE,
           past_fd_setsize ? "yes" : "no");
    if (first_failure[0])
        printf("%s\n", first_failure);
    return result == 0 ? 0 : 1;
}
