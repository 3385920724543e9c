/* splice.c: a runtime file with some of its definitions replaced by those
 * of a reader's file, for an exercise whose starter is a part of the
 * runtime. A definition in the reader's file takes the place of the base
 * file's definition of the same name; anything else in the reader's file
 * goes in just before the next definition that replaces one (or right
 * after the last), and a #define at its top goes at the top. #line
 * directives keep the compiler's messages on the lines of both files. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

enum {
    MAX_NAMES = 8, /* names one declaration may define */
    NAME_SIZE = 64
};

/* A top-level item of a C file: a definition or a declaration with the
 * comments right above it, a preprocessor line, or comments on their own. */
struct item {
    int first, last; /* its lines, from 0 */
    int define;      /* a #define */
    int pp;          /* a preprocessor line */
    char names[MAX_NAMES][NAME_SIZE];
    int nnames;      /* what it defines: none for a prototype */
};

struct cfile {
    const char *path;
    char *text;
    char **lines;
    int nlines;
    struct item *items;
    int nitems;
};

static int is_ident(int c)
{
    return isalnum(c) || c == '_';
}

/* The last identifier in code[from, to), into name; 0 if there is none. */
static int last_ident(const char *code, size_t from, size_t to, char *name)
{
    size_t end = to, start;

    while (end > from && !is_ident((unsigned char)code[end - 1]))
        end--;
    start = end;
    while (start > from && is_ident((unsigned char)code[start - 1]))
        start--;
    if (start == end || isdigit((unsigned char)code[start]))
        return 0;
    snprintf(name, NAME_SIZE, "%.*s", (int)(end - start), code + start);
    return 1;
}

static void add_name(struct item *it, const char *code, size_t from,
                     size_t to)
{
    if (it->nnames < MAX_NAMES &&
        last_ident(code, from, to, it->names[it->nnames]))
        it->nnames++;
}

/* What an item defines, from its code without comments and strings: a
 * function definition its name; a declaration the name of each declarator;
 * a prototype nothing. */
static void find_names(struct item *it, const char *code)
{
    size_t n = strlen(code), seg = 0, i;
    int depth = 0, in_init = 0;

    for (i = 0; i < n; i++)
        if (depth == 0 && strchr("({=;", code[i]))
            break;
        else if (strchr("([{", code[i]))
            depth++;
        else if (strchr(")]}", code[i]))
            depth--;
    if (i < n && code[i] == '(') {
        const char *tail = code + n;

        while (tail > code && isspace((unsigned char)tail[-1]))
            tail--;
        if (tail > code && tail[-1] == '}')
            add_name(it, code, 0, i);
        return;
    }
    depth = 0;
    for (i = 0; i < n; i++) {
        char c = code[i];

        if (strchr("([{", c)) {
            if (depth++ == 0 && !in_init && c == '[')
                add_name(it, code, seg, i), in_init = 1;
            continue;
        }
        if (strchr(")]}", c)) {
            depth--;
            continue;
        }
        if (depth > 0)
            continue;
        if (c == '=' && !in_init) {
            add_name(it, code, seg, i);
            in_init = 1;
        } else if (c == ',' || c == ';') {
            if (!in_init)
                add_name(it, code, seg, i);
            in_init = 0;
            seg = i + 1;
        }
    }
}

static int blank(const char *line)
{
    return line[strspn(line, " \t\r")] == '\0';
}

