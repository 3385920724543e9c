#!/usr/bin/env python3
"""trace.py EVENTS OUT: turn a runtime's trace into a Chrome trace and a
swimlane picture.

EVENTS is the file a program wrote with COURSE_TRACE=EVENTS (trace.c in
each stage writes it), OUT what the program printed. It writes, beside
EVENTS, NAME.json (Chrome trace-event format: Perfetto and chrome://tracing
open it) and NAME.svg (one lane per task, one slice per resume).

The lines of EVENTS, P being a task's address:
    clock                            the program has a virtual clock
    name P FILE =NAME                the program named task P
    begin P CALL FROM AT TIME IN     a call of P's body starts
    end P STATUS TO AT TIME OUT      it returns
    wait P OP FD TIMEOUT             P waits (stage 4 on)
    child P C                        P yielded the child task C (stage 5)
FROM and TO are resume points (line numbers), AT stdout's offset (-1 if it
is not a file), TIME the clock in seconds or "-", IN and OUT a value: "-"
for none, else "=" and the text, with \\n and \\\\ escaped.

A task's lanes: tid 1, 2, ... in order of first appearance; an address
used again after its task ended is a new task.
"""
import html
import json
import os
import sys

ENDED = {"done", "failed"}
READ_OPS = {"readable", "accept", "recv", "readline"}
WRITE_OPS = {"writable", "send", "connect"}


def unescape(field):
    if field == "-":
        return None
    out, i, s = [], 0, field[1:]
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append("\n" if s[i + 1] == "n" else s[i + 1])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def seconds(x):
    return ("%.6f" % x).rstrip("0").rstrip(".")


class Lane:
    def __init__(self, tid):
        self.tid = tid
        self.name = None
        self.file = None
        self.parent = None
        self.depth = 0
        self.ended = False
        self.ran = False   # a slice began in it
        self.wait = None   # the wait it is in: (start, kind, name, args)
        self.child = None  # the address of the child it waits for


def wait_of(op, fd, timeout):
    """name, kind and args of a wait request."""
    timeout = float(timeout)
    args = {"fd": None, "timeout": None}
    if op == "sleep":
        return "sleep %s s" % seconds(timeout), op, args
    if timeout >= 0:
        args["timeout"] = timeout
    if op in ("get", "put"):
        return "queue " + op, op, args
    args["fd"] = int(fd)
    way = "readable" if op in READ_OPS else "writable"
    name = "fd %s %s" % (fd, way)
    if op not in ("readable", "writable"):
        name += " (%s)" % op
    return name, op, args


