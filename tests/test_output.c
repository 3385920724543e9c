/*
 * test_output: every output a lesson documents, byte for byte, from every
 * runtime that runs the program.
 *
 * A lesson documents output with a marker right before a ```text block:
 *     <!-- output: ./pool --by-hand -->
 * The output holds for the stage whose lesson documents it and for every
 * later stage, until a later lesson documents the same program itself. In
 * each of those stages the program is its home stage's (the latest stage
 * so far with pool.c), built against that stage's runtime: a stage's own
 * programs, or the ones tests/carried lists (those a stage after the home
 * RETIRES are left out).
 *
 * The programs run from $COURSE_BIN/<stage>/ (default: build/asan, as make
 * test builds them), with their home stage's directory as the current
 * directory.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lesson.h"

/* One test case: a command run in a stage. Strings are in cr_malloc memory. */
struct output_case {
    char *stage;    /* whose runtime it runs on */
    char *home;     /* where its source is, and where it runs */
    char *lesson;   /* where it is documented: stage/page.md:line */
    char *command;  /* as documented, e.g. "./pool --by-hand" */
    char *expected; /* the block's lines */
};

static char *cr_strdup(const char *s)
{
    char *d = cr_malloc(strlen(s) + 1);

    strcpy(d, s);
    return d;
}

/* A documented output, while the cases are collected. */
struct doc {
    int stage; /* index of the documenting stage */
    const char *page;
    int line;
    const char *command, *expected;
};


/* What tests/carried prints: the programs each runtime carries from an
 * earlier stage, "STAGE HOME PROGRAM" a line, as make test builds them. */
static char *read_carried(const char *root)
{
    char cmd[4096], *out;
    FILE *p;

    snprintf(cmd, sizeof cmd, "cd '%s' && tests/carried 2>/dev/null", root);
    p = popen(cmd, "r");
    if (!p)
        return strdup("");
    out = read_stream(p);
    if (pclose(p) != 0)
        out[0] = '\0'; /* output.programs_are_carried says so */
    return out;
}

/* The home of the program that cmd runs on stage j's runtime: stage j if
 * it has the program's source, else the stage it is carried from; -1 if
 * neither. */
static int home_of(const char *root, char **stages, int n, int j,
                   const char *carried, const char *cmd)
{
    char prog[256], line[1024];

    program_of(cmd, prog, sizeof prog);
    if (has_program(root, stages[j], prog))
        return j;
    for (int h = 0; h < j && h < n; h++) {
        snprintf(line, sizeof line, "%s %s %s\n", stages[j], stages[h], prog);
        if (strstr(carried, line))
            return h;
    }
    return -1;
}

/* Does a lesson after doc d, up to stage j, document the same program? */
static int redocumented(const struct doc *docs, int ndocs, const struct doc *d,
                        int j)
{
    char prog[256], other[256];

    program_of(d->command, prog, sizeof prog);
    for (int i = 0; i < ndocs; i++) {
        if (docs[i].stage <= d->stage || docs[i].stage > j)
            continue;
        program_of(docs[i].command, other, sizeof other);
        if (strcmp(prog, other) == 0)
            return 1;
    }
    return 0;
}

static void free_cases(struct criterion_test_params *p)
{
    struct output_case *c = p->params;

    for (size_t i = 0; i < p->length; i++) {
        cr_free(c[i].stage);
        cr_free(c[i].home);
        cr_free(c[i].lesson);
        cr_free(c[i].command);
        cr_free(c[i].expected);
    }
    cr_free(c);
}

ParameterizedTestParameters(output, documented)
{
    const char *root = course_root();
    char **stages, where[4096];
    int nstages = course_stages(root, &stages);
    struct lesson *lessons = calloc(nstages + 1, sizeof *lessons);
    struct doc *docs = NULL;
    struct { int stage, home; const struct doc *d; } *runs = NULL;
    struct output_case *cases;
    char *carried = read_carried(root);
    int ndocs = 0;
    size_t nruns = 0;

    for (int i = 0; i < nstages; i++) {
        lesson_read(root, stages[i], &lessons[i]);
        for (int k = 0; k < lessons[i].nblocks; k++) {
            struct block *b = &lessons[i].blocks[k];

            if (strcmp(b->lang, "text") != 0)
                continue;
            for (int m = 0; m < b->nmarks; m++) {
                if (b->marks[m].kind != MARK_OUTPUT)
                    continue;
                docs = realloc(docs, (ndocs + 1) * sizeof *docs);
                docs[ndocs++] = (struct doc){ i, b->page, b->marks[m].line,
                                              b->marks[m].arg, b->text };
            }
        }
    }
    for (int j = 0; j < nstages; j++) {
        for (int i = 0; i < ndocs; i++) {
            const struct doc *d = &docs[i];

            int home;

            if (d->stage > j || redocumented(docs, ndocs, d, j))
                continue;
            home = home_of(root, stages, nstages, j, carried, d->command);
            if (home < 0 && d->stage < j)
                continue; /* not carried: retired */
            runs = realloc(runs, (nruns + 1) * sizeof *runs);
            runs[nruns].stage = j;
            runs[nruns].home = home < 0 ? j : home;
            runs[nruns++].d = d;
        }
    }
    /* The cases go to memory that Criterion shares with its workers. */
    cases = cr_malloc((nruns + 1) * sizeof *cases);
    for (size_t i = 0; i < nruns; i++) {
        const struct doc *d = runs[i].d;

        snprintf(where, sizeof where, "%s/%s:%d", stages[d->stage], d->page,
                 d->line);
        cases[i].stage = cr_strdup(stages[runs[i].stage]);
        cases[i].home = cr_strdup(stages[runs[i].home]);
        cases[i].lesson = cr_strdup(where);
        cases[i].command = cr_strdup(d->command);
        cases[i].expected = cr_strdup(d->expected);
    }
    for (int i = 0; i < nstages; i++)
        lesson_free(&lessons[i]);
    free(lessons);
    free(docs);
    free(runs);
    free(carried);
    course_stages_free(stages, nstages);
    return cr_make_param_array(struct output_case, cases, nruns, free_cases);
}

