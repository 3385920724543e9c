/* http: HTTP/1.1 itself, as httpd speaks it: the request's head parsed
 * line by line and checked as RFC 9112 and 9110 ask, the path mapped to a
 * file under the root, and the response's status line and fields, with
 * the body when both fit; and httpd's options. Nothing here waits or
 * yields. */
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
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "http.h"
#include "io.h"

static char root[PATH_MAX]; /* the directory served, as a real path */
static size_t root_len;

/* A request that cannot be answered as asked. The code of the error is the
 * status of the response, 400 to 599: no code of the runtime's is. */
const task_error bad_request = {400, "Bad Request"};
const task_error uri_too_long = {414, "URI Too Long"};
const task_error fields_too_large = {
    431, "Request Header Fields Too Large"};
const task_error not_implemented = {501, "Not Implemented"};
const task_error version_not_supported = {
    505, "HTTP Version Not Supported"};

const task_error file_changed = {TASK_ERROR_USER,
                                 "a file changed while it was sent"};

/* ---- the head of a request ---- */

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

/* Whether s, up to end, is a valid Host: a name or an IPv4 address, or
 * an IPv6 address in brackets, then an optional :PORT (RFC 3986, 3.2.2). A
 * name is letters, digits, "-._~!$&'()*+,;=" and %XX; it may be empty. */
static int is_host(const char *s, const char *end)
{
    static const char name_chars[] = "-._~!$&'()*+,;=%0123456789"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "abcdefghijklmnopqrstuvwxyz";
    static const char ip6_chars[] = ":.0123456789ABCDEFabcdef";
    const char *p = s;

    if (*p == '[') {
        while (++p < end && *p && strchr(ip6_chars, *p))
            ;
        if (p == s + 1 || p == end || *p++ != ']')
            return 0;
    } else {
        while (p < end && *p && strchr(name_chars, *p)) {
            if (*p == '%' && (hex_digit(p[1]) < 0 || hex_digit(p[2]) < 0))
                return 0;
            p += *p == '%' ? 3 : 1;
        }
    }
    if (p < end && *p == ':')
        while (++p < end && is_digit(*p))
            ;
    return p == end;
}

/* The path of an absolute-form target, "http://HOST/PATH" (RFC 9112,
 * 3.2.2): "/PATH", or "/" if it has none. NULL if it is not one. */
static const char *absolute_path(const char *target)
{
    const char *host, *end;

    if (strncasecmp(target, "http://", 7) == 0)
        host = target + 7;
    else if (strncasecmp(target, "https://", 8) == 0)
        host = target + 8;
    else
        return NULL;
    end = host + strcspn(host, "/?");
    if (end == host || !is_host(host, end))
        return NULL;
    return *end == '/' ? end : "/";
}

/* METHOD SP TARGET SP HTTP/1.x */
const task_error *parse_request_line(request *q, char *line)
{
    char *target = strchr(line, ' ');
    char *version = target ? strchr(target + 1, ' ') : NULL;

    if (!version)
        return &bad_request;
    *target++ = '\0';
    *version++ = '\0';
    q->target = target[0] == '/' ? target : absolute_path(target);
    if (!is_token(line) || !q->target ||
        strncmp(version, "HTTP/", 5) != 0 || !is_digit(version[5]) ||
        version[6] != '.' || !is_digit(version[7]) || version[8] != '\0')
        return &bad_request;
    if (version[5] != '1')
        return &version_not_supported;
    q->method = line;
    q->minor = version[7] - '0';
    return NULL;
}

/* Whether each coding of a Transfer-Encoding list is one httpd can take:
 * chunked only, since it never reads the body but closes the connection
 * after the response. */
static int only_chunked(const char *list)
{
    size_t n;

    while (*list) {
        list += strspn(list, " \t,");
        n = strcspn(list, " \t,");
        if (n > 0 && (n != 7 || strncasecmp(list, "chunked", 7) != 0))
            return 0;
        list += n;
    }
    return 1;
}

