/* SPDX-License-Identifier: BSD-3-Clause */
#include "l2_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_common.h>
#include <rte_pause.h>

/*
 * An entry's key packs the MAC (48 bits) and VLAN (12 bits) with a valid
 * bit, so a lookup is one 64-bit compare. The port and last-seen time sit
 * in their own words: the time is refreshed without the bucket lock.
 */
#define KEY_VALID (UINT64_C(1) << 63)
/* Static entries carry this bit in their port word: never aged or moved. */
#define PORT_STATIC 0x8000u
#define PORT_MASK 0x7fffu

struct l2_bucket {
	uint32_t seq;			/* odd while a writer holds the bucket */
	uint16_t port[DPS_L2_BUCKET_ENTRIES];
	uint32_t seen[DPS_L2_BUCKET_ENTRIES];
	uint64_t key[DPS_L2_BUCKET_ENTRIES];
} __rte_aligned(64);

struct l2_table {
	struct l2_bucket *buckets;
	uint32_t mask;			/* bucket count - 1 */
	uint32_t aging_s;
	uint32_t move_hold_s;		/* a live entry moves after this much silence */
	uint64_t sip_k0, sip_k1;	/* the hash's key: random, this table's own */
	uint64_t evictions;
	uint64_t moves;
	uint64_t moves_refused;
	/* Per port: learned (dynamic) entries in the table, and the most it may have. */
	uint32_t learned[DPS_L2_MAX_PORTS];
	uint32_t limit[DPS_L2_MAX_PORTS];	/* 0: none */
};

static inline uint64_t
l2_key(const uint8_t mac[6], uint16_t vid)
{
	uint64_t k = 0;

	memcpy(&k, mac, 6);
	return k | ((uint64_t)(vid & 0xfff) << 48) | KEY_VALID;
}

#define SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32); \
	v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32); \
} while (0)

/*
 * SipHash-1-3 of the 8-byte key, under the table's own random key: where
 * a MAC lands is unknown outside the switch, so nobody can pick MACs that
 * share a victim's bucket and evict it (a fixed, public hash let four
 * crafted MACs do that). One compression and three finalisation rounds,
 * as the Linux kernel's hsiphash family uses for such tables.
 */
