#!/usr/bin/env python3
"""docs/diffpage.py OUT_DIR: for each stage N after the first, write
OUT_DIR/diff-stageN.md, a page of the course, and OUT_DIR/diff-stageN.html,
the page's body: the output of make -s diff FROM=N-1 TO=N, one section per
file, each line coloured as added, removed or kept and its code highlighted
by Pygments as C, Make or Markdown; and OUT_DIR/pygments.css, the colours
of Pygments' classes."""
import html
import os
import re
import subprocess
import sys

from pygments import lex
from pygments.formatters import HtmlFormatter
from pygments.lexers import (CLexer, MakefileLexer, MarkdownLexer,
                             TextLexer)
from pygments.token import STANDARD_TYPES

FILE_START = re.compile(r"(diff |Only in )")


def lexer_for(name):
    if name.endswith((".c", ".h")):
        return CLexer(stripnl=False, ensurenl=False)
    if os.path.basename(name).startswith("Makefile") or name.endswith(".mk"):
        return MakefileLexer(stripnl=False, ensurenl=False)
    if name.endswith(".md"):
        return MarkdownLexer(stripnl=False, ensurenl=False)
    return TextLexer(stripnl=False, ensurenl=False)


def starts_file(lines, i):
    """Whether lines[i] opens the diff of another file."""
    line = lines[i]
    if FILE_START.match(line):
        return True
    after_diff = i and lines[i - 1].startswith("diff ")
    if line.startswith("Binary files "):
        return not after_diff
    return (line.startswith("--- ") and i + 1 < len(lines) and
            lines[i + 1].startswith("+++ ") and not after_diff)


def split_files(text):
    """[(title, lines)]: one entry per file the diff names."""
    files = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not files or starts_file(lines, i):
            files.append((file_title(line), []))
        files[-1][1].append(line)
    return files


def file_title(line):
    m = re.match(r"Only in ([^:]*): (.*)", line)
    if m:
        return os.path.join(m.group(1), m.group(2))
    m = re.match(r"diff .* (\S+)$", line)
    if m:
        return m.group(1)
    m = re.match(r"--- (\S+)", line)
    return m.group(1) if m else line


def highlight(code, lexer):
    """Pygments' tokens of code as HTML spans, split into lines."""
    out, cur = [], ""
    for tok, value in lex(code, lexer):
        cls = STANDARD_TYPES.get(tok) or STANDARD_TYPES.get(tok.parent, "")
        for i, part in enumerate(value.split("\n")):
            if i:
                out.append(cur)
                cur = ""
            if part:
                part = html.escape(part)
                cur += '<span class="%s">%s</span>' % (cls, part) \
                    if cls else part
    out.append(cur)
    return out


def hunks(lines):
    """lines cut before each line that is not code (a header, a hunk's
    @@ line), so that each hunk is highlighted on its own."""
    cut = [[]]
    for line in lines:
        if kind(line) in ("head", "hunk"):
            cut.append([line])
            cut.append([])
        else:
            cut[-1].append(line)
    return [c for c in cut if c]


def highlight_hunk(lines, lexer):
    """The highlighted code of each line of a hunk ("" for a header). A
    hunk that starts inside a C comment is lexed as one."""
    if kind(lines[0]) in ("head", "hunk"):
        return [""]
    code = [l[1:] for l in lines]
    inside = code[0].lstrip().startswith("*") and \
        not code[0].lstrip().startswith("*/")
    if inside and isinstance(lexer, CLexer):
        return highlight("/*\n" + "\n".join(code), lexer)[1:]
    return highlight("\n".join(code), lexer)


def kind(line):
    if line.startswith(("diff ", "--- ", "+++ ", "Only in ", "Binary ")):
        return "head"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "same")


