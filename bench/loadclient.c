/*
 * loadclient: drive echo servers with C connections each, every connection
 * sending a message of S bytes and reading it all back, over and over. A
 * message is one line: S - 1 bytes that are not a newline, then a newline,
 * so that a server that echoes lines and one that echoes bytes get the
 * same work.
 *
 *   loadclient --host H --port P[,P2,...] [-c CONNS] [-s BYTES]
 *              [-d SECONDS] [-r REPS]
 *
 * Plain C and epoll, not the course's runtime, so that every server meets
 * the same client. TCP_NODELAY is set, as asyncio sets it.
 *
 * Each server (one per port) gets its C connections, and each connection
 * first completes one round trip (the warm-up, up to 10 s). Then the
 * servers take turns: R rounds in which each server gets one timed window
 * of D seconds. A window starts every connection on a message, counts the
 * round trips that end within it, then lets the messages in flight finish
 * before the next server's turn, so that the servers share the machine's
 * busy moments alike. Every echoed byte is checked against what was sent;
 * a connection that fails (refused, reset, closed, wrong bytes) is counted
 * and dropped, and the run goes on with the rest.
 *
 * One result line per server on stdout, key=value; client_cpu is the share
 * of one core the client itself used in the median window: near 1, the
 * client, not the server, sets the pace. all_round_trips counts every
 * round trip, warm-up and drains included (run.py divides a server's
 * system calls by it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "measure.h"

enum { MAX_CONNS = 100000, MAX_SIZE = 16 << 20, MAX_REPS = 100 };
enum { MAX_TARGETS = 8, RX_SIZE = 64 * 1024, PATTERN_SPREAD = 256 };
enum { BATCH = 256 };
#define SETUP_SECONDS 10.0
#define DRAIN_SECONDS 5.0

enum conn_state { CONNECTING, RUNNING, FAILED };

struct conn {
    int fd;
    enum conn_state state;
    int want_out;          /* EPOLLOUT is in the interest set */
    int busy;              /* a message is in flight */
    size_t sent, received; /* of the message in flight */
    unsigned long rounds;  /* round trips completed */
};

struct failures {
    long connect, closed, io, mismatch;
};

struct load;

/* One server under load, and its connections. */
struct target {
    struct load *load;
    char port[16];
    int epfd;
    struct conn *conns;
    long connecting, connected, busy;
    int stopping;       /* finish messages in flight, start no new ones */
    long window_rounds; /* round trips ended in the current window */
    long total_rounds;
    double rate[MAX_REPS];
    double cpu[MAX_REPS]; /* the client's CPU time / wall time, per window */
    struct failures failed;
};

struct load {
    const char *host;
    long nconns;
    size_t size;
    double seconds;
    int reps;
    unsigned char *pattern; /* size + PATTERN_SPREAD random bytes */
    unsigned char rx[RX_SIZE];
    int ntargets;
    struct target targets[MAX_TARGETS];
};

static void usage(void)
{
    fprintf(stderr,
            "usage: loadclient --host HOST --port PORT[,PORT...] [-c CONNS]"
            " [-s BYTES] [-d SECONDS] [-r REPS]\n"
            "  --port      one port per server, up to %d, comma-separated\n"
            "  -c CONNS    connections per server, 1 to %d (default 10)\n"
            "  -s BYTES    message size, 1 to %d (default 1024)\n"
            "  -d SECONDS  length of one timed window (default 1)\n"
            "  -r REPS     timed windows per server, 1 to %d (default 3)\n",
            MAX_TARGETS, MAX_CONNS, MAX_SIZE, MAX_REPS);
    exit(2);
}

static long parse_number(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "loadclient: %s wants a number from %ld to %ld, "
                        "not '%s'\n", opt, lo, hi, s);
        usage();
    }
    return v;
}

static double parse_seconds(const char *s)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || !(v > 0 && v <= 3600)) {
        fprintf(stderr, "loadclient: -d wants seconds in (0, 3600], "
                        "not '%s'\n", s);
        usage();
    }
    return v;
}

