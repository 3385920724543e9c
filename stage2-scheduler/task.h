/**
 * @file task.h
 * @brief A task: a generator as a resumable function, and a task pool.
 *
 * A task is a struct that remembers where its body stopped. Its body is a
 * function that jumps back to that point each time it is called. The three
 * macros TASK_BEGIN, TASK_YIELD and TASK_END write that jump for you.
 * A yield can carry a value out to whoever resumed the task.
 */
#ifndef TASK_H
#define TASK_H

/** What a task's body reports each time it returns. */
typedef enum task_status {
    TASK_YIELDED, /**< The body stopped at a yield; resume it again later. */
    TASK_DONE     /**< The body ran to its end; it will not run again. */
} task_status;

/** Which member of a value's `as` holds it. */
enum value_kind {
    VALUE_NONE, /**< No value: Python's None. */
    VALUE_INT,  /**< An integer, in as.i. */
    VALUE_STR,  /**< A string, in as.s. */
    VALUE_PTR   /**< A pointer, in as.p. */
};

/** What a yield carries: nothing (none), an integer, a string or a pointer. */
typedef struct value {
    enum value_kind kind; /**< Which member of `as` holds the value. */
    /** The value itself. */
    union {
        long i;        /**< For VALUE_INT. */
        const char *s; /**< For VALUE_STR. */
        void *p;       /**< For VALUE_PTR. */
    } as;
} value;

/** @return the value that stands for nothing, Python's None */
static inline value value_none(void)
{
    value v = {VALUE_NONE, {0}};
    return v;
}

/** @param i an integer @return it as a value */
static inline value value_int(long i)
{
    value v = {VALUE_INT, {.i = i}};
    return v;
}

/** @param s a string that outlives the value @return it as a value */
static inline value value_str(const char *s)
{
    value v = {VALUE_STR, {.s = s}};
    return v;
}

/** @param p a pointer @return it as a value */
static inline value value_ptr(void *p)
{
    value v = {VALUE_PTR, {.p = p}};
    return v;
}

/** A task; see struct task. */
typedef struct task task;

/** A task's body: runs from its resume point to the next yield or the end. */
typedef task_status task_fn(task *t);

/**
 * A task: a generator's frame and resume point.
 *
 * Embed it as the first member of your own struct, whose other fields are
 * the locals that must live across a yield.
 */
struct task {
    task_fn *body; /**< The generator function. */
    task *next;    /**< Next task in the pool's queue. */
    int resume;    /**< Where the body goes on: 0 at the start, else a line. */
    value yielded; /**< What the last yield carried out. */
};

/** Start a body: jump to the line where the last yield left off. */
#define TASK_BEGIN(t) switch ((t)->resume) { case 0:

/** Stop here and hand @p v to the caller; the next resume goes on after it. */
#define TASK_YIELD_VALUE(t, v)                                               \
    do {                                                                     \
        (t)->yielded = (v);                                                  \
        (t)->resume = __LINE__;                                              \
        return TASK_YIELDED;                                                 \
    case __LINE__:;                                                          \
    } while (0)

/** Stop here and hand nothing (none) to the caller. */
#define TASK_YIELD(t) TASK_YIELD_VALUE(t, value_none())

/** End a body: falling off the end means the task is done. */
#define TASK_END(t) } return TASK_DONE

/** The value of `resume` once a task is done. */
#define TASK_FINISHED (-1)

/**
 * Make @p t a new task that will run @p body from its start.
 * @param t    the task to set up
 * @param body its generator function
 */
void task_init(task *t, task_fn *body);

/**
 * Run @p t until its next yield or its end.
 * @param t the task to run
 * @return TASK_YIELDED, or TASK_DONE (also for a task that was done already)
 */
task_status task_resume(task *t);

/**
 * Tell whether @p t has run to its end.
 * @param t the task
 * @return 1 if it is done, else 0
 */
int task_done(const task *t);

/**
 * Name @p t in the trace (see trace.h), as the program calls it: "AAA".
 * Does nothing unless tracing is on; an unnamed task is "task N" there.
 * @param t    the task
 * @param name its name, copied into the trace at once
 */
#define task_name(t, name) trace_name((t), (name), __FILE__)

/**
 * What task_name() calls: the name, and the file that names the task.
 * @param t    the task
 * @param name its name
 * @param file the source file that names it
 */
void trace_name(task *t, const char *name, const char *file);

/** A queue of tasks resumed round-robin: the seed's TaskPool. */
typedef struct pool {
    task *head;  /**< The task that runs next, or NULL. */
    task *tail;  /**< The task that runs last, or NULL. */
    long ntasks; /**< How many tasks are in the queue. */
} pool;

/**
 * Make @p p an empty pool.
 * @param p the pool
 */
void pool_init(pool *p);

/**
 * Put @p t at the back of the queue. Safe to call while the pool runs.
 * @param p the pool
 * @param t a task that is in no pool
 */
void pool_add(pool *p, task *t);

/**
 * Resume the task at the front once. If it yields it goes to the back;
 * if it is done it leaves the pool.
 * @param p the pool
 * @return the task that ran, or NULL if the pool is empty
 */
task *pool_step(pool *p);

/**
 * Take up to @p n steps: the seed's TaskPool.iteration(n).
 * @param p the pool
 * @param n how many steps at most
 * @return how many tasks are left
 */
long pool_iteration(pool *p, long n);

/**
 * Step until every task is done.
 * @param p the pool
 * @return how many steps it took
 */
long pool_run(pool *p);

#endif
