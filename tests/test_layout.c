/*
 * test_layout: a stage holds its concept and nothing else, make diff shows
 * what the concept adds, and its lesson reads in one sitting.
 *
 * A stage's files are its runtime (RUNTIME and HEADERS in its Makefile),
 * its programs (PROGRAMS), its Makefile, its lesson (README.md, and any
 * other page *.md), and files that are not its concept (ASIDE), which make
 * diff names instead of printing them; its directories
 * are data of its programs (www/) or its exercises. A program of an earlier
 * stage is never copied forward: a later stage's program of the same name
 * is a different file, changed by the later concept.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lesson.h"

/* What a command prints on stdout, run from the top of the course. */
static char *output_of(const char *fmt, const char *a, const char *b)
{
    char cmd[4096], line[2048];
    FILE *p;
    char *out;

    snprintf(line, sizeof line, fmt, a, b);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s", course_root(), line);
    p = popen(cmd, "r");
    cr_assert(p, "can not run %s", cmd);
    out = read_stream(p);
    cr_assert(pclose(p) == 0, "%s failed", line);
    return out;
}

/* A variable of a stage's Makefile, as " word word ". */
static char *stage_var(const char *stage, const char *var)
{
    char *words = output_of("make -s -C %s -f Makefile -f ../tests/show.mk "
                            "show V=%s", stage, var);
    char *s = malloc(strlen(words) + 3);

    sprintf(s, " %s", words);
    s[strcspn(s, "\n")] = '\0';
    strcat(s, " ");
    free(words);
    return s;
}

static int listed(const char *list, const char *name, const char *suffix)
{
    char word[512];

    snprintf(word, sizeof word, " %s%s ", name, suffix);
    return strstr(list, word) != NULL;
}

/* Is name a file the stage may hold? */
static int belongs(const char *name, const char *runtime, const char *headers,
                   const char *programs, const char *aside)
{
    size_t n = strlen(name);
    char base[512];

    if (!strcmp(name, "Makefile"))
        return 1;
    if (n > 3 && !strcmp(name + n - 3, ".md")) /* the lesson's pages */
        return 1;
    if (listed(runtime, name, "") || listed(headers, name, "") ||
        listed(aside, name, ""))
        return 1;
    if (listed(programs, name, "")) /* built in place */
        return 1;
    if (n > 2 && !strcmp(name + n - 2, ".o"))
        return 1;
    if (n > 2 && !strcmp(name + n - 2, ".c") && n - 2 < sizeof base) {
        memcpy(base, name, n - 2);
        base[n - 2] = '\0';
        return listed(programs, base, "");
    }
    return 0;
}

Test(layout, a_stage_holds_its_runtime_programs_makefile_and_lesson)
{
    const char *root = course_root();
    char **stages, path[4096];
    int n = course_stages(root, &stages);

    cr_assert(n > 0, "no stage[0-9]-* directory in %s", root);
    for (int i = 0; i < n; i++) {
        char *runtime = stage_var(stages[i], "RUNTIME");
        char *headers = stage_var(stages[i], "HEADERS");
        char *programs = stage_var(stages[i], "PROGRAMS");
        char *aside = stage_var(stages[i], "ASIDE");
        DIR *d;
        struct dirent *e;
        struct stat st;

        snprintf(path, sizeof path, "%s/%s", root, stages[i]);
        d = opendir(path);
        cr_assert(d, "can not read %s", path);
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s/%s", root, stages[i],
                     e->d_name);
            cr_assert(stat(path, &st) == 0);
            if (S_ISDIR(st.st_mode))
                continue;
            cr_expect(belongs(e->d_name, runtime, headers, programs, aside),
                      "%s/%s is neither runtime (RUNTIME, HEADERS), nor a "
                      "program of the stage (PROGRAMS), nor aside (ASIDE), "
                      "nor its Makefile or a page of its lesson", stages[i],
                      e->d_name);
        }
        closedir(d);
        free(runtime);
        free(headers);
        free(programs);
        free(aside);
    }
    course_stages_free(stages, n);
}

