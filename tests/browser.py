#!/usr/bin/env python3
"""tests/browser.py HTML_DIR SHOTS pages PAGE...
   tests/browser.py HTML_DIR SHOTS search WORD
   tests/browser.py HTML_DIR SHOTS heading
   tests/browser.py HTML_DIR SHOTS pdf PDF
Open the course's site in headless Chromium and check it as a reader sees
it; exit 1 on a problem, with one line for each.

pages: open each PAGE (a path under HTML_DIR; --lessons stands for the
  course page and every page of every lesson, as the sidebar lists them,
  the Performance page included); each must load without a
  console error, an uncaught exception or a failed request, and show the
  course's sidebar with every lesson in it, and no anchor named
  autotoc_md. A page read in order (body.reading) must, at 1400 px and at
  400 px wide, not scroll sideways; its previous and next links must be
  the pages before and after it in the sidebar's order; with the system
  set to dark, the background of its body and of its code must change.
  Screenshots: SHOTS/<page>.png, <page>-phone.png, <page>-dark.png.
search: type WORD into the search box of the course page and wait for the
  results; they must come from more than one stage. The screenshot is
  SHOTS/search-<WORD>.png.
heading: find a ### heading of a lesson (an h2 of the page) whose title
  no other entry of the search has, search for its title on the course
  page and press Enter: the page must open at that heading.
pdf: the PDF (pdftotext, of poppler-utils) must hold every lesson's title,
  in the sidebar's order, each at the top of a page.

Chromium is driven over its DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ended by a NUL byte on fds 3 and 4),
so no package beyond Chromium is needed. Nothing here measures time: a wait
polls, and gives up only after GUARD seconds, as a hang guard.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

GUARD = 120


class Browser:
    def __init__(self):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            raise SystemExit("chromium is not installed (tests/install-deps)")
        self.profile = tempfile.mkdtemp(prefix="course-chromium-")
        to_chrome, self.out = os.pipe()
        self.inp, from_chrome = os.pipe()

        def fds():  # in the child: its pipe ends as fds 3 and 4, no other
            a, b = os.dup(to_chrome), os.dup(from_chrome)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.closerange(5, os.sysconf("SC_OPEN_MAX"))

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-pipe", "--no-first-run",
             "--user-data-dir=" + self.profile, "--window-size=1280,900",
             "--allow-file-access-from-files", "about:blank"],
            close_fds=False, preexec_fn=fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome)
        os.close(from_chrome)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})
            self.session = self.call("Target.attachToTarget", {
                "targetId": target["targetId"], "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(domain + ".enable")
        except BaseException:
            self.close()
            raise

    def send(self, method, params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self.out, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def receive(self):
        while b"\0" not in self.buf:
            if not select.select([self.inp], [], [], GUARD)[0]:
                raise SystemExit("chromium did not answer in %d s" % GUARD)
            chunk = os.read(self.inp, 1 << 20)
            if not chunk:
                raise SystemExit("chromium went away")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None):
        want = self.send(method, params)
        while True:
            msg = self.receive()
            if msg.get("id") == want:
                if "error" in msg:
                    raise SystemExit("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method):
        deadline = time.monotonic() + GUARD
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    del self.events[i]
                    return e
            self.events.append(self.receive())
        raise SystemExit("no %s in %d s" % (method, GUARD))

    def eval(self, expr):
        r = self.call("Runtime.evaluate",
                      {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise SystemExit("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def poll(self, expr, what):
        """Evaluate expr until it is true; stop at the first error on the
        page, or after GUARD seconds."""
        deadline = time.monotonic() + GUARD
        while time.monotonic() < deadline:
            v = self.eval(expr)
            if v:
                return v
            bad = self.errors(keep=True)
            if bad:
                raise SystemExit("%s: %s" % (what, "; ".join(bad)))
            time.sleep(0.1)
        raise SystemExit("%s: not within %d s" % (what, GUARD))

    def open(self, url):
        self.events = [e for e in self.events
                       if e.get("method") != "Page.loadEventFired"]
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def errors(self, keep=False):
        """What went wrong on the page so far: console errors, exceptions,
        failed loads; forgotten unless keep."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p["type"] in (
                    "error", "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", "")))
                    for a in p["args"])))
            elif m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception: %s" % d.get("exception", {}).get(
                    "description", d.get("text")))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append("log: %s %s" % (p["entry"]["text"],
                                           p["entry"].get("url", "")))
            elif m == "Network.loadingFailed":
                out.append("failed to load: %s" % p.get("errorText"))
        if not keep:
            self.events = []
        return out

    def shot(self, path):
        png = self.call("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as f:
            f.write(base64.b64decode(png["data"]))

    def close(self):
        try:
            self.call("Browser.close")
        except (SystemExit, OSError):
            pass
        try:
            self.proc.wait(GUARD)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.out)
        os.close(self.inp)
        shutil.rmtree(self.profile, ignore_errors=True)


