/*
 * bench-l2-table: the bridge's per-frame MAC work, learn(src) then
 * lookup(dst), in cycles per frame for N flows (distinct source and
 * destination MACs cycled frame by frame, as a generator with N flows
 * sends them; the worker's one-flow decision cache is not in play).
 * Not a test: a figure, for comparing two builds of lib/l2 (run each
 * pinned, alternated; the median of 9 rounds of 4M frames is printed).
 *
 * Usage: bench-l2-table [FLOWS...]   (default 1 100 1000 10000 100000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#include "l2/l2_table.h"

#define ROUNDS 9
#define FRAMES 4000000u

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
mac_of(uint8_t mac[6], uint8_t side, uint32_t i)
{
	const uint8_t m[6] = { 0x02, side, (uint8_t)(i >> 24), (uint8_t)(i >> 16),
			       (uint8_t)(i >> 8), (uint8_t)i };

	for (int k = 0; k < 6; k++)
		mac[k] = m[k];
}

static double
cycles_per_frame(uint32_t flows)
{
	struct l2_table *t = l2_table_create(1u << 18, 300);
	uint8_t (*src)[6] = malloc((size_t)flows * 6);
	uint8_t (*dst)[6] = malloc((size_t)flows * 6);
	volatile uint32_t sink = 0;
	double r[ROUNDS];

	if (t == NULL || src == NULL || dst == NULL) {
		fprintf(stderr, "bench-l2-table: out of memory\n");
		exit(1);
	}
	for (uint32_t i = 0; i < flows; i++) {
		mac_of(src[i], 0, i);
		mac_of(dst[i], 1, i);
		l2_table_learn(t, dst[i], 1, 2, 1);
	}
	for (int k = 0; k < ROUNDS; k++) {
		uint64_t c0 = __rdtsc();

		for (uint32_t j = 0, i = 0; j < FRAMES; j++) {
			l2_table_learn(t, src[i], 1, 1, 1);
			sink += l2_table_lookup(t, dst[i], 1, 1);
			if (++i == flows)
				i = 0;
		}
		r[k] = (double)(__rdtsc() - c0) / FRAMES;
	}
	(void)sink;
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	l2_table_free(t);
	free(src);
	free(dst);
	return r[ROUNDS / 2];
}

int
main(int argc, char **argv)
{
	static const char *const dflt[] = { "1", "100", "1000", "10000", "100000" };
	const char *const *arg = argc > 1 ? (const char *const *)argv + 1 : dflt;
	int n = argc > 1 ? argc - 1 : (int)(sizeof(dflt) / sizeof(dflt[0]));

	printf("flows,tsc_cycles_per_frame\n");
	for (int i = 0; i < n; i++) {
		char *end;
		unsigned long flows = strtoul(arg[i], &end, 10);

		if (*end != '\0' || flows == 0 || flows > (1u << 20)) {
			fprintf(stderr, "bench-l2-table: FLOWS must be 1..%u, not '%s'\n",
				1u << 20, arg[i]);
			return 1;
		}
		printf("%lu,%.2f\n", flows, cycles_per_frame((uint32_t)flows));
	}
	return 0;
}
