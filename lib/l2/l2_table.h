/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * MAC learning table of the L2 bridge.
 *
 * Keys are (MAC, VLAN); values are the port a MAC was last seen on and when.
 * Every worker learns and looks up concurrently; the control thread sweeps
 * aged entries and flushes. Buckets hold four entries and a sequence
 * counter: writers (rare: a new or moved MAC) take the bucket by making the
 * counter odd, readers retry if it changed under them, so a reader never
 * sees a key paired with another entry's port. Refreshing a known MAC's
 * timestamp is a plain store to its own word, done only when the second
 * changed, so the steady state writes nothing shared.
 *
 * Against a port that floods it or aims at others' entries: buckets are
 * chosen by a keyed hash (SipHash-1-3, a random key per table), a port may
 * be limited in how many entries it has learned, and an address seen on a
 * port lately does not move to another (the move hold).
 *
 * The table depends on no DPDK runtime, so it is unit-tested without EAL.
 */
#ifndef DPS_L2_TABLE_H
#define DPS_L2_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define DPS_L2_BUCKET_ENTRIES 4
#define DPS_L2_NO_PORT UINT16_MAX
/** Ports whose learned entries are counted and may be limited: 0..63. */
#define DPS_L2_MAX_PORTS 64

struct l2_table;

/** One learned entry, as reported by l2_table_walk(). */
struct l2_entry_info {
	uint8_t mac[6];
	uint16_t vid;
	uint16_t port;
	uint32_t age_s;		/**< seconds since last seen (0 for static) */
	bool is_static;		/**< added by l2_table_add_static() */
};

/** Result of l2_table_learn(). */
enum l2_learn_result {
	L2_LEARN_REFRESHED,	/**< known on this port */
	L2_LEARN_NEW,		/**< inserted */
	L2_LEARN_MOVED,		/**< known on another port, now on this one */
	L2_LEARN_EVICTED,	/**< inserted by evicting the oldest in its bucket */
	L2_LEARN_STATIC,	/**< a static entry: left as it is */
	L2_LEARN_FULL,		/**< not learned: its bucket holds only static entries */
	L2_LEARN_LIMIT,		/**< not learned: the port has as many as its limit */
	L2_LEARN_MOVE_HELD,	/**< not moved: seen on its port within the move hold */
};

/**
 * Create a table.
 * @param entries  capacity, rounded up to a power of two (minimum 64)
 * @param aging_s  seconds after which an unrefreshed entry is ignored
 * @return the table, or NULL with errno = EINVAL or ENOMEM
 */
struct l2_table *l2_table_create(uint32_t entries, uint32_t aging_s);

/** Free a table; NULL is ignored. */
void l2_table_free(struct l2_table *t);

/** Change the aging time; takes effect on the next lookup. */
void l2_table_set_aging(struct l2_table *t, uint32_t aging_s);
uint32_t l2_table_get_aging(const struct l2_table *t);
uint32_t l2_table_capacity(const struct l2_table *t);

/**
 * Learn that @p mac on VLAN @p vid was seen on @p port at time @p now_s.
 * Safe from any number of threads at once. Refused (L2_LEARN_LIMIT,
 * L2_LEARN_MOVE_HELD, L2_LEARN_FULL) nothing changes.
 */
enum l2_learn_result l2_table_learn(struct l2_table *t, const uint8_t mac[6],
				    uint16_t vid, uint16_t port, uint32_t now_s);

/**
 * Look up @p mac on VLAN @p vid.
 * @return the port, or DPS_L2_NO_PORT if unknown or aged out.
 */
uint16_t l2_table_lookup(struct l2_table *t, const uint8_t mac[6],
			 uint16_t vid, uint32_t now_s);

/**
 * Add or replace a static entry: never aged, never moved by learning.
 * @return 0, -EINVAL (group MAC or bad port), -ENOSPC (bucket all static)
 */
int l2_table_add_static(struct l2_table *t, const uint8_t mac[6], uint16_t vid,
			uint16_t port, uint32_t now_s);

/** Remove one entry, static or learned. @return 0 or -ENOENT */
int l2_table_del(struct l2_table *t, const uint8_t mac[6], uint16_t vid);

/** Remove learned entries: all (port == DPS_L2_NO_PORT) or one port's. */
unsigned int l2_table_flush(struct l2_table *t, uint16_t port);

/** Remove every entry of a port, static ones too (the port is going away). */
unsigned int l2_table_purge_port(struct l2_table *t, uint16_t port);

/** Remove entries older than the aging time; returns how many. */
unsigned int l2_table_age(struct l2_table *t, uint32_t now_s);

/** Number of live (not aged) entries. */
unsigned int l2_table_count(struct l2_table *t, uint32_t now_s);

/** Entries evicted because their bucket was full (table too small). */
uint64_t l2_table_evictions(const struct l2_table *t);

/**
 * An address seen on its port within the last @p hold_s seconds does not
 * move to another port (0: moves take effect at once, the default).
 */
void l2_table_set_move_hold(struct l2_table *t, uint32_t hold_s);
uint32_t l2_table_get_move_hold(const struct l2_table *t);
/** Moves that took effect, and moves refused by the hold. */
uint64_t l2_table_moves(const struct l2_table *t);
uint64_t l2_table_moves_refused(const struct l2_table *t);

/**
 * At most @p limit learned entries for @p port (0: no limit, the default);
 * entries it has beyond a lowered limit stay until they age. 0, -EINVAL.
 */
int l2_table_set_limit(struct l2_table *t, uint16_t port, uint32_t limit);
uint32_t l2_table_get_limit(const struct l2_table *t, uint16_t port);
/** The bucket (@p mac, @p vid) lands in: for tests and diagnostics. */
uint32_t l2_table_bucket_index(const struct l2_table *t, const uint8_t mac[6], uint16_t vid);

/** Learned entries of @p port in the table (aged ones until swept). */
uint32_t l2_table_learned(const struct l2_table *t, uint16_t port);

/**
 * Call @p cb for every live entry, in table order. Stops and returns the
 * callback's value if it is non-zero.
 */
int l2_table_walk(struct l2_table *t, uint32_t now_s,
		  int (*cb)(const struct l2_entry_info *e, void *arg), void *arg);

#endif /* DPS_L2_TABLE_H */
