#!/usr/bin/env python3
"""tests/check_html.py HTML_DIR ROOT [--check NAME]...: read every page of the
generated site in HTML_DIR and print what a reader would see broken; exit 1
if anything is. ROOT is the repository, where the lessons' sources are.

Checks (all by default):
  backticks  a ` in the text of a page: a code span Doxygen did not close
  headings   markup shown as text in a heading: <tt>, <code>, a backtick
  titles     a lesson page whose title is not its lesson's first heading
  spans      inline code in a lesson page that is not a code span of its
             source, or a code span of the source that the page lacks:
             text and code swapped, or a span left open
  lists      a paragraph that starts with "- ": a list shown as text
  links      a local link or image to a file that does not exist
  nav        a page or anchor of the sidebar (nav.js) or of the search
             (search-data.js) that does not exist
"""
import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "docs"))
from htmltree import parse  # noqa: E402

# Where text is code, not prose: listings, scripts, and the source pages.
CODE = {"pre", "code", "script", "style", "tt", "textarea"}


def is_code(n):
    return n.tag in CODE or "fragment" in n.classes() or \
        "line" in n.classes()


def prose(root):
    """(node, text) for each text run of the page that is not code."""
    for n in root.walk():
        if is_code(n) or n.inside(is_code):
            continue
        for c in n.children:
            if isinstance(c, str) and c.strip():
                yield n, c


def source_of(page, html_dir, root):
    """The Markdown source of a page, or None if it is not a lesson page."""
    rel = os.path.relpath(page, html_dir)
    if rel == "index.html":
        return os.path.join(root, "docs", "mainpage.md")
    if rel == "performance.html":
        return os.path.join(root, "docs", "performance.md")
    if rel == "testing.html":
        return os.path.join(root, "docs", "testing.md")
    m = re.fullmatch(r"(stage[0-9][^/]*)/index\.html", rel)
    if m:
        return os.path.join(root, m.group(1), "README.md")
    # Another page of a lesson: Doxygen names stage/page.md md_stage_page.
    m = re.fullmatch(r"(stage[0-9][^/]*)/md_(.*)\.html", rel)
    if m:
        prefix = re.sub(r"[^A-Za-z0-9]", "_", m.group(1)) + "_"
        if m.group(2).startswith(prefix):
            return os.path.join(root, m.group(1),
                                m.group(2)[len(prefix):] + ".md")
    return None


def outside_fences(md):
    """The Markdown without its fenced blocks and HTML comments."""
    md = re.sub(r"<!--.*?-->", "", md, flags=re.S)
    out, fenced = [], False
    for line in md.splitlines(keepends=True):
        if re.match(r"\s*(```|~~~)", line):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("    "):
            out.append(line)
    return "".join(out)


def md_spans(md):
    """The code spans of the Markdown outside its headings, whitespace
    collapsed."""
    body = "".join(line for line in outside_fences(md).splitlines(True)
                   if not re.match(r"#{1,6} ", line))
    spans = re.findall(r"(``?)(?!`)(.+?)(?<!`)\1(?!`)", body, flags=re.S)
    return [" ".join(s.split()) for _, s in spans if "\n\n" not in s]


def first_heading(md):
    m = re.search(r"^# (.*)$", md, flags=re.M)
    if not m:
        return None
    return re.sub(r"\s*\{#[^}]*\}$", "", m.group(1).replace("`", "")).strip()


def check_backticks(page, tree, md):
    for n, t in prose(tree):
        if "`" in t:
            yield "backtick in text: " + " ".join(t.split())[:80]


def check_headings(page, tree, md):
    for n in tree.walk():
        heading = re.fullmatch(r"h[1-6]", n.tag) or "title" in n.classes()
        if not heading:
            continue
        t = n.text()
        for bad in ("<tt>", "</tt>", "<code>", "</code>", "`"):
            if bad in t:
                yield "markup as text in heading: " + " ".join(t.split())


def check_titles(page, tree, md):
    if md is None:
        return
    want = first_heading(md)
    titles = [n for n in tree.walk() if "title" in n.classes()
              and n.tag == "div"]
    got = " ".join(titles[0].text().split()) if titles else None
    if got != want:
        yield "page title %r is not the lesson's first heading %r" % (
            got, want)
    head = [n for n in tree.walk() if n.tag == "title"]
    if head and not head[0].text().strip().endswith(want or ""):
        yield "<title> %r does not end in %r" % (head[0].text(), want)