SIDEBAR = """(function () {
  var nav = document.getElementById('course-nav');
  if (!nav) return 'no sidebar';
  var n = nav.querySelectorAll('details.stage').length;
  var want = window.COURSE_NAV ? window.COURSE_NAV.stages.length : -1;
  if (n < 1 || n !== want) return 'sidebar lists ' + n + ' of ' + want +
    ' lessons';
  if (!document.getElementById('course-bar')) return 'no course bar';
  return '';
})()"""


def shot_name(page, how=""):
    return page.replace("/", "_").replace(".html", "") + how + ".png"


# The sidebar's pages in its order, and this page's previous and next.
PAGER = """(function () {
  var order = Array.from(document.querySelectorAll(
    '#course-tree > ul.top > li > a, #course-tree summary > a, ' +
    '#course-tree ul.extra a')).map(function (a) { return a.href; });
  var at = order.indexOf(location.href.split('#')[0]);
  var prev = document.querySelector('nav.pager a.prev');
  var next = document.querySelector('nav.pager a.next');
  var want = [order[at - 1] || null, order[at + 1] || null];
  var got = [prev ? prev.href : null, next ? next.href : null];
  if (at < 0) return 'the page is not in the sidebar';
  if (want[0] !== got[0]) return 'previous is ' + got[0] + ', not ' + want[0];
  if (want[1] !== got[1]) return 'next is ' + got[1] + ', not ' + want[1];
  return '';
})()"""

WIDTH = """(function () {
  var d = document.documentElement;
  return d.scrollWidth > d.clientWidth ?
    'scrolls sideways: ' + d.scrollWidth + ' px wide in ' + d.clientWidth : '';
})()"""

COLOURS = """(function () {
  var code = document.querySelector('div.fragment, pre.diff, pre.hl');
  return [getComputedStyle(document.body).backgroundColor,
          code ? getComputedStyle(code).backgroundColor : null];
})()"""


def view(b, width, dark=False):
    b.call("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1,
        "mobile": width < 600})
    b.call("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-color-scheme", "value": "dark" if dark
         else "light"}]})


def reading_checks(b, shots, page):
    """The checks of a page read in order; the window is 1400 px wide,
    light, when they start and when they end."""
    bad = []
    problem = b.eval(PAGER)
    if problem:
        bad.append(problem)
    problem = b.eval(WIDTH)
    if problem:
        bad.append("at 1400 px: " + problem)
    light = b.eval(COLOURS)
    view(b, 400)
    b.eval("document.body.offsetWidth")  # lay the page out again
    problem = b.eval(WIDTH)
    if problem:
        bad.append("at 400 px: " + problem)
    b.shot(os.path.join(shots, shot_name(page, "-phone")))
    view(b, 1400, dark=True)
    dark = b.eval(COLOURS)
    b.shot(os.path.join(shots, shot_name(page, "-dark")))
    view(b, 1400)
    if dark[0] == light[0]:
        bad.append("dark mode leaves the body's background %s" % light[0])
    if light[1] is not None and dark[1] == light[1]:
        bad.append("dark mode leaves the code's background %s" % light[1])
    return bad


