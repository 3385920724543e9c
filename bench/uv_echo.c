/*
 * uv_echo: the echo server a C programmer would write with libuv (Debian
 * libuv1-dev), the peer of stage 4's echoserver and of epoll_echo.c.
 *
 *   uv_echo [--host HOST] [--port PORT]
 *
 * Prints "listening on HOST:PORT" as its first line, echoes every byte it
 * reads back to its sender, and stops cleanly on SIGTERM or SIGINT.
 * Each client has a 64 KiB buffer, as in epoll_echo.c; what is read is
 * written at once with uv_try_write(), and only what the socket does not
 * take goes to uv_write(), reading paused until it is out. TCP_NODELAY is
 * set on every client, as asyncio does.
 */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

enum { BUF_SIZE = 64 * 1024 };

/* A client: its handle, its buffer, and a write in progress. */
struct conn {
    uv_tcp_t tcp;
    uv_write_t write;
    char buf[BUF_SIZE];
};

static uv_loop_t *loop;
static uv_tcp_t server;
static uv_signal_t sigterm, sigint;

static void die(const char *what, int err)
{
    fprintf(stderr, "uv_echo: %s: %s\n", what, uv_strerror(err));
    exit(1);
}

static void free_conn(uv_handle_t *h)
{
    free(h->data);
}

static void drop(struct conn *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, free_conn);
}

static void give_buffer(uv_handle_t *h, size_t wanted, uv_buf_t *buf)
{
    struct conn *c = h->data;

    (void)wanted;
    *buf = uv_buf_init(c->buf, BUF_SIZE);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

/* The rest of a message is out: read again. */
static void on_written(uv_write_t *w, int status)
{
    struct conn *c = w->data;

    if (status < 0 || uv_read_start((uv_stream_t *)&c->tcp, give_buffer,
                                    on_read) < 0)
        drop(c);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    uv_buf_t rest;
    int done;

    if (n == 0)
        return; /* EAGAIN */
    if (n < 0) {
        drop(c);
        return;
    }
    rest = uv_buf_init(buf->base, (unsigned)n);
    done = uv_try_write(s, &rest, 1);
    if (done == n)
        return;
    if (done < 0 && done != UV_EAGAIN) {
        drop(c);
        return;
    }
    if (done > 0)
        rest = uv_buf_init(buf->base + done, (unsigned)(n - done));
    uv_read_stop(s);
    c->write.data = c;
    if (uv_write(&c->write, s, &rest, 1, on_written) < 0)
        drop(c);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct conn *c;

    if (status < 0)
        return;
    c = malloc(sizeof *c);
    if (!c) {
        fprintf(stderr, "uv_echo: out of memory\n");
        return;
    }
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        drop(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, give_buffer, on_read) < 0)
        drop(c);
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h))
        return;
    if (h->type == UV_TCP && h != (uv_handle_t *)&server)
        uv_close(h, free_conn);
    else
        uv_close(h, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
    uv_walk(loop, close_handle, NULL);
}

static void listen_on(const char *host, const char *port)
{
    struct addrinfo hints, *ai;
    struct sockaddr_storage sa;
    char name[NI_MAXHOST], serv[NI_MAXSERV];
    int len = sizeof sa, err;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    err = getaddrinfo(host, port, &hints, &ai);
    if (err) {
        fprintf(stderr, "uv_echo: %s:%s: %s\n", host, port, gai_strerror(err));
        exit(1);
    }
    uv_tcp_init(loop, &server);
    err = uv_tcp_bind(&server, ai->ai_addr, 0);
    freeaddrinfo(ai);
    if (err < 0)
        die("bind", err);
    err = uv_listen((uv_stream_t *)&server, SOMAXCONN, on_connection);
    if (err < 0)
        die("listen", err);
    uv_tcp_getsockname(&server, (struct sockaddr *)&sa, &len);
    getnameinfo((struct sockaddr *)&sa, (socklen_t)len, name, sizeof name,
                serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
    printf("listening on %s:%s\n", name, serv);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = "0";

    for (int i = 1; i < argc; i += 2) {
        if (i + 1 < argc && strcmp(argv[i], "--host") == 0)
            host = argv[i + 1];
        else if (i + 1 < argc && strcmp(argv[i], "--port") == 0)
            port = argv[i + 1];
        else {
            fprintf(stderr, "usage: uv_echo [--host HOST] [--port PORT]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    listen_on(host, port);
    uv_signal_init(loop, &sigterm);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    uv_signal_init(loop, &sigint);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
