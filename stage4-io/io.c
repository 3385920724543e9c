/* The I/O loop: ready tasks run in order; select() and a timer heap wake
 * the others. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "queue.h"
#include "trace.h"

const task_error io_timeout = {IO_ERROR_TIMEOUT, "timed out"};
const task_error io_error_fd_limit = {
    IO_ERROR_FD_LIMIT, "fd is FD_SETSIZE or more: select() cannot watch it"};
const task_error io_error_busy = {IO_ERROR_BUSY,
                                  "another task waits on this fd"};
const task_error io_error_line_too_long = {IO_ERROR_LINE_TOO_LONG,
                                           "line longer than the buffer"};

/* What io_spawn allocates: the links of the list of all tasks, the name
 * io_name gave the task for the dump, then the task's own struct. */
typedef struct spawned {
    struct spawned *prev, *next;
    const char *name, *file; /* NULL until io_name() */
    max_align_t frame[];
} spawned;

static spawned *all;    /* every task the loop owns */
static long ntasks;     /* how many */
static pool ready;      /* tasks ready to run, in order */
static task *readers[FD_SETSIZE], *writers[FD_SETSIZE];
static int nwatched;    /* how many fds the tasks wait on */
static int maxfd = -1;  /* no fd above it is watched */
static task **timers;   /* a binary heap: the earliest deadline first */
static long ntimers, timers_cap;
static unsigned long timer_seq;
static int virtual_clock;
static long long virtual_now;
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t dump_requested;
static int stop_on_signals;
static int wake_pipe[2] = {-1, -1}; /* on_signal writes a byte to [1] */
static int looked;        /* the last pass looked at the fds */

static io_wait *wait_of(task *t)
{
    return t->yielded.kind == VALUE_WAIT ? t->yielded.as.wait : NULL;
}

