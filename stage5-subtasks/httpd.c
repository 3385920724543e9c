/* httpd: a small HTTP/1.1 server made of child tasks. It serves the files
 * under one directory to GET and HEAD, for any number of clients at once,
 * in one thread.
 *
 * A connection is a task. For each request it yields a child that reads
 * the request's head, then a child that sends the response; when the
 * connection ends, a third child closes it without losing the response. */
#define _XOPEN_SOURCE 700 /* POSIX 2008 with realpath() */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "io.h"
#include "server.h"

enum {
    REQUEST_LINE_MAX = 8192, /* bytes of the request line, with its end */
    FIELDS_MAX = 16384,      /* bytes of the header fields and blank line */
    CHUNK = 16384            /* bytes of a head and a body sent in one write */
};

static char root[PATH_MAX]; /* the directory served, as a real path */
static size_t root_len;
static double timeout = 10; /* seconds for a request's head, or a chunk */

/* A request that cannot be answered as asked. The code of the error is the
 * status of the response, 400 to 599: no code of the runtime's is. */
static const task_error bad_request = {400, "Bad Request"};
static const task_error uri_too_long = {414, "URI Too Long"};
static const task_error fields_too_large = {
    431, "Request Header Fields Too Large"};
static const task_error version_not_supported = {
    505, "HTTP Version Not Supported"};
static const task_error file_changed = {TASK_ERROR_USER,
                                        "a file changed while it was sent"};

/* What the head of a request says. */
typedef struct request {
    char *method, *target; /* in the connection's buffer */
    int minor;             /* HTTP/1.minor */
    int hosts;             /* how many Host fields it has */
    int close, keep_alive; /* what its Connection field asks for */
    int body;              /* it has a body, which is never read */
} request;

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

static const char tchars[] = "!#$%&'*+-.^_`|~0123456789"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "abcdefghijklmnopqrstuvwxyz";

/* A method or a field name: one or more of tchars. */
static int is_token(const char *s)
{
    return *s && s[strspn(s, tchars)] == '\0';
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Whether a comma-separated list, such as "keep-alive, Upgrade", has
 * token, in any case. */
static int has_token(const char *list, const char *token)
{
    size_t n = strlen(token);

    while (*list) {
        list += strspn(list, " \t,");
        if (strncasecmp(list, token, n) == 0 &&
            (list[n] == '\0' || list[n] == ',' || list[n] == ' ' ||
             list[n] == '\t'))
            return 1;
        list += strcspn(list, ",");
    }
    return 0;
}

/* METHOD SP TARGET SP HTTP/1.x */
static const task_error *parse_request_line(request *q, char *line)
{
    char *target = strchr(line, ' ');
    char *version = target ? strchr(target + 1, ' ') : NULL;

    if (!version)
        return &bad_request;
    *target++ = '\0';
    *version++ = '\0';
    if (!is_token(line) || target[0] != '/' ||
        strncmp(version, "HTTP/", 5) != 0 || !is_digit(version[5]) ||
        version[6] != '.' || !is_digit(version[7]) || version[8] != '\0')
        return &bad_request;
    if (version[5] != '1')
        return &version_not_supported;
    q->method = line;
    q->target = target;
    q->minor = version[7] - '0';
    return NULL;
}

/* NAME ":" VALUE, spaces around the value. A few names matter here. */
static const task_error *parse_field(request *q, char *line)
{
    char *colon = strchr(line, ':');
    char *v, *end;

    if (!colon)
        return &bad_request;
    *colon = '\0';
    if (!is_token(line)) /* also a space before the colon, or a folded line */
        return &bad_request;
    v = colon + 1 + strspn(colon + 1, " \t");
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    if (strcasecmp(line, "Host") == 0) {
        q->hosts++;
    } else if (strcasecmp(line, "Connection") == 0) {
        q->close |= has_token(v, "close");
        q->keep_alive |= has_token(v, "keep-alive");
    } else if (strcasecmp(line, "Content-Length") == 0) {
        if (!*v || v[strspn(v, "0123456789")] != '\0')
            return &bad_request;
        q->body |= v[strspn(v, "0")] != '\0';
    } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
        q->body = 1;
    }
    return NULL;
}