class Trace:
    def __init__(self):
        self.clock = False
        self.lanes = {}      # address -> its current Lane
        self.order = []      # every Lane, by tid
        self.pending_parent = {}  # child address -> parent Lane
        self.slices = []     # dicts, in the order they began
        self.waits = []
        self.open = []       # slices begun and not ended, innermost last
        self.begins = 0
        self.last_ts = 0
        self.offset = 0.0     # added to the clock, see ts()
        self.raw_order = []  # ("b" or "e", id of the slice), as they came

    def lane(self, p, going_on=False, new=False):
        """P's lane; a new one if P's task ended, or is made anew (new)."""
        lane = self.lanes.get(p)
        if lane is None or (lane.ended and not going_on) or \
                (new and lane.ran):
            lane = Lane(len(self.order) + 1)
            parent = self.pending_parent.pop(p, None)
            if parent is not None:
                lane.parent = parent.tid
                lane.depth = parent.depth + 1
            self.lanes[p] = lane
            self.order.append(lane)
        return lane

    def ts(self, time, at_end):
        """A time on the trace's axis, in microseconds: the virtual clock's,
        made to go on where a program starts its clock again at 0 (as
        timeouts does for each scene), else the resume's ordinal."""
        if self.clock and time != "-":
            t = float(time) * 1e6
            if t + self.offset < self.last_ts:
                self.offset = self.last_ts - t
            return t + self.offset
        return float(self.begins if at_end else self.begins - 1)

    def read(self, lines):
        for n, line in enumerate(lines, 1):
            try:
                self.line(line.rstrip("\n"))
            except (ValueError, IndexError, KeyError) as e:
                sys.exit("trace.py: line %d: %r: %s" % (n, line, e))
        end = self.last_ts
        for lane in self.order:
            if lane.wait:
                self.close_wait(lane, end, "unfinished")

    def line(self, line):
        f = line.split(" ", 6)
        kind = f[0]
        if kind == "clock":
            self.clock = True
        elif kind == "name":
            rest = line.split(" ", 3)
            lane = self.lane(rest[1], new=True)
            lane.file = lane.file or rest[2]  # where it was named first
            lane.name = unescape(rest[3])
        elif kind == "begin":
            self.begin(f)
        elif kind == "end":
            self.end(f)
        elif kind == "wait":
            lane = self.lane(f[1])
            name, op, args = wait_of(f[2], f[3], f[4])
            lane.wait = (self.last_ts, op, name, args)
            if self.open_slice_of(lane) is None and self.slices:
                last = self.last_slice_of(lane)
                if last and last["args"]["value"] is None:
                    last["args"]["value"] = name
        elif kind == "child":
            parent = self.lane(f[1])
            named = self.lanes.get(f[2])
            if named is not None and not named.ran and not named.ended:
                named.parent, named.depth = parent.tid, parent.depth + 1
            else:
                self.pending_parent[f[2]] = parent
            parent.child = f[2]
            parent.wait = (self.last_ts, "child", "child", {"fd": None,
                                                          "timeout": None})
        else:
            raise ValueError("unknown line")

    def open_slice_of(self, lane):
        for s in reversed(self.open):
            if s["tid"] == lane.tid:
                return s
        return None

    def last_slice_of(self, lane):
        for s in reversed(self.slices):
            if s["tid"] == lane.tid:
                return s
        return None

    def clock_of(self, ts):
        """The program's own clock at ts, in seconds, or None."""
        return round((ts - self.offset) / 1e6, 6) if self.clock else None

    def close_wait(self, lane, ts, outcome):
        start, op, name, args = lane.wait
        lane.wait = None
        if op == "child":
            child = self.lanes.get(lane.child)
            cname = child.name or "task %d" % child.tid if child else "?"
            name = "child " + cname
            args = dict(args, child=child.tid if child else None)
        self.waits.append({
            "name": name, "cat": "wait", "ph": "X", "pid": 1,
            "tid": lane.tid, "ts": start, "dur": max(0.0, ts - start),
            "args": dict(args, kind=op, outcome=outcome,
                         clock=self.clock_of(start))})

    def begin(self, f):
        p, call, frm, at, time, value = f[1], f[2], f[3], f[4], f[5], f[6]
        self.begins += 1
        lane = self.lane(p, going_on=call == "cleanup", new=int(frm) == 0)
        lane.ended = False
        lane.ran = True
        ts = self.ts(time, False)
        sent = unescape(value)
        if lane.wait:
            if call == "throw" and sent == "timed out":
                outcome = "timeout thrown"
            elif call == "throw":
                outcome = "error thrown: %s" % sent
            elif call == "close":
                outcome = "closed"
            else:
                outcome = "done"
            self.close_wait(lane, ts, outcome)
        caller = self.open[-1]["tid"] if self.open else None
        s = {"name": None, "cat": "resume", "ph": "X", "pid": 1,
             "tid": lane.tid, "ts": ts, "dur": 0.0,
             "args": {"call": call,
                      "from_line": int(frm) if int(frm) >= 0 else None,
                      "to_line": None,
                      "file": lane.file, "status": None,
                      "value": sent if call in ("send", "throw") else None,
                      "in": sent, "out": None,
                      "stdout": [int(at), None] if int(at) >= 0 else None,
                      "parent": lane.parent, "depth": lane.depth,
                      "caller": caller, "clock": self.clock_of(ts)}}
        self.slices.append(s)
        self.open.append(s)
        self.raw_order.append(("b", id(s)))
        self.last_ts = ts

    def end(self, f):
        p, status, to, at, time, value = f[1], f[2], f[3], f[4], f[5], f[6]
        lane = self.lane(p)
        s = self.open_slice_of(lane)
        if s is None:
            raise ValueError("an end with no begin")
        self.open.remove(s)
        self.raw_order.append(("e", id(s)))
        ts = self.ts(time, True)
        a = s["args"]
        a["status"] = status
        a["to_line"] = int(to) if status not in ENDED and int(to) > 0 \
            else None
        a["out"] = unescape(value)
        if a["value"] is None:
            a["value"] = a["out"]
        if a["stdout"] is not None:
            a["stdout"][1] = int(at)
        s["dur"] = max(0.0, ts - s["ts"])
        if status in ENDED:
            lane.ended = True
        self.last_ts = max(self.last_ts, ts)

    def name_of(self, tid):
        lane = self.order[tid - 1]
        return lane.name if lane.name is not None else "task %d" % tid

    def events(self):
        ev = []
        for lane in self.order:
            ev.append({"name": "thread_name", "cat": "__metadata",
                       "ph": "M", "pid": 1, "tid": lane.tid, "ts": 0,
                       "args": {"name": self.name_of(lane.tid)}})
        for s in self.slices:
            s["name"] = self.name_of(s["tid"])
        ev += sorted(self.slices + self.waits,
                     key=lambda e: (e["ts"], e["cat"] == "resume"))
        return ev


