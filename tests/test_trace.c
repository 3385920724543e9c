/*
 * test_trace: what make trace writes, for every documented output.
 *
 * Each program whose output a lesson documents runs in its home stage as
 * make trace runs it (COURSE_TRACE=FILE, stdout to a file), then
 * tests/trace.py turns its trace into Chrome trace JSON and an SVG. The
 * tests check that
 *   - the JSON parses, and each event has the fields Perfetto's importer
 *     needs (ph, ts, pid, tid, name; dur for a complete event), and the
 *     fields trace.py promises;
 *   - the program printed the documented output, and the slices' stdout
 *     ranges come in order, never split a line, and a printed line that
 *     names a task (AAA, task1, client 2, Consumer) lies in a slice of that
 *     task's lane; where the tasks print everything, the slices hold all of
 *     it;
 *   - prodqueue's and timeouts' lanes and waits are the ones their lessons
 *     describe.
 * trace.py writes one event per line, its own fields before its args,
 * which is what lets this file read the JSON with strstr().
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lesson.h"

/* One documented command, run in its home stage. */
struct trace_case {
    char *stage;    /* its home stage */
    char *command;  /* as documented: "./pool --by-hand" */
    char *expected; /* the documented output */
};

static char *cr_strdup(const char *s)
{
    char *d = cr_malloc(strlen(s) + 1);

    strcpy(d, s);
    return d;
}

static void free_cases(struct criterion_test_params *p)
{
    struct trace_case *c = p->params;

    for (size_t i = 0; i < p->length; i++) {
        cr_free(c[i].stage);
        cr_free(c[i].command);
        cr_free(c[i].expected);
    }
    cr_free(c);
}

/* Every documented output of a program in the stage that documents it.
 * A run of millions of resumes (many -n 1000000) is left out: its trace
 * would be hundreds of megabytes, and ./many covers the same code. */
ParameterizedTestParameters(trace, documented)
{
    const char *root = course_root();
    char **stages, prog[256];
    int nstages = course_stages(root, &stages);
    struct trace_case *cases = NULL;
    size_t n = 0;
    struct lesson l;

    for (int i = 0; i < nstages; i++) {
        if (lesson_read(root, stages[i], &l) < 0)
            continue;
        for (int k = 0; k < l.nblocks; k++) {
            struct block *b = &l.blocks[k];

            for (int m = 0; m < b->nmarks; m++) {
                const char *cmd = b->marks[m].arg;

                if (b->marks[m].kind != MARK_OUTPUT ||
                    strstr(cmd, "1000000"))
                    continue;
                program_of(cmd, prog, sizeof prog);
                if (!has_program(root, stages[i], prog))
                    continue;
                cases = realloc(cases, (n + 1) * sizeof *cases);
                cases[n].stage = strdup(stages[i]);
                cases[n].command = strdup(cmd);
                cases[n++].expected = strdup(b->text);
            }
        }
        lesson_free(&l);
    }
    course_stages_free(stages, nstages);
    struct trace_case *shared = cr_malloc((n + 1) * sizeof *shared);
    for (size_t i = 0; i < n; i++) {
        shared[i].stage = cr_strdup(cases[i].stage);
        shared[i].command = cr_strdup(cases[i].command);
        shared[i].expected = cr_strdup(cases[i].expected);
        free(cases[i].stage);
        free(cases[i].command);
        free(cases[i].expected);
    }
    free(cases);
    return cr_make_param_array(struct trace_case, shared, n, free_cases);
}

/* ---- running a program traced ---- */

/* What one traced run left: the output and the JSON's lines. */
struct run {
    char *out;     /* what the program printed */
    size_t outlen;
    char *json;    /* the whole JSON */
    char **lines;  /* its event lines */
    int nlines;
    char dir[64];  /* where the files are */
};

