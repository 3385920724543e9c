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
CXX = "cxx20-gcc"  # the peer the switch and child targets name
PEERS = ["cxx20-gcc", "cxx20-clang", "boost", "cpython", "ucontext", "floor"]
NOISY = 0.10  # results.json may say otherwise


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


def noisy(result, mid="median_ns", lo="min_ns", hi="max_ns"):
    """Is the range over the repetitions more than NOISY of the median?"""
    return ok(result) and result.get(mid, 0) > 0 and \
        (result[hi] - result[lo]) / result[mid] > NOISY


def noisy_mark(result, mid="median_ns", lo="min_ns", hi="max_ns"):
    return " (noisy)" if noisy(result, mid, lo, hi) else ""


def with_spread(result, mid="median_ns", lo="min_ns", hi="max_ns"):
    m, s = result[mid], spread(result, lo, hi)
    return "%.*f ± %.*f%s" % (decimals(m), m, decimals(m), s,
                               noisy_mark(result, mid, lo, hi))


def kilo(x):
    return "%.1fk" % (x / 1000) if x >= 1000 else "%.0f" % x


def ratio(x):
    return "%.2f×" % x if x < 10 else "%.1f×" % x if x < 100 else "%.0f×" % x


def target_ratio(x, wanted):
    """ratio(x), with more decimals where two would hide on which side of
    the target x falls: 0.9498× misses 0.95×, and does not print as it."""
    digits = 2
    while digits < 6 and x != wanted and "%.*f" % (digits, x) == \
            "%.*f" % (digits, wanted):
        digits += 1
    return "%.*f×" % (digits, x) if x < 10 else ratio(x)


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
        ("C++ compilers", m.get("cxx", "not recorded")),
        ("libuv, Boost", "%s, %s" % (m.get("libuv", "?"), m.get("boost", "?"))),
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
    for ident, st in r["stages"].items():
        if ident not in STAGE_NAMES and st["status"] != "ok":
            notes.append("- %s: %s." % (st.get("label", ident), st["detail"]))
    if not notes:
        return ""
    return "Left out of the tables:\n\n" + "\n".join(notes) + "\n"


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
    rows, ratios, cxx_ratios = [], [], []
    base = r["switch"].get(BASE, {}).get("points", {})
    cxx = r["switch"].get(CXX, {}).get("points", {})
    for ident, label in switch_rows(r):
        points = r["switch"][ident]["points"]
        rows.append([label] + [switch_cell(points[n], n) for n in tasks])
        if ident != BASE:
            ratios.append([label] + [ratio_cell(points[n], base.get(n))
                                     for n in tasks])
        if cxx and ident != CXX:
            cxx_ratios.append([label] + [ratio_cell(points[n], cxx.get(n))
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
            ""]
    if cxx_ratios:
        text += ["Each runtime's time as a multiple of C++20 coroutines "
                 "built by g++ (above 1: slower than the compiler's own "
                 "coroutines):", "", table(header, cxx_ratios), ""]
    text += ["![Task switch cost against the number of tasks](switch.svg)"]
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
        elif ident.startswith("cxx20"):
            size = "%s (the coroutine's frame, from operator new)" % size
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
            "context and its stack; for Boost a fiber and its stack; for C++20 "
            "the frame the compiler allocates for a coroutine (not started) "
            "and the allocator's header. One measurement each: from run to run the "
            "figure moves by about a tenth of a byte (the allocator and the "
            "code that runs, paid once)." + (
                "" if r["config"].get("slow_memory", True) else
                " A quick run leaves out ucontext, Boost and CPython."),
            "",
            table(header, rows)]
    return "\n".join(text)


STAGE5_CHILD_TEXT = (
    "Stage 5's figure is what its runtime does for every child: the parent "
    "makes it with `io_child()`, which takes a spare child's memory from the "
    "loop (or callocs it when none fits) and zeroes it, and yields it; the "
    "I/O loop's trampoline (`step()`) runs it in the parent's place, sends "
    "its return value back as the parent's `t->sent` and keeps its memory "
    "for the next call. All of that is in the figure, as making the "
    "generator is in CPython's. In "
    "the chain the top task calls a child that calls a child, and so on down; "
    "its figure is per level, comparable with the one-level call (each level "
    "in between is resumed twice: to start, and with its child's value).")


