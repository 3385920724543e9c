/* exercise.c: build an exercise with its stage's runtime, run it, check it. */
#define _POSIX_C_SOURCE 200809L
#include "exercise.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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
    STDERR_LINES = 30 /* lines of stderr a report shows at most */
};

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
    else if (variant > 0)
        snprintf(path, size, "%s/tests/exercises/%s/%.*s.alt%d.patch",
                 COURSE_ROOT, e->stage, base, e->file, variant);
    else
        snprintf(path, size, "%s/tests/exercises/%s/%.*s.wrong%d.patch",
                 COURSE_ROOT, e->stage, base, e->file, -variant);
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

/* Split s at spaces into argv[*n...]; s is changed. */
static void split(char *s, char **argv, int *n, int max)
{
    for (char *w = strtok(s, " \n"); w && *n < max - 1;
         w = strtok(NULL, " \n"))
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
    ok = ex_run_command(argv, &r, 1) == 0 && r.status == 0 && !r.hung;
    close(fd);
    if (ok)
        text_add(objs, text_str(&r.out), r.out.len);
    else
        text_printf(report, "The stage's runtime did not build:\n%s",
                    text_str(&r.out));
    ex_run_free(&r);
    return ok;
}

static void src_path(const struct exercise *e, const char *name, char *path,
                     size_t size);

/* For an exercise that is a part of the runtime: the runtime file with the
 * reader's definitions in it, and the program that runs it. */
static int splice_part(const struct exercise *e, const struct ex_part *p,
                       const char *src, const char *tag, char *part,
                       char *program, struct text *report)
{
    char base[4096], name[64];

    snprintf(base, sizeof base, "%s/%s/%s", COURSE_ROOT, e->stage, p->file);
    snprintf(name, sizeof name, "%s-%.*s", tag,
             (int)(strlen(p->file) - strlen(".c")), p->file);
    src_path(e, name, part, 4096);
    snprintf(program, 4096, "%s/tests/exercises/%s/%s", COURSE_ROOT, e->stage,
             p->program);
    return ex_splice(base, src, part, report);
}

/* Compile src with the runtime objects into bin (for a part of the
 * runtime, the program with the runtime file that src is spliced into,
 * in place of its object); the compiler's own words go into the report if
 * it refuses. */
static int build(const struct exercise *e, const char *src, const char *tag,
                 const char *bin, struct text *report)
{
    char flags[] = EXERCISE_CFLAGS, include[4096], *argv[64];
    char part[4096], program[4096], object[256] = "";
    const char *cc = getenv("CC");
    const struct ex_part *p = ex_part_of(e);
    struct text objs = {0};
    struct ex_run r;
    int n = 0, ok;

    if (!build_runtime(e, &objs, report) ||
        (p && !splice_part(e, p, src, tag, part, program, report))) {
        text_free(&objs);
        return 0;
    }
    snprintf(include, sizeof include, "-I%s/%s", COURSE_ROOT, e->stage);
    argv[n++] = (char *)(cc && *cc ? cc : "cc");
    split(flags, argv, &n, 40);
    argv[n++] = include;
    argv[n++] = "-o";
    argv[n++] = (char *)bin;
    if (p) {
        argv[n++] = program;
        argv[n++] = part;
        snprintf(object, sizeof object, "/%.*s.o",
                 (int)(strlen(p->file) - strlen(".c")), p->file);
    } else
        argv[n++] = (char *)src;
    split(objs.s, argv, &n, 64);
    /* The runtime file that the part is spliced into is not linked twice. */
    for (int i = 0; object[0] && i < n; i++)
        if (strlen(argv[i]) > strlen(object) &&
            strcmp(argv[i] + strlen(argv[i]) - strlen(object), object) == 0) {
            memmove(&argv[i], &argv[i + 1], (size_t)(n - i) * sizeof *argv);
            n--;
            break;
        }
    ok = ex_run_command(argv, &r, 1) == 0 && r.status == 0 && !r.hung;
    if (!ok)
        text_printf(report, "It does not build. The compiler said:\n%s",
                    text_str(&r.out));
    ex_run_free(&r);
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
    struct ex_run r = {0};
    char *text = NULL;
    int ok;

    snprintf(spec, sizeof spec, "HEAD:%s/exercises/%s", e->stage, e->file);
    snprintf(name, sizeof name, "%s-starter", tag);
    src_path(e, name, path, size);
    ex_reader_path(e, reader, sizeof reader);
    /* The reader's file is the starter while it has the starter's hash;
     * once the reader works on it, git still has the starter. */
    if (ex_hash_file(reader) != e->hash &&
        ex_run_command(argv, &r, 0) == 0 && r.status == 0 && !r.hung)
        ok = write_file(path, text_str(&r.out), r.out.len);
    else
        ok = (text = text_read_file(reader)) &&
             write_file(path, text, strlen(text));
    free(text);
    ex_run_free(&r);
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

    snprintf(tag, sizeof tag, variant < 0 ? "wrong%d" : "solution%d",
             variant < 0 ? -variant : variant);
    if (!ex_starter(e, tag, starter, sizeof starter, report))
        return 0;
    ex_solution_path(e, variant, patch, sizeof patch);
    src_path(e, tag, path, size);
    ok = ex_run_command(argv, &r, 1) == 0 && r.status == 0 && !r.hung;
    if (!ok)
        text_printf(report, "%s does not apply to the starter:\n%s", patch,
                    r.out.s ? r.out.s : "");
    ex_run_free(&r);
    return ok;
}

/* A pointer into a stack frame that is gone reads what is left there, and
 * often works: have AddressSanitizer give every frame a place of its own,
 * so that using one after its function returned is reported. */
static void catch_dangling_frames(void)
{
    const char *opt = "detect_stack_use_after_return=1";
    const char *old = getenv("ASAN_OPTIONS");
    char buf[4096];

    if (old && strstr(old, opt))
        return;
    snprintf(buf, sizeof buf, "%s%s%s", old ? old : "", old && *old ? ":" : "",
             opt);
    setenv("ASAN_OPTIONS", buf, 1);
}

enum ex_result ex_try(const struct exercise *e, const char *src,
                      const char *tag, struct text *report)
{
    char bin[4096], *argv[8];
    struct text found = {0};
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
    if (!build(e, src, tag, bin, report))
        return EX_NOT_BUILT;
    argv[n++] = bin;
    for (int i = 0; e->args[i] && n < 7; i++)
        argv[n++] = (char *)e->args[i];
    argv[n] = NULL;
    catch_dangling_frames();
    if (ex_run_command(argv, &r, 0) < 0) {
        text_printf(report, "exercise: cannot run %s: %s\n", bin,
                    strerror(errno));
        return EX_CRASHED;
    }
    if (!ran_well(&r, report))
        result = EX_CRASHED;
    else if (e->check(&r, &found))
        result = EX_PASSED;
    else {
        result = EX_WRONG;
        /* The check's report would show the answer, which the lesson may
         * ask the reader to predict: on the starter, say what to do. */
        if (ex_hash_file(src) == e->hash)
            text_printf(report, "This is the starter as shipped, and it does "
                        "not do the exercise yet. Do what its TODO says (if "
                        "the lesson asks you to predict, predict first), "
                        "then check it again.\n");
        else
            text_add(report, text_str(&found), found.len);
    }
    text_free(&found);
    if (result != EX_PASSED)
        show_stderr(&r, report);
    ex_run_free(&r);
    return result;
}

