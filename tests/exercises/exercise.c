/* exercise.c: build an exercise with its stage's runtime, run it, compare. */
#define _DEFAULT_SOURCE
#include "exercise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef COURSE_ROOT
#define COURSE_ROOT "."
#endif
/* Where the runtimes and programs go; the Makefile names one per set of
 * sanitizer flags, since objects built with and without them do not mix. */
#ifndef EXERCISE_BUILD
#define EXERCISE_BUILD COURSE_ROOT "/build/exercises/plain"
#endif
#ifndef EXERCISE_SANITIZE
#define EXERCISE_SANITIZE ""
#endif
#define EXERCISE_CFLAGS                                                      \
    "-std=c11 -Wall -Wextra -Werror -pedantic -O0 -g " EXERCISE_SANITIZE

enum {
    HANG_GUARD = 60,        /* seconds a program may run: a hang guard */
    OUTPUT_CAP = 1 << 20,   /* bytes a program may print */
    CONTEXT = 3,            /* lines shown around the first difference */
    STDERR_LINES = 30       /* lines of stderr a report shows at most */
};

/* Make room for n more bytes and a '\0'. */
static void text_reserve(struct text *t, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;

        while (cap < t->len + n + 1)
            cap *= 2;
        t->s = realloc(t->s, cap);
        if (!t->s) {
            fprintf(stderr, "exercise: no memory\n");
            exit(2);
        }
        t->cap = cap;
    }
}

