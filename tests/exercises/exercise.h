/* exercise.h: the exercises that check themselves: build a reader's file
 * with its stage's runtime, run it, and say what differs. */
#ifndef EXERCISE_H
#define EXERCISE_H

#include <stddef.h>

/* A growing string: a report, or what a program printed. */
struct text {
    char *s;
    size_t len;
    size_t cap;
};

void text_add(struct text *t, const char *s, size_t n);
void text_printf(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void text_free(struct text *t);
/* The string, or "" if nothing was added. */
const char *text_str(const struct text *t);
/* A whole file as a string to free; NULL if it can not be read. */
char *text_read_file(const char *path);

/* What one run of a program did. */
struct ex_run {
    struct text out;
    struct text err;
    int status; /* its exit code, or 128 + the signal that ended it */
    int hung;   /* 1 if it was stopped for taking too long, 2 for
                   printing too much */
};

enum {
    HANG_GUARD = 60,     /* seconds a program may run: a hang guard */
    OUTPUT_CAP = 1 << 20 /* bytes a program may print */
};

/* Run argv with stdin from /dev/null, collecting stdout and stderr (or
 * both in out, if merge), stopping it after HANG_GUARD seconds or
 * OUTPUT_CAP bytes. Returns -1 if it could not start it. */
int ex_run_command(char *const argv[], struct ex_run *r, int merge);
void ex_run_free(struct ex_run *r);

/* How far a check got. */
enum ex_result {
    EX_PASSED,
    EX_WRONG,     /* it ran, but did not do what the exercise asks */
    EX_CRASHED,   /* it ran, and crashed, hung, or a sanitizer spoke */
    EX_NOT_BUILT, /* the compiler refused it */
    EX_MISSING    /* there is no such file */
};

/* A check reads the run and says in the report what is wrong, if anything;
 * it returns 1 if the run is what the exercise asks for. */
typedef int ex_check_fn(const struct ex_run *run, struct text *report);

struct exercise {
    const char *id;          /* "1.2": stage 1, exercise 2 of its lesson */
    const char *title;       /* as the lesson names it */
    const char *stage;       /* the stage's directory */
    const char *file;        /* the reader's file, in <stage>/exercises/ */
    const char *args[6];     /* its command line after the program name */
    unsigned long long hash; /* FNV-1a of the starter as shipped */
    ex_check_fn *check;
};

extern const struct exercise exercises[];
extern const int nexercises;

/* An exercise whose file is a part of the runtime. */
struct ex_part {
    const char *id;      /* the exercise */
    const char *file;    /* the runtime file whose definitions the reader's
                            replace (see ex_splice) */
    const char *program; /* what the check runs, in tests/exercises/<stage>/ */
};

/* e's part, or NULL if its file is a program of its own. */
const struct ex_part *ex_part_of(const struct exercise *e);

/* The exercise called id, or NULL. */
const struct exercise *ex_find(const char *id);

/* Where the reader's file is, and the patch that turns its starter into
 * the reference solution; variant 0 is the solution, 1 and on are other
 * correct answers, -1 and down wrong answers that the check must refuse. */
void ex_reader_path(const struct exercise *e, char *path, size_t size);
void ex_solution_path(const struct exercise *e, int variant, char *path,
                      size_t size);

/* Write the starter as shipped to a file of the build directory named
 * after tag, and its path in path: the reader's file if it has the hash of
 * the list, else the one git's HEAD holds, else the reader's file. Returns
 * 0, with the reason in the report, if it can not. */
int ex_starter(const struct exercise *e, const char *tag, char *path,
               size_t size, struct text *report);

/* The same for a solution: the starter with its patch applied. */
int ex_solution(const struct exercise *e, int variant, char *path,
                size_t size, struct text *report);

/* FNV-1a of a file's bytes; 0 if it can not be read. */
unsigned long long ex_hash_file(const char *path);

/* Build src with e's stage runtime into a program named tag, run it (with
 * ASAN_OPTIONS=detect_stack_use_after_return=1), and check it. The report
 * says what happened, in words for the reader. */
enum ex_result ex_try(const struct exercise *e, const char *src,
                      const char *tag, struct text *report);

/* Write to out the runtime file base with each definition of the reader's
 * file in place of base's definition of the same name; anything else in
 * the reader's file goes in just before the next definition that replaces
 * one, and its #defines at the top go at the top. Returns 0, with the
 * reason in the report, if it cannot. */
int ex_splice(const char *base, const char *reader, const char *out,
              struct text *report);

/* Helpers for checks. */

/* The output must be expected, byte for byte; if not, report the first
 * line that differs, side by side with a few lines around it. */
int ex_expect_output(const struct ex_run *run, const char *expected,
                     struct text *report);

/* Line n (from 1) of s, without its newline, into buf; 0 if there is none. */
int ex_line(const char *s, int n, char *buf, size_t size);

/* The number of the first line of s that is exactly line, from 1; 0 if
 * none is. */
int ex_find_line(const char *s, const char *line);

#endif
