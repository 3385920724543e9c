/*
 * test_httpd: stage 5's httpd driven by real clients: curl, wrk, and plain
 * sockets for the requests that curl will not send.
 *
 * The server is $COURSE_BIN/stage5-subtasks/httpd, else
 * $COURSE_ROOT/stage5-subtasks/httpd, COURSE_ROOT being the repository the
 * test was built in unless the environment says otherwise. Each test
 * serves a fresh directory of known files in /tmp.
 *
 * Nothing here measures time. Every wait has a hang guard, GUARD_MS
 * without any progress, far above what a loaded machine or valgrind needs.
 * Most servers get --timeout 1, so that the idle timeout is at work in
 * every test; a test that needs the server to close a connection by itself
 * gives it --timeout 3600, far above the guard, so that the timeout cannot
 * do it instead. Under `make valgrind-tests` the server runs under
 * valgrind too (--trace-children), and a server that leaks exits 99, not
 * 0; curl and wrk, in /usr/bin, do not.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server_proc.h"
#define KiB 1024

extern char **environ;

/* ---- the files served ---- */

/* /tmp/test_httpd.XXXXXX holds root/, the directory served, and files
 * outside it that symbolic links in root/ lead to. */
static char base[64], root[96];
static char *made[64]; /* every path made, to remove in reverse order */
static int nmade;

static const char *remember(const char *name)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%s", base, name);
    cr_assert(nmade < 64);
    made[nmade] = strdup(path);
    cr_assert(made[nmade]);
    return made[nmade++];
}

static void put(const char *name, const void *data, size_t len)
{
    const char *path = remember(name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    cr_assert(write(fd, data, len) == (ssize_t)len);
    close(fd);
}

static void put_text(const char *name, const char *text)
{
    put(name, text, strlen(text));
}

static void make_dir(const char *name)
{
    const char *path = remember(name);

    cr_assert(mkdir(path, 0755) == 0, "%s: %s", path, strerror(errno));
}

static void make_link(const char *name, const char *to)
{
    const char *path = remember(name);

    cr_assert(symlink(to, path) == 0, "%s: %s", path, strerror(errno));
}

/* The files of the tests and their Content-Type; data.bin is random. */
static const char *const texts[][3] = {
    {"index.html", "<!DOCTYPE html>\n<title>test</title>\n<p>root</p>\n",
     "text/html; charset=utf-8"},
    {"a.txt", "hello, world\n", "text/plain; charset=utf-8"},
    {"page.htm", "<p>htm</p>\n", "text/html; charset=utf-8"},
    {"style.css", "p { color: red; }\n", "text/css; charset=utf-8"},
    {"app.js", "console.log(1);\n", "text/javascript; charset=utf-8"},
    {"data.json", "{\"a\": 1}\n", "application/json"},
    {"logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
     "image/svg+xml"},
    {"pic.png", "\x89PNG\r\n\x1a\n", "image/png"},
    {"PIC.PNG", "\x89PNG\r\n\x1a\n", "image/png"},
    {"photo.jpg", "\xff\xd8\xff", "image/jpeg"},
    {"photo.jpeg", "\xff\xd8\xff", "image/jpeg"},
    {"anim.gif", "GIF89a", "image/gif"},
    {"favicon.ico", "ico\n", "image/x-icon"},
    {"noext", "no extension\n", "application/octet-stream"},
    {"archive.tar", "tar\n", "application/octet-stream"},
    {"..x", "two dots begin my name\n", "application/octet-stream"},
    {"sub/index.html", "<p>sub</p>\n", "text/html; charset=utf-8"},
    {"sub/a.txt", "sub a\n", "text/plain; charset=utf-8"},
};
enum { NTEXTS = sizeof texts / sizeof texts[0] };

#define BIN_LEN (300 * KiB)
static unsigned char *bin; /* the bytes of data.bin */

static const char *text_of(const char *name)
{
    for (int i = 0; i < NTEXTS; i++)
        if (strcmp(texts[i][0], name) == 0)
            return texts[i][1];
    cr_assert_fail("no file %s", name);
    return NULL;
}

static void make_files(void)
{
    char tmpl[] = "/tmp/test_httpd.XXXXXX";

    cr_assert(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
    snprintf(base, sizeof base, "%s", tmpl);
    snprintf(root, sizeof root, "%s/root", base);
    nmade = 0;
    put_text("secret.txt", "outside the root\n");
    make_dir("outside"); /* a directory outside, without index.html */
    put_text("outside/file.txt", "outside too\n");
    make_dir("root");
    make_dir("root/sub");
    make_dir("root/empty");
    for (int i = 0; i < NTEXTS; i++) {
        char name[64];

        snprintf(name, sizeof name, "root/%s", texts[i][0]);
        put_text(name, texts[i][1]);
    }
    bin = random_bytes(BIN_LEN);
    put("root/data.bin", bin, BIN_LEN);
    make_link("root/alias.txt", "a.txt"); /* stays inside */
    make_link("root/out", "..");          /* these lead out */
    make_link("root/outfile", "../secret.txt");
    make_link("root/sub/up.txt", "../../secret.txt");
    make_link("root/outdir", "../outside");
    make_link("root/dangling", "../nothing"); /* leads nowhere */
    cr_assert(mkfifo(remember("root/pipe"), 0644) == 0, "mkfifo: %s",
              strerror(errno));
}

static void remove_files(void)
{
    char path[128];

    if (base[0]) { /* what curl saved */
        snprintf(path, sizeof path, "%s/body", base);
        unlink(path);
        snprintf(path, sizeof path, "%s/head", base);
        unlink(path);
    }
    while (nmade > 0) {
        nmade--;
        remove(made[nmade]);
        free(made[nmade]);
    }
    if (base[0])
        rmdir(base);
    base[0] = '\0';
    free(bin);
    bin = NULL;
}

/* ---- the server ---- */

static char server_path[4096];

static const char *find_server(void)
{
    const char *bin_dir = getenv("COURSE_BIN"), *top = getenv("COURSE_ROOT");

    if (bin_dir && *bin_dir)
        snprintf(server_path, sizeof server_path,
                 "%s/stage5-subtasks/httpd", bin_dir);
    else
        snprintf(server_path, sizeof server_path, "%s/stage5-subtasks/httpd",
                 top && *top ? top : COURSE_ROOT);
    cr_assert(access(server_path, X_OK) == 0, "no server at %s: %s",
              server_path, strerror(errno));
    return server_path;
}

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    rng_state = 0x9e3779b97f4a7c15u;
    make_files();
}

static void teardown(void)
{
    server_kill();
    remove_files();
}

/* Start the server on a free port, serving root, with this timeout. */
static void server_start(const char *timeout)
{
    char *argv[] = {(char *)find_server(), "--port", "0", "--root", root,
                    "--timeout", (char *)timeout, NULL};

    server_launch(argv);
}

/* Count the server's open sockets, and its open files under root. */
static void server_fds(int *sockets, int *files)
{
    char dir[64], path[sizeof dir + 256], link[512];
    struct dirent *e;
    DIR *d;

    *sockets = *files = 0;
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)srv.pid);
    d = opendir(dir);
    cr_assert(d, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        ssize_t n;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n = readlink(path, link, sizeof link - 1);
        if (n < 0)
            continue; /* closed while we looked */
        link[n] = '\0';
        *sockets += strncmp(link, "socket:", 7) == 0;
        *files += strncmp(link, base, strlen(base)) == 0;
    }
    closedir(d);
}

