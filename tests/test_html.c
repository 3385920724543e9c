/*
 * test_html: the site that make docs writes to build/docs/html reads as the
 * lessons are written. Each test runs one check of tests/check_html.py over
 * every page and shows what it found; see that script for what each check
 * looks for. Run make docs first (make test does).
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "lesson.h"

/* Run one check; a failure shows its first findings. */
static void check(const char *name)
{
    const char *root = course_root();
    char cmd[4096], out[8192];
    size_t n;
    FILE *p;
    int status;

    snprintf(cmd, sizeof cmd,
             "python3 '%s/tests/check_html.py' --check %s "
             "'%s/build/docs/html' '%s' 2>&1",
             root, name, root, root);
    p = popen(cmd, "r");
    cr_assert_not_null(p, "can not run %s", cmd);
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    while (fread(cmd, 1, sizeof cmd, p) > 0)
        ; /* the rest, unread, so that the script can finish */
    status = pclose(p);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "check_html.py --check %s:\n%s", name, out);
}

Test(html, no_backtick_in_text) { check("backticks"); }
Test(html, no_markup_shown_in_a_heading) { check("headings"); }
Test(html, a_lessons_title_is_its_first_heading) { check("titles"); }
Test(html, inline_code_is_the_sources_code_spans) { check("spans"); }
Test(html, no_list_shown_as_text) { check("lists"); }
Test(html, local_links_resolve) { check("links"); }