CXX_CHILD_TEXT = (
    "C++20 (`coro.cpp`): the parent `co_await`s a child task that "
    "`co_return`s an int at once; the child's end hands control straight "
    "back to the parent (symmetric transfer). The child's coroutine is out "
    "of line (`noinline`, as a child in another file is), so its frame "
    "really comes from `operator new` and goes back with `delete` (stage "
    "5's comes from the loop's spare children and goes back there).")


def child_section(r):
    child = r.get("child", {})
    names = [("stage5-subtasks", "stage 5: a task yields a child task (C)"),
             ("stage5-chain", "stage 5: a chain of children, per level (C)"),
             ("cxx20-gcc", "C++20 `co_await` of a child task, g++ -O2"),
             ("cxx20-gcc-chain", "C++20: a chain of children, per level, g++"),
             ("cxx20-clang", "C++20 `co_await` of a child task, clang++ -O2"),
             ("cxx20-clang-chain",
              "C++20: a chain of children, per level, clang++"),
             ("yield_from", "CPython `yield from`"),
             ("trampoline", "CPython multitask-style trampoline")]
    base_key = "stage5-subtasks" if ok(child.get("stage5-subtasks")) else "yield_from"
    base = child.get(base_key)
    rows = []
    for key, label in names:
        res = child.get(key)
        if key.endswith("-chain"):
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
    if ok(child.get("cxx20-gcc")):
        text += ["", CXX_CHILD_TEXT]
    if "stage5-subtasks" not in child:
        text += ["", "The C side waits for stage 5's child-task API: "
                 "`bench/child.c`, built against stage 5 when both exist."]
    return "\n".join(text)


# ------------------------------------------------------------ echo

def echo_order(echo):
    return [s for s in ("stage4", "stage5", "libuv", "asyncio", "epoll")
            if s in echo["servers"]]


def echo_cell(res):
    if not ok(res):
        return "failed: " + res.get("error", "?")
    cell = "%s ± %s%s" % (kilo(res["median_rt_per_s"]),
                          kilo(spread(res, "min_rt_per_s", "max_rt_per_s")),
                          noisy_mark(res, "median_rt_per_s", "min_rt_per_s",
                                     "max_rt_per_s"))
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
            "is one line, its last byte the only newline. Stage 4's "
            "`echoserver` runs twice: built by stage 4, and built against "
            "stage 5's runtime (as the tests build a carried program); libuv's "
            "peer (`uv_echo.c`) writes what it reads at once with "
            "`uv_try_write()`. The client runs on one core and every server "
            "on another (see the method below). After "
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
    pairs = [("stage4", "epoll", "stage 4 / epoll ceiling"),
             ("stage4", "libuv", "stage 4 / libuv"),
             ("stage5", "stage4", "stage 5's runtime / stage 4's"),
             ("stage4", "asyncio", "stage 4 / asyncio"),
             ("libuv", "epoll", "libuv / epoll ceiling"),
             ("asyncio", "epoll", "asyncio / epoll ceiling")]
    return [[name] + [echo_ratio(runs[a][c], runs[b][c]) for c in conns]
            for a, b, name in pairs if a in runs and b in runs]


# ------------------------------------------------------------ http

HTTP_ORDER = ("stage5", "asyncio", "nginx")


