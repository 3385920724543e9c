/*
 * test_pictures: every picture in the lessons is what its run draws. make
 * docs draws each one with docs/pictures.py from a run of make trace, and
 * Doxygen copies it next to its lesson in build/docs/html; here each
 * program runs again, traced, and its picture is drawn again: it must be
 * the same SVG, byte for byte (the SVG names its run and the digest of the
 * events it was drawn from, so a failure says which changed). Run make
 * docs first (make test does).
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "lesson.h"

/* Run docs/pictures.py with arguments; a failure shows what it said. */
static void pictures(const char *args)
{
    char cmd[8192], out[8192];
    size_t n;
    FILE *p;
    int status;

    snprintf(cmd, sizeof cmd, "cd '%s' && python3 docs/pictures.py %s 2>&1",
             course_root(), args);
    p = popen(cmd, "r");
    cr_assert_not_null(p, "can not run %s", cmd);
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    while (fread(cmd, 1, sizeof cmd, p) > 0)
        ; /* the rest, unread, so that the script can finish */
    status = pclose(p);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "docs/pictures.py %s:\n%s", args, out);
}

static void same(const char *picture)
{
    char args[256];

    snprintf(args, sizeof args, "check build/docs/html %s", picture);
    pictures(args);
}

Test(pictures, each_lesson_shows_two_or_more_and_each_is_drawn)
{
    pictures("lessons");
}

Test(pictures, stage1_pool) { same("stage1-pool.svg"); }
Test(pictures, stage1_resume_points) { same("stage1-resume-points.svg"); }
Test(pictures, stage2_switcher) { same("stage2-switcher.svg"); }
Test(pictures, stage2_nested) { same("stage2-nested.svg"); }
Test(pictures, stage3_prodcons) { same("stage3-prodcons.svg"); }
Test(pictures, stage3_lifecycle) { same("stage3-lifecycle.svg"); }
Test(pictures, stage4_prodqueue) { same("stage4-prodqueue.svg"); }
Test(pictures, stage4_timeouts) { same("stage4-timeouts.svg"); }
Test(pictures, stage4_loop) { same("stage4-loop.svg"); }
Test(pictures, stage5_family) { same("stage5-family.svg"); }
Test(pictures, stage5_trampoline) { same("stage5-trampoline.svg"); }
Test(pictures, stage5_httpd) { same("stage5-httpd.svg"); }
