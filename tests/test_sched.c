/* Stage 2 on: a yield carries a value out; a scheduler is itself a task. */
#include <criterion/criterion.h>

#include "sched.h"

/* The order in which leaves ran: one entry (the leaf's id) per step. */
static int order[8192];
static int norder;

/* A leaf records its id and yields it, `steps` times, then finishes
   without recording; `steps` < 0 means it never finishes. */
typedef struct leaf {
    task task;
    int id;
    int steps;
    int i;
} leaf;

static task_status leaf_main(task *t)
{
    leaf *l = (leaf *)t;

    TASK_BEGIN(t);
    for (l->i = 0; l->steps < 0 || l->i < l->steps; l->i++) {
        order[norder++] = l->id;
        TASK_YIELD_VALUE(t, value_int(l->id));
    }
    TASK_END(t);
}

static void leaf_init(leaf *l, int id, int steps)
{
    task_init(&l->task, leaf_main);
    l->id = id;
    l->steps = steps;
}

static void expect_order(const int *want, int n)
{
    cr_assert_eq(norder, n, "%d steps ran, expected %d", norder, n);
    for (int k = 0; k < n; k++)
        cr_assert_eq(order[k], want[k], "step %d ran leaf %d, expected %d", k,
                     order[k], want[k]);
}

/* Yields 1, 2, 3 as integers, then finishes. */
static task_status count_main(task *t)
{
    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, value_int(1));
    TASK_YIELD_VALUE(t, value_int(2));
    TASK_YIELD_VALUE(t, value_int(3));
    TASK_END(t);
}

Test(sched, a_new_task_has_yielded_none)
{
    task t;

    t.yielded = value_int(7);
    task_init(&t, count_main);
    cr_assert_eq(t.yielded.kind, VALUE_NONE);
}

Test(sched, values_arrive_from_pool_step_in_order)
{
    task t;
    pool p;

    task_init(&t, count_main);
    pool_init(&p);
    pool_add(&p, &t);
    for (long want = 1; want <= 3; want++) {
        cr_assert_eq(pool_step(&p), &t);
        cr_assert_not(task_done(&t));
        cr_assert_eq(t.yielded.kind, VALUE_INT);
        cr_assert_eq(t.yielded.as.i, want);
    }
    cr_assert_eq(pool_step(&p), &t);
    cr_assert(task_done(&t));
    cr_assert_null(pool_step(&p));
}

Test(sched, values_arrive_at_the_scheduler_in_order)
{
    task t;
    sched s;

    task_init(&t, count_main);
    sched_init(&s);
    sched_add(&s, &t);
    for (long want = 1; want <= 3; want++) {
        cr_assert_eq(task_resume(&s.task), TASK_YIELDED);
        cr_assert_eq(s.task.yielded.kind, VALUE_INT);
        cr_assert_eq(s.task.yielded.as.i, want);
    }
    /* The step in which t finishes yields none; the next one ends s. */
    cr_assert_eq(task_resume(&s.task), TASK_YIELDED);
    cr_assert_eq(s.task.yielded.kind, VALUE_NONE);
    cr_assert_eq(task_resume(&s.task), TASK_DONE);
    cr_assert(task_done(&s.task));
    cr_assert_eq(task_resume(&s.task), TASK_DONE);
}

static int payload;

/* Yields one value of each kind, then a plain TASK_YIELD. */
static task_status kinds_main(task *t)
{
    TASK_BEGIN(t);
    TASK_YIELD_VALUE(t, value_int(-42));
    TASK_YIELD_VALUE(t, value_str("Hi, Mom!"));
    TASK_YIELD_VALUE(t, value_ptr(&payload));
    TASK_YIELD(t);
    TASK_END(t);
}

Test(sched, a_scheduler_passes_each_kind_of_value_up)
{
    task t;
    sched inner, outer;

    task_init(&t, kinds_main);
    sched_init(&inner);
    sched_init(&outer);
    sched_add(&inner, &t);
    sched_add(&outer, &inner.task);

    cr_assert_eq(task_resume(&outer.task), TASK_YIELDED);
    cr_assert_eq(outer.task.yielded.kind, VALUE_INT);
    cr_assert_eq(outer.task.yielded.as.i, -42);

    cr_assert_eq(task_resume(&outer.task), TASK_YIELDED);
    cr_assert_eq(outer.task.yielded.kind, VALUE_STR);
    cr_assert_str_eq(outer.task.yielded.as.s, "Hi, Mom!");

    cr_assert_eq(task_resume(&outer.task), TASK_YIELDED);
    cr_assert_eq(outer.task.yielded.kind, VALUE_PTR);
    cr_assert_eq(outer.task.yielded.as.p, &payload);

    cr_assert_eq(task_resume(&outer.task), TASK_YIELDED);
    cr_assert_eq(outer.task.yielded.kind, VALUE_NONE);
    cr_assert_eq(inner.task.yielded.kind, VALUE_NONE);
    cr_assert_eq(t.yielded.kind, VALUE_NONE);
}

