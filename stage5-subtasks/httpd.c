/* httpd: a small HTTP/1.1 server made of child tasks. It serves the files
 * under one directory to GET and HEAD, for any number of clients at once,
 * in one thread.
 *
 * A connection is a task. For each request it yields a child that reads
 * the request's head, then a child that sends the response; when the
 * connection ends, a third child closes it without losing the response.
 * What HTTP itself says, which has nothing to do with tasks (parsing the
 * head, choosing the status and the file, making the head of the
 * response) is http.c's, and so are the options. */
#define _XOPEN_SOURCE 700 /* POSIX 2008 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "io.h"
#include "server.h"

enum {
    CHUNK = 16384 /* bytes of a head and a body sent in one write */
};

static double timeout; /* seconds for a request's head, or a chunk */

/* A connection: one task for all the requests that come over it. */
typedef struct conn {
    task task;
    int fd;
    int status;      /* the status of an error found in the head, or 0 */
    int keep;        /* 1: the connection stays open after the response */
    request req;
    size_t len;      /* bytes in in[] */
    size_t head_len; /* bytes of in[] that are the head of the request */
    /* The head of the request, and what came after it: the next request.
     * A head within both limits always fits. */
    char in[REQUEST_LINE_MAX + FIELDS_MAX];
    char out[CHUNK]; /* the response's head, and a body that fits with it */
    char name[32];   /* for the task dump: "connection 1" */
} conn;

/* What each child of a connection begins with: its task, and the
 * connection it works for. */
typedef struct conn_child {
    task task;
    conn *c;
} conn_child;

/* A child named name that runs body for c, in a struct of size bytes that
 * begins with a conn_child. */
static value child_for(conn *c, task_fn *body, size_t size, const char *name)
{
    conn_child *k = io_child(body, size);

    if (!k)
        return value_task(NULL);
    io_name(&k->task, name);
    k->c = c;
    return value_task(&k->task);
}

/* ---- reading a request's head ---- */

/* The reader: a child that reads the head of the next request into c->in,
 * and parses each line of it as soon as the line is whole. */
typedef struct reader {
    conn_child child;
    io_wait wait;
    long long deadline; /* for the whole head */
    head_scan scan;     /* how far c->in has been parsed */
} reader;

/* Returns the length of the head, or 0 if the client closed before a
 * request began. Throws an HTTP error, or io_timeout if the whole head did
 * not come within the timeout. */
static task_status reader_main(task *t)
{
    reader *r = (reader *)t;
    conn *c = r->child.c;
    const task_error *e;

    TASK_BEGIN(t);
    r->deadline = io_now() + (long long)(timeout * 1e9);
    memset(&c->req, 0, sizeof c->req);
    c->head_len = 0;
    for (;;) {
        e = scan_head(&r->scan, &c->req, &c->keep, c->in, c->len);
        if (e)
            TASK_FAIL(t, e);
        c->head_len = r->scan.end;
        if (c->head_len)
            TASK_RETURN(t, value_int((long)c->head_len));
        TASK_YIELD_VALUE(t, io_recv(&r->wait, c->fd, c->in + c->len,
                                    sizeof c->in - c->len,
                                    io_time_left(r->deadline)));
        if (t->sent.as.i == 0)
            break;
        c->len += (size_t)t->sent.as.i;
    }
    if (c->len > 0) /* the client stopped halfway through a head */
        TASK_FAIL(t, &bad_request);
    TASK_RETURN(t, value_int(0));
    TASK_END(t);
}

static value read_request(conn *c)
{
    return child_for(c, reader_main, sizeof(reader), "reader");
}

/* ---- sending the response ---- */

/* The responder: a child that sends the response to c's request: its head
 * from c->out, with the body if both fit, else the body after it straight
 * from the file. */
typedef struct responder {
    conn_child child;
    io_wait wait;
    response res; /* what to send: c->out, then the rest of a file */
    size_t sent;  /* bytes of c->out sent before io_send */
} responder;

