"""run.py: run every benchmark of `make bench` and save what it measured.

    python3 run.py --out DIR --stages "stage1-... stage2-..." [--quick]

Everything a table compares is measured here, in this one run, on this
machine. The C programs and the Python peers print one key=value line
each; this script runs them, keeps their figures in DIR/results.json, and
leaves the report to report.py. Progress goes to stderr.
"""

import argparse
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

QUICK = {
    "switch_tasks": [1000, 100000],  # the targets' numbers of tasks
    "memory_tasks": [1000000],  # bytes per task are judged at 1 M
    "ten_million": False,       # no run of 10 M tasks
    "reps": 3,
    "reps_big": 1,              # slow runtimes at big_tasks or more
    "big_tasks": 100000,
    "slow_memory": False,       # no memory count for the slow runtimes
    "c_switches": 2000000,      # switches per sample, C and C++ stackless
    "slow_switches": 30000,     # ... for ucontext, Boost fibers and CPython
    "child_calls": 100000,      # child calls per sample, CPython
    "c_child_calls": 1000000,   # ... stage 5 (bench/child.c) and C++
    "echo_conns": [10, 100],
    "echo_sizes": [1024, 65536],
    "echo_seconds": 0.1,
    "echo_reps": 3,
    "wrk_conns": [10, 100],
    "wrk_seconds": 1,
    "wrk_reps": 1,
    "strace_seconds": 1,        # the long load window of a strace -c count
}

FULL = dict(QUICK, **{
    "switch_tasks": [1, 1000, 100000, 10000000],
    "memory_tasks": [1000000, 10000000],
    "ten_million": True,
    "reps": 5,
    "reps_big": 3,
    "big_tasks": 1000000,
    "slow_memory": True,
    "c_switches": 20000000,
    "slow_switches": 2000000,
    "child_calls": 1000000,
    "c_child_calls": 25000000,  # about 0.5 s a sample
    "echo_conns": [1, 10, 100, 1000],
    "echo_seconds": 0.5,
    "echo_reps": 5,
    "wrk_seconds": 3,
    "wrk_reps": 5,
    "strace_seconds": 2,
})

# A figure whose range over its repetitions is more than this share of its
# median is marked noisy in the report.
NOISY = 0.10

TEN_MILLION = 10000000
LISTENING = re.compile(r"listening on (\S+):(\d+)\s*$")


def cores():
    """(client core, server core): the first and the last this process may
    use, or (None, None) on one core."""
    allowed = sorted(os.sched_getaffinity(0))
    return (allowed[0], allowed[-1]) if len(allowed) > 1 else (None, None)


CLIENT_CORE, SERVER_CORE = cores()


def pinned(core):
    """A preexec_fn that puts the child on @core (nothing if None)."""
    if core is None:
        return None
    return lambda: os.sched_setaffinity(0, {core})


def say(*words):
    print("bench:", *words, file=sys.stderr, flush=True)


def parse_line(text, kind):
    """The key=value fields of the last line of @text that starts with @kind."""
    for line in reversed(text.splitlines()):
        words = line.split()
        if words and words[0] == kind:
            return dict(w.split("=", 1) for w in words[1:] if "=" in w)
    return None


def number(text):
    return float(text) if re.search(r"[.eE]", text) else int(text)


