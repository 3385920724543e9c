/* exercise: make exercises and make exercise EX=N.K.
 *   exercise list      every exercise and its state, one line each
 *   exercise check ID  build and run exercise ID, say what differs */
#define _POSIX_C_SOURCE 200809L
#include <glob.h>
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

/* The title of exercise N.K in stage N's lesson, "**Title.**" on the line
 * "K. **Title.** ..." of its Exercises section, into title; 0 if there is
 * no such exercise. */
static int lesson_exercise(const char *id, char *title, size_t size)
{
    char pattern[4096], line[4096], item[32];
    int stage, k, in_section = 0, found = 0;
    glob_t g;
    FILE *f;

    if (sscanf(id, "%d.%d", &stage, &k) != 2 || stage < 0 || k < 1)
        return 0;
    snprintf(pattern, sizeof pattern, "%s/stage%d-*/README.md", COURSE_ROOT,
             stage);
    if (glob(pattern, 0, NULL, &g) != 0)
        return 0;
    f = g.gl_pathc == 1 ? fopen(g.gl_pathv[0], "r") : NULL;
    globfree(&g);
    if (!f)
        return 0;
    snprintf(item, sizeof item, "%d. **", k);
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "## ", 3) == 0)
            in_section = strcmp(line, "## Exercises\n") == 0;
        else if (in_section && strncmp(line, item, strlen(item)) == 0) {
            char *start = line + strlen(item), *end = strstr(start, "**");

            if (end && end > start && end[-1] == '.')
                end--;
            snprintf(title, size, "%.*s", end ? (int)(end - start) : 0,
                     start);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

static int usage(const char *id)
{
    char title[256];

    if (id && *id && lesson_exercise(id, title, sizeof title)) {
        fprintf(stderr, "make exercise: exercise %s (%s) has no checker; "
                        "do it as its lesson says.\n", id, title);
        return 2;
    }
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
