/*
 * test_quotes: the code a lesson quotes is the code in the stage, and every
 * marker is where it belongs.
 *
 *     <!-- quote: task.h -->   right before a ```c block: its lines appear,
 *                              contiguous and identical, in stage/task.h
 *     <!-- diff -->            right before a ```diff block: its lines
 *                              appear, contiguous and identical, in what
 *                              make diff prints for the stage before and
 *                              this one
 *     <!-- diff: OLD NEW -->   the same, in what diff -u OLD NEW prints in
 *                              the stage's directory
 *     <!-- sketch -->          right before a ```c or ```text block: not
 *                              checked (code that is not in the stage, or
 *                              text that no program of the course prints)
 *     <!-- output: CMD -->     right before a ```text block (test_output)
 *
 * A ```c, ```text or ```diff block without its marker fails, so that
 * nothing a lesson shows can drift silently. And a ```sh block with a cc
 * line must run as it is, in the stage's directory: what the lessons tell
 * readers to compile builds.
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
    char *where;   /* stage/page.md:line */
    char *stage;   /* the lesson's stage */
    int diff;      /* 1 for a diff marker, 0 for a quote */
    char *arg;     /* the quoted file, or the diff's files ("" for make diff) */
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

static void add(const char *stage, const char *page, int line,
                const struct marker *m, const char *text, const char *problem)
{
    char buf[4096];

    cases = realloc(cases, (ncases + 1) * sizeof *cases);
    snprintf(buf, sizeof buf, "%s/%s:%d", stage, page, line);
    cases[ncases].where = strdup(buf);
    cases[ncases].stage = strdup(stage);
    cases[ncases].diff = m && m->kind == MARK_DIFF;
    cases[ncases].arg = strdup(m ? m->arg : "");
    cases[ncases].text = strdup(text);
    cases[ncases].problem = problem ? strdup(problem) : NULL;
    ncases++;
}

static void problem(const char *stage, const char *page, int line,
                    const char *what)
{
    add(stage, page, line, NULL, "", what);
}

static const char *const kind_name[] = { "output", "quote", "diff",
                                         "sketch", "" };

/* The blocks each marker may come before. */
static int fits(enum marker_kind k, const char *lang)
{
    switch (k) {
    case MARK_OUTPUT:
        return strcmp(lang, "text") == 0;
    case MARK_QUOTE:
        return strcmp(lang, "c") == 0;
    case MARK_DIFF:
        return strcmp(lang, "diff") == 0;
    case MARK_SKETCH:
        return strcmp(lang, "c") == 0 || strcmp(lang, "text") == 0;
    default:
        return 0;
    }
}

/* Check the markers of one block; add a case for its quote or problem. */
static void check_block(const char *stage, const struct block *b)
{
    int c = strcmp(b->lang, "c") == 0, text = strcmp(b->lang, "text") == 0;
    int diff = strcmp(b->lang, "diff") == 0;
    const struct marker *m = b->nmarks ? &b->marks[0] : NULL;
    char msg[512];

    for (int i = 0; i < b->nmarks; i++) {
        const struct marker *k = &b->marks[i];

        if (k->kind == MARK_UNKNOWN) {
            snprintf(msg, sizeof msg, "<!-- %s --> is not a marker "
                     "(output:, quote:, diff or sketch)", k->arg);
            problem(stage, b->page, k->line, msg);
            return;
        }
        if (!fits(k->kind, b->lang)) {
            snprintf(msg, sizeof msg, "a %s marker can not come right "
                     "before a ```%s block", kind_name[k->kind], b->lang);
            problem(stage, b->page, k->line, msg);
            return;
        }
    }
    if (!c && !text && !diff)
        return;
    if (!m)
        problem(stage, b->page, b->line, c ? "a ```c block with no marker: put "
                "<!-- quote: FILE --> or <!-- sketch --> on the line before it"
                : text ? "a ```text block with no marker: put <!-- output: "
                "CMD --> or <!-- sketch --> on the line before it"
                : "a ```diff block with no marker: put <!-- diff --> or "
                "<!-- diff: OLD NEW --> on the line before it");
    else if (b->nmarks > 1 && m->kind != MARK_OUTPUT)
        problem(stage, b->page, m->line, "this block takes one marker");
    else if (m->kind != MARK_OUTPUT && m->kind != MARK_SKETCH && !b->text[0])
        problem(stage, b->page, b->line, "an empty quote");
    else if (m->kind == MARK_QUOTE || m->kind == MARK_DIFF)
        add(stage, b->page, b->line, m, b->text, NULL);
}