def render_rows(lines, lexer):
    """The rows of a diff: one span a line, marked as added, removed, kept,
    a header or a hunk's @@ line; also for the diffs inside the lessons
    (docs/md-filter)."""
    lit = []
    for hunk in hunks(lines):
        lit += highlight_hunk(hunk, lexer)
    assert len(lit) == len(lines)
    rows = []
    for line, hl in zip(lines, lit):
        k = kind(line)
        if k in ("head", "hunk"):
            rows.append('<span class="%s">%s</span>' % (k, html.escape(line)))
        else:
            rows.append('<span class="%s"><span class="mark">%s</span>%s'
                        '</span>' % (k, html.escape(line[:1] or " "), hl))
    return rows


def render_file(title, lines, anchor):
    rows = render_rows(lines, lexer_for(title))
    added = sum(1 for l in lines if kind(l) == "add")
    removed = sum(1 for l in lines if kind(l) == "del")
    return added, removed, (
        '<h2 class="diff-file" id="%s">%s<a class="heading-link" '
        'href="#%s" aria-label="Link to this file">#</a></h2>\n'
        '<pre class="diff">%s</pre>\n' % (anchor, html.escape(title),
                                          anchor, "".join(rows)))


def page(prev, stage, text):
    """The Markdown page and its HTML body for the diff of two stages."""
    n = stage_num(stage)
    files = split_files(text)
    index, bodies, seen = [], [], []
    for i, (title, lines) in enumerate(files):
        anchor = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        while anchor in [a for a, _ in seen]:
            anchor += "-%d" % (i + 1)
        seen.append((anchor, title))
        added, removed, body = render_file(title, lines, anchor)
        bodies.append(body)
        if lines[0].startswith("Only in "):
            count = "new" if title.startswith(stage + "/") else "gone"
        elif any(line.startswith("Binary files ") for line in lines[:2]):
            count = "binary"
        elif "--- /dev/null" in lines[:3]:
            count = 'new, <span class="add">+%d</span>' % added
        else:
            count = '<span class="add">+%d</span> <span class="del">' \
                '&minus;%d</span>' % (added, removed)
        index.append('<li><a href="#%s">%s</a> %s</li>' % (
            anchor, html.escape(title), count))
    body = '<ul class="diff-index">\n%s\n</ul>\n%s' % (
            "\n".join(index), "".join(bodies))
    md = ("# Stage %s: what changed since stage %s {#diff-%s}\n\n"
          "What [%s](%s/index.html) adds to [%s](%s/index.html): the "
          "output of `make -s diff FROM=%s TO=%s`, %d lines in %d files. "
          "A line that starts with `+` is new in stage %s; one that starts "
          "with `-` was in stage %s and is gone. The lessons are left out "
          "(`make diff LESSONS=1` adds them).\n\n"
          "\\htmlinclude[block] diff-%s.html\n" % (
              n, stage_num(prev), stage, stage, stage, prev, prev,
              stage_num(prev), n, len(text.splitlines()), len(files), n,
              stage_num(prev), stage))
    return md, body


def style_sheet():
    """Pygments' colours for the diffs and the Python blocks; darker ones
    when the reader's system is set to dark."""
    where = ["pre.diff", "pre.hl"]
    dark = HtmlFormatter(style="github-dark").get_style_defs(where)
    return "%s\n@media screen and (prefers-color-scheme: dark) {\n%s\n}\n" % (
        HtmlFormatter(style="default").get_style_defs(where), dark)


def stage_num(stage):
    return re.match(r"stage([0-9]+)", stage).group(1)


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    out = argv[0]
    os.makedirs(out, exist_ok=True)
    stages = sorted(d for d in os.listdir(".")
                    if re.fullmatch(r"stage[0-9]-.*", d) and os.path.isdir(d))
    with open(os.path.join(out, "pygments.css"), "w") as f:
        f.write(style_sheet())
    for prev, stage in zip(stages, stages[1:]):
        r = subprocess.run(["make", "-s", "diff", "FROM=" + stage_num(prev),
                            "TO=" + stage_num(stage)], capture_output=True,
                           text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            return 1
        md, body = page(prev, stage, r.stdout)
        with open(os.path.join(out, "diff-%s.md" % stage), "w") as f:
            f.write(md)
        with open(os.path.join(out, "diff-%s.html" % stage), "w") as f:
            f.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