/* The blank line came: the head is whole. HTTP/1.1 wants one Host field;
 * it keeps the connection open unless asked not to, HTTP/1.0 only if
 * asked to. A body is never read, so it ends the connection. */
static const task_error *end_head(conn *c, size_t end)
{
    request *q = &c->req;

    if (q->hosts > 1 || (q->minor >= 1 && q->hosts == 0))
        return &bad_request;
    c->keep = !q->close && !q->body && (q->minor >= 1 || q->keep_alive);
    c->head_len = end;
    return NULL;
}

/* One whole line, from line to its newline nl: the request line, a header
 * field, or the blank line at the end of the head. A line may end in CRLF
 * or LF alone; no other control character is allowed. Empty lines before
 * the request line are ignored (RFC 9112, section 2.2). */
static const task_error *parse_line(reader *r, char *line, char *nl)
{
    conn *c = r->child.c;
    size_t end = (size_t)(nl - c->in) + 1;

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
    return end_head(c, end);
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

/* ---- finding the file ---- */

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Whether path has a segment "..": it would climb out of the root. */
static int climbs(const char *path)
{
    for (const char *s = path; (s = strstr(s, "/..")); s += 3)
        if (s[3] == '/' || s[3] == '\0')
            return 1;
    return 0;
}

/* Put the root and the path of target, %XX decoded and without its query,
 * into path. Returns 0, 400 for a bad %XX or a NUL, 403 for a "..". */
static int map_path(const char *target, char *path)
{
    size_t n = root_len;
    int hi, lo, ch;

    memcpy(path, root, n);
    for (const char *s = target; *s && *s != '?'; s++) {
        ch = (unsigned char)*s;
        if (ch == '%') {
            hi = hex_digit(s[1]);
            lo = hi < 0 ? -1 : hex_digit(s[2]);
            if (lo < 0)
                return 400;
            ch = hi * 16 + lo;
            s += 2;
        }
        if (ch == '\0')
            return 400;
        path[n++] = (char)ch;
    }
    path[n] = '\0';
    return climbs(path + root_len) ? 403 : 0;
}

/* Whether a real path is the root or under it. */
static int under_root(const char *real)
{
    return strncmp(real, root, root_len) == 0 &&
           (real[root_len] == '/' || real[root_len] == '\0' ||
            root_len == 1);
}

/* The status for a file that could not be opened. */
static int status_of_errno(int err)
{
    if (err == EACCES || err == EPERM)
        return 403;
    if (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG ||
        err == ELOOP)
        return 404;
    return 500;
}

/* Whether path, which realpath() could not resolve, leads out of the root
 * or nowhere: the deepest part of it that exists is a symbolic link that
 * leads out, or one that does not resolve (it dangles, or loops). Cuts
 * path short. */
static int leads_out(char *path)
{
    char real[PATH_MAX];
    struct stat st;
    char *slash;

    while (lstat(path, &st) < 0) {
        slash = strrchr(path + root_len, '/');
        if (!slash)
            return 0;
        *slash = '\0';
    }
    return !realpath(path, real) || !under_root(real);
}

/* Open path into *fd, without blocking (it may be a FIFO), and ask the
 * kernel where the file it opened really is (/proc/self/fd): into real,
 * and its kind and size into st. Returns 0, or the status that says why
 * not. Whatever lies under a symbolic link that leads out is 403, whether
 * it exists or not, so that a client learns nothing of the files outside. */
static int open_under_root(char *path, char *real, int *fd, struct stat *st)
{
    char link[64];
    ssize_t n;
    int err;

    *fd = open(path, O_RDONLY | O_NONBLOCK);
    if (*fd < 0) {
        err = errno;
        return leads_out(path) ? 403 : status_of_errno(err);
    }
    snprintf(link, sizeof link, "/proc/self/fd/%d", *fd);
    n = readlink(link, real, PATH_MAX - 1);
    if (n < 0 || fstat(*fd, st) < 0)
        return 500;
    real[n] = '\0';
    return under_root(real) ? 0 : 403;
}

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},
    };
    const char *dot = strrchr(path, '.');

    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot + 1, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
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