/* A whole file, at once: a trace can be megabytes. */
static char *read_path(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    FILE *f;
    long n;
    char *s;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    cr_assert(f, "%s: no such file", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    s = malloc(n + 1);
    cr_assert(s);
    s[fread(s, 1, n, f)] = '\0';
    fclose(f);
    if (len)
        *len = strlen(s);
    return s;
}

static int shell(const char *cmd)
{
    int status = system(cmd);

    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Run "./prog args" in stage as make trace does, then trace.py. */
static void trace_run(const char *stage, const char *command, struct run *r)
{
    char *root = realpath(course_root(), NULL), *bin = getenv("COURSE_BIN");
    char cmd[8192], prog[256], path[4096];
    const char *args;
    char *errors;
    int status;

    cr_assert(root);
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/test_trace.XXXXXX");
    cr_assert(mkdtemp(r->dir), "mkdtemp failed");
    program_of(command, prog, sizeof prog);
    args = command + strcspn(command, " ");
    bin = bin && *bin ? realpath(bin, NULL) : NULL;
    if (bin)
        snprintf(path, sizeof path, "%s/%s/%s", bin, stage, prog);
    else
        snprintf(path, sizeof path, "%s/build/asan/%s/%s", root, stage, prog);
    snprintf(cmd, sizeof cmd,
             "cd '%s/%s' && COURSE_TRACE='%s/%s.events' '%s'%s "
             "</dev/null >'%s/%s.out' 2>'%s/err'",
             root, stage, r->dir, prog, path, args, r->dir, prog, r->dir);
    status = shell(cmd);
    cr_assert(status == 0, "%s: %s exited with status %d", stage, command,
              status);
    snprintf(cmd, sizeof cmd,
             "python3 '%s/tests/trace.py' '%s/%s.events' '%s/%s.out' "
             ">>'%s/err' 2>&1", root, r->dir, prog, r->dir, prog, r->dir);
    cr_assert(shell(cmd) == 0, "trace.py failed: %s", cmd);
    errors = read_path(r->dir, "err", NULL);
    cr_expect(!errors[0], "%s: %s and trace.py wrote to stderr:\n%s", stage,
              command, errors);
    free(errors);
    snprintf(path, sizeof path, "%s.out", prog);
    r->out = read_path(r->dir, path, &r->outlen);
    snprintf(path, sizeof path, "%s.json", prog);
    r->json = read_path(r->dir, path, NULL);
    for (const char *s = r->json; (s = strchr(s, '\n')); s++)
        r->nlines++;
    r->lines = malloc((r->nlines + 1) * sizeof *r->lines);
    cr_assert(r->lines);
    r->nlines = 0;
    for (char *s = strtok(r->json, "\n"); s; s = strtok(NULL, "\n"))
        if (strncmp(s, "{\"name\"", 7) == 0)
            r->lines[r->nlines++] = s;
    snprintf(path, sizeof path, "%s.json", prog);
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "
             "'%s/%s'", r->dir, path);
    cr_expect(shell(cmd) == 0, "%s: %s: the JSON does not parse", stage,
              command);
    free(root);
    free(bin);
}

static void run_free(struct run *r)
{
    char cmd[256];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
    shell(cmd);
    free(r->out);
    free(r->json);
    free(r->lines);
}

/* ---- reading an event line ---- */

/* Where "key": is in the line, in its own fields (top) or in its args;
 * NULL if it is not there. */
static const char *field(const char *line, const char *key, int top)
{
    char pat[64];
    const char *args = strstr(line, "\"args\": {");
    const char *p;

    snprintf(pat, sizeof pat, "\"%s\": ", key);
    if (top) {
        p = strstr(line, pat);
        return p && (!args || p < args) ? p + strlen(pat) : NULL;
    }
    p = args ? strstr(args, pat) : NULL;
    return p ? p + strlen(pat) : NULL;
}

static int is(const char *line, const char *key, int top, const char *text)
{
    const char *p = field(line, key, top);

    return p && strncmp(p, text, strlen(text)) == 0;
}

static double number(const char *line, const char *key, int top)
{
    const char *p = field(line, key, top);

    return p ? strtod(p, NULL) : -1;
}

/* A string field, into buf ("" if it is null or absent). */
static char *string(const char *line, const char *key, int top, char *buf,
                    size_t size)
{
    const char *p = field(line, key, top);
    size_t n = 0;

    if (p && *p == '"')
        for (p++; *p && *p != '"' && n + 1 < size; p++)
            buf[n++] = *p == '\\' ? *++p : *p;
    buf[n] = '\0';
    return buf;
}

/* ---- the slices ---- */

struct slice {
    int tid;
    char name[64];
    long start, end; /* stdout range, -1 if none */
    int top;         /* no other slice encloses it */
};

static int slices_of(const struct run *r, struct slice *s, int max)
{
    int n = 0;
    const char *p;

    for (int i = 0; i < r->nlines && n < max; i++) {
        const char *l = r->lines[i];

        if (!is(l, "cat", 1, "\"resume\""))
            continue;
        s[n].tid = (int)number(l, "tid", 1);
        string(l, "name", 1, s[n].name, sizeof s[n].name);
        p = field(l, "stdout", 0);
        s[n].start = s[n].end = -1;
        if (p && *p == '[')
            sscanf(p, "[%ld, %ld]", &s[n].start, &s[n].end);
        s[n].top = is(l, "caller", 0, "null");
        n++;
    }
    return n;
}

/* The innermost slice whose range holds [a, b), or -1. A later slice that
 * holds it is inside an earlier one (a scheduler's, stage 2). */
static int holder(const struct slice *s, int n, long a, long b)
{
    int found = -1;

    for (int i = 0; i < n; i++)
        if (s[i].start <= a && b <= s[i].end && s[i].start < s[i].end)
            found = i;
    return found;
}

/* The lane a printed line names: the longest lane name at its start,
 * after a time stamp "@1.5 " or indentation, followed by ' ' or ':'. */
static const char *named(const struct slice *s, int n, const char *line)
{
    const char *best = NULL;
    size_t len = 0;

    while (*line == ' ')
        line++;
    if (*line == '@')
        line += strcspn(line, " ") + 1;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(s[i].name);

        if (k > len && strncmp(line, s[i].name, k) == 0 &&
            (line[k] == ' ' || line[k] == ':')) {
            best = s[i].name;
            len = k;
        }
    }
    return best;
}

