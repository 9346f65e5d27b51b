/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the MAC learning table (lib/l2): no EAL, no DPDK runtime. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "l2/l2_table.h"
#include "test_common.h"

/*
 * A locally administered unicast MAC made from a number: the number in the
 * last four octets, and a scrambled copy in the second, so that tests of
 * table semantics do not depend on how well the table spreads MACs that
 * differ only in their last octets (test_hash_spread checks that).
 */
static void
mac_of(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = (uint8_t)(n * 151 + 7);
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void
test_create_args(void)
{
	struct l2_table *t;

	errno = 0;
	CHECK(l2_table_create(0, 300) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(l2_table_create(64, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(l2_table_create((1u << 26) + 1, 300) == NULL);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK(l2_table_create(UINT32_MAX, 300) == NULL);
	CHECK_EQ(errno, EINVAL);

	l2_table_free(NULL);	/* must be a no-op */

	t = l2_table_create(1, 7);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_EQ(l2_table_get_aging(t), 7);
		l2_table_set_aging(t, 9);
		CHECK_EQ(l2_table_get_aging(t), 9);
		CHECK_EQ(l2_table_count(t, 0), 0);
		CHECK_EQ(l2_table_evictions(t), 0);
		l2_table_free(t);
	}
}

static void
test_capacity_rounding(void)
{
	static const struct { uint32_t in, cap; } cases[] = {
		{ 1, 64 }, { 63, 64 }, { 64, 64 }, { 65, 128 }, { 100, 128 },
		{ 128, 128 }, { 1000, 1024 }, { 1024, 1024 }, { 1025, 2048 },
		{ 65536, 65536 }, { 65537, 131072 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct l2_table *t = l2_table_create(cases[i].in, 300);

		CHECK_MSG(t != NULL, "create(%u)", cases[i].in);
		if (t == NULL)
			continue;
		CHECK_MSG(l2_table_capacity(t) == cases[i].cap,
			  "capacity(%u) = %u, expected %u", cases[i].in,
			  l2_table_capacity(t), cases[i].cap);
		l2_table_free(t);
	}
}

static void
test_learn_lookup(void)
{
	struct l2_table *t = l2_table_create(1024, 300);
	uint8_t a[6], b[6];

	mac_of(1, a);
	mac_of(2, b);
	CHECK_EQ(l2_table_lookup(t, a, 1, 10), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 10), L2_LEARN_NEW);
	CHECK_EQ(l2_table_lookup(t, a, 1, 10), 3);
	CHECK_EQ(l2_table_lookup(t, b, 1, 10), DPS_L2_NO_PORT);
	/* Same port: refreshed, at the same and at a later second. */
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 10), L2_LEARN_REFRESHED);
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 20), L2_LEARN_REFRESHED);
	CHECK_EQ(l2_table_lookup(t, a, 1, 20), 3);
	/* Another port: moved, and the lookup follows it. */
	CHECK_EQ(l2_table_learn(t, a, 1, 5, 21), L2_LEARN_MOVED);
	CHECK_EQ(l2_table_lookup(t, a, 1, 21), 5);
	CHECK_EQ(l2_table_learn(t, a, 1, 5, 21), L2_LEARN_REFRESHED);
	/* Moves back: re-learned again. */
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 22), L2_LEARN_MOVED);
	CHECK_EQ(l2_table_lookup(t, a, 1, 22), 3);
	CHECK_EQ(l2_table_learn(t, b, 1, 0, 22), L2_LEARN_NEW);
	CHECK_EQ(l2_table_lookup(t, b, 1, 22), 0);
	CHECK_EQ(l2_table_count(t, 22), 2);
	CHECK_EQ(l2_table_evictions(t), 0);
	l2_table_free(t);
}