def http_cell(res):
    if not ok(res):
        return "failed: " + res.get("error", "?")
    errors = res.get("socket_errors", 0) + int(res.get("non_2xx", 0))
    return "%s ± %s%s%s" % (kilo(res["median_rps"]),
                            kilo((res["max_rps"] - res["min_rps"]) / 2),
                            noisy_mark(res, "median_rps", "min_rps", "max_rps"),
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


# ------------------------------------------------------------ system calls

SYSCALL_ORDER = ["echo-stage4", "echo-stage5", "echo-libuv", "echo-epoll",
                 "echo1-stage4", "echo1-stage5", "echo1-libuv", "echo1-epoll",
                 "http-stage5", "http-nginx"]


def calls_cell(res):
    per = sorted(((n / res["round_trips"], name)
                  for name, n in res["calls"].items()), reverse=True)
    return ", ".join("`%s` %.2f" % (name, x) for x, name in per if x >= 0.05)


def syscall_section(r):
    sc = r.get("syscalls")
    if not sc:
        return None
    text = ["## System calls per round trip",
            "",
            "Each server runs alone under `strace -c -f`, which counts every "
            "system call it makes, twice: a short run and a long one with "
            "the same connections. The echo servers meet the load client with "
            "100 connections and 1 024-byte messages, and then with 1 "
            "connection, where every round trip is a pass of the loop of its "
            "own (0.05 s, then %g s); the "
            "web servers meet `wrk -t 1 -c 10` asking for `/1k.html` (1 s, "
            "then %d s). A figure is the long run's calls less the short "
            "run's, over its round trips (requests) less the short run's: "
            "what one more round trip costs, without the start and the "
            "accepts, which are paid once. strace slows a server down many "
            "times, so these runs give counts, never speeds." % (
                r["config"].get("strace_seconds", 0),
                1 + max(1, round(r["config"].get("strace_seconds", 1))))]
    if sc.get("note"):
        return "\n".join(text + ["", sc["note"] + "."])
    rows = []
    for ident in [i for i in SYSCALL_ORDER if i in sc["servers"]]:
        res = sc["servers"][ident]
        if not ok(res):
            rows.append([res.get("label", ident), "failed: " + res["error"],
                         "", ""])
            continue
        rows.append([res["label"] + (" (requests)" if res["kind"] == "http"
                                     else ""),
                     count(res["round_trips"]),
                     "%.2f" % res["per_round_trip"], calls_cell(res)])
    text += ["", table(["server", "round trips", "system calls per round "
                        "trip", "the calls per round trip (0.05 or more)"],
                       rows)]
    return "\n".join(text)


# ------------------------------------------------------------ targets

def status(met):
    return "MET" if met else "MISSED"


def overlap(a, b):
    """Do the ranges over the repetitions of figures @a and @b overlap?"""
    (x, _, lo, hi), (y, _, ylo, yhi) = a, b
    return max(x[lo], y[ylo]) <= min(x[hi], y[yhi])


def judged(r, met, *figures):
    """MET, or MISSED with what may explain it: a noisy figure among
    @figures ((result, median key, min key, max key) each), two figures
    whose ranges overlap, a busy machine, a quick run."""
    if met:
        return "MET"
    why = []
    if any(noisy(*f) for f in figures):
        why.append("a figure is noisy")
    if len(figures) == 2 and overlap(*figures):
        why.append("the two ranges overlap")
    load, cores = r["machine"]["load_at_start"][0], r["machine"]["cores"]
    if cores and float(load) > cores / 2:
        why.append("the machine was busy: load %s on %d cores" % (load, cores))
    if r["mode"] == "quick":
        why.append("a quick run")
    return "MISSED" + (" (%s)" % "; ".join(why) if why else "")


def cxx_switch_target(r, ident, label, limit):
    """@ident's switch time over C++20 (g++)'s at 1 000 and 100 000 tasks."""
    wanted = "at most %s×, at 1 k and 100 k tasks" % limit
    mine = r["switch"].get(ident, {}).get("points", {})
    cxx = r["switch"].get(CXX, {}).get("points", {})
    pairs = [(n, mine[n], cxx[n]) for n in ("1000", "100000")
             if ok(mine.get(n)) and ok(cxx.get(n))]
    if not pairs:
        return [label, "not measured", wanted, "n/a"]
    worst = max(pairs, key=lambda p: p[1]["median_ns"] / p[2]["median_ns"])
    q = worst[1]["median_ns"] / worst[2]["median_ns"]
    measured = "%s (worst, at %s; %s)" % (ratio(q), tasks_phrase(worst[0]), ", ".join(
        "%s vs %s ns at %s" % (fmt(a["median_ns"]), fmt(b["median_ns"]),
                              tasks_phrase(n)) for n, a, b in pairs))
    figures = [(x, "median_ns", "min_ns", "max_ns") for _, a, b in pairs
               for x in (a, b)]
    return [label, measured, wanted, judged(r, q <= limit, *figures)]


def child_target(r):
    label = "stage 5 child call / C++20 child call (g++)"
    wanted = "at most 1.0×"
    child = r.get("child", {})
    a, b = child.get("stage5-subtasks"), child.get(CXX)
    if not ok(a) or not ok(b):
        return [label, "not measured", wanted, "n/a"]
    q = a["median_ns"] / b["median_ns"]
    return [label, "%s (%s vs %s ns)" % (ratio(q), fmt(a["median_ns"]),
                                         fmt(b["median_ns"])), wanted,
            judged(r, q <= 1.0, (a, "median_ns", "min_ns", "max_ns"),
                   (b, "median_ns", "min_ns", "max_ns"))]


SYSCALL_TARGETS = [
    ("echo-stage4", "echo-epoll", "stage 4 echoserver: system calls per "
     "round trip / the epoll ceiling's"),
    ("echo-stage5", "echo-epoll", "echoserver on stage 5's runtime: system "
     "calls per round trip / the epoll ceiling's"),
    ("echo1-stage4", "echo1-epoll", "stage 4 echoserver, 1 connection: "
     "system calls per round trip / the epoll ceiling's"),
    ("http-stage5", "http-nginx", "stage 5 httpd: system calls per request "
     "/ nginx's"),
]


def syscall_targets(r):
    servers = r.get("syscalls", {}).get("servers", {})
    rows = []
    for a, b, label in SYSCALL_TARGETS:
        wanted = "at most 1.05×"
        x, y = servers.get(a), servers.get(b)
        if not ok(x) or not ok(y):
            rows.append([label, "not measured", wanted, "n/a"])
            continue
        q = x["per_round_trip"] / y["per_round_trip"]
        rows.append([label, "%s (%.2f vs %.2f)" % (
            ratio(q), x["per_round_trip"], y["per_round_trip"]), wanted,
            status(q <= 1.05)])
    return rows


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
            rows.append([label, r["stages"].get(stage, {}).get(
                "detail", "not run (a quick run)" if r["mode"] == "quick"
                else "not run"), "they run", "n/a"])
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
    keys = ("median_rt_per_s", "min_rt_per_s", "max_rt_per_s")
    return [row, "%s (%s vs %s rt/s)" % (target_ratio(q, wanted),
                                         kilo(x["median_rt_per_s"]),
                                         kilo(y["median_rt_per_s"])),
            "at least %s×" % wanted,
            judged(r, q >= wanted, (x,) + keys, (y,) + keys)]


def echo_targets(r):
    sizes = [str(s) for s in r["config"]["echo_sizes"]]
    conns = [str(c) for c in r["config"]["echo_conns"]]
    rows = []
    for b, wanted, label in (("epoll", 0.95, "stage 4 echoserver / epoll ceiling"),
                             ("libuv", 1.0, "stage 4 echoserver / libuv")):
        rows += [echo_target(r, "stage4", b, size, c, wanted, label)
                 for size in sizes for c in conns]
    rows += [echo_target(r, "stage5", "stage4", size, c, 0.9,
                         "echoserver on stage 5's runtime / on stage 4's")
             for size in sizes for c in conns]
    return rows


def http_targets(r):
    http = r.get("http", {})
    rows = []
    for name, size in http.get("files", {}).items():
        for conns in ("10", "100"):
            for peer, wanted in (("asyncio", 2), ("nginx", 1.0)):
                label = "stage 5 httpd / %s, %s conn., %s B" % (
                    peer, conns, count(size))
                q = http_ratio(http, "stage5", peer, name, conns)
                if q is None:
                    rows.append([label, "not measured: a run failed, a server "
                                 "is missing, or it did not return the file",
                                 "at least %s×" % wanted, "MISSED"])
                    continue
                x = http["servers"]["stage5"]["runs"][name][conns]
                y = http["servers"][peer]["runs"][name][conns]
                keys = ("median_rps", "min_rps", "max_rps")
                rows.append([label, "%s (%s vs %s req/s)" % (
                    target_ratio(q, wanted), kilo(x["median_rps"]),
                    kilo(y["median_rps"])),
                             "at least %s×" % wanted,
                             judged(r, q >= wanted, (x,) + keys, (y,) + keys)])
    return rows


def targets_section(r):
    rows = [cxx_switch_target(r, BASE, "stage 1 switch / C++20 coroutines "
                              "(g++)", 1.0),
            cxx_switch_target(r, "stage5-subtasks", "stage 5 switch / C++20 "
                              "coroutines (g++)", 2.0),
            child_target(r),
            switch_ratio_target(r, "cpython", "stage 1 switch vs the CPython port",
                                "at least 20× faster"),
            switch_ratio_target(r, "ucontext", "stage 1 switch vs ucontext",
                                "at least 20× faster"),
            switch_ratio_target(r, "floor", "stage 1 switch vs the indirect-call floor",
                                "within 2×", faster=False)]
    rows += memory_targets(r) + ten_million_targets(r) + echo_targets(r) + \
        http_targets(r) + syscall_targets(r)
    text = ["## Targets",
            "",
            "Where each target stands in this run. These are measurements, not "
            "tests: nothing fails on them. A switch ratio must hold at every "
            "number of tasks measured, so the worst one decides. Bytes per "
            "task are compared to the nearest byte (what is paid once, the "
            "allocator and the code that runs, comes to about a tenth of a "
            "byte per task at 1 M tasks). A MISSED target names what may "
            "explain it when the run can tell: a noisy figure (its range "
            "over the repetitions is more than %d %% of its median), two "
            "figures whose ranges overlap (then either could come out "
            "ahead: a tie, not a gap), a busy "
            "machine (a load average at the start above half the cores), a "
            "quick run." % round(NOISY * 100),
            "",
            table(["target", "measured", "wanted", "status"], rows)]
    known = [why for start, why in KNOWN_REASONS
             if any(row[0].startswith(start) and row[3].startswith("MISSED")
                    for row in rows)]
    if known:
        text += ["", "What is known of why a target is missed, from the code "
                 "and from measurements made by hand next to such a run (the "
                 "date says when):", ""] + ["- " + why for why in known]
    return "\n".join(text)


# What explains a missed target, by the start of its label: printed only
# when the run misses it.
KNOWN_REASONS = [
    ("stage 1 switch / C++20", "**Stage 1 switch.** The pool counts its tasks "
     "(`ntasks`, the seed's `len(tasks)`, which `pool_iteration` returns), "
     "and `pool_step` takes each task out and puts it back: two "
     "read-modify-writes of that count per resume, which the C++ peer's "
     "FIFO does not make. Built without the count, stage 1 took "
     "2.01 ns a resume at 1 000 tasks, against 2.30 ns with it and 1.97 ns "
     "for C++20 (g++): the medians of five runs each, by hand, 2026-12-06. "
     "The course keeps the count: `pool_iteration` returns it, and "
     "stage 4's loop reads the ready pool's."),
    ("stage 5 switch / C++20", "**Stage 5 switch.** The same count costs "
     "stage 5 0.2 ns a resume (4.33 ns with it, 4.13 ns without, measured "
     "as above). The rest is what stage 3 adds to every resume for send, "
     "throw and close: `task_send` checks that the task is not running, not "
     "waiting for a child, not finished, and not sent a value before its "
     "start, then stores the value and clears the error; `run()` sets and "
     "clears the running flag and looks for the cleanup section."),
    ("stage 5 child call", "**Child call.** A C++ coroutine's frame is not "
     "zeroed, and its cleanup is compiled into the call that ends it. A "
     "stage 5 child is zeroed whole by `io_child`, and its end calls the "
     "body once more, to run its `TASK_FINALLY` section (stage 3's rule "
     "that a cleanup runs once, whatever ends the task). Without the "
     "zeroing a child call took 13.6 ns, without the second call 13.8 ns, "
     "against 15.7 ns with both and 11.6 to 12.8 ns for C++20 (g++): the "
     "medians of five runs each, by hand, 2026-12-06."),
    ("stage 4 echoserver / ", "**Echo.** The course's server makes as many "
     "system calls per round trip as the epoll ceiling and libuv (the "
     "section on system calls per round trip has the counts), so no gap is "
     "in their number, and where the two ranges overlap the servers are "
     "level. Where they do not, the cause has not been found. Profiles by "
     "hand (perf, 2026-12-06) put under 2 % of the server's time in "
     "`select()` and its scan of the fds, at 1 000 connections of 64 KiB "
     "and at 100 of 1 KiB, and most of it in the kernel's TCP code, as for "
     "the epoll ceiling; in a run side by side under perf at 100 "
     "connections of 1 KiB the course's server was ahead (84.8k against "
     "76.3k round trips a second)."),
]


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
        "`make bench QUICK=1` a short one: 1 k and 100 k tasks, fewer "
        "repetitions, no run of 10 M tasks, no memory count for the slow "
        "runtimes, 10 and 100 connections and short I/O windows." % (r["mode"], r["seconds"], ", ".join(
            "%s %s s" % kv for kv in r.get("phase_seconds", {}).items())),
        "- Switches: the C and C++ stackless runtimes make about %s resumes "
        "per sample (%s); ucontext, Boost and CPython about %s (K = %s). %d repetitions, each a "
        "process of its own with an untimed warm-up run first (none at 1 M "
        "tasks or more, where setting the tasks up has touched all their "
        "memory already); %d for ucontext, Boost and CPython at %s tasks or more. "
        "The runtimes take turns, one repetition each, so that a busy moment "
        "of the machine falls on all of them alike. Every switch and child "
        "call figure is the process's CPU time (`CLOCK_PROCESS_CPUTIME_ID`, "
        "Python's `time.process_time_ns`), so that the moments a busy "
        "machine gives the core to another process do not count." % (
            count(cfg["c_switches"]), ks, count(cfg["slow_switches"]),
            ks_slow, cfg["reps"], cfg["reps_big"],
            short_count(cfg.get("big_tasks", 1000000))),
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
        "- C++20 coroutines (`coro.cpp`, built by g++ and by clang++ with "
        "`-std=c++20 -O2`): the same round robin, a FIFO of coroutine "
        "handles linked through their promises; a coroutine's frame comes "
        "from `operator new`. Boost.Context (`fiber.cpp`): "
        "`boost::context::fiber` with packed stacks sized as for ucontext "
        "(%s), in a FIFO ring; at most a sixteenth of the free memory is "
        "used for its stacks, and the table says when fewer fibers ran." % (
            fiber_stack(r)),
        "- %s The load average above shows how busy the machine was "
        "otherwise." % pinning_text(r),
        "- A figure is marked noisy when the range over its repetitions is "
        "more than %d %% of its median: the machine was busy while it was "
        "measured, and its ratios are not to be trusted." % round(NOISY * 100),
    ]
    return "\n".join(lines)