def run_program(cmd, kind, timeout):
    """Run @cmd; its @kind line as numbers and strings, or {"error": why}."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "no result within %d s" % timeout}
    fields = parse_line(proc.stdout, kind)
    if proc.returncode != 0 or fields is None:
        why = (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])
        return {"error": why[-1][:200]}
    result = run_fields(fields)
    extra = {}
    for line in proc.stdout.splitlines():
        words = line.split()
        if words and words[0] != kind:
            extra[words[0]] = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    if extra:
        result["extra"] = extra
    return result


# ----------------------------------------------------------------- machine

def first_match(path, pattern):
    try:
        with open(path) as f:
            for line in f:
                m = re.match(pattern, line)
                if m:
                    return m.group(1).strip()
    except OSError:
        pass
    return "unknown"


def command_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def git_commit():
    commit = command_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain"],
                           capture_output=True, text=True).stdout.strip()
    return commit + (" (with local changes)" if dirty else "")


def machine(cc, python):
    mem_kib = first_match("/proc/meminfo", r"MemTotal:\s+(\d+)")
    return {
        "cpu": first_match("/proc/cpuinfo", r"model name\s*:(.*)"),
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem_kib) / 1048576, 1) if mem_kib.isdigit() else None,
        "kernel": "%s %s" % (platform.system(), platform.release()),
        "os": first_match("/etc/os-release", r'PRETTY_NAME="?([^"]*)"?'),
        "compiler": command_line([cc, "--version"]),
        "libc": " ".join(platform.libc_ver()),
        "python": "%s (%s)" % (command_line([python, "--version"]),
                               command_line([python, "-c",
                                             "import sys; print(sys.executable)"])),
        "cxx": "%s; %s" % (command_line(["g++", "--version"]),
                           command_line(["clang++", "--version"])),
        "libuv": command_line(["pkg-config", "--modversion", "libuv"]),
        "boost": first_match("/usr/include/boost/version.hpp",
                             r'#define BOOST_LIB_VERSION "([^"]*)"'),
        "wrk": command_line(["wrk", "--version"]),
        "nginx": command_line(["nginx", "-v"]) if shutil.which("nginx") else None,
        "load_at_start": open("/proc/loadavg").read().split()[:3],
        "commit": git_commit(),
    }


# ------------------------------------------------------- switch and memory

def yields_for(tasks, switches):
    """K so that tasks * (K + 1), the switches of one sample, is about @switches."""
    return max(1, round(switches / tasks) - 1)


class Runtime:
    """One row of the switch and memory tables: how to run it, what it is."""

    def __init__(self, ident, label, cmd, slow, kind="switch"):
        self.ident, self.label, self.cmd = ident, label, cmd
        self.slow, self.kind = slow, kind


# The compiled peers of the switch table: ident, label, binary, slow.
SWITCH_PEERS = [
    ("cxx20-gcc", "C++20 coroutines, g++ -O2 (coro.cpp)", "coro-gcc", False),
    ("cxx20-clang", "C++20 coroutines, clang++ -O2 (coro.cpp)", "coro-clang",
     False),
    ("boost", "Boost.Context fibers (fiber.cpp)", "fiber", True),
]


def peer_status(out, binary):
    """None if @binary was built, else why not (the first error of its log)."""
    path = os.path.join(out, binary)
    if os.path.exists(path):
        return None
    try:
        with open(path + ".log") as f:
            errors = [line.strip() for line in f if "error" in line]
    except OSError:
        errors = []
    return "does not build" + (": " + errors[0][:160] if errors else "")


def runtimes(out, stages, python):
    rows, status = [], {}
    for stage in stages:
        status[stage] = stage_status(out, stage)
        if status[stage]["status"] == "ok":
            rows.append(Runtime(stage, stage, [status[stage]["binary"]], False))
    for ident, label, binary, slow in SWITCH_PEERS:
        why = peer_status(out, binary)
        if why:
            status[ident] = {"status": "failed", "label": label, "detail": why}
        else:
            rows.append(Runtime(ident, label, [os.path.join(out, binary)], slow))
    rows.append(Runtime("cpython", "CPython generators (pool.py)",
                        [python, os.path.join(HERE, "pool.py")], True))
    rows.append(Runtime("ucontext", "ucontext coroutines (ucontext.c)",
                        [os.path.join(out, "ucontext")], True, "ucontext"))
    rows.append(Runtime("floor", "floor: indirect call (floor.c)",
                        [os.path.join(out, "floor")], False, "floor"))
    return rows, status


def stage_status(out, stage):
    binary = os.path.join(out, "switch-" + stage)
    log = binary + ".log"
    if not os.path.isdir(os.path.join(ROOT, stage)):
        return {"status": "missing", "detail": "not in the tree yet"}
    if os.path.exists(binary):
        return {"status": "ok", "binary": binary}
    detail = "switch.c does not build against it"
    if os.path.exists(log):
        with open(log) as f:
            errors = [line for line in f if "error" in line]
        if errors:
            detail += ": " + errors[0].strip()[:160]
    return {"status": "failed", "detail": detail}


def summarise(runs, value, lo="min", hi="max", mid="median"):
    """One point from the runs of one sample each: the last run's fields,
    all samples, and their median, min and max under the given names."""
    good = [r for r in runs if ok(r)]
    if not good:
        return runs[-1] if runs else {"error": "not run"}
    samples = [x for r in good for x in r["samples"]]
    point = dict(good[-1], samples=samples, reps=len(samples))
    point[mid + value] = statistics.median(samples)
    point[lo + value], point[hi + value] = min(samples), max(samples)
    return point


def ok(result):
    return isinstance(result, dict) and "error" not in result


def reps_for(rt, tasks, cfg):
    return cfg["reps_big"] if rt.slow and tasks >= cfg["big_tasks"] else cfg["reps"]


def measure_switches(rows, cfg):
    """Every runtime at each N, one repetition of each in turn, so that a
    busy moment of the machine falls on all of them alike."""
    points = {rt.ident: {} for rt in rows}
    for tasks in cfg["switch_tasks"]:
        runs = {rt.ident: [] for rt in rows}
        for rep in range(max(cfg["reps"], cfg["reps_big"])):
            for rt in rows:
                done = runs[rt.ident]
                if rep >= reps_for(rt, tasks, cfg) or (done and not ok(done[-1])):
                    continue
                budget = cfg["slow_switches"] if rt.slow else cfg["c_switches"]
                cmd = rt.cmd + ["time", "-n", str(tasks), "-k",
                                str(yields_for(tasks, budget)), "-r", "1"]
                done.append(run_program(cmd, rt.kind, 900))
        for rt in rows:
            point = points[rt.ident][str(tasks)] = summarise(runs[rt.ident], "_ns")
            say("switch %-28s %9d tasks: %s" % (rt.ident, tasks,
                                                brief(point, "median_ns", "ns")))
    return points


def measure_memory(rt, cfg):
    points = {}
    for tasks in cfg["memory_tasks"]:
        result = run_program(rt.cmd + ["mem", "-n", str(tasks)], "mem", 900)
        points[str(tasks)] = result
        say("memory %-28s %9d tasks: %s" % (rt.ident, tasks,
                                            brief(result, "bytes_per_task", "B")))
    return points


def ten_million_check(rt, cfg):
    """Quick runs stop at 1 M tasks; this one run shows 10 M run at all."""
    cmd = rt.cmd + ["time", "-n", str(TEN_MILLION), "-k", "1", "-r", "1"]
    result = run_program(cmd, "switch", 300)
    say("10 M tasks %-24s: %s" % (rt.ident, brief(result, "median_ns", "ns")))
    return result


def brief(result, key, unit):
    if "error" in result:
        return "FAILED: " + result["error"]
    return "%.4g %s" % (result[key], unit)


def switch_and_memory(out, stages, python, cfg):
    rows, status = runtimes(out, stages, python)
    points = measure_switches(rows, cfg)
    switch, memory, ten = {}, {}, {}
    for rt in rows:
        switch[rt.ident] = {"label": rt.label, "points": points[rt.ident]}
        if rt.ident != "floor" and (cfg["slow_memory"] or not rt.slow):
            memory[rt.ident] = {"label": rt.label,
                                "points": measure_memory(rt, cfg)}
        if rt.ident in stages:
            if TEN_MILLION in cfg["switch_tasks"]:
                ten[rt.ident] = switch[rt.ident]["points"][str(TEN_MILLION)]
            elif cfg["ten_million"]:
                ten[rt.ident] = ten_million_check(rt, cfg)
    return {"switch": switch, "memory": memory, "ten_million": ten,
            "stages": status}


# ------------------------------------------------------------------- child

def child_lines(cmd):
    """The results of one run of a child benchmark, by way: each `child`
    line under its way, each `child_chain` line under WAY-chain."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "no result within 600 s"
    found = {}
    for line in proc.stdout.splitlines():
        words = line.split()
        fields = parse_line(line, words[0]) if words else None
        if words[:1] == ["child"] and fields:
            found[fields["way"]] = run_fields(fields)
        elif words[:1] == ["child_chain"] and fields:
            # a chain of child calls: its figures are ns per level
            found[fields["way"].replace("-subtasks", "") + "-chain"] = \
                run_fields(fields)
    why = (proc.stderr.strip() or "exit %d" % proc.returncode)[-200:]
    return (found if found and proc.returncode == 0 else None), why


