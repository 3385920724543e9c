"""report.py: turn DIR/results.json (from run.py) into the report and plots.

    python3 report.py DIR

Writes DIR/report.md, DIR/performance.md (the same text as a Doxygen page),
DIR/switch.svg and DIR/echo.svg (through gnuplot), and prints the report's
tables and its targets to stdout.
"""

import json
import os
import subprocess
import sys

STAGE_NAMES = ["stage1-basic-yield", "stage2-scheduler", "stage3-send-throw",
               "stage4-io", "stage5-subtasks"]
BASE = "stage1-basic-yield"
PEERS = ["cpython", "ucontext", "floor"]


# ------------------------------------------------------------ formatting

def decimals(x):
    x = abs(x)
    return 0 if x >= 100 else 1 if x >= 10 else 2


def fmt(x):
    return "%.*f" % (decimals(x), x)


def count(n):
    """1000000 -> '1 000 000'."""
    return "{:,}".format(int(n)).replace(",", " ")


def short_count(n):
    n = int(n)
    if n >= 1000000 and n % 1000000 == 0:
        return "%d M" % (n // 1000000)
    if n >= 1000 and n % 1000 == 0:
        return "%d k" % (n // 1000)
    return str(n)


def tasks_phrase(n):
    """'1 task', '1 k tasks', '10 M tasks'."""
    return "%s task%s" % (short_count(n), "" if int(n) == 1 else "s")


def spread(result, lo="min_ns", hi="max_ns"):
    return (result[hi] - result[lo]) / 2


def with_spread(result, mid="median_ns", lo="min_ns", hi="max_ns"):
    m, s = result[mid], spread(result, lo, hi)
    return "%.*f ± %.*f" % (decimals(m), m, decimals(m), s)


def kilo(x):
    return "%.1fk" % (x / 1000) if x >= 1000 else "%.0f" % x


def ratio(x):
    return "%.2f×" % x if x < 10 else "%.1f×" % x if x < 100 else "%.0f×" % x


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ok(result):
    return isinstance(result, dict) and "error" not in result


def label_of(ident, entry):
    return entry.get("label", ident)


# ------------------------------------------------------------ sections

def machine_section(r):
    m = r["machine"]
    rows = [
        ("CPU", m["cpu"]), ("cores", m["cores"]),
        ("memory", "%s GiB" % m["memory_gib"]), ("kernel", m["kernel"]),
        ("system", m["os"]), ("C compiler", m["compiler"]),
        ("C library", m["libc"]), ("Python", m["python"]), ("wrk", m["wrk"]),
        ("nginx", m.get("nginx") or "not installed"),
        ("load average (1, 5, 15 min) at start", " ".join(m["load_at_start"])),
        ("load average at end", " ".join(m.get("load_at_end", []))),
        ("commit", m["commit"]),
    ]
    return "## Machine\n\n" + table(["", ""], rows)


def stage_notes(r):
    notes = []
    for stage in STAGE_NAMES:
        st = r["stages"].get(stage, {"status": "missing",
                                     "detail": "not asked for"})
        if st["status"] != "ok":
            notes.append("- `%s`: %s." % (stage, st["detail"]))
    if not notes:
        return ""
    return "Stages left out of the tables:\n\n" + "\n".join(notes) + "\n"


def switch_rows(r):
    """(ident, label) in table order: the stages that ran, then the peers."""
    rows = [(s, s) for s in STAGE_NAMES if s in r["switch"]]
    return rows + [(p, label_of(p, r["switch"][p])) for p in PEERS
                   if p in r["switch"]]


def actual_tasks(result, tasks):
    extra = result.get("extra", {}).get("ucontext_stack", {})
    return int(extra.get("tasks", tasks))


def switch_cell(result, tasks):
    if not ok(result):
        return "failed: " + result.get("error", "?")
    cell = with_spread(result)
    ran = actual_tasks(result, tasks)
    if ran != int(tasks):
        cell += " (at %s tasks: %s do not fit)" % (short_count(ran),
                                                   short_count(tasks))
    if result.get("reps", 2) == 1:
        cell += " (1 run)"
    return cell


def switch_section(r):
    tasks = [str(n) for n in r["config"]["switch_tasks"]]
    header = ["runtime"] + ["%s task%s" % (count(n), "s" if n != "1" else "")
                            for n in tasks]
    rows, ratios = [], []
    base = r["switch"].get(BASE, {}).get("points", {})
    for ident, label in switch_rows(r):
        points = r["switch"][ident]["points"]
        rows.append([label] + [switch_cell(points[n], n) for n in tasks])
        if ident != BASE:
            ratios.append([label] + [ratio_cell(points[n], base.get(n))
                                     for n in tasks])
    text = ["## Task switch cost",
            "",
            "Nanoseconds per resume+yield through the scheduler (`pool_run` "
            "for the course's runtimes): N tasks each yield K times, and the "
            "time of the whole run is divided by its N × (K + 1) resumes. "
            "Median ± half the range over the repetitions.",
            "",
            table(header, rows),
            "",
            stage_notes(r),
            "Each runtime's time as a multiple of stage 1's (above 1: slower "
            "than stage 1):",
            "",
            table(header, ratios),
            "",
            "![Task switch cost against the number of tasks](switch.svg)"]
    return "\n".join(text)


def ratio_cell(result, base):
    if not ok(result) or not ok(base):
        return "n/a"
    return ratio(result["median_ns"] / base["median_ns"])


def memory_cell(result, tasks):
    if not ok(result):
        return "failed: " + result.get("error", "?")
    cell = "%.2f" % result["bytes_per_task"]
    ran = actual_tasks(result, tasks)
    if ran != int(tasks):
        cell += " (at %s tasks: %s do not fit)" % (short_count(ran),
                                                   short_count(tasks))
    return cell


def memory_section(r):
    tasks = [str(n) for n in r["config"]["memory_tasks"]]
    header = (["runtime", "size of the task struct"] +
              ["bytes per task, %s tasks" % count(n) for n in tasks] +
              ["× stage 1 (%s tasks)" % count(tasks[-1])])
    base = r["memory"].get(BASE, {}).get("points", {}).get(tasks[-1])
    rows = []
    for ident, label in switch_rows(r):
        if ident not in r["memory"]:
            continue
        points = r["memory"][ident]["points"]
        first = next((p for p in points.values() if ok(p)), {})
        size = first.get("sizeof_task", "?")
        stack = first.get("extra", {}).get("ucontext_stack")
        if stack:
            size = "%s + a %s-byte stack" % (size, stack["stack_size"])
        elif ident == "cpython":
            size = "%s (object + generator, `sys.getsizeof`)" % size
        last = points[tasks[-1]]
        rows.append([label, size] + [memory_cell(points[n], n) for n in tasks] +
                    [ratio(last["bytes_per_task"] / base["bytes_per_task"])
                     if ok(last) and ok(base) and ident != BASE else ""])
    text = ["## Memory per task",
            "",
            "Resident bytes per task: the growth of the resident set size "
            "while N tasks are made and queued, divided by N. For the course's "
            "runtimes the task is the runtime's `task` struct and nothing else; "
            "for CPython a `Task` object and its generator; for ucontext a "
            "context and its stack. One measurement each: from run to run the "
            "figure moves by about a tenth of a byte (the allocator and the "
            "code that runs, paid once).",
            "",
            table(header, rows)]
    return "\n".join(text)


STAGE5_CHILD_TEXT = (
    "Stage 5's figure is what its runtime does for every child: the parent "
    "makes it with `io_child()`, which callocs it, and yields it; the I/O "
    "loop's trampoline (`step()`) runs it in the parent's place, sends its "
    "return value back as the parent's `t->sent` and frees it. The calloc and "
    "the free are in the figure, as making the generator is in CPython's. In "
    "the chain the top task calls a child that calls a child, and so on down; "
    "its figure is per level, comparable with the one-level call (each level "
    "in between is resumed twice: to start, and with its child's value).")


def child_section(r):
    child = r.get("child", {})
    names = [("stage5-subtasks", "stage 5: a task yields a child task (C)"),
             ("stage5-chain", "stage 5: a chain of children, per level (C)"),
             ("yield_from", "CPython `yield from`"),
             ("trampoline", "CPython multitask-style trampoline")]
    base_key = "stage5-subtasks" if ok(child.get("stage5-subtasks")) else "yield_from"
    base = child.get(base_key)
    rows = []
    for key, label in names:
        res = child.get(key)
        if key == "stage5-chain":
            if not ok(res):
                continue  # child.c ran no chain (-d 0) or failed as a whole
            label = label.replace("a chain of", "a chain of %d" % res["depth"])
        if res is None:
            rows.append([label, "not measured yet", ""])
        elif not ok(res):
            rows.append([label, "failed: " + res["error"], ""])
        else:
            rows.append([label, with_spread(res),
                         ratio(res["median_ns"] / base["median_ns"]) if ok(base) else ""])
    text = ["## Child task call",
            "",
            "Nanoseconds per call and return of a child that returns at once "
            "(making the child included). The trampoline keeps a stack of "
            "generators and sends a child's return value back to its parent, "
            "as Python's `multitask` does.",
            "",
            table(["way", "ns per call+return", "× %s" % (
                "stage 5" if base_key == "stage5-subtasks" else "`yield from`")],
                  rows)]
    if ok(child.get("stage5-subtasks")):
        text[4:4] = [STAGE5_CHILD_TEXT, ""]
    if "stage5-subtasks" not in child:
        text += ["", "The C side waits for stage 5's child-task API: "
                 "`bench/child.c`, built against stage 5 when both exist."]
    return "\n".join(text)


# ------------------------------------------------------------ echo

def echo_order(echo):
    return [s for s in ("stage4", "stage5", "asyncio", "epoll")
            if s in echo["servers"]]


def echo_cell(res):
    if not ok(res):
        return "failed: " + res.get("error", "?")
    cell = "%s ± %s" % (kilo(res["median_rt_per_s"]),
                        kilo(spread(res, "min_rt_per_s", "max_rt_per_s")))
    problems = []
    if res.get("errors"):
        problems.append("%d of %d connections failed" % (res["errors"], res["conns"]))
    if res.get("server_died"):
        problems.append("server died")
    if res.get("failed_runs"):
        problems.append("%d client runs failed" % res["failed_runs"])
    return cell + (" (%s)" % ", ".join(problems) if problems else "")


def echo_ratio(a, b):
    if not ok(a) or not ok(b) or not b["median_rt_per_s"]:
        return "n/a"
    return ratio(a["median_rt_per_s"] / b["median_rt_per_s"])


def echo_section(r):
    echo = r["echo"]
    cfg = r["config"]
    conns = [str(c) for c in cfg["echo_conns"]]
    header = ["server"] + ["%s conn." % count(c) for c in conns]
    text = ["## Echo server",
            "",
            "One load client (`loadclient.c`, plain C on epoll) opens C "
            "connections to each server; each connection sends a message and "
            "reads it all back (checking every byte), over and over. A message "
            "is one line, its last byte the only newline, so that stage 5's "
            "`lineecho`, which echoes lines, gets the same work as the servers "
            "that echo bytes (it takes lines of up to 65535 bytes with the "
            "newline, so it has no 64 KiB row). After "
            "one warm-up round trip per connection, the servers take turns: "
            "each gets a timed window of %g s, then the messages in flight "
            "finish before the next one's turn; %d turns each, so that a busy "
            "moment of the machine falls on all of them alike. A figure is "
            "the median window ± half the range. MB/s counts the payload "
            "echoed back (10^6 bytes)." % (cfg["echo_seconds"], cfg["echo_reps"])]
    if echo.get("note"):
        text += ["", echo["note"] + "."]
    order = echo_order(echo)
    for size in [str(s) for s in cfg["echo_sizes"]]:
        runs = {s: echo["servers"][s]["runs"][size] for s in order}
        text += ["", "### %s-byte messages: round trips per second" % count(size), "",
                 table(header, [[echo["servers"][s]["label"]] +
                                [echo_cell(runs[s][c]) for c in conns] for s in order]),
                 "", "MB/s:", "",
                 table(header, [[echo["servers"][s]["label"]] +
                                ["%.1f" % runs[s][c]["median_mb_per_s"] if ok(runs[s][c])
                                 else "n/a" for c in conns] for s in order]),
                 "", "Ratios of round trips per second:", "",
                 table(["ratio"] + header[1:], echo_ratio_rows(runs, conns)),
                 "", "The client's own CPU use in the median window, in cores "
                 "(near 1: the client, not the server, sets the pace):", "",
                 table(header, [[echo["servers"][s]["label"]] +
                                ["%.2f" % runs[s][c]["client_cpu"]
                                 if ok(runs[s][c]) and "client_cpu" in runs[s][c]
                                 else "n/a" for c in conns] for s in order])]
    problems = ["- %s: %s" % (echo["servers"][s]["label"], "; ".join(
        echo["servers"][s]["problems"])) for s in order if echo["servers"][s]["problems"]]
    if problems:
        text += ["", "Server problems:", ""] + problems
    text += ["", "![Echo round trips per second against connections](echo.svg)"]
    return "\n".join(text)


def echo_ratio_rows(runs, conns):
    pairs = [("stage4", "asyncio", "stage 4 / asyncio"),
             ("stage4", "epoll", "stage 4 / epoll ceiling"),
             ("stage5", "stage4", "stage 5 lines / stage 4 bytes"),
             ("asyncio", "epoll", "asyncio / epoll ceiling")]
    return [[name] + [echo_ratio(runs[a][c], runs[b][c]) for c in conns]
            for a, b, name in pairs if a in runs and b in runs]


# ------------------------------------------------------------ http

HTTP_ORDER = ("stage5", "asyncio", "nginx")


def http_cell(res):
    if not ok(res):
        return "failed: " + res.get("error", "?")
    errors = res.get("socket_errors", 0) + int(res.get("non_2xx", 0))
    return "%s ± %s%s" % (kilo(res["median_rps"]),
                          kilo((res["max_rps"] - res["min_rps"]) / 2),
                          " (%d errors)" % errors if errors else "")


def served(http, server, name):
    """Did the server return the file itself before the runs?"""
    check = http["servers"].get(server, {}).get("check", {}).get(name)
    return bool(check and check["same_as_file"])


def http_ratio(http, a, b, name, conns):
    x, y = [http["servers"].get(i, {}).get("runs", {}).get(name, {}).get(conns)
            for i in (a, b)]
    if not ok(x) or not ok(y) or not y["median_rps"]:
        return None
    if not served(http, a, name) or not served(http, b, name):
        return None  # a rate of error pages compares nothing
    return x["median_rps"] / y["median_rps"]


def http_section(r):
    http = r["http"]
    cfg = r["config"]
    conns = [str(c) for c in cfg["wrk_conns"]]
    order = [i for i in HTTP_ORDER if i in http["servers"]]
    text = ["## HTTP server (wrk)",
            "",
            "`wrk -t 1 -c C -d %ds` asks each server for one file over "
            "keep-alive connections; the servers take turns, %d run%s each "
            "per file and number of connections; requests per second are the "
            "median ± half the range. All three serve the same directory and "
            "find the file per request: stage 5's `httpd`, the asyncio peer "
            "(`httpd_asyncio.py`: it resolves the path under its root and "
            "reads the file for each request, as httpd does) and nginx "
            "(`nginx.conf`: one worker process, no access log, `sendfile` "
            "on, as Debian ships it)." % (
                cfg["wrk_seconds"], cfg["wrk_reps"],
                "s" if cfg["wrk_reps"] > 1 else "")]
    if http.get("note"):
        text += ["", http["note"] + "."]
    header = ["server"] + ["%s conn." % c for c in conns]
    for name, size in http["files"].items():
        rows = [[http["servers"][i]["label"]] +
                [http_cell(http["servers"][i]["runs"].get(name, {}).get(c, {}))
                 for c in conns] for i in order]
        ratios = []
        for a, b, label in (("stage5", "asyncio", "httpd / asyncio"),
                            ("stage5", "nginx", "httpd / nginx")):
            cells = [http_ratio(http, a, b, name, c) for c in conns]
            if any(x is not None for x in cells):
                ratios.append([label] + [ratio(x) if x is not None else "n/a"
                                         for x in cells])
        text += ["", "### `/%s` (%s bytes): requests per second" % (name, count(size)),
                 "", table(header, rows)]
        if ratios:
            text += ["", table(["ratio"] + header[1:], ratios)]
    checks = []
    for i in order:
        entry = http["servers"][i]
        for name, check in entry.get("check", {}).items():
            checks.append("- %s, `/%s`: status %s, %d bytes, the same bytes as "
                          "the file: %s." % (entry["label"], name, check["status"],
                                             check["bytes"],
                                             "yes" if check["same_as_file"] else "no"))
        if entry.get("problems"):
            checks.append("- %s: %s." % (entry["label"], "; ".join(entry["problems"])))
    if checks:
        text += ["", "What each server returned before the runs:", ""] + checks
    return "\n".join(text)


# ------------------------------------------------------------ targets

def status(met):
    return "MET" if met else "MISSED"


def switch_ratio_target(r, peer, label, wanted, faster=True):
    base = r["switch"].get(BASE, {}).get("points")
    other = r["switch"].get(peer, {}).get("points")
    if not base or not other:
        return [label, "not measured", wanted, "n/a"]
    pairs = [(n, other[n]["median_ns"] / base[n]["median_ns"]) for n in base
             if ok(base[n]) and ok(other.get(n))]
    if not pairs:
        return [label, "not measured", wanted, "n/a"]
    if faster:
        n, worst = min(pairs, key=lambda p: p[1])
        measured = "%s faster (worst, at %s; %s)" % (
            ratio(worst), tasks_phrase(n), ", ".join(ratio(x) for _, x in pairs))
        return [label, measured, wanted, status(worst >= 20)]
    n, worst = min(pairs, key=lambda p: p[1])
    measured = "%s the floor's time (worst, at %s; %s)" % (
        ratio(1 / worst), tasks_phrase(n), ", ".join(ratio(1 / x) for _, x in pairs))
    return [label, measured, wanted, status(1 / worst <= 2)]


def memory_targets(r):
    rows = []
    tasks = str(r["config"]["memory_tasks"][-1])
    for i, stage in enumerate(STAGE_NAMES):
        limit = 64 if i < 2 else 96
        label = "stage %d: runtime bytes per task" % (i + 1)
        wanted = "at most %d" % limit
        res = r["memory"].get(stage, {}).get("points", {}).get(tasks)
        if res is None:
            rows.append([label, r["stages"].get(stage, {}).get("detail", "not measured"),
                         wanted, "n/a"])
        elif not ok(res):
            rows.append([label, "failed: " + res["error"], wanted, "MISSED"])
        else:
            rows.append([label, "%.2f at %s (struct: %d)" % (
                res["bytes_per_task"], tasks_phrase(tasks), res["sizeof_task"]),
                         wanted, status(round(res["bytes_per_task"]) <= limit)])
    return rows


def ten_million_targets(r):
    rows = []
    for i, stage in enumerate(STAGE_NAMES):
        label = "stage %d: 10 million tasks run" % (i + 1)
        res = r["ten_million"].get(stage)
        if res is None:
            rows.append([label, r["stages"].get(stage, {}).get("detail", "not run"),
                         "they run", "n/a"])
        elif not ok(res):
            rows.append([label, "failed: " + res["error"], "they run", "MISSED"])
        else:
            rows.append([label, "%s resumes of 10 M tasks, %s ns each" % (
                count(res["switches"]), fmt(res["median_ns"])), "they run", "MET"])
    return rows


def echo_target(r, a, b, size, conns, wanted, label):
    servers = r["echo"]["servers"]
    row = "%s, %s conn., %s B" % (label, count(conns), count(size))
    if a not in servers or b not in servers:
        return [row, "a server is not built", "at least %s×" % wanted, "n/a"]
    x = servers[a]["runs"][size].get(conns)
    y = servers[b]["runs"][size].get(conns)
    if not ok(x) or not ok(y):
        return [row, "a run failed", "at least %s×" % wanted, "MISSED"]
    q = x["median_rt_per_s"] / y["median_rt_per_s"]
    return [row, "%s (%s vs %s rt/s)" % (ratio(q), kilo(x["median_rt_per_s"]),
                                         kilo(y["median_rt_per_s"])),
            "at least %s×" % wanted, status(q >= wanted)]


def echo_targets(r):
    sizes = [str(s) for s in r["config"]["echo_sizes"]]
    rows = [echo_target(r, "stage4", "epoll", size, conns, 0.9,
                        "stage 4 echoserver / epoll ceiling")
            for size in sizes for conns in ("10", "100", "1000")]
    rows += [echo_target(r, "stage5", "stage4", "1024", conns, 0.8,
                         "stage 5 lineecho / stage 4 echoserver")
             for conns in ("10", "100")]
    return rows


def http_targets(r):
    http = r.get("http", {})
    rows = []
    for name, size in http.get("files", {}).items():
        for conns in ("10", "100"):
            for peer, wanted in (("asyncio", 2), ("nginx", 0.9)):
                label = "stage 5 httpd / %s, %s conn., %s B" % (
                    peer, conns, count(size))
                q = http_ratio(http, "stage5", peer, name, conns)
                if q is None:
                    rows.append([label, "not measured: a run failed, a server "
                                 "is missing, or it did not return the file",
                                 "at least %s×" % wanted, "MISSED"])
                    continue
                x = http["servers"]["stage5"]["runs"][name][conns]["median_rps"]
                y = http["servers"][peer]["runs"][name][conns]["median_rps"]
                rows.append([label, "%s (%s vs %s req/s)" % (ratio(q), kilo(x), kilo(y)),
                             "at least %s×" % wanted, status(q >= wanted)])
    return rows


def targets_section(r):
    rows = [switch_ratio_target(r, "cpython", "stage 1 switch vs the CPython port",
                                "at least 20× faster"),
            switch_ratio_target(r, "ucontext", "stage 1 switch vs ucontext",
                                "at least 20× faster"),
            switch_ratio_target(r, "floor", "stage 1 switch vs the indirect-call floor",
                                "within 2×", faster=False)]
    rows += memory_targets(r) + ten_million_targets(r) + echo_targets(r) + \
        http_targets(r)
    text = ["## Targets",
            "",
            "Where each target stands in this run. These are measurements, not "
            "tests: nothing fails on them. A switch ratio must hold at every "
            "number of tasks measured, so the worst one decides. Bytes per "
            "task are compared to the nearest byte (what is paid once, the "
            "allocator and the code that runs, comes to about a tenth of a "
            "byte per task at 1 M tasks).",
            "",
            table(["target", "measured", "wanted", "status"], rows)]
    return "\n".join(text)


# ------------------------------------------------------------ method

def method_section(r):
    cfg = r["config"]
    ks = ", ".join("%s: K = %s" % (tasks_phrase(n), count(max(1, round(
        cfg["c_switches"] / n) - 1))) for n in cfg["switch_tasks"])
    ks_slow = ", ".join("%s: %s" % (short_count(n), count(max(1, round(
        cfg["slow_switches"] / n) - 1))) for n in cfg["switch_tasks"])
    uc = ucontext_stack(r)
    lines = [
        "## How this was measured",
        "",
        "- Mode: %s (%s s of measuring: %s). `make bench` runs the full set; "
        "`make bench QUICK=1` a short one with fewer repetitions, at most "
        "1 M tasks (and one run of 10 M tasks per stage) and short I/O "
        "windows." % (r["mode"], r["seconds"], ", ".join(
            "%s %s s" % kv for kv in r.get("phase_seconds", {}).items())),
        "- Switches: the C runtimes make about %s resumes per sample (%s); "
        "ucontext and CPython about %s (K = %s). %d repetitions, each a "
        "process of its own with an untimed warm-up run first (none at 1 M "
        "tasks or more, where setting the tasks up has touched all their "
        "memory already); %d for ucontext and CPython at 1 M tasks or more. "
        "The runtimes take turns, one repetition each, so that a busy moment "
        "of the machine falls on all of them alike." % (
            count(cfg["c_switches"]), ks, count(cfg["slow_switches"]),
            ks_slow, cfg["reps"], cfg["reps_big"]),
        "- `switch.c` is built once per stage against that stage's `task.h` "
        "and the files of its Makefile's `RUNTIME`, with `-O2`; its task is "
        "the runtime's `task` and a 32-bit counter.",
        "- The floor (`floor.c`) calls an out-of-line function that does "
        "nothing, through an array of N function pointers, N × (K + 1) times.",
        "- ucontext (`ucontext.c`): makecontext/swapcontext, two swaps per "
        "resume+yield. %s" % uc,
        "- CPython (`pool.py`): the seed's `TaskPool` and `Task` unchanged "
        "but for `next(g)`, run by `TaskPool.iteration(N × (K + 1))`; the "
        "cyclic garbage collector is off while tasks are made and run.",
        "- Servers and clients are not pinned to cores; on 2 cores the "
        "kernel runs server and client side by side. The load average above "
        "shows how busy the machine was otherwise.",
    ]
    return "\n".join(lines)


def ucontext_stack(r):
    for points in (r["switch"].get("ucontext", {}).get("points", {}),
                   r["memory"].get("ucontext", {}).get("points", {})):
        for res in points.values():
            st = res.get("extra", {}).get("ucontext_stack") if ok(res) else None
            if st:
                return ("Stacks: one coroutine used %s bytes of its stack "
                        "(measured by painting), so each gets %s bytes, the "
                        "smallest power of two that is twice that, all packed "
                        "in one malloc'd block without guard pages: the "
                        "cheapest layout, which favours ucontext. Real code "
                        "that calls the C library needs kilobytes. When N "
                        "coroutines would take more than a quarter of the free "
                        "memory, as many as fit are run, and the table says so."
                        % (st["stack_used"], st["stack_size"]))
    return ""


# ------------------------------------------------------------ plots

# One colour, point and dash a series, the same in every panel: Okabe and
# Ito's palette, which colour-blind readers can tell apart.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
           "#000000", "#999999"]


def style(i):
    return "lc rgb '%s' pt %d dt %d lw 1.5" % (
        PALETTE[i % len(PALETTE)], i % 7 + 1, i // 3 % 3 + 1)


def write_series(path, points):
    with open(path, "w") as f:
        for x, y, lo, hi in points:
            f.write("%s %s %s %s\n" % (x, y, lo, hi))


def switch_plot(r, out):
    plots = []
    for i, (ident, label) in enumerate(switch_rows(r)):
        points = [(actual_tasks(res, n), res["median_ns"], res["min_ns"], res["max_ns"])
                  for n, res in r["switch"][ident]["points"].items() if ok(res)]
        if not points:
            continue
        data = os.path.join(out, "switch-%s.dat" % ident)
        write_series(data, sorted(points))
        plots.append("'%s' using 1:2:3:4 with yerrorlines %s title '%s' "
                     "noenhanced" % (data, style(i), label.replace("'", "")))
    return "\n".join([
        "set terminal svg size 900,680 dynamic background rgb 'white' font 'sans,13'",
        "set output '%s'" % os.path.join(out, "switch.svg"),
        "set title 'Task switch cost (median, bars: min to max)'",
        "set logscale xy", "set grid",
        "set xlabel 'tasks'", "set ylabel 'ns per resume+yield'",
        "set format x '10^{%L}'", "set xrange [0.5:*]",
        "set key below maxrows 4",
        "plot " + ", \\\n     ".join(plots)])


def echo_plot(r, out):
    echo = r["echo"]
    panels = []
    for size in [str(s) for s in r["config"]["echo_sizes"]]:
        plots = []
        for i, ident in enumerate(echo_order(echo)):
            runs = echo["servers"][ident]["runs"][size]
            points = [(int(c), res["median_rt_per_s"], res["min_rt_per_s"],
                       res["max_rt_per_s"]) for c, res in runs.items() if ok(res)]
            if not points:
                continue
            data = os.path.join(out, "echo-%s-%s.dat" % (ident, size))
            write_series(data, sorted(points))
            plots.append("'%s' using 1:2:3:4 with yerrorlines %s title '%s' "
                         "noenhanced" % (data, style(i), echo["servers"][
                             ident]["label"].replace("'", "")))
        panels.append("set title '%s-byte messages'\nplot %s" % (
            count(size), ", \\\n     ".join(plots)))
    return "\n".join([
        "set terminal svg size 1100,500 dynamic background rgb 'white' font 'sans,12'",
        "set output '%s'" % os.path.join(out, "echo.svg"),
        "set multiplot layout 1,%d title 'Echo round trips per second "
        "(median, bars: min to max)'" % len(panels),
        "set logscale x", "set grid", "set yrange [0:*]", "set xrange [0.7:1500]",
        "set xlabel 'connections'", "set ylabel 'round trips/s'",
        "set key below font ',10'"] + panels + ["unset multiplot"])


def draw(script, out, name):
    path = os.path.join(out, name + ".gp")
    with open(path, "w") as f:
        f.write(script + "\n")
    proc = subprocess.run(["gnuplot", path], capture_output=True, text=True)
    if proc.returncode != 0:
        print("report: gnuplot failed on %s: %s" % (path, proc.stderr.strip()),
              file=sys.stderr)


# ------------------------------------------------------------ main

def report_body(r):
    return "\n\n".join([
        "Measured by `make bench` on %s (%s run). Every figure is from this "
        "one run on this one machine." % (r["date"], r["mode"]),
        machine_section(r), targets_section(r), switch_section(r),
        memory_section(r), child_section(r), echo_section(r), http_section(r),
        method_section(r)]) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py DIR")
    out = os.path.abspath(sys.argv[1])
    with open(os.path.join(out, "results.json")) as f:
        r = json.load(f)
    body = report_body(r)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("# Benchmarks\n\n" + body)
    with open(os.path.join(out, "performance.md"), "w") as f:
        f.write("# Performance {#performance}\n\n" + body)
    draw(switch_plot(r, out), out, "switch")
    draw(echo_plot(r, out), out, "echo")
    print("\n" + "\n\n".join([machine_section(r), switch_section(r),
                              memory_section(r), child_section(r),
                              echo_section(r), http_section(r),
                              targets_section(r)]))
    print("\nreport: %s (plots: switch.svg, echo.svg)" % os.path.join(out, "report.md"))


if __name__ == "__main__":
    main()