static void free_cases(struct criterion_test_params *p)
{
    struct quote_case *c = p->params;

    for (size_t i = 0; i < p->length; i++) {
        cr_free(c[i].where);
        cr_free(c[i].stage);
        cr_free(c[i].arg);
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
            problem(stages[i], l.strays[k].page, l.strays[k].line, msg);
        }
        lesson_free(&l);
    }
    course_stages_free(stages, nstages);
    /* The cases go to memory that Criterion shares with its workers. */
    shared = cr_malloc((ncases + 1) * sizeof *shared);
    for (size_t i = 0; i < ncases; i++) {
        shared[i].where = cr_strdup(cases[i].where);
        shared[i].stage = cr_strdup(cases[i].stage);
        shared[i].diff = cases[i].diff;
        shared[i].arg = cr_strdup(cases[i].arg);
        shared[i].text = cr_strdup(cases[i].text);
        shared[i].problem = cases[i].problem ? cr_strdup(cases[i].problem)
                                             : NULL;
        free(cases[i].where);
        free(cases[i].stage);
        free(cases[i].arg);
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

/* What a diff marker quotes: make diff from the stage before (found with
 * course_stages), or diff -u OLD NEW in the stage. NULL if it can not run. */
static char *diff_output(const struct quote_case *c)
{
    const char *root = course_root();
    char **stages, cmd[8192], *out;
    int n = course_stages(root, &stages), i = 0;
    FILE *p;

    while (i < n && strcmp(stages[i], c->stage) != 0)
        i++;
    if (c->arg[0])
        snprintf(cmd, sizeof cmd, "cd '%s/%s' && diff -u %s", root, c->stage,
                 c->arg);
    else if (i > 0 && i < n)
        snprintf(cmd, sizeof cmd, "cd '%s' && tests/stage-diff %s %s", root,
                 stages[i - 1], stages[i]);
    else
        cmd[0] = '\0';
    course_stages_free(stages, n);
    if (!cmd[0] || !(p = popen(cmd, "r")))
        return NULL;
    out = read_stream(p);
    pclose(p);
    return out;
}

ParameterizedTest(struct quote_case *c, lesson, quotes_and_markers)
{
    char path[4096], *src, *quote, **have, **want, msg[1024] = "";
    const char *what = c->diff ? (c->arg[0] ? c->arg : "make diff") : c->arg;
    int nhave, nwant, best = 0, at = 0;

    cr_assert(c->problem == NULL, "%s: %s", c->where, c->problem);
    snprintf(path, sizeof path, "%s/%s/%s", course_root(), c->stage, c->arg);
    src = c->diff ? diff_output(c) : read_file(path);
    cr_assert(src && src[0], "%s: quotes %s, which %s", c->where, what,
              c->diff ? "prints nothing" : "can not be read");
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
                 "\n  %s", c->where, what, want[0]);
    else if (best < nwant)
        snprintf(msg, sizeof msg, "%s: the quote drifted from %s; "
                 "quote line %d:\n  quote: %s\n  %s:%d: %s", c->where,
                 what, best + 1, want[best], what, at + best + 1,
                 at + best < nhave ? have[at + best] : "(end of file)");
    cr_expect(best == nwant, "%s", msg);
    free(have);
    free(want);
    free(quote);
    free(src);
}

/* A ```sh block of a lesson that compiles something: one of its lines is
 * a cc command. */
struct cc_case {
    char *where; /* stage/page.md:line */
    char *stage;
    char *text;
};