def measure_child(out, python, cfg):
    """Every way of calling a child, one repetition each in turn, as the
    switch benchmark takes turns."""
    ways = [("yield_from", [python, os.path.join(HERE, "child.py"), "-c",
                            str(cfg["child_calls"])])]
    for way, cmd in (("stage5-subtasks", ["child-stage5-subtasks"]),
                     ("cxx20-gcc", ["coro-gcc", "child"]),
                     ("cxx20-clang", ["coro-clang", "child"])):
        if os.path.exists(os.path.join(out, cmd[0])):
            ways.append((way, [os.path.join(out, cmd[0])] + cmd[1:] +
                         ["-c", str(cfg["c_child_calls"])]))
    runs, failed = {}, {}
    for _ in range(cfg["reps"]):
        for way, cmd in ways:
            if way in failed:
                continue
            found, why = child_lines(cmd + ["-r", "1"])
            if found is None:
                failed[way] = {"error": why}
                continue
            for key, res in found.items():
                runs.setdefault(key, []).append(res)
    result = {key: summarise(rs, "_ns") for key, rs in runs.items()}
    for way, error in failed.items():
        result.setdefault(way, error)
    for way, r in result.items():
        say("child %-16s: %s" % (way, brief(r, "median_ns", "ns")))
    return result


