/* echodemo: the echo server of echoserver.c and three clients, all tasks of
 * one I/O loop, talking over loopback.
 *
 * The clients are connected at the same time, and the server serves them
 * all, yet what they print comes in a fixed order. The kernel decides when
 * an echo arrives, so a client that printed whenever its echo came would
 * print in a different order from run to run. Instead the clients take
 * turns, one line each: a turn is an item passed round a ring of queues,
 * and a client sends, reads and prints only while it holds the turn. */
#define ECHOSERVER_TASKS_ONLY /* client_handler and serve(), no main */
#include "echoserver.c"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "queue.h"

enum { NCLIENTS = 3, NLINES = 3 };

static const char *const lines[NCLIENTS][NLINES] = {
    {"hello\n", "how are you?\n", "goodbye\n"},
    {"bonjour\n", "comment allez-vous ?\n", "au revoir\n"},
    {"hallo\n", "wie geht's?\n", "tschuess\n"},
};

static server echo;
static queue turns[NCLIENTS]; /* client i waits for its turn on turns[i] */

typedef struct client {
    task task;
    io_wait wait;
    int id; /* 0 to NCLIENTS - 1 */
    int fd;
    int line;
    io_input in; /* what readline read after the echo */
    char echo[64];
    char name[24]; /* for the task dump: "client 1" */
} client;

static task_status client_main(task *t)
{
    client *c = (client *)t;
    const char *line;

    TASK_BEGIN(t);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        TASK_FAIL(t, io_os_error(errno));
    TASK_YIELD_VALUE(t, io_connect(&c->wait, c->fd,
                                   (struct sockaddr *)&echo.addr,
                                   sizeof echo.addr, -1));
    for (c->line = 0; c->line < NLINES; c->line++) {
        if (c->id > 0 || c->line > 0) /* client 1 has the first turn */
            TASK_YIELD_VALUE(t, queue_get(&c->wait, &turns[c->id], -1));
        line = lines[c->id][c->line];
        TASK_YIELD_VALUE(t, io_send(&c->wait, c->fd, line, strlen(line), -1));
        TASK_YIELD_VALUE(t, io_readline(&c->wait, c->fd, &c->in, c->echo,
                                        sizeof c->echo, -1));
        printf("client %d got: %s", c->id + 1, c->echo);
        TASK_YIELD_VALUE(t, queue_put(&c->wait, &turns[(c->id + 1) % NCLIENTS],
                                      value_none(), -1));
    }
    /* The last line is done: stop the server as its user would, with
     * SIGTERM. io_run closes every task left, and their cleanup closes
     * their sockets. */
    if (c->id == NCLIENTS - 1)
        raise(SIGTERM);
    TASK_FINALLY(t);
    if (c->fd >= 0)
        close(c->fd);
    TASK_END(t);
}

static int spawn_clients(void)
{
    for (int i = 0; i < NCLIENTS; i++) {
        client *c = io_spawn(client_main, sizeof *c);

        if (!c || queue_init(&turns[i], 0) < 0)
            return -1;
        snprintf(c->name, sizeof c->name, "client %d", i + 1);
        io_name(&c->task, c->name);
        c->id = i;
        c->fd = -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int result;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: echodemo\n");
        return 2;
    }
    server_init(&echo, "echodemo", "usage: echodemo\n", serve);
    if (server_start(&echo) < 0) /* port 0: the kernel picks a free port */
        return 1;
    if (spawn_clients() < 0) {
        fprintf(stderr, "echodemo: no memory\n");
        return 1;
    }
    io_stop_on_signals();
    result = io_run();
    for (int i = 0; i < NCLIENTS; i++)
        queue_free(&turns[i]);
    printf("echo server stopped\n");
    return result == 0 ? 0 : 1;
}