#define MAX_SLICES 200000

/* cr_expect, but only when it fails: a trace has thousands of slices, and
 * Criterion keeps a record of every assertion it sees. */
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond))                                                         \
            cr_expect(0, __VA_ARGS__);                                       \
    } while (0)

/* The programs whose tasks print every line, and the ones whose loop prints
 * a line for the task that just ran (the switcher). */
static const char *const all_in_slices[] = {"pool", "printer", "prodqueue",
                                            "family"};
/* The programs each of whose lines names the task that printed it. */
static const char *const all_named[] = {"pool", "prodqueue"};
/* The programs whose lines name a task that another task speaks for:
 * family's parent says what each child said. */
static const char *const told_by_others[] = {"family"};

static int listed(const char *prog, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(prog, list[i]) == 0)
            return 1;
    return 0;
}

ParameterizedTest(struct trace_case *c, trace, documented, .timeout = 300)
{
    struct run r;
    struct slice *s = malloc(MAX_SLICES * sizeof *s);
    char prog[256], where[512];
    long covered = 0, last_end = 0;
    int n, after_slice, others, nlines = 0, nnamed = 0;

    cr_assert(s);
    program_of(c->command, prog, sizeof prog);
    snprintf(where, sizeof where, "%s: %s", c->stage, c->command);
    after_slice = strcmp(prog, "switcher") == 0;
    others = listed(prog, told_by_others,
                    sizeof told_by_others / sizeof *told_by_others);
    trace_run(c->stage, c->command, &r);
    CHECK(strcmp(r.out, c->expected) == 0,
              "%s: traced, it does not print its documented output", where);
    n = slices_of(&r, s, MAX_SLICES);
    CHECK(n > 0, "%s: no slice", where);
    for (int i = 0; i < n; i++) {
        CHECK(s[i].start >= 0 && s[i].start <= s[i].end &&
                      s[i].end <= (long)r.outlen,
                  "%s: slice %d's stdout [%ld, %ld] is not in the output "
                  "(%zu bytes)", where, i, s[i].start, s[i].end, r.outlen);
        if (!s[i].top)
            continue;
        CHECK(s[i].start >= last_end,
                  "%s: slice %d (%s) starts at %ld, before the slice before "
                  "it ended (%ld)", where, i, s[i].name, s[i].start, last_end);
        last_end = s[i].end;
        covered += s[i].end - s[i].start;
    }
    for (long a = 0, b; a < (long)r.outlen; a = b) {
        const char *line = r.out + a;
        const char *lane = others ? NULL : named(s, n, line);
        int h, k;

        b = a + (long)strcspn(line, "\n");
        b += r.out[b] == '\n';
        h = holder(s, n, a, b);
        nlines++;
        nnamed += lane != NULL;

        for (k = 0; k < n; k++)
            if ((s[k].start > a && s[k].start < b) ||
                (s[k].end > a && s[k].end < b))
                break;
        CHECK(k == n, "%s: slice %d (%s) splits the line %.*s", where,
                  k, k < n ? s[k].name : "", (int)(b - a - 1), line);
        if (lane && h >= 0)
            CHECK(strcmp(s[h].name, lane) == 0,
                      "%s: the line \"%.*s\" is in a slice of %s", where,
                      (int)(b - a - 1), line, s[h].name);
        if (lane && after_slice) {
            int last = -1;

            for (k = 0; k < n; k++)
                if (s[k].top && s[k].end <= a)
                    last = k;
            CHECK(h < 0 && last >= 0 && strcmp(s[last].name, lane) == 0,
                      "%s: the line \"%.*s\" does not follow a slice of %s",
                      where, (int)(b - a - 1), line, lane);
        }
    }
    if (listed(prog, all_named, sizeof all_named / sizeof *all_named))
        CHECK(nnamed == nlines,
                  "%s: %d of its %d lines name no lane: are its tasks "
                  "named?", where, nlines - nnamed, nlines);
    if (listed(prog, all_in_slices,
               sizeof all_in_slices / sizeof *all_in_slices))
        CHECK(covered == (long)r.outlen,
                  "%s: its tasks print every line, but the slices hold %ld "
                  "of its %zu bytes", where, covered, r.outlen);
    run_free(&r);
    free(s);
}

