/* exercise: make exercises and make exercise EX=N.K.
 *   exercise list      every exercise and its state, one line each
 *   exercise check ID  build and run exercise ID, say what differs */
#include <stdio.h>
#include <string.h>

#include "exercise.h"

static const char *state(const struct exercise *e, const char *path)
{
    unsigned long long h = ex_hash_file(path);
    struct text report = {0};
    enum ex_result r;

    if (h == 0)
        return "missing";
    if (h == e->hash)
        return "not started";
    r = ex_try(e, path, "reader", &report);
    text_free(&report);
    return r == EX_PASSED ? "passing" : "failing";
}

static int list(void)
{
    char path[4096];

    for (int i = 0; i < nexercises; i++) {
        const struct exercise *e = &exercises[i];

        ex_reader_path(e, path, sizeof path);
        printf("%-4s  %-11s  %-36s  %s/exercises/%s\n", e->id, state(e, path),
               e->title, e->stage, e->file);
    }
    printf("Not started means the file is as shipped (same bytes). "
           "make exercise EX=%s checks one.\n", exercises[0].id);
    return 0;
}

static int usage(const char *id)
{
    if (id && *id)
        fprintf(stderr, "make exercise: there is no exercise %s.\n", id);
    fprintf(stderr, "usage: make exercise EX=N.K (stage N, exercise K of its "
                    "lesson); the exercises that check themselves:\n");
    for (int i = 0; i < nexercises; i++)
        fprintf(stderr, "  %-4s  %s\n", exercises[i].id, exercises[i].title);
    return 2;
}

static int check(const char *id)
{
    const struct exercise *e = ex_find(id);
    struct text report = {0};
    enum ex_result r;
    char path[4096];

    if (!e)
        return usage(id);
    ex_reader_path(e, path, sizeof path);
    printf("Exercise %s, %s: %s/exercises/%s%s\n", e->id, e->title, e->stage,
           e->file,
           ex_hash_file(path) == e->hash ? " (not started: as shipped)" : "");
    r = ex_try(e, path, "reader", &report);
    fputs(report.s ? report.s : "", stdout);
    printf(r == EX_PASSED ? "Exercise %s passes.\n"
                          : "Exercise %s does not pass yet.\n", e->id);
    text_free(&report);
    return r == EX_PASSED ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0)
        return list();
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return check(argv[2]);
    return usage(argc == 3 ? argv[2] : NULL);
}
