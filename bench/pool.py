"""pool.py: the seed's TaskPool, ported to Python 3, as a peer of switch.c.

    python3 pool.py time -n N -k K -r R   N tasks each yield K times; ns per
                                          resume+yield, R times
    python3 pool.py mem -n N              resident bytes per task (a Task
                                          object and its generator)

TaskPool and Task are the seed's (000_...), with next(g) for g.next().
The cyclic garbage collector is off while tasks are made and run, as it
has nothing to collect and would only add pauses. One result line, in the
same key=value form as the C benchmarks.
"""

import gc
import os
import statistics
import sys
import time
from collections import deque


class Task:
    def __init__(self, pool):
        self.generator = self.main()
        pool.add(self)

    def main(self):
        "Must be a generator"
        pass


class TaskPool:
    def __init__(self):
        self.tasks = deque()

    def add(self, task):
        self.tasks.append(task)

    def iteration(self, iter_cnt=1):
        tasks = self.tasks
        for i in range(iter_cnt):
            try:
                next(tasks[0].generator)
                tasks.rotate(-1)
            except StopIteration:
                del tasks[0]
            except IndexError:
                # allow internal exception to propagate
                if len(tasks) > 0:
                    raise


class CountTask(Task):
    """The seed's ExampleTask without the printing: yields max_iterations times."""

    def __init__(self, pool, max_iterations):
        self.max_iterations = max_iterations
        Task.__init__(self, pool)

    def main(self):
        i = 0
        while i < self.max_iterations:
            i += 1
            yield 0


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_pool(ntasks, nyields):
    pool = TaskPool()
    for _ in range(ntasks):
        CountTask(pool, nyields)
    return pool


def time_one_run(ntasks, nyields):
    pool = make_pool(ntasks, nyields)
    steps = ntasks * (nyields + 1)
    start = time.process_time_ns()
    pool.iteration(steps)
    elapsed = time.process_time_ns() - start
    if pool.tasks:
        sys.exit("pool.py: %d tasks left after %d steps" % (len(pool.tasks), steps))
    return elapsed / steps


def time_switches(ntasks, nyields, reps):
    if ntasks < 1000000:
        time_one_run(ntasks, nyields)  # warm up
    samples = [time_one_run(ntasks, nyields) for _ in range(reps)]
    print("switch tasks=%d yields=%d switches=%d reps=%d samples_ns=%s "
          "median_ns=%.4f min_ns=%.4f max_ns=%.4f" % (
              ntasks, nyields, ntasks * (nyields + 1), reps,
              ",".join("%.4f" % s for s in samples),
              statistics.median(samples), min(samples), max(samples)))


def measure_memory(ntasks):
    make_pool(10, 1)  # the code it runs is resident now
    before = rss_bytes()
    pool = make_pool(ntasks, 1)
    after = rss_bytes()
    size = sys.getsizeof(pool.tasks[0]) + sys.getsizeof(pool.tasks[0].generator)
    print("mem tasks=%d sizeof_task=%d rss_before=%d rss_after=%d "
          "bytes_per_task=%.2f" % (ntasks, size, before, after,
                                   (after - before) / ntasks))


def parse(argv):
    usage = ("usage: pool.py time [-n TASKS] [-k YIELDS] [-r REPS]\n"
             "       pool.py mem [-n TASKS]")
    if len(argv) < 2 or argv[1] not in ("time", "mem") or len(argv) % 2:
        sys.exit(usage)
    opts = {"-n": 1000, "-k": 1000, "-r": 5}
    for flag, value in zip(argv[2::2], argv[3::2]):
        if flag not in opts or not value.isdigit():
            sys.exit(usage)
        opts[flag] = int(value)
    if opts["-n"] < 1 or opts["-r"] < 1:
        sys.exit(usage)
    return argv[1], opts["-n"], opts["-k"], opts["-r"]


def main():
    mode, ntasks, nyields, reps = parse(sys.argv)
    gc.disable()
    if mode == "time":
        time_switches(ntasks, nyields, reps)
    else:
        measure_memory(ntasks)


if __name__ == "__main__":
    main()