static void
test_aging(void)
{
	struct l2_table *t = l2_table_create(256, 10);
	uint8_t a[6], b[6], c[6];

	mac_of(0xa, a);
	mac_of(0xb, b);
	mac_of(0xc, c);
	CHECK_EQ(l2_table_learn(t, a, 1, 1, 100), L2_LEARN_NEW);
	/* Visible up to and including the aging time, invisible after. */
	CHECK_EQ(l2_table_lookup(t, a, 1, 105), 1);
	CHECK_EQ(l2_table_lookup(t, a, 1, 110), 1);
	CHECK_EQ(l2_table_lookup(t, a, 1, 111), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_count(t, 110), 1);
	CHECK_EQ(l2_table_count(t, 111), 0);
	/* Still stored until swept: visible again with an earlier clock. */
	CHECK_EQ(l2_table_count(t, 100), 1);
	CHECK_EQ(l2_table_age(t, 110), 0);
	CHECK_EQ(l2_table_count(t, 100), 1);
	CHECK_EQ(l2_table_age(t, 111), 1);
	CHECK_EQ(l2_table_count(t, 100), 0);
	CHECK_EQ(l2_table_lookup(t, a, 1, 100), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_age(t, 111), 0);

	/* An aged entry that comes back counts as new, wherever it was. */
	CHECK_EQ(l2_table_learn(t, b, 1, 1, 200), L2_LEARN_NEW);
	CHECK_EQ(l2_table_learn(t, b, 1, 1, 211), L2_LEARN_NEW);
	CHECK_EQ(l2_table_learn(t, b, 1, 2, 222), L2_LEARN_NEW);
	CHECK_EQ(l2_table_lookup(t, b, 1, 222), 2);
	/* A refresh keeps it alive past the first aging time. */
	CHECK_EQ(l2_table_learn(t, b, 1, 2, 230), L2_LEARN_REFRESHED);
	CHECK_EQ(l2_table_lookup(t, b, 1, 240), 2);
	CHECK_EQ(l2_table_lookup(t, b, 1, 241), DPS_L2_NO_PORT);

	/* Signed compare: another worker's clock one second ahead. */
	CHECK_EQ(l2_table_flush(t, DPS_L2_NO_PORT), 1);
	CHECK_EQ(l2_table_learn(t, c, 1, 4, 501), L2_LEARN_NEW);
	CHECK_EQ(l2_table_lookup(t, c, 1, 500), 4);
	CHECK_EQ(l2_table_count(t, 500), 1);
	CHECK_EQ(l2_table_age(t, 500), 0);
	CHECK_EQ(l2_table_lookup(t, c, 1, 500), 4);
	CHECK_EQ(l2_table_learn(t, c, 1, 4, 500), L2_LEARN_REFRESHED);
	l2_table_flush(t, DPS_L2_NO_PORT);

	/* ... and across the wrap of the 32-bit clock. */
	CHECK_EQ(l2_table_learn(t, c, 1, 4, UINT32_MAX - 1), L2_LEARN_NEW);
	CHECK_EQ(l2_table_lookup(t, c, 1, 3), 4);		/* 5 s later */
	CHECK_EQ(l2_table_lookup(t, c, 1, 8), 4);		/* 10 s later */
	CHECK_EQ(l2_table_lookup(t, c, 1, 9), DPS_L2_NO_PORT);	/* 11 s later */
	CHECK_EQ(l2_table_age(t, 3), 0);
	CHECK_EQ(l2_table_age(t, 9), 1);

	/* A shorter aging time applies to entries already learned. */
	CHECK_EQ(l2_table_learn(t, a, 1, 1, 1000), L2_LEARN_NEW);
	l2_table_set_aging(t, 3);
	CHECK_EQ(l2_table_lookup(t, a, 1, 1003), 1);
	CHECK_EQ(l2_table_lookup(t, a, 1, 1004), DPS_L2_NO_PORT);
	l2_table_set_aging(t, 10);
	CHECK_EQ(l2_table_lookup(t, a, 1, 1004), 1);
	l2_table_free(t);
}