/* Wait until the server has no socket open but its listening one, and no
 * file of ours: every connection has ended and closed what it opened. */
static void wait_connections_gone(void)
{
    int sockets = -1, files = -1;

    for (long ms = 0; ms < GUARD_MS; ms += 5) {
        server_fds(&sockets, &files);
        if (sockets == 1 && files == 0)
            return;
        sleep_ms(5);
    }
    cr_assert_fail("the server still has %d sockets and %d files open",
                   sockets, files);
}

/* ---- curl ---- */

/* http://127.0.0.1:PORT/path, in one of a few static buffers. */
static char *url(const char *path)
{
    static char urls[4][10 * KiB];
    static int next;
    char *u = urls[next++ % 4];

    snprintf(u, sizeof urls[0], "http://127.0.0.1:%d%s", srv.port, path);
    return u;
}

static char body_path[96], head_path[96];

/* Run curl -sS --path-as-is, then the arguments up to NULL; it must exit 0.
 * Returns what it printed on stdout (what -w asks for). */
static char *curl(const char *arg, ...)
{
    char *argv[32] = {which("curl"), "-sS", "--path-as-is"};
    int n = 3, out = temp_file(), err = temp_file(), null = open_null();
    int status;
    char *text;
    va_list ap;

    va_start(ap, arg);
    for (; arg; arg = va_arg(ap, const char *)) {
        cr_assert(n < 31);
        argv[n++] = (char *)arg;
    }
    va_end(ap);
    argv[n] = NULL;
    status = wait_exit(spawn(argv, environ, null, out, err));
    text = file_text(err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "curl exited with status 0x%x; its stderr:\n%s", status, text);
    free(text);
    text = file_text(out);
    close(out);
    close(err);
    close(null);
    return text;
}

/* GET path with curl; returns the status, and asserts curl said it. */
static int curl_status(const char *path)
{
    char *out = curl("-o", "/dev/null", "-w", "%{http_code}", url(path),
                     NULL);
    int status = atoi(out);

    free(out);
    return status;
}

/* The body curl saved in body_path. */
static char *saved_body(size_t *len)
{
    int fd = open(body_path, O_RDONLY);
    char *s;

    cr_assert(fd >= 0, "%s: %s", body_path, strerror(errno));
    s = file_bytes(fd, len);
    close(fd);
    return s;
}

/* The value of field name in a response head, or NULL; a static buffer. */
static const char *field(const char *head, const char *name)
{
    static char value[256];
    size_t n = strlen(name);

    for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r';
         p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n + strspn(p + 3 + n, " ");

            snprintf(value, sizeof value, "%.*s", (int)strcspn(v, "\r"), v);
            return value;
        }
    }
    return NULL;
}

/* The head curl saved in head_path (with -D). */
static char *saved_head(void)
{
    int fd = open(head_path, O_RDONLY);
    char *s;

    cr_assert(fd >= 0, "%s: %s", head_path, strerror(errno));
    s = file_text(fd);
    close(fd);
    return s;
}

/* GET path with curl: the status must be 200 and the body exactly len
 * bytes of data, with Content-Type type. */
static void assert_served(const char *path, const void *data, size_t len,
                          const char *type)
{
    char *out, *body, *head;
    size_t got;

    snprintf(body_path, sizeof body_path, "%s/body", base);
    snprintf(head_path, sizeof head_path, "%s/head", base);
    out = curl("-o", body_path, "-D", head_path, "-w", "%{http_code}",
               url(path), NULL);
    cr_assert_str_eq(out, "200", "GET %s", path);
    body = saved_body(&got);
    cr_assert_eq(got, len, "GET %s: %zu bytes, not %zu", path, got, len);
    cr_assert(memcmp(body, data, len) == 0, "GET %s: the body differs",
              path);
    head = saved_head();
    cr_assert(field(head, "Content-Type"), "GET %s: no Content-Type", path);
    cr_assert_str_eq(field(head, "Content-Type"), type, "GET %s", path);
    cr_assert(field(head, "Content-Length"));
    cr_assert_eq(strtoul(field(head, "Content-Length"), NULL, 10), len);
    cr_assert(field(head, "Date"), "GET %s: no Date", path);
    free(out);
    free(body);
    free(head);
}

/* ---- plain sockets ---- */