static inline uint64_t
l2_hash(const struct l2_table *t, uint64_t key)
{
	uint64_t v0 = t->sip_k0 ^ UINT64_C(0x736f6d6570736575);
	uint64_t v1 = t->sip_k1 ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = t->sip_k0 ^ UINT64_C(0x6c7967656e657261);
	uint64_t v3 = t->sip_k1 ^ UINT64_C(0x7465646279746573);
	const uint64_t last = UINT64_C(8) << 56;	/* the message's length */

	v3 ^= key;
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= key;
	v3 ^= last;
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static inline bool
l2_expired(const struct l2_table *t, uint32_t seen, uint32_t now_s)
{
	/* Signed: another worker's clock may be a second ahead of ours. */
	return (int32_t)(now_s - seen) > (int32_t)t->aging_s;
}

/* An entry is in force if it is static or has been seen recently. */
static inline bool
l2_live(const struct l2_table *t, uint16_t port, uint32_t seen, uint32_t now_s)
{
	return (port & PORT_STATIC) || !l2_expired(t, seen, now_s);
}

static inline struct l2_bucket *
l2_bucket_of(const struct l2_table *t, uint64_t key)
{
	return &t->buckets[l2_hash(t, key) & t->mask];
}

static void
l2_bucket_lock(struct l2_bucket *b)
{
	uint32_t seq;

	for (;;) {
		seq = __atomic_load_n(&b->seq, __ATOMIC_RELAXED);
		if (!(seq & 1) &&
		    __atomic_compare_exchange_n(&b->seq, &seq, seq + 1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		rte_pause();
	}
}

static void
l2_bucket_unlock(struct l2_bucket *b)
{
	__atomic_fetch_add(&b->seq, 1, __ATOMIC_RELEASE);
}

struct l2_table *
l2_table_create(uint32_t entries, uint32_t aging_s)
{
	struct l2_table *t;
	uint32_t nb;

	if (entries == 0 || entries > (1u << 26) || aging_s == 0) {
		errno = EINVAL;
		return NULL;
	}
	nb = rte_align32pow2(RTE_MAX(entries, 64u)) / DPS_L2_BUCKET_ENTRIES;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->buckets = aligned_alloc(64, (size_t)nb * sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	memset(t->buckets, 0, (size_t)nb * sizeof(*t->buckets));
	t->mask = nb - 1;
	t->aging_s = aging_s;
	if (getrandom(&t->sip_k0, sizeof(t->sip_k0), 0) != sizeof(t->sip_k0) ||
	    getrandom(&t->sip_k1, sizeof(t->sip_k1), 0) != sizeof(t->sip_k1)) {
		l2_table_free(t);
		errno = EIO;
		return NULL;
	}
	return t;
}

void
l2_table_free(struct l2_table *t)
{
	if (t == NULL)
		return;
	free(t->buckets);
	free(t);
}

void
l2_table_set_aging(struct l2_table *t, uint32_t aging_s)
{
	__atomic_store_n(&t->aging_s, aging_s, __ATOMIC_RELAXED);
}

uint32_t
l2_table_get_aging(const struct l2_table *t)
{
	return t->aging_s;
}

uint32_t
l2_table_capacity(const struct l2_table *t)
{
	return (t->mask + 1) * DPS_L2_BUCKET_ENTRIES;
}

uint64_t
l2_table_evictions(const struct l2_table *t)
{
	return __atomic_load_n(&t->evictions, __ATOMIC_RELAXED);
}

/* Consistent read of the slot holding @key; returns the slot or -1. */
static inline __rte_always_inline int
l2_bucket_find(const struct l2_bucket *b, uint64_t key, uint16_t *port,
	       uint32_t *seen)
{
	uint32_t seq;
	int slot;

	do {
		seq = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		if (seq & 1) {
			rte_pause();
			continue;
		}
		slot = -1;
		for (int i = 0; i < DPS_L2_BUCKET_ENTRIES; i++) {
			if (__atomic_load_n(&b->key[i], __ATOMIC_RELAXED) == key) {
				slot = i;
				*port = __atomic_load_n(&b->port[i], __ATOMIC_RELAXED);
				*seen = __atomic_load_n(&b->seen[i], __ATOMIC_RELAXED);
				break;
			}
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) != seq || (seq & 1));
	return slot;
}

uint16_t
l2_table_lookup(struct l2_table *t, const uint8_t mac[6], uint16_t vid,
		uint32_t now_s)
{
	uint64_t key = l2_key(mac, vid);
	struct l2_bucket *b = l2_bucket_of(t, key);
	uint16_t port;
	uint32_t seen;

	if (l2_bucket_find(b, key, &port, &seen) < 0 ||
	    !l2_live(t, port, seen, now_s))
		return DPS_L2_NO_PORT;
	return port & PORT_MASK;
}

/*
 * Slot to overwrite for a new key: empty, else expired, else the oldest
 * dynamic entry; -1 if every entry of the bucket is static.
 */
static int
l2_bucket_victim(const struct l2_table *t, const struct l2_bucket *b,
		 uint32_t now_s, bool *evicted)
{
	uint32_t seen[DPS_L2_BUCKET_ENTRIES];
	int oldest = -1;

	*evicted = false;
	/* seen[] is refreshed without the lock: load it atomically. */
	for (int i = 0; i < DPS_L2_BUCKET_ENTRIES; i++) {
		seen[i] = __atomic_load_n(&b->seen[i], __ATOMIC_RELAXED);
		if (b->key[i] == 0 || !l2_live(t, b->port[i], seen[i], now_s))
			return i;
	}
	for (int i = 0; i < DPS_L2_BUCKET_ENTRIES; i++)
		if (!(b->port[i] & PORT_STATIC) &&
		    (oldest < 0 || (int32_t)(seen[oldest] - seen[i]) > 0))
			oldest = i;
	*evicted = oldest >= 0;
	return oldest;
}

static int
l2_bucket_slot_of(const struct l2_bucket *b, uint64_t key)
{
	for (int i = 0; i < DPS_L2_BUCKET_ENTRIES; i++)
		if (b->key[i] == key)
			return i;
	return -1;
}

static void
l2_slot_write(struct l2_bucket *b, int i, uint64_t key, uint16_t port,
	      uint32_t now_s)
{
	__atomic_store_n(&b->key[i], key, __ATOMIC_RELAXED);
	__atomic_store_n(&b->port[i], port, __ATOMIC_RELAXED);
	__atomic_store_n(&b->seen[i], now_s, __ATOMIC_RELAXED);
}

/* Slot @p i (locked) held a learned entry that goes now: its port has one less. */
static void
l2_slot_forget(struct l2_table *t, const struct l2_bucket *b, int i)
{
	uint16_t port = b->port[i];

	if (b->key[i] != 0 && !(port & PORT_STATIC) && port < DPS_L2_MAX_PORTS)
		__atomic_fetch_sub(&t->learned[port], 1, __ATOMIC_RELAXED);
}

/*
 * Take a place for a new entry of @p port within its limit: false if the
 * port has as many as it may. Workers learn for one port in many buckets
 * at once: the count is taken first and given back if it overshot.
 */
static bool
l2_port_take(struct l2_table *t, uint16_t port)
{
	uint32_t limit;

	if (port >= DPS_L2_MAX_PORTS)
		return true;
	limit = __atomic_load_n(&t->limit[port], __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&t->learned[port], 1, __ATOMIC_RELAXED) <= limit || limit == 0)
		return true;
	__atomic_fetch_sub(&t->learned[port], 1, __ATOMIC_RELAXED);
	return false;
}

enum l2_learn_result
l2_table_learn(struct l2_table *t, const uint8_t mac[6], uint16_t vid,
	       uint16_t port, uint32_t now_s)
{
	uint64_t key = l2_key(mac, vid);
	struct l2_bucket *b = l2_bucket_of(t, key);
	enum l2_learn_result res;
	uint16_t old_port;
	uint32_t seen;
	bool evicted;
	int slot;

	/* Fast path: known here; refresh the time only when it changed. */
	slot = l2_bucket_find(b, key, &old_port, &seen);
	if (slot >= 0 && (old_port & PORT_STATIC))
		return L2_LEARN_STATIC;
	if (slot >= 0 && old_port == port && !l2_expired(t, seen, now_s)) {
		if (seen != now_s)
			__atomic_store_n(&b->seen[slot], now_s, __ATOMIC_RELAXED);
		return L2_LEARN_REFRESHED;
	}

	l2_bucket_lock(b);
	/* Re-check under the lock: another worker may have learned it. */
	slot = l2_bucket_slot_of(b, key);
	if (slot >= 0 && (b->port[slot] & PORT_STATIC)) {
		res = L2_LEARN_STATIC;
		goto out;
	}
	if (slot >= 0) {
		uint32_t last = __atomic_load_n(&b->seen[slot], __ATOMIC_RELAXED);

		if (b->port[slot] == port && !l2_expired(t, last, now_s)) {
			__atomic_store_n(&b->seen[slot], now_s, __ATOMIC_RELAXED);
			res = L2_LEARN_REFRESHED;
			goto out;
		}
		/*
		 * Seen on another port lately: the address stays where it is
		 * active (an address moves once it went quiet there), so a
		 * port cannot take over an active address by sending from it.
		 */
		if (!l2_expired(t, last, now_s) &&
		    (int32_t)(now_s - last) < (int32_t)__atomic_load_n(&t->move_hold_s,
									__ATOMIC_RELAXED)) {
			__atomic_fetch_add(&t->moves_refused, 1, __ATOMIC_RELAXED);
			res = L2_LEARN_MOVE_HELD;
			goto out;
		}
		if (!l2_port_take(t, port)) {
			res = L2_LEARN_LIMIT;
			goto out;
		}
		/* An aged entry coming back counts as new, wherever it was. */
		res = l2_expired(t, last, now_s) ? L2_LEARN_NEW : L2_LEARN_MOVED;
		if (res == L2_LEARN_MOVED)
			__atomic_fetch_add(&t->moves, 1, __ATOMIC_RELAXED);
		l2_slot_forget(t, b, slot);
	} else {
		slot = l2_bucket_victim(t, b, now_s, &evicted);
		if (slot < 0) {
			res = L2_LEARN_FULL;
			goto out;
		}
		if (!l2_port_take(t, port)) {
			res = L2_LEARN_LIMIT;
			goto out;
		}
		res = evicted ? L2_LEARN_EVICTED : L2_LEARN_NEW;
		if (evicted)
			__atomic_fetch_add(&t->evictions, 1, __ATOMIC_RELAXED);
		l2_slot_forget(t, b, slot);
	}
	l2_slot_write(b, slot, key, port, now_s);
out:
	l2_bucket_unlock(b);
	return res;
}

int
l2_table_add_static(struct l2_table *t, const uint8_t mac[6], uint16_t vid,
		    uint16_t port, uint32_t now_s)
{
	uint64_t key = l2_key(mac, vid);
	struct l2_bucket *b = l2_bucket_of(t, key);
	bool evicted;
	int slot;

	if (port > PORT_MASK || port == DPS_L2_NO_PORT || (mac[0] & 1))
		return -EINVAL;
	l2_bucket_lock(b);
	slot = l2_bucket_slot_of(b, key);
	if (slot < 0)
		slot = l2_bucket_victim(t, b, now_s, &evicted);
	if (slot >= 0) {
		l2_slot_forget(t, b, slot);
		l2_slot_write(b, slot, key, port | PORT_STATIC, now_s);
	}
	l2_bucket_unlock(b);
	return slot >= 0 ? 0 : -ENOSPC;
}

int
l2_table_del(struct l2_table *t, const uint8_t mac[6], uint16_t vid)
{
	uint64_t key = l2_key(mac, vid);
	struct l2_bucket *b = l2_bucket_of(t, key);
	int slot;

	l2_bucket_lock(b);
	slot = l2_bucket_slot_of(b, key);
	if (slot >= 0) {
		l2_slot_forget(t, b, slot);
		l2_slot_write(b, slot, 0, DPS_L2_NO_PORT, 0);
	}
	l2_bucket_unlock(b);
	return slot >= 0 ? 0 : -ENOENT;
}

/* Remove entries matching a predicate, one bucket lock at a time. */
static unsigned int
l2_table_remove_if(struct l2_table *t, bool (*pred)(const struct l2_table *,
		   const struct l2_bucket *, int, uintptr_t), uintptr_t arg)
{
	unsigned int n = 0;

	for (uint32_t bi = 0; bi <= t->mask; bi++) {
		struct l2_bucket *b = &t->buckets[bi];
		bool any = false;

		for (int i = 0; i < DPS_L2_BUCKET_ENTRIES; i++)
			any |= b->key[i] != 0 && pred(t, b, i, arg);
		if (!any)
			continue;
		l2_bucket_lock(b);
		for (int i = 0; i < DPS_L2_BUCKET_ENTRIES; i++) {
			if (b->key[i] != 0 && pred(t, b, i, arg)) {
				l2_slot_forget(t, b, i);
				l2_slot_write(b, i, 0, DPS_L2_NO_PORT, 0);
				n++;
			}
		}
		l2_bucket_unlock(b);
	}
	return n;
}

/* Dynamic entries of a port (or of all ports). */
static bool
l2_pred_port(const struct l2_table *t __rte_unused, const struct l2_bucket *b, int i,
	     uintptr_t port)
{
	return !(b->port[i] & PORT_STATIC) &&
		(port == DPS_L2_NO_PORT || b->port[i] == port);
}

/* Every entry of a port, static ones too. */
static bool
l2_pred_port_all(const struct l2_table *t __rte_unused, const struct l2_bucket *b, int i,
		 uintptr_t port)
{
	return (b->port[i] & PORT_MASK) == port;
}

static bool
l2_pred_aged(const struct l2_table *t, const struct l2_bucket *b, int i,
	     uintptr_t now_s)
{
	return !l2_live(t, b->port[i], __atomic_load_n(&b->seen[i], __ATOMIC_RELAXED),
			(uint32_t)now_s);
}

unsigned int
l2_table_flush(struct l2_table *t, uint16_t port)
{
	return l2_table_remove_if(t, l2_pred_port, port);
}

unsigned int
l2_table_purge_port(struct l2_table *t, uint16_t port)
{
	return l2_table_remove_if(t, l2_pred_port_all, port);
}

unsigned int
l2_table_age(struct l2_table *t, uint32_t now_s)
{
	return l2_table_remove_if(t, l2_pred_aged, now_s);
}

int
l2_table_walk(struct l2_table *t, uint32_t now_s,
	      int (*cb)(const struct l2_entry_info *e, void *arg), void *arg)
{
	for (uint32_t bi = 0; bi <= t->mask; bi++) {
		struct l2_bucket *b = &t->buckets[bi];

		for (int i = 0; i < DPS_L2_BUCKET_ENTRIES; i++) {
			struct l2_entry_info e;
			uint32_t seen;
			uint64_t key = __atomic_load_n(&b->key[i], __ATOMIC_RELAXED);
			int rc;

			if (key == 0)
				continue;
			e.port = __atomic_load_n(&b->port[i], __ATOMIC_RELAXED);
			seen = __atomic_load_n(&b->seen[i], __ATOMIC_RELAXED);
			if (e.port == DPS_L2_NO_PORT || !l2_live(t, e.port, seen, now_s))
				continue;
			e.is_static = (e.port & PORT_STATIC) != 0;
			e.port &= PORT_MASK;
			e.age_s = !e.is_static && (int32_t)(now_s - seen) > 0 ? now_s - seen : 0;
			memcpy(e.mac, &key, 6);
			e.vid = (key >> 48) & 0xfff;
			rc = cb(&e, arg);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int
l2_count_cb(const struct l2_entry_info *e __rte_unused, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

unsigned int
l2_table_count(struct l2_table *t, uint32_t now_s)
{
	unsigned int n = 0;

	l2_table_walk(t, now_s, l2_count_cb, &n);
	return n;
}

void
l2_table_set_move_hold(struct l2_table *t, uint32_t hold_s)
{
	__atomic_store_n(&t->move_hold_s, hold_s, __ATOMIC_RELAXED);
}

uint32_t
l2_table_get_move_hold(const struct l2_table *t)
{
	return __atomic_load_n(&t->move_hold_s, __ATOMIC_RELAXED);
}

int
l2_table_set_limit(struct l2_table *t, uint16_t port, uint32_t limit)
{
	if (port >= DPS_L2_MAX_PORTS)
		return -EINVAL;
	__atomic_store_n(&t->limit[port], limit, __ATOMIC_RELAXED);
	return 0;
}

uint32_t
l2_table_get_limit(const struct l2_table *t, uint16_t port)
{
	return port < DPS_L2_MAX_PORTS ? __atomic_load_n(&t->limit[port], __ATOMIC_RELAXED) : 0;
}

uint32_t
l2_table_learned(const struct l2_table *t, uint16_t port)
{
	return port < DPS_L2_MAX_PORTS ? __atomic_load_n(&t->learned[port], __ATOMIC_RELAXED) : 0;
}

uint64_t
l2_table_moves(const struct l2_table *t)
{
	return __atomic_load_n(&t->moves, __ATOMIC_RELAXED);
}

uint64_t
l2_table_moves_refused(const struct l2_table *t)
{
	return __atomic_load_n(&t->moves_refused, __ATOMIC_RELAXED);
}

uint32_t
l2_table_bucket_index(const struct l2_table *t, const uint8_t mac[6], uint16_t vid)
{
	return (uint32_t)(l2_hash(t, l2_key(mac, vid)) & t->mask);
}
