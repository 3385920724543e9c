#!/usr/bin/env python3
"""docs/site.py index HTML_DIR: after the Doxygen runs of make docs, give
every heading of every page a readable anchor (#throw-an-error-at-the-yield,
not #autotoc_md23) and a link to it, and number a list that a code block
cut in two from where it left off; then write HTML_DIR/nav.js, the sidebar of every page (the course page, each lesson
with its sections, its diff page, its stage's other pages and its API, the
Performance page), and HTML_DIR/search-data.js, what the sidebar's search
box searches: every section of every page of the course, every file of
every diff page and every source page, and every public name of every
stage, each under its stage.

docs/site.py book HTML_DIR PDF: write HTML_DIR/course.html, the whole
course on one page in reading order (the course page, each lesson with its
other pages, the Performance page; not the diff pages), and print it to
PDF with headless Chromium."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

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


def plain(n):
    """The text of a node without Doxygen's tooltips (div.ttc) and the
    headings' link marks."""
    if isinstance(n, str):
        return n
    if "ttc" in n.classes() or "heading-link" in n.classes():
        return ""
    return "".join(plain(c) for c in n.children)


HEADING = re.compile(r'<h([1-6])><a class="anchor" id="(autotoc_md[0-9]+)">'
                     r'</a>\s*(.*?)</h\1>', re.S)


def slug(title):
    s = re.sub(r"<[^>]*>", "", title)
    s = re.sub(r"&[a-z]+;|&#[0-9]+;", "", s).lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-") or "section"


def polish(path):
    """Readable heading anchors, each with a link a reader can copy; lists
    numbered on from where md-filter marked them."""
    with open(path, encoding="utf-8") as f:
        page = f.read()
    taken = set(re.findall(r'\bid="([^"]*)"', page))
    names = {}

    def anchor(m):
        name = base = slug(m.group(3))
        k = 2
        while name in taken:
            name, k = "%s-%d" % (base, k), k + 1
        taken.add(name)
        names[m.group(2)] = name
        return ('<h%s id="%s">%s<a class="heading-link" href="#%s" '
                'aria-label="Link to this section">#</a></h%s>' % (
                    m.group(1), name, m.group(3).strip(), name, m.group(1)))
    out = HEADING.sub(anchor, page)
    out = re.sub(r'href="#(autotoc_md[0-9]+)"',
                 lambda m: 'href="#%s"' % names.get(m.group(1), m.group(1)),
                 out)
    out = re.sub(r'<!--ol-start=([0-9]+)-->(\s*<ol type="1")',
                 r'\2 start="\1"', out)
    out = re.sub(r'<tr class="markdownTableHead">(\s*(?:<th [^>]*></th>)+'
                 r'</tr>)', r'<tr class="markdownTableHead empty">\1', out)
    if out != page:
        with open(path, "w", encoding="utf-8") as f:
            f.write(out)


def find(tree, pred):
    return next((n for n in tree.walk() if pred(n)), None)


def page_title(tree):
    t = find(tree, lambda n: n.tag == "div" and "title" in n.classes())
    return words(t.text()) if t else ""


def heading_anchor(n):
    if n.attrs.get("id"):
        return n.attrs["id"]
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
            out.append([int(c.tag[1]), words(plain(c)),
                        url + "#" + (heading_anchor(c) or ""), ""])
            continue
        out[-1][3] += " " + plain(c)
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
    pages = [(words(a.text()), stage + "/" + a.attrs["href"])
             for a in parse(path).walk()
             if a.tag == "a" and "el" in a.classes()
             and a.attrs.get("href", "").endswith(".html")]
    with open(os.path.join(html_dir, stage, "index.html"),
              encoding="utf-8") as f:
        lesson = f.read()

    def first_link(page):  # reading order: where the lesson first links it
        at = lesson.find('href="%s' % page[1].split("/", 1)[1])
        return at if at >= 0 else len(lesson)
    return sorted(pages, key=first_link)


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


def source_names(html_dir, stage):
    """(name, kind, url, text) of each source page of a stage: its file's
    name and the names in its code."""
    out = []
    for f in sorted(os.listdir(os.path.join(html_dir, stage))):
        if not f.endswith("_source.html"):
            continue
        tree = parse(os.path.join(html_dir, stage, f))
        code = find(tree, lambda n: "fragment" in n.classes())
        title = page_title(tree).replace(" Source File", "")
        seen = []
        for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}",
                            plain(code) if code else ""):
            if w not in seen:
                seen.append(w)
        out.append([title, "source", stage + "/" + f, " ".join(seen)])
    return out


def diff_files(html_dir, diff):
    """(name, kind, url, text) of each file of a diff page."""
    return [[words(plain(h)), "diff", diff + "#" + h.attrs["id"], ""]
            for h in parse(os.path.join(html_dir, diff)).walk()
            if h.tag == "h2" and "diff-file" in h.classes()]


