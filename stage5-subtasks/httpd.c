/* httpd: a small HTTP/1.1 server made of child tasks. It serves the files
 * under one directory to GET and HEAD, for any number of clients at once,
 * in one thread.
 *
 * A connection is a task. For each request it yields a child that reads
 * the request's head, then a child that sends the response; when the
 * connection ends, a third child closes it without losing the response.
 * What HTTP itself says, which has nothing to do with tasks, is http.c's. */
#define _XOPEN_SOURCE 700 /* POSIX 2008 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "http.h"
#include "io.h"
#include "server.h"

enum {
    CHUNK = 16384 /* bytes of a head and a body sent in one write */
};

static double timeout = 10; /* seconds for a request's head, or a chunk */

static const task_error file_changed = {TASK_ERROR_USER,
                                        "a file changed while it was sent"};

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
} conn;

/* What each child of a connection begins with: its task, and the
 * connection it works for. */
typedef struct conn_child {
    task task;
    conn *c;
} conn_child;

/* A child that runs body for c, in a struct of size bytes that begins with
 * a conn_child. */
static value child_for(conn *c, task_fn *body, size_t size)
{
    conn_child *k = io_child(body, size);

    if (!k)
        return value_task(NULL);
    k->c = c;
    return value_task(&k->task);
}

/* When a wait that starts now and takes the timeout ends. */
static long long deadline_from_now(void)
{
    return io_now() + (long long)(timeout * 1e9);
}

/* ---- reading a request's head ---- */

/* The reader: a child that reads the head of the next request into c->in,
 * and parses each line of it as soon as the line is whole. */
typedef struct reader {
    conn_child child;
    io_wait wait;
    long long deadline; /* for the whole head */
    size_t line;        /* where the line being read starts in c->in */
    size_t fields;      /* where the header fields start; 0 until then */
} reader;

/* One whole line, from line to its newline nl: the request line, a header
 * field, or the blank line at the end of the head. A line may end in CRLF
 * or LF alone; no other control character is allowed. Empty lines before
 * the request line are ignored (RFC 9112, section 2.2). */
