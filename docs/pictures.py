#!/usr/bin/env python3
"""docs/pictures.py build DIR: run the traced programs and draw the lessons'
pictures into DIR, one SVG each (make docs, before Doxygen, which copies
the pictures a lesson shows next to its page).
docs/pictures.py check DIR [PICTURE...]: run the programs again, draw
again, and fail if a picture in DIR (or in DIR/<its stage>/, where
Doxygen put it) differs from the one the run draws now.
docs/pictures.py lessons: fail unless each lesson shows at least two
pictures, each one drawn here, and each picture drawn here is shown.

Each picture comes from one run of `make trace` (tests/trace.py's
Chrome trace-event JSON, with the stdout the run printed), never from a
hand-made file. The SVG names its run and holds a SHA-256 digest of the
events it was drawn from, so that check can say whether the run or the
drawing changed. The SVG's <desc> is its text alternative: what the run
printed. Colours are CSS variables with a dark variant
(prefers-color-scheme), as Doxygen shows an SVG in an <object>.
PICTURES_ONLY=PREFIX draws (or checks) only the pictures whose names
start with PREFIX, as in PICTURES_ONLY=stage3.
"""
import hashlib
import html
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FONT = 13          # px, at the picture's own width
CH = 7.4           # the width of a character at FONT, about
ROW = 20           # one slice, in pictures drawn in resume order
WAIT = 16          # room for the wait that follows a slice
LANE = 64          # one lane's width
GAP = 6


def esc(text):
    return html.escape(str(text), quote=True)


# --- the runs -----------------------------------------------------------

