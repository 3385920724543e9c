/**
 * @file io.h
 * @brief An I/O loop: tasks yield wait requests, one select() resumes them.
 *
 * This is Python's `multitask`. A task never blocks. To read, write, accept,
 * sleep or use a queue it fills an io_wait and yields it:
 *
 *     TASK_YIELD_VALUE(t, io_recv(&c->wait, c->fd, c->buf, sizeof c->buf, 5));
 *     c->n = t->sent.as.i;
 *
 * The loop parks the task until the request is done, then resumes it with
 * the result as the yield's value, or throws the error in at the yield
 * (io_timeout when the timeout runs out first).
 */
#ifndef IO_H
#define IO_H

#include <stddef.h>
#include <sys/socket.h>

#include "task.h"

/** What a task waits for. */
enum io_op {
    IO_READABLE = 1, /**< The fd can be read: result none. */
    IO_WRITABLE,     /**< The fd can be written: result none. */
    IO_ACCEPT,       /**< A connection: result the new fd. */
    IO_RECV,         /**< Some bytes: result how many, 0 at end of file. */
    IO_SEND,         /**< All the bytes written: result how many. */
    IO_READLINE,     /**< A line: result its length, 0 at end of file. */
    IO_CONNECT,      /**< The connection is made: result none. */
    IO_SLEEP,        /**< The time is up: result none. */
    IO_GET,          /**< An item from a queue: result the item. */
    IO_PUT           /**< The item is in the queue: result none. */
};

/** The codes of the loop's errors; an OS error is IO_ERROR_OS + errno. */
enum io_error_code {
    IO_ERROR_TIMEOUT = 200, /**< The wait's timeout ran out. */
    IO_ERROR_FD_LIMIT,      /**< The fd is too large for select(). */
    IO_ERROR_BUSY,          /**< Another task already waits on the fd. */
    IO_ERROR_LINE_TOO_LONG, /**< A line does not fit in the buffer. */
    IO_ERROR_OS = 1000      /**< Add errno to get an OS error's code. */
};

/** Thrown in when a wait's timeout runs out: multitask's Timeout. */
extern const task_error io_timeout;
/** Thrown in when the fd is FD_SETSIZE or more: select() cannot watch it. */
extern const task_error io_error_fd_limit;
/** Thrown in when another task waits on the same fd the same way. */
extern const task_error io_error_busy;
/** Thrown in by a readline whose line is longer than its buffer. */
extern const task_error io_error_line_too_long;

/**
 * A wait request: what a task waits for, and how far it got. It belongs to
 * the task (put it in the task's struct) and must live until the task is
 * resumed.
 */
typedef struct io_wait {
    enum io_op op;           /**< What to wait for. */
    int fd;                  /**< The fd, for the I/O operations. */
    struct queue *queue;     /**< The queue, for IO_GET and IO_PUT. */
    struct io_input *in;     /**< The connection's input, for IO_READLINE. */
    char *buf;               /**< The bytes to send, or room for those read. */
    size_t len;              /**< The size of buf. */
    size_t done;             /**< How many bytes are sent or read so far. */
    value item;              /**< The item to put, for IO_PUT. */
    long long deadline;      /**< When the wait times out (io_now()), or -1. */
    unsigned long seq;       /**< Orders waits with the same deadline. */
    long timer;              /**< Its place in the timer heap, or -1. */
    int parked;              /**< 1 while the loop holds the task. */
    value result;            /**< What the yield gets when the wait is over. */
    const task_error *error; /**< What is thrown in instead, or NULL. */
} io_wait;

/** The bytes an io_input holds. */
enum { IO_INPUT_SIZE = 16384 };

/**
 * What io_readline() read from a connection beyond the line it handed out:
 * the start of the next lines. It belongs to the connection: put it in the
 * task's struct, zeroed (empty), pass it to every readline on the fd, and
 * read the fd in no other way.
 */
typedef struct io_input {
    size_t start;            /**< The first byte not handed out yet. */
    size_t end;              /**< The end of the bytes read. */
    char buf[IO_INPUT_SIZE]; /**< The bytes read. */
} io_input;

/**
 * Allocate a task of @p size bytes (a struct whose first member is a task),
 * zeroed, with body @p body, and make it ready. The loop frees it when it
 * ends. Call it before io_run() or from a running task.
 * @param body the task's body
 * @param size the size of the task's struct
 * @return the struct, or NULL if there is no memory
 */
void *io_spawn(task_fn *body, size_t size);

/**
 * Name @p t as the program calls it ("listener", "client 3"), for the task
 * dump and for the trace (task_name()). The dump prints the name and, at
 * the task's resume point, the base name of the file that names it: in
 * every program of the course, the file of the task's body.
 * @param t    a task of the loop
 * @param name its name, which must live as long as the task: a string
 *             literal, or a char array in the task's own struct
 */