long long io_now(void)
{
    struct timespec ts;

    if (virtual_clock)
        return virtual_now;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double seconds(void)
{
    return (double)io_now() / 1e9;
}

void io_virtual_time(void)
{
    virtual_clock = 1;
    trace_clock(seconds);
}

/* ---- the timer heap ---- */

static int earlier(task *a, task *b)
{
    io_wait *x = wait_of(a), *y = wait_of(b);

    return x->deadline < y->deadline ||
           (x->deadline == y->deadline && x->seq < y->seq);
}

static void timer_place(long i, task *t)
{
    timers[i] = t;
    wait_of(t)->timer = i;
}

static void sift_up(long i)
{
    task *t = timers[i];

    while (i > 0 && earlier(t, timers[(i - 1) / 2])) {
        timer_place(i, timers[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    timer_place(i, t);
}

static void sift_down(long i)
{
    task *t = timers[i];
    long child;

    while ((child = 2 * i + 1) < ntimers) {
        if (child + 1 < ntimers && earlier(timers[child + 1], timers[child]))
            child++;
        if (!earlier(timers[child], t))
            break;
        timer_place(i, timers[child]);
        i = child;
    }
    timer_place(i, t);
}

static int timer_add(task *t)
{
    if (ntimers == timers_cap) {
        long cap = timers_cap ? 2 * timers_cap : 64;
        task **grown = realloc(timers, cap * sizeof *grown);

        if (!grown)
            return -1;
        timers = grown;
        timers_cap = cap;
    }
    wait_of(t)->seq = timer_seq++;
    timer_place(ntimers++, t);
    sift_up(ntimers - 1);
    return 0;
}

static void timer_remove(task *t)
{
    long i = wait_of(t)->timer;

    wait_of(t)->timer = -1;
    if (--ntimers == i)
        return;
    timer_place(i, timers[ntimers]);
    sift_up(i);
    sift_down(i);
}

/* ---- parking and waking ---- */

static int is_write(enum io_op op)
{
    return op == IO_WRITABLE || op == IO_SEND || op == IO_CONNECT;
}

/* Can select() watch fd? Not if it is FD_SETSIZE or more: FD_SET would
 * write past the end of the fd_set. */
static int watchable(int fd)
{
    return fd >= 0 && fd < FD_SETSIZE;
}

static void unwatch(task *t, io_wait *w)
{
    task **slot = is_write(w->op) ? writers : readers;

    if (!watchable(w->fd) || slot[w->fd] != t)
        return;
    slot[w->fd] = NULL;
    nwatched--;
    while (maxfd >= 0 && !readers[maxfd] && !writers[maxfd])
        maxfd--;
}

void io_wake(task *t, value result, const task_error *error)
{
    io_wait *w = wait_of(t);

    if (!w || !w->parked)
        return; /* it waits for nothing: it was woken already, or runs */
    if (w->timer >= 0)
        timer_remove(t);
    unwatch(t, w);
    w->parked = 0;
    w->result = result;
    w->error = error;
    pool_add(&ready, t);
}

static void watch(task *t, io_wait *w)
{
    task **slot = is_write(w->op) ? writers : readers;

    if (!watchable(w->fd))
        io_wake(t, value_none(), &io_error_fd_limit);
    else if (slot[w->fd])
        io_wake(t, value_none(), &io_error_busy);
    else {
        slot[w->fd] = t;
        nwatched++;
        if (w->fd > maxfd)
            maxfd = w->fd;
    }
}

/* Move the bytes of the connection's input into the line, up to and with
 * a newline, as far as the line has room. Wake t if the line has ended or
 * is full without one (too long); 1 if it did. */
static int take_line(task *t, io_wait *w)
{
    io_input *in = w->in;
    size_t n = in->end - in->start, room = w->len - 1 - w->done;
    char *from = in->buf + in->start, *nl;

    if (n > room)
        n = room;
    nl = memchr(from, '\n', n);
    if (nl)
        n = (size_t)(nl - from) + 1;
    memcpy(w->buf + w->done, from, n);
    in->start += n;
    w->done += n;
    if (nl) {
        w->buf[w->done] = '\0';
        io_wake(t, value_int((long)w->done), NULL);
    } else if (w->done == w->len - 1) {
        io_wake(t, value_none(), &io_error_line_too_long);
    }
    return nl || w->done == w->len - 1;
}

static void do_send(task *t, io_wait *w);

/* Try a send before waiting: the socket has room for it mostly. Not while
 * another task waits to write the fd, whose bytes go first (watch() tells
 * this one the fd is busy). 1 if t is done. */
static int sent_at_once(task *t, io_wait *w)
{
    if (watchable(w->fd) && writers[w->fd])
        return 0;
    do_send(t, w);
    return !w->parked;
}

/* Hold task t until its wait request is over. */
static void park(task *t)
{
    io_wait *w = wait_of(t);

    w->parked = 1;
    w->timer = -1;
    if (w->error) {
        io_wake(t, value_none(), w->error); /* the request already failed */
        return;
    }
    if (w->op == IO_READLINE && take_line(t, w))
        return; /* the line was in the connection's input */
    if (w->op == IO_SEND && sent_at_once(t, w))
        return;
    if (w->deadline >= 0 && timer_add(t) < 0) {
        io_wake(t, value_none(), io_os_error(ENOMEM));
        return;
    }
    if (w->op == IO_SLEEP)
        return;
    if (w->op == IO_GET || w->op == IO_PUT)
        queue_wait(w->queue, t);
    else
        watch(t, w);
}

/* Let go of a parked task without waking it: it is being closed. */
static void unpark(task *t)
{
    io_wait *w = wait_of(t);

    if (!w || !w->parked)
        return;
    if (w->timer >= 0)
        timer_remove(t);
    if (w->op == IO_GET || w->op == IO_PUT)
        queue_forget(w->queue, t);
    else
        unwatch(t, w);
    w->parked = 0;
}

/* ---- tasks ---- */

static spawned *spawned_of(task *t)
{
    return (spawned *)((char *)t - offsetof(spawned, frame));
}

void *io_spawn(task_fn *body, size_t size)
{
    spawned *s = calloc(1, sizeof *s + size);

    if (!s)
        return NULL;
    s->next = all;
    if (all)
        all->prev = s;
    all = s;
    ntasks++;
    task_init((task *)s->frame, body);
    pool_add(&ready, (task *)s->frame);
    return s->frame;
}

void io_set_name(task *t, const char *name, const char *file)
{
    spawned *s = spawned_of(t);

    s->name = name;
    s->file = file;
    trace_name(t, name, file);
}

static void release(task *t)
{
    spawned *s = spawned_of(t);

    if (s->prev)
        s->prev->next = s->next;
    else
        all = s->next;
    if (s->next)
        s->next->prev = s->prev;
    ntasks--;
    free(s);
}

/* Resume t with what its wait brought, then park it, requeue it or let it
 * go. */
static void step(task *t)
{
    io_wait *w = wait_of(t);
    task_status s;

    if (w && w->error)
        s = task_throw(t, w->error);
    else
        s = task_send(t, w ? w->result : value_none());
    if (s == TASK_YIELDED) {
        if (wait_of(t))
            park(t);
        else
            pool_add(&ready, t);
        return;
    }
    if (s != TASK_DONE)
        fprintf(stderr, "task failed: %s\n", task_error_of(t, s)->message);
    release(t);
}

/* t ignored the exit: close it once more, as CPython closes a generator it
 * drops. If it yields again, run its cleanup from the start (once more
 * for a cleanup that yields), so that nothing it holds is lost when it is
 * freed. */
static void finish(task *t)
{
    task_status s = task_close(t);

    if (s == TASK_IGNORED_EXIT && !t->cleaned_up) {
        t->resume = TASK_CLEANUP;
        s = task_close(t);
    }
    if (s == TASK_IGNORED_EXIT)
        s = task_close(t);
    if (s != TASK_DONE)
        fprintf(stderr, "task failed on close: %s\n",
                task_error_of(t, s)->message);
}

/* Close every task, newest first; their cleanup runs. A task that a
 * cleanup spawns is the newest, so it is closed next, before it ever runs. */
static void close_all(void)
{
    task *t;
    task_status s;

    while (all) {
        pool_init(&ready); /* a task a cleanup spawned is on it, not to run */
        t = (task *)all->frame;
        unpark(t);
        s = task_close(t);
        if (!task_done(t))
            finish(t);
        if (s != TASK_DONE)
            fprintf(stderr, "task failed on close: %s\n",
                    task_error_of(t, s)->message);
        release(t);
    }
    pool_init(&ready);
}

/* ---- doing the I/O ---- */

const task_error *io_os_error(int err)
{
    static task_error errors[256];
    static char messages[256][64]; /* strerror's may change at its next call */

    if (err <= 0 || err >= 256)
        err = EIO;
    if (!errors[err].message) {
        snprintf(messages[err], sizeof messages[err], "%s", strerror(err));
        errors[err].code = IO_ERROR_OS + err;
        errors[err].message = messages[err];
    }
    return &errors[err];
}

int io_watchable(int fd)
{
    return watchable(fd);
}

int io_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -1;
    if (flags & O_NONBLOCK)
        return 0;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int again(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Read into the connection's input, a buffer at a time, not a byte: the
 * bytes after the line wait there for the next readline. */
static void do_readline(task *t, io_wait *w)
{
    ssize_t n = read(w->fd, w->in->buf, sizeof w->in->buf);

    if (n < 0 && again())
        return;
    if (n < 0) {
        io_wake(t, value_none(), io_os_error(errno));
        return;
    }
    if (n == 0) { /* end of file: the line so far, or 0 */
        w->buf[w->done] = '\0';
        io_wake(t, value_int((long)w->done), NULL);
        return;
    }
    w->in->start = 0;
    w->in->end = (size_t)n;
    take_line(t, w);
}

static void do_send(task *t, io_wait *w)
{
    ssize_t n = write(w->fd, w->buf + w->done, w->len - w->done);

    if (n < 0 && again())
        return;
    if (n < 0) {
        io_wake(t, value_none(), io_os_error(errno));
        return;
    }
    w->done += (size_t)n;
    if (w->done == w->len)
        io_wake(t, value_int((long)w->len), NULL);
}

/* The fd of t's wait is ready: do the operation, or wake t to do it. */
static void do_io(task *t)
{
    io_wait *w = wait_of(t);
    ssize_t n;
    int err = 0;
    socklen_t len = sizeof err;

    switch (w->op) {
    case IO_ACCEPT:
        n = accept(w->fd, NULL, NULL);
        if (n >= 0 && io_nonblock((int)n) < 0) {
            close((int)n);
            n = -1;
        }
        break;
    case IO_RECV:
        n = read(w->fd, w->buf, w->len);
        break;
    case IO_SEND:
        do_send(t, w);
        return;
    case IO_READLINE:
        do_readline(t, w);
        return;
    case IO_CONNECT:
        n = getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (n == 0 && err) {
            errno = err;
            n = -1;
        }
        break;
    default:
        n = 0;
        break;
    }
    if (n < 0 && again())
        return;
    if (n < 0)
        io_wake(t, value_none(), io_os_error(errno));
    else
        io_wake(t, w->op == IO_CONNECT ? value_none() : value_int((long)n),
                NULL);
}

/* An fd was closed under a waiting task: wake that task with the error. */
static void fail_bad_fds(void)
{
    for (int fd = 0; fd <= maxfd; fd++) {
        if (!readers[fd] && !writers[fd])
            continue;
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        if (readers[fd])
            io_wake(readers[fd], value_none(), io_os_error(EBADF));
        if (writers[fd])
            io_wake(writers[fd], value_none(), io_os_error(EBADF));
    }
}

static void empty_wake_pipe(void)
{
    char bytes[64];

    while (read(wake_pipe[0], bytes, sizeof bytes) > 0)
        ;
}

/* Wait up to timeout ns (-1: no limit) for a watched fd, then do its I/O.
 * Returns how many fds were ready, or -1 if a signal cut the wait short. */
static int poll_fds(long long timeout)
{
    fd_set rd, wr;
    struct timeval tv, *tvp = NULL;
    long long us = (timeout + 999) / 1000; /* rounded up: never too early */
    int n, top = maxfd;

    FD_ZERO(&rd);
    FD_ZERO(&wr);
    for (int fd = 0; fd <= top; fd++) {
        if (readers[fd])
            FD_SET(fd, &rd);
        if (writers[fd])
            FD_SET(fd, &wr);
    }
    if (stop_on_signals) {
        FD_SET(wake_pipe[0], &rd);
        top = wake_pipe[0] > top ? wake_pipe[0] : top;
    }
    if (timeout >= 0) {
        tv.tv_sec = us / 1000000;
        tv.tv_usec = us % 1000000;
        tvp = &tv;
    }
    n = select(top + 1, &rd, &wr, NULL, tvp);
    if (n < 0 && errno == EBADF)
        fail_bad_fds();
    if (n < 0)
        return errno == EINTR ? -1 : 0; /* the loop looks at the stop flag */
    if (n == 0)
        return 0;
    if (stop_on_signals && FD_ISSET(wake_pipe[0], &rd))
        empty_wake_pipe();
    for (int fd = 0; fd <= top; fd++) {
        if (FD_ISSET(fd, &rd) && readers[fd])
            do_io(readers[fd]);
        if (FD_ISSET(fd, &wr) && writers[fd])
            do_io(writers[fd]);
    }
    return n;
}

static void expire_timers(void)
{
    task *t;
    io_wait *w;

    while (ntimers > 0 && wait_of(timers[0])->deadline <= io_now()) {
        t = timers[0];
        w = wait_of(t);
        if (w->op == IO_GET || w->op == IO_PUT)
            queue_forget(w->queue, t);
        io_wake(t, value_none(), w->op == IO_SLEEP ? NULL : &io_timeout);
    }
}

/* Block until something can run: an fd, a timer, or a signal. While tasks
 * are ready, only look at the fds, and every other pass: a send that goes
 * out at once makes its task ready again, and a look right away would
 * mostly be a system call for nothing. */
static void wait_for_events(void)
{
    long long timeout = -1;

    looked = !(ready.ntasks > 0 && looked);
    if (!looked) {
        expire_timers();
        return;
    }
    if (ready.ntasks > 0)
        timeout = 0;
    else if (ntimers > 0)
        timeout = wait_of(timers[0])->deadline - io_now();
    if (ntimers > 0 && timeout < 0)
        timeout = 0; /* the deadline has passed; -1 would mean no limit */
    if (virtual_clock && timeout > 0) {
        if (poll_fds(0) == 0 && ready.ntasks == 0)
            virtual_now = wait_of(timers[0])->deadline;
    } else if (nwatched > 0 || timeout != 0) {
        poll_fds(timeout);
    }
    expire_timers();
}

/* The flag alone could come just after the loop tested it and just
 * before select() blocks, and wait there unread; the byte in the pipe
 * makes that select() return at once. */
static void on_signal(int sig)
{
    int saved = errno; /* the code the signal cut into may still read it */
    ssize_t n;

    if (sig == SIGQUIT)
        dump_requested = 1;
    else
        stop_requested = 1;
    n = write(wake_pipe[1], "", 1); /* fails only if full: a byte is there */
    (void)n;
    errno = saved;
}

void io_stop_on_signals(void)
{
    struct sigaction sa;

    if (wake_pipe[0] < 0 &&
        (pipe(wake_pipe) < 0 || io_nonblock(wake_pipe[0]) < 0 ||
         io_nonblock(wake_pipe[1]) < 0)) {
        perror("io_stop_on_signals: pipe");
        exit(1);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    stop_on_signals = 1;
}

/* ---- the task dump ---- */

/* What each wait request waits for, as the dump says it. */
static const char *const wait_names[] = {
    [IO_READABLE] = "readable",          [IO_WRITABLE] = "writable",
    [IO_ACCEPT] = "readable (accept)",   [IO_RECV] = "readable (recv)",
    [IO_CONNECT] = "writable (connect)", [IO_SLEEP] = "sleep",
    [IO_GET] = "queue get",              [IO_PUT] = "queue put",
    [IO_SEND] = "writable (send)",       [IO_READLINE] = "readable (readline)",
};

static const char *wait_name(enum io_op op)
{
    size_t n = sizeof wait_names / sizeof wait_names[0];

    return (size_t)op < n && wait_names[op] ? wait_names[op] : "request";
}

/* One line of the dump: t's name, where it is suspended (its resume point
 * is the line of its last yield, in the file that named it: in every
 * program of the course, the file of its body), and what it waits for. */
static void dump_task(const char *indent, const char *name, long n, task *t)
{
    io_wait *w = wait_of(t);
    const char *file = spawned_of(t)->file;
    const char *base = file ? strrchr(file, '/') : NULL;

    if (spawned_of(t)->name)
        fprintf(stderr, "%s%s", indent, spawned_of(t)->name);
    else if (n > 0)
        fprintf(stderr, "%s%s %ld", indent, name, n);
    else
        fprintf(stderr, "%s%s", indent, name);
    if (t->resume > 0 && file)
        fprintf(stderr, " at %s:%d", base ? base + 1 : file, t->resume);
    else if (t->resume > 0)
        fprintf(stderr, " at line %d", t->resume);
    else
        fprintf(stderr, " at its start");
    if (t->running)
        fprintf(stderr, ": running");
    else if (!w || !w->parked)
        fprintf(stderr, ": ready");
    else if (w->op == IO_SLEEP || w->op == IO_GET || w->op == IO_PUT)
        fprintf(stderr, ": waiting: %s", wait_name(w->op));
    else
        fprintf(stderr, ": waiting: fd %d %s", w->fd, wait_name(w->op));
    if (w && w->parked && w->deadline >= 0)
        fprintf(stderr, ", %.3f s left", (w->deadline - io_now()) / 1e9);
    fprintf(stderr, "\n");
}

/* Print every task the loop holds, oldest first, numbered from 1. */
static void dump(const char *why)
{
    spawned *s = all;
    long n = 1;

    fprintf(stderr, "io_run: %ld task%s %s\n", ntasks, ntasks == 1 ? "" : "s",
            why);
    while (s && s->next)
        s = s->next;
    for (; s; s = s->prev)
        dump_task("  ", "task", n++, (task *)s->frame);
}

static int stalled(void)
{
    return ntasks > 0 && ready.ntasks == 0 && nwatched == 0 && ntimers == 0;
}

int io_run(void)
{
    int result = 0;

    signal(SIGPIPE, SIG_IGN);
    while (ntasks > 0 && !stop_requested) {
        for (long n = ready.ntasks; n > 0; n--)
            step(pool_take(&ready));
        if (stalled()) {
            dump("stalled: nothing can wake them");
            result = -1;
            break;
        }
        if (ntasks > 0)
            wait_for_events();
        if (dump_requested) {
            dump_requested = 0;
            dump("at SIGQUIT");
        }
    }
    close_all();
    stop_requested = 0;
    looked = 0;
    free(timers);
    timers = NULL;
    ntimers = timers_cap = 0;
    return result;
}

/* ---- wait requests ---- */

/* The deadline timeout seconds from now, or -1 for none. A timeout of
 * more than a century is a century, so that nothing overflows. */
static long long deadline_after(double timeout)
{
    if (timeout < 0)
        return -1;
    if (timeout > 3.2e9)
        timeout = 3.2e9;
    return io_now() + (long long)(timeout * 1e9);
}

static value request(io_wait *w, enum io_op op, int fd, double timeout)
{
    memset(w, 0, sizeof *w);
    w->op = op;
    w->fd = fd;
    w->deadline = deadline_after(timeout);
    w->timer = -1;
    return (value){VALUE_WAIT, {.wait = w}};
}

value io_readable(io_wait *w, int fd, double timeout)
{
    return request(w, IO_READABLE, fd, timeout);
}

value io_writable(io_wait *w, int fd, double timeout)
{
    return request(w, IO_WRITABLE, fd, timeout);
}

value io_accept(io_wait *w, int fd, double timeout)
{
    return request(w, IO_ACCEPT, fd, timeout);
}

value io_recv(io_wait *w, int fd, void *buf, size_t len, double timeout)
{
    value v = request(w, IO_RECV, fd, timeout);

    w->buf = buf;
    w->len = len;
    return v;
}

value io_send(io_wait *w, int fd, const void *buf, size_t len,
              double timeout)
{
    value v = request(w, IO_SEND, fd, timeout);

    w->buf = (char *)buf; /* only read from */
    w->len = len;
    return v;
}

value io_readline(io_wait *w, int fd, io_input *in, char *buf, size_t len,
                  double timeout)
{
    value v = request(w, IO_READLINE, fd, timeout);

    w->in = in;
    w->buf = buf;
    w->len = len;
    if (len < 2)
        w->error = &io_error_line_too_long;
    return v;
}

value io_connect(io_wait *w, int fd, const struct sockaddr *addr,
                 socklen_t addrlen, double timeout)
{
    value v = request(w, IO_CONNECT, fd, timeout);

    if (io_nonblock(fd) < 0 ||
        (connect(fd, addr, addrlen) < 0 && errno != EINPROGRESS))
        w->error = io_os_error(errno);
    return v;
}

value io_sleep(io_wait *w, double seconds)
{
    return request(w, IO_SLEEP, -1, seconds);
}
