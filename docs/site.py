#!/usr/bin/env python3
"""docs/site.py index HTML_DIR: after the Doxygen runs of make docs, write
HTML_DIR/nav.js, the sidebar of every page (the course page, each lesson
with its sections, its diff page, its stage's other pages and its API, the
Performance page), and HTML_DIR/search-data.js, what the sidebar's search
box searches: every section of every page of the course and every public
name of every stage, each under its stage."""
import json
import os
import re
import sys

sys.dont_write_bytecode = True
from htmltree import parse  # noqa: E402

KINDS = {
    "Macro Definition Documentation": "macro",
    "Typedef Documentation": "typedef",
    "Enumeration Type Documentation": "enum",
    "Function Documentation": "function",
    "Variable Documentation": "variable",
    "Field Documentation": "field",
}


def words(s):
    return " ".join(s.split())


def find(tree, pred):
    return next((n for n in tree.walk() if pred(n)), None)


def page_title(tree):
    t = find(tree, lambda n: n.tag == "div" and "title" in n.classes())
    return words(t.text()) if t else ""


def heading_anchor(n):
    a = find(n, lambda m: m.tag == "a" and m.attrs.get("id"))
    return a.attrs["id"] if a else None


def sections(tree, url):
    """(level, title, url#anchor, text) of each section of a page; the text
    before the first heading belongs to the page itself."""
    block = find(tree, lambda n: "textblock" in n.classes())
    if block is None:
        return []
    out = [[0, page_title(tree), url, ""]]
    for c in block.children:
        if not isinstance(c, str) and re.fullmatch(r"h[1-6]", c.tag):
            out.append([int(c.tag[1]), words(c.text()),
                        url + "#" + (heading_anchor(c) or ""), ""])
            continue
        out[-1][3] += " " + (c if isinstance(c, str) else c.text())
    return [(lv, t, u, words(x)) for lv, t, u, x in out]


def api_names(tree, url, prefix):
    """(name, kind, url#anchor, text) of each documented name of an API
    page (a header's or a struct's)."""
    contents = find(tree, lambda n: "contents" in n.classes())
    kind, out = "name", []
    for n in contents.walk() if contents else []:
        if n.tag == "h2" and "groupheader" in n.classes():
            kind = KINDS.get(words(n.text()), "name")
        elif n.tag == "h2" and "memtitle" in n.classes():
            a = find(n, lambda m: m.tag == "a" and m.attrs.get("href"))
            name = words(n.text()).lstrip("\u25c6 \u00a0")
            out.append([prefix + name, kind, url + a.attrs["href"], ""])
        elif "memdoc" in n.classes() and out:
            out[-1][3] = words(n.text())
        elif n.tag == "td" and "fieldname" in n.classes() and kind == "enum":
            a = find(n, lambda m: m.tag == "a" and m.attrs.get("id"))
            if a:
                out.append([words(n.text()), "enum value",
                            url + "#" + a.attrs["id"], ""])
    return out


def stage_pages(html_dir, stage):
    """(title, url) of each page of a stage besides its lesson."""
    path = os.path.join(html_dir, stage, "pages.html")
    if not os.path.exists(path):
        return []
    return [(words(a.text()), stage + "/" + a.attrs["href"])
            for a in parse(path).walk()
            if a.tag == "a" and "el" in a.classes()
            and a.attrs.get("href", "").endswith(".html")]


def stage_api(html_dir, stage):
    """The sidebar's API links of a stage, and its names for the search."""
    files = parse(os.path.join(html_dir, stage, "files.html"))
    links, names = [], []
    for a in files.walk():
        href = a.attrs.get("href", "") if a.tag == "a" else ""
        if "el" in a.classes() and href.endswith("_8h.html"):
            url = stage + "/" + href
            links.append({"title": words(a.text()), "url": url})
            names.append([words(a.text()), "header", url, ""])
            tree = parse(os.path.join(html_dir, stage, href))
            names += api_names(tree, url, "")
    for f in sorted(os.listdir(os.path.join(html_dir, stage))):
        if re.fullmatch(r"struct[^.]*\.html", f):
            tree = parse(os.path.join(html_dir, stage, f))
            struct = page_title(tree).replace(" Struct Reference", "")
            url = stage + "/" + f
            names.append(["struct " + struct, "struct", url,
                          words(find(tree, lambda n: "contents" in
                                     n.classes()).text())[:2000]])
            names += api_names(tree, url, struct + ".")
    links.append({"title": "structs", "url": stage + "/annotated.html"})
    links.append({"title": "sources", "url": stage + "/files.html"})
    return links, names


def index(html_dir):
    stages = sorted(d for d in os.listdir(html_dir)
                    if re.fullmatch(r"stage[0-9].*", d))
    course = parse(os.path.join(html_dir, "index.html"))
    nav = {"course": {"title": "The course", "url": "index.html"},
           "stages": [], "extra": []}
    search = []
    for lv, t, u, x in sections(course, "index.html"):
        search.append([t, "page", "the course", u, x])
    for s in stages:
        url = s + "/index.html"
        lesson = parse(os.path.join(html_dir, url))
        secs = sections(lesson, url)
        entry = {"dir": s, "title": page_title(lesson), "url": url,
                 "sections": [{"title": t, "url": u}
                              for lv, t, u, x in secs if lv == 1],
                 "diff": None, "extra": []}
        diff = "diff-%s.html" % s
        if os.path.exists(os.path.join(html_dir, diff)):
            title = page_title(parse(os.path.join(html_dir, diff)))
            entry["diff"] = {"title": title.split(": ", 1)[-1].capitalize(),
                             "url": diff}
        for lv, t, u, x in secs:
            search.append([t, "lesson", s, u, x])
        for title, page in stage_pages(html_dir, s):
            entry["extra"].append({"title": title, "url": page})
            for lv, t, u, x in sections(parse(os.path.join(html_dir, page)),
                                        page):
                search.append([t, "lesson", s, u, x])
        entry["api"], names = stage_api(html_dir, s)
        for name, kind, u, x in names:
            search.append([name, kind, s, u, x])
        nav["stages"].append(entry)
    perf = parse(os.path.join(html_dir, "performance.html"))
    nav["extra"].append({"title": page_title(perf),
                         "url": "performance.html"})
    for lv, t, u, x in sections(perf, "performance.html"):
        search.append([t, "Performance", "the course", u, x])
    testing = parse(os.path.join(html_dir, "testing.html"))
    nav["extra"].append({"title": page_title(testing),
                         "url": "testing.html"})
    for lv, t, u, x in sections(testing, "testing.html"):
        search.append([t, "Testing", "the course", u, x])
    write_js(os.path.join(html_dir, "nav.js"), "COURSE_NAV", nav)
    write_js(os.path.join(html_dir, "search-data.js"), "COURSE_SEARCH",
             search)


def write_js(path, var, data):
    with open(path, "w", encoding="utf-8") as f:
        f.write("window.%s = %s;\n" % (var, json.dumps(
            data, ensure_ascii=False, separators=(",", ":"))))


def main(argv):
    if len(argv) == 2 and argv[0] == "index":
        index(argv[1])
        return 0
    sys.stderr.write(__doc__)
    return 2


sys.exit(main(sys.argv[1:]))