/* "8000,8001": one target per port. */
static void parse_ports(struct load *l, const char *list)
{
    const char *p = list;

    while (*p) {
        size_t n = strcspn(p, ",");

        if (n == 0 || n >= sizeof l->targets[0].port ||
            l->ntargets == MAX_TARGETS) {
            fprintf(stderr, "loadclient: bad --port list '%s'\n", list);
            usage();
        }
        memcpy(l->targets[l->ntargets].port, p, n);
        l->targets[l->ntargets++].port[n] = '\0';
        p += n + (p[n] == ',');
    }
}

static void parse_args(struct load *l, int argc, char **argv)
{
    l->nconns = 10;
    l->size = 1024;
    l->seconds = 1;
    l->reps = 3;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[++i] : NULL;

        if (!val)
            usage();
        if (strcmp(opt, "--host") == 0)
            l->host = val;
        else if (strcmp(opt, "--port") == 0)
            parse_ports(l, val);
        else if (strcmp(opt, "-c") == 0)
            l->nconns = parse_number(opt, val, 1, MAX_CONNS);
        else if (strcmp(opt, "-s") == 0)
            l->size = (size_t)parse_number(opt, val, 1, MAX_SIZE);
        else if (strcmp(opt, "-d") == 0)
            l->seconds = parse_seconds(val);
        else if (strcmp(opt, "-r") == 0)
            l->reps = (int)parse_number(opt, val, 1, MAX_REPS);
        else
            usage();
    }
    if (!l->host || l->ntargets == 0)
        usage();
}

/* Let this process open a descriptor per connection, if the limit allows. */
static void raise_fd_limit(long wanted)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= (rlim_t)wanted)
        return;
    r.rlim_cur = r.rlim_max < (rlim_t)wanted ? r.rlim_max : (rlim_t)wanted;
    setrlimit(RLIMIT_NOFILE, &r);
}

/* Bytes that do not repeat soon, so a shifted or mixed-up echo shows; none
 * is a newline, which only ends a message. */
static void make_pattern(struct load *l)
{
    unsigned long x = 88172645463325252ul;

    l->pattern = malloc(l->size + PATTERN_SPREAD);
    if (!l->pattern) {
        fprintf(stderr, "loadclient: no memory for the message\n");
        exit(1);
    }
    for (size_t i = 0; i < l->size + PATTERN_SPREAD; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        l->pattern[i] = (unsigned char)x == '\n' ? 'n' : (unsigned char)x;
    }
}

/* The message connection @p c sends in its current round: its first size - 1
 * bytes; the newline that ends it is not in the pattern. */
static const unsigned char *message(struct target *t, struct conn *c)
{
    size_t index = (size_t)(c - t->conns);

    return t->load->pattern + (index * 7 + c->rounds) % PATTERN_SPREAD;
}

static void watch(struct target *t, struct conn *c, int op, int out)
{
    struct epoll_event ev;

    ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(t->epfd, op, c->fd, &ev);
    c->want_out = out;
}

static void fail(struct target *t, struct conn *c, long *counter)
{
    if (c->state == RUNNING)
        t->connected--;
    else if (c->state == CONNECTING)
        t->connecting--;
    if (c->busy)
        t->busy--;
    close(c->fd);
    c->fd = -1;
    c->busy = 0;
    c->state = FAILED;
    (*counter)++;
}

/* Send what is left of the message; ask for EPOLLOUT only while blocked. */
static void send_more(struct target *t, struct conn *c)
{
    const unsigned char *msg = message(t, c);
    size_t size = t->load->size;

    while (c->sent < size) {
        struct iovec iov[2] = {{(void *)(msg + c->sent), size - 1 - c->sent},
                               {"\n", 1}};
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t n;

        if (c->sent == size - 1) { /* only the newline is left */
            m.msg_iov = iov + 1;
            m.msg_iovlen = 1;
        }
        n = sendmsg(c->fd, &m, MSG_NOSIGNAL);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out)
                watch(t, c, EPOLL_CTL_MOD, 1);
            return;
        }
        if (n < 0) {
            fail(t, c, &t->failed.io);
            return;
        }
        c->sent += (size_t)n;
    }
    if (c->want_out)
        watch(t, c, EPOLL_CTL_MOD, 0);
}