/* Split a command on spaces into argv (at most 63 words); returns argc. */
static int split(char *s, char **argv)
{
    int argc = 0;

    for (char *w = strtok(s, " "); w && argc < 63; w = strtok(NULL, " "))
        argv[argc++] = w;
    argv[argc] = NULL;
    return argc;
}

/* Run the command in the stage; its stdout and stderr go to out and err. */
static int run(const struct output_case *c, FILE *out, FILE *err)
{
    char *root = realpath(course_root(), NULL), *bin = getenv("COURSE_BIN");
    char cmd[4096], prog[256], dir[4096], path[2 * sizeof dir];
    char *argv[64];
    int status;
    pid_t pid;

    cr_assert(root, "no directory %s", course_root());
    snprintf(cmd, sizeof cmd, "%s", c->command);
    split(cmd, argv);
    program_of(c->command, prog, sizeof prog);
    snprintf(dir, sizeof dir, "%s/%s", root, c->home);
    bin = bin && *bin ? realpath(bin, NULL) : NULL;
    if (bin)
        snprintf(path, sizeof path, "%s/%s/%s", bin, c->stage, prog);
    else
        snprintf(path, sizeof path, "%s/build/asan/%s/%s", root, c->stage,
                 prog);
    free(root);
    free(bin);
    fflush(NULL);
    pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);

        dup2(null, 0);
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        if (chdir(dir) == 0)
            execv(path, argv);
        fprintf(stderr, "can not run %s in %s: %s\n", path, dir,
                strerror(errno));
        _exit(127);
    }
    waitpid(pid, &status, 0);
    return status;
}

static char *read_all(FILE *f)
{
    long n;
    char *s;

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    s = malloc(n + 1);
    cr_assert(s);
    s[fread(s, 1, n, f)] = '\0';
    return s;
}

/* Copy line k (from 1) of s into buf, or say that there is no such line. */
static const char *line_of(const char *s, int k, char *buf, size_t size)
{
    size_t n;

    while (--k > 0 && (s = strchr(s, '\n')))
        s++;
    if (!s || !*s)
        return "(no such line)";
    n = strcspn(s, "\n");
    snprintf(buf, size, "%.*s%s", (int)n, s,
             s[n] ? "" : "(no newline at the end)");
    return buf;
}

/* The line number, from 1, where a and b first differ. */
static int first_difference(const char *a, const char *b)
{
    int line = 1;

    for (; *a && *a == *b; a++, b++)
        if (*a == '\n')
            line++;
    return line;
}

/* "stage4-io/prodqueue", or "stage1-basic-yield/pool on stage5-subtasks's
 * runtime". */
static const char *name_case(const struct output_case *c, char *buf,
                             size_t size)
{
    char prog[256];

    program_of(c->command, prog, sizeof prog);
    if (strcmp(c->home, c->stage) == 0)
        snprintf(buf, size, "%s/%s", c->home, prog);
    else
        snprintf(buf, size, "%s/%s on %s's runtime", c->home, prog,
                 c->stage);
    return buf;
}

ParameterizedTest(struct output_case *c, output, documented, .timeout = 120)
{
    FILE *out = tmpfile(), *err = tmpfile();
    char *got, *errors, want[512], have[512], name[1024];
    int status, line;

    cr_assert(out && err, "tmpfile failed");
    name_case(c, name, sizeof name);
    status = run(c, out, err);
    got = read_all(out);
    errors = read_all(err);
    line = first_difference(c->expected, got);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "%s: %s (documented at %s) %s %d", name, c->command,
              c->lesson,
              WIFEXITED(status) ? "exited with status" : "was killed by signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    cr_expect(errors[0] == '\0', "%s: %s wrote to stderr:\n%s", name,
              c->command, errors);
    cr_expect(strcmp(got, c->expected) == 0,
              "%s: %s prints what %s does not document; line %d:\n"
              "  expected: %s\n  got:      %s",
              name, c->command, c->lesson, line,
              line_of(c->expected, line, want, sizeof want),
              line_of(got, line, have, sizeof have));
    free(got);
    free(errors);
    fclose(out);
    fclose(err);
}

/* A wrong COURSE_ROOT finds no lesson, and so no case above: fail here. */
Test(output, lessons_document_outputs)
{
    const char *root = course_root();
    char **stages;
    int nstages = course_stages(root, &stages), ndocs = 0;
    struct lesson l;

    cr_assert(nstages > 0, "no stage[0-9]-* directory in %s", root);
    for (int i = 0; i < nstages; i++) {
        if (lesson_read(root, stages[i], &l) < 0)
            continue;
        for (int k = 0; k < l.nblocks; k++)
            for (int m = 0; m < l.blocks[k].nmarks; m++)
                ndocs += l.blocks[k].marks[m].kind == MARK_OUTPUT;
        lesson_free(&l);
    }
    course_stages_free(stages, nstages);
    cr_expect(ndocs > 0, "the lessons in %s document no output", root);
}

/* Without tests/carried, the cases above would quietly leave out every
 * program on a later runtime. */
Test(output, programs_are_carried)
{
    char *carried = read_carried(course_root());

    cr_expect(carried[0], "tests/carried fails or lists no program in %s",
              course_root());
    free(carried);
}