def pinning_text(r):
    pin = r.get("pinning", {})
    if pin.get("client_core") is None:
        return ("Servers and clients are not pinned to cores (one core), so "
                "they share it.")
    return ("Every server runs on core %d and its load client (loadclient "
            "or wrk) on core %d (sched_setaffinity), so that the two never "
            "take turns on one core." % (pin["server_core"], pin["client_core"]))


def fiber_stack(r):
    for points in (r["switch"].get("boost", {}).get("points", {}),
                   r["memory"].get("boost", {}).get("points", {})):
        for res in points.values():
            st = res.get("extra", {}).get("ucontext_stack") if ok(res) else None
            if st:
                return "one fiber used %s bytes, so each gets %s" % (
                    st["stack_used"], st["stack_size"])
    return "not measured"


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
        memory_section(r), child_section(r), echo_section(r), http_section(r)] +
        [x for x in [syscall_section(r)] if x] + [method_section(r)]) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py DIR")
    out = os.path.abspath(sys.argv[1])
    with open(os.path.join(out, "results.json")) as f:
        r = json.load(f)
    global NOISY
    NOISY = r.get("noisy", NOISY)
    body = report_body(r)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("# Benchmarks\n\n" + body)
    with open(os.path.join(out, "performance.md"), "w") as f:
        f.write("# Performance {#performance}\n\n" + body)
    draw(switch_plot(r, out), out, "switch")
    draw(echo_plot(r, out), out, "echo")
    print("\n" + "\n\n".join([machine_section(r), switch_section(r),
                              memory_section(r), child_section(r),
                              echo_section(r), http_section(r)] +
                             [x for x in [syscall_section(r)] if x] +
                             [targets_section(r)]))
    print("\nreport: %s (plots: switch.svg, echo.svg)" % os.path.join(out, "report.md"))


if __name__ == "__main__":
    main()