/* Every event has what Perfetto's importer needs, and what trace.py
 * promises; every lane is named. */
Test(trace, fields)
{
    static const char *const resume_args[] = {
        "call", "from_line", "to_line", "file", "status", "value", "stdout",
        "parent", "depth"};
    static const char *const wait_args[] = {"kind", "outcome"};
    struct run r;
    char named_tids[256] = {0}, tip[128];
    int waits = 0, children = 0;

    trace_run("stage5-subtasks", "./family", &r);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            run_free(&r);
            trace_run("stage4-io", "./timeouts --virtual-time", &r);
            memset(named_tids, 0, sizeof named_tids);
        }
        for (int i = 0; i < r.nlines; i++) {
            const char *l = r.lines[i];
            int tid = (int)number(l, "tid", 1);

            cr_expect(field(l, "ph", 1) && field(l, "ts", 1) &&
                          field(l, "pid", 1) && field(l, "tid", 1) &&
                          field(l, "name", 1),
                      "an event lacks ph, ts, pid, tid or name: %s", l);
            cr_assert(tid > 0 && tid < 256, "tid %d: %s", tid, l);
            if (is(l, "ph", 1, "\"M\"")) {
                cr_expect(is(l, "name", 1, "\"thread_name\"") &&
                              field(l, "name", 0),
                          "a metadata event that names no thread: %s", l);
                named_tids[tid] = 1;
                continue;
            }
            cr_expect(is(l, "ph", 1, "\"X\"") && field(l, "dur", 1),
                      "not a complete event with a dur: %s", l);
            cr_expect(named_tids[tid], "tid %d has no thread_name before: %s",
                      tid, l);
            if (is(l, "cat", 1, "\"resume\"")) {
                for (size_t k = 0; k < 9; k++)
                    cr_expect(field(l, resume_args[k], 0),
                              "a resume without args.%s: %s", resume_args[k],
                              l);
                children += number(l, "depth", 0) > 0;
            } else {
                cr_expect(is(l, "cat", 1, "\"wait\""), "what is it: %s", l);
                for (size_t k = 0; k < 2; k++)
                    cr_expect(field(l, wait_args[k], 0),
                              "a wait without args.%s: %s", wait_args[k], l);
                waits++;
            }
        }
        if (pass == 0)
            cr_expect(children == 4 && strcmp(string(r.lines[1], "name", 0,
                                                      tip, sizeof tip),
                                               "good child") == 0,
                      "family: %d slices of children (4 expected: each "
                      "child's body and its cleanup), lane 2 is \"%s\"",
                      children, tip);
    }
    cr_expect(waits > 0, "timeouts: no wait");
    run_free(&r);
}

/* "fd 4 readable" -> "fd N readable": the fds a program gets depend on
 * what its runtime has open (the trace's own file, for one). */
static char *any_fd(char *name)
{
    if (strncmp(name, "fd ", 3) == 0) {
        size_t digits = strspn(name + 3, "0123456789");

        memmove(name + 4, name + 3 + digits, strlen(name + 3 + digits) + 1);
        name[3] = 'N';
    }
    return name;
}

/* The lanes in order of first appearance, and "lane kind outcome dur" for
 * each wait, one a line. */
static void lanes_and_waits(const struct run *r, char *lanes, size_t lsize,
                            char *waits, size_t wsize)
{
    char name[64], kind[32], outcome[64], lane[64][64];
    int nlanes = 0;

    lanes[0] = waits[0] = '\0';
    for (int i = 0; i < r->nlines; i++) {
        const char *l = r->lines[i];
        int tid = (int)number(l, "tid", 1);

        if (is(l, "ph", 1, "\"M\"")) {
            string(l, "name", 0, name, sizeof name);
            if (tid < 64)
                snprintf(lane[tid], sizeof lane[tid], "%s", name);
            nlanes++;
            snprintf(lanes + strlen(lanes), lsize - strlen(lanes), "%s%s",
                     nlanes > 1 ? " " : "", name);
        } else if (is(l, "cat", 1, "\"wait\"") && tid < 64) {
            snprintf(waits + strlen(waits), wsize - strlen(waits),
                     "%s: %s, %s %s, %g s\n", lane[tid],
                     any_fd(string(l, "name", 1, name, sizeof name)),
                     string(l, "kind", 0, kind, sizeof kind),
                     string(l, "outcome", 0, outcome, sizeof outcome),
                     number(l, "dur", 1) / 1e6);
        }
    }
}