static void
test_vlan_separation(void)
{
	struct l2_table *t = l2_table_create(256, 300);
	uint8_t a[6];

	mac_of(0x42, a);
	CHECK_EQ(l2_table_learn(t, a, 10, 1, 5), L2_LEARN_NEW);
	CHECK_EQ(l2_table_learn(t, a, 20, 2, 5), L2_LEARN_NEW);
	CHECK_EQ(l2_table_learn(t, a, 4094, 3, 5), L2_LEARN_NEW);
	CHECK_EQ(l2_table_lookup(t, a, 10, 5), 1);
	CHECK_EQ(l2_table_lookup(t, a, 20, 5), 2);
	CHECK_EQ(l2_table_lookup(t, a, 4094, 5), 3);
	CHECK_EQ(l2_table_lookup(t, a, 30, 5), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(t, a, 1, 5), DPS_L2_NO_PORT);
	/* A move in one VLAN leaves the other alone. */
	CHECK_EQ(l2_table_learn(t, a, 10, 7, 6), L2_LEARN_MOVED);
	CHECK_EQ(l2_table_lookup(t, a, 10, 6), 7);
	CHECK_EQ(l2_table_lookup(t, a, 20, 6), 2);
	CHECK_EQ(l2_table_count(t, 6), 3);
	l2_table_free(t);
}

struct walk_ctx {
	unsigned int n;
	unsigned int seen_mask;		/* bit i: MAC i was reported */
	bool bad;
	int stop_after;			/* return 42 after this many, 0 = never */
};

static int
walk_cb(const struct l2_entry_info *e, void *arg)
{
	struct walk_ctx *w = arg;
	uint8_t expect[6];
	uint32_t i = e->mac[5];

	w->n++;
	mac_of(i, expect);
	if (i >= 8 || memcmp(e->mac, expect, 6) != 0 ||
	    e->vid != 100 + i || e->port != i % 3 || e->age_s != 50 - (10 + i))
		w->bad = true;
	else
		w->seen_mask |= 1u << i;
	if (w->stop_after && (int)w->n == w->stop_after)
		return 42;
	return 0;
}

static void
test_flush_count_walk(void)
{
	struct l2_table *t = l2_table_create(1024, 300);
	struct walk_ctx w = { 0 };
	uint8_t m[6];

	/* MAC i in VLAN 100+i on port i%3, learned at second 10+i. */
	for (uint32_t i = 0; i < 8; i++) {
		mac_of(i, m);
		CHECK_EQ(l2_table_learn(t, m, (uint16_t)(100 + i), (uint16_t)(i % 3),
					10 + i), L2_LEARN_NEW);
	}
	CHECK_EQ(l2_table_count(t, 50), 8);
	CHECK_EQ(l2_table_walk(t, 50, walk_cb, &w), 0);
	CHECK_EQ(w.n, 8);
	CHECK_EQ(w.seen_mask, 0xff);
	CHECK(!w.bad);

	memset(&w, 0, sizeof(w));
	w.stop_after = 3;
	CHECK_EQ(l2_table_walk(t, 50, walk_cb, &w), 42);
	CHECK_EQ(w.n, 3);

	/* Aged entries are not walked: at 316, i = 0..5 (seen <= 15) are gone. */
	memset(&w, 0, sizeof(w));
	CHECK_EQ(l2_table_count(t, 316), 2);

	/* Flush by port: port 1 holds i = 1, 4, 7. */
	CHECK_EQ(l2_table_flush(t, 1), 3);
	CHECK_EQ(l2_table_count(t, 50), 5);
	for (uint32_t i = 0; i < 8; i++) {
		mac_of(i, m);
		CHECK_EQ(l2_table_lookup(t, m, (uint16_t)(100 + i), 50),
			 i % 3 == 1 ? DPS_L2_NO_PORT : i % 3);
	}
	CHECK_EQ(l2_table_flush(t, 1), 0);
	CHECK_EQ(l2_table_flush(t, 9), 0);
	CHECK_EQ(l2_table_count(t, 50), 5);
	/* Flush all. */
	CHECK_EQ(l2_table_flush(t, DPS_L2_NO_PORT), 5);
	CHECK_EQ(l2_table_count(t, 50), 0);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(l2_table_walk(t, 50, walk_cb, &w), 0);
	CHECK_EQ(w.n, 0);
	/* Flushed slots are reusable. */
	mac_of(3, m);
	CHECK_EQ(l2_table_learn(t, m, 103, 2, 60), L2_LEARN_NEW);
	CHECK_EQ(l2_table_count(t, 60), 1);
	l2_table_free(t);
}

