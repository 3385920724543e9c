/*
 * test_html: the site that make docs writes to build/docs/html reads as the
 * lessons are written. The html tests run one check of tests/check_html.py
 * each over every page; the browser tests open pages in headless Chromium
 * with tests/browser.py, which saves screenshots to build/docs/shots. See
 * those scripts for what each check looks for. Run make docs first (make
 * test does); it also prints build/docs/course.pdf, which the pdf test
 * reads.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "lesson.h"

/* Run a script of tests/ with arguments; a failure shows its first lines. */
static void script(const char *name, const char *args)
{
    const char *root = course_root();
    char cmd[8192], out[8192];
    size_t n;
    FILE *p;
    int status;

    snprintf(cmd, sizeof cmd,
             "cd '%s' && python3 tests/%s build/docs/html %s 2>&1",
             root, name, args);
    p = popen(cmd, "r");
    cr_assert_not_null(p, "can not run %s", cmd);
    n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    while (fread(cmd, 1, sizeof cmd, p) > 0)
        ; /* the rest, unread, so that the script can finish */
    status = pclose(p);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "tests/%s %s:\n%s", name, args, out);
}

static void check(const char *name)
{
    char args[256];

    snprintf(args, sizeof args, ". --check %s", name);
    script("check_html.py", args);
}

Test(html, no_backtick_in_text) { check("backticks"); }
Test(html, no_markup_shown_in_a_heading) { check("headings"); }
Test(html, a_lessons_title_is_its_first_heading) { check("titles"); }
Test(html, inline_code_is_the_sources_code_spans) { check("spans"); }
Test(html, no_list_shown_as_text) { check("lists"); }
Test(html, local_links_resolve) { check("links"); }
Test(html, every_quote_links_to_the_lines_it_quotes) { check("quotes"); }
Test(html, every_heading_has_a_readable_anchor) { check("anchors"); }
Test(html, the_sidebar_and_the_search_link_to_pages_that_exist)
{
    check("nav");
}

static void browse(const char *args)
{
    char all[4096];

    snprintf(all, sizeof all, "build/docs/shots %s", args);
    script("browser.py", all);
}

Test(browser, every_page_read_in_order_loads_and_reads_on_desktop_phone_and_dark)
{
    browse("pages --lessons");
}

Test(browser, a_diff_page_an_api_page_and_a_source_page_load_with_the_sidebar)
{
    browse("pages diff-stage3-send-throw.html stage3-send-throw/task_8h.html "
           "stage5-subtasks/task_8c_source.html");
}

Test(browser, search_finds_task_send_in_more_than_one_stage)
{
    browse("search task_send");
}

Test(browser, search_finds_select_in_more_than_one_stage)
{
    browse("search select");
}

Test(browser, search_for_a_subsection_opens_the_page_at_its_heading)
{
    browse("heading");
}

Test(browser, the_pdf_holds_every_lesson_in_order)
{
    browse("pdf build/docs/course.pdf");
}
