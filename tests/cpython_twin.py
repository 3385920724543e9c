#!/usr/bin/env python3
"""The CPython twin of test_cpython.c: the same generator bodies, run on
CPython's own generators, so that the C runtime can be held against them.

    python3 tests/cpython_twin.py STAGE < sequences

Each input line is one sequence, "MODE BODY DEPTH OP...": MODE d calls the
body's generator directly; MODE l runs it DEPTH - 1 levels of `yield from`
down, below a caller (top) that reports how the stack ends, as the I/O loop
runs a stack of child tasks. An OP is n (next), sN (send N), tA or tB
(throw A or B) or c (close). For each sequence this prints what the
bodies logged and what each call reported, then a line "==".
"""
import gc
import sys
import weakref

STAGE = int(sys.argv[1])


class A(Exception):
    pass


class B(Exception):
    pass


class C(Exception):  # a cleanup's own error
    pass


class D(Exception):  # a body's own error
    pass


def name_of(e):
    if isinstance(e, (A, B, C, D)):
        return type(e).__name__
    if isinstance(e, GeneratorExit):
        return "exit"
    if isinstance(e, ValueError) and "already executing" in str(e):
        return "running"
    if isinstance(e, TypeError) and "non-None" in str(e):
        return "not_started"
    if isinstance(e, RuntimeError) and "ignored GeneratorExit" in str(e):
        return "ignored"
    raise e  # a bug in a body: let it show


def show(v):
    return "None" if v is None else str(v)


def ret(v):
    """What `return v` hands back: stages before 5 have no return value."""
    return v if STAGE >= 5 else None


def done(v):
    return "done " + show(v) if STAGE >= 5 else "done"


class Context:
    """One sequence: its output, and the generators the bodies resume."""

    def __init__(self):
        self.lines = []
        self.muted = False
        self.me = None  # a weak reference: the stack alone holds the body
        self.other = None
        self.op = None
        self.closing = False
        self.finished = False

    def line(self, s):
        if not self.muted:
            self.lines.append(s)

    def log(self, s):
        self.line("  " + s)


def resume(g):
    """What a body's task_resume(g) reports."""
    try:
        return "yield " + show(g.send(None))
    except StopIteration as e:
        return done(e.value)
    except Exception as e:
        return "raise " + name_of(e)


# ---- the bodies: each is a C body in test_cpython.c ----

def loop(c):
    for i in range(3):
        x = yield i
        c.log("loop got " + show(x))
    return ret(3)


def handler(c):
    for i in range(4):
        try:
            x = yield i
            c.log("handler got " + show(x))
        except A:
            c.log("handler caught A")
        except B:
            c.log("handler caught B")
            return ret(5)
    return ret(6)


def cleanup(c):
    try:
        yield 1
        yield 2
    finally:
        c.log("cleanup runs")


def stubborn(c):
    ignored = False
    try:
        for i in range(4):
            try:
                yield i
            except GeneratorExit:
                if ignored:
                    raise
                ignored = True
                c.log("stubborn ignores exit")
    finally:
        c.log("stubborn cleanup")


def raiser(c):
    try:
        yield 1
        raise D
    finally:
        c.log("raiser cleanup")


def badclean(c):
    try:
        yield 1
        yield 2
    finally:
        c.log("bad cleanup")
        raise C


def yieldclean(c):
    try:
        yield 1
        x = yield 2
        if x is not None:
            raise D
        return ret(7)
    finally:
        c.log("cleanup yields")
        y = yield 99
        c.log("cleanup got " + show(y))


def finret(c):
    try:
        yield 1
        yield 2
    finally:
        c.log("finally returns")
        return ret(8)  # noqa: B012 - the point of the body


def caller(c):
    try:
        yield 1
        c.log("caller: other " + resume(c.other))
        yield 2
    finally:
        c.log("caller cleanup: other " + resume(c.other))


def selfish(c):
    try:
        c.log("self " + resume(c.me()))
        yield 1
        yield 2
    finally:
        c.log("cleanup: self " + resume(c.me()))