Test(layout, no_program_is_a_copy_of_an_earlier_stages)
{
    const char *root = course_root();
    char **stages, path[4096];
    int n = course_stages(root, &stages);

    for (int j = 1; j < n; j++) {
        char *programs = stage_var(stages[j], "PROGRAMS");

        char *save;

        for (char *p = strtok_r(programs, " ", &save); p;
             p = strtok_r(NULL, " ", &save)) {
            char *mine, *theirs;

            snprintf(path, sizeof path, "%s/%s/%s.c", root, stages[j], p);
            mine = read_file(path);
            cr_assert(mine, "%s/%s.c is in PROGRAMS but can not be read",
                      stages[j], p);
            for (int i = 0; i < j; i++) {
                snprintf(path, sizeof path, "%s/%s/%s.c", root, stages[i], p);
                theirs = read_file(path);
                cr_expect(!theirs || strcmp(mine, theirs) != 0,
                          "%s/%s.c is a copy of %s/%s.c: a program lives in "
                          "its home stage only", stages[j], p, stages[i], p);
                free(theirs);
            }
            free(mine);
        }
        free(programs);
    }
    course_stages_free(stages, n);
}

/* Is "diff -uN FROM/file TO/file" in the diff? */
static int shows(const char *diff, const char *from, const char *to,
                 const char *file)
{
    char header[1024];

    snprintf(header, sizeof header, "diff -uN %s/%s %s/%s\n", from, file, to,
             file);
    return strstr(diff, header) != NULL;
}

Test(layout, make_diff_shows_new_files_in_full_and_no_lesson)
{
    const char *root = course_root();
    char **stages, path[4096];
    int n = course_stages(root, &stages);

    for (int i = 1; i < n; i++) {
        char *diff = output_of("tests/stage-diff %s %s", stages[i - 1],
                               stages[i]);
        char *lessons = output_of("tests/stage-diff %s %s lessons",
                                  stages[i - 1], stages[i]);
        char *runtime = stage_var(stages[i], "RUNTIME");
        struct stat st;
        char *save;

        cr_expect(!shows(diff, stages[i - 1], stages[i], "README.md"),
                  "make diff %s %s shows the lesson", stages[i - 1],
                  stages[i]);
        cr_expect(shows(lessons, stages[i - 1], stages[i], "README.md"),
                  "make diff %s %s LESSONS=1 leaves the lesson out",
                  stages[i - 1], stages[i]);
        for (char *f = strtok_r(runtime, " ", &save); f;
             f = strtok_r(NULL, " ", &save)) {
            char *text, *copy, *lines;

            snprintf(path, sizeof path, "%s/%s/%s", root, stages[i - 1], f);
            if (stat(path, &st) == 0)
                continue; /* not new */
            cr_expect(shows(diff, stages[i - 1], stages[i], f),
                      "make diff %s %s does not show the new %s",
                      stages[i - 1], stages[i], f);
            /* In full: every line of it, as an added line. */
            snprintf(path, sizeof path, "%s/%s/%s", root, stages[i], f);
            text = read_file(path);
            copy = strdup(text);
            for (char *l = strtok_r(copy, "\n", &lines); l;
                 l = strtok_r(NULL, "\n", &lines)) {
                char added[4096];

                snprintf(added, sizeof added, "\n+%s\n", l);
                cr_expect(strstr(diff, added), "make diff %s %s leaves out "
                          "this line of the new %s:\n%s", stages[i - 1],
                          stages[i], f, l);
            }
            free(copy);
            free(text);
        }
        free(runtime);
        free(diff);
        free(lessons);
    }
    course_stages_free(stages, n);
}

/*
 * The reading budget: a stage's required reading, its lesson (README.md and
 * the other pages *.md beside it), is at most READING_BUDGET words, counted
 * as wc -w counts them (in a UTF-8 locale: runs of bytes that are not
 * white space). A page that says "Going further" in its first 15 lines
 * (its title, as a stage's further.md does) is optional and not counted;
 * what goes beyond the concept goes there.
 */
enum { READING_BUDGET = 7000, MARK_LINES = 15 };

/* Is the page optional: "Going further" in its first lines, any case? */
static int optional_page(const char *text)
{
    const char *line = text;

    for (int n = 0; n < MARK_LINES && *line; n++) {
        size_t len = strcspn(line, "\n");

        for (size_t i = 0; i + 13 <= len; i++)
            if (strncasecmp(line + i, "going further", 13) == 0)
                return 1;
        line += len + (line[len] == '\n');
    }
    return 0;
}

