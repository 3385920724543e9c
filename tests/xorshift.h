/* xorshift.h: a seeded, reproducible sequence of numbers for the tests. */
#ifndef XORSHIFT_H
#define XORSHIFT_H

#include <stdint.h>

/* xorshift32: the next number after *state; the seed must not be 0. */
static inline uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#endif