/* Depth d: scheds[0] holds leaves[0] and scheds[1], ..., scheds[d - 1]
   holds leaves[d - 1] and scheds[d], and scheds[d] holds leaves[d]. */
static void build_chain(sched *scheds, leaf *leaves, int depth, int steps)
{
    for (int k = 0; k <= depth; k++) {
        sched_init(&scheds[k]);
        leaf_init(&leaves[k], k, steps);
        sched_add(&scheds[k], &leaves[k].task);
        if (k > 0)
            sched_add(&scheds[k - 1], &scheds[k].task);
    }
}

Test(sched, a_scheduler_inside_a_scheduler_at_depth_1)
{
    sched scheds[2];
    leaf leaves[2];
    static const int want[] = {0, 1, 0, 1, 0, 1};

    build_chain(scheds, leaves, 1, 3);
    /* A leaf of k steps takes k + 1 resumes (the last one finishes it);
       a scheduler takes the sum of its tasks' resumes, plus one to end.
       scheds[0] yields at leaf 0's 4 and scheds[1]'s 4 + 1 resumes. */
    cr_assert_eq(sched_run(&scheds[0]), 4 + (4 + 1));
    expect_order(want, 6);
    cr_assert(task_done(&scheds[1].task));
    cr_assert_eq(scheds[0].pool.ntasks, 0);
}

Test(sched, a_scheduler_inside_a_scheduler_at_depth_2)
{
    sched scheds[3];
    leaf leaves[3];
    /* Worked by hand, one outer step per column:
       0 1 0 2 0 1 (leaf 0 finishes) 2 1 2 (leaves 1 and 2 finish). */
    static const int want[] = {0, 1, 0, 2, 0, 1, 2, 1, 2};

    build_chain(scheds, leaves, 2, 3);
    cr_assert_eq(sched_run(&scheds[0]), 4 + (4 + (4 + 1) + 1));
    expect_order(want, 9);
    for (int k = 0; k <= 2; k++)
        cr_assert(task_done(&scheds[k].task));
}

/* While no task has finished, step p (from 1) of the outermost scheduler
   runs the leaf at level min(trailing zeros of p, depth): each scheduler
   gives half of its steps to its leaf and half to the scheduler below. */
static int level_of_step(int p, int depth)
{
    int level = 0;

    while (p % 2 == 0 && level < depth) {
        p /= 2;
        level++;
    }
    return level;
}

static void check_chain_forever(int depth, int steps)
{
    sched scheds[11];
    leaf leaves[11];

    cr_assert_leq(depth, 10);
    build_chain(scheds, leaves, depth, -1);
    for (int p = 1; p <= steps; p++) {
        int want = level_of_step(p, depth);

        cr_assert_eq(task_resume(&scheds[0].task), TASK_YIELDED);
        cr_assert_eq(scheds[0].task.yielded.kind, VALUE_INT);
        cr_assert_eq(scheds[0].task.yielded.as.i, want,
                     "step %d yielded %ld, expected %d", p,
                     scheds[0].task.yielded.as.i, want);
    }
    cr_assert_eq(norder, steps);
    for (int p = 1; p <= steps; p++)
        cr_assert_eq(order[p - 1], level_of_step(p, depth));
}

Test(sched, nested_schedulers_at_depth_1_2_and_10_interleave_as_a_ruler)
{
    static const int depth1[] = {0, 1, 0, 1, 0, 1, 0, 1};
    static const int depth2[] = {0, 1, 0, 2, 0, 1, 0, 2};

    check_chain_forever(1, 8);
    expect_order(depth1, 8);
    norder = 0;
    check_chain_forever(2, 8);
    expect_order(depth2, 8);
    norder = 0;
    check_chain_forever(10, 4096);
}