/* The words of a page that a reader must read. */
static long required_words(const char *text)
{
    long words = 0;

    if (optional_page(text))
        return 0;
    for (size_t i = 0; text[i]; i++)
        if (!strchr(" \t\n\r\v\f", text[i]) &&
            (i == 0 || strchr(" \t\n\r\v\f", text[i - 1])))
            words++;
    return words;
}

Test(layout, a_stages_required_reading_fits_the_budget)
{
    const char *root = course_root();
    char **stages, path[4096];
    int n = course_stages(root, &stages);

    for (int i = 0; i < n; i++) {
        struct lesson l;
        long words = 0;

        if (lesson_read(root, stages[i], &l) < 0)
            continue;
        for (int k = 0; k < l.npages; k++) {
            char *text;

            snprintf(path, sizeof path, "%s/%s/%s", root, stages[i],
                     l.pages[k]);
            text = read_file(path);
            cr_assert(text, "can not read %s", path);
            words += required_words(text);
            free(text);
        }
        cr_log_info("%s: %ld words of required reading", stages[i], words);
        cr_expect(words <= READING_BUDGET, "%s: %ld words of required "
                  "reading, more than %d: mark what goes beyond the concept "
                  "as Going further, or cut", stages[i], words,
                  READING_BUDGET);
        lesson_free(&l);
    }
    course_stages_free(stages, n);
}

/* The count itself, on pages made up here: a page marked Going further
 * near its top counts nothing; any other page counts every word, a section
 * headed Going further too. */
Test(layout, required_words_leaves_out_pages_marked_going_further)
{
    const char *required = "# Title\n\none two three\n\n"
                           "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n"
                           "## Going further: details\n\nfour five\n";
    const char *optional = "# Going further in stage 9\n\nsix seven\n";

    cr_expect_eq(required_words(required), 2 + 3 + 12 + 4 + 2);
    cr_expect_eq(required_words(optional), 0);
}

/* The newlines of the file at path, as wc -l counts them. */
static int count_newlines(const char *path)
{
    FILE *f = fopen(path, "rb");
    int c, n = 0;

    cr_assert(f, "can not open %s", path);
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* A file a stage lists in ASIDE is named by make diff, with its number of
 * lines, as one line, and none of it is printed. */
Test(layout, make_diff_names_the_files_aside_without_printing_them)
{
    const char *root = course_root();
    char **stages, path[4096], line[1024];
    int n = course_stages(root, &stages), seen = 0;

    for (int i = 1; i < n; i++) {
        char *diff = output_of("tests/stage-diff %s %s", stages[i - 1],
                               stages[i]);
        char *aside = stage_var(stages[i], "ASIDE");
        char *save;

        for (char *f = strtok_r(aside, " ", &save); f;
             f = strtok_r(NULL, " ", &save)) {
            struct stat st;
            char *text;
            int lines = 0;

            snprintf(path, sizeof path, "%s/%s/%s", root, stages[i - 1], f);
            cr_assert(stat(path, &st) != 0, "%s/%s is not new: this check "
                      "knows new files only", stages[i - 1], f);
            snprintf(path, sizeof path, "%s/%s/%s", root, stages[i], f);
            text = read_file(path);
            cr_assert(text, "%s/%s is in ASIDE but can not be read",
                      stages[i], f);
            lines = count_newlines(path); /* as wc -l, NUL bytes and all */
            snprintf(line, sizeof line,
                     "new file: %s/%s (%d lines), not the concept\n",
                     stages[i], f, lines);
            cr_expect(strstr(diff, line), "make diff %s %s does not say: %s",
                      stages[i - 1], stages[i], line);
            snprintf(line, sizeof line, "diff -uN %s/%s %s/%s\n",
                     stages[i - 1], f, stages[i], f);
            cr_expect(!strstr(diff, line), "make diff %s %s prints %s",
                      stages[i - 1], stages[i], f);
            free(text);
            seen++;
        }
        free(aside);
        free(diff);
    }
    cr_expect(seen > 0, "no stage lists a file in ASIDE");
    course_stages_free(stages, n);
}
