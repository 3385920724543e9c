"""child.py: what calling a child generator costs in CPython, two ways.

    python3 child.py -c CALLS -r REPS

yield_from   the parent runs `value = yield from child()`: CPython itself
             starts the child and hands its return value back.
trampoline   the parent runs `value = yield child()`, as in multitask: a
             scheduler keeps a stack of generators, runs the child on top of
             it, and sends the child's return value back to the parent.

In both, the child returns at once without yielding, so a figure is one
call+return of a child (making the generator included), in ns. One result
line per way, in the key=value form of the C benchmarks.
"""

import gc
import statistics
import sys
import time
import types


def child():
    return 1
    yield  # a generator that returns at once


def parent_yield_from(calls):
    total = 0
    for _ in range(calls):
        total += yield from child()
    return total


def parent_trampoline(calls):
    total = 0
    for _ in range(calls):
        total += yield child()
    return total


def run_direct(gen):
    """Run a generator that never yields; return its value."""
    try:
        next(gen)
    except StopIteration as stop:
        return stop.value
    raise RuntimeError("the parent yielded")


def run_trampoline(task):
    """multitask's way: a stack of generators; a child's value goes to its parent."""
    stack = [task]
    value = None
    while stack:
        try:
            output = stack[-1].send(value)
        except StopIteration as stop:
            stack.pop()
            value = stop.value
            continue
        if isinstance(output, types.GeneratorType):
            stack.append(output)
        value = None
    return value


def time_one_run(way, calls):
    if way == "yield_from":
        start = time.process_time_ns()
        total = run_direct(parent_yield_from(calls))
    else:
        start = time.process_time_ns()
        total = run_trampoline(parent_trampoline(calls))
    elapsed = time.process_time_ns() - start
    if total != calls:
        sys.exit("child.py: %s returned %r, expected %d" % (way, total, calls))
    return elapsed / calls


def measure(way, calls, reps):
    time_one_run(way, calls)  # warm up
    samples = [time_one_run(way, calls) for _ in range(reps)]
    print("child way=%s calls=%d reps=%d samples_ns=%s median_ns=%.4f "
          "min_ns=%.4f max_ns=%.4f" % (
              way, calls, reps, ",".join("%.4f" % s for s in samples),
              statistics.median(samples), min(samples), max(samples)))


def main():
    usage = "usage: child.py [-c CALLS] [-r REPS]"
    opts = {"-c": 1000000, "-r": 5}
    args = sys.argv[1:]
    if len(args) % 2:
        sys.exit(usage)
    for flag, value in zip(args[::2], args[1::2]):
        if flag not in opts or not value.isdigit() or int(value) < 1:
            sys.exit(usage)
        opts[flag] = int(value)
    gc.disable()
    for way in ("yield_from", "trampoline"):
        measure(way, opts["-c"], opts["-r"])


if __name__ == "__main__":
    main()