static task_status responder_main(task *t)
{
    responder *r = (responder *)t;
    conn *c = r->child.c;
    response *p = &r->res;
    const task_error *e;
    ssize_t n;

    TASK_BEGIN(t);
    p->file = -1;
    e = start_response(p, c->out, sizeof c->out, &c->req, c->status,
                       c->keep);
    if (e)
        TASK_FAIL(t, e);
    if (p->left > 0)
        r->sent = send_head_first(c->fd, c->out, p->len);
    if (r->sent < p->len)
        TASK_YIELD_VALUE(t, io_send(&r->wait, c->fd, c->out + r->sent,
                                    p->len - r->sent, timeout));
    /* A larger body goes from the file straight to the socket: the kernel
     * copies it, and it never passes through c->out. */
    while (p->left > 0) {
        n = sendfile(c->fd, p->file, NULL, next_piece(p));
        if (n > 0) {
            p->left -= n;
            TASK_YIELD(t); /* a write is a turn, as in io_send */
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            TASK_YIELD_VALUE(t, io_writable(&r->wait, c->fd, timeout));
        } else {
            TASK_FAIL(t, n < 0 ? io_os_error(errno) : &file_changed);
        }
    }
    TASK_FINALLY(t);
    if (p->file >= 0)
        close(p->file);
    TASK_END(t);
}

static value respond(conn *c)
{
    return child_for(c, responder_main, sizeof(responder), "responder");
}

/* ---- closing ---- */

/* The lingering close: a child that ends the connection's output, so that
 * the client reads the end of the response, then reads and drops what the
 * client still sends until the client closes too, or the timeout. A socket
 * closed with unread bytes resets the connection, and the client may then
 * get the reset instead of the response. */
typedef struct closer {
    conn_child child;
    io_wait wait;
    long long deadline;
} closer;

static task_status closer_main(task *t)
{
    closer *k = (closer *)t;
    conn *c = k->child.c;

    TASK_BEGIN(t);
    k->deadline = io_now() + (long long)(timeout * 1e9);
    shutdown(c->fd, SHUT_WR);
    do {
        TASK_YIELD_VALUE(t, io_recv(&k->wait, c->fd, c->in, sizeof c->in,
                                    io_time_left(k->deadline)));
    } while (t->sent.as.i > 0);
    TASK_END(t);
}

static value linger_close(conn *c)
{
    return child_for(c, closer_main, sizeof(closer), "closer");
}

/* ---- the connection ---- */

/* Drop the head just answered; what came after it begins the next. */
static void next_request(conn *c)
{
    c->len -= c->head_len;
    memmove(c->in, c->in + c->head_len, c->len);
}

static task_status conn_main(task *t)
{
    conn *c = (conn *)t;

    TASK_BEGIN(t);
    for (;;) {
        TASK_YIELD_CATCH(t, read_request(c));
        c->status = 0;
        if (t->error) {
            c->status = status_for(t->error, c->len);
            if (!c->status)
                break;
            t->error = NULL;
            c->keep = 0;
        } else if (t->sent.as.i == 0) {
            break; /* the client closed between two requests */
        }
        TASK_YIELD_CATCH(t, respond(c));
        if (t->error)
            break;
        if (!c->keep) {
            TASK_YIELD_CATCH(t, linger_close(c));
            break;
        }
        next_request(c);
    }
    server_end_connection("httpd", t, c->fd);
    TASK_FINALLY(t);
    close(c->fd);
    TASK_END(t);
}

/* ---- a new connection ---- */

static void serve(int fd)
{
    static long conns;
    conn *c = io_spawn(conn_main, sizeof *c);

    if (!c) {
        fprintf(stderr, "httpd: connection on fd %d closed: no memory\n",
                fd);
        close(fd);
        return;
    }
    snprintf(c->name, sizeof c->name, "connection %ld", ++conns);
    io_name(&c->task, c->name);
    c->fd = fd;
    send_at_once(fd);
}

/* ---- the program ---- */

int main(int argc, char **argv)
{
    server s;

    server_init(&s, "httpd", http_usage, serve);
    timeout = http_options(&s, argc, argv);
    if (server_start(&s) < 0)
        return 1;
    server_announce(&s);
    return io_run() == 0 ? 0 : 1;
}
