/* lesson.h: the stages of the course and the fenced blocks of their lessons. */
#ifndef LESSON_H
#define LESSON_H

#include <stdio.h>

/* A marker: an HTML comment on its own line right before a fenced block. */
enum marker_kind {
    MARK_OUTPUT,  /* <!-- output: CMD -->: the program's output, checked */
    MARK_QUOTE,   /* <!-- quote: FILE -->: lines of FILE, checked */
    MARK_DIFF,    /* <!-- diff --> or <!-- diff: OLD NEW -->: checked */
    MARK_SKETCH,  /* <!-- sketch -->: not checked */
    MARK_UNKNOWN
};

struct marker {
    enum marker_kind kind;
    const char *page; /* the page it is on: "README.md", "httpd.md" */
    int line;         /* line number in the page, from 1 */
    char *arg; /* the command, the file(s), or the whole comment */
};

struct block {
    const char *page;     /* the page it is on */
    int line;             /* line of the opening fence */
    char *lang;           /* the fence's info string: "c", "text", "" */
    char *text;           /* the lines inside, each ending in '\n' */
    struct marker *marks; /* the markers right before the fence */
    int nmarks;
};

/* A stage's lesson: README.md, and any other page *.md beside it. */
struct lesson {
    char **pages; /* README.md first, then the others by name */
    int npages;
    struct block *blocks;
    int nblocks;
    struct marker *strays; /* markers that no fence follows */
    int nstrays;
};

/* The repository root: $COURSE_ROOT, else the one the tests were built in. */
const char *course_root(void);

/* The directories named stage[0-9]-* under root, sorted; returns how many. */
int course_stages(const char *root, char ***stages);
void course_stages_free(char **stages, int n);

/* Read the pages of root/stage's lesson; returns -1 if it has no README.md. */
int lesson_read(const char *root, const char *stage, struct lesson *l);
void lesson_free(struct lesson *l);

/* Read a whole file into a string; NULL if it can not be read. */
char *read_file(const char *path);

/* Read what is left of a stream into a string. */
char *read_stream(FILE *f);

/* The program a documented command runs: "./pool --by-hand" -> "pool". */
void program_of(const char *command, char *prog, size_t size);

/* Is prog a program of root/stage (its prog.c is there)? */
int has_program(const char *root, const char *stage, const char *prog);

#endif
