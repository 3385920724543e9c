/* Exercise 4.4, past select(): the part of io.c that watches fds, as io.c
 * has it. make exercise EX=4.4 builds io.c with each definition of this
 * file in place of io.c's of the same name (anything else here goes in
 * just before the next such definition, and a #define at the top goes at
 * the top), and runs an echo server and 2 000 clients in one loop.
 *
 * What the rest of io.c expects of these:
 * - readers[fd] and writers[fd] hold the task that waits to read or write
 *   fd, or NULL. unwatch() and fail_bad_fds() read them for fds up to
 *   maxfd, the highest fd watched; watch() and unwatch() keep maxfd and
 *   nwatched, the number of fds watched, up to date.
 * - watchable(fd): whether fd can be in the table; unwatch() asks it
 *   before it reads readers[fd] or writers[fd].
 * - io_watchable(fd): whether watch() could take fd; the listener asks it
 *   before it starts a task for a new connection (server.c's admit).
 * - watch(t, w): puts t in the table for w's fd, or wakes it with an error
 *   (io_wake) if it cannot; park() calls it.
 * - poll_fds(timeout) waits up to timeout ns (-1: no limit, 0: not at all)
 *   until a watched fd is ready. If stop_on_signals is set, it watches
 *   wake_pipe[0] too, the pipe a stop signal writes a byte to, so that
 *   SIGINT and SIGTERM cut the wait short, and empties it with
 *   empty_wake_pipe() when it is ready. Then it calls do_io(t) for the task
 *   t of readers[fd] and of writers[fd] of each ready fd (for a closed fd,
 *   fail_bad_fds() wakes its task with EBADF). It returns how many fds were
 *   ready, 0 if none, or -1 if a signal cut the wait short. */

/* TODO (exercise 4.4): select() cannot watch an fd of FD_SETSIZE (1024) or
 * more, and this table cannot hold one. Make the table hold any fd the
 * process can open, and wait with poll() instead. */
static task *readers[FD_SETSIZE], *writers[FD_SETSIZE];

/* Can select() watch fd? Not if it is FD_SETSIZE or more: FD_SET would
 * write past the end of the fd_set. */
static int watchable(int fd)
{
    return fd >= 0 && fd < FD_SETSIZE;
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

int io_watchable(int fd)
{
    return watchable(fd);
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
