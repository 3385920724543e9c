/*
 * test_quotes: the code a lesson quotes is the code in the stage, and every
 * marker is where it belongs.
 *
 *     <!-- quote: task.h -->   right before a ```c block: its lines appear,
 *                              contiguous and identical, in stage/task.h
 *     <!-- sketch -->          right before a ```c block: not checked
 *     <!-- output: CMD -->     right before a ```text block (test_output)
 *
 * A ```c block without a quote or sketch marker fails, so that quoted code
 * can not drift silently.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"

/* One test case: a quote to check, or a problem found while reading. */
struct quote_case {
    char *where;   /* stage/README.md:line */
    char *file;    /* stage/file, for a quote */
    char *text;    /* the quoted lines */
    char *problem; /* or NULL */
};

static char *cr_strdup(const char *s)
{
    char *d = cr_malloc(strlen(s) + 1);

    strcpy(d, s);
    return d;
}

/* The cases, collected with malloc, then copied for Criterion. */
static struct quote_case *cases;
static size_t ncases;

static void add(const char *stage, int line, const char *file,
                const char *text, const char *problem)
{
    char buf[4096];

    cases = realloc(cases, (ncases + 1) * sizeof *cases);
    snprintf(buf, sizeof buf, "%s/README.md:%d", stage, line);
    cases[ncases].where = strdup(buf);
    snprintf(buf, sizeof buf, "%s/%s", stage, file);
    cases[ncases].file = strdup(buf);
    cases[ncases].text = strdup(text);
    cases[ncases].problem = problem ? strdup(problem) : NULL;
    ncases++;
}

static const char *const kind_name[] = { "output", "quote", "sketch", "" };

/* Check the markers of one block; add a case for its quote or problem. */
static void check_block(const char *stage, const struct block *b)
{
    int c = strcmp(b->lang, "c") == 0, text = strcmp(b->lang, "text") == 0;
    char msg[512];

    for (int i = 0; i < b->nmarks; i++) {
        const struct marker *m = &b->marks[i];

        if (m->kind == MARK_UNKNOWN) {
            snprintf(msg, sizeof msg, "<!-- %s --> is not a marker "
                     "(output:, quote: or sketch)", m->arg);
            add(stage, m->line, "", "", msg);
            return;
        }
        if ((m->kind == MARK_OUTPUT && !text) ||
            (m->kind != MARK_OUTPUT && !c)) {
            snprintf(msg, sizeof msg, "a %s marker must come right before "
                     "a ```%s block, not ```%s", kind_name[m->kind],
                     m->kind == MARK_OUTPUT ? "text" : "c", b->lang);
            add(stage, m->line, "", "", msg);
            return;
        }
    }
    if (!c)
        return;
    if (b->nmarks == 0)
        add(stage, b->line, "", "", "a ```c block with no marker: put "
            "<!-- quote: FILE --> or <!-- sketch --> on the line before it");
    else if (b->nmarks > 1)
        add(stage, b->marks[0].line, "", "", "a ```c block takes one marker");
    else if (b->marks[0].kind == MARK_QUOTE && !b->text[0])
        add(stage, b->line, "", "", "an empty quote");
    else if (b->marks[0].kind == MARK_QUOTE)
        add(stage, b->line, b->marks[0].arg, b->text, NULL);
}

static void free_cases(struct criterion_test_params *p)
{
    struct quote_case *c = p->params;

    for (size_t i = 0; i < p->length; i++) {
        cr_free(c[i].where);
        cr_free(c[i].file);
        cr_free(c[i].text);
        if (c[i].problem)
            cr_free(c[i].problem);
    }
    cr_free(c);
}