/* The lesson: the producer puts an item, then sleeps 1.2 s, five times;
 * the consumer gets one and takes 1.5 s over each; the queue fills up
 * behind it, so no get or put ever waits, and the consumer ends when it
 * finds the queue empty at 7.5 s. Each wait, by the time it began. */
Test(trace, prodqueue)
{
    struct run r;
    char lanes[256], waits[4096];
    static const char expected[] =
        /* at 0 */
        "Producer: queue put, put done, 0 s\n"
        "Consumer: queue get, get done, 0 s\n"
        "Producer: sleep 1.2 s, sleep done, 1.2 s\n"
        "Consumer: sleep 1.5 s, sleep done, 1.5 s\n"
        /* at 1.2 and 1.5 */
        "Producer: queue put, put done, 0 s\n"
        "Producer: sleep 1.2 s, sleep done, 1.2 s\n"
        "Consumer: queue get, get done, 0 s\n"
        "Consumer: sleep 1.5 s, sleep done, 1.5 s\n"
        /* at 2.4 and 3.0 */
        "Producer: queue put, put done, 0 s\n"
        "Producer: sleep 1.2 s, sleep done, 1.2 s\n"
        "Consumer: queue get, get done, 0 s\n"
        "Consumer: sleep 1.5 s, sleep done, 1.5 s\n"
        /* at 3.6 and 4.5 */
        "Producer: queue put, put done, 0 s\n"
        "Producer: sleep 1.2 s, sleep done, 1.2 s\n"
        "Consumer: queue get, get done, 0 s\n"
        "Consumer: sleep 1.5 s, sleep done, 1.5 s\n"
        /* at 4.8 and 6.0; at 7.5 the consumer finds the queue empty */
        "Producer: queue put, put done, 0 s\n"
        "Producer: sleep 1.2 s, sleep done, 1.2 s\n"
        "Consumer: queue get, get done, 0 s\n"
        "Consumer: sleep 1.5 s, sleep done, 1.5 s\n";

    trace_run("stage4-io", "./prodqueue --virtual-time", &r);
    lanes_and_waits(&r, lanes, sizeof lanes, waits, sizeof waits);
    cr_expect(strcmp(lanes, "Producer Consumer") == 0, "prodqueue's lanes: %s",
              lanes);
    cr_expect(strcmp(waits, expected) == 0, "prodqueue's waits:\n%s", waits);
    run_free(&r);
}

/* The lesson (timeouts.md): five scenes, each task's wait and how it
 * ended: a recv that times out after 1 s, a queue get after 0.5 s, a sleep
 * of 2 s that wakes on time, a readline that times out twice and then gets
 * its line, and an unhandled timeout. */
Test(trace, timeouts)
{
    struct run r;
    char lanes[256], waits[4096];
    static const char expected[] =
        "reader: fd N readable (recv), recv timeout thrown, 1 s\n"
        "getter: queue get, get timeout thrown, 0.5 s\n"
        "putter: sleep 1 s, sleep done, 1 s\n"
        "putter: queue put, put done, 0 s\n"
        "sleeper: sleep 2 s, sleep done, 2 s\n"
        "reader: fd N readable (readline), readline timeout thrown, 1 s\n"
        "writer: sleep 2.5 s, sleep done, 2.5 s\n"
        "reader: fd N readable (readline), readline timeout thrown, 1 s\n"
        "reader: fd N readable (readline), readline done, 0.5 s\n"
        "writer: fd N writable (send), send done, 0 s\n"
        "waiter: queue get, get timeout thrown, 1 s\n"
        "stderr: fd N readable (readline), readline done, 1 s\n";

    trace_run("stage4-io", "./timeouts --virtual-time", &r);
    lanes_and_waits(&r, lanes, sizeof lanes, waits, sizeof waits);
    cr_expect(strcmp(lanes, "reader getter putter sleeper reader writer "
                            "waiter stderr") == 0,
              "timeouts' lanes: %s", lanes);
    cr_expect(strcmp(waits, expected) == 0, "timeouts' waits:\n%s", waits);
    run_free(&r);
}