def run_fields(fields):
    result = {}
    for key, value in fields.items():
        if key.startswith("samples"):
            result["samples"] = [float(v) for v in value.split(",")]
        else:
            try:
                result[key] = number(value)
            except ValueError:
                result[key] = value
    return result


# ----------------------------------------------------------------- servers

class Server:
    """A server under test: started with --host/--port, stopped with SIGTERM.
    It takes echo messages of at most max_size bytes (None: any)."""

    def __init__(self, ident, label, cmd, log, cwd=None, max_size=None):
        self.ident, self.label, self.cmd, self.log = ident, label, cmd, log
        self.cwd, self.max_size = cwd, max_size
        self.proc, self.port, self.starts = None, None, 0
        self.problems = []
        self.wrap = []  # e.g. strace and its options, before the command

    def start(self):
        self.starts += 1
        out = open(self.log + ".out", "w")
        err = open(self.log + ".err", "a")
        self.proc = subprocess.Popen(self.wrap + self.cmd, stdout=out,
                                     stderr=err, stdin=subprocess.DEVNULL,
                                     cwd=self.cwd,
                                     preexec_fn=pinned(SERVER_CORE))
        out.close()
        err.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            with open(self.log + ".out") as f:
                first = f.readline()
            if first.endswith("\n"):
                m = LISTENING.match(first)
                if not m:
                    return self.fail("first line is not 'listening on HOST:PORT': "
                                     + first.strip()[:80])
                self.port = m.group(2)
                return True
            time.sleep(0.02)
        return self.fail("did not print 'listening on HOST:PORT' within 10 s")

    def fail(self, why):
        self.problems.append(why)
        self.stop()
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ensure(self):
        """Start the server, again if it died; True if it is up."""
        if self.alive():
            return True
        if self.proc is not None:
            self.problems.append("exited with %s; restarted" % self.proc.returncode)
        return self.start()

    def stop(self):
        if not self.alive():
            return
        if self.wrap:  # the server is strace's child: stop it, strace follows
            kill_children(self.proc.pid, signal.SIGTERM)
        else:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=5)
            if code not in (0, -signal.SIGTERM):
                self.problems.append("exit status %d after SIGTERM" % code)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.problems.append("did not stop within 5 s of SIGTERM; killed")


