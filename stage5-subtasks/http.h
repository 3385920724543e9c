/**
 * @file http.h
 * @brief HTTP/1.1 as httpd speaks it: the head of a request, the file it
 * names, the head of the response. Nothing here waits or yields: the
 * tasks that do are httpd.c's.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

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
 * The status a method gets before its file is looked for.
 * @param method the request's method
 * @return 0 for GET, 405 for another method of HTTP, 501 for one that is
 *         not
 */
int method_status(const char *method);

/**
 * Serve the directory @p dir from now on.
 * @param dir the directory
 * @return 0, or an errno value that says why not
 */
int serve_root(const char *dir);

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

#endif
