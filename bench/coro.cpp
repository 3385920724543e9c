/*
 * coro: the compiler's own stackless coroutines (C++20), the peer of
 * switch.c and child.c. Built twice, with g++ and with clang++ (-O2).
 *
 *   coro time -n N -k K -r R   N coroutines in a FIFO, each resumed until
 *                              it has yielded K times (the round robin of
 *                              pool_run); ns per resume+yield, R times
 *   coro mem -n N              resident bytes per coroutine for N coroutines
 *                              made and not started (frame and malloc)
 *   coro child [-c CALLS] [-r REPS] [-d DEPTH]
 *                              a parent co_awaits CALLS children that
 *                              co_return an int at once (symmetric
 *                              transfer); ns per call+return, the child's
 *                              frame (operator new and delete) included;
 *                              then a chain DEPTH deep, ns per level
 *
 * A coroutine is a frame the compiler allocates with operator new: its
 * locals and its resume point, the same idea as a task struct and its
 * `resume` line. For the timed runs the promise's operator new hands out
 * frames from one block, one after the other, as switch.c's counters lie
 * in one array; the memory count uses the real operator new. The FIFO links the frames through their promises, as the
 * pool links tasks through `next`. The lines printed are those of switch.c
 * ("switch ...", "mem ...") and child.c ("child ...", "child_chain ...").
 */
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

extern "C" {
#include "measure.h"
}

/* -DWAY=cxx20-gcc names the build in the result lines. */
#define STRING(x) #x
#define NAME(x) STRING(x)
#ifdef WAY
#define WAY_NAME NAME(WAY)
#else
#define WAY_NAME "cxx20"
#endif

/* ------------------------------------------------------------ switch */

/* Where the timed runs put their frames: one block, one frame after the
 * other, as switch.c's counters are in one array. Outside it (the memory
 * count, the child call), frames come from operator new. */
struct arena {
    char *base, *next, *end;
};
static arena frames;

/* A coroutine that yields: its promise is the FIFO's link. */
struct counter {
    struct promise_type;
    using handle = std::coroutine_handle<promise_type>;

    struct promise_type {
        promise_type *next = nullptr;
        static inline size_t frame_size; /* what operator new was asked */

        static void *operator new(size_t n)
        {
            size_t room = (n + 15) / 16 * 16;

            frame_size = n;
            if (frames.next && frames.end - frames.next >= (long)room) {
                frames.next += room;
                return frames.next - room;
            }
            return ::operator new(n);
        }
        static void operator delete(void *p)
        {
            if ((char *)p < frames.base || (char *)p >= frames.end)
                ::operator delete(p);
        }
        counter get_return_object() { return {handle::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::abort(); }
    };

    handle h;
};

static counter count_down(uint32_t left)
{
    while (left > 0) {
        left--;
        co_await std::suspend_always{};
    }
}

/* A FIFO of coroutines, like the course's pool. */
struct fifo {
    counter::promise_type *head = nullptr, *tail = nullptr;

    void put(counter::promise_type *p)
    {
        p->next = nullptr;
        if (tail)
            tail->next = p;
        else
            head = p;
        tail = p;
    }

    counter::promise_type *take()
    {
        counter::promise_type *p = head;

        head = p->next;
        if (!head)
            tail = nullptr;
        return p;
    }
};

/* pool_run: resume the head; if it has not ended, queue it again. */
static long run_all(fifo *q)
{
    long steps = 0;

    while (q->head) {
        counter::promise_type *p = q->take();
        counter::handle h = counter::handle::from_promise(*p);

        h.resume();
        steps++;
        if (!h.done())
            q->put(p);
    }
    return steps;
}

static void start_all(fifo *q, counter::handle *hs, long n, long yields)
{
    *q = fifo{};
    for (long i = 0; i < n; i++) {
        hs[i] = count_down((uint32_t)yields).h;
        q->put(&hs[i].promise());
    }
}

static void destroy_all(counter::handle *hs, long n)
{
    for (long i = 0; i < n; i++)
        hs[i].destroy();
}

static double time_one_run(counter::handle *hs, const bench_args *a,
                           long switches)
{
    fifo q;
    double start;
    long steps;

    frames.next = frames.base;
    start_all(&q, hs, a->tasks, a->yields);
    start = cpu_ns();
    steps = run_all(&q);
    if (steps != switches) {
        fprintf(stderr, "coro: %ld steps, expected %ld\n", steps, switches);
        exit(1);
    }
    start = (cpu_ns() - start) / (double)steps;
    destroy_all(hs, a->tasks);
    return start;
}

static void time_switches(const bench_args *a)
{
    long switches = a->tasks * (a->yields + 1);
    auto *hs = (counter::handle *)bench_calloc("coro", a->tasks,
                                                  sizeof(counter::handle));
    auto *ns = (double *)bench_calloc("coro", a->reps, sizeof(double));

    count_down(0).h.destroy(); /* now frame_size is known */
    frames.base = (char *)bench_calloc(
        "coro", a->tasks, (long)(counter::promise_type::frame_size + 15) / 16 * 16);
    frames.end = frames.base + a->tasks *
                 (long)((counter::promise_type::frame_size + 15) / 16 * 16);
    if (a->warm_up)
        time_one_run(hs, a, switches);
    for (int r = 0; r < a->reps; r++)
        ns[r] = time_one_run(hs, a, switches);
    report_times("switch", a, switches, ns, a->reps);
    free(frames.base);
    frames = arena{};
    free(ns);
    free(hs);
}

static void measure_memory(const bench_args *a)
{
    counter::handle few[16];
    auto *hs = (counter::handle *)bench_calloc("coro", a->tasks,
                                                  sizeof(counter::handle));
    long before, after;
    fifo q;

    start_all(&q, few, 16, 0); /* the code it runs is resident now */
    destroy_all(few, 16);
    before = rss_bytes();
    start_all(&q, hs, a->tasks, 0);
    after = rss_bytes();
    /* The handles' array is the pool's queue here; the pool is a list. */
    report_memory(a->tasks, (long)counter::promise_type::frame_size, before,
                  after - a->tasks * (long)sizeof *hs);
    destroy_all(hs, a->tasks);
    free(hs);
}

/* ------------------------------------------------------------ child */

/* A task that co_returns an int to the coroutine that co_awaits it; its
 * end transfers control straight back to that parent. */
struct child_task {
    struct promise_type;
    using handle = std::coroutine_handle<promise_type>;

