/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xcore-rtt: how long a cache line takes to go from one CPU to another and
 * back. Two threads, pinned to CPUs A and B, pass a counter back and forth
 * through one cache line; the figure is the median round trip of several
 * runs. A packet path through shared memory (virtio, memif, dpsr) moves
 * descriptor and buffer lines between the cores the same way, so this is
 * what its per-packet cost scales with. On a virtual machine it shows where
 * the hypervisor put the two vCPUs: near (sharing a cache) or far.
 *
 * Usage: xcore-rtt [CPU_A CPU_B]   (default 0 1); prints {"rtt_ns": N}.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRIPS 20000
#define RUNS 7

static struct {
	_Alignas(64) volatile uint64_t seq;
} line;
static int answerer;		/* 1: B runs on its CPU; -1: it cannot */

static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* B: answer each odd number with the next even one, until told to stop. */
static void *
answer(void *arg)
{
	if (pin(*(int *)arg) != 0) {
		__atomic_store_n(&answerer, -1, __ATOMIC_RELEASE);
		return NULL;
	}
	__atomic_store_n(&answerer, 1, __ATOMIC_RELEASE);
	for (;;) {
		uint64_t v = __atomic_load_n(&line.seq, __ATOMIC_ACQUIRE);

		if (v == UINT64_MAX)
			return NULL;
		if (v & 1)
			__atomic_store_n(&line.seq, v + 1, __ATOMIC_RELEASE);
	}
}

static double
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* A: one run of TRIPS round trips; ns per round trip. */
static double
run(void)
{
	double t0 = now_ns();

	for (uint64_t i = 0; i < TRIPS; i++) {
		uint64_t ask = __atomic_load_n(&line.seq, __ATOMIC_RELAXED) + 1;

		__atomic_store_n(&line.seq, ask, __ATOMIC_RELEASE);
		while (__atomic_load_n(&line.seq, __ATOMIC_ACQUIRE) != ask + 1)
			;
	}
	return (now_ns() - t0) / TRIPS;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
parse_cpu(const char *s, int *cpu)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v >= CPU_SETSIZE)
		return -1;
	*cpu = (int)v;
	return 0;
}

int
main(int argc, char **argv)
{
	int a = 0, b = 1, rc;
	double ns[RUNS];
	pthread_t t;

	if (argc != 1 && (argc != 3 || parse_cpu(argv[1], &a) || parse_cpu(argv[2], &b))) {
		fprintf(stderr, "usage: xcore-rtt [CPU_A CPU_B] (CPU numbers, default 0 1)\n");
		return 2;
	}
	if (pin(a) != 0) {
		fprintf(stderr, "xcore-rtt: cannot run on CPU %d\n", a);
		return 1;
	}
	rc = pthread_create(&t, NULL, answer, &b);
	if (rc != 0) {
		fprintf(stderr, "xcore-rtt: cannot start a thread: %s\n", strerror(rc));
		return 1;
	}
	while (__atomic_load_n(&answerer, __ATOMIC_ACQUIRE) == 0)
		;
	if (answerer < 0) {
		pthread_join(t, NULL);
		fprintf(stderr, "xcore-rtt: cannot run on CPU %d\n", b);
		return 1;
	}
	for (int i = 0; i < RUNS; i++)
		ns[i] = run();
	__atomic_store_n(&line.seq, UINT64_MAX, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	qsort(ns, RUNS, sizeof(ns[0]), cmp_double);
	printf("{\"rtt_ns\": %.1f, \"cpus\": [%d, %d]}\n", ns[RUNS / 2], a, b);
	return 0;
}