class Nginx(Server):
    """nginx with bench/nginx.conf on a free port; it prints nothing, so it
    is up once the port takes a connection."""

    def __init__(self, out, root):
        prefix = os.path.join(out, "nginx")
        Server.__init__(self, "nginx", "nginx (Debian nginx-light, 1 worker)",
                        None, prefix)
        self.prefix, self.root = prefix, root

    def start(self):
        self.starts += 1
        os.makedirs(self.prefix, exist_ok=True)
        self.port = str(free_port())
        with open(os.path.join(HERE, "nginx.conf")) as f:
            conf = f.read()
        for key, value in (("@PREFIX@", self.prefix), ("@PORT@", self.port),
                           ("@ROOT@", self.root),
                           ("@USER@", pwd.getpwuid(os.getuid()).pw_name)):
            conf = conf.replace(key, value)
        path = os.path.join(self.prefix, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.cmd = ["nginx", "-p", self.prefix, "-c", path]
        with open(self.log + ".err", "a") as err:
            self.proc = subprocess.Popen(self.wrap + self.cmd, stdout=err,
                                         stderr=err, stdin=subprocess.DEVNULL,
                                         preexec_fn=pinned(SERVER_CORE))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", int(self.port)), 1).close()
                return True
            except OSError:
                time.sleep(0.02)
        return self.fail("did not take connections within 10 s (see %s)"
                         % os.path.join(self.prefix, "error.log"))


def kill_children(pid, sig):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        children = []
    for child in children:
        try:
            os.kill(child, sig)
        except OSError:
            pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def course_binary(out, stage, name):
    for path in (os.path.join(out, stage, name), os.path.join(ROOT, stage, name)):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def echo_servers(out, python):
    servers = []
    host = ["--host", "127.0.0.1", "--port", "0"]
    binary = course_binary(out, "stage4-io", "echoserver")
    note = None
    if binary:
        servers.append(Server("stage4", "stage 4 echoserver", [binary] + host,
                              os.path.join(out, "echo-stage4")))
    else:
        note = "stage4-io/echoserver is not built yet: its rows are empty"
    binary = os.path.join(out, "echoserver-on-stage5", "echoserver")
    if os.path.exists(binary):
        servers.append(Server("stage5", "echoserver on stage 5's runtime",
                              [binary] + host, os.path.join(out, "echo-stage5")))
    else:
        note = ((note + "; ") if note else "") + (
            "stage 4's echoserver does not build on stage 5's runtime (see "
            "echoserver-on-stage5.log): its rows are empty")
    binary = os.path.join(out, "uv_echo")
    if os.path.exists(binary):
        servers.append(Server("libuv", "libuv (uv_echo.c)", [binary] + host,
                              os.path.join(out, "echo-libuv")))
    servers.append(Server("asyncio", "Python asyncio streams (echo_asyncio.py)",
                          [python, os.path.join(HERE, "echo_asyncio.py")] + host,
                          os.path.join(out, "echo-asyncio")))
    servers.append(Server("epoll", "C epoll, the ceiling (epoll_echo.c)",
                          [os.path.join(out, "epoll_echo")] + host,
                          os.path.join(out, "echo-epoll")))
    return servers, note


def measure_echo(out, python, cfg):
    """All servers up at once; for each configuration one client drives them
    all, the servers taking turns window by window (see loadclient.c)."""
    servers, note = echo_servers(out, python)
    client = os.path.join(out, "loadclient")
    runs = {s.ident: {} for s in servers}
    for size in cfg["echo_sizes"]:
        for conns in cfg["echo_conns"]:
            points = echo_run(servers, client, conns, size, cfg)
            for server in servers:
                runs[server.ident].setdefault(str(size), {})[str(conns)] = \
                    points[server.ident]
                say("echo %-8s %6d B %5d conns: %s" % (
                    server.ident, size, conns,
                    brief(points[server.ident], "median_rt_per_s", "rt/s")))
    results = {"note": note, "servers": {}}
    for server in servers:
        server.stop()
        results["servers"][server.ident] = {"label": server.label,
                                            "runs": runs[server.ident],
                                            "problems": server.problems}
    return results


def echo_run(servers, client, conns, size, cfg):
    """One client run against every server that is up: a point for each."""
    points = {s.ident: {"error": "not run: a %d-byte line is longer than its "
                        "buffer" % size}
              for s in servers if s.max_size and size > s.max_size}
    servers = [s for s in servers if s.ident not in points]
    up = [s for s in servers if s.ensure()]
    points.update({s.ident: {"error": "server did not start: " + s.problems[-1]}
                   for s in servers if s not in up})
    if not up:
        return points
    cmd = [client, "--host", "127.0.0.1", "--port",
           ",".join(s.port for s in up), "-c", str(conns), "-s", str(size),
           "-d", str(cfg["echo_seconds"]), "-r", str(cfg["echo_reps"])]
    timeout = len(up) * (20 + cfg["echo_reps"] * (cfg["echo_seconds"] + 6))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout, preexec_fn=pinned(CLIENT_CORE))
        lines = [l for l in proc.stdout.splitlines() if l.startswith("echo ")]
        why = (proc.stderr.strip() or "exit %d" % proc.returncode)[-200:]
    except subprocess.TimeoutExpired:
        lines, why = [], "no result within %d s" % timeout
    by_port = {}
    for line in lines:
        fields = run_fields(parse_line(line, "echo"))
        by_port[str(fields["port"])] = fields
    for server in up:
        point = by_port.get(server.port, {"error": why})
        if ok(point):
            point["server_died"] = not server.alive()
        points[server.ident] = point
    return points