def check_spans(page, tree, md):
    if md is None:
        return
    want = md_spans(md)
    got = []
    for n in tree.walk():
        if n.tag == "code" and not n.inside(
                lambda p: p.tag == "pre" or "fragment" in p.classes()):
            if n.inside(lambda p: re.fullmatch(r"h[1-6]", p.tag) or
                        "toc" in p.classes()):
                continue
            got.append(" ".join(n.text().split()))
    for s in sorted(set(got) - set(want)):
        yield "inline code not in the source: %r" % s[:80]
    for s in sorted(set(want) - set(got)):
        yield "code span of the source not shown as code: %r" % s[:80]


def check_lists(page, tree, md):
    for n in tree.walk():
        if n.tag != "p":
            continue
        t = n.text().lstrip("\u200d \n")
        if re.match(r"[-*] ", t):
            yield "list item shown as text: " + " ".join(t.split())[:80]


def check_links(page, tree, md):
    here = os.path.dirname(page)
    for n in tree.walk():
        url = n.attrs.get("href") if n.tag in ("a", "link") else \
            n.attrs.get("src") if n.tag in ("img", "script") else None
        if not url or re.match(r"[a-z]+:", url) or url.startswith("#"):
            continue
        path = url.split("#")[0].split("?")[0]
        if path and not os.path.exists(os.path.join(here, path)):
            yield "broken link: " + url


def js_data(path):
    """The JSON value that a data file window.NAME = VALUE; holds."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return json.loads(text[text.index("=") + 1:].strip().rstrip(";"))


def urls(data):
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "url":
                yield v
            else:
                yield from urls(v)
    elif isinstance(data, list):
        if len(data) == 5 and all(isinstance(x, str) for x in data):
            yield data[3]  # a search entry: name, kind, stage, url, text
        else:
            for v in data:
                yield from urls(v)


def check_nav(html_dir):
    """Every URL of the sidebar and the search: its page, and its anchor."""
    ids = {}
    for name in ("nav.js", "search-data.js"):
        path = os.path.join(html_dir, name)
        if not os.path.exists(path):
            yield name, "missing"
            continue
        for url in sorted(set(urls(js_data(path)))):
            page, _, anchor = url.partition("#")
            full = os.path.join(html_dir, page)
            if not os.path.isfile(full):
                yield name, "no page %s" % url
                continue
            if anchor:
                if full not in ids:
                    with open(full, encoding="utf-8") as f:
                        ids[full] = set(re.findall(r'\bid="([^"]*)"',
                                                   f.read()))
                if anchor not in ids[full]:
                    yield name, "no anchor %s" % url


SITE_CHECKS = {"nav": check_nav}
SHOW = 10  # findings shown per page and check

CHECKS = {
    "backticks": check_backticks,
    "headings": check_headings,
    "titles": check_titles,
    "spans": check_spans,
    "lists": check_lists,
    "links": check_links,
}


def main(argv):
    names = []
    while "--check" in argv[:-1]:
        i = argv.index("--check")
        names.append(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) != 2 or any(n not in CHECKS and n not in SITE_CHECKS
                             for n in names):
        sys.stderr.write(__doc__)
        return 2
    html_dir, root = argv
    pages = sorted(os.path.join(d, f) for d, _, fs in os.walk(html_dir)
                   for f in fs if f.endswith(".html"))
    if not pages:
        print("%s: no HTML pages; run make docs" % html_dir)
        return 1
    bad = 0
    for name in names or SITE_CHECKS:
        for where, finding in SITE_CHECKS.get(name, lambda d: [])(html_dir):
            print("%s: %s: %s" % (where, name, finding))
            bad += 1
    page_checks = [n for n in names or CHECKS if n in CHECKS]
    for page in pages if page_checks else []:
        src = source_of(page, html_dir, root)
        md = open(src, encoding="utf-8").read() if src else None
        tree = parse(page)
        for name in page_checks:
            found = list(CHECKS[name](page, tree, md))
            rel = os.path.relpath(page, html_dir)
            for finding in found[:SHOW]:
                print("%s: %s: %s" % (rel, name, finding))
            if len(found) > SHOW:
                print("%s: %s: and %d more" % (rel, name, len(found) - SHOW))
            bad += len(found)
    print("%d pages, %d findings" % (len(pages), bad))
    return 1 if bad else 0


sys.exit(main(sys.argv[1:]))