static void start_message(struct target *t, struct conn *c)
{
    c->busy = 1;
    t->busy++;
    c->sent = c->received = 0;
    send_more(t, c);
}

static void round_done(struct target *t, struct conn *c)
{
    c->rounds++;
    c->busy = 0;
    t->busy--;
    t->window_rounds++;
    if (!t->stopping)
        start_message(t, c);
}

/* Whether the n bytes got are what comes back at c->received: the message,
 * then its newline. */
static int echoed_right(struct target *t, struct conn *c,
                        const unsigned char *got, size_t n)
{
    size_t body = t->load->size - 1, k = 0;

    if (c->received < body)
        k = n < body - c->received ? n : body - c->received;
    if (memcmp(got, message(t, c) + c->received, k) != 0)
        return 0;
    return k == n || (k + 1 == n && got[k] == '\n');
}

/* Read what the server echoed and check it against what was sent. */
static void receive_more(struct target *t, struct conn *c)
{
    struct load *l = t->load;
    size_t want = c->busy ? l->size - c->received : RX_SIZE;
    ssize_t n;

    n = recv(c->fd, l->rx, want < RX_SIZE ? want : RX_SIZE, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n < 0)
        fail(t, c, &t->failed.io);
    else if (n == 0)
        fail(t, c, &t->failed.closed);
    else if (!c->busy || !echoed_right(t, c, l->rx, (size_t)n))
        fail(t, c, &t->failed.mismatch);
    else if ((c->received += (size_t)n) == l->size)
        round_done(t, c);
}

/* A non-blocking connect finished, one way or the other. */
static void connect_done(struct target *t, struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;

    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        fail(t, c, &t->failed.connect);
        return;
    }
    c->state = RUNNING;
    t->connecting--;
    t->connected++;
    start_message(t, c); /* the warm-up round trip */
}