    struct final_awaiter {
        bool await_ready() noexcept { return false; }
        std::coroutine_handle<> await_suspend(handle h) noexcept
        {
            return h.promise().parent;
        }
        void await_resume() noexcept {}
    };

    struct promise_type {
        long value = 0;
        std::coroutine_handle<> parent;

        child_task get_return_object() { return {handle::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        final_awaiter final_suspend() noexcept { return {}; }
        void return_value(long v) noexcept { value = v; }
        void unhandled_exception() noexcept { std::abort(); }
    };

    handle h;

    child_task(handle x) : h(x) {}
    child_task(child_task &&o) noexcept : h(o.h) { o.h = nullptr; }
    ~child_task()
    {
        if (h)
            h.destroy();
    }
    bool await_ready() noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> p) noexcept
    {
        h.promise().parent = p;
        return h;
    }
    long await_resume() noexcept { return h.promise().value; }
};

/* A child: x plus what its own child returns, or x at the bottom. Out of
 * line, as a child in another file is: its frame is really allocated. */
__attribute__((noinline)) static child_task node(long x, int depth)
{
    if (depth == 0)
        co_return x;
    co_return x + co_await node(1, depth - 1);
}

/* The top-level coroutine: runs to its end on its first resume. */
struct top_task {
    struct promise_type {
        top_task get_return_object() { return {handle::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::abort(); }
    };
    using handle = std::coroutine_handle<promise_type>;

    handle h;
};

static top_task calls(long n, int depth, long long *sum)
{
    for (long i = 0; i < n; i++)
        *sum += co_await node(i, depth);
}

/* One timed run: ns per child call (per level for a chain), sum checked. */
static double child_run(long n, int depth)
{
    long long sum = 0, want = (long long)n * (n - 1) / 2 + (long long)n * depth;
    top_task t = calls(n, depth, &sum);
    double start = cpu_ns();

    t.h.resume();
    start = (cpu_ns() - start) / ((double)n * (depth + 1));
    if (!t.h.done() || sum != want) {
        fprintf(stderr, "coro: children summed %lld, expected %lld\n", sum,
                want);
        exit(1);
    }
    t.h.destroy();
    return start;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double print_samples(double *ns, int n)
{
    double median;

    printf("samples_ns=");
    for (int i = 0; i < n; i++)
        printf("%s%.4f", i ? "," : "", ns[i]);
    qsort(ns, (size_t)n, sizeof *ns, compare_doubles);
    median = n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2;
    printf(" median_ns=%.4f min_ns=%.4f max_ns=%.4f", median, ns[0],
           ns[n - 1]);
    return median;
}

static void child_usage()
{
    fprintf(stderr, "usage: coro child [-c CALLS] [-r REPS] [-d DEPTH]\n"
                    "  -c CALLS  1 to 1000000000 (default 25000000)\n"
                    "  -r REPS   1 to 100 (default 5)\n"
                    "  -d DEPTH  0 (no chain) to 1000 (default 10)\n");
    exit(2);
}

static long child_number(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || *end || v < lo || v > hi)
        child_usage();
    return v;
}

static int child_main(int argc, char **argv)
{
    long n = 25000000, chains;
    int reps = 5, depth = 10;
    double *ns;

    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc)
            child_usage();
        if (strcmp(argv[i], "-c") == 0)
            n = child_number(argv[i + 1], 1, 1000000000);
        else if (strcmp(argv[i], "-r") == 0)
            reps = (int)child_number(argv[i + 1], 1, 100);
        else if (strcmp(argv[i], "-d") == 0)
            depth = (int)child_number(argv[i + 1], 0, 1000);
        else
            child_usage();
    }
    ns = (double *)bench_calloc("coro", reps, sizeof(double));
    chains = depth > 0 ? (n + depth - 1) / depth : 0;
    if (depth > 0) {
        child_run(chains, depth - 1);
        for (int r = 0; r < reps; r++)
            ns[r] = child_run(chains, depth - 1);
        printf("child_chain way=%s depth=%d calls=%ld reps=%d ", WAY_NAME, depth,
               chains * depth, reps);
        printf(" chain_ns=%.4f\n", print_samples(ns, reps) * depth);
    }
    child_run(n, 0);
    for (int r = 0; r < reps; r++)
        ns[r] = child_run(n, 0);
    printf("child way=%s calls=%ld reps=%d ", WAY_NAME, n, reps);
    print_samples(ns, reps);
    printf("\n");
    free(ns);
    return 0;
}

int main(int argc, char **argv)
{
    bench_args a;

    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child_main(argc, argv);
    bench_parse(&a, "coro", argc, argv);
    if ((unsigned long)a.yields > UINT32_MAX) {
        fprintf(stderr, "coro: -k is at most %lu\n", (unsigned long)UINT32_MAX);
        return 2;
    }
    if (a.mode == BENCH_TIME)
        time_switches(&a);
    else
        measure_memory(&a);
    return 0;
}