# -------------------------------------------------------------------- http

WRK_FIELDS = {
    "requests_per_s": r"Requests/sec:\s+([\d.]+)",
    "transfer": r"Transfer/sec:\s+([\d.]+\w+)",
    "latency_avg": r"Latency\s+([\d.]+\w+)",
    "non_2xx": r"Non-2xx or 3xx responses:\s+(\d+)",
}


def wrk_once(url, conns, seconds):
    cmd = ["wrk", "-t", "1", "-c", str(conns), "-d", "%ds" % max(1, round(seconds)), url]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=seconds + 30,
                              preexec_fn=pinned(CLIENT_CORE))
    except subprocess.TimeoutExpired:
        return {"error": "wrk did not finish"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip() or "wrk failed")[:200]}
    result = {}
    for key, pattern in WRK_FIELDS.items():
        m = re.search(pattern, proc.stdout)
        if m:
            result[key] = m.group(1)
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", proc.stdout)
    result["socket_errors"] = sum(int(g) for g in m.groups()) if m else 0
    m = re.search(r"(\d+) requests in", proc.stdout)
    result["requests"] = int(m.group(1)) if m else 0
    if "requests_per_s" not in result:
        return {"error": "no Requests/sec in wrk's output"}
    result["requests_per_s"] = float(result["requests_per_s"])
    return result


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read()
    except Exception as e:  # any failure is a finding for the report
        return None, str(e).encode()


# The files every web server serves, by the name wrk asks for.
WEB_FILES = {"1k.html": 1024, "64k.html": 65536}