static void
test_eviction(void)
{
	/* 64 entries = 16 buckets of 4: 1000 MACs overflow the buckets. */
	struct l2_table *t = l2_table_create(64, 1000000);
	unsigned int n_new = 0, n_evicted = 0, other = 0;
	const uint32_t n = 1000;
	uint32_t first_evict = UINT32_MAX;
	uint8_t m[6];

	CHECK_EQ(l2_table_capacity(t), 64);
	for (uint32_t i = 0; i < n; i++) {
		enum l2_learn_result r;

		mac_of(i, m);
		r = l2_table_learn(t, m, 1, (uint16_t)(i % 5), 1 + i);
		if (r == L2_LEARN_NEW) {
			n_new++;
		} else if (r == L2_LEARN_EVICTED) {
			n_evicted++;
			if (first_evict == UINT32_MAX) {
				unsigned int missing = 0;

				first_evict = i;
				/* Exactly one earlier MAC made room. */
				for (uint32_t k = 0; k < i; k++) {
					uint8_t mk[6];

					mac_of(k, mk);
					missing += l2_table_lookup(t, mk, 1, 1 + i) ==
						DPS_L2_NO_PORT;
				}
				CHECK_EQ(missing, 1);
				CHECK_EQ(l2_table_count(t, 1 + i), i);
			}
		} else {
			other++;
		}
		/* The MAC just learned is always there. */
		CHECK_EQ(l2_table_lookup(t, m, 1, 1 + i), i % 5);
	}
	CHECK_EQ(other, 0);
	CHECK_EQ(n_new + n_evicted, n);
	CHECK(n_evicted >= n - 64);
	CHECK(first_evict != UINT32_MAX && first_evict >= 4);
	CHECK_EQ(l2_table_evictions(t), n_evicted);
	CHECK_EQ(l2_table_count(t, n), n_new);
	/* 1000 MACs into 16 buckets fill every slot. */
	CHECK_EQ(n_new, 64);

	/* Expired slots are reused before anything live is evicted. */
	l2_table_set_aging(t, 10);
	mac_of(n + 1, m);
	CHECK_EQ(l2_table_learn(t, m, 1, 0, 5000), L2_LEARN_NEW);
	CHECK_EQ(l2_table_evictions(t), n_evicted);
	/* Everything else aged: only the newcomer is live, the rest is swept. */
	CHECK_EQ(l2_table_count(t, 5000), 1);
	CHECK_EQ(l2_table_age(t, 5000), 63);
	CHECK_EQ(l2_table_lookup(t, m, 1, 5000), 0);
	l2_table_free(t);
}

/*
 * Realistic MACs spread over the buckets: a table far from full must not
 * evict. MACs handed out in sequence (VMs: 52:54:00:12:34:01, :02, ...) and
 * one MAC in several VLANs are the common cases.
 */