/* Split a file into lines and its lines into items. */
static int read_cfile(struct cfile *f, const char *path, struct text *report)
{
    struct text code = {0};
    struct item *it = NULL;
    int in_comment = 0, depth = 0;

    memset(f, 0, sizeof *f);
    f->path = path;
    f->text = text_read_file(path);
    if (!f->text) {
        text_printf(report, "exercise: cannot read %s\n", path);
        return 0;
    }
    for (char *s = f->text; *s;) {
        char *eol = strchr(s, '\n');

        f->lines = realloc(f->lines, (size_t)(f->nlines + 1) * sizeof *f->lines);
        f->lines[f->nlines++] = s;
        if (!eol)
            break;
        *eol = '\0';
        s = eol + 1;
    }
    f->items = calloc((size_t)f->nlines + 1, sizeof *f->items);
    for (int i = 0; i < f->nlines; i++) {
        const char *line = f->lines[i];
        int last = 0;

        if (it && !in_comment && depth == 0 &&
            (blank(line) || (line[0] == '#' && code.len == 0))) {
            it->last = i - 1; /* comments on their own */
            it = NULL;
        }
        if (!it) {
            if (blank(line))
                continue;
            it = &f->items[f->nitems++];
            it->first = i;
            code.len = 0;
            if (code.s)
                code.s[0] = '\0';
            if (!in_comment && line[0] == '#') {
                it->pp = 1;
                it->define = strncmp(line, "#define", 7) == 0;
                while (i + 1 < f->nlines && line[0] &&
                       line[strlen(line) - 1] == '\\')
                    line = f->lines[++i];
                it->last = i;
                it = NULL;
                continue;
            }
        }
        for (const char *p = line; *p; p++) {
            if (in_comment) {
                if (p[0] == '*' && p[1] == '/')
                    in_comment = 0, p++;
                continue;
            }
            if (p[0] == '/' && p[1] == '*') {
                in_comment = 1, p++;
                continue;
            }
            if (p[0] == '/' && p[1] == '/')
                break;
            if (*p == '"' || *p == '\'') {
                char q = *p;

                while (p[1] && p[1] != q)
                    p += p[1] == '\\' && p[2] ? 2 : 1;
                if (p[1])
                    p++;
                text_add(&code, "\"\"", 2);
                last = q;
                continue;
            }
            if (strchr("([{", *p))
                depth++;
            else if (strchr(")]}", *p))
                depth--;
            text_add(&code, p, 1);
            if (!isspace((unsigned char)*p))
                last = *p;
        }
        text_add(&code, " ", 1);
        if (!in_comment && depth == 0 && (last == ';' || last == '}')) {
            it->last = i;
            find_names(it, text_str(&code));
            it = NULL;
        }
    }
    if (it)
        it->last = f->nlines - 1;
    text_free(&code);
    return 1;
}

static void free_cfile(struct cfile *f)
{
    free(f->text);
    free(f->lines);
    free(f->items);
}

/* The base item that reader item r replaces, or -1. */
static int replaced(const struct cfile *base, const struct item *r)
{
    for (int j = 0; j < base->nitems; j++)
        for (int a = 0; a < base->items[j].nnames; a++)
            for (int b = 0; b < r->nnames; b++)
                if (strcmp(base->items[j].names[a], r->names[b]) == 0)
                    return j;
    return -1;
}

static void emit(FILE *out, const struct cfile *f, const struct item *it)
{
    fprintf(out, "#line %d \"%s\"\n", it->first + 1, f->path);
    for (int i = it->first; i <= it->last; i++)
        fprintf(out, "%s\n", f->lines[i]);
    fputc('\n', out);
}

int ex_splice(const char *base_path, const char *reader_path,
              const char *out_path, struct text *report)
{
    struct cfile base, reader;
    int *target, top = 0, next = -1, ok;
    FILE *out;

    if (!read_cfile(&base, base_path, report))
        return 0;
    if (!read_cfile(&reader, reader_path, report)) {
        free_cfile(&base);
        return 0;
    }
    /* The #defines at the top of the reader's file. */
    while (top < reader.nitems && reader.items[top].define)
        top++;
    /* target[k]: the base item whose place reader item k takes, with the
     * other reader items in it: the one the next replacing item replaces,
     * else the one the last replacing item replaced; -1 if none does. */
    target = malloc(sizeof *target * (size_t)(reader.nitems + 1));
    for (int k = reader.nitems - 1; k >= 0; k--) {
        int j = replaced(&base, &reader.items[k]);

        target[k] = next = j >= 0 ? j : next;
    }
    next = -1;
    for (int k = 0; k < reader.nitems; k++) {
        int j = replaced(&base, &reader.items[k]);

        next = j >= 0 ? j : next;
        if (target[k] < 0)
            target[k] = next;
    }
    out = fopen(out_path, "w");
    ok = out != NULL;
    for (int k = 0; ok && k < top; k++)
        emit(out, &reader, &reader.items[k]);
    for (int j = 0; ok && j < base.nitems; j++) {
        int taken = 0;

        for (int k = top; k < reader.nitems; k++)
            if (target[k] == j) {
                emit(out, &reader, &reader.items[k]);
                taken = 1;
            }
        if (!taken)
            emit(out, &base, &base.items[j]);
    }
    for (int k = top; ok && k < reader.nitems; k++)
        if (target[k] < 0)
            emit(out, &reader, &reader.items[k]);
    if (out && fclose(out) != 0)
        ok = 0;
    if (!ok)
        text_printf(report, "exercise: cannot write %s\n", out_path);
    free(target);
    free_cfile(&base);
    free_cfile(&reader);
    return ok;
}