def web_root(out):
    """A directory of the WEB_FILES, plain HTML of those sizes."""
    www = os.path.join(out, "www")
    os.makedirs(www, exist_ok=True)
    for name, size in WEB_FILES.items():
        row = "<li>task yields, the pool resumes the next one</li>\n"
        page = "<!DOCTYPE html>\n<title>bench</title>\n<ul>\n"
        page += row * ((size - len(page)) // len(row))
        page += "x" * (size - len(page) - 1) + "\n"
        with open(os.path.join(www, name), "w") as f:
            f.write(page)
    return www


def http_servers(out, python, args, root):
    servers, notes = [], []
    host = ["--host", "127.0.0.1", "--port", "0"]
    binary = course_binary(out, "stage5-subtasks", "httpd")
    if binary:
        servers.append(Server("stage5", "stage 5 httpd",
                              [binary] + host + ["--root", root] +
                              args.httpd_args.split(),
                              os.path.join(out, "http-stage5")))
    else:
        notes.append("stage5-subtasks/httpd is not built yet: its rows are empty")
    servers.append(Server("asyncio", "Python asyncio streams (httpd_asyncio.py)",
                          [python, os.path.join(HERE, "httpd_asyncio.py"),
                           "--root", root] + host,
                          os.path.join(out, "http-asyncio")))
    if shutil.which("nginx"):
        servers.append(Nginx(out, root))
    else:
        notes.append("nginx is not installed (bench/install-deps installs "
                     "nginx-light): its rows are empty")
    return servers, "; ".join(notes) or None


def measure_http(out, python, cfg, args):
    """Every server up at once; wrk asks each in turn, for each file and
    number of connections, cfg["wrk_reps"] times."""
    root = web_root(out)
    servers, note = http_servers(out, python, args, root)
    results = {"note": note, "files": WEB_FILES, "servers": {}}
    entries = {}
    for server in servers:
        entries[server.ident] = entry = {"label": server.label, "runs": {},
                                         "check": {}}
        if server.ensure():
            for name in WEB_FILES:
                status, body = fetch(url_of(server, name))
                with open(os.path.join(root, name), "rb") as f:
                    same = body == f.read()
                entry["check"][name] = {"status": status, "bytes": len(body),
                                        "same_as_file": same}
    for name in WEB_FILES:
        for conns in cfg["wrk_conns"]:
            samples = {s.ident: [] for s in servers}
            for _ in range(cfg["wrk_reps"]):
                for server in servers:
                    if entries[server.ident]["check"]:
                        samples[server.ident].append(
                            wrk_run(server, name, conns, cfg))
            for server in servers:
                point = summarise(samples[server.ident], "_rps") \
                    if samples[server.ident] else {"error": "server did not start"}
                entries[server.ident]["runs"].setdefault(name, {})[str(conns)] = point
                say("wrk %-8s %-9s %4d conns: %s" % (
                    server.ident, name, conns, brief(point, "median_rps", "req/s")))
    for server in servers:
        server.stop()
        entries[server.ident]["problems"] = server.problems
        results["servers"][server.ident] = entries[server.ident]
    return results


def url_of(server, name):
    return "http://127.0.0.1:%s/%s" % (server.port, name)


def wrk_run(server, name, conns, cfg):
    if not server.ensure():
        return {"error": "server did not start: " + server.problems[-1]}
    result = wrk_once(url_of(server, name), conns, cfg["wrk_seconds"])
    if ok(result):
        result["samples"] = [result["requests_per_s"]]
    return result


# ------------------------------------------------------------ system calls

def parse_strace(path):
    """The calls of each system call in a `strace -c` summary."""
    calls = {}
    try:
        with open(path) as f:
            for line in f:
                words = line.split()
                if len(words) in (5, 6) and words[3].isdigit() and \
                        words[-1] != "total":
                    calls[words[-1]] = calls.get(words[-1], 0) + int(words[3])
    except OSError:
        pass
    return calls


def traced(server):
    server.log += "-strace"
    return server


def count_once(server, path, drive):
    """Run @server under strace -c -f, @drive it: (calls, round trips)."""
    server.wrap = ["strace", "-c", "-f", "-o", path]
    if os.path.exists(path):
        os.remove(path)
    if not server.ensure():
        return {"error": "server did not start: " + server.problems[-1]}
    done = drive(server)
    server.stop()
    if not ok(done):
        return done
    calls = parse_strace(path)
    if not calls or not done["round_trips"]:
        return {"error": "strace counted nothing (see %s)" % path}
    return {"calls": calls, "round_trips": done["round_trips"]}


def count_calls(server, path, short, long):
    """What one more round trip costs: a short run and a long one, each
    with the same connections, and the difference of their counts over
    the difference of their round trips, so that starting the server and
    accepting the connections, paid once, drop out."""
    a = count_once(server, path + ".short", short)
    if not ok(a):
        return a
    b = count_once(server, path, long)
    if not ok(b):
        return b
    trips = b["round_trips"] - a["round_trips"]
    if trips <= 0:
        return {"error": "the long run made no more round trips than the "
                "short one"}
    calls = {name: n - a["calls"].get(name, 0) for name, n in b["calls"].items()}
    total = sum(calls.values())
    return {"round_trips": trips, "calls": calls, "total": total,
            "per_round_trip": total / trips}


def echo_drive(client, seconds, conns=100):
    def drive(server):
        cmd = [client, "--host", "127.0.0.1", "--port", server.port, "-c",
               str(conns), "-s", "1024", "-d", str(seconds), "-r", "1"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=120, preexec_fn=pinned(CLIENT_CORE))
        except subprocess.TimeoutExpired:
            return {"error": "the load client did not finish"}
        fields = parse_line(proc.stdout, "echo")
        if not fields or "all_round_trips" not in fields:
            return {"error": (proc.stderr.strip() or "no result")[-200:]}
        return {"round_trips": int(fields["all_round_trips"])}
    return drive


def http_drive(seconds):
    def drive(server):
        result = wrk_once(url_of(server, "1k.html"), 10, seconds)
        if ok(result):
            result = {"round_trips": result["requests"]}
        return result
    return drive


def measure_syscalls(out, python, cfg, args):
    """System calls per round trip (per request for the web servers): the
    server's calls counted by strace -c -f over 100 connections with 1 KiB
    messages, and over 1 (wrk, 10 connections, /1k.html), a short run's
    count taken
    from a long run's (see count_calls)."""
    if not shutil.which("strace"):
        return {"note": "strace is not installed (bench/install-deps "
                "installs it): no counts"}
    results = {"servers": {}}
    client = os.path.join(out, "loadclient")
    seconds = cfg["strace_seconds"]
    servers, _ = echo_servers(out, python)
    runs = [("echo", s, echo_drive(client, 0.05), echo_drive(client, seconds))
            for s in servers if s.ident != "asyncio"]
    # One connection: each round trip is a pass of the loop of its own.
    runs += [("echo1", s, echo_drive(client, 0.05, 1),
              echo_drive(client, seconds, 1))
             for s in servers if s.ident != "asyncio"]
    web, _ = http_servers(out, python, args, web_root(out))
    runs += [("http", s, http_drive(1), http_drive(1 + max(1, round(seconds))))
             for s in web if s.ident != "asyncio"]
    for kind, server, short, long in runs:
        ident = "%s-%s" % (kind, server.ident)
        path = os.path.join(out, "strace-%s.txt" % ident)
        result = count_calls(traced(server), path, short, long)
        result.update(label=server.label + (", 1 connection" if kind == "echo1"
                                            else ""), kind=kind)
        results["servers"][ident] = result
        say("strace %-14s: %s" % (ident, brief(result, "per_round_trip",
                                               "calls per round trip")))
    return results


# -------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--stages", default="")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cc", default="cc")
    parser.add_argument("--python", default="python3")
    parser.add_argument("--httpd-args", default="",
                        help="extra arguments for stage 5's httpd")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    cfg = QUICK if args.quick else FULL
    stages = args.stages.split()
    started = time.monotonic()
    results = {"mode": "quick" if args.quick else "full",
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "config": cfg, "machine": machine(args.cc, args.python),
               "pinning": {"client_core": CLIENT_CORE,
                           "server_core": SERVER_CORE},
               "noisy": NOISY}
    phases = results["phase_seconds"] = {}
    clock = time.monotonic()
    results.update(switch_and_memory(out, stages, args.python, cfg))
    phases["switch and memory"], clock = round(time.monotonic() - clock, 1), time.monotonic()
    results["child"] = measure_child(out, args.python, cfg)
    phases["child call"], clock = round(time.monotonic() - clock, 1), time.monotonic()
    results["echo"] = measure_echo(out, args.python, cfg)
    phases["echo"], clock = round(time.monotonic() - clock, 1), time.monotonic()
    results["http"] = measure_http(out, args.python, cfg, args)
    phases["http"], clock = round(time.monotonic() - clock, 1), time.monotonic()
    results["syscalls"] = measure_syscalls(out, args.python, cfg, args)
    phases["system calls"] = round(time.monotonic() - clock, 1)
    results["machine"]["load_at_end"] = open("/proc/loadavg").read().split()[:3]
    results["seconds"] = round(time.monotonic() - started, 1)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    say("measured in %.0f s; results in %s" % (results["seconds"],
                                               os.path.join(out, "results.json")))


if __name__ == "__main__":
    main()
