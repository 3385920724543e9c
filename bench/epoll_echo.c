/*
 * epoll_echo: the ceiling for the echo benchmark, a minimal echo server on
 * one epoll loop, in plain C.
 *
 *   epoll_echo [--host HOST] [--port PORT]
 *
 * Prints "listening on HOST:PORT" as its first line, echoes every byte it
 * reads back to its sender, and stops cleanly on SIGTERM or SIGINT.
 * TCP_NODELAY is set on every client, as asyncio does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF_SIZE = 64 * 1024, BATCH = 256 };

/* A client: what it sent that has not been echoed back yet. */
struct conn {
    int fd;
    size_t len, off; /* buf[off..len) still to write */
    char buf[BUF_SIZE];
};

struct server {
    int listen_fd, epfd, spare_fd;
    struct conn **conns; /* by descriptor */
    int nslots;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: epoll_echo [--host HOST] [--port PORT]\n");
    exit(2);
}

static void die(const char *what)
{
    fprintf(stderr, "epoll_echo: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void handle_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Allow as many clients as the hard limit does. */
static void raise_fd_limit(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

static int listen_on(const char *host, const char *port)
{
    struct addrinfo hints, *ai;
    int fd, one = 1, err;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    err = getaddrinfo(host, port, &hints, &ai);
    if (err) {
        fprintf(stderr, "epoll_echo: %s:%s: %s\n", host, port,
                gai_strerror(err));
        exit(1);
    }
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK, 0);
    if (fd < 0)
        die("socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("bind");
    if (listen(fd, SOMAXCONN) < 0)
        die("listen");
    freeaddrinfo(ai);
    return fd;
}

static void print_address(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    char host[NI_MAXHOST], port[NI_MAXSERV];

    getsockname(fd, (struct sockaddr *)&sa, &len);
    getnameinfo((struct sockaddr *)&sa, len, host, sizeof host, port,
                sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    printf("listening on %s:%s\n", host, port);
    fflush(stdout);
}

static void watch(struct server *s, struct conn *c, int op, unsigned events)
{
    struct epoll_event ev;

    ev.events = events;
    ev.data.ptr = c;
    epoll_ctl(s->epfd, op, c->fd, &ev);
}

static void drop(struct server *s, struct conn *c)
{
    s->conns[c->fd] = NULL;
    close(c->fd);
    free(c);
}

/* Remember @p c by its descriptor, growing the table as needed. */
static int remember(struct server *s, struct conn *c)
{
    if (c->fd >= s->nslots) {
        int n = s->nslots ? s->nslots : 64;
        struct conn **t;

        while (n <= c->fd)
            n *= 2;
        t = realloc(s->conns, (size_t)n * sizeof *t);
        if (!t)
            return -1;
        memset(t + s->nslots, 0, (size_t)(n - s->nslots) * sizeof *t);
        s->conns = t;
        s->nslots = n;
    }
    s->conns[c->fd] = c;
    return 0;
}

/* Out of descriptors: refuse one waiting client rather than spin. */
static void refuse_one(struct server *s)
{
    close(s->spare_fd);
    close(accept(s->listen_fd, NULL, NULL));
    s->spare_fd = open("/dev/null", O_RDONLY);
    fprintf(stderr, "epoll_echo: out of descriptors, refused a client\n");
}

static void accept_clients(struct server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK);
        struct conn *c;

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                refuse_one(s);
            return;
        }
        c = malloc(sizeof *c);
        if (!c || (c->fd = fd, remember(s, c)) < 0) {
            fprintf(stderr, "epoll_echo: out of memory, refused a client\n");
            free(c);
            close(fd);
            continue;
        }
        c->len = c->off = 0;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
        watch(s, c, EPOLL_CTL_ADD, EPOLLIN);
    }
}

/* Write what is pending; returns 0 when all is out, 1 if blocked, -1. */
static int flush_pending(struct conn *c)
{
    while (c->off < c->len) {
        ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off,
                         MSG_NOSIGNAL);

        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
        c->off += (size_t)n;
    }
    c->off = c->len = 0;
    return 0;
}

/* Readable or writable: read if nothing is pending, then echo it back. */
static void serve(struct server *s, struct conn *c, unsigned events)
{
    int was_blocked = c->len > 0, state;

    if (!was_blocked) {
        ssize_t n = recv(c->fd, c->buf, BUF_SIZE, 0);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0 || (events & EPOLLERR)) {
            drop(s, c);
            return;
        }
        c->len = (size_t)n;
    }
    state = flush_pending(c);
    if (state < 0)
        drop(s, c);
    else if (state == 1 && !was_blocked)
        watch(s, c, EPOLL_CTL_MOD, EPOLLOUT);
    else if (state == 0 && was_blocked)
        watch(s, c, EPOLL_CTL_MOD, EPOLLIN);
}

static void run(struct server *s)
{
    struct epoll_event ev[BATCH];

    while (!stopping) {
        int n = epoll_wait(s->epfd, ev, BATCH, -1);

        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr)
                serve(s, ev[i].data.ptr, ev[i].events);
            else
                accept_clients(s);
        }
    }
}

static void shut_down(struct server *s)
{
    for (int fd = 0; fd < s->nslots; fd++)
        if (s->conns[fd])
            drop(s, s->conns[fd]);
    free(s->conns);
    close(s->spare_fd);
    close(s->epfd);
    close(s->listen_fd);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = "0";
    struct server s = {-1, -1, -1, NULL, 0};
    struct epoll_event ev;

    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--host") == 0)
            host = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = argv[i + 1];
        else
            usage();
    }
    handle_signals();
    raise_fd_limit();
    s.listen_fd = listen_on(host, port);
    s.epfd = epoll_create1(0);
    s.spare_fd = open("/dev/null", O_RDONLY);
    if (s.epfd < 0 || s.spare_fd < 0)
        die("epoll_create1");
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.listen_fd, &ev);
    print_address(s.listen_fd);
    run(&s);
    shut_down(&s);
    return 0;
}
