/**
 * @file task.h
 * @brief A task: a generator as a resumable function, and a task pool.
 *
 * A task is a struct that remembers where its body stopped. Its body is a
 * function that jumps back to that point each time it is called. The three
 * macros TASK_BEGIN, TASK_YIELD and TASK_END write that jump for you.
 * A yield can carry a value out to whoever resumed the task.
 * Python's PEP 342 semantics: task_send(), task_throw(), task_close().
 */
#ifndef TASK_H
#define TASK_H

/**
 * What a task's body reports each time it returns, and what a call on a
 * task reports to its caller. A body returns one of the first three; the
 * last three are refusals and the ignored exit, which only calls report.
 */
typedef enum task_status {
    TASK_YIELDED,     /**< The body stopped at a yield; resume it again. */
    TASK_DONE,        /**< The body ran to its end; it will not run again. */
    TASK_FAILED,      /**< An error ended the body: it is in `t->raised`. */
    TASK_RUNNING,     /**< Refused: the task is running; nothing ran. */
    TASK_NOT_STARTED, /**< Refused: a value sent to a new task; nothing ran. */
    TASK_IGNORED_EXIT /**< task_close(): the body yielded again instead. */
} task_status;

/** An error: a code that says which kind, and a message for people. */
typedef struct task_error {
    int code;            /**< One of enum task_error_code, or your own. */
    const char *message; /**< What went wrong, in words. */
} task_error;

/** The codes of the runtime's own errors. */
enum task_error_code {
    TASK_ERROR_EXIT = 1,     /**< Thrown in by task_close(): GeneratorExit. */
    TASK_ERROR_RUNNING,      /**< The task was resumed from inside itself. */
    TASK_ERROR_NOT_STARTED,  /**< A value was sent before the first yield. */
    TASK_ERROR_IGNORED_EXIT, /**< The task yielded again after close. */
    TASK_ERROR_USER = 100    /**< The first code free for your own errors. */
};

/** The error task_close() throws in: Python's GeneratorExit. */
extern const task_error task_exit;
/** The error of TASK_RUNNING: the task was resumed while it runs. */
extern const task_error task_error_running;
/** The error of TASK_NOT_STARTED: a value other than none to a new task. */
extern const task_error task_error_not_started;
/** The error of TASK_IGNORED_EXIT: the task yielded instead of ending. */
extern const task_error task_error_ignored_exit;

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
    unsigned char running;    /**< 1 while the body runs. */
    unsigned char cleaned_up; /**< 1 once the body passed TASK_FINALLY. */
    value yielded; /**< What the last yield carried out. */
    value sent;    /**< What the last send carried in: the yield's result. */
    const task_error *error;  /**< The error thrown in at the last yield. */
    const task_error *raised; /**< The error that ends the body, or NULL. */
};

/** Start a body: jump to the line where the last yield left off. */
#define TASK_BEGIN(t) switch ((t)->resume) { case 0:

/**
 * Stop here and hand @p v to the caller, as TASK_YIELD_VALUE, but catch a
 * thrown error: it is left in `t->error` for the body to handle. Set
 * `t->error` to NULL once it is handled; one still there at TASK_FINALLY
 * or TASK_END goes on, as an error the body raised.
 */
#define TASK_YIELD_CATCH(t, v)                                               \
    do {                                                                     \
        (t)->yielded = (v);                                                  \
        (t)->resume = __LINE__;                                              \
        return TASK_YIELDED;                                                 \
    case __LINE__:;                                                          \
    } while (0)

/**
 * Stop here and hand @p v to the caller; the next resume goes on after it.
 * An error thrown in at this yield ends the task (its cleanup still runs).
 */
#define TASK_YIELD_VALUE(t, v)                                               \
    do {                                                                     \
        TASK_YIELD_CATCH(t, v);                                              \
        if ((t)->error)                                                      \
            TASK_FAIL(t, (t)->error);                                        \
    } while (0)

