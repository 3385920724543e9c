/* test_exercises: each exercise's check passes on its reference solution
 * and on the other correct answers beside it (each a patch to the starter),
 * fails on the wrong answers beside it, and fails on its starter, which
 * builds and runs, saying what to do rather than the answer. The starter is the one
 * git holds once the reader has changed the file (see ex_starter), so that
 * a reader's work in progress changes nothing here, and its hash is the
 * one in the list of exercises, so that "not started" stays true on a
 * fresh clone. Every exercise in the list is tested. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exercise.h"

/* An answer to check: variant 0 of an exercise is its reference solution,
 * 1 and on the other correct answers that have a patch. */
struct answer {
    int exercise;
    int variant;
};

ParameterizedTestParameters(exercises, answer_passes)
{
    struct answer *a = cr_malloc(sizeof *a * (size_t)nexercises * 4);
    char path[4096];
    size_t n = 0;

    for (int i = 0; i < nexercises; i++)
        for (int v = 0; v < 4; v++) {
            ex_solution_path(&exercises[i], v, path, sizeof path);
            if (v == 0 || access(path, R_OK) == 0)
                a[n++] = (struct answer){i, v};
        }
    return cr_make_param_array(struct answer, a, n);
}

ParameterizedTest(struct answer *a, exercises, answer_passes)
{
    const struct exercise *e = &exercises[a->exercise];
    struct text report = {0};
    char path[4096], tag[16];
    enum ex_result r;

    snprintf(tag, sizeof tag, "solution%d", a->variant);
    r = ex_solution(e, a->variant, path, sizeof path, &report)
            ? ex_try(e, path, tag, &report)
            : EX_MISSING;
    cr_expect_eq(r, EX_PASSED, "exercise %s fails on answer %d:\n%s", e->id,
                 a->variant, report.s ? report.s : "");
    text_free(&report);
}

/* The wrong answers beside an exercise (patches NAME.wrongN.patch) must
 * fail its check, and the report of 1.1 must not tell the count that its
 * lesson asks the reader to predict. */
ParameterizedTestParameters(exercises, wrong_answer_fails)
{
    struct answer *a = cr_malloc(sizeof *a * (size_t)nexercises * 4);
    char path[4096];
    size_t n = 0;

    for (int i = 0; i < nexercises; i++)
        for (int v = -1; v >= -4; v--) {
            ex_solution_path(&exercises[i], v, path, sizeof path);
            if (access(path, R_OK) == 0)
                a[n++] = (struct answer){i, v};
        }
    return cr_make_param_array(struct answer, a, n);
}

ParameterizedTest(struct answer *a, exercises, wrong_answer_fails)
{
    const struct exercise *e = &exercises[a->exercise];
    struct text report = {0};
    char path[4096], tag[16];
    enum ex_result r;

    snprintf(tag, sizeof tag, "wrong%d", -a->variant);
    cr_assert(ex_solution(e, a->variant, path, sizeof path, &report), "%s",
              report.s);
    r = ex_try(e, path, tag, &report);
    cr_expect(r == EX_WRONG || r == EX_CRASHED, "exercise %s passes (or "
              "does not build) on wrong answer %d (result %d):\n%s", e->id,
              -a->variant, (int)r, report.s ? report.s : "");
    if (strcmp(e->id, "1.1") == 0)
        cr_expect(!strstr(text_str(&report), "17"), "exercise 1.1 tells the "
                  "count:\n%s", text_str(&report));
    text_free(&report);
}

ParameterizedTestParameters(exercises, starter_fails)
{
    int *index = cr_malloc(sizeof *index * (size_t)nexercises);

    for (int i = 0; i < nexercises; i++)
        index[i] = i;
    return cr_make_param_array(int, index, (size_t)nexercises);
}

ParameterizedTestParameters(exercises, part_starter_is_the_runtime)
{
    int *index = cr_malloc(sizeof *index * (size_t)nexercises);

    for (int i = 0; i < nexercises; i++)
        index[i] = i;
    return cr_make_param_array(int, index, (size_t)nexercises);
}

ParameterizedTest(int *index, exercises, starter_fails)
{
    const struct exercise *e = &exercises[*index];
    struct text report = {0};
    char path[4096];
    unsigned long long h;
    enum ex_result r;

    cr_assert(ex_starter(e, "test", path, sizeof path, &report), "%s",
              report.s);
    h = ex_hash_file(path);
    cr_expect_eq(h, e->hash, "the starter of exercise %s is not the one "
                 "tests/exercises/checks.c has the hash of; if it is the "
                 "right one, its hash is 0x%016llxull", e->id, h);
    r = ex_try(e, path, "starter", &report);
    cr_expect_eq(r, EX_WRONG, "the starter of exercise %s should build, "
                 "run and fail its check (result %d):\n%s", e->id, (int)r,
                 report.s ? report.s : "");
    /* What to do, not the output the lesson may ask to predict. */
    cr_expect(strstr(text_str(&report), "TODO") &&
              !strstr(text_str(&report), "expected"),
              "on its starter, exercise %s shows more than what to do:\n%s",
              e->id, text_str(&report));
    text_free(&report);
}