static void
test_hash_spread(void)
{
	struct l2_table *t;
	unsigned int ev;
	uint8_t m[6];

	/* 8 MACs, last octet 1..8, in a 1024-entry table. */
	t = l2_table_create(1024, 300);
	ev = 0;
	for (uint8_t i = 1; i <= 8; i++) {
		const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, i };

		ev += l2_table_learn(t, mac, 1, i, 1) == L2_LEARN_EVICTED;
	}
	CHECK_MSG(ev == 0 && l2_table_evictions(t) == 0 && l2_table_count(t, 1) == 8,
		  "8 MACs differing in the last octet, 1024-entry table: %u evicted, "
		  "%u of 8 kept", ev, l2_table_count(t, 1));
	l2_table_free(t);

	/* One MAC in 8 VLANs, in a table of the daemon's default size. */
	t = l2_table_create(65536, 300);
	mac_of(77, m);
	ev = 0;
	for (uint16_t vid = 1; vid <= 8; vid++)
		ev += l2_table_learn(t, m, vid, vid, 1) == L2_LEARN_EVICTED;
	CHECK_MSG(ev == 0 && l2_table_count(t, 1) == 8,
		  "one MAC in VLANs 1..8, 65536-entry table: %u evicted, %u of 8 kept",
		  ev, l2_table_count(t, 1));
	l2_table_free(t);

	/* 1024 sequential MACs in a 4096-entry table (25% full). */
	t = l2_table_create(4096, 300);
	for (uint32_t i = 0; i < 1024; i++) {
		const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x00, (uint8_t)(i >> 8),
					 (uint8_t)i };

		l2_table_learn(t, mac, 1, 0, 1);
	}
	CHECK_MSG(l2_table_evictions(t) <= 16,
		  "1024 sequential MACs, 4096-entry table: %llu evicted, %u of 1024 kept",
		  (unsigned long long)l2_table_evictions(t), l2_table_count(t, 1));
	l2_table_free(t);
}

/*
 * Concurrency: two threads learn and look up a shared set of keys in a tiny
 * table (so buckets are constantly rewritten by evictions and moves). Key k
 * is only ever learned on ports allowed(k) = { 2*(k%16), 2*(k%16)+1 }: a
 * lookup that returns anything else paired a key with another entry's port.
 */
#define STRESS_KEYS 256
#define STRESS_OPS 500000	/* per thread: 1e6 in total */

struct stress_arg {
	struct l2_table *t;
	unsigned int id;
	bool *go;
	unsigned long lookups, hits, bad;
	uint32_t bad_key;
	uint16_t bad_port;
};

static void *
stress_thread(void *p)
{
	struct stress_arg *a = p;
	uint64_t x = 0x9e3779b97f4a7c15ull * (a->id + 1);

	while (!__atomic_load_n(a->go, __ATOMIC_ACQUIRE))
		;
	for (unsigned int op = 0; op < STRESS_OPS; op++) {
		uint32_t k, now = 1 + op / 50000;	/* the clock advances too */
		uint16_t base, port;
		uint8_t m[6];

		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (uint32_t)(x % STRESS_KEYS);
		base = (uint16_t)(2 * (k % 16));
		mac_of(k, m);
		if ((x >> 32) & 1) {
			l2_table_learn(a->t, m, (uint16_t)(1 + k % 3),
				       (uint16_t)(base + ((x >> 40) & 1)), now);
		} else {
			port = l2_table_lookup(a->t, m, (uint16_t)(1 + k % 3), now);
			a->lookups++;
			if (port == DPS_L2_NO_PORT)
				continue;
			a->hits++;
			if (port != base && port != base + 1) {
				if (a->bad++ == 0) {
					a->bad_key = k;
					a->bad_port = port;
				}
			}
		}
	}
	return NULL;
}

static int
stress_walk_cb(const struct l2_entry_info *e, void *arg)
{
	uint32_t k = ((uint32_t)e->mac[4] << 8) | e->mac[5];
	uint16_t base = (uint16_t)(2 * (k % 16));

	(void)arg;
	CHECK_MSG(k < STRESS_KEYS && e->vid == 1 + k % 3 &&
		  (e->port == base || e->port == base + 1),
		  "walk: key %u vid %u port %u", k, e->vid, e->port);
	return 0;
}

