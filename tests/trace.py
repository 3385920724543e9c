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
        if self.clock and time != "-":
            return float(time) * 1e6
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
            "args": dict(args, kind=op, outcome=outcome)})

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
                      "caller": caller}}
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
            ev.append({"name": "thread_name", "ph": "M", "pid": 1,
                       "tid": lane.tid, "ts": 0,
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
        f.write(",\n".join(json.dumps(e, sort_keys=True) for e in ev))
        f.write("\n]}\n")


# ---- the swimlane picture ----

MAX_SLICES = 400  # a longer run draws its first ones
LANE_H = 28
SLICE_W = 14      # the least width of a slice
GAP = 4
LABEL_W = 96
TOP = 24

STYLE = """
svg { color: var(--trace-fg, #1b1b1b); font: 11px sans-serif; }
.lane { fill: currentColor; fill-opacity: 0.04; }
.label { fill: currentColor; }
.slice { fill: var(--trace-slice, #3b78c2); }
.slice.done, .slice.failed { fill: var(--trace-end, #2f8f4e); }
.slice.failed, .slice.ignored-exit { fill: var(--trace-fail, #c0392b); }
.wait { stroke: currentColor; stroke-opacity: 0.45; stroke-width: 2;
        stroke-dasharray: 3 3; }
.wait.timeout { stroke: var(--trace-fail, #c0392b); stroke-opacity: 1; }
.waitlabel { fill: currentColor; fill-opacity: 0.7; font-size: 9px; }
.axis { fill: currentColor; fill-opacity: 0.7; font-size: 9px; }
@media (prefers-color-scheme: dark) {
  svg { color: var(--trace-fg, #e8e8e8); }
  .slice { fill: var(--trace-slice, #6aa5ee); }
  .slice.done { fill: var(--trace-end, #5cc27e); }
  .slice.failed, .slice.ignored-exit { fill: var(--trace-fail, #ff6b5e); }
}
"""


def layout(trace, slices):
    """x of every begin and end: a least width per slice, plus the time that
    passes, so that a virtual clock shows and a run without one is drawn in
    resume order."""
    ids = {id(s): s for s in slices}
    times = [s["ts"] for s in slices] + [s["ts"] + s["dur"] for s in slices]
    total = max(times + [0]) - min(times + [0])
    scale = 0.0
    if trace.clock and total > 0:
        scale = max(SLICE_W * len(slices), 300) / total
    xs = {}
    x, last = 0.0, None
    for kind, sid in trace.raw_order:
        s = ids.get(sid)
        if s is None:
            continue
        t = s["ts"] if kind == "b" else s["ts"] + s["dur"]
        if last is not None:
            x += max(0.0, t - last) * scale
        last = t
        if kind == "b":
            if xs:
                x += GAP
            xs[(sid, "b")] = x
        else:
            x = max(x, xs[(sid, "b")] + SLICE_W)
            xs[(sid, "e")] = x
    return ids, xs, x


def write_svg(trace, path, output, title):
    slices = trace.slices[:MAX_SLICES]
    cut = len(trace.slices) - len(slices)
    ids, xs, width = layout(trace, slices)
    lanes = [l for l in trace.order
             if any(s["tid"] == l.tid for s in slices)]
    # a child's lane right under its parent's
    ordered = []

    def place(lane):
        ordered.append(lane)
        for c in lanes:
            if c.parent == lane.tid:
                place(c)
    for lane in lanes:
        if lane.parent is None or lane.parent not in [l.tid for l in lanes]:
            place(lane)
    row = {l.tid: i for i, l in enumerate(ordered)}
    w = LABEL_W + width + 20
    h = TOP + LANE_H * len(ordered) + (18 if cut else 6)
    out = []
    out.append('<svg xmlns="http://www.w3.org/2000/svg" role="img" '
               'aria-labelledby="t d" viewBox="0 0 %d %d" width="%d" '
               'height="%d">' % (w, h, w, h))
    out.append('<title id="t">%s</title>' % html.escape(title))
    desc = "One lane per task, one slice per resume. What it printed:\n"
    out.append('<desc id="d">%s</desc>' % html.escape(desc + output))
    out.append('<style>%s</style>' % STYLE)
    axis = "virtual time" if trace.clock else "resume order"
    out.append('<text class="axis" x="%d" y="12">%s &#8594;</text>'
               % (LABEL_W, axis))
    for lane in ordered:
        y = TOP + row[lane.tid] * LANE_H
        out.append('<rect class="lane" x="0" y="%d" width="%d" height="%d"/>'
                   % (y, w, LANE_H - 4))
        name = trace.name_of(lane.tid)
        out.append('<text class="label" x="%d" y="%d">%s</text>'
                   % (4 + 10 * lane.depth, y + LANE_H / 2 + 2,
                      html.escape(name[:16])))
    for wt in trace.waits:
        if wt["tid"] not in row:
            continue
        start = end = None
        for s in slices:
            if s["tid"] != wt["tid"]:
                continue
            if s["ts"] + s["dur"] <= wt["ts"] and (id(s), "e") in xs:
                start = xs[(id(s), "e")]
            if s["ts"] >= wt["ts"] + wt["dur"] and end is None and \
                    (id(s), "b") in xs and start is not None:
                end = xs[(id(s), "b")]
        if start is None:
            continue
        if end is None:
            end = width
        y = TOP + row[wt["tid"]] * LANE_H + (LANE_H - 4) / 2
        cls = "wait timeout" if wt["args"]["outcome"] == "timeout thrown" \
            else "wait"
        tip = "%s: %s" % (wt["name"], wt["args"]["outcome"])
        out.append('<line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" '
                   'y2="%.1f"><title>%s</title></line>'
                   % (cls, LABEL_W + start, y, LABEL_W + end, y,
                      html.escape(tip)))
        if end - start > 6 * len(wt["name"]):
            out.append('<text class="waitlabel" x="%.1f" y="%.1f">%s</text>'
                       % (LABEL_W + start + 3, y - 3,
                          html.escape(wt["name"])))
    for sid, s in ids.items():
        if (sid, "e") not in xs:
            continue
        x0, x1 = xs[(sid, "b")], xs[(sid, "e")]
        y = TOP + row[s["tid"]] * LANE_H + 3
        a = s["args"]
        tip = ["%s: %s, line %s to %s, %s" % (
            s["name"], a["call"], a["from_line"], a["to_line"], a["status"])]
        if a["value"] is not None:
            tip.append("value: %s" % a["value"])
        if trace.clock:
            tip.append("at %s s" % seconds(s["ts"] / 1e6))
        so = a["stdout"]
        if so and so[1] is not None and so[1] > so[0]:
            tip.append("printed: " + output.encode()[so[0]:so[1]].decode(
                errors="replace").rstrip("\n"))
        out.append('<rect class="slice %s" x="%.1f" y="%d" width="%.1f" '
                   'height="%d" rx="2"><title>%s</title></rect>'
                   % (a["status"], LABEL_W + x0, y, max(x1 - x0, 2),
                      LANE_H - 10, html.escape("\n".join(tip))))
    if cut:
        out.append('<text class="axis" x="%d" y="%d">the first %d of %d '
                   'resumes</text>' % (LABEL_W, h - 4, len(slices),
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
