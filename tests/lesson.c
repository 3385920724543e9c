/* lesson.c: find the stages and read the fenced blocks of their lessons. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lesson.h"

#ifndef COURSE_ROOT
#define COURSE_ROOT "."
#endif

const char *course_root(void)
{
    const char *r = getenv("COURSE_ROOT");

    return r && *r ? r : COURSE_ROOT;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int course_stages(const char *root, char ***stages)
{
    DIR *d = opendir(root);
    struct dirent *e;
    char path[4096];
    struct stat st;
    int n = 0;

    *stages = NULL;
    if (!d)
        return 0;
    while ((e = readdir(d))) {
        const char *s = e->d_name;

        if (strncmp(s, "stage", 5) || !isdigit((unsigned char)s[5]) ||
            s[6] != '-')
            continue;
        snprintf(path, sizeof path, "%s/%s", root, s);
        if (stat(path, &st) || !S_ISDIR(st.st_mode))
            continue;
        *stages = xrealloc(*stages, (n + 1) * sizeof **stages);
        (*stages)[n++] = xstrndup(s, strlen(s));
    }
    closedir(d);
    if (n > 1)
        qsort(*stages, n, sizeof **stages, by_name);
    return n;
}

void course_stages_free(char **stages, int n)
{
    for (int i = 0; i < n; i++)
        free(stages[i]);
    free(stages);
}

char *read_stream(FILE *f)
{
    char *s = NULL;
    size_t len = 0, got;

    do {
        s = xrealloc(s, len + 4096 + 1);
        got = fread(s + len, 1, 4096, f);
        len += got;
    } while (got > 0);
    s[len] = '\0';
    return s;
}

char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;

    if (!f)
        return NULL;
    s = read_stream(f);
    fclose(f);
    return s;
}

/* The length of s[0..n) without trailing white space. */
static size_t trim_end(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return n;
}

/* If the line is a comment <!-- ... -->, fill in m and return 1. */
static int parse_marker(const char *s, size_t n, int line, struct marker *m)
{
    n = trim_end(s, n);
    if (n < 7 || strncmp(s, "<!--", 4) || strncmp(s + n - 3, "-->", 3))
        return 0;
    s += 4;
    n -= 7;
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    n = trim_end(s, n);
    m->line = line;
    if (strncmp(s, "output:", 7) == 0) {
        m->kind = MARK_OUTPUT;
        s += 7, n -= 7;
    } else if (strncmp(s, "quote:", 6) == 0) {
        m->kind = MARK_QUOTE;
        s += 6, n -= 6;
    } else if (strncmp(s, "diff:", 5) == 0) {
        m->kind = MARK_DIFF;
        s += 5, n -= 5;
    } else if (n == 4 && strncmp(s, "diff", 4) == 0) {
        m->kind = MARK_DIFF;
        s += 4, n -= 4;
    } else if (n == 6 && strncmp(s, "sketch", 6) == 0) {
        m->kind = MARK_SKETCH;
    } else {
        m->kind = MARK_UNKNOWN;
    }
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    m->arg = xstrndup(s, n);
    return 1;
}

static void free_markers(struct marker *m, int n)
{
    for (int i = 0; i < n; i++)
        free(m[i].arg);
    free(m);
}

/* Markers that no fence follows are kept as strays; plain comments are not. */
static void keep_strays(struct lesson *l, struct marker *m, int n)
{
    for (int i = 0; i < n; i++) {
        if (m[i].kind == MARK_UNKNOWN) {
            free(m[i].arg);
            continue;
        }
        l->strays = xrealloc(l->strays, (l->nstrays + 1) * sizeof *m);
        l->strays[l->nstrays++] = m[i];
    }
    free(m);
}

/* Add the blocks and strays of one page to l. */
static int read_page(const char *root, const char *stage, const char *page,
                     struct lesson *l)
{
    char path[4096];
    char *text, *s, *eol;
    struct marker *pending = NULL, m;
    struct block *b = NULL; /* the open block, if inside a fence */
    size_t n, textlen = 0;
    int npending = 0, line = 0;