#define io_name(t, name) io_set_name((t), (name), __FILE__)

/**
 * What io_name() calls: it keeps both pointers for the dump and names
 * @p t in the trace.
 * @param t    a task of the loop
 * @param name its name, which must live as long as the task
 * @param file the source file that names it, which must live as long too
 */
void io_set_name(task *t, const char *name, const char *file);

/**
 * Run the tasks until none is left.
 * @return 0, or -1 if the tasks left can never wake (they wait on queues
 *         that no task can fill): they are closed, and stderr says so
 */
int io_run(void);

/**
 * Make io_run() stop on SIGINT and SIGTERM: it closes every task (their
 * cleanup runs) and returns 0. On SIGQUIT it prints a task dump to
 * stderr, at its next pass, and goes on.
 */
void io_stop_on_signals(void);

/**
 * Let the clock jump to the next timer whenever every task waits, instead
 * of sleeping: the output is the same, at once. Call it before io_run().
 */
void io_virtual_time(void);

/** @return the loop's clock in nanoseconds, real or virtual */
long long io_now(void);

/**
 * Make @p fd non-blocking, as every fd the loop watches must be. The loop
 * does not check at each wait (that would cost a system call every
 * time): call it once for each fd the program makes and hands to the
 * loop. The fds of io_accept() and io_connect() already are.
 * @param fd the fd
 * @return 0, or -1 with errno set
 */
int io_nonblock(int fd);

/**
 * Whether the loop can watch @p fd: select() cannot watch an fd of
 * FD_SETSIZE or more. A server asks before it starts a task for a
 * connection.
 * @param fd the fd
 * @return 1 if it can, else 0
 */
int io_watchable(int fd);

/**
 * The error for an OS error number, as a task_error with a stable address.
 * @param err an errno value
 * @return the error, code IO_ERROR_OS + @p err, message strerror(@p err)
 */
const task_error *io_os_error(int err);

/**
 * Resume a parked task with a result or an error; used by queue.c.
 * @param t a task whose last yield was a wait request
 * @param result what its yield gets
 * @param error what is thrown in instead, or NULL
 */
void io_wake(task *t, value result, const task_error *error);

/**
 * @defgroup io_requests Wait requests
 * Each fills @p w and returns it as a value for TASK_YIELD_VALUE. A
 * @p timeout is in seconds; a negative one means no timeout.
 * @{
 */

/** Wait until @p fd can be read. @param w the request @param fd the fd
 *  @param timeout seconds @return the request as a value */
value io_readable(io_wait *w, int fd, double timeout);

/** Wait until @p fd can be written. @param w the request @param fd the fd
 *  @param timeout seconds @return the request as a value */
value io_writable(io_wait *w, int fd, double timeout);

/** Accept a connection on listening socket @p fd; the yield gets the new,
 *  non-blocking fd. @param w the request @param fd the socket
 *  @param timeout seconds @return the request as a value */
value io_accept(io_wait *w, int fd, double timeout);

/** Read up to @p len bytes; the yield gets how many (0 at end of file).
 *  @param w the request @param fd the fd @param buf where they go
 *  @param len its size @param timeout seconds @return the request */
value io_recv(io_wait *w, int fd, void *buf, size_t len, double timeout);

/** Write all @p len bytes, across partial writes; the yield gets @p len.
 *  @param w the request @param fd the fd @param buf the bytes
 *  @param len how many @param timeout seconds @return the request */
value io_send(io_wait *w, int fd, const void *buf, size_t len,
              double timeout);

/** Read one line, newline included, into @p buf as a string; the yield
 *  gets its length (0 at end of file). @p buf holds @p len - 1 bytes and
 *  the '\0': a line whose newline is not among its first @p len - 1
 *  bytes throws io_error_line_too_long, and those bytes are dropped. The
 *  bytes read after the line wait in @p in for the next readline: a line
 *  already there is handed out without a wait.
 *  @param w the request @param fd the fd @param in the connection's input
 *  @param buf room for the line @param len its size
 *  @param timeout seconds @return the request */
value io_readline(io_wait *w, int fd, io_input *in, char *buf, size_t len,
                  double timeout);

/** Connect socket @p fd (non-blocking) to @p addr. @param w the request
 *  @param fd the socket @param addr the address @param addrlen its size
 *  @param timeout seconds @return the request */
value io_connect(io_wait *w, int fd, const struct sockaddr *addr,
                 socklen_t addrlen, double timeout);

/** Sleep for @p seconds. @param w the request @param seconds how long
 *  @return the request */
value io_sleep(io_wait *w, double seconds);

/** @} */

#endif