def lesson_pages(html_dir):
    """The course page, every page of every lesson, and the sidebar's other
    pages, from nav.js."""
    with open(os.path.join(html_dir, "nav.js"), encoding="utf-8") as f:
        text = f.read()
    nav = json.loads(text[text.index("=") + 1:].strip().rstrip(";"))
    pages = [nav["course"]["url"]]
    for s in nav["stages"]:
        pages += [s["url"]] + [p["url"] for p in s["extra"]]
    return pages + [p["url"] for p in nav["extra"]]


def check_pages(b, html_dir, shots, pages):
    bad = []
    if "--lessons" in pages:
        i = pages.index("--lessons")
        pages = pages[:i] + lesson_pages(html_dir) + pages[i + 1:]
    for page in pages:
        path = os.path.join(html_dir, page)
        if not os.path.exists(path):
            bad.append("%s: no such page" % page)
            continue
        b.open("file://" + os.path.abspath(path))
        problem = b.eval(SIDEBAR)
        b.shot(os.path.join(shots, shot_name(page)))
        if b.eval("!!document.querySelector('[id^=\"autotoc_md\"], "
                  "[href*=\"#autotoc_md\"]')"):
            bad.append("%s: an anchor is named autotoc_md" % page)
        if b.eval("document.body.classList.contains('reading')"):
            bad += ["%s: %s" % (page, p)
                    for p in reading_checks(b, shots, page)]
        errors = b.errors()
        print("%s: %r, %s links in the sidebar, %d errors" % (
            page, b.eval("document.title"), b.eval(
                "document.querySelectorAll('#course-nav a').length"),
            len(errors)))
        bad += ["%s: %s" % (page, e) for e in errors]
        if problem:
            bad.append("%s: %s" % (page, problem))
    return bad


def check_search(b, html_dir, shots, word):
    b.open("file://" + os.path.abspath(os.path.join(html_dir, "index.html")))
    if not b.eval("!!document.getElementById('course-search')"):
        return ["search %s: the course page has no search box" % word] + \
            b.errors()
    b.eval("document.getElementById('course-search').focus()")
    b.call("Input.insertText", {"text": word})
    b.poll("document.querySelectorAll('#course-results li').length > 0 || "
           "/^0 results/.test(document.getElementById('course-results')"
           ".textContent)", "results for " + word)
    stages = b.eval("Array.from(new Set(Array.from(document.querySelectorAll("
                    "'#course-results li')).map(function (li) { return "
                    "li.getAttribute('data-stage'); }))).filter(function (s)"
                    " { return /^stage/.test(s); })")
    b.shot(os.path.join(shots, "search-%s.png" % word))
    bad = ["search %s: %s" % (word, e) for e in b.errors()]
    print("search %s: %s, from %s" % (
        word, b.eval("document.querySelector('#course-results .count')"
                     ".textContent"), ", ".join(stages) or "no stage"))
    if len(stages) < 2:
        bad.append("search %s: results from %d stages, wanted 2 or more" %
                   (word, len(stages)))
    return bad


HEADINGS = """(function () {
  return Array.from(document.querySelectorAll('div.textblock > h2[id]'))
    .map(function (h) {
      return [h.id, h.textContent.replace(/#$/, '').trim()];
    });
})()"""

LANDED = """(function () {
  var h = document.getElementById(location.hash.slice(1));
  if (!h) return 'no element ' + location.hash;
  var top = h.getBoundingClientRect().top;
  return [location.pathname, h.id, h.tagName, top];
})()"""