/* s without its comments, its #line lines, and blank lines; the trailing
 * spaces a removed comment leaves are removed too. */
static char *code_of(const char *s)
{
    struct text t = {0}, line = {0};

    while (*s) {
        if (s[0] == '/' && s[1] == '*') {
            const char *end = strstr(s + 2, "*/");

            s = end ? end + 2 : s + strlen(s);
            continue;
        }
        if (*s != '\n') {
            text_add(&line, s++, 1);
            continue;
        }
        s++;
        while (line.len > 0 && (line.s[line.len - 1] == ' ' ||
                                line.s[line.len - 1] == '\t'))
            line.s[--line.len] = '\0';
        if (line.len > 0 && strncmp(line.s, "#line ", 6) != 0) {
            text_add(&t, line.s, line.len);
            text_add(&t, "\n", 1);
        }
        line.len = 0;
    }
    text_free(&line);
    text_add(&t, "", 0);
    return t.s;
}

/* The starter of an exercise that is a part of the runtime is a copy of
 * the runtime's code: spliced into its runtime file, it gives that file's
 * code back. When the runtime changes, so must the starter (and its hash,
 * and the patches beside it). */
ParameterizedTest(int *index, exercises, part_starter_is_the_runtime)
{
    const struct exercise *e = &exercises[*index];
    const struct ex_part *p = ex_part_of(e);
    struct text report = {0};
    char starter[4096], base[4096], out[4200], *a, *b, *want, *have;
    int line = 1;

    if (!p)
        return;
    cr_assert(ex_starter(e, "copy", starter, sizeof starter, &report), "%s",
              report.s);
    snprintf(base, sizeof base, "%s/%s/%s", COURSE_ROOT, e->stage, p->file);
    snprintf(out, sizeof out, "%s.spliced.c", starter);
    cr_assert(ex_splice(base, starter, out, &report), "%s", report.s);
    want = text_read_file(base);
    have = text_read_file(out);
    cr_assert(want && have, "cannot read %s or %s", base, out);
    a = code_of(want);
    b = code_of(have);
    for (size_t i = 0; a[i] && a[i] == b[i]; i++)
        line += a[i] == '\n';
    cr_expect(strcmp(a, b) == 0, "the starter of exercise %s is not %s's code any "
                     "more (line %d of its code, without comments): copy "
                     "the definitions it has from %s again, and update its "
                     "hash and the patches beside it", e->id, p->file, line,
                     p->file);
    free(a);
    free(b);
    free(want);
    free(have);
    text_free(&report);
}

/* What a make command prints, stdout and stderr, and its exit status. */
static char *make_output(const char *args, int *status)
{
    struct text out = {0};
    char cmd[4096], buf[4096];
    size_t n;
    FILE *p;

    snprintf(cmd, sizeof cmd, "make -s --no-print-directory -C '%s' %s 2>&1",
             COURSE_ROOT, args);
    p = popen(cmd, "r");
    cr_assert(p, "cannot run %s", cmd);
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        text_add(&out, buf, n);
    *status = pclose(p);
    text_add(&out, "", 0);
    return out.s;
}

/* make exercise with a bad name lists the exercises and fails, with the
 * name of one without a checker it says so; make exercises gives each
 * exercise one line with its state. One test, since
 * both build the same tool. */
Test(exercises, the_make_targets)
{
    int status;
    char *out = make_output("exercise EX=9.9", &status), line[1024];

    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) != 0,
              "make exercise EX=9.9 succeeded:\n%s", out);
    cr_expect(strstr(out, "there is no exercise 9.9"), "%s", out);
    for (int i = 0; i < nexercises; i++) {
        snprintf(line, sizeof line, "  %-4s  %s\n", exercises[i].id,
                 exercises[i].title);
        cr_expect(strstr(out, line), "the usage does not list %s:\n%s",
                  exercises[i].id, out);
    }
    free(out);
    /* Stage 2's first exercise is done by hand: it exists, with no checker. */
    out = make_output("exercise EX=2.1", &status);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
              strstr(out, "exercise 2.1 (The seed as printed) has no "
                     "checker"), "make exercise EX=2.1:\n%s", out);
    free(out);
    out = make_output("exercises", &status);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", out);
    for (int i = 0; i < nexercises; i++) {
        const char *states[] = {"not started", "failing", "passing"};
        int found = 0;

        for (int k = 0; k < 3; k++) {
            snprintf(line, sizeof line,
                     "%-4s  %-11s  %-36s  %s/exercises/%s\n",
                     exercises[i].id, states[k], exercises[i].title,
                     exercises[i].stage, exercises[i].file);
            found += strstr(out, line) != NULL;
        }
        cr_expect_eq(found, 1, "make exercises has no line for %s:\n%s",
                     exercises[i].id, out);
    }
    free(out);
}