static const task_error *parse_line(reader *r, char *line, char *nl)
{
    conn *c = r->child.c;
    size_t end = (size_t)(nl - c->in) + 1;
    const task_error *e;

    if (nl > line && nl[-1] == '\r')
        nl--;
    *nl = '\0';
    for (char *p = line; p < nl; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return &bad_request;
    if (!r->fields && !*line)
        return NULL;
    if (!r->fields) {
        r->fields = end;
        return parse_request_line(&c->req, line);
    }
    if (*line)
        return parse_field(&c->req, line);
    e = end_head(&c->req, &c->keep);
    if (!e)
        c->head_len = end;
    return e;
}

/* Whether the head would be over a limit if its current line ended at
 * end: 414 for the request line, 431 for the header fields. */
static const task_error *over_limit(const reader *r, size_t end)
{
    if (!r->fields)
        return end > REQUEST_LINE_MAX ? &uri_too_long : NULL;
    return end - r->fields > FIELDS_MAX ? &fields_too_large : NULL;
}

/* Parse the lines that are whole, from r->line on; c->head_len is set
 * once the head is. */
static const task_error *scan(reader *r)
{
    conn *c = r->child.c;
    const task_error *e;
    char *nl;

    while (!c->head_len) {
        nl = memchr(c->in + r->line, '\n', c->len - r->line);
        if (!nl) /* the line ends later: one byte more at least */
            return over_limit(r, c->len + 1);
        e = over_limit(r, (size_t)(nl - c->in) + 1);
        if (!e)
            e = parse_line(r, c->in + r->line, nl);
        if (e)
            return e;
        r->line = (size_t)(nl - c->in) + 1;
    }
    return NULL;
}

/* Returns the length of the head, or 0 if the client closed before a
 * request began. Throws an HTTP error, or io_timeout if the whole head did
 * not come within the timeout. */
static task_status reader_main(task *t)
{
    reader *r = (reader *)t;
    conn *c = r->child.c;
    const task_error *e;

    TASK_BEGIN(t);
    r->deadline = deadline_from_now();
    memset(&c->req, 0, sizeof c->req);
    c->head_len = 0;
    for (;;) {
        e = scan(r);
        if (e)
            TASK_FAIL(t, e);
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
    return child_for(c, reader_main, sizeof(reader));
}

/* ---- sending the response ---- */

/* The responder: a child that sends the response to c's request: its head
 * from c->out, with the body if both fit, else the body after it straight
 * from the file. */
typedef struct responder {
    conn_child child;
    io_wait wait;
    int file;         /* the file that is the body, or -1 */
    long long size;   /* the length of the body */
    long long left;   /* bytes of the file not read yet */
    const char *type; /* the body's Content-Type */
    size_t len;       /* bytes in c->out to send */
    size_t sent;      /* of them, those sent before io_send */
} responder;

/* Read the whole body, r->left bytes, into c->out after its r->len. */
static const task_error *read_body(responder *r)
{
    conn *c = r->child.c;
    ssize_t got;

    while (r->left > 0) {
        got = read(r->file, c->out + r->len, (size_t)r->left);
        if (got <= 0)
            return got < 0 ? io_os_error(errno) : &file_changed;
        r->len += (size_t)got;
        r->left -= got;
    }
    return NULL;
}

/* Try to send the head of a response whose body sendfile() sends next,
 * with MSG_MORE: the kernel holds the head back for the body, and both
 * leave in full packets. Else, with TCP_NODELAY, the head would leave
 * alone, and the client would read twice. What is not sent now, io_send
 * sends. */
static void send_head_first(responder *r)
{
    ssize_t n = send(r->child.c->fd, r->child.c->out, r->len,
                     MSG_MORE | MSG_NOSIGNAL);

    r->sent = n > 0 ? (size_t)n : 0;
}

/* Move a file's fd to FD_SETSIZE or above, where the loop never looks
 * (it never waits on a file), so that it leaves its slot below to a
 * connection. If the limit of open files does not allow it, fd stays. */
static int move_high(int fd)
{
    int high = fcntl(fd, F_DUPFD, FD_SETSIZE);

    if (high < 0)
        return fd;
    close(fd);
    return high;
}

/* Close the file now: the rest of the response does not need it, and it
 * would hold an fd below FD_SETSIZE while the response is sent. */
static void drop_file(responder *r)
{
    if (r->file >= 0)
        close(r->file);
    r->file = -1;
}

/* How much of the file the next sendfile() may send: all that is left,
 * in pieces of at most 1 GiB. */
static size_t next_piece(const responder *r)
{
    return r->left > (1 << 30) ? (size_t)1 << 30 : (size_t)r->left;
}

/* Choose the status, open the file, and put the head into c->out, with the
 * body if both fit. */
static const task_error *start_response(responder *r)
{
    conn *c = r->child.c;
    request *q = &c->req;
    int head_only = q->method && strcmp(q->method, "HEAD") == 0;
    int status = c->status;
    const task_error *e;
    size_t len;

    if (!status && !head_only)
        status = method_status(q->method);
    if (!status)
        status = open_target(q->target, &r->file, &r->size, &r->type);
    if (status != 200) { /* the body is the status line, in words */
        r->type = "text/plain; charset=utf-8";
        r->size = snprintf(NULL, 0, "%d %s\n", status, reason(status));
    }
    len = format_head(c->out, sizeof c->out, status, r->type, r->size,
                      c->keep, q->minor);
    if (status != 200 || head_only)
        drop_file(r);
    if (head_only) {
        r->len = len;
        return NULL;
    }
    if (status != 200) {
        r->len = len + (size_t)snprintf(c->out + len, sizeof c->out - len,
                                        "%d %s\n", status, reason(status));
        return NULL;
    }
    r->left = r->size;
    r->len = len;
    if (r->size > (long long)(sizeof c->out - len)) {
        /* Too big to go with the head: sendfile() sends it, and the file
         * stays open as long as the client takes to read it. */
        r->file = move_high(r->file);
        return NULL;
    }
    e = read_body(r);
    drop_file(r);
    return e;
}

static task_status responder_main(task *t)
{
    responder *r = (responder *)t;
    conn *c = r->child.c;
    const task_error *e;
    ssize_t n;

    TASK_BEGIN(t);
    r->file = -1;
    e = start_response(r);
    if (e)
        TASK_FAIL(t, e);
    if (r->left > 0)
        send_head_first(r);
    if (r->sent < r->len)
        TASK_YIELD_VALUE(t, io_send(&r->wait, c->fd, c->out + r->sent,
                                    r->len - r->sent, timeout));
    /* A larger body goes from the file straight to the socket: the kernel
     * copies it, and it never passes through c->out. */
    while (r->left > 0) {
        n = sendfile(c->fd, r->file, NULL, next_piece(r));
        if (n > 0) {
            r->left -= n;
            TASK_YIELD(t); /* a write is a turn, as in io_send */
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            TASK_YIELD_VALUE(t, io_writable(&r->wait, c->fd, timeout));
        } else {
            TASK_FAIL(t, n < 0 ? io_os_error(errno) : &file_changed);
        }
    }
    TASK_FINALLY(t);
    if (r->file >= 0)
        close(r->file);
    TASK_END(t);
}

static value respond(conn *c)
{
    return child_for(c, responder_main, sizeof(responder));
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
    k->deadline = deadline_from_now();
    shutdown(c->fd, SHUT_WR);
    do {
        TASK_YIELD_VALUE(t, io_recv(&k->wait, c->fd, c->in, sizeof c->in,
                                    io_time_left(k->deadline)));
    } while (t->sent.as.i > 0);
    TASK_END(t);
}

static value linger_close(conn *c)
{
    return child_for(c, closer_main, sizeof(closer));
}

/* ---- the connection ---- */

/* The status to answer a head that could not be read with, or 0 to close
 * without a word: the client went away or sent nothing in time, or the
 * server is stopping (task_exit). */
static int status_for(const conn *c, const task_error *e)
{
    if (e->code >= 400 && e->code < 600)
        return e->code;
    if (e == &io_timeout && c->len > 0)
        return 408;
    return 0;
}

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
            c->status = status_for(c, t->error);
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
    char name[32];
    int one = 1;

    if (!c) {
        fprintf(stderr, "httpd: connection on fd %d closed: no memory\n",
                fd);
        close(fd);
        return;
    }
    snprintf(name, sizeof name, "connection %ld", ++conns);
    task_name(&c->task, name);
    c->fd = fd;
    /* Send each write at once. Else the kernel holds a write back while
     * the client has not acknowledged the one before, and clients wait up
     * to 40 ms to acknowledge: a response of two writes would wait too. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- the program ---- */

static const char usage[] =
    "usage: httpd [--host ADDRESS] [--port PORT] [--root DIR] "
    "[--timeout SECONDS]\n"
    "  --host ADDRESS     the IPv4 or IPv6 address to listen on "
    "(default 127.0.0.1;\n"
    "                     :: is every address)\n"
    "  --port PORT        the TCP port, 0 to 65535; 0 takes any free "
    "port (default 0)\n"
    "  --root DIR         the directory to serve (default: www beside "
    "the program)\n"
    "  --timeout SECONDS  1 to 3600 (default 10): the time a client has "
    "to send a\n"
    "                     request's head, and to make room for more of a "
    "response\n"
    "Serves the files under DIR to GET and HEAD over HTTP/1.1. A request "
    "line may\nhave 8 KiB, its header fields 16 KiB. The first line on "
    "stdout is\n'listening on ADDRESS:PORT'. SIGINT or SIGTERM stops it.\n";

static void set_root(const char *dir, const char *argv0)
{
    char beside[PATH_MAX];
    const char *slash = strrchr(argv0, '/');
    int err;

    if (!dir) {
        snprintf(beside, sizeof beside, "%.*swww",
                 slash ? (int)(slash - argv0 + 1) : 0, argv0);
        dir = beside;
    }
    err = serve_root(dir);
    if (err) {
        fprintf(stderr, "httpd: cannot serve '%s': %s\n", dir,
                strerror(err));
        args_usage(usage);
    }
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    server s;

    server_init(&s, "httpd", usage, serve);
    for (int i = 1; i < argc; i++) {
        if (server_option(&s, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = args_number(usage, "--timeout", argv[++i], 1, 3600);
        else
            args_usage(usage);
    }
    set_root(dir, argv[0]);
    if (server_start(&s) < 0)
        return 1;
    server_announce(&s);
    return io_run() == 0 ? 0 : 1;
}