def write_json(trace, path):
    ev = trace.events()
    with open(path, "w") as f:
        f.write('{"displayTimeUnit":"ns","traceEvents":[\n')
        f.write(",\n".join(json.dumps(e) for e in ev))
        f.write("\n]}\n")


# ---- the swimlane picture ----
#
# Lanes are columns and time runs down, so that a picture of a few lanes
# reads at phone width however long the run; a long run is a tall picture.
# Colours come from currentColor and CSS variables (--trace-slice,
# --trace-end, --trace-fail), with a dark scheme of their own; each slice
# and wait has a <title> (its tooltip), and the picture's <desc> is its
# text alternative: what the program printed.

MAX_SLICES = 400  # a longer run draws its first ones
SLICE_H = 12      # the least height of a slice
GAP = 4           # between two slices one after the other
HEAD = 34         # the lanes' names
AXIS_W = 40       # the times, on the left
WIDTH = 400       # the whole picture, for up to 4 lanes

STYLE = """
svg { color: var(--trace-fg, #1b1b1b); font: 11px sans-serif; }
.lane { fill: currentColor; fill-opacity: 0.05; }
.label { fill: currentColor; font-weight: bold; }
.slice { fill: var(--trace-slice, #3b78c2); }
.slice.done { fill: var(--trace-end, #2f8f4e); }
.slice.failed, .slice.ignored-exit { fill: var(--trace-fail, #c0392b); }
.wait { stroke: currentColor; stroke-opacity: 0.5; stroke-width: 2;
        stroke-dasharray: 3 3; }
.wait.timeout { stroke: var(--trace-fail, #c0392b); stroke-opacity: 1; }
.note { fill: currentColor; fill-opacity: 0.75; font-size: 9px; }
.axis { fill: currentColor; fill-opacity: 0.6; font-size: 9px; }
@media (prefers-color-scheme: dark) {
  svg { color: var(--trace-fg, #e8e8e8); }
  .slice { fill: var(--trace-slice, #6aa5ee); }
  .slice.done { fill: var(--trace-end, #5cc27e); }
  .slice.failed, .slice.ignored-exit { fill: var(--trace-fail, #ff6b5e); }
  .wait.timeout { stroke: var(--trace-fail, #ff6b5e); }
}
"""


def layout(trace, slices):
    """y of every begin and end: a least height per slice, plus the time
    that passes, so that a virtual clock shows and a run without one is
    drawn in resume order."""
    ids = {id(s): s for s in slices}
    times = [s["ts"] for s in slices] + [s["ts"] + s["dur"] for s in slices]
    total = max(times + [0]) - min(times + [0])
    scale = 0.0
    if trace.clock and total > 0:
        scale = max(SLICE_H * len(slices), 200) / total
    ys = {}
    y, last = 0.0, None
    for kind, sid in trace.raw_order:
        s = ids.get(sid)
        if s is None:
            continue
        t = s["ts"] if kind == "b" else s["ts"] + s["dur"]
        if last is not None:
            y += max(0.0, t - last) * scale
        last = t
        if kind == "b":
            if ys:
                y += GAP
            ys[(sid, "b")] = y
        else:
            y = max(y, ys[(sid, "b")] + SLICE_H)
            ys[(sid, "e")] = y
    return ids, ys, y


def fit(text, width, px):
    """text cut to what width holds at about px pixels a character."""
    n = max(1, int(width / px))
    return text if len(text) <= n else text[:max(1, n - 1)] + "\u2026"