Test(sched, at_depth_10_each_level_gets_half_of_the_steps_above_it)
{
    int runs[11] = {0};

    check_chain_forever(10, 4096);
    for (int k = 0; k < norder; k++)
        runs[order[k]]++;
    for (int level = 0; level < 10; level++)
        cr_assert_eq(runs[level], 4096 >> (level + 1), "level %d ran %d",
                     level, runs[level]);
    cr_assert_eq(runs[10], 4096 >> 10);
}

Test(sched, a_nested_scheduler_that_empties_finishes_like_any_task)
{
    sched inner;
    leaf a, b;
    pool p;

    sched_init(&inner);
    leaf_init(&a, 1, 2);
    leaf_init(&b, 2, 1);
    sched_add(&inner, &a.task);
    pool_init(&p);
    pool_add(&p, &inner.task);
    pool_add(&p, &b.task);

    cr_assert_eq(pool_iteration(&p, 4), 1); /* a, b, a, b finishes */
    cr_assert_eq(p.head, &inner.task);
    cr_assert_eq(pool_step(&p), &inner.task); /* a finishes: none */
    cr_assert_not(task_done(&inner.task));
    cr_assert_eq(inner.task.yielded.kind, VALUE_NONE);
    cr_assert_eq(inner.pool.ntasks, 0);
    cr_assert_eq(p.ntasks, 1);
    cr_assert_eq(pool_step(&p), &inner.task); /* inner is empty: done */
    cr_assert(task_done(&inner.task));
    cr_assert_eq(p.ntasks, 0);
    cr_assert_null(p.head);
    cr_assert_null(pool_step(&p));
}

Test(sched, pool_run_counts_a_nested_scheduler_step_by_step)
{
    sched inner;
    leaf a, b;
    pool p;

    sched_init(&inner);
    leaf_init(&a, 1, 2);
    leaf_init(&b, 2, 1);
    sched_add(&inner, &a.task);
    pool_init(&p);
    pool_add(&p, &inner.task);
    pool_add(&p, &b.task);
    /* inner: a, a, a finishes, inner ends (4); b: b, b finishes (2). */
    cr_assert_eq(pool_run(&p), 6);
    cr_assert(task_done(&inner.task));
    cr_assert(task_done(&b.task));
    cr_assert_eq(p.ntasks, 0);
}

Test(sched, an_empty_scheduler_finishes_at_its_first_resume)
{
    sched s;

    sched_init(&s);
    cr_assert_eq(sched_run(&s), 0);
    cr_assert(task_done(&s.task));
}

/* Runs twice; its first step adds `child` to `s`. */
typedef struct spawner {
    task task;
    sched *s;
    leaf *child;
} spawner;

static task_status spawner_main(task *t)
{
    spawner *sp = (spawner *)t;

    TASK_BEGIN(t);
    order[norder++] = 0;
    sched_add(sp->s, &sp->child->task);
    TASK_YIELD(t);
    order[norder++] = 0;
    TASK_YIELD(t);
    TASK_END(t);
}

Test(sched, a_task_added_while_the_scheduler_runs_joins_the_round)
{
    sched s;
    spawner sp;
    leaf x, child;
    /* s: [sp x] -> sp adds child: [x child sp] -> x, child, sp, x, child */
    static const int want[] = {0, 1, 2, 0, 1, 2};

    sched_init(&s);
    task_init(&sp.task, spawner_main);
    sp.s = &s;
    sp.child = &child;
    leaf_init(&x, 1, 2);
    leaf_init(&child, 2, 2);
    sched_add(&s, &sp.task);
    sched_add(&s, &x.task);
    /* 6 steps that record, 3 that finish a task, 1 that ends s. */
    cr_assert_eq(sched_run(&s), 9);
    expect_order(want, 6);
    cr_assert(task_done(&child.task));
}

Test(sched, a_task_added_between_resumes_runs_after_the_others)
{
    sched s;
    leaf a, b, late;
    static const int want[] = {1, 2, 1, 2, 3, 3};

    sched_init(&s);
    leaf_init(&a, 1, 2);
    leaf_init(&b, 2, 2);
    leaf_init(&late, 3, 2);
    sched_add(&s, &a.task);
    sched_add(&s, &b.task);
    cr_assert_eq(task_resume(&s.task), TASK_YIELDED);
    cr_assert_eq(task_resume(&s.task), TASK_YIELDED);
    cr_assert_eq(task_resume(&s.task), TASK_YIELDED);
    sched_add(&s, &late.task); /* the queue: b a late */
    /* b, a finishes, late, b finishes, late, late finishes; s ends. */
    cr_assert_eq(sched_run(&s), 6);
    expect_order(want, 6);
}