/* NAME ":" VALUE, spaces around the value. A few names matter here. */
const task_error *parse_field(request *q, char *line)
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
        if (!is_host(v, end))
            return &bad_request;
    } else if (strcasecmp(line, "Connection") == 0) {
        q->close |= has_token(v, "close");
        q->keep_alive |= has_token(v, "keep-alive");
    } else if (strcasecmp(line, "Content-Length") == 0) {
        if (!*v || v[strspn(v, "0123456789")] != '\0')
            return &bad_request;
        v += strspn(v, "0");
        if (q->length && strcmp(q->length, v) != 0)
            return &bad_request; /* two lengths: where does it end? */
        q->length = v;
        q->body |= *v != '\0';
    } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
        if (!only_chunked(v))
            return &not_implemented;
        q->body = 1;
    }
    return NULL;
}

/* The blank line came: the head is whole. HTTP/1.1 wants one Host field;
 * it keeps the connection open unless asked not to, HTTP/1.0 only if
 * asked to. A body is never read, so it ends the connection. */
const task_error *end_head(const request *q, int *keep)
{
    if (q->hosts > 1 || (q->minor >= 1 && q->hosts == 0))
        return &bad_request;
    *keep = !q->close && !q->body && (q->minor >= 1 || q->keep_alive);
    return NULL;
}

int status_for(const task_error *e, size_t len)
{
    if (e->code >= 400 && e->code < 600)
        return e->code;
    if (e == &io_timeout && len > 0)
        return 408;
    return 0;
}

/* 0 for GET; 405 for another method of HTTP, which httpd does not allow;
 * 501 for a method it does not know (RFC 9110, 9.1: they are
 * case-sensitive, so "get" is one). */
int method_status(const char *method)
{
    static const char *const others[] = {
        "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

    if (strcmp(method, "GET") == 0)
        return 0;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (strcmp(method, others[i]) == 0)
            return 405;
    return 501;
}

/* ---- finding the file ---- */

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

/* Open the regular file that target names under the root; a directory
 * means its index.html. Returns 200, or the status that says why not. */
int open_target(const char *target, int *fd, long long *size,
                const char **type)
{
    /* These run between two yields: plain locals, not in the frame. */
    char path[PATH_MAX + REQUEST_LINE_MAX], real[PATH_MAX];
    struct stat st;
    int status = map_path(target, path);

    if (!status)
        status = open_under_root(path, real, fd, &st);
    if (!status && S_ISDIR(st.st_mode)) {
        close(*fd);
        snprintf(path, sizeof path, "%s/index.html", real);
        status = open_under_root(path, real, fd, &st);
    }
    if (status)
        return status;
    if (!S_ISREG(st.st_mode))
        return 404;
    *size = st.st_size;
    *type = content_type(real);
    return 200;
}

/* Serve the directory dir; returns 0, or an errno value. */
static int serve_root(const char *dir)
{
    struct stat st;

    if (!realpath(dir, root) || stat(root, &st) < 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        return ENOTDIR;
    root_len = strlen(root);
    return 0;
}

/* Serve dir from now on, or www beside the program if dir is NULL; if it
 * cannot be served, say why and exit with the usage. */
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
        args_usage(http_usage);
    }
}

/* ---- the lines of a head ---- */

/* One whole line, from line to its newline nl: the request line, a header
 * field, or the blank line at the end of the head. A line may end in CRLF
 * or LF alone; no other control character is allowed. Empty lines before
 * the request line are ignored (RFC 9112, section 2.2). */
static const task_error *parse_line(head_scan *s, request *q, int *keep,
                                    char *line, char *nl, size_t end)
{
    const task_error *e;

    if (nl > line && nl[-1] == '\r')
        nl--;
    *nl = '\0';
    for (char *p = line; p < nl; p++)
        if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
            return &bad_request;
    if (!s->fields && !*line)
        return NULL;
    if (!s->fields) {
        s->fields = end;
        return parse_request_line(q, line);
    }
    if (*line)
        return parse_field(q, line);
    e = end_head(q, keep);
    if (!e)
        s->end = end;
    return e;
}

/* Whether the head would be over a limit if its current line ended at
 * end: 414 for the request line, 431 for the header fields. */
static const task_error *over_limit(const head_scan *s, size_t end)
{
    if (!s->fields)
        return end > REQUEST_LINE_MAX ? &uri_too_long : NULL;
    return end - s->fields > FIELDS_MAX ? &fields_too_large : NULL;
}