def write_svg(trace, path, output, title):
    slices = trace.slices[:MAX_SLICES]
    cut = len(trace.slices) - len(slices)
    ids, ys, height = layout(trace, slices)
    lanes = [l for l in trace.order
             if any(s["tid"] == l.tid for s in slices)]
    ordered = []  # a child's lane right after its parent's

    def place(lane):
        ordered.append(lane)
        for c in lanes:
            if c.parent == lane.tid:
                place(c)
    tids = [l.tid for l in lanes]
    for lane in lanes:
        if lane.parent not in tids:
            place(lane)
    col = {l.tid: i for i, l in enumerate(ordered)}
    cw = max(60.0, (WIDTH - AXIS_W) / max(1, len(ordered)))
    w = AXIS_W + cw * len(ordered)
    h = HEAD + height + (28 if cut else 12)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" '
           'aria-labelledby="t d" viewBox="0 0 %d %d" width="%d" '
           'height="%d">' % (w, h, w, h),
           '<title id="t">%s</title>' % html.escape(title),
           '<desc id="d">%s</desc>' % html.escape(
               "One column per task, time going down, one bar per resume. "
               "What the program printed:\n" + output),
           '<style>%s</style>' % STYLE]
    for lane in ordered:
        x = AXIS_W + col[lane.tid] * cw
        out.append('<rect class="lane" x="%.1f" y="0" width="%.1f" '
                   'height="%d"/>' % (x + 1, cw - 2, h))
        name = trace.name_of(lane.tid)
        if lane.depth:
            name = "\u21b3 " + name
        out.append('<text class="label" x="%.1f" y="14">%s<title>%s'
                   '</title></text>' % (x + 4, html.escape(fit(name, cw - 6, 7)),
                                        html.escape(name)))
        if lane.depth:
            out.append('<text class="note" x="%.1f" y="26">child of %s'
                       '</text>' % (x + 4, html.escape(
                           fit(trace.name_of(lane.parent), cw - 60, 5.5))))
    out.append('<text class="axis" x="2" y="26">%s</text>'
               % ("time" if trace.clock else "order"))
    last_label = None
    for sid, s in ids.items():
        if (sid, "e") not in ys:
            continue
        label = ("%ss" % seconds(s["ts"] / 1e6 - trace.offset / 1e6)
                 if trace.clock else None)
        if trace.clock and label != last_label:
            out.append('<text class="axis" x="2" y="%.1f">%s</text>'
                       % (HEAD + ys[(sid, "b")] + 9, label))
            last_label = label
    for wt in trace.waits:
        if wt["tid"] not in col:
            continue
        start = end = None
        for s in slices:
            if s["tid"] != wt["tid"]:
                continue
            if s["ts"] + s["dur"] <= wt["ts"] and (id(s), "e") in ys:
                start = ys[(id(s), "e")]
            if end is None and start is not None and \
                    s["ts"] >= wt["ts"] + wt["dur"] and (id(s), "b") in ys:
                end = ys[(id(s), "b")]
        if start is None:
            continue
        if end is None:
            end = height
        x = AXIS_W + col[wt["tid"]] * cw + 10
        outcome = wt["args"]["outcome"]
        cls = "wait timeout" if outcome == "timeout thrown" else "wait"
        tip = "%s: %s" % (wt["name"], outcome)
        out.append('<line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" '
                   'y2="%.1f"><title>%s</title></line>'
                   % (cls, x, HEAD + start, x, HEAD + end, html.escape(tip)))
        if end - start >= 11:
            text = wt["name"] if outcome == "done" else tip
            out.append('<text class="note" x="%.1f" y="%.1f">%s<title>%s'
                       '</title></text>'
                       % (x + 5, HEAD + (start + end) / 2 + 3,
                          html.escape(fit(text, cw - 18, 5.2)),
                          html.escape(tip)))
    for sid, s in ids.items():
        if (sid, "e") not in ys:
            continue
        y0, y1 = ys[(sid, "b")], ys[(sid, "e")]
        x = AXIS_W + col[s["tid"]] * cw + 5
        a = s["args"]
        tip = ["%s: %s, line %s to %s, %s" % (
            s["name"], a["call"], a["from_line"], a["to_line"], a["status"])]
        if a["value"] is not None:
            tip.append("value: %s" % a["value"])
        if trace.clock:
            tip.append("at %s s" % seconds(a["clock"]))
        so = a["stdout"]
        printed = ""
        if so and so[1] is not None and so[1] > so[0]:
            printed = output.encode()[so[0]:so[1]].decode(
                errors="replace").rstrip("\n")
            tip.append("printed: " + printed)
        out.append('<rect class="slice %s" x="%.1f" y="%.1f" width="%.1f" '
                   'height="%.1f" rx="2"><title>%s</title></rect>'
                   % (a["status"], x, HEAD + y0, 10, max(y1 - y0, 2),
                      html.escape("\n".join(tip))))
        if printed and y1 - y0 >= 10:
            first = printed.split("\n")[0]
            out.append('<text class="note" x="%.1f" y="%.1f">%s</text>'
                       % (x + 14, HEAD + y0 + 9,
                          html.escape(fit(first, cw - 24, 5.2))))
    if cut:
        out.append('<text class="axis" x="2" y="%d">the first %d of %d '
                   'resumes</text>' % (h - 8, len(slices),
                                       len(trace.slices)))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: trace.py EVENTS OUT")
    events, outfile = argv[1], argv[2]
    if not os.path.exists(events):
        sys.exit("trace.py: %s: no trace: the program ran no task" % events)
    try:
        with open(events) as f:
            lines = f.readlines()
        with open(outfile, "rb") as f:
            output = f.read().decode(errors="replace")
    except OSError as e:
        sys.exit("trace.py: %s" % e)
    trace = Trace()
    trace.read(lines)
    base = os.path.splitext(events)[0]
    write_json(trace, base + ".json")
    name = os.path.basename(base)
    write_svg(trace, base + ".svg", output,
              "%s: %d tasks, %d resumes" % (name, len(trace.order),
                                            len(trace.slices)))


if __name__ == "__main__":
    main(sys.argv)