void text_add(struct text *t, const char *s, size_t n)
{
    text_reserve(t, n);
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

void text_printf(struct text *t, const char *fmt, ...)
{
    char first[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(first, sizeof first, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    text_reserve(t, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void text_free(struct text *t)
{
    free(t->s);
    t->s = NULL;
    t->len = t->cap = 0;
}

static const char *text_str(const struct text *t)
{
    return t->s ? t->s : "";
}

const struct exercise *ex_find(const char *id)
{
    for (int i = 0; i < nexercises; i++)
        if (strcmp(exercises[i].id, id) == 0)
            return &exercises[i];
    return NULL;
}

void ex_reader_path(const struct exercise *e, char *path, size_t size)
{
    snprintf(path, size, "%s/%s/exercises/%s", COURSE_ROOT, e->stage, e->file);
}

void ex_solution_path(const struct exercise *e, int variant, char *path,
                      size_t size)
{
    int base = (int)(strlen(e->file) - strlen(".c"));

    if (variant == 0)
        snprintf(path, size, "%s/tests/exercises/%s/%.*s.patch", COURSE_ROOT,
                 e->stage, base, e->file);
    else
        snprintf(path, size, "%s/tests/exercises/%s/%.*s.alt%d.patch",
                 COURSE_ROOT, e->stage, base, e->file, variant);
}

unsigned long long ex_hash_file(const char *path)
{
    unsigned long long h = 14695981039346656037ull;
    FILE *f = fopen(path, "rb");
    int c;

    if (!f)
        return 0;
    while ((c = getc(f)) != EOF)
        h = (h ^ (unsigned char)c) * 1099511628211ull;
    fclose(f);
    return h;
}

/* A whole file as a string; NULL if it can not be read. */
static char *read_whole(const char *path)
{
    struct text t = {0};
    char buf[4096];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f)
        return NULL;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        text_add(&t, buf, n);
    fclose(f);
    if (!t.s)
        text_add(&t, "", 0);
    return t.s;
}

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read what is ready on fd into t; 0 at end of file. */
static int drain(int fd, struct text *t, size_t *total)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);

    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n > 0 && *total < OUTPUT_CAP)
        text_add(t, buf, (size_t)n);
    *total += (size_t)(n > 0 ? n : 0);
    return n > 0;
}

/* Run argv with stdin from /dev/null, collecting stdout and stderr (or
 * both in out, if merge), for at most HANG_GUARD seconds. */
static int run(char *const argv[], struct ex_run *r, int merge)
{
    int out[2], err[2];
    struct pollfd fds[2];
    size_t total = 0;
    double deadline = seconds_now() + HANG_GUARD;
    pid_t pid;
    int status, open_fds = 2;

    memset(r, 0, sizeof *r);
    if (pipe(out) < 0 || pipe(err) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);

        dup2(null, 0);
        dup2(out[1], 1);
        dup2(merge ? out[1] : err[1], 2);
        close(out[0]);
        close(err[0]);
        execvp(argv[0], argv);
        fprintf(stderr, "exercise: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    fds[0] = (struct pollfd){.fd = out[0], .events = POLLIN};
    fds[1] = (struct pollfd){.fd = err[0], .events = POLLIN};
    while (open_fds > 0 && !r->hung) {
        double left = deadline - seconds_now();

        if (left <= 0 || total > OUTPUT_CAP) {
            kill(pid, SIGKILL);
            r->hung = left <= 0 ? 1 : 2;
            break;
        }
        if (poll(fds, 2, (int)(left * 1000) + 1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            if (!drain(fds[i].fd, i == 0 ? &r->out : &r->err, &total)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status)
                                  : 128 + WTERMSIG(status);
    return 0;
}

/* mkdir -p path */
static void make_dirs(const char *path)
{
    char dir[4096];

    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
    mkdir(dir, 0755);
}

static void run_free(struct ex_run *r)
{
    text_free(&r->out);
    text_free(&r->err);
}

/* Split s at spaces into argv[*n...]; s is changed. */
static void split(char *s, char **argv, int *n, int max)
{
    for (char *w = strtok(s, " \n"); w && *n < max - 1; w = strtok(NULL, " \n"))
        argv[(*n)++] = w;
    argv[*n] = NULL;
}

/* Build the stage's runtime objects (one make at a time: tests run in
 * parallel) and put their paths in objs. */
static int build_runtime(const struct exercise *e, struct text *objs,
                         struct text *report)
{
    char dir[4096], out[4096], mk[4096], lock[4096];
    char *argv[] = {"make", "-s", "--no-print-directory", "-C", dir, "-f",
                    "Makefile", "-f", mk, "exercise-runtime", out,
                    "CFLAGS=" EXERCISE_CFLAGS, NULL};
    struct ex_run r;
    int fd, ok;

    snprintf(dir, sizeof dir, "%s/%s", COURSE_ROOT, e->stage);
    snprintf(out, sizeof out, "OUT=%s/%s", EXERCISE_BUILD, e->stage);
    snprintf(mk, sizeof mk, "%s/tests/exercises/runtime.mk", COURSE_ROOT);
    snprintf(lock, sizeof lock, "%s.lock", EXERCISE_BUILD);
    fd = open(lock, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        text_printf(report, "exercise: cannot lock %s: %s\n", lock,
                    strerror(errno));
        return 0;
    }
    ok = run(argv, &r, 1) == 0 && r.status == 0 && !r.hung;
    close(fd);
    if (ok)
        text_add(objs, text_str(&r.out), r.out.len);
    else
        text_printf(report, "The stage's runtime did not build:\n%s",
                    text_str(&r.out));
    run_free(&r);
    return ok;
}

/* Compile src with the runtime objects into bin; the compiler's own words
 * go into the report if it refuses. */
static int build(const struct exercise *e, const char *src, const char *bin,
                 struct text *report)
{
    char flags[] = EXERCISE_CFLAGS, include[4096], *argv[64];
    const char *cc = getenv("CC");
    struct text objs = {0};
    struct ex_run r;
    int n = 0, ok;

    if (!build_runtime(e, &objs, report)) {
        text_free(&objs);
        return 0;
    }
    snprintf(include, sizeof include, "-I%s/%s", COURSE_ROOT, e->stage);
    argv[n++] = (char *)(cc && *cc ? cc : "cc");
    split(flags, argv, &n, 40);
    argv[n++] = include;
    argv[n++] = "-o";
    argv[n++] = (char *)bin;
    argv[n++] = (char *)src;
    split(objs.s, argv, &n, 64);
    ok = run(argv, &r, 1) == 0 && r.status == 0 && !r.hung;
    if (!ok)
        text_printf(report, "It does not build. The compiler said:\n%s",
                    text_str(&r.out));
    run_free(&r);
    text_free(&objs);
    return ok;
}

/* The last lines of s, at most max. */
static const char *tail(const char *s, int max)
{
    const char *p = s + strlen(s);
    int lines = 0;

    if (p > s && p[-1] == '\n')
        p--;
    while (p > s && lines < max)
        if (*--p == '\n')
            lines++;
    return lines == max ? p + 1 : s;
}

/* Did it end as a program should: exit 0, no sanitizer report, in time? */
static int ran_well(const struct ex_run *r, struct text *report)
{
    const char *err = text_str(&r->err);
    int sanitizer = strstr(err, "Sanitizer") || strstr(err, "runtime error:");

    if (r->hung == 1)
        text_printf(report, "It did not finish within %d s; it was "
                    "stopped.\n", HANG_GUARD);
    else if (r->hung)
        text_printf(report, "It printed more than %d bytes; it was "
                    "stopped.\n", OUTPUT_CAP);
    else if (sanitizer)
        text_printf(report, "It ran, but the sanitizers found a memory or "
                    "undefined-behaviour error (their report is below).\n");
    else if (r->status > 128)
        text_printf(report, "It crashed: signal %d (%s).\n", r->status - 128,
                    strsignal(r->status - 128));
    else if (r->status != 0)
        text_printf(report, "It exited with status %d; the exercise expects "
                    "0.\n", r->status);
    return !r->hung && !sanitizer && r->status == 0;
}

static void show_stderr(const struct ex_run *r, struct text *report)
{
    if (r->err.len == 0)
        return;
    text_printf(report, "It printed on stderr%s:\n%s",
                tail(text_str(&r->err), STDERR_LINES) == text_str(&r->err)
                    ? ""
                    : " (the last lines)",
                tail(text_str(&r->err), STDERR_LINES));
    if (r->err.s[r->err.len - 1] != '\n')
        text_add(report, "\n", 1);
}

static int write_file(const char *path, const char *s, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(s, 1, len, f) == len;

    if (f && fclose(f) != 0)
        ok = 0;
    return ok;
}

/* Where a source made for a test goes: build/exercises/.../src/ID-NAME.c */
static void src_path(const struct exercise *e, const char *name, char *path,
                     size_t size)
{
    snprintf(path, size, "%s/src", EXERCISE_BUILD);
    make_dirs(path);
    snprintf(path, size, "%s/src/%s-%s.c", EXERCISE_BUILD, e->id, name);
}

int ex_starter(const struct exercise *e, const char *tag, char *path,
               size_t size, struct text *report)
{
    char spec[4096], name[64], reader[4096], root[] = COURSE_ROOT;
    char *argv[] = {"git", "-C", root, "show", spec, NULL};
    struct ex_run r;
    char *text;
    int ok;

    snprintf(spec, sizeof spec, "HEAD:%s/exercises/%s", e->stage, e->file);
    snprintf(name, sizeof name, "%s-starter", tag);
    src_path(e, name, path, size);
    if (run(argv, &r, 0) == 0 && r.status == 0 && !r.hung) {
        ok = write_file(path, r.out.s ? r.out.s : "", r.out.len);
    } else {
        ex_reader_path(e, reader, sizeof reader);
        text = read_whole(reader);
        ok = text && write_file(path, text, strlen(text));
        free(text);
    }
    run_free(&r);
    if (!ok)
        text_printf(report, "exercise: cannot write %s\n", path);
    return ok;
}

int ex_solution(const struct exercise *e, int variant, char *path,
                size_t size, struct text *report)
{
    char starter[4096], patch[4096], tag[32];
    char *argv[] = {"patch", "-s", "--fuzz=0", "--no-backup-if-mismatch",
                    "-r", "-", "-o", path, starter, patch, NULL};
    struct ex_run r;
    int ok;

    snprintf(tag, sizeof tag, "solution%d", variant);
    if (!ex_starter(e, tag, starter, sizeof starter, report))
        return 0;
    ex_solution_path(e, variant, patch, sizeof patch);
    src_path(e, tag, path, size);
    ok = run(argv, &r, 1) == 0 && r.status == 0 && !r.hung;
    if (!ok)
        text_printf(report, "%s does not apply to the starter:\n%s", patch,
                    r.out.s ? r.out.s : "");
    run_free(&r);
    return ok;
}

enum ex_result ex_try(const struct exercise *e, const char *src,
                      const char *tag, struct text *report)
{
    char bin[4096], *argv[8];
    struct ex_run r;
    enum ex_result result;
    int n = 0;

    if (access(src, R_OK) != 0) {
        text_printf(report, "There is no file %s.\n", src);
        return EX_MISSING;
    }
    snprintf(bin, sizeof bin, "%s/bin", EXERCISE_BUILD);
    make_dirs(bin);
    snprintf(bin, sizeof bin, "%s/bin/%s-%s", EXERCISE_BUILD, e->id, tag);
    if (!build(e, src, bin, report))
        return EX_NOT_BUILT;
    argv[n++] = bin;
    for (int i = 0; e->args[i] && n < 7; i++)
        argv[n++] = (char *)e->args[i];
    argv[n] = NULL;
    if (run(argv, &r, 0) < 0) {
        text_printf(report, "exercise: cannot run %s: %s\n", bin,
                    strerror(errno));
        return EX_CRASHED;
    }
    if (!ran_well(&r, report))
        result = EX_CRASHED;
    else if (!e->check(&r, report))
        result = EX_WRONG;
    else
        result = EX_PASSED;
    if (result != EX_PASSED)
        show_stderr(&r, report);
    run_free(&r);
    return result;
}

int ex_line(const char *s, int n, char *buf, size_t size)
{
    for (int i = 1; i < n && *s; i++) {
        s = strchr(s, '\n');
        if (!s)
            return 0;
        s++;
    }
    if (!*s)
        return 0;
    snprintf(buf, size, "%.*s", (int)strcspn(s, "\n"), s);
    return 1;
}

int ex_find_line(const char *s, const char *line)
{
    char buf[1024];

    for (int n = 1; ex_line(s, n, buf, sizeof buf); n++)
        if (strcmp(buf, line) == 0)
            return n;
    return 0;
}

static int count_lines(const char *s)
{
    int n = 0;
    char buf[8];

    while (ex_line(s, n + 1, buf, sizeof buf))
        n++;
    return n;
}

/* The widest of lines from..to of s, for the left column. */
static int width(const char *s, int from, int to)
{
    char buf[1024];
    int w = (int)strlen("expected");

    for (int n = from; n <= to; n++)
        if (ex_line(s, n, buf, sizeof buf) && (int)strlen(buf) > w)
            w = (int)strlen(buf);
    return w;
}

int ex_expect_output(const struct ex_run *run, const char *expected,
                     struct text *report)
{
    const char *actual = text_str(&run->out);
    char a[1024], b[1024];
    int first = 1, last, w;

    if (strcmp(actual, expected) == 0)
        return 1;
    while (1) {
        int ha = ex_line(expected, first, a, sizeof a);
        int hb = ex_line(actual, first, b, sizeof b);

        if (!ha || !hb || strcmp(a, b) != 0)
            break;
        first++;
    }
    last = first + CONTEXT;
    w = width(expected, first - CONTEXT, last);
    text_printf(report, "The output differs from line %d on (expected %d "
                "line%s, got %d):\n", first, count_lines(expected),
                count_lines(expected) == 1 ? "" : "s", count_lines(actual));
    text_printf(report, "       %-*s | %s\n", w, "expected", "actual");
    for (int n = first > CONTEXT ? first - CONTEXT : 1; n <= last; n++) {
        int ha = ex_line(expected, n, a, sizeof a);
        int hb = ex_line(actual, n, b, sizeof b);

        if (!ha && !hb)
            break;
        text_printf(report, "%s %4d %-*s | %s\n", n == first ? ">" : " ", n,
                    w, ha ? a : "(no line)", hb ? b : "(no line)");
    }
    if (ex_line(expected, first, a, sizeof a) &&
        ex_line(actual, first, b, sizeof b) && strcmp(a, b) == 0)
        text_printf(report, "(Line %d differs only in its newline or in "
                    "bytes past it.)\n", first);
    return 0;
}