const task_error *scan_head(head_scan *s, request *q, int *keep, char *in,
                            size_t len)
{
    const task_error *e;
    char *nl;

    while (!s->end) {
        nl = memchr(in + s->line, '\n', len - s->line);
        if (!nl) /* the line ends later: one byte more at least */
            return over_limit(s, len + 1);
        e = over_limit(s, (size_t)(nl - in) + 1);
        if (!e)
            e = parse_line(s, q, keep, in + s->line, nl,
                           (size_t)(nl - in) + 1);
        if (e)
            return e;
        s->line = (size_t)(nl - in) + 1;
    }
    return NULL;
}

/* ---- the head of a response ---- */

const char *reason(int status)
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
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    }
    return "Internal Server Error";
}

/* The Connection field of the response, if it needs one. */
static const char *connection_field(int keep, int minor)
{
    if (!keep)
        return "Connection: close\r\n";
    return minor == 0 ? "Connection: keep-alive\r\n" : "";
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

/* The status line and header fields, into out; returns their length. */
size_t format_head(char *out, size_t size, int status, const char *type,
                   long long length, int keep, int minor)
{
    return (size_t)snprintf(out, size,
                            "HTTP/1.1 %d %s\r\n"
                            "Date: %s\r\n"
                            "Content-Type: %s\r\n"
                            "Content-Length: %lld\r\n"
                            "%s%s\r\n",
                            status, reason(status), http_date(), type,
                            length,
                            status == 405 ? "Allow: GET, HEAD\r\n" : "",
                            connection_field(keep, minor));
}

/* ---- the response ---- */

/* Read the whole body, r->left bytes, into out after its r->len. */
static const task_error *read_body(response *r, char *out)
{
    ssize_t got;

    while (r->left > 0) {
        got = read(r->file, out + r->len, (size_t)r->left);
        if (got <= 0)
            return got < 0 ? io_os_error(errno) : &file_changed;
        r->len += (size_t)got;
        r->left -= got;
    }
    return NULL;
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
static void drop_file(response *r)
{
    if (r->file >= 0)
        close(r->file);
    r->file = -1;
}

const task_error *start_response(response *r, char *out, size_t size,
                                 const request *q, int status, int keep)
{
    int head_only = q->method && strcmp(q->method, "HEAD") == 0;
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
    len = format_head(out, size, status, r->type, r->size, keep, q->minor);
    if (status != 200 || head_only)
        drop_file(r);
    if (head_only) {
        r->len = len;
        return NULL;
    }
    if (status != 200) {
        r->len = len + (size_t)snprintf(out + len, size - len, "%d %s\n",
                                        status, reason(status));
        return NULL;
    }
    r->left = r->size;
    r->len = len;
    if (r->size > (long long)(size - len)) {
        /* Too big to go with the head: sendfile() sends it, and the file
         * stays open as long as the client takes to read it. */
        r->file = move_high(r->file);
        return NULL;
    }
    e = read_body(r, out);
    drop_file(r);
    return e;
}

/* With MSG_MORE the kernel holds the head back for the body, and both
 * leave in full packets. Else, with TCP_NODELAY, the head would leave
 * alone, and the client would read twice. */
size_t send_head_first(int fd, const char *head, size_t len)
{
    ssize_t n = send(fd, head, len, MSG_MORE | MSG_NOSIGNAL);

    return n > 0 ? (size_t)n : 0;
}

size_t next_piece(const response *r)
{
    return r->left > (1 << 30) ? (size_t)1 << 30 : (size_t)r->left;
}

/* Send each write at once. Else the kernel holds a write back while the
 * client has not acknowledged the one before, and clients wait up to 40 ms
 * to acknowledge: a response of two writes would wait too. */
void send_at_once(int fd)
{
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- the program's options ---- */

const char http_usage[] =
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

double http_options(server *s, int argc, char **argv)
{
    const char *dir = NULL;
    double timeout = 10;

    for (int i = 1; i < argc; i++) {
        if (server_option(s, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = args_number(http_usage, "--timeout", argv[++i], 1, 3600);
        else
            args_usage(http_usage);
    }
    set_root(dir, argv[0]);
    return timeout;
}
