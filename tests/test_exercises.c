/* test_exercises: each exercise's check passes on its reference solution
 * and on the other correct answers beside it (each a patch to the starter),
 * and fails on its starter, which builds and runs. The starter is the one
 * git holds, so that a reader's work in progress changes nothing here, and
 * its hash is the one in the list of exercises, so that "not started"
 * stays true on a fresh clone. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exercise.h"

static const struct exercise *get(const char *id)
{
    const struct exercise *e = ex_find(id);

    cr_assert(e, "exercise %s is not in tests/exercises/checks.c", id);
    return e;
}

static void expect_pass(const char *id, int variant)
{
    const struct exercise *e = get(id);
    struct text report = {0};
    char path[4096], tag[16];
    enum ex_result r;

    snprintf(tag, sizeof tag, "solution%d", variant);
    r = ex_solution(e, variant, path, sizeof path, &report)
            ? ex_try(e, path, tag, &report)
            : EX_MISSING;
    cr_expect_eq(r, EX_PASSED, "exercise %s fails on %s:\n%s", id, path,
                 report.s ? report.s : "");
    text_free(&report);
}

static void expect_starter_fails(const char *id)
{
    const struct exercise *e = get(id);
    struct text report = {0};
    char path[4096];
    unsigned long long h;
    enum ex_result r;

    cr_assert(ex_starter(e, "test", path, sizeof path, &report), "%s",
              report.s);
    h = ex_hash_file(path);
    cr_expect_eq(h, e->hash, "the starter of exercise %s changed: set its "
                 "hash in tests/exercises/checks.c to 0x%016llxull", id, h);
    r = ex_try(e, path, "starter", &report);
    cr_expect_eq(r, EX_WRONG, "the starter of exercise %s should build, "
                 "run and fail its check (result %d):\n%s", id, (int)r,
                 report.s ? report.s : "");
    text_free(&report);
}

/* A solution and its starter; ALT: also a second correct answer. */
#define EXERCISE(name, id)                                                   \
    Test(exercises, name##_solution_passes) { expect_pass(id, 0); }          \
    Test(exercises, name##_starter_fails) { expect_starter_fails(id); }
#define ALT(name, id)                                                        \
    Test(exercises, name##_other_answer_passes) { expect_pass(id, 1); }

EXERCISE(ex1_1, "1.1")
ALT(ex1_1, "1.1")
EXERCISE(ex1_2, "1.2")
ALT(ex1_2, "1.2")
EXERCISE(ex1_3, "1.3")
ALT(ex1_3, "1.3")
EXERCISE(ex2_2, "2.2")
ALT(ex2_2, "2.2")
EXERCISE(ex2_3, "2.3")
ALT(ex2_3, "2.3")
EXERCISE(ex2_4, "2.4")
ALT(ex2_4, "2.4")
EXERCISE(ex3_1, "3.1")
ALT(ex3_1, "3.1")
EXERCISE(ex3_3, "3.3")
ALT(ex3_3, "3.3")
EXERCISE(ex3_6, "3.6")
ALT(ex3_6, "3.6")
EXERCISE(ex4_1, "4.1")
EXERCISE(ex4_2, "4.2")
EXERCISE(ex4_3, "4.3")
ALT(ex4_3, "4.3")
EXERCISE(ex5_1, "5.1")
ALT(ex5_1, "5.1")
EXERCISE(ex5_4, "5.4")
ALT(ex5_4, "5.4")
EXERCISE(ex5_5, "5.5")
ALT(ex5_5, "5.5")

/* Every exercise in the list has its tests above, and its files. */
Test(exercises, every_exercise_is_tested)
{
    static const char *const tested[] = {"1.1", "1.2", "1.3", "2.2", "2.3",
                                         "2.4", "3.1", "3.3", "3.6",
                                         "4.1", "4.2", "4.3",
                                         "5.1", "5.4", "5.5"};
    int n = sizeof tested / sizeof tested[0];
    char path[4096];

    cr_expect_eq(nexercises, n, "%d exercises in checks.c, %d tested here",
                 nexercises, n);
    for (int i = 0; i < nexercises; i++) {
        ex_solution_path(&exercises[i], 0, path, sizeof path);
        cr_expect(access(path, R_OK) == 0, "exercise %s has no solution %s",
                  exercises[i].id, path);
        cr_expect(i >= n || strcmp(exercises[i].id, tested[i]) == 0,
                  "exercise %s is not tested", exercises[i].id);
    }
}