def forgetful(c):
    caught = None
    try:
        try:
            yield 1
        except BaseException as e:  # the C body catches any error
            caught = e
            c.log("forgetful saw " + name_of(e))
        c.log("forgetful goes on")
        if caught is not None:
            raise caught  # and leaves it in flight: it goes on
    finally:
        c.log("forgetful cleanup")


def kid(c, k):
    try:
        c.log(f"kid{k} runs")
        if k == 2:
            yield 50
        return ret(4)
    finally:
        c.log(f"kid{k} cleanup")


def kidclean(c):
    try:
        yield 1
        yield 2
    finally:
        c.log("kidclean cleanup")
        r = yield from kid(c, 1)
        c.log("kidclean got " + show(r))


def kidwait(c):
    try:
        yield 1
        yield 2
    finally:
        c.log("kidwait cleanup")
        r = yield from kid(c, 2)
        c.log("kidwait got " + show(r))


def other(c):
    """The task that caller resumes: it resumes caller back."""
    while True:
        c.log("other: caller " + resume(c.me()))
        yield 0


BODIES = {f.__name__: f for f in (loop, handler, cleanup, stubborn, raiser,
                                  badclean, yieldclean, finret, caller,
                                  selfish, forgetful, kidclean, kidwait)}


# A parent holds its child only in its yield from, as the loop holds a
# child: it is freed (and, if suspended, closed once more) as soon as the
# parent goes on. Hence box.pop().

def wrapper(c, k, box):
    try:
        r = yield from box.pop()
        c.log(f"w{k} got {show(r)}")
        return ret(r)
    except A:
        c.log(f"w{k} caught A")
        x = yield 10 * k
        c.log(f"w{k} got {show(x)}")
        return ret(-k)
    finally:
        c.log(f"w{k} cleanup")


def top(c, box):
    """The caller of the stack: how it ends is the answer to a call."""
    try:
        r = yield from box.pop()
        c.line(f"{c.op} -> done {show(r)}")
    except GeneratorExit:
        c.line(f"{c.op} -> " + ("ok" if c.closing else "raise exit"))
    except Exception as e:
        c.line(f"{c.op} -> raise {name_of(e)}")
    c.finished = True


def call(g, op):
    if op == "n":
        return g.send(None)
    if op[0] == "s":
        return g.send(int(op[1:]))
    if op == "tA":
        return g.throw(A())
    return g.throw(B())


def run_direct(c, g, ops):
    for op in ops:
        if op == "c":
            try:
                g.close()
                c.line("c -> ok")
            except BaseException as e:
                c.line("c -> raise " + name_of(e))
            continue
        try:
            c.line(f"{op} -> yield {show(call(g, op))}")
        except StopIteration as e:
            c.line(f"{op} -> {done(e.value)}")
        except BaseException as e:
            c.line(f"{op} -> raise {name_of(e)}")


def run_loop(c, t, ops):
    for op in ops + ["c"]:
        if c.finished:
            break
        c.op = op
        if op == "c":
            c.closing = True
            t.close()
            break
        try:
            c.line(f"{op} -> yield {show(call(t, op))}")
        except StopIteration:
            pass  # top said how it ended


def run(line):
    mode, name, depth, *ops = line.split()
    c = Context()
    g = BODIES[name](c)
    c.me = weakref.ref(g)
    c.other = other(c)
    if mode == "d":
        run_direct(c, g, ops)
    else:
        for k in range(int(depth) - 1, 0, -1):
            g = wrapper(c, k, [g])
        g = top(c, [g])
        run_loop(c, g, ops)
    c.muted = True  # C closes nothing it drops; here nothing may log then
    return c.lines


def main():
    gc.disable()  # a dropped generator is closed when it is freed, muted
    sys.unraisablehook = lambda unraisable: None
    out = []
    for line in sys.stdin:
        if line.strip():
            out.extend(run(line))
            out.append("==")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