static void
test_concurrent(void)
{
	struct l2_table *t = l2_table_create(64, 2);
	struct stress_arg args[2];
	bool go = false;
	pthread_t th[2];
	int rc;

	for (unsigned int i = 0; i < 2; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].t = t;
		args[i].id = i;
		args[i].go = &go;
		rc = pthread_create(&th[i], NULL, stress_thread, &args[i]);
		CHECK_EQ(rc, 0);
		if (rc != 0)
			return;
	}
	__atomic_store_n(&go, true, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (unsigned int i = 0; i < 2; i++) {
		CHECK_MSG(args[i].bad == 0,
			  "thread %u: %lu of %lu hits returned a port never written "
			  "for the key (first: key %u -> port %u)", i, args[i].bad,
			  args[i].hits, args[i].bad_key, args[i].bad_port);
		CHECK(args[i].lookups > 0 && args[i].hits > 0);
	}
	/* The walk, too, pairs every key with one of its own ports. */
	l2_table_set_aging(t, 1000000);
	CHECK(l2_table_count(t, 20) <= 64);
	CHECK_EQ(l2_table_walk(t, 20, stress_walk_cb, NULL), 0);
	l2_table_free(t);
}

static int
static_walk_cb(const struct l2_entry_info *e, void *arg)
{
	int *nstatic = arg;

	if (e->is_static) {
		(*nstatic)++;
		CHECK_EQ(e->age_s, 0);
	}
	return 0;
}

