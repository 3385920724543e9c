/**
 * @file http.h
 * @brief HTTP/1.1 as httpd speaks it: the head of a request, the file it
 * names, the head of the response; httpd's options. Nothing here waits
 * or yields: the tasks that do are httpd.c's.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "server.h"
#include "task.h"

/** The limits of a request's head; a head within both fits in their sum. */
enum {
    REQUEST_LINE_MAX = 8192, /**< Bytes of the request line, with its end. */
    FIELDS_MAX = 16384       /**< Bytes of the header fields and blank line. */
};

/** What the head of a request says. */
typedef struct request {
    char *method;          /**< In the connection's buffer. */
    const char *target;    /**< Its path, in the buffer, or "/". */
    int minor;             /**< HTTP/1.minor. */
    int hosts;             /**< How many Host fields it has. */
    int close;             /**< Its Connection field asks for close. */
    int keep_alive;        /**< Its Connection field asks for keep-alive. */
    int body;              /**< It has a body, which is never read. */
    const char *length;    /**< The Content-Length, without leading zeros. */
} request;

/** How far the head in a buffer has been parsed. */
typedef struct head_scan {
    size_t line;   /**< Where the line being read starts. */
    size_t fields; /**< Where the header fields start; 0 until then. */
    size_t end;    /**< The length of the head once it is whole; else 0. */
} head_scan;

/** @name Errors of a head
 * Their code is the status of the response, 400 to 599.
 * @{ */
extern const task_error bad_request;           /**< 400 */
extern const task_error uri_too_long;          /**< 414 */
extern const task_error fields_too_large;      /**< 431 */
extern const task_error not_implemented;       /**< 501 */
extern const task_error version_not_supported; /**< 505 */
/** @} */

/**
 * Parse each line of a head that is whole in @p in, from where @p s
 * stopped, as soon as it is whole; @p s starts zeroed, with @p q.
 * @param s how far the head has been parsed; s->end is set once it is
 * @param q the request
 * @param keep gets 1 if the connection stays open after the response
 * @param in the head, and what came after it; parsed in place
 * @param len bytes in @p in
 * @return NULL, or the error that answers it
 */
const task_error *scan_head(head_scan *s, request *q, int *keep, char *in,
                            size_t len);

/**
 * Parse the request line, METHOD SP TARGET SP HTTP/1.x, into @p q.
 * @param q the request
 * @param line the line without its end; cut into pieces in place
 * @return NULL, or the error that answers it
 */
const task_error *parse_request_line(request *q, char *line);

/**
 * Parse a header field, NAME ":" VALUE, into @p q.
 * @param q the request
 * @param line the line without its end; changed in place
 * @return NULL, or the error that answers it
 */
const task_error *parse_field(request *q, char *line);

/**
 * The blank line came: check the whole head, and say whether the
 * connection stays open after the response.
 * @param q the request
 * @param keep gets 1 if it stays open, else 0
 * @return NULL, or the error that answers it
 */
const task_error *end_head(const request *q, int *keep);

/**
 * The status to answer a head that could not be read with, or 0 to close
 * without a word: the client went away or sent nothing in time, or the
 * server is stopping (task_exit).
 * @param e the error of the reader
 * @param len the bytes of the head that came before it
 * @return 400 to 599, or 0
 */
int status_for(const task_error *e, size_t len);

/**
 * The status a method gets before its file is looked for.
 * @param method the request's method
 * @return 0 for GET, 405 for another method of HTTP, 501 for one that is
 *         not
 */
int method_status(const char *method);

/**
 * Open the regular file that @p target names under the root; a directory
 * means its index.html.
 * @param target the request's target, a path with %XX and a query
 * @param fd gets the open file, or -1; the caller closes it
 * @param size gets its size, if it is 200
 * @param type gets its Content-Type, if it is 200
 * @return 200, or the status that says why not
 */
int open_target(const char *target, int *fd, long long *size,
                const char **type);

/**
 * The reason phrase of a status.
 * @param status the status, 200 to 599
 * @return its phrase, such as "Not Found"
 */
const char *reason(int status);

/**
 * Write the status line and header fields of a response.
 * @param out where to write them
 * @param size the room in @p out
 * @param status the status
 * @param type the body's Content-Type
 * @param length the body's length
 * @param keep 1 if the connection stays open after it
 * @param minor the request's HTTP/1.minor
 * @return their length
 */
size_t format_head(char *out, size_t size, int status, const char *type,
                   long long length, int keep, int minor);

/** A response: its head, with its body if both fit, else the file that
 * the rest of its body is sent from. */
typedef struct response {
    int file;         /**< The file that is the body, or -1. */
    long long size;   /**< The length of the body. */
    long long left;   /**< Bytes of the file not read yet. */
    const char *type; /**< The body's Content-Type. */
    size_t len;       /**< Bytes of the head and body to send first. */
} response;

/** The error of a file that got shorter while it was sent. */
extern const task_error file_changed;

/**
 * Choose the status, open the file, and put the head into @p out, with the
 * body if both fit; a larger file stays open in r->file, moved to
 * FD_SETSIZE or above.
 * @param r gets the response; r->file is -1 on entry, the caller closes it
 * @param out where to put the head and body
 * @param size the room in @p out
 * @param q the request
 * @param status the status of an error found in the head, or 0
 * @param keep 1 if the connection stays open after the response
 * @return NULL, or the error of reading the file
 */
const task_error *start_response(response *r, char *out, size_t size,
                                 const request *q, int status, int keep);

/**
 * Try to send the head of a response whose body sendfile() sends next,
 * with MSG_MORE.
 * @param fd the socket
 * @param head the head
 * @param len its length
 * @return the bytes sent, maybe 0; the caller sends the rest
 */
size_t send_head_first(int fd, const char *head, size_t len);

/**
 * How much of the file the next sendfile() may send.
 * @param r the response
 * @return all that is left, in pieces of at most 1 GiB
 */
size_t next_piece(const response *r);

/**
 * Make @p fd send each write at once (TCP_NODELAY).
 * @param fd a connection's socket
 */
void send_at_once(int fd);

/**
 * Read httpd's options: --host and --port into @p s, as server_option()
 * does, --root, the directory served from then on (www beside the program
 * if none), and --timeout. Bad options print the usage and exit with 2.
 * @param s the server, from server_init() with http_usage
 * @param argc main's argc
 * @param argv main's argv
 * @return the --timeout in seconds, 10 if it is not given
 */
double http_options(server *s, int argc, char **argv);

/** httpd's usage message. */
extern const char http_usage[];

#endif