/** Stop here and hand nothing (none) to the caller. */
#define TASK_YIELD(t) TASK_YIELD_VALUE(t, value_none())

/** End the body with error @p e, in place of any error thrown in: `raise`. */
#define TASK_FAIL(t, e)                                                      \
    do {                                                                     \
        (t)->raised = (e);                                                   \
        (t)->error = NULL;                                                   \
        return TASK_FAILED;                                                  \
    } while (0)

/**
 * Start the cleanup section, Python's `finally`: it runs exactly once,
 * whether the body ends normally, with an error, or by task_close(). The
 * error in flight, if any, is in `t->raised`: it survives a yield in the
 * cleanup and goes on at TASK_END.
 */
#define TASK_FINALLY(t)                                                      \
    goto task_finally;                                                       \
    case TASK_CLEANUP:                                                       \
    task_finally:                                                            \
    task_cleanup_starts(t)

/** End a body: done, or failed if an error is still in flight. */
#define TASK_END(t) } return task_ends(t)

/** The value of `resume` once a task is done. */
#define TASK_FINISHED (-1)

/** The value of `resume` that jumps to the body's TASK_FINALLY section. */
#define TASK_CLEANUP (-2)

/**
 * What TASK_FINALLY does: mark the cleanup as run, and make an error
 * thrown in and not handled the error in flight.
 * @param t the task whose body reached its cleanup section
 */
void task_cleanup_starts(task *t);

/**
 * What TASK_END returns: TASK_FAILED if an error is in flight (an error
 * thrown in and not handled goes on), else TASK_DONE.
 * @param t the task whose body reached its end
 * @return the status
 */
task_status task_ends(task *t);

/**
 * Make @p t a new task that will run @p body from its start.
 * @param t    the task to set up
 * @param body its generator function
 */
void task_init(task *t, task_fn *body);

/**
 * Run @p t until its next yield or its end: task_send() with none.
 * @param t the task to run
 * @return as task_send()
 */
task_status task_resume(task *t);

/**
 * Resume @p t with @p v as the result of the yield it stopped at.
 * @param t the task
 * @param v the value; a new task only takes none
 * @return TASK_YIELDED (value in `t->yielded`), TASK_DONE (also if it was
 *         done already), TASK_FAILED (the body's error in `t->raised`), or
 *         a refusal that leaves @p t as it was: TASK_RUNNING or
 *         TASK_NOT_STARTED
 */
task_status task_send(task *t, value v);

/**
 * Raise @p e inside @p t at the yield it stopped at. A new or finished task
 * runs none of its code: it is done, and the call fails with @p e (in
 * `t->raised`).
 * @param t the task
 * @param e the error
 * @return TASK_YIELDED if the body handled @p e and yielded again,
 *         TASK_DONE if it handled it and ended, TASK_RUNNING if @p t is
 *         running, else TASK_FAILED
 */
task_status task_throw(task *t, const task_error *e);

/**
 * Throw task_exit into @p t so that its cleanup runs, and make it done.
 * A new or finished task is just marked done.
 * @param t the task
 * @return TASK_DONE; TASK_IGNORED_EXIT if the body yielded again (it stays
 *         suspended); TASK_FAILED with the error its cleanup raised in
 *         `t->raised`; or TASK_RUNNING
 */
task_status task_close(task *t);

/**
 * The error a call on @p t reported: what Python would raise in the caller.
 * @param t the task that was called
 * @param s what the call returned
 * @return `t->raised` for TASK_FAILED, the refusal's error for the statuses
 *         after it, or NULL for TASK_YIELDED and TASK_DONE
 */
const task_error *task_error_of(const task *t, task_status s);

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
 * if it is done it leaves the pool; if it failed, or the call was refused,
 * it leaves the pool and the error is reported on stderr.
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
 * Close every task in the pool, front to back, and empty it.
 * @param p the pool
 */
void pool_close(pool *p);

/**
 * Step until every task is done.
 * @param p the pool
 * @return how many steps it took
 */
long pool_run(pool *p);

#endif