/* Open the regular file that target names under the root; a directory
 * means its index.html. Returns 200, or the status that says why not. */
static int open_target(responder *r, const char *target)
{
    /* These run between two yields: plain locals, not in the frame. */
    char path[PATH_MAX + REQUEST_LINE_MAX], real[PATH_MAX];
    struct stat st;
    int status = map_path(target, path);

    if (!status)
        status = open_under_root(path, real, &r->file, &st);
    if (!status && S_ISDIR(st.st_mode)) {
        close(r->file);
        snprintf(path, sizeof path, "%s/index.html", real);
        status = open_under_root(path, real, &r->file, &st);
    }
    if (status)
        return status;
    if (!S_ISREG(st.st_mode))
        return 404;
    r->size = st.st_size;
    r->type = content_type(real);
    return 200;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 505: return "HTTP Version Not Supported";
    }
    return "Internal Server Error";
}

/* The Connection field of the response, if it needs one. */
static const char *connection_field(const conn *c)
{
    if (!c->keep)
        return "Connection: close\r\n";
    return c->req.minor == 0 ? "Connection: keep-alive\r\n" : "";
}

/* The Date field's value for now, made again only when the second
 * changes: every response of one second has the same. */
static const char *http_date(void)
{
    static char date[64];
    static time_t made = -1;
    time_t now = time(NULL);
    struct tm tm;

    if (now != made) {
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT",
                 gmtime_r(&now, &tm));
        made = now;
    }
    return date;
}

/* The status line and header fields, into c->out; returns their length. */
static size_t format_head(responder *r, int status)
{
    conn *c = r->child.c;

    return (size_t)snprintf(c->out, sizeof c->out,
                            "HTTP/1.1 %d %s\r\n"
                            "Date: %s\r\n"
                            "Content-Type: %s\r\n"
                            "Content-Length: %lld\r\n"
                            "%s%s\r\n",
                            status, reason(status), http_date(), r->type,
                            r->size,
                            status == 405 ? "Allow: GET, HEAD\r\n" : "",
                            connection_field(c));
}

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
    size_t len;

    if (!status && !head_only && strcmp(q->method, "GET") != 0)
        status = 405;
    if (!status)
        status = open_target(r, q->target);
    if (status != 200) { /* the body is the status line, in words */
        r->type = "text/plain; charset=utf-8";
        r->size = snprintf(NULL, 0, "%d %s\n", status, reason(status));
    }
    len = format_head(r, status);
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
    if (r->size > (long long)(sizeof c->out - len))
        return NULL; /* too big to go with the head: sendfile() sends it */
    return read_body(r);
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
    "  --host ADDRESS     the IPv4 address to listen on "
    "(default 127.0.0.1)\n"
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
    struct stat st;
    int err = 0;

    if (!dir) {
        snprintf(beside, sizeof beside, "%.*swww",
                 slash ? (int)(slash - argv0 + 1) : 0, argv0);
        dir = beside;
    }
    if (!realpath(dir, root) || stat(root, &st) < 0)
        err = errno;
    else if (!S_ISDIR(st.st_mode))
        err = ENOTDIR;
    if (err) {
        fprintf(stderr, "httpd: cannot serve '%s': %s\n", dir,
                strerror(err));
        args_usage(usage);
    }
    root_len = strlen(root);
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
