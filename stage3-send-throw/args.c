/* Reading a program's command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

void args_usage(const char *usage)
{
    fputs(usage, stderr);
    exit(2);
}

long args_number(const char *usage, const char *opt, const char *s, long lo,
                 long hi)
{
    const char *name = usage + strlen("usage: ");
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "%.*s: %s wants a number from %ld to %ld, not '%s'\n",
                (int)strcspn(name, " \n"), name, opt, lo, hi, s);
        args_usage(usage);
    }
    return v;
}