static void handle(struct target *t, struct conn *c, unsigned events)
{
    if (c->state == CONNECTING) {
        connect_done(t, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        receive_more(t, c);
    if (c->state == RUNNING && (events & EPOLLOUT))
        send_more(t, c);
}

/* Start connecting every connection; count those that cannot even start. */
static void connect_all(struct target *t, const struct addrinfo *ai)
{
    for (long i = 0; i < t->load->nconns; i++) {
        struct conn *c = &t->conns[i];

        c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK,
                       ai->ai_protocol);
        c->state = CONNECTING;
        t->connecting++;
        if (c->fd < 0 || (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
                          errno != EINPROGRESS)) {
            fail(t, c, &t->failed.connect);
            continue;
        }
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
        watch(t, c, EPOLL_CTL_ADD, 1);
    }
}

/* Handle events until @p deadline (ns), or until @p done says so. */
static void run_until(struct target *t, double deadline,
                      int (*done)(const struct target *))
{
    struct epoll_event ev[BATCH];

    if (done && done(t))
        return;
    for (double now = now_ns(); now < deadline; now = now_ns()) {
        int ms = (int)((deadline - now) / 1e6) + 1;
        int n = epoll_wait(t->epfd, ev, BATCH, ms);

        for (int i = 0; i < n; i++)
            handle(t, ev[i].data.ptr, ev[i].events);
        if (done && done(t))
            return;
    }
}

/* Nothing in flight: every connection is up and idle, or has failed. */
static int settled(const struct target *t)
{
    return t->connecting == 0 && t->busy == 0;
}

static const struct addrinfo *resolve(const char *host, const char *port,
                                      struct addrinfo **list)
{
    struct addrinfo hints;
    int err;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    err = getaddrinfo(host, port, &hints, list);
    if (err) {
        fprintf(stderr, "loadclient: %s:%s: %s\n", host, port,
                gai_strerror(err));
        exit(1);
    }
    return *list;
}

/* Connect and warm up: each connection makes one round trip, then rests. */
static void target_start(struct load *l, struct target *t)
{
    struct addrinfo *list;

    t->load = l;
    t->conns = bench_calloc("loadclient", l->nconns, sizeof *t->conns);
    t->epfd = epoll_create1(0);
    if (t->epfd < 0) {
        perror("loadclient: epoll_create1");
        exit(1);
    }
    t->stopping = 1;
    connect_all(t, resolve(l->host, t->port, &list));
    freeaddrinfo(list);
    run_until(t, now_ns() + SETUP_SECONDS * 1e9, settled);
}

/* One timed window: every idle connection starts a message; then drain. */
static void window(struct target *t, int w)
{
    double begin = now_ns(), cpu = cpu_ns();

    t->stopping = 0;
    t->window_rounds = 0;
    for (long i = 0; i < t->load->nconns; i++)
        if (t->conns[i].state == RUNNING && !t->conns[i].busy)
            start_message(t, &t->conns[i]);
    run_until(t, begin + t->load->seconds * 1e9, NULL);
    t->cpu[w] = (cpu_ns() - cpu) / (now_ns() - begin);
    t->rate[w] = (double)t->window_rounds / ((now_ns() - begin) / 1e9);
    t->total_rounds += t->window_rounds;
    t->stopping = 1;
    run_until(t, now_ns() + DRAIN_SECONDS * 1e9, settled);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Round trips completed in all, warm-up and drains included. */
static unsigned long all_rounds(const struct target *t)
{
    unsigned long n = 0;

    for (long i = 0; i < t->load->nconns; i++)
        n += t->conns[i].rounds;
    return n;
}

static long warm_connections(const struct target *t)
{
    long warm = 0;

    for (long i = 0; i < t->load->nconns; i++)
        warm += t->conns[i].rounds > 0;
    return warm;
}

static void print_results(struct target *t)
{
    const struct load *l = t->load;
    const struct failures *f = &t->failed;
    double *rate = t->rate;

    printf("echo port=%s conns=%ld size=%zu seconds=%g reps=%d "
           "samples_rt_per_s=", t->port, l->nconns, l->size, l->seconds,
           l->reps);
    for (int i = 0; i < l->reps; i++)
        printf("%s%.1f", i ? "," : "", rate[i]);
    qsort(rate, (size_t)l->reps, sizeof *rate, compare_doubles);
    qsort(t->cpu, (size_t)l->reps, sizeof *t->cpu, compare_doubles);
    printf(" client_cpu=%.2f", t->cpu[l->reps / 2]);
    printf(" median_rt_per_s=%.1f min_rt_per_s=%.1f max_rt_per_s=%.1f"
           " median_mb_per_s=%.2f round_trips=%ld all_round_trips=%lu"
           " warm=%ld alive=%ld"
           " errors=%ld connect_errors=%ld closed=%ld io_errors=%ld"
           " mismatches=%ld\n",
           rate[l->reps / 2], rate[0], rate[l->reps - 1],
           rate[l->reps / 2] * (double)l->size / 1e6, t->total_rounds,
           all_rounds(t), warm_connections(t), t->connected,
           f->connect + f->closed + f->io + f->mismatch, f->connect,
           f->closed, f->io, f->mismatch);
}

static void target_close(struct target *t)
{
    for (long i = 0; i < t->load->nconns; i++)
        if (t->conns[i].fd >= 0)
            close(t->conns[i].fd);
    close(t->epfd);
    free(t->conns);
}

int main(int argc, char **argv)
{
    static struct load l;

    parse_args(&l, argc, argv);
    raise_fd_limit(l.nconns * l.ntargets + 64);
    make_pattern(&l);
    for (int i = 0; i < l.ntargets; i++)
        target_start(&l, &l.targets[i]);
    for (int w = 0; w < l.reps; w++)
        for (int i = 0; i < l.ntargets; i++)
            window(&l.targets[(w + i) % l.ntargets], w);
    for (int i = 0; i < l.ntargets; i++) {
        print_results(&l.targets[i]);
        target_close(&l.targets[i]);
    }
    free(l.pattern);
    return 0;
}
