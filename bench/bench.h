/* bench.h — what every benchmark needs: a monotonic clock, a fast deterministic PRNG, and a fatal error. */
#ifndef CUSTOS_BENCH_H
#define CUSTOS_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "custos/error.h"

/* Seconds on clock c. */
static inline double bench_clock(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds on a monotonic clock. */
static inline double bench_now(void)
{
	return bench_clock(CLOCK_MONOTONIC);
}

/*
 * Seconds of CPU this thread has used: what an in-process loop costs,
 * whatever else the machine runs meanwhile (a wall clock counts the time
 * other processes took the core too).
 */
static inline double bench_cpu_now(void)
{
	return bench_clock(CLOCK_THREAD_CPUTIME_ID);
}

/* Seconds of CPU every thread of this process has used (a server run in the process too). */
static inline double bench_process_cpu_now(void)
{
	return bench_clock(CLOCK_PROCESS_CPUTIME_ID);
}

/* xorshift64: the same sequence on every run, so runs compare. */
static inline uint64_t bench_rand(void)
{
	static uint64_t state = 0x9E3779B97F4A7C15ull;
	uint64_t x = state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return state = x;
}

/* Prints "PROG: WHAT: <custos error>" and exits 1. */
static inline void bench_die(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, custos_error_last());
	exit(1);
}

#endif