static void send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    struct pollfd w = {fd, POLLOUT, 0};

    while (len > 0) {
        ssize_t n;

        cr_assert(poll(&w, 1, GUARD_MS) == 1, "could not send for %d ms",
                  GUARD_MS);
        n = write(fd, p, len);
        cr_assert(n > 0, "write: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

static void send_text(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

/* Read one byte; 0 at end of file (or a reset, if reset_ok). */
static int read_byte(int fd, char *c, int reset_ok)
{
    struct pollfd r = {fd, POLLIN, 0};
    ssize_t n;

    cr_assert(poll(&r, 1, GUARD_MS) == 1, "nothing came for %d ms",
              GUARD_MS);
    n = read(fd, c, 1);
    if (n < 0 && reset_ok && errno == ECONNRESET)
        return 0;
    cr_assert(n >= 0, "read: %s", strerror(errno));
    return (int)n;
}

static void read_exact(int fd, void *buf, size_t len)
{
    char *p = buf;
    struct pollfd r = {fd, POLLIN, 0};

    while (len > 0) {
        ssize_t n;

        cr_assert(poll(&r, 1, GUARD_MS) == 1, "nothing came for %d ms",
                  GUARD_MS);
        n = read(fd, p, len);
        cr_assert(n > 0, "the response ended early: %s",
                  n == 0 ? "end of file" : strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

struct response {
    int status;
    char *head;          /* the status line and fields, with their CRLFs */
    unsigned char *body; /* Content-Length bytes; none for HEAD */
    size_t body_len;
};

/* Read one whole response, the body by its Content-Length (none if the
 * request was HEAD); the head a byte at a time, so that the next response
 * is left for the next call. */
static struct response read_response(int fd, int head_only)
{
    struct response r = {0, malloc(64 * KiB + 1), NULL, 0};
    size_t n = 0;
    const char *length;

    cr_assert(r.head);
    while (n < 4 || memcmp(r.head + n - 4, "\r\n\r\n", 4) != 0) {
        cr_assert(n < 64 * KiB, "a response head of more than 64 KiB");
        cr_assert(read_byte(fd, r.head + n, 0) == 1,
                  "the connection ended in a response head:\n%.*s", (int)n,
                  r.head);
        n++;
    }
    r.head[n] = '\0';
    cr_assert(sscanf(r.head, "HTTP/1.1 %d ", &r.status) == 1,
              "not a response: %s", r.head);
    length = field(r.head, "Content-Length");
    cr_assert(length, "no Content-Length in:\n%s", r.head);
    r.body_len = head_only ? 0 : strtoul(length, NULL, 10);
    r.body = malloc(r.body_len + 1);
    cr_assert(r.body);
    read_exact(fd, r.body, r.body_len);
    r.body[r.body_len] = '\0';
    return r;
}

static void free_response(struct response *r)
{
    free(r->head);
    free(r->body);
}

/* The server closes fd: nothing more comes, then end of file. */
static void assert_closed(int fd)
{
    char c;

    cr_assert(read_byte(fd, &c, 0) == 0,
              "more bytes came where the connection should end: '%c'", c);
}

/* A response must be status, with the exact body. */
static void assert_response(struct response *r, int status, const void *body,
                            size_t len)
{
    cr_assert_eq(r->status, status, "expected %d, got:\n%s", status,
                 r->head);
    cr_assert_eq(r->body_len, len, "%zu bytes, not %zu", r->body_len, len);
    cr_assert(memcmp(r->body, body, len) == 0, "the body differs");
}

/* Send request on a new connection and read the one response (the server
 * must close after it); returns its status, its head in *head if asked. */
static int exchange(const char *request, size_t len, char **head)
{
    int fd = connect_to(srv.port, 0);
    struct response r;

    send_all(fd, request, len);
    r = read_response(fd, 0);
    assert_closed(fd);
    close(fd);
    if (head)
        *head = strdup(r.head);
    free(r.body);
    free(r.head);
    return r.status;
}

static int exchange_text(const char *request)
{
    return exchange(request, strlen(request), NULL);
}

/* ---- the tests ---- */

TestSuite(httpd, .init = setup, .fini = teardown);

Test(httpd, get_sends_each_file_byte_for_byte_with_its_type)
{
    char path[64];

    server_start("1");
    for (int i = 0; i < NTEXTS; i++) {
        snprintf(path, sizeof path, "/%s", texts[i][0]);
        assert_served(path, texts[i][1], strlen(texts[i][1]), texts[i][2]);
    }
    assert_served("/data.bin", bin, BIN_LEN, "application/octet-stream");
    assert_served("/alias.txt", text_of("a.txt"), strlen(text_of("a.txt")),
                  "text/plain; charset=utf-8");
    assert_served("/a.txt?x=1&y=2", text_of("a.txt"),
                  strlen(text_of("a.txt")), "text/plain; charset=utf-8");
    assert_served("/%61%2E%74xt", text_of("a.txt"), strlen(text_of("a.txt")),
                  "text/plain; charset=utf-8");
    wait_connections_gone();
    server_stop_clean();
}

Test(httpd, a_directory_means_its_index_html)
{
    const char *root_index = text_of("index.html");
    const char *sub_index = text_of("sub/index.html");

    server_start("1");
    assert_served("/", root_index, strlen(root_index),
                  "text/html; charset=utf-8");
    assert_served("/sub/", sub_index, strlen(sub_index),
                  "text/html; charset=utf-8");
    assert_served("/sub", sub_index, strlen(sub_index),
                  "text/html; charset=utf-8");
    assert_served("/./sub/./", sub_index, strlen(sub_index),
                  "text/html; charset=utf-8");
    cr_assert_eq(curl_status("/empty/"), 404, "a directory without index");
    server_stop_clean();
}

Test(httpd, head_sends_the_head_only)
{
    char *out, *head;
    char len[32];
    int fd;
    struct response r;

    server_start("1");
    snprintf(head_path, sizeof head_path, "%s/head", base);
    out = curl("-I", "-o", "/dev/null", "-D", head_path, "-w",
               "%{http_code}", url("/data.bin"), NULL);
    cr_assert_str_eq(out, "200");
    head = saved_head();
    snprintf(len, sizeof len, "%d", BIN_LEN);
    cr_assert_str_eq(field(head, "Content-Length"), len);
    cr_assert_str_eq(field(head, "Content-Type"), "application/octet-stream");
    free(out);
    free(head);
    /* On one connection: if HEAD sent a body, the GET after it would not
     * begin where read_response expects it. */
    fd = connect_to(srv.port, 0);
    send_text(fd, "HEAD /data.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                  "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    r = read_response(fd, 1);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(field(r.head, "Content-Length"), len);
    free_response(&r);
    r = read_response(fd, 1);
    cr_assert_eq(r.status, 404);
    free_response(&r);
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    free_response(&r);
    close(fd);
    server_stop_clean();
}

Test(httpd, a_file_that_is_not_there_is_404)
{
    static const char *const paths[] = {
        "/nope.html", "/sub/nope", "/index.html/", "/a.txt/x",
        "/empty/",    "/pipe",     "/..y",         "/sub/..x",
    };

    server_start("1");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        cr_assert_eq(curl_status(paths[i]), 404, "GET %s", paths[i]);
    server_stop_clean();
}

Test(httpd, a_name_that_only_begins_with_dots_is_served)
{
    const char *text = text_of("..x");

    server_start("1");
    assert_served("/..x", text, strlen(text), "application/octet-stream");
    assert_served("/%2e%2Ex", text, strlen(text), "application/octet-stream");
    server_stop_clean();
}

Test(httpd, a_path_that_leads_out_of_the_root_is_403)
{
    static const char *const paths[] = {
        "/../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/a/%2E%2E/%2e%2e/etc/passwd",
        "/..%2f..%2fetc/passwd",
        "/%2E%2E%2Fsecret.txt",
        "/..",
        "/sub/..",
        "/sub/../index.html", /* back inside, but a ".." all the same */
        "/../secret.txt",
        "/out/secret.txt",  /* a symbolic link to the root's parent */
        "/outfile",         /* a symbolic link to a file outside */
        "/sub/up.txt",
        "/out/root/a.txt", /* out and back in: the real path is inside */
    };

    server_start("1");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] - 1; i++)
        cr_assert_eq(curl_status(paths[i]), 403, "GET %s", paths[i]);
    /* The last one: realpath() finds it under the root. */
    cr_assert_eq(curl_status(paths[sizeof paths / sizeof paths[0] - 1]),
                 200);
    server_stop_clean();
}

/* A client must not learn which files exist outside the root: under a
 * link that leads out, a name that is there and one that is not get the
 * same answer. */
Test(httpd, under_a_link_that_leads_out_every_path_is_403)
{
    static const char *const paths[] = {
        "/out/secret.txt", "/out/nope",      "/out/nope/deeper",
        "/outdir",         "/outdir/",       "/outdir/file.txt",
        "/outdir/nope",    "/outfile/nope",  "/dangling",
        "/dangling/nope",  "/sub/up.txt/x",  "/out/%2e%2e%2fetc",
    };

    server_start("1");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        cr_assert_eq(curl_status(paths[i]), 403, "GET %s", paths[i]);
    cr_assert_eq(curl_status("/sub/nope"), 404, "inside, not there");
    cr_assert_eq(curl_status("/nope/deeper"), 404, "inside, not there");
    server_stop_clean();
}

Test(httpd, other_methods_are_405)
{
    static const char *const methods[] = {"POST", "PUT", "DELETE",
                                          "OPTIONS", "PATCH", "TRACE"};
    char *out, *head;

    server_start("1");
    snprintf(body_path, sizeof body_path, "%s/body", base);
    snprintf(head_path, sizeof head_path, "%s/head", base);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        out = curl("-X", methods[i], "-d", "a body", "-o", body_path, "-D",
                   head_path, "-w", "%{http_code}", url("/index.html"),
                   NULL);
        cr_assert_str_eq(out, "405", "%s", methods[i]);
        head = saved_head();
        cr_assert_str_eq(field(head, "Allow"), "GET, HEAD", "%s",
                         methods[i]);
        free(out);
        free(head);
    }
    out = curl("-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}",
               url("/index.html"), NULL);
    cr_assert_str_eq(out, "405");
    free(out);
    wait_connections_gone();
    server_stop_clean();
}

Test(httpd, a_malformed_request_is_400)
{
    static const char *const requests[] = {
        "garbage\r\n\r\n",
        "garbage\n",
        "GET /\r\n\r\n",
        "GET / \r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1 x\r\nHost: x\r\n\r\n",
        "GET index.html HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / http/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.10\r\nHost: x\r\n\r\n",
        "GET / HTTP/1\r\nHost: x\r\n\r\n",
        "G@T / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",                     /* no Host */
        "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", /* two */
        "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nA b: c\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n", /* then the client stops */
    };
    const char *request;
    char *head;

    server_start("1");
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        int fd = connect_to(srv.port, 0);
        struct response r;

        send_text(fd, requests[i]);
        shutdown(fd, SHUT_WR);
        r = read_response(fd, 0);
        cr_assert_eq(r.status, 400, "request %zu: %s", i, r.head);
        cr_assert_str_eq((char *)r.body, "400 Bad Request\n");
        cr_assert_str_eq(field(r.head, "Connection"), "close");
        assert_closed(fd);
        close(fd);
        free_response(&r);
    }
    /* A NUL, and %XX that is not one, in a request that is otherwise
     * fine: 400, and the connection stays open (it is closed here). */
    cr_assert_eq(exchange("GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 30, NULL),
                 400);
    cr_assert_eq(exchange_text("GET /%zz HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n"), 400);
    cr_assert_eq(exchange_text("GET /%4 HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n"), 400);
    cr_assert_eq(exchange_text("GET /a%00.txt HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n"), 400);
    cr_assert_eq(exchange_text("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
    cr_assert_eq(exchange_text("GET / HTTP/0.9\r\nHost: x\r\n\r\n"), 505);
    /* LF alone ends a line too, as nc sends it; HTTP/1.0 needs no Host. */
    cr_assert_eq(exchange_text("GET /a.txt HTTP/1.0\n\n"), 200);
    request = "GET /a.txt HTTP/1.1\nHost: x\nConnection: close\n\n";
    cr_assert_eq(exchange(request, strlen(request), &head), 200);
    cr_assert_str_eq(field(head, "Connection"), "close");
    free(head);
    server_stop_clean();
}

/* Send request on a new connection, the client's end shut; the answer
 * must be status, with the status line in words as its body, and the
 * server must close the connection. */
static void assert_refused(const char *request, int status,
                           const char *body)
{
    int fd = connect_to(srv.port, 0);
    struct response r;

    send_text(fd, request);
    shutdown(fd, SHUT_WR);
    r = read_response(fd, 0);
    cr_assert_eq(r.status, status, "%s-> %s", request, r.head);
    cr_assert_str_eq((char *)r.body, body, "%s", request);
    cr_assert_str_eq(field(r.head, "Connection"), "close", "%s", request);
    assert_closed(fd);
    close(fd);
    free_response(&r);
}

/* A method that httpd does not know is 501, not 405 (RFC 9110, 9.1), and
 * methods are case-sensitive: "get" is not GET. */
Test(httpd, an_unknown_method_is_501)
{
    static const char *const methods[] = {"BREW", "get", "Get", "HEADX",
                                          "FOO"};
    char request[128];

    server_start("1");
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        snprintf(request, sizeof request,
                 "%s /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "\r\n", methods[i]);
        assert_refused(request, 501, "501 Not Implemented\n");
    }
    server_stop_clean();
}

/* RFC 9112, 3.2.2: a server MUST accept a target in absolute form. */
Test(httpd, an_absolute_form_target_is_served)
{
    static const char *const targets[] = {
        "http://x/a.txt", "HTTP://example.com:8080/a.txt?q=1",
        "https://127.0.0.1/sub/../a.txt", "http://[::1]:80/%61.txt",
    };
    const char *index = text_of("index.html");
    char request[256];
    struct response r;
    int fd;

    server_start("1");
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        snprintf(request, sizeof request,
                 "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", targets[i]);
        fd = connect_to(srv.port, 0);
        send_text(fd, request);
        r = read_response(fd, 0);
        if (i == 2) /* a ".." is a "..", however it is asked for */
            cr_assert_eq(r.status, 403, "%s: %s", targets[i], r.head);
        else
            assert_response(&r, 200, "hello, world\n", 13);
        free_response(&r);
        close(fd);
    }
    fd = connect_to(srv.port, 0);
    send_text(fd, "GET http://x HTTP/1.1\r\nHost: x\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, index, strlen(index));
    free_response(&r);
    close(fd);
    assert_refused("GET ftp://x/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                   "400 Bad Request\n");
    assert_refused("GET http:///a.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                   "400 Bad Request\n");
    assert_refused("GET http://a%/a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
                   400, "400 Bad Request\n");
    server_stop_clean();
}

/* RFC 9112, 3.2: a Host that is not a host[:port] is 400. */
Test(httpd, an_invalid_host_is_400)
{
    static const char *const bad[] = {"a b", "../..", "x/y", "[::1",
                                      "[]", "x:80a", "x@y", "[::1]x"};
    static const char *const good[] = {"", "x:80", "[::1]:8080",
                                       "127.0.0.1", "a-b.c_d~e"};
    char request[128];

    server_start("1");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(request, sizeof request,
                 "GET /a.txt HTTP/1.1\r\nHost: %s\r\n\r\n", bad[i]);
        assert_refused(request, 400, "400 Bad Request\n");
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(request, sizeof request,
                 "GET /a.txt HTTP/1.1\r\nHost: %s\r\n"
                 "Connection: close\r\n\r\n", good[i]);
        cr_assert_eq(exchange_text(request), 200, "Host: %s", good[i]);
    }
    server_stop_clean();
}

/* RFC 9112, 6.3: two different Content-Lengths leave the end of the
 * request unknown: 400, and the connection closed. The same one twice is
 * one length. */
Test(httpd, two_different_content_lengths_are_400)
{
    server_start("1");
    assert_refused("GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                   "Content-Length: 2\r\n\r\nab", 400, "400 Bad Request\n");
    assert_refused("GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                   "Content-Length: 1\r\n\r\na", 400, "400 Bad Request\n");
    cr_assert_eq(exchange_text("GET /a.txt HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 2\r\nContent-Length: 02\r\n"
                               "\r\nab"), 200);
    server_stop_clean();
}

/* RFC 9112, 6.1: a transfer coding that httpd does not know is 501;
 * chunked alone it takes, as it never reads the body. */
Test(httpd, a_transfer_coding_other_than_chunked_is_501)
{
    static const char *const codings[] = {"gzip", "gzip, chunked",
                                          "chunked, x", "deflate"};
    char request[128];

    server_start("1");
    for (size_t i = 0; i < sizeof codings / sizeof codings[0]; i++) {
        snprintf(request, sizeof request,
                 "GET /a.txt HTTP/1.1\r\nHost: x\r\n"
                 "Transfer-Encoding: %s\r\n\r\n0\r\n\r\n", codings[i]);
        assert_refused(request, 501, "501 Not Implemented\n");
    }
    cr_assert_eq(exchange_text("GET /a.txt HTTP/1.1\r\nHost: x\r\n"
                               "Transfer-Encoding: Chunked\r\n\r\n"
                               "0\r\n\r\n"), 200);
    server_stop_clean();
}

/* A request whose request line, its CRLF included, is len bytes. */
static char *request_line_of(size_t len)
{
    static const char tail[] = " HTTP/1.1\r\n";
    char *s = malloc(len + 64);

    cr_assert(s && len > sizeof tail + 5);
    memcpy(s, "GET /", 5);
    memset(s + 5, 'a', len - 5 - (sizeof tail - 1));
    memcpy(s + len - (sizeof tail - 1), tail, sizeof tail);
    strcat(s, "Host: x\r\nConnection: close\r\n\r\n");
    return s;
}

Test(httpd, a_request_line_over_8_KiB_is_414)
{
    char *request, *long_path;

    server_start("1");
    request = request_line_of(8 * KiB);
    cr_assert_eq(exchange_text(request), 404, "8 KiB is allowed");
    free(request);
    request = request_line_of(8 * KiB + 1);
    cr_assert_eq(exchange_text(request), 414);
    free(request);
    request = request_line_of(64 * KiB); /* more than the whole buffer */
    cr_assert_eq(exchange_text(request), 414);
    free(request);
    long_path = malloc(9001);
    cr_assert(long_path);
    memset(long_path, 'a', 9000);
    long_path[0] = '/';
    long_path[9000] = '\0';
    cr_assert_eq(curl_status(long_path), 414);
    free(long_path);
    wait_connections_gone();
    server_stop_clean();
}

/* A request whose header fields, the blank line included, are len bytes. */
static char *fields_of(size_t len)
{
    static const char line[] = "GET /a.txt HTTP/1.1\r\n";
    static const char fields[] = "Host: x\r\nConnection: close\r\nX: ";
    size_t pad = len - (sizeof fields - 1) - 4; /* the two CRLFs at the end */
    char *s = malloc(sizeof line + len);
    size_t n = sizeof line - 1;

    cr_assert(s && len >= sizeof fields + 4);
    memcpy(s, line, n);
    memcpy(s + n, fields, sizeof fields - 1);
    n += sizeof fields - 1;
    memset(s + n, 'b', pad);
    n += pad;
    memcpy(s + n, "\r\n\r\n", 5);
    return s;
}

Test(httpd, header_fields_over_16_KiB_are_431)
{
    char *request, *big, *out, *body;
    size_t len;

    server_start("1");
    request = fields_of(16 * KiB);
    cr_assert_eq(strlen(request), 21 + 16 * KiB);
    cr_assert_eq(exchange_text(request), 200, "16 KiB is allowed");
    free(request);
    request = fields_of(16 * KiB + 1);
    cr_assert_eq(exchange_text(request), 431);
    free(request);
    request = fields_of(256 * KiB);
    cr_assert_eq(exchange_text(request), 431);
    free(request);
    big = malloc(20 * KiB + 8);
    cr_assert(big);
    strcpy(big, "X-Big: ");
    memset(big + 7, 'c', 20 * KiB);
    big[7 + 20 * KiB] = '\0';
    snprintf(body_path, sizeof body_path, "%s/body", base);
    out = curl("-H", big, "-o", body_path, "-w", "%{http_code}",
               url("/a.txt"), NULL);
    body = saved_body(&len);
    cr_assert_str_eq(out, "431");
    cr_assert_str_eq(body, "431 Request Header Fields Too Large\n");
    free(out);
    free(body);
    free(big);
    wait_connections_gone();
    server_stop_clean();
}

/* RFC 9112 section 2.2: empty lines before a request line are ignored,
 * also between two requests on one connection. */
Test(httpd, empty_lines_before_a_request_are_ignored)
{
    struct response r;
    int fd;

    server_start("1");
    cr_assert_eq(exchange_text("\r\nGET /a.txt HTTP/1.0\r\n\r\n"), 200);
    cr_assert_eq(exchange_text("\n\r\n\nGET /a.txt HTTP/1.0\r\n\r\n"), 200);
    fd = connect_to(srv.port, 0);
    send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n\r\n"
                  "GET /sub/a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    free_response(&r);
    r = read_response(fd, 0);
    assert_response(&r, 200, "sub a\n", 6);
    free_response(&r);
    close(fd);
    wait_connections_gone();
    server_stop_clean();
}

Test(httpd, keep_alive_reuses_the_connection)
{
    char *out;
    int fd;
    struct response r;

    server_start("1");
    out = curl("-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
               "-w", "%{http_code} %{num_connects}\n", url("/"),
               url("/data.bin"), url("/nope"), NULL);
    cr_assert_str_eq(out, "200 1\n200 0\n404 0\n");
    free(out);
    /* Three requests in one write, pipelined: three responses in order on
     * the same connection, which then stays open for a fourth. */
    fd = connect_to(srv.port, 0);
    send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /data.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /sub/a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    cr_assert_null(field(r.head, "Connection"));
    free_response(&r);
    r = read_response(fd, 0);
    assert_response(&r, 200, bin, BIN_LEN);
    free_response(&r);
    r = read_response(fd, 0);
    assert_response(&r, 200, "sub a\n", 6);
    free_response(&r);
    send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    free_response(&r);
    close(fd);
    wait_connections_gone();
    server_stop_clean();
}

Test(httpd, connection_close_is_honoured)
{
    char *out;
    int fd;
    struct response r;

    server_start("3600"); /* only the server's choice can close */
    out = curl("-H", "Connection: close", "-o", "/dev/null", "-o",
               "/dev/null", "-w", "%{num_connects}\n", url("/"),
               url("/a.txt"), NULL);
    cr_assert_str_eq(out, "1\n1\n");
    free(out);
    fd = connect_to(srv.port, 0);
    send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\n"
                  "Connection: Keep-Alive, close\r\n\r\n"
                  "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    cr_assert_str_eq(field(r.head, "Connection"), "close");
    free_response(&r);
    assert_closed(fd); /* the second request is not answered */
    close(fd);
    wait_connections_gone();
    server_stop_clean();
}

Test(httpd, http_1_0_keeps_the_connection_only_if_asked)
{
    int fd;
    struct response r;

    server_start("3600");
    fd = connect_to(srv.port, 0);
    send_text(fd, "GET /a.txt HTTP/1.0\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    cr_assert_str_eq(field(r.head, "Connection"), "close");
    free_response(&r);
    assert_closed(fd);
    close(fd);
    fd = connect_to(srv.port, 0);
    send_text(fd, "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    cr_assert_str_eq(field(r.head, "Connection"), "keep-alive");
    free_response(&r);
    send_text(fd, "GET /sub/a.txt HTTP/1.0\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, "sub a\n", 6);
    free_response(&r);
    assert_closed(fd);
    close(fd);
    wait_connections_gone();
    server_stop_clean();
}

Test(httpd, a_request_with_a_body_is_answered_then_closed)
{
    int fd;
    struct response r;

    server_start("3600");
    fd = connect_to(srv.port, 0);
    send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "\r\nhello");
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    cr_assert_str_eq(field(r.head, "Connection"), "close");
    free_response(&r);
    assert_closed(fd);
    close(fd);
    cr_assert_eq(exchange_text("POST / HTTP/1.1\r\nHost: x\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n"
                               "5\r\nhello\r\n0\r\n\r\n"), 405);
    wait_connections_gone();
    server_stop_clean();
}

/* A client that sends a request with a 1 MiB body, which the server never
 * reads, and reads the response meanwhile, slowly: its receive buffer is
 * small. The server closes the connection after the response; had it
 * closed the socket with the body unread, the reset that follows would
 * throw away the part of the response that the kernel had not sent yet. */
Test(httpd, an_unread_body_does_not_cut_the_response_short)
{
    static const char head[] = "GET /data.bin HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 1048576\r\n\r\n";
    size_t len = sizeof head - 1 + 1024 * KiB, sent = 0, got = 0;
    unsigned char *out = random_bytes(len), *in = malloc(BIN_LEN + 4 * KiB);
    int fd, eof = 0;
    char *body;

    cr_assert(in);
    memcpy(out, head, sizeof head - 1);
    server_start("3600");
    fd = connect_to(srv.port, 4096);
    cr_assert(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    while (!eof) {
        struct pollfd p = {fd, POLLIN | (sent < len ? POLLOUT : 0), 0};
        ssize_t n;

        cr_assert(poll(&p, 1, GUARD_MS) == 1, "no progress for %d ms",
                  GUARD_MS);
        if (sent < len && (p.revents & POLLOUT)) {
            n = write(fd, out + sent, len - sent);
            cr_assert(n > 0 || errno == EAGAIN, "write: %s",
                      strerror(errno));
            sent += n > 0 ? (size_t)n : 0;
            if (sent == len)
                shutdown(fd, SHUT_WR); /* the server's close may go on */
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            cr_assert(got < BIN_LEN + 4 * KiB, "too much came");
            n = read(fd, in + got, BIN_LEN + 4 * KiB - got);
            cr_assert(n >= 0 || errno == EAGAIN, "read after %zu bytes: %s",
                      got, strerror(errno));
            got += n > 0 ? (size_t)n : 0;
            eof = n == 0;
        }
    }
    in[got] = '\0';
    cr_assert(strncmp((char *)in, "HTTP/1.1 200 OK\r\n", 17) == 0);
    cr_assert_str_eq(field((char *)in, "Connection"), "close");
    body = strstr((char *)in, "\r\n\r\n");
    cr_assert(body);
    body += 4;
    cr_assert_eq(got - (size_t)(body - (char *)in), BIN_LEN,
                 "the body has %zu bytes", got - (size_t)(body - (char *)in));
    cr_assert(memcmp(body, bin, BIN_LEN) == 0, "the body differs");
    close(fd);
    free(out);
    free(in);
    wait_connections_gone();
    server_stop_clean();
}

/* A client that sends its request and reads the response until the end. */
struct client {
    int fd;
    char *in;
    size_t got, cap;
    int done;
};

Test(httpd, two_hundred_clients_at_once)
{
    enum { N = 200 };
    static const char request[] =
        "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const char *index = text_of("index.html");
    struct client c[N];
    struct pollfd p[N];
    int left = N;

    server_start("1");
    for (int i = 0; i < N; i++) {
        c[i] = (struct client){connect_to(srv.port, 0), malloc(4 * KiB), 0,
                               4 * KiB, 0};
        cr_assert(c[i].in);
    }
    for (int i = 0; i < N; i++) /* all connected first, then all ask */
        send_text(c[i].fd, request);
    while (left > 0) {
        int k = 0;

        for (int i = 0; i < N; i++)
            if (!c[i].done)
                p[k++] = (struct pollfd){c[i].fd, POLLIN, 0};
        cr_assert(poll(p, (nfds_t)k, GUARD_MS) > 0, "no progress for %d ms",
                  GUARD_MS);
        for (int i = 0, j = 0; i < N; i++) {
            ssize_t n;

            if (c[i].done || !(p[j++].revents & (POLLIN | POLLHUP)))
                continue;
            cr_assert(c[i].got < c[i].cap, "client %d: too much came", i);
            n = read(c[i].fd, c[i].in + c[i].got, c[i].cap - c[i].got);
            cr_assert(n >= 0, "client %d: %s", i, strerror(errno));
            c[i].got += (size_t)n;
            if (n == 0) {
                c[i].done = 1;
                left--;
            }
        }
    }
    for (int i = 0; i < N; i++) {
        char *body;

        c[i].in[c[i].got < c[i].cap ? c[i].got : c[i].cap - 1] = '\0';
        cr_assert(strncmp(c[i].in, "HTTP/1.1 200 OK\r\n", 17) == 0,
                  "client %d got: %.100s", i, c[i].in);
        body = strstr(c[i].in, "\r\n\r\n");
        cr_assert(body, "client %d: no end of head", i);
        cr_assert_str_eq(body + 4, index, "client %d", i);
        close(c[i].fd);
        free(c[i].in);
    }
    wait_connections_gone();
    server_stop_clean();
}

/* The socket has nothing to read, and no end of file: poll says so. */
static void assert_quiet(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};

    cr_assert_eq(poll(&p, 1, 0), 0, "the slow client got an answer early");
}

Test(httpd, a_slow_client_does_not_hold_up_the_others)
{
    static const char slowly[] = "abcdefghi\r\n";
    const char *index = text_of("index.html");
    int slow;
    struct response r;

    server_start("3600");
    slow = connect_to(srv.port, 0);
    send_text(slow, "GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    /* A byte every 0.3 s; between two, another client is served whole. */
    for (size_t i = 0; i < sizeof slowly - 1; i++) {
        send_all(slow, slowly + i, 1);
        sleep_ms(300);
        assert_served("/index.html", index, strlen(index),
                      "text/html; charset=utf-8");
        assert_quiet(slow);
    }
    send_text(slow, "\r\n"); /* the end of its head */
    r = read_response(slow, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    free_response(&r);
    close(slow);
    wait_connections_gone();
    server_stop_clean();
}

Test(httpd, a_client_that_trickles_is_cut_off_by_the_timeout)
{
    static const char start[] = "GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    struct pollfd p;
    char text[512];
    size_t n = 0;
    int fd;
    long sent = 0;

    server_start("1");
    fd = connect_to(srv.port, 0);
    send_text(fd, start);
    /* A byte every 0.3 s, a head that never ends, until the server
     * answers; a server without a timeout would never do so. */
    for (;;) {
        p = (struct pollfd){fd, POLLIN, 0};
        if (poll(&p, 1, 300) == 1)
            break;
        cr_assert(++sent < GUARD_MS / 300, "no answer after %ld bytes",
                  sent);
        cr_assert(write(fd, "a", 1) == 1, "write: %s", strerror(errno));
    }
    while (n < sizeof text - 1 && read_byte(fd, text + n, 1) == 1)
        n++;
    text[n] = '\0';
    cr_assert(strncmp(text, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0,
              "got: %s", text);
    cr_assert_str_eq(field(text, "Connection"), "close");
    cr_assert(strstr(text, "\r\n\r\n408 Request Timeout\n"), "got: %s",
              text);
    close(fd);
    wait_connections_gone();
    server_stop_clean();
}

Test(httpd, a_client_that_sends_nothing_is_closed_by_the_timeout)
{
    int idle, kept;
    struct response r;

    server_start("1");
    idle = connect_to(srv.port, 0);
    kept = connect_to(srv.port, 0);
    send_text(kept, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    r = read_response(kept, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    free_response(&r);
    assert_closed(idle); /* not a byte, not even a 408 */
    assert_closed(kept); /* idle between two requests: the same */
    close(idle);
    close(kept);
    wait_connections_gone();
    server_stop_clean();
}

/* The number after label in wrk's output, or -1 if label is not there. */
static long wrk_number(const char *out, const char *label)
{
    const char *s = strstr(out, label);

    return s ? strtol(s + strlen(label), NULL, 10) : -1;
}

/* N in wrk's line "  N requests in 3.00s, ...", or -1. */
static long wrk_requests(const char *out)
{
    const char *s = strstr(out, " requests in ");

    if (!s)
        return -1;
    while (s > out && s[-1] >= '0' && s[-1] <= '9')
        s--;
    return strtol(s, NULL, 10);
}

/* Run wrk on path for 3 s; it must exit 0. Returns its output. */
static char *wrk(const char *path)
{
    /* --timeout: a response may take this long (default 2 s), for a
     * server under valgrind on a loaded machine. */
    char *argv[] = {which("wrk"), "-t2", "-c50", "-d3s", "--timeout", "30s",
                    url(path), NULL};
    int out = temp_file(), err = temp_file(), null = open_null();
    int status = wait_exit(spawn(argv, environ, null, out, err));
    char *text = file_text(out), *errs = file_text(err);

    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "wrk: status 0x%x\n%s%s", status, text, errs);
    free(errs);
    close(out);
    close(err);
    close(null);
    return text;
}

Test(httpd, wrk_gets_only_2xx_and_no_socket_errors)
{
    char *out;

    server_start("1");
    out = wrk("/index.html");
    cr_assert_gt(wrk_requests(out), 0, "no requests:\n%s", out);
    cr_assert_null(strstr(out, "Non-2xx or 3xx responses"), "%s", out);
    if (strstr(out, "Socket errors:")) {
        cr_assert_eq(wrk_number(out, "Socket errors: connect "), 0, "%s",
                     out);
        cr_assert_eq(wrk_number(out, ", read "), 0, "%s", out);
        cr_assert_eq(wrk_number(out, ", write "), 0, "%s", out);
        cr_assert_eq(wrk_number(out, ", timeout "), 0, "%s", out);
    }
    free(out);
    wait_connections_gone();
    server_stop_clean();
}

/* ---- stopping ---- */

/* Clients in every state when the signal comes: idle, halfway through a
 * head, between two requests, and one that takes a large file without
 * reading it, whose response waits in io_send. */
static void stop_with_clients(int sig)
{
    enum { BIG = 8 * 1024 * KiB };
    unsigned char *big = calloc(1, BIG);
    int idle, half, kept, hog;
    struct pollfd p;
    struct response r;
    char *err;

    cr_assert(big);
    put("root/big.bin", big, BIG);
    free(big);
    server_start("3600");
    idle = connect_to(srv.port, 0);
    half = connect_to(srv.port, 0);
    send_text(half, "GET /a.txt HTTP/1.1\r\nHo");
    kept = connect_to(srv.port, 0);
    send_text(kept, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    r = read_response(kept, 0);
    free_response(&r);
    hog = connect_to(srv.port, 4096);
    send_text(hog, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    p = (struct pollfd){hog, POLLIN, 0};
    cr_assert_eq(poll(&p, 1, GUARD_MS), 1, "the hog got nothing");
    err = server_stop(sig);
    cr_assert_str_empty(err, "the server's stderr:\n%s", err);
    free(err);
    close(idle);
    close(half);
    close(kept);
    close(hog);
}

Test(httpd, sigterm_exits_0)
{
    stop_with_clients(SIGTERM);
}

Test(httpd, sigint_exits_0)
{
    stop_with_clients(SIGINT);
}

/* Clients that pipeline requests without a pause keep an fd ready on
 * every pass of the loop; the signal must stop the server all the same. */
Test(httpd, sigterm_stops_it_under_full_load)
{
    static const char request[] = "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n";
    pid_t streamers[2];

    server_start("3600");
    /* Two processes: together they ask faster than the server answers. */
    for (int i = 0; i < 2; i++)
        streamers[i] = start_streamers(srv.port, 25, request,
                                       strlen(request));
    server_stop_clean();
    for (int i = 0; i < 2; i++)
        cr_assert_eq(wait_exit(streamers[i]), 0, "the streamers hung");
}

/* While one client pipelines requests without a pause, others are
 * served: the streamer's task gives the loop back after each write. */
Test(httpd, a_client_that_streams_requests_does_not_starve_another)
{
    static const char request[] = "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n";
    pid_t streamer;

    server_start("3600");
    streamer = start_streamers(srv.port, 1, request, strlen(request));
    for (int i = 0; i < 10; i++)
        cr_assert_eq(curl_status("/a.txt"), 200);
    server_stop_clean();
    cr_assert_eq(wait_exit(streamer), 0, "the streamer hung");
}

/* How many fds below FD_SETSIZE the server has open. */
static int server_low_fds(void)
{
    char dir[64];
    struct dirent *e;
    DIR *d;
    int low = 0;

    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)srv.pid);
    d = opendir(dir);
    cr_assert(d, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) < FD_SETSIZE)
            low++;
    closedir(d);
    return low;
}

/* Each line must be the documented one for an fd of FD_SETSIZE or more;
 * returns how many there are. */
static int count_fd_limit_lines(const char *err)
{
    char expected[160];
    int n = 0, fd;

    for (const char *s = err; *s; s += strlen(expected), n++) {
        fd = -1;
        sscanf(s, "httpd: connection on fd %d ", &fd);
        snprintf(expected, sizeof expected,
                 "httpd: connection on fd %d closed: fd is FD_SETSIZE "
                 "or more: select() cannot watch it\n", fd);
        cr_assert(fd >= FD_SETSIZE &&
                      strncmp(s, expected, strlen(expected)) == 0,
                  "unexpected line on the server's stderr: %.200s", s);
    }
    return n;
}

Test(httpd, connections_past_fd_setsize_are_turned_away)
{
    enum { N = 1100 };
    static const char request[] =
        "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int *fd = calloc(N, sizeof *fd);
    int watchable;
    char *err;

    cr_assert(fd);
    server_start("3600");
    /* accept() takes the lowest free fd, and no connection ends before
     * all have come, so the first `watchable` get an fd below FD_SETSIZE
     * and the others are closed at once, with one line on stderr for them
     * all. */
    watchable = FD_SETSIZE - server_low_fds();
    cr_assert(watchable > 1000 && watchable < N,
              "the server has %d free fds below FD_SETSIZE", watchable);
    for (int i = 0; i < N; i++)
        fd[i] = connect_to(srv.port, 0);
    for (int i = watchable; i < N; i++)
        assert_closed(fd[i]);
    for (int i = 0; i < watchable; i++) {
        struct response r;

        send_text(fd[i], request);
        r = read_response(fd[i], 0);
        assert_response(&r, 200, "hello, world\n", 13);
        free_response(&r);
        assert_closed(fd[i]);
    }
    for (int i = 0; i < N; i++)
        close(fd[i]);
    free(fd);
    wait_connections_gone();
    err = server_stop(SIGTERM);
    cr_assert_eq(count_fd_limit_lines(err), 1,
                 "%d connections turned away in one burst; stderr:\n%.400s",
                 N - watchable, err);
    free(err);
}

Test(httpd, serves_over_ipv6)
{
    char *argv[] = {(char *)find_server(), "--host", "::1", "--port", "0",
                    "--root", root, "--timeout", "1", NULL};
    struct response r;
    int fd;

    server_launch(argv);
    cr_assert(srv.ipv6, "the server did not say it listens on [::1]");
    fd = connect_to(srv.port, 0); /* over ::1 */
    send_text(fd, "GET /a.txt HTTP/1.1\r\nHost: [::1]\r\n"
                  "Connection: close\r\n\r\n");
    r = read_response(fd, 0);
    assert_response(&r, 200, "hello, world\n", 13);
    free_response(&r);
    assert_closed(fd);
    close(fd);
    wait_connections_gone();
    server_stop_clean();
}

/* A client that downloads slowly: segments of 536 bytes at most and a
 * small receive buffer, so that the server's kernel holds about 100 KiB of
 * a response it does not read, not megabytes. */
static int slow_client(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), mss = 536, rcvbuf = 4096;

    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    cr_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0,
              "connect to port %d: %s", port, strerror(errno));
    return fd;
}

/* 700 clients download a 2 MiB file slowly: each response in flight
 * holds its socket and the file's fd. All 700 are served, and a small GET
 * is answered meanwhile: the files' fds do not take select()'s slots. */
Test(httpd, seven_hundred_slow_downloads_and_a_small_get)
{
    enum { N = 700, BIG = 2 * 1024 * KiB };
    static const char request[] =
        "GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int *fd = calloc(N, sizeof *fd), big, sockets, files;
    unsigned char *body = malloc(BIG), *zeros = calloc(BIG, 1);
    char len[32];

    cr_assert(fd && body && zeros);
    big = open(remember("root/big.bin"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    cr_assert(big >= 0 && ftruncate(big, BIG) == 0); /* sparse: zeros */
    close(big);
    snprintf(len, sizeof len, "%d", BIG);
    server_start("3600");
    for (int i = 0; i < N; i++) {
        fd[i] = slow_client(srv.port);
        send_text(fd[i], request);
    }
    for (int i = 0; i < N; i++) {
        struct response r = read_response(fd[i], 1);

        cr_assert_eq(r.status, 200, "download %d: %s", i, r.head);
        cr_assert_str_eq(field(r.head, "Content-Length"), len);
        free_response(&r);
    }
    server_fds(&sockets, &files);
    cr_assert_eq(files, N, "%d downloads hold their file, not %d", files, N);
    cr_assert_eq(exchange_text("GET /a.txt HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n"), 200);
    read_exact(fd[N - 1], body, BIG);
    cr_assert(memcmp(body, zeros, BIG) == 0, "the download differs");
    assert_closed(fd[N - 1]);
    for (int i = 0; i < N; i++)
        close(fd[i]);
    free(fd);
    free(body);
    free(zeros);
    wait_connections_gone();
    server_stop_clean();
}

/* ---- the course's page ---- */

Test(httpd, serves_the_stage_s_own_www)
{
    static const char *const files[][2] = {
        {"index.html", "text/html; charset=utf-8"},
        {"style.css", "text/css; charset=utf-8"},
        {"icon.png", "image/png"},
    };
    const char *top = getenv("COURSE_ROOT");
    char path[4096], name[64];

    snprintf(root, sizeof root, "%s/stage5-subtasks/www",
             top && *top ? top : COURSE_ROOT);
    server_start("1");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int fd;
        size_t len;
        char *data;

        snprintf(path, sizeof path, "%s/%s", root, files[i][0]);
        fd = open(path, O_RDONLY);
        cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
        data = file_bytes(fd, &len);
        close(fd);
        snprintf(name, sizeof name, "/%s", files[i][0]);
        assert_served(name, data, len, files[i][1]);
        if (i == 0)
            assert_served("/", data, len, files[i][1]);
        free(data);
    }
    server_stop_clean();
}

/* ---- arguments ---- */

/* Run the server with args; it must exit with code, printing nothing on
 * stdout. Returns its stderr. */
static char *run_server(char *const args[], int code)
{
    char *argv[16] = {(char *)find_server()};
    int out = temp_file(), err = temp_file(), null = open_null(), status;
    char *text;

    for (int i = 0; args[i]; i++)
        argv[i + 1] = args[i];
    status = wait_exit(spawn(argv, environ, null, out, err));
    text = file_text(out);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == code,
              "status 0x%x, not exit %d; stderr:\n%s", status, code,
              file_text(err));
    cr_assert_str_empty(text, "stdout: %s", text);
    free(text);
    text = file_text(err);
    close(out);
    close(err);
    close(null);
    return text;
}

Test(httpd, bad_arguments_exit_2)
{
    static char *const cases[][3] = {
        {"--port", "65536", NULL},  {"--port", "-1", NULL},
        {"--port", "80x", NULL},    {"--port", "", NULL},
        {"--port", NULL, NULL},     {"--host", "1.2.3", NULL},
        {"--host", "1::2::3", NULL}, {"--host", "localhost", NULL},
        {"--timeout", "0", NULL},   {"--timeout", "3601", NULL},
        {"--timeout", "1.5", NULL}, {"--timeout", NULL, NULL},
        {"--root", NULL, NULL},     {"--root", "/nonexistent/www", NULL},
        {"--root", "/etc/passwd", NULL},
        {"--verbose", NULL, NULL},  {"8080", NULL, NULL},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = run_server(cases[i], 2);

        cr_assert(strstr(err, "usage: httpd [--host ADDRESS] [--port PORT] "
                              "[--root DIR] [--timeout SECONDS]\n"),
                  "case %zu: no usage on stderr:\n%s", i, err);
        free(err);
    }
}

Test(httpd, a_root_that_is_not_a_directory_is_named)
{
    static const char expected[] =
        "httpd: cannot serve '/etc/passwd': Not a directory\n"
        "usage: httpd ";
    char *args[] = {"--root", "/etc/passwd", NULL};
    char *err = run_server(args, 2);

    cr_assert(strncmp(err, expected, sizeof expected - 1) == 0,
              "stderr:\n%s", err);
    free(err);
}

Test(httpd, port_in_use_exits_1)
{
    char port[16], expected[128];
    char *args[] = {"--port", port, "--root", root, NULL};
    char *err;

    server_start("1");
    snprintf(port, sizeof port, "%d", srv.port);
    err = run_server(args, 1);
    snprintf(expected, sizeof expected,
             "httpd: cannot listen on 127.0.0.1:%d: "
             "Address already in use\n", srv.port);
    cr_assert_str_eq(err, expected);
    free(err);
    server_stop_clean();
}