def check_heading(b, html_dir, shots):
    """Search for a ### heading by its title; Enter must open it."""
    with open(os.path.join(html_dir, "search-data.js"),
              encoding="utf-8") as f:
        text = f.read()
    entries = json.loads(text[text.index("=") + 1:].strip().rstrip(";"))
    names = [e[0].lower() for e in entries]
    pick = None
    for page in lesson_pages(html_dir):
        b.open("file://" + os.path.abspath(os.path.join(html_dir, page)))
        for hid, title in b.eval(HEADINGS):
            if names.count(title.lower()) == 1:
                pick = (page, hid, title)
                break
        if pick:
            break
    if not pick:
        return ["heading: no lesson has a ### heading to search for"]
    page, hid, title = pick
    b.open("file://" + os.path.abspath(os.path.join(html_dir, "index.html")))
    b.eval("document.getElementById('course-search').focus()")
    b.call("Input.insertText", {"text": title})
    b.poll("document.querySelectorAll('#course-results li').length > 0",
           "results for " + title)
    b.events = [e for e in b.events
                if e.get("method") != "Page.loadEventFired"]
    b.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Enter",
                                      "code": "Enter",
                                      "windowsVirtualKeyCode": 13,
                                      "text": "\r"})
    b.wait_event("Page.loadEventFired")
    landed = b.poll(LANDED, "the page of " + title)
    b.shot(os.path.join(shots, "heading.png"))
    bad = ["heading: %s" % e for e in b.errors()]
    print("heading %r of %s: landed at %r" % (title, page, landed))
    if isinstance(landed, str):
        return bad + ["heading %r: %s" % (title, landed)]
    path, got, tag, top = landed
    if not path.endswith("/" + page) or got != hid or tag != "H2":
        bad.append("heading %r: landed at %s#%s (%s), not %s#%s" % (
            title, path, got, tag, page, hid))
    elif not 0 <= top < 100:
        bad.append("heading %r: it is %d px from the top of the window" % (
            title, top))
    return bad


def check_pdf(html_dir, pdf):
    """Every lesson's title, in order, each at the top of a page."""
    if not os.path.exists(pdf):
        return ["pdf: no %s; make docs writes it" % pdf]
    r = subprocess.run(["pdftotext", "-enc", "UTF-8", pdf, "-"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return ["pdf: pdftotext %s: %s" % (pdf, r.stderr.strip())]
    tops = [" ".join(p.split())[:200] for p in r.stdout.split("\f")]
    with open(os.path.join(html_dir, "nav.js"), encoding="utf-8") as f:
        text = f.read()
    nav = json.loads(text[text.index("=") + 1:].strip().rstrip(";"))
    bad, at = [], 0
    for s in nav["stages"]:
        title = " ".join(s["title"].split())
        found = next((i for i in range(at, len(tops))
                      if tops[i].startswith(title)), None)
        if found is None:
            bad.append("pdf: no page after page %d starts with %r" % (
                at + 1, title))
            continue
        print("pdf: %r on page %d" % (title, found + 1))
        at = found + 1
    print("pdf: %d pages" % len(tops))
    return bad


def main(argv):
    if len(argv) < 3 or argv[2] not in ("pages", "search", "heading",
                                        "pdf") or \
            (argv[2] in ("pages", "search", "pdf") and len(argv) < 4):
        sys.stderr.write(__doc__)
        return 2
    html_dir, shots, what, args = argv[0], argv[1], argv[2], argv[3:]
    os.makedirs(shots, exist_ok=True)
    if what == "pdf":
        bad = check_pdf(html_dir, args[0])
        for line in bad:
            print(line)
        print("%s: %d problems" % (what, len(bad)))
        return 1 if bad else 0
    b = Browser()
    try:  # Browser() closes itself if it fails
        if what == "pages":
            bad = check_pages(b, html_dir, shots, args)
        elif what == "heading":
            bad = check_heading(b, html_dir, shots)
        else:
            bad = [p for w in args for p in check_search(b, html_dir, shots,
                                                         w)]
    finally:
        b.close()
    for line in bad:
        print(line)
    print("%s: %d problems" % (what, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