ParameterizedTestParameters(lesson, quotes_and_markers)
{
    const char *root = course_root();
    char **stages, msg[512];
    int nstages = course_stages(root, &stages);
    struct quote_case *shared;
    struct lesson l;
    size_t n;

    for (int i = 0; i < nstages; i++) {
        if (lesson_read(root, stages[i], &l) < 0)
            continue;
        for (int k = 0; k < l.nblocks; k++)
            check_block(stages[i], &l.blocks[k]);
        for (int k = 0; k < l.nstrays; k++) {
            snprintf(msg, sizeof msg, "the %s marker is not on the line "
                     "right before a fenced block",
                     kind_name[l.strays[k].kind]);
            add(stages[i], l.strays[k].line, "", "", msg);
        }
        lesson_free(&l);
    }
    course_stages_free(stages, nstages);
    /* The cases go to memory that Criterion shares with its workers. */
    shared = cr_malloc((ncases + 1) * sizeof *shared);
    for (size_t i = 0; i < ncases; i++) {
        shared[i].where = cr_strdup(cases[i].where);
        shared[i].file = cr_strdup(cases[i].file);
        shared[i].text = cr_strdup(cases[i].text);
        shared[i].problem = cases[i].problem ? cr_strdup(cases[i].problem)
                                             : NULL;
        free(cases[i].where);
        free(cases[i].file);
        free(cases[i].text);
        free(cases[i].problem);
    }
    free(cases);
    n = ncases;
    cases = NULL;
    ncases = 0;
    return cr_make_param_array(struct quote_case, shared, n, free_cases);
}

/* Split s into lines, in place; returns how many. */
static int lines_of(char *s, char ***lines)
{
    int n = 0;

    *lines = NULL;
    for (char *eol; *s; s = eol + 1) {
        *lines = realloc(*lines, (n + 1) * sizeof **lines);
        (*lines)[n++] = s;
        eol = strchr(s, '\n');
        if (!eol)
            break;
        *eol = '\0';
    }
    return n;
}

ParameterizedTest(struct quote_case *c, lesson, quotes_and_markers)
{
    char path[4096], *src, *quote, **have, **want, msg[1024] = "";
    int nhave, nwant, best = 0, at = 0;

    cr_assert(c->problem == NULL, "%s: %s", c->where, c->problem);
    snprintf(path, sizeof path, "%s/%s", course_root(), c->file);
    src = read_file(path);
    cr_assert(src, "%s: quotes %s, which can not be read", c->where,
              c->file);
    quote = strdup(c->text);
    nhave = lines_of(src, &have);
    nwant = lines_of(quote, &want);
    /* Find where the longest run of the quote's first lines matches. */
    for (int p = 0; p < nhave && best < nwant; p++) {
        int k = 0;

        while (k < nwant && p + k < nhave && strcmp(have[p + k], want[k]) == 0)
            k++;
        if (k > best)
            best = k, at = p;
    }
    if (best == 0)
        snprintf(msg, sizeof msg, "%s: the quote's first line is not in %s:"
                 "\n  %s", c->where, c->file, want[0]);
    else if (best < nwant)
        snprintf(msg, sizeof msg, "%s: the quote drifted from %s; "
                 "quote line %d:\n  quote: %s\n  %s:%d: %s", c->where,
                 c->file, best + 1, want[best], c->file, at + best + 1,
                 at + best < nhave ? have[at + best] : "(end of file)");
    cr_expect(best == nwant, "%s", msg);
    free(have);
    free(want);
    free(quote);
    free(src);
}

/* Every stage has a lesson. */
Test(lesson, every_stage_has_readme)
{
    const char *root = course_root();
    char **stages, path[4096];
    int nstages = course_stages(root, &stages);
    FILE *f;

    cr_expect(nstages > 0, "no stage[0-9]-* directory in %s", root);
    for (int i = 0; i < nstages; i++) {
        snprintf(path, sizeof path, "%s/%s/README.md", root, stages[i]);
        f = fopen(path, "r");
        cr_expect(f != NULL, "%s has no README.md", stages[i]);
        if (f)
            fclose(f);
    }
    course_stages_free(stages, nstages);
}