class Run:
    """One traced run: its events and what it printed."""

    def __init__(self, prog, args, where, client=None):
        self.prog, self.args = prog, args
        self.command = "make trace PROG=%s ARGS=%s" % (
            prog, shlex.quote(args))
        if client:
            self.command += ", %s" % client.__doc__.strip()
        name = os.path.basename(prog)
        if client:  # a server: run it, talk to it, stop it with SIGINT
            serve(prog, args, where, client)
            base = os.path.join(where, name)
        else:  # a directory of its own, apart from make trace's default
            subprocess.run(["make", "-s", "trace", "PROG=" + prog,
                            "ARGS=" + args, "TRACE=" + where], cwd=ROOT,
                           check=True, stdout=subprocess.DEVNULL)
            base = os.path.join(where, name)
        with open(base + ".json", encoding="utf-8") as f:
            trace = json.load(f)
        with open(base + ".out", "rb") as f:
            self.out = f.read()
        self.names = {}
        self.events = []
        for e in trace["traceEvents"]:
            if e.get("ph") == "M" and e.get("name") == "thread_name":
                self.names[e["tid"]] = e["args"]["name"]
            elif e.get("ph") == "X":
                self.events.append(e)
        same, files = {}, {}  # two tasks of one name: by their files
        for e in self.events:
            same.setdefault(self.names.get(e["tid"]), set()).add(e["tid"])
            files.setdefault(e["tid"], e["args"].get("file"))
        for name, tids in same.items():
            for t in tids:
                if len(tids) > 1 and files.get(t):
                    self.names[t] = "%s (%s)" % (name, files[t])
        self.events.sort(key=lambda e: e["ts"])  # stable: as they ran
        # A program with a virtual clock: ts is its time, args.clock too.
        self.clock = any(e["args"].get("clock") is not None
                         for e in self.events)
        for e in self.events:
            e["text"] = self.printed(e)

    def printed(self, e):
        span = e["args"].get("stdout")
        if not span:
            return ""
        return self.out[span[0]:span[1]].decode("utf-8", "replace")

    def resumes(self):
        return [e for e in self.events if e.get("cat") == "resume"]

    def waits(self):
        return [e for e in self.events if e.get("cat") == "wait"]

    def digest(self, basis=None):
        """The events as drawn: what a picture depends on, not where the
        bytes of the output happen to sit."""
        canon = [[self.names.get(e["tid"]), e.get("cat"), e["ts"], e["dur"],
                  {k: v for k, v in sorted(e["args"].items())
                   if k != "stdout"}, e["text"]] for e in self.events]
        blob = json.dumps(canon if basis is None else basis,
                          sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def serve(prog, args, where, client):
    """make trace a server: start it in a session of its own, let client
    talk to it on a free port, then stop the server (not make) with
    SIGINT, so that make trace goes on to write the JSON."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    make = subprocess.Popen(["make", "-s", "trace", "PROG=" + prog,
                             "ARGS=--port %d %s" % (port, args),
                             "TRACE=" + where], cwd=ROOT,
                            stdout=subprocess.DEVNULL, start_new_session=True)
    exe = os.path.join(where, "bin", prog)
    try:
        for _ in range(1200):  # a hang guard, not a timing: 2 minutes
            try:
                conn = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                if make.poll() is not None:
                    raise SystemExit("pictures: %s did not start" % prog)
                time.sleep(0.1)
        else:
            raise SystemExit("pictures: %s does not listen" % prog)
        with conn:
            client(conn)
    finally:
        for pid in (int(d) for d in os.listdir("/proc") if d.isdigit()):
            try:
                if os.readlink("/proc/%d/exe" % pid) == exe and \
                        os.getsid(pid) == make.pid:
                    os.kill(pid, signal.SIGINT)
            except OSError:
                pass
        if make.wait() != 0:
            raise SystemExit("pictures: make trace of %s failed" % prog)


def one_request(conn):
    """one request: GET / with Connection: close"""
    conn.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n"
                 b"Connection: close\r\n\r\n")
    while conn.recv(65536):
        pass


# --- SVG ------------------------------------------------------------------

STYLE = """
svg{--fg:#1f2328;--muted:#57606a;--line:#8c959f;--box:#f6f8fa;--bg:#fff}
@media (prefers-color-scheme:dark){svg{--fg:#e6edf3;--muted:#9da7b3;
--line:#768390;--box:#161b22;--bg:#0d1117}}
.bg{fill:var(--bg)}
text{fill:var(--fg);font-family:sans-serif;font-size:13px}
.m{fill:var(--muted)}
.s{font-size:11px}
.c{font-family:monospace}
.ax{stroke:var(--line);stroke-width:1;fill:none}
.dash{stroke:var(--line);stroke-width:1.5;stroke-dasharray:3 3;fill:none}
.box{fill:var(--box);stroke:var(--line);stroke-width:1}
.arrow{stroke:var(--fg);stroke-width:1.2;fill:none;marker-end:url(#a)}
.tip{fill:var(--fg)}
.l0{fill:#4e79a7;stroke:#4e79a7}.l1{fill:#e15759;stroke:#e15759}
.l2{fill:#59a14f;stroke:#59a14f}.l3{fill:#b07aa1;stroke:#b07aa1}
.l4{fill:#f28e2b;stroke:#f28e2b}.l5{fill:#76b7b2;stroke:#76b7b2}
.mark{stroke:var(--fg);stroke-width:2;stroke-dasharray:6 3}
.sl{fill-opacity:.55;stroke-width:1}
.wt{fill-opacity:.12;stroke-width:1;stroke-dasharray:3 2}
"""


class Svg:
    def __init__(self, title):
        self.title = title
        self.items = []
        self.width = self.height = 0

    def add(self, item, right=0, bottom=0):
        self.items.append(item)
        self.width = max(self.width, right)
        self.height = max(self.height, bottom)

    def text(self, x, y, s, cls="", anchor="start"):
        w = len(s) * CH * (0.85 if "s" in cls.split() else
                           1.1 if "c" in cls.split() else 1)
        left = x - w if anchor == "end" else x - w / 2 if anchor == "middle" \
            else x
        self.add('<text x="%.1f" y="%.1f"%s%s>%s</text>' % (
            x, y, ' class="%s"' % cls if cls else "",
            ' text-anchor="%s"' % anchor if anchor != "start" else "",
            esc(s)), left + w + 4, y + 4)

    def rect(self, x, y, w, h, cls, tip=None):
        t = "<title>%s</title>" % esc(tip) if tip else ""
        self.add('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                 'rx="2" class="%s">%s</rect>' % (x, y, w, h, cls, t),
                 x + w + 1, y + h + 1)

    def line(self, x1, y1, x2, y2, cls):
        self.add('<path d="M%.1f %.1fL%.1f %.1f" class="%s"/>' % (
            x1, y1, x2, y2, cls), max(x1, x2) + 1, max(y1, y2) + 1)

    def place(self, other, dy):
        """Draw other below, dy down."""
        self.add('<g transform="translate(0 %d)">\n%s\n</g>' % (
            dy, "\n".join(other.items)), other.width, other.height + dy)

    def render(self, runs, alt, basis=None):
        """The SVG; basis, when given, is what the picture shows of the
        run (for a run whose other details change from run to run)."""
        w, h = int(self.width + 8), int(self.height + 8)
        meta = "\n".join("drawn from: %s\n%s-sha256: %s" % (
            r.command, "events" if basis is None else "shown",
            r.digest(basis)) for r in runs)
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" '
            'width="%d" height="%d" role="img" aria-labelledby="title desc">\n'
            '<title id="title">%s</title>\n<desc id="desc">%s</desc>\n'
            '<metadata>\n%s\n</metadata>\n<style>%s</style>\n'
            '<defs><marker id="a" viewBox="0 0 8 8" refX="7" refY="4" '
            'markerWidth="7" markerHeight="7" orient="auto">'
            '<path d="M0 0L8 4L0 8z" class="tip"/></marker></defs>\n'
            '<rect width="100%%" height="100%%" rx="4" class="bg"/>\n'
            '%s\n</svg>\n' % (w, h, w, h, esc(self.title), esc(alt), esc(meta),
                              STYLE, "\n".join(self.items)))


def printed_alt(run, lines=None):
    """The text alternative: the output the picture was drawn from."""
    out = run.out.decode("utf-8", "replace")
    return "What %s printed:\n%s" % (run.command, out if lines is None
                                    else "".join(lines))


# --- lanes ------------------------------------------------------------

def containers(res):
    """For each resume, the resume it ran inside of, if any: a scheduler
    that is a task runs its tasks inside its own slice."""
    outer, open_ = {}, []
    for e in res:
        while open_ and open_[-1]["ts"] + open_[-1]["dur"] <= e["ts"]:
            open_.pop()
        outer[id(e)] = open_[-1] if open_ else None
        open_.append(e)
    return outer


def slice_label(run, e):
    a = e["args"]
    call, st, v = a.get("call"), a.get("status"), a.get("value")
    parts = []
    if call in ("send", "throw") and v is not None:
        parts.append("%s %s" % (call, v))
    elif call in ("send", "throw", "close", "cleanup"):
        parts.append(call)
    if st not in (None, "yielded"):
        parts.append(st)
    return ", ".join(parts)


def parents(res):
    """Each task's parent: the task whose child it is (stage 5), or the
    scheduler task that resumed it (stage 2 on)."""
    parent = {}
    for e in res:
        p = e["args"].get("parent")
        if p is None:
            p = e["args"].get("caller")
        if p is not None and parent.get(e["tid"]) is None:
            parent[e["tid"]] = p
        parent.setdefault(e["tid"], None)
    return parent


def place_waits(res, waits):
    """Which resume each wait follows: the task's next resume that began
    no later than the wait and after which the task did not run again
    before the wait ended (a plain yield has no wait)."""
    after = {}
    for t in {w["tid"] for w in waits}:
        mine = [e for e in res if e["tid"] == t]
        k = 0
        for w in (w for w in waits if w["tid"] == t):
            j, nxt = k, None
            while j < len(mine) and mine[j]["ts"] <= w["ts"]:
                nxt = mine[j + 1] if j + 1 < len(mine) else None
                if nxt is None or nxt["ts"] >= w["ts"] + w["dur"]:
                    break
                j += 1
            if j < len(mine) and mine[j]["ts"] <= w["ts"]:
                after[id(w)] = (mine[j], nxt)
                k = j + 1
    return after


def lanes(run, title, keep=None, time_axis=False, label=slice_label,
          box="%s and the tasks it runs", t0=0):
    """One column per task; a task that another one runs (the tasks of a
    scheduler that is a task, a child) right of it, inside its box; one
    row per slice, in the order they ran, with what it printed beside it;
    what the program printed between slices, outside any task, in a column
    of its own, main; from stage 4 on, the waits between a task's
    slices."""
    events = [e for e in run.events if keep is None or keep(e)]
    res = [e for e in events if e["cat"] == "resume"]
    waits = [e for e in events if e["cat"] == "wait"]
    outer = containers(res)
    parent = parents(res)
    rows = []  # (event or None for main, the lines it printed)
    end = res[0]["args"]["stdout"][0] if res else 0
    for e in res:
        span = e["args"].get("stdout") or [end, end]
        if outer[id(e)] is None and span[0] > end:
            rows.append((None, run.out[end:span[0]].decode().rstrip(
                "\n").split("\n")))
        if outer[id(e)] is None:
            end = max(end, span[1])
        rows.append((e, own_text(res, outer, e).split("\n")))
    first = []
    for e in res:
        if e["tid"] not in first:
            first.append(e["tid"])
    cols = [None] if any(e is None for e, _ in rows) else []

    def column(t):  # a task, then the tasks it runs, in order of appearance
        cols.append(t)
        for c in first:
            if parent[c] == t:
                column(c)
    for t in first:
        if parent[t] is None or parent[t] not in first:
            column(t)
    placed = place_waits(res, waits)
    svg = Svg(title)
    lane = min(140, max([LANE] + [len(line) * CH * 0.85 + 16
                                  for w in waits if id(w) in placed
                                  for line in wait_lines(w)]))
    left = 56 if time_axis else 8
    x = {t: left + i * (lane + GAP) for i, t in enumerate(cols)}
    levels = max([level(parent, t) for t in cols if t is not None] + [0])
    top = 24 + 16 * levels
    room = {}
    for w in waits:
        if id(w) in placed:
            b = id(placed[id(w)][0])
            room[b] = max(room.get(b, 0), WAIT * len(wait_lines(w)))
    y_of, y, last_ts, gap = {}, top, None, {}
    for e, lines in rows:
        if e is not None:
            y_of[id(e)] = (y, y + ROW * len(lines))
            if time_axis and e["ts"] != last_ts:
                svg.text(48, y + 13, fmt_time(e["ts"] - t0), "s m", "end")
                last_ts = e["ts"]
        gap[id(e)] = room.get(id(e), 0) if e is not None else 0
        y += ROW * len(lines) + gap[id(e)]
    bottom = y
    for t in cols:  # a box around a task and the tasks that run inside it
        kids = [c for c in cols if c is not None and c != t and
                inside(parent, c, t)]
        if kids:
            lv = level(parent, t)
            x2 = x[kids[-1]] + lane + 3
            svg.rect(x[t] - 3, 4 + 16 * lv, x2 - x[t] + 3,
                     bottom - 16 * lv, "box")
            svg.text(x[t] + 2, 16 + 16 * lv, box % run.names.get(t, ""),
                     "s m")
    for t in cols:
        svg.text(x[t] + lane / 2, top - 8, short(
            "main" if t is None else run.names.get(t, "task %s" % t), lane),
            "s m" if t is None else "s", "middle")
        svg.line(x[t] + lane / 2, top - 2, x[t] + lane / 2, bottom, "ax")
    text_x = left + len(cols) * (lane + GAP) + 4
    y = top
    for e, lines in rows:
        if e is None:
            svg.text(x[None] + lane / 2, y + 14, "(not a task)", "s m",
                     "middle")
        else:
            t = e["tid"]
            last = [o for o in res if within(outer, o, e)] or [e]
            y2 = y_of[id(last[-1])][1]
            svg.rect(x[t] + 2, y + 2, lane - 4, y2 - y - 4,
                     "sl l%d" % (cols.index(t) % 6), tip=tip(run, e))
            lab = label(run, e)
            if lab:
                svg.text(x[t] + lane / 2, y + 14, short(lab, lane - 4), "s",
                         "middle")
        for k, line in enumerate(lines):
            if line:
                svg.text(text_x, y + 14 + k * ROW, line, "c")
        y += ROW * len(lines) + gap[id(e)]
    for w in waits:
        if id(w) not in placed:
            continue
        t = w["tid"]
        before, nxt = placed[id(w)]
        y1 = y_of[id(before)][1] - 2
        y2 = y_of[id(nxt)][0] + 2 if nxt else y1 + room[id(before)] + 4
        cx = x[t] + 8
        svg.rect(cx - 3, y1, 6, max(y2 - y1, 2), "wt l%d" % (
            cols.index(t) % 6), tip="%s: %s (%s)" % (
                run.names.get(t), w["name"], w["args"].get("outcome")))
        for k, line in enumerate(wait_lines(w)):
            svg.text(cx + 6, y1 + WAIT / 2 + 6 + WAIT * k,
                     short(line, lane - 14), "s m")
    return svg


def wait_lines(w):
    """A wait's label: what it waited for, and how it ended unless done."""
    out = w["args"].get("outcome")
    name = "waits for its child" if w["args"].get("kind") == "child" \
        else w["name"]
    return [name] + ([] if out in (None, "done") else [out])


def inside(parent, t, p):
    while parent.get(t) is not None:
        t = parent[t]
        if t == p:
            return True
    return False


def level(parent, t):
    n = 0
    while parent.get(t) is not None:
        t, n = parent[t], n + 1
    return n


def within(outer, o, e):
    while outer.get(id(o)) is not None:
        o = outer[id(o)]
        if o is e:
            return True
    return False


def own_text(res, outer, e):
    """What a slice printed itself, not inside the slices nested in it."""
    return e["text"].rstrip("\n") if not any(
        outer[id(o)] is e and o["text"] for o in res) else ""


def short(s, width):
    n = max(3, int(width / (CH * 0.85)))
    return s if len(s) <= n else s[:n - 1] + "…"


def fmt_time(ts):
    return "@%g" % round(ts / 1e6, 3)


def tip(run, e):
    a = e["args"]
    return "%s: %s at %s:%s, %s%s at line %s" % (
        run.names.get(e["tid"]), a.get("call"),
        os.path.basename(a.get("file") or "?"), a.get("from_line"),
        a.get("status"), "" if a.get("value") is None
        else " " + str(a.get("value")), a.get("to_line"))


# --- a body's resume points ----------------------------------------------

def source_line(run, path, n):
    """Line n of a source file the trace names, relative to the stage."""
    with open(os.path.join(ROOT, os.path.dirname(run.prog), path),
              encoding="utf-8") as f:
        return f.read().split("\n")[n - 1].strip()


def machine(run, tid, title):
    """The states one body went through: each resume point the run visited
    (the case labels of its switch), and each resume as an edge, labelled
    with how many resumes took it and what they printed."""
    mine = [e for e in run.resumes() if e["tid"] == tid]
    nodes, edges = [], {}
    for e in mine:
        a = e["args"]
        to = "done" if a["status"] != "yielded" else a["to_line"]
        for n in (a["from_line"], to):
            if n not in nodes:
                nodes.append(n)
        edges.setdefault((a["from_line"], to), []).append(e)
    path = mine[0]["args"].get("file") or ""
    svg = Svg(title)
    bw, bh, step = 250, 40, 100
    y = {n: 10 + k * step for k, n in enumerate(nodes)}
    for n in nodes:
        svg.rect(40, y[n], bw, bh, "box")
        if n == "done":
            svg.text(50, y[n] + 17, "TASK_DONE: the body returned", "")
            svg.text(50, y[n] + 33, "and the task is finished", "s m")
        elif n == 0:
            svg.text(50, y[n] + 17, "case 0: the body's first line", "")
            svg.text(50, y[n] + 33, "where a new task starts", "s m")
        else:
            svg.text(50, y[n] + 17, "case %d: after line %d of %s" % (
                n, n, os.path.basename(path)), "")
            svg.text(50, y[n] + 33, source_line(run, path, n), "s c")
    for (a, b), es in edges.items():
        said = [e["text"].strip() for e in es if e["text"].strip()]
        what = "%d resume%s" % (len(es), "" if len(es) == 1 else "s")
        if said:
            what += ", printed " + (said[0] if len(said) == 1 else
                                    "%s … %s" % (said[0], said[-1]))
        if a == b:  # a self-loop on the right
            yy = y[a] + bh / 2
            svg.add('<path d="M%d %dC%d %d %d %d %d %d" class="arrow"/>' % (
                40 + bw, yy - 8, 40 + bw + 40, yy - 30, 40 + bw + 40, yy + 30,
                40 + bw + 2, yy + 8), 40 + bw + 44, yy + 32)
            first, _, rest = what.partition(", ")
            svg.text(40 + bw + 44, yy - 4, first + ",", "s")
            svg.text(40 + bw + 44, yy + 12, rest, "s")
            continue
        x0 = 40 + 40 if nodes.index(b) > nodes.index(a) else 40 + bw - 40
        svg.line(x0, y[a] + bh, x0, y[b] - 2, "arrow") if \
            nodes.index(b) == nodes.index(a) + 1 else svg.add(
            '<path d="M40 %dC0 %d 0 %d 38 %d" class="arrow"/>' % (
                y[a] + bh / 2, y[a] + bh / 2, y[b] + bh / 2, y[b] + bh / 2),
            40, y[b] + bh)
        svg.text(x0 + 8, (y[a] + bh + y[b]) / 2 + 4, what, "s")
    return svg


# --- serial against asynchronous -------------------------------------------

def timeline(svg, run, events, x0, top, scale, heading):
    """Slices on a time axis that runs down, one lane per task."""
    order = []
    for e in events:
        if e["tid"] not in order:
            order.append(e["tid"])
    t0 = min(e["ts"] for e in events)
    svg.text(x0, top - 26, heading, "")
    end = 0
    for k, t in enumerate(order):
        lx = x0 + k * 44
        name = run.names.get(t, "task %s" % t).split(" (")[0]  # no file:
        svg.text(lx + 20, top - 8, short(name, 44), "s", "middle")  # 44 px
        for e in (e for e in events if e["tid"] == t):
            y = top + (e["ts"] - t0) / 1e6 * scale
            h = max(e["dur"] / 1e6 * scale, 2)
            svg.rect(lx + 2, y, 36, h - 1, "sl l%d" % k, tip=tip(run, e))
            v = e["args"].get("value")
            if v is not None and h >= 14:
                svg.text(lx + 20, y + h / 2 + 4, "yield " + v if h > 30
                         else v, "s", "middle")
            end = max(end, (e["ts"] + e["dur"] - t0) / 1e6)
    return end


def serial_async(runs):
    serial, asyn = runs
    cut = serial.out.index(b"all tasks finished")
    first = [e for e in serial.resumes() if e["args"]["stdout"][0] < cut]
    scale, top = 16, 44
    svg = Svg("switcher --virtual-time: the same 18 seconds of work, run "
              "serially and by the switcher; task3 first checks in at 15 s "
              "serially and at 6 s with the switcher")
    end = max(timeline(svg, serial, first, 40, top, scale, "serial"),
              timeline(svg, asyn, asyn.resumes(), 200, top, scale,
                       "switcher"))
    for s in range(0, int(end) + 1, 3):
        y = top + s * scale
        svg.text(32, y + 4, "%d s" % s, "s m", "end")
        svg.line(36, y, 340, y, "ax")
    for run, evs, x in ((serial, first, 40), (asyn, asyn.resumes(), 200)):
        t3 = [e for e in evs if run.names.get(e["tid"]) == "task3"]
        if t3:  # where task3 first yields
            at = (t3[0]["ts"] + t3[0]["dur"] - evs[0]["ts"]) / 1e6
            svg.line(x - 2, top + at * scale, x + 132, top + at * scale,
                     "mark")
            svg.text(x + 132, top + end * scale + 18,
                     "task3 first: %g s" % at, "s", "end")
    alt = "Serially:\n%s\nWith the switcher:\n%s" % (
        serial.out[:cut].decode(), asyn.out.decode())
    return svg, alt


# --- the trampoline --------------------------------------------------------

def trampoline(run, title):
    """The way a child's result travels: the parent yields the child, the
    loop (call in io.c) runs it in the parent's place, and give_back sends
    what it returns into the parent, or throws what it raises."""
    res = [e for e in run.resumes() if e["args"].get("call") != "cleanup"]
    svg = Svg(title)
    col = {"parent": 70, "loop": 230, "child": 390}
    for name, x in col.items():
        svg.text(x, 16, {"parent": "the task", "loop": "the loop (io.c)",
                         "child": "its child"}[name], "", "middle")
    y = 48

    def arrow(a, b, label, sub):
        nonlocal y
        x1, x2 = col[a], col[b]
        d = 4 if x2 > x1 else -4
        svg.line(x1 + d, y, x2 - d, y, "arrow")
        svg.text((x1 + x2) / 2, y - 5, label, "s", "middle")
        svg.text((x1 + x2) / 2, y + 14, sub, "s c", "middle")
        y += 44

    for k, e in enumerate(res):
        a = e["args"]
        name = run.names.get(e["tid"], "task")
        v = a.get("value")
        if not a.get("depth"):
            if a.get("call") == "send" and v is not None:
                arrow("loop", "parent", "give_back(): it returned",
                      'task_send(%s, "%s")' % (name, v))
            elif a.get("call") == "throw":
                arrow("loop", "parent", "give_back(): it raised",
                      "task_throw(%s, %s)" % (name, v))
            else:
                arrow("loop", "parent", "step()", "task_resume(%s)" % name)
            if e["text"]:
                for line in e["text"].rstrip("\n").split("\n"):
                    svg.text(col["parent"] - 60, y - 6, line, "c s")
                    y += 20
            if a.get("status") == "yielded" and k + 1 < len(res) and \
                    res[k + 1]["args"].get("depth"):
                arrow("parent", "loop", "%s yields a child" % name, "")
            elif a.get("status") != "yielded":
                svg.text(col["parent"], y - 12, "%s: %s" % (name, a["status"]),
                         "s m", "middle")
                y += 10
        else:
            arrow("loop", "child", "call(): in its parent's place",
                  "task_resume(%s)" % name)
            if a.get("status") == "done":
                arrow("child", "loop", "%s returns" % name, '"%s"' % v)
            elif a.get("status") == "failed":
                arrow("child", "loop", "%s raises" % name, str(v))
            else:
                arrow("child", "loop", name, a.get("status") or "?")
    for x in col.values():
        svg.line(x, 24, x, y - 30, "ax")
    return svg


# --- the loop at one moment ------------------------------------------------

def loop_state(run, at, title):
    """What each task of the loop was doing when the slice `at` began:
    running, ready, or parked on a timer, an fd or a queue."""
    t0 = at["ts"]
    seen = []
    for e in run.events:
        if e["ts"] <= t0 and e["tid"] not in seen:
            seen.append(e["tid"])
    rows = {"running": [], "ready": [], "timer heap": [], "readers": [],
            "writers": [], "queue lines": []}
    for t in seen:
        name = run.names.get(t, "task %s" % t)
        if t == at["tid"]:
            rows["running"].append(name)
            continue
        mine = [e for e in run.events if e["tid"] == t]
        if all(e["ts"] + e["dur"] <= t0 for e in mine) and mine[-1][
                "cat"] == "resume" and mine[-1]["args"].get(
                    "status") not in (None, "yielded"):
            continue  # finished
        w = [e for e in mine if e["cat"] == "wait" and
             e["ts"] <= t0 < e["ts"] + e["dur"]]
        if not w:
            rows["ready"].append(name)
            continue
        w = w[0]
        kind = w["args"].get("kind")
        if kind == "sleep":
            rows["timer heap"].append("%s, until @%g" % (
                name, round((w["ts"] + w["dur"]) / 1e6, 3)))
        elif kind in READS + WRITES:
            rows["readers" if kind in READS else "writers"].append(
                "%s: %s" % (w["name"], name))
        else:
            rows["queue lines"].append("%s: %s" % (w["name"], name))
    svg = Svg(title)
    svg.text(8, 18, "%s, as %s's slice begins" % (
        "at " + fmt_time(t0) if run.clock else "after %d resumes" % len(
            [e for e in run.resumes() if e["ts"] < t0]),
        run.names.get(at["tid"])), "m")
    y = 30
    bw = max([300] + [130 + len(i) * CH * 0.94 + 10 for v in rows.values()
                      for i in v])
    for label, items in rows.items():
        h = 22 + 18 * max(1, len(items))
        svg.rect(8, y, bw, h - 6, "box")
        svg.text(16, y + 16, label, "")
        for k, item in enumerate(items or ["(none)"]):
            svg.text(130, y + 16 + 18 * k, item, "c s" if items else "s m")
        y += h
    return svg


# --- the life of a generator ------------------------------------------------

CALLS = re.compile(rb"^(task_(?:resume|send|throw|close)\([^\n]*\))\n"
                   rb"((?:  [^\n]*\n)*?)  -> ([a-z]+)", re.M)
ENDS = {"done", "failed"}
READS = ("readable", "accept", "recv", "readline")  # as tests/trace.py
WRITES = ("writable", "send", "connect")


def lifecycle(run, title):
    """Every call the run made on a task, as a move between the states of
    a generator: the calls that ran its body from the trace (and its
    cleanup, a slice of its own), the calls that ran no body (refused, or
    on a new or finished task) from what the run printed."""
    res = run.resumes()
    moves = {}

    def move(a, b, what):
        moves.setdefault((a, b), {}).setdefault(what, 0)
        moves[(a, b)][what] += 1

    def state(t, at):  # the state of task t before stdout offset `at`
        before = [e for e in res if e["tid"] == t and
                  e["args"]["stdout"][0] < at]
        if not before:
            return "new"
        return "done" if before[-1]["args"]["status"] in ENDS else \
            "suspended"
    for k, e in enumerate(res):
        a = e["args"]
        call, st = a["call"], a["status"]
        if call == "cleanup":
            move("cleanup", "done", st)
            continue
        nxt = res[k + 1] if k + 1 < len(res) else None
        move(state(e["tid"], a["stdout"][0]), "running", call)
        if st in ENDS and nxt and nxt["tid"] == e["tid"] and \
                nxt["args"]["call"] == "cleanup":
            move("running", "cleanup", "%s: its cleanup runs" % (
                "returns" if st == "done" else "raises"))
        elif st in ENDS:
            move("running", "done", st)
        else:
            move("running", "suspended", st)
    scenes = [m.start() for m in re.finditer(rb"^== ", run.out, re.M)]
    unrun = {}
    for m in CALLS.finditer(run.out):
        start, end = m.start(), m.end()
        if any(start <= e["args"]["stdout"][0] < end for e in res):
            continue  # it ran the body: the trace has it
        lo = max([o for o in scenes if o <= start] + [0])
        hi = min([o for o in scenes if o > start] + [len(run.out)])
        earlier = [e for e in res if lo <= e["args"]["stdout"][0] < start]
        later = [e for e in res if end <= e["args"]["stdout"][0] < hi]
        call = m.group(1).decode().split("(")[0].replace("task_", "")
        if call == "resume":
            call = "next"
        result = m.group(3).decode()
        if earlier or later:
            was = state(earlier[-1]["tid"] if earlier else later[0]["tid"],
                        start)
        else:  # a scene whose task never ran its body
            was = unrun.get(lo, "new")
        to = was if result == "refused" else "done"
        unrun[lo] = to
        move(was, to, "%s %s" % (call, "refused" if result == "refused"
                                 else "→ " + result))
    for e in res:  # a call from inside the body that was refused
        for line in e["text"].split("\n"):
            if "refused" in line:
                move("running", "running", line.split("->")[0].split(":")[
                    -1].strip().split("(")[0].replace("task_", "") +
                    " refused")
    svg = Svg(title)
    box = {"new": (10, 30), "suspended": (300, 30), "running": (160, 170),
           "cleanup": (160, 290), "done": (160, 400)}
    bw, bh = 120, 34
    for n, (x, y) in box.items():
        svg.rect(x, y, bw, bh, "box")
        svg.text(x + bw / 2, y + 22, n, "", "middle")

    def mid(n):
        x, y = box[n]
        return x + bw / 2, y + bh / 2

    def edge_point(n, tx, ty):  # where the line to (tx, ty) leaves box n
        cx, cy = mid(n)
        dx, dy = tx - cx, ty - cy
        if dx == 0 and dy == 0:
            return cx, cy
        sx = (bw / 2) / abs(dx) if dx else float("inf")
        sy = (bh / 2 + 2) / abs(dy) if dy else float("inf")
        f = min(sx, sy)
        return cx + dx * f, cy + dy * f

    def text_of(whats):
        return ["%s ×%d" % (w, n) if n > 1 else w
                for w, n in sorted(whats.items())]
    offset = {("running", "suspended"): 14, ("suspended", "running"): -14}
    place = {("new", "running"): (-14, -8, "end"),
             ("suspended", "running"): (-22, -8, "end"),
             ("running", "suspended"): (22, 6, "start"),
             ("running", "cleanup"): (8, -6, "start"),
             ("cleanup", "done"): (8, -4, "start")}
    for (a, b), whats in sorted(moves.items()):
        lines = text_of(whats)
        if a == b:  # a call that changed nothing: listed beside the state
            x, y = box[a]
            ly = y + bh + 14 if a != "done" else y + bh + 14
            for k, line in enumerate(lines):
                svg.text(x + bw / 2, ly + 14 * k, line, "s m", "middle")
            box_y = ly + 14 * len(lines)
            svg.height = max(svg.height, box_y)
            continue
        (x1, y1), (x2, y2) = mid(a), mid(b)
        if (a, b) == ("running", "done"):  # round the right side
            sx, sy = box["running"][0] + bw, box["running"][1] + bh / 2
            ex, ey = box["done"][0] + bw, box["done"][1] + bh / 2
            svg.add('<path d="M%d %dC%d %d %d %d %d %d" class="arrow"/>' % (
                sx + 2, sy, sx + 90, sy, ex + 90, ey, ex + 2, ey), ex + 60,
                ey)
            for k, line in enumerate(lines):
                svg.text(sx + 70, (sy + ey) / 2 + 14 * k, line, "s")
            continue
        if (a, b) == ("new", "done"):  # round the left side
            sx, sy = box["new"][0] + 20, box["new"][1] + bh
            ex, ey = box["done"][0], box["done"][1] + bh / 2
            svg.add('<path d="M%d %dC%d %d %d %d %d %d" class="arrow"/>' % (
                sx, sy + 2, sx, ey, sx, ey, ex - 2, ey), ex, ey)
            for k, line in enumerate(lines):
                svg.text(sx + 6, (sy + ey) / 2 + 14 * k, line, "s")
            continue
        o = offset.get((a, b), 0)
        px, py = edge_point(a, x2, y2)
        qx, qy = edge_point(b, x1, y1)
        svg.line(px + o, py, qx + o, qy, "arrow")
        dx, dy, anchor = place.get((a, b), (6, 0, "start"))
        for k, line in enumerate(lines):
            svg.text((px + qx) / 2 + o + dx, (py + qy) / 2 + dy + 14 * k,
                     line, "s", anchor)
    return svg


# --- a stack of children --------------------------------------------------

def stacks(run, root_name, title):
    """The stack of a task and its children, each time it changed: from
    the task at the bottom to the child that runs, each frame with the
    line where it is suspended (the child on top: where it stopped)."""
    res = [e for e in run.resumes() if e["args"].get("call") != "cleanup"]
    root = [t for t, n in run.names.items() if n == root_name][0]
    parent = {e["tid"]: e["args"].get("parent") for e in res}

    def chain(t):
        c = [t]
        while parent.get(c[0]) is not None:
            c.insert(0, parent[c[0]])
        return c
    at, rows = {}, []
    for e in res:
        c = chain(e["tid"])
        if c[0] != root:
            continue
        a = e["args"]
        if a["status"] != "yielded":
            at[e["tid"]] = ({"done": "returned", "failed": "raised"}.get(
                a["status"], a["status"]), "")
        elif a.get("file"):
            at[e["tid"]] = ("%s:%s" % (a["file"], a["to_line"]),
                            source_line(run, a["file"], a["to_line"]))
        else:
            at[e["tid"]] = ("line %s" % a["to_line"], "")
        row = [(run.names.get(t, "task %s" % t),) + at.get(t, ("?", ""))
               for t in c]
        if not rows or rows[-1] != row:
            rows.append(row)
    svg = Svg(title)
    svg.text(8, 16, "left, the task; right of it, its children, innermost "
             "last; in each, where it is suspended", "s m")
    y = 28
    width = {}
    for row in rows:
        for k, f in enumerate(row):
            width[k] = max(width.get(k, 110), 12 + max(
                len(f[0]) + len(f[1]) + 5, len(f[2]) * 1.2) * CH * 0.85)
    for row in rows:
        x = 8
        for k, (name, where, code) in enumerate(row):
            h = 50 if any(f[2] for f in row) else 36
            svg.rect(x, y, width[k], h, "sl l%d" % (k % 6))
            svg.text(x + 6, y + 15, name + (", " if where in (
                "returned", "raised") else ", at ") + where, "s")
            if code:
                svg.text(x + 6, y + 31, code, "s c")
            if k:
                svg.line(x - 10, y + 18, x - 2, y + 18, "arrow")
            x += width[k] + 12
        y += (50 if any(f[2] for f in row) else 36) + 8
    alt = "\n".join(" > ".join("%s at %s" % f[:2] for f in row)
                    for row in rows)
    return svg, alt, rows


# --- the pictures --------------------------------------------------------

def pool_lanes(runs):
    run = runs[0]
    return lanes(run, "pool: AAA and bbb take turns, one slice per resume"
                 ), printed_alt(run)


def pool_machine(runs):
    run = runs[0]
    aaa = [t for t, n in run.names.items() if n == "AAA"][0]
    return machine(run, aaa, "The resume points of AAA's body in pool: "
                   "where each resume started and where it stopped"), \
        printed_alt(run)


def from_line(run, text):
    """Keep the events that began after the run printed text."""
    at = run.out.index(text.encode())
    return lambda e: e["args"]["stdout"][0] > at


def nested_lanes(runs):
    run = runs[0]
    start = "a scheduler runs a microscheduler"
    at = run.out.index(start.encode())
    return lanes(run, "microthreads -r 1, its second part: a scheduler runs "
                 "a microscheduler and mt4; the microscheduler runs mt1 to "
                 "mt3 inside its own slices", keep=from_line(run, start)), \
        printed_alt(run, [run.out[at:].decode()])


def prodqueue_lanes(runs):
    run = runs[0]
    return lanes(run, "prodqueue --virtual-time: the producer's and the "
                 "consumer's slices, and what each waited for in between",
                 time_axis=True), printed_alt(run)


def prodcons_lanes(runs):
    run = runs[0]
    return lanes(run, "prodcons: main sends each item into the consumer; "
                 "each slice is labelled with the call that resumed it and "
                 "the value it carried"), printed_alt(run)


def scenes(run, title):
    """A program that plays scenes, each under a line "== what ==": the
    lanes of each scene's tasks, one scene under the other, each on its
    own clock."""
    heads = [(m.start(), m.group(1).decode()) for m in re.finditer(
        rb"^== (.*) ==$", run.out, re.M)] + [(len(run.out), None)]
    svg, y = Svg(title), 0
    for (lo, head), (hi, _) in zip(heads, heads[1:]):
        tids = {e["tid"] for e in run.resumes()
                if lo <= e["args"]["stdout"][0] < hi}
        if not tids:
            continue
        mine = [e for e in run.events if e["tid"] in tids]
        svg.text(8, y + 16, head, "")
        part = lanes(run, "", keep=lambda e: e["tid"] in tids,
                     time_axis=True, t0=mine[0]["ts"])
        svg.place(part, y + 22)
        y += 22 + part.height + 12
    return svg


def timeouts_lanes(runs):
    run = runs[0]
    return scenes(run, "timeouts --virtual-time: each scene's tasks, their "
                  "slices, and what each waited for, with the timeouts "
                  "thrown"), printed_alt(run)


def family_lanes(runs):
    run = runs[0]
    return lanes(run, "family: each child runs inside its parent's lane, "
                 "in the parent's place", box="%s and its children"), \
        printed_alt(run)


def family_trampoline(runs):
    run = runs[0]
    return trampoline(run, "family: the loop sends a child's return value "
                      "into its parent, and throws its error into it"), \
        printed_alt(run)


def first_printing(run, text):
    return [e for e in run.resumes() if text in e["text"]][0]


def echodemo_loop(runs):
    run = runs[0]
    at = first_printing(run, "client 2 got: bonjour")
    return loop_state(run, at, "The loop of echodemo at one moment"), \
        printed_alt(run)


def throwclose_life(runs):
    run = runs[0]
    return lifecycle(run, "The life of a generator: each call throwclose "
                     "made, as a move between states"), printed_alt(run)


def httpd_stack(runs):
    return stacks(runs[0], "connection 1", "httpd, one request: the stack "
                  "of the connection's task and its children, each time it "
                  "changed")


PICTURES = [
    # (file, [(program, arguments)], drawing)
    ("stage1-pool.svg", [("stage1-basic-yield/pool", "")], pool_lanes),
    ("stage1-resume-points.svg", [("stage1-basic-yield/pool", "")],
     pool_machine),
    ("stage2-switcher.svg", [("stage2-scheduler/switcher",
                              "--virtual-time serial"),
                             ("stage2-scheduler/switcher", "--virtual-time")],
     serial_async),
    ("stage2-nested.svg", [("stage2-scheduler/microthreads", "-r 1")],
     nested_lanes),
    ("stage3-lifecycle.svg", [("stage3-send-throw/throwclose", "")],
     throwclose_life),
    ("stage3-prodcons.svg", [("stage3-send-throw/prodcons", "")],
     prodcons_lanes),
    ("stage4-prodqueue.svg", [("stage4-io/prodqueue", "--virtual-time")],
     prodqueue_lanes),
    ("stage4-timeouts.svg", [("stage4-io/timeouts", "--virtual-time")],
     timeouts_lanes),
    ("stage4-loop.svg", [("stage4-io/echodemo", "")], echodemo_loop),
    ("stage5-family.svg", [("stage5-subtasks/family", "")], family_lanes),
    ("stage5-trampoline.svg", [("stage5-subtasks/family", "")],
     family_trampoline),
    ("stage5-httpd.svg", [("stage5-subtasks/httpd", "--root www",
                           one_request)], httpd_stack),
]


def draw(name, programs, fn, trace_dir):
    runs = [Run(*p[:2], trace_dir, *p[2:]) for p in programs]
    got = fn(runs)
    return got[0].render(runs, *got[1:])


def shipped(where, name):
    """The picture as make docs left it: DIR/name, or, in the site,
    DIR/<its stage>/name, where Doxygen copied it."""
    stage = name.split("-")[0]
    for d in [where] + sorted(os.path.join(where, s) for s in os.listdir(
            where) if s.startswith(stage + "-")):
        if os.path.isfile(os.path.join(d, name)):
            return os.path.join(d, name)
    return None


def lessons():
    """Each picture is shown by a lesson of its stage, each picture a
    lesson shows is one drawn here, and each lesson shows at least two."""
    known = {p[0] for p in PICTURES}
    bad, shown = [], set()
    for stage in sorted(d for d in os.listdir(ROOT)
                        if re.match(r"stage[0-9]-", d)):
        mine = []
        for page in sorted(os.listdir(os.path.join(ROOT, stage))):
            if not page.endswith(".md"):
                continue
            with open(os.path.join(ROOT, stage, page), encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    for pic in re.findall(r"!\[[^]]*\]\(([^)]*\.svg)\)",
                                          line):
                        where = "%s/%s:%d" % (stage, page, n)
                        if pic not in known:
                            bad.append("%s: %s is not a picture that "
                                       "docs/pictures.py draws" % (where, pic))
                        elif not pic.startswith(stage.split("-")[0] + "-"):
                            bad.append("%s: %s is another stage's picture" %
                                       (where, pic))
                        mine.append(pic)
                        shown.add(pic)
        if len(mine) < 2:
            bad.append("%s: its lesson shows %d pictures, not 2 or more" % (
                stage, len(mine)))
    bad += ["%s: no lesson shows it" % p for p in sorted(known - shown)]
    for line in bad:
        print(line)
    return 1 if bad else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "lessons":
        return lessons()
    if len(argv) < 3 or argv[1] not in ("build", "check"):
        sys.stderr.write("usage: docs/pictures.py build DIR\n"
                         "       docs/pictures.py lessons\n"
                         "       docs/pictures.py check DIR [PICTURE...]\n")
        return 2
    mode, where, names = argv[1], argv[2], argv[3:]
    known = [p[0] for p in PICTURES]
    for n in names:
        if n not in known:
            sys.stderr.write("pictures: no picture %s (there are: %s)\n" % (
                n, " ".join(known)))
            return 2
    os.makedirs(where, exist_ok=True)
    bad = 0
    only = os.environ.get("PICTURES_ONLY", "")
    for name, programs, fn in PICTURES:
        if not name.startswith(only) or names and name not in names:
            continue
        trace_dir = os.path.join(ROOT, "build", "pictures-trace",
                                 name[:-4])
        svg = draw(name, programs, fn, trace_dir)
        if mode == "build":
            with open(os.path.join(where, name), "w", encoding="utf-8") as f:
                f.write(svg)
            continue
        path = shipped(where, name)
        if not path:
            print("%s: not in %s; make docs draws it" % (name, where))
            bad += 1
            continue
        with open(path, encoding="utf-8") as f:
            old = f.read()
        if old != svg:
            was = re.findall(r"(?:events|shown)-sha256: (\w+)", old)
            now = re.findall(r"(?:events|shown)-sha256: (\w+)", svg)
            print("%s: %s" % (path, "the run differs from the one it was "
                              "drawn from (sha256 %s, now %s)" % (
                                  " ".join(was), " ".join(now))
                              if was != now else "the same run, but the "
                              "picture differs from what it draws now"))
            bad += 1
        else:
            print("%s: the same as its run draws now" % path)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