/* Static entries: never aged, never moved by learning, never evicted. */
static void
test_static_entries(void)
{
	struct l2_table *t = l2_table_create(64, 10);
	uint8_t mac[6], group[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	int nstatic = 0;

	mac_of(1, mac);
	CHECK_EQ(l2_table_add_static(t, mac, 1, 3, 0), 0);
	CHECK_EQ(l2_table_add_static(t, group, 1, 3, 0), -EINVAL);
	CHECK_EQ(l2_table_add_static(t, mac, 1, DPS_L2_NO_PORT, 0), -EINVAL);
	/* Learning the same MAC elsewhere does not move it. */
	CHECK_EQ(l2_table_learn(t, mac, 1, 5, 1), L2_LEARN_STATIC);
	CHECK_EQ(l2_table_lookup(t, mac, 1, 1), 3);
	/* Aging neither hides nor removes it. */
	CHECK_EQ(l2_table_lookup(t, mac, 1, 1000), 3);
	CHECK_EQ(l2_table_age(t, 1000), 0);
	/* "mac flush" forgets learned entries only; purging the port does not. */
	CHECK_EQ(l2_table_flush(t, DPS_L2_NO_PORT), 0);
	CHECK_EQ(l2_table_flush(t, 3), 0);
	CHECK_EQ(l2_table_walk(t, 1000, static_walk_cb, &nstatic), 0);
	CHECK_EQ(nstatic, 1);
	CHECK_EQ(l2_table_purge_port(t, 3), 1);
	CHECK_EQ(l2_table_lookup(t, mac, 1, 1000), DPS_L2_NO_PORT);
	/* Replace a learned entry with a static one, then delete it. */
	CHECK_EQ(l2_table_learn(t, mac, 2, 4, 0), L2_LEARN_NEW);
	CHECK_EQ(l2_table_add_static(t, mac, 2, 6, 0), 0);
	CHECK_EQ(l2_table_lookup(t, mac, 2, 0), 6);
	CHECK_EQ(l2_table_del(t, mac, 2), 0);
	CHECK_EQ(l2_table_del(t, mac, 2), -ENOENT);
	l2_table_free(t);
}

/* A bucket full of static entries refuses to learn rather than evict. */
static void
test_static_bucket_full(void)
{
	struct l2_table *t = l2_table_create(64, 10);
	uint8_t mac[6];
	unsigned int added = 0, full = 0;

	/* 64 entries: fill every slot of the table with static entries. */
	for (uint32_t n = 1; n < 100000 && added < 64; n++) {
		mac_of(n, mac);
		added += l2_table_add_static(t, mac, 1, 1, 0) == 0;
	}
	CHECK_EQ(added, 64);
	for (uint32_t n = 200000; n < 200050; n++) {
		mac_of(n, mac);
		full += l2_table_learn(t, mac, 1, 2, 0) == L2_LEARN_FULL;
		CHECK_EQ(l2_table_add_static(t, mac, 1, 2, 0), -ENOSPC);
	}
	CHECK_EQ(full, 50);
	CHECK_EQ(l2_table_evictions(t), 0);
	CHECK_EQ(l2_table_count(t, 0), 64);
	l2_table_free(t);
}

/*
 * A port's learning limit: counted exactly, moves and removals included.
 * The table is large enough that 100 MACs never fill a bucket whatever
 * the random hash key (a full bucket would evict and count one less).
 */
static void
test_mac_limit(void)
{
	struct l2_table *t = l2_table_create(65536, 300);
	uint8_t a[6], b[6], c[6];

	mac_of(11, a);
	mac_of(12, b);
	mac_of(13, c);
	CHECK_EQ(l2_table_set_limit(t, 3, 2), 0);
	CHECK_EQ(l2_table_set_limit(t, DPS_L2_MAX_PORTS, 1), -EINVAL);
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 10), L2_LEARN_NEW);
	CHECK_EQ(l2_table_learn(t, b, 1, 3, 10), L2_LEARN_NEW);
	CHECK_EQ(l2_table_learn(t, c, 1, 3, 10), L2_LEARN_LIMIT);
	CHECK_EQ(l2_table_lookup(t, c, 1, 10), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_learned(t, 3), 2);
	/* Refreshing, or the same MAC in another VLAN counts as another. */
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 11), L2_LEARN_REFRESHED);
	CHECK_EQ(l2_table_learn(t, a, 2, 3, 11), L2_LEARN_LIMIT);
	/* A static entry is not learned: not counted, not limited. */
	CHECK_EQ(l2_table_add_static(t, c, 1, 3, 11), 0);
	CHECK_EQ(l2_table_learned(t, 3), 2);
	CHECK_EQ(l2_table_del(t, c, 1), 0);
	/* A move takes its place with it. */
	CHECK_EQ(l2_table_learn(t, a, 1, 5, 12), L2_LEARN_MOVED);
	CHECK_EQ(l2_table_learned(t, 3), 1);
	CHECK_EQ(l2_table_learned(t, 5), 1);
	CHECK_EQ(l2_table_learn(t, c, 1, 3, 12), L2_LEARN_NEW);
	/* Into a port at its limit, a move is refused too. */
	CHECK_EQ(l2_table_set_limit(t, 5, 1), 0);
	CHECK_EQ(l2_table_learn(t, b, 1, 5, 13), L2_LEARN_LIMIT);
	CHECK_EQ(l2_table_lookup(t, b, 1, 13), 3);
	/* Removed entries give their places back: del, flush, aging. */
	CHECK_EQ(l2_table_del(t, c, 1), 0);
	CHECK_EQ(l2_table_learned(t, 3), 1);
	CHECK_EQ(l2_table_flush(t, 3), 1);
	CHECK_EQ(l2_table_learned(t, 3), 0);
	CHECK_EQ(l2_table_age(t, 13 + 301), 1);		/* a, on port 5 */
	CHECK_EQ(l2_table_learned(t, 5), 0);
	/* A limit of 0 is none. */
	CHECK_EQ(l2_table_set_limit(t, 3, 0), 0);
	for (int i = 0; i < 100; i++) {
		uint8_t m[6];

		mac_of(1000 + i, m);
		CHECK(l2_table_learn(t, m, 1, 3, 400) != L2_LEARN_LIMIT);
	}
	CHECK_EQ(l2_table_learned(t, 3), 100);
	l2_table_free(t);
}

struct limit_race {
	struct l2_table *t;
	int base;
	int refused;
};

static void *
limit_racer(void *arg)
{
	struct limit_race *r = arg;

	for (int i = 0; i < 2000; i++) {
		uint8_t m[6];

		mac_of(r->base + i, m);
		r->refused += l2_table_learn(r->t, m, 1, 7, 10) == L2_LEARN_LIMIT;
	}
	return NULL;
}

