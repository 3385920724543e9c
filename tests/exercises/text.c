/* text.c: a string that grows, for reports and for what programs print. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

/* Make room for n more bytes and a '\0'. */
static void text_reserve(struct text *t, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;

        while (cap < t->len + n + 1)
            cap *= 2;
        t->s = realloc(t->s, cap);
        if (!t->s) {
            fprintf(stderr, "exercise: no memory\n");
            exit(2);
        }
        t->cap = cap;
    }
}

void text_add(struct text *t, const char *s, size_t n)
{
    text_reserve(t, n);
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

void text_printf(struct text *t, const char *fmt, ...)
{
    char first[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(first, sizeof first, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    text_reserve(t, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void text_free(struct text *t)
{
    free(t->s);
    t->s = NULL;
    t->len = t->cap = 0;
}

const char *text_str(const struct text *t)
{
    return t->s ? t->s : "";
}

char *text_read_file(const char *path)
{
    struct text t = {0};
    char buf[4096];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f)
        return NULL;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        text_add(&t, buf, n);
    fclose(f);
    if (!t.s)
        text_add(&t, "", 0);
    return t.s;
}