static int has_cc_line(const char *text)
{
    for (const char *p = text; p; p = strchr(p, '\n')) {
        p += *p == '\n';
        p += strspn(p, " \t");
        if (strncmp(p, "cc ", 3) == 0)
            return 1;
    }
    return 0;
}

static void free_cc_cases(struct criterion_test_params *p)
{
    struct cc_case *c = p->params;

    for (size_t i = 0; i < p->length; i++) {
        cr_free(c[i].where);
        cr_free(c[i].stage);
        cr_free(c[i].text);
    }
    cr_free(c);
}

ParameterizedTestParameters(lesson, cc_lines_build)
{
    const char *root = course_root();
    char **stages, where[4096];
    int nstages = course_stages(root, &stages);
    struct cc_case *c = NULL, *shared;
    size_t n = 0;
    struct lesson l;

    for (int i = 0; i < nstages; i++) {
        if (lesson_read(root, stages[i], &l) < 0)
            continue;
        for (int k = 0; k < l.nblocks; k++) {
            const struct block *b = &l.blocks[k];

            if (strcmp(b->lang, "sh") != 0 || !has_cc_line(b->text))
                continue;
            c = realloc(c, (n + 1) * sizeof *c);
            snprintf(where, sizeof where, "%s/%s:%d", stages[i], b->page,
                     b->line);
            c[n].where = strdup(where);
            c[n].stage = strdup(stages[i]);
            c[n].text = strdup(b->text);
            n++;
        }
        lesson_free(&l);
    }
    course_stages_free(stages, nstages);
    /* The cases go to memory that Criterion shares with its workers. */
    shared = cr_malloc((n + 1) * sizeof *shared);
    for (size_t i = 0; i < n; i++) {
        shared[i].where = cr_strdup(c[i].where);
        shared[i].stage = cr_strdup(c[i].stage);
        shared[i].text = cr_strdup(c[i].text);
        free(c[i].where);
        free(c[i].stage);
        free(c[i].text);
    }
    free(c);
    return cr_make_param_array(struct cc_case, shared, n, free_cc_cases);
}

/* The shell lines of a block, run as a reader would, in the lesson's stage
 * directory, with what they write kept out of it: cc's -o FILE becomes a
 * file of a temporary directory, and so does a path under /tmp. */
static const char cc_prelude[] =
    "set -e -o pipefail\n"
    "cc() {\n"
    "    prev=\n"
    "    for a; do\n"
    "        shift\n"
    "        [ \"$prev\" = -o ] && a=\"$T/${a##*/}\"\n"
    "        set -- \"$@\" \"$a\"\n"
    "        prev=$a\n"
    "    done\n"
    "    command cc \"$@\"\n"
    "}\n";

ParameterizedTest(struct cc_case *c, lesson, cc_lines_build)
{
    char tmp[] = "/tmp/cc-lines-XXXXXX", script[4096], cmd[16384], *out;
    size_t len;
    FILE *f, *p;

    cr_assert(mkdtemp(tmp), "mkdtemp failed");
    snprintf(script, sizeof script, "%s/lines.sh", tmp);
    f = fopen(script, "w");
    cr_assert(f, "cannot write %s", script);
    fprintf(f, "T='%s'\n%s", tmp, cc_prelude);
    for (const char *s = c->text; *s; s++) {
        if (strncmp(s, "/tmp/", 5) == 0) {
            fputs("$T/", f);
            s += 4;
        } else
            fputc(*s, f);
    }
    fclose(f);
    /* What the compiler says, then the status of the script. */
    snprintf(cmd, sizeof cmd, "cd '%s/%s' && bash '%s' 2>&1 >/dev/null; "
             "echo \"exit $?\"; rm -rf '%s'", course_root(), c->stage,
             script, tmp);
    p = popen(cmd, "r");
    cr_assert(p, "cannot run %s", cmd);
    out = read_stream(p);
    pclose(p);
    len = strlen(out);
    cr_expect(len >= 7 && strcmp(out + len - 7, "exit 0\n") == 0,
              "%s: its cc lines do not build, in %s:\n%s%s", c->where,
              c->stage, c->text, out);
    free(out);
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