/* Two workers learning for one port at once never overshoot its limit. */
static void
test_mac_limit_race(void)
{
	struct l2_table *t = l2_table_create(1 << 16, 300);
	struct limit_race r[2] = { { t, 100000, 0 }, { t, 200000, 0 } };
	pthread_t th[2];

	CHECK_EQ(l2_table_set_limit(t, 7, 100), 0);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, limit_racer, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(l2_table_learned(t, 7), 100);
	CHECK_EQ(l2_table_count(t, 10), 100);
	CHECK_EQ(r[0].refused + r[1].refused, 4000 - 100);
	l2_table_free(t);
}

/* An address active on its port stays there; once quiet for the hold, it moves. */
static void
test_move_hold(void)
{
	struct l2_table *t = l2_table_create(1024, 300);
	uint8_t a[6];

	mac_of(21, a);
	CHECK_EQ(l2_table_get_move_hold(t), 0);		/* the table's default: at once */
	l2_table_set_move_hold(t, 2);
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 10), L2_LEARN_NEW);
	CHECK_EQ(l2_table_learn(t, a, 1, 5, 11), L2_LEARN_MOVE_HELD);
	CHECK_EQ(l2_table_lookup(t, a, 1, 11), 3);
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 11), L2_LEARN_REFRESHED);
	CHECK_EQ(l2_table_learn(t, a, 1, 5, 12), L2_LEARN_MOVE_HELD);
	CHECK_EQ(l2_table_moves_refused(t), 2);
	CHECK_EQ(l2_table_moves(t), 0);
	CHECK_EQ(l2_table_learn(t, a, 1, 5, 13), L2_LEARN_MOVED);
	CHECK_EQ(l2_table_lookup(t, a, 1, 13), 5);
	CHECK_EQ(l2_table_moves(t), 1);
	/* Aged out, it is new wherever it shows up. */
	CHECK_EQ(l2_table_learn(t, a, 1, 3, 13 + 301), L2_LEARN_NEW);
	l2_table_free(t);
}

/*
 * Buckets cannot be aimed: MACs that share a bucket in one table (found by
 * looking, as an attacker who knew the hash would compute them) spread in
 * another, whose key is its own.
 */
static void
test_keyed_hash(void)
{
	struct l2_table *a = l2_table_create(64, 300), *b = NULL;
	uint8_t m[5][6];
	int found = 0;
	bool spread = false;

	for (int i = 0; found < 5 && i < 100000; i++) {
		mac_of(5000 + i, m[found]);
		if (found == 0 || l2_table_bucket_index(a, m[found], 1) ==
				  l2_table_bucket_index(a, m[0], 1))
			found++;
	}
	CHECK_EQ(found, 5);
	for (int i = 0; i < 5; i++)
		l2_table_learn(a, m[i], 1, 1, 10);
	CHECK_EQ(l2_table_evictions(a), 1);		/* aimed: the first was evicted */
	CHECK_EQ(l2_table_lookup(a, m[0], 1, 10), DPS_L2_NO_PORT);
	/* Another table: all five in one bucket again is a 1 in 16^4 chance; retry then. */
	for (int tries = 0; !spread && tries < 3; tries++) {
		l2_table_free(b);
		b = l2_table_create(64, 300);
		for (int i = 1; i < 5; i++)
			spread |= l2_table_bucket_index(b, m[i], 1) != l2_table_bucket_index(b, m[0], 1);
	}
	CHECK(spread);
	for (int i = 0; i < 5; i++)
		l2_table_learn(b, m[i], 1, 1, 10);
	CHECK_EQ(l2_table_evictions(b), 0);
	CHECK_EQ(l2_table_lookup(b, m[0], 1, 10), 1);
	l2_table_free(a);
	l2_table_free(b);
}

int
main(void)
{
	test_create_args();
	test_capacity_rounding();
	test_learn_lookup();
	test_aging();
	test_vlan_separation();
	test_flush_count_walk();
	test_eviction();
	test_hash_spread();
	test_mac_limit();
	test_mac_limit_race();
	test_move_hold();
	test_keyed_hash();
	test_concurrent();
	test_static_entries();
	test_static_bucket_full();
	return test_report();
}
