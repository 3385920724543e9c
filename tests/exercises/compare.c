/* compare.c: what a program printed against what an exercise expects. */
#include <stdio.h>
#include <string.h>

#include "exercise.h"

enum {
    CONTEXT = 3, /* lines shown around the first difference */
    WIDE = 90    /* columns of both sides' text that fit side by side */
};

int ex_line(const char *s, int n, char *buf, size_t size)
{
    for (int i = 1; i < n && *s; i++) {
        s = strchr(s, '\n');
        if (!s)
            return 0;
        s++;
    }
    if (!*s)
        return 0;
    snprintf(buf, size, "%.*s", (int)strcspn(s, "\n"), s);
    return 1;
}

int ex_find_line(const char *s, const char *line)
{
    char buf[1024];

    for (int n = 1; ex_line(s, n, buf, sizeof buf); n++)
        if (strcmp(buf, line) == 0)
            return n;
    return 0;
}

static int count_lines(const char *s)
{
    int n = 0;
    char buf[8];

    while (ex_line(s, n + 1, buf, sizeof buf))
        n++;
    return n;
}

/* The widest of lines from..to of s, for the left column. */
static int width(const char *s, int from, int to)
{
    char buf[1024];
    int w = (int)strlen("expected");

    for (int n = from; n <= to; n++)
        if (ex_line(s, n, buf, sizeof buf) && (int)strlen(buf) > w)
            w = (int)strlen(buf);
    return w;
}

/* Lines from..to of both, side by side, the first difference marked. */
static void side_by_side(const char *expected, const char *actual, int from,
                         int to, int first, struct text *report)
{
    char a[1024], b[1024];
    int w = width(expected, from, to);

    text_printf(report, "       %-*s | %s\n", w, "expected", "actual");
    for (int n = from; n <= to; n++) {
        int ha = ex_line(expected, n, a, sizeof a);
        int hb = ex_line(actual, n, b, sizeof b);

        if (!ha && !hb)
            break;
        text_printf(report, "%s %4d %-*s | %s\n", n == first ? ">" : " ", n,
                    w, ha ? a : "(no line)", hb ? b : "(no line)");
    }
}

/* The same, for long lines: a line that differs shows both, one above the
 * other. */
static void stacked(const char *expected, const char *actual, int from,
                    int to, int first, struct text *report)
{
    char a[1024], b[1024];

    for (int n = from; n <= to; n++) {
        int ha = ex_line(expected, n, a, sizeof a);
        int hb = ex_line(actual, n, b, sizeof b);

        if (!ha && !hb)
            break;
        if (ha && hb && strcmp(a, b) == 0) {
            text_printf(report, "  %4d %s\n", n, a);
            continue;
        }
        text_printf(report, "%s %4d expected: %s\n", n == first ? ">" : " ",
                    n, ha ? a : "(no line)");
        text_printf(report, "       actual:   %s\n", hb ? b : "(no line)");
    }
}

int ex_expect_output(const struct ex_run *run, const char *expected,
                     struct text *report)
{
    const char *actual = text_str(&run->out);
    char a[1024], b[1024];
    int first = 1, from, to;

    if (strcmp(actual, expected) == 0)
        return 1;
    while (1) {
        int ha = ex_line(expected, first, a, sizeof a);
        int hb = ex_line(actual, first, b, sizeof b);

        if (!ha || !hb || strcmp(a, b) != 0)
            break;
        first++;
    }
    from = first > CONTEXT ? first - CONTEXT : 1;
    to = first + CONTEXT;
    text_printf(report, "The output differs from line %d on (expected %d "
                "line%s, got %d):\n", first, count_lines(expected),
                count_lines(expected) == 1 ? "" : "s", count_lines(actual));
    if (width(expected, from, to) + width(actual, from, to) <= WIDE)
        side_by_side(expected, actual, from, to, first, report);
    else
        stacked(expected, actual, from, to, first, report);
    if (ex_line(expected, first, a, sizeof a) &&
        ex_line(actual, first, b, sizeof b) && strcmp(a, b) == 0)
        text_printf(report, "(Line %d differs only in its newline or in "
                    "bytes past it.)\n", first);
    return 0;
}