def course_pages(html_dir):
    """Every page of the course's own text, whose headings polish() fixes."""
    out = [os.path.join(html_dir, f) for f in os.listdir(html_dir)
           if f.endswith(".html")]
    for d in os.listdir(html_dir):
        if re.fullmatch(r"stage[0-9].*", d):
            out += [os.path.join(html_dir, d, f)
                    for f in os.listdir(os.path.join(html_dir, d))
                    if f == "index.html" or f.startswith("md_")]
    return sorted(out)


def index(html_dir):
    for page in course_pages(html_dir):
        polish(page)
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
            for name, kind, u, x in diff_files(html_dir, diff):
                search.append([name, kind, s, u, x])
        for lv, t, u, x in secs:
            search.append([t, "lesson", s, u, x])
        for title, page in stage_pages(html_dir, s):
            entry["extra"].append({"title": title, "url": page})
            for lv, t, u, x in sections(parse(os.path.join(html_dir, page)),
                                        page):
                search.append([t, "lesson", s, u, x])
        entry["api"], names = stage_api(html_dir, s)
        for name, kind, u, x in names + source_names(html_dir, s):
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
    for url in reading_order(nav):
        set_reading(os.path.join(html_dir, url))
    write_js(os.path.join(html_dir, "nav.js"), "COURSE_NAV", nav)
    write_js(os.path.join(html_dir, "search-data.js"), "COURSE_SEARCH",
             search)


def reading_order(nav):
    """The URLs of the pages read in order, as site.js and the sidebar
    list them."""
    out = [nav["course"]["url"]]
    for s in nav["stages"]:
        out += [s["url"]] + [p["url"] for p in s["extra"]]
        out += [s["diff"]["url"]] if s["diff"] else []
    return out + [p["url"] for p in nav["extra"]]


# What a page read in order does not need: Doxygen's menu, which
# site.css hides there, and the jQuery that draws it.
MENU = re.compile(
    r'<link href="tabs\.css"[^>]*>\n|'
    r'<script type="text/javascript" src="(?:jquery|dynsections|menudata|'
    r'menu)\.js"></script>\n|'
    r'<script type="text/javascript">\n/\* @license[^\n]*\n\$\(function'
    r'\(\) \{\n  initMenu\([^\n]*\n\}\);\n/\* @license-end \*/\n'
    r'</script>\n|<div id="main-nav"></div>\n')


def set_reading(path):
    """Lay a page out as text to read (site.css: body.reading), without
    Doxygen's menu."""
    with open(path, encoding="utf-8") as f:
        page = f.read()
    page = page.replace("<body data-course-root=",
                        '<body class="reading" data-course-root=', 1)
    page = MENU.sub("", page)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


def write_js(path, var, data):
    with open(path, "w", encoding="utf-8") as f:
        f.write("window.%s = %s;\n" % (var, json.dumps(
            data, ensure_ascii=False, separators=(",", ":"))))


BOOK_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<title>The course: generators to cooperative multitasking, in C</title>
<link href="doxygen.css" rel="stylesheet" type="text/css"/>
<link href="pygments.css" rel="stylesheet" type="text/css"/>
<link href="site.css" rel="stylesheet" type="text/css"/>
</head>
<body class="reading book">
"""


def book_part(html_dir, url):
    """The title and text of a page, its links made relative to the root."""
    with open(os.path.join(html_dir, url), encoding="utf-8") as f:
        page = f.read()
    start = page.index('<div class="header">')
    end = page.index("<!-- contents -->", start)
    part = page[start:end]
    here = os.path.dirname(url)
    if here:
        part = re.sub(r'\b(href|src)="(?![a-z]+:|#|/)',
                      r'\1="%s/' % here, part)
    return '<section class="book-part">\n%s</div>\n</section>\n' % part


def book(html_dir, pdf):
    with open(os.path.join(html_dir, "nav.js"), encoding="utf-8") as f:
        text = f.read()
    nav = json.loads(text[text.index("=") + 1:].strip().rstrip(";"))
    pages = [u for u in reading_order(nav) if not u.startswith("diff-")]
    out = os.path.join(html_dir, "course.html")
    with open(out, "w", encoding="utf-8") as f:
        f.write(BOOK_HEAD)
        for url in pages:
            f.write(book_part(html_dir, url))
        f.write("</body>\n</html>\n")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        sys.stderr.write("docs/site.py: no chromium to print %s\n" % pdf)
        return 1
    profile = tempfile.mkdtemp(prefix="course-pdf-")
    try:
        r = subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--user-data-dir=" + profile,
             "--no-pdf-header-footer", "--print-to-pdf=" + os.path.abspath(
                 pdf), "file://" + os.path.abspath(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if r.returncode != 0 or not os.path.exists(pdf):
        sys.stderr.write("docs/site.py: chromium could not print %s:\n%s" % (
            pdf, r.stderr.decode(errors="replace")[-2000:]))
        return 1
    return 0


def main(argv):
    if len(argv) == 2 and argv[0] == "index":
        index(argv[1])
        return 0
    if len(argv) == 3 and argv[0] == "book":
        return book(argv[1], argv[2])
    sys.stderr.write(__doc__)
    return 2


sys.exit(main(sys.argv[1:]))