    snprintf(path, sizeof path, "%s/%s/%s", root, stage, page);
    text = read_file(path);
    if (!text)
        return -1;
    for (s = text; *s; s = *eol ? eol + 1 : eol) {
        eol = strchr(s, '\n');
        if (!eol)
            eol = s + strlen(s);
        n = (size_t)(eol - s);
        line++;
        if (b) {
            if (trim_end(s, n) == 3 && strncmp(s, "```", 3) == 0) {
                b = NULL;
                continue;
            }
            b->text = xrealloc(b->text, textlen + n + 2);
            memcpy(b->text + textlen, s, n);
            textlen += n;
            b->text[textlen++] = '\n';
            b->text[textlen] = '\0';
        } else if (strncmp(s, "```", 3) == 0) {
            l->blocks = xrealloc(l->blocks, (l->nblocks + 1) * sizeof *b);
            b = &l->blocks[l->nblocks++];
            b->page = page;
            b->line = line;
            b->lang = xstrndup(s + 3, trim_end(s + 3, n - 3));
            b->text = xstrndup("", 0);
            textlen = 0;
            b->marks = pending;
            b->nmarks = npending;
            pending = NULL;
            npending = 0;
        } else if (parse_marker(s, n, line, &m)) {
            m.page = page;
            pending = xrealloc(pending, (npending + 1) * sizeof m);
            pending[npending++] = m;
        } else {
            keep_strays(l, pending, npending);
            pending = NULL;
            npending = 0;
        }
    }
    keep_strays(l, pending, npending);
    free(text);
    return 0;
}

/* Is name a page of a lesson, other than README.md? */
static int other_page(const char *name)
{
    size_t n = strlen(name);

    return n > 3 && strcmp(name + n - 3, ".md") == 0 &&
           strcmp(name, "README.md") != 0 && name[0] != '.';
}

int lesson_read(const char *root, const char *stage, struct lesson *l)
{
    char path[4096];
    DIR *d;
    struct dirent *e;

    memset(l, 0, sizeof *l);
    snprintf(path, sizeof path, "%s/%s", root, stage);
    d = opendir(path);
    if (!d)
        return -1;
    l->pages = xrealloc(NULL, sizeof *l->pages);
    l->pages[l->npages++] = xstrndup("README.md", 9);
    while ((e = readdir(d))) {
        if (!other_page(e->d_name))
            continue;
        l->pages = xrealloc(l->pages, (l->npages + 1) * sizeof *l->pages);
        l->pages[l->npages++] = xstrndup(e->d_name, strlen(e->d_name));
    }
    closedir(d);
    if (l->npages > 2)
        qsort(l->pages + 1, l->npages - 1, sizeof *l->pages, by_name);
    for (int i = 0; i < l->npages; i++)
        if (read_page(root, stage, l->pages[i], l) < 0 && i == 0) {
            lesson_free(l);
            return -1;
        }
    return 0;
}

void lesson_free(struct lesson *l)
{
    for (int i = 0; i < l->nblocks; i++) {
        free(l->blocks[i].lang);
        free(l->blocks[i].text);
        free_markers(l->blocks[i].marks, l->blocks[i].nmarks);
    }
    free(l->blocks);
    free_markers(l->strays, l->nstrays);
    for (int i = 0; i < l->npages; i++)
        free(l->pages[i]);
    free(l->pages);
    memset(l, 0, sizeof *l);
}

void program_of(const char *command, char *prog, size_t size)
{
    size_t n;

    if (strncmp(command, "./", 2) == 0)
        command += 2;
    n = strcspn(command, " ");
    if (n >= size)
        n = size - 1;
    memcpy(prog, command, n);
    prog[n] = '\0';
}

int has_program(const char *root, const char *stage, const char *prog)
{
    char path[4096];
    struct stat st;

    snprintf(path, sizeof path, "%s/%s/%s.c", root, stage, prog);
    return stat(path, &st) == 0;
}
