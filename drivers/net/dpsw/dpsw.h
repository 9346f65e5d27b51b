/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * net_dpsw: the peer side of a dpswitch shared-ring port (dpsr v1,
 * docs/shm-protocol.md), private to the driver.
 *
 * The datapath (dpsw_rxtx.c) sees a queue as a private view of the
 * region's layout, its rings and its doorbells, and nothing about
 * how the region came to be mapped: a unix-socket attach today
 * (dpsw_ctl.c), an ivshmem BAR in a guest later.
 *
 * Security model: the switch is trusted to be the switch (it created the
 * region), but every descriptor and index read from shared memory is read
 * once and checked before use, so a confused switch costs frames and
 * counters, never a wild copy.
 */
#ifndef DPSW_H
#define DPSW_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "common/unix_socket.h"
#include "dpsr/dpsr_attach.h"
#include "dpsr/dpsr_bell.h"

/** Queue pairs a device can have: what the protocol allows. */
#define DPSW_QPAIRS_MAX 64

extern int dpsw_logtype;

/* Every message names the device itself: "net_dpsw0: ...". */
#define DPSW_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, dpsw_logtype, fmt "\n", ##__VA_ARGS__)

/** Receive counters of one queue; written by the lcore polling it only. */
struct dpsw_rxq_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t nombuf;		/**< bursts cut short: the mempool was empty */
	uint64_t doorbells;		/**< DPSR_DB_SWITCH_ROOM rung */
	struct dpsr_errors err;		/**< what the switch wrote wrong */
};

/** Transmit counters of one queue; written by the lcore sending on it only. */
struct dpsw_txq_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t bad_index;		/**< the switch's cons was impossible */
	uint64_t bad_buf;		/**< a free slot held a buffer outside the pool */
	uint64_t bad_len;		/**< frames too short or too long, dropped */
	uint64_t disconnected;		/**< frames dropped after the switch went */
	uint64_t doorbells;		/**< DPSR_DB_SWITCH_RX rung */
};

/**
 * Receive queue q: consumes region ring 2 (qpair_base + q) + 1. The view is
 * a private copy, so the hot path reads no device-level state but the
 * attached flag.
 */
struct dpsw_rxq {
	struct dpsr_view view;
	struct dpsr_qring ring;
	struct rte_mempool *mp;
	const uint32_t *attached;	/**< the device's: 0 once the switch is gone */
	/**
	 * What the application sleeps on (the queue's rx interrupt fd): the
	 * switch's DPSR_DB_PEER_RX doorbell and our own self-ring.
	 */
	struct dpsr_waiter waiter;
	int db_room;			/**< DPSR_DB_SWITCH_ROOM: we ring it after consuming */
	uint16_t port_id;
	struct dpsw_rxq_stats st;
} __rte_cache_aligned;

/** Transmit queue q: produces on region ring 2 (qpair_base + q). */
struct dpsw_txq {
	struct dpsr_view view;
	struct dpsr_qring ring;
	const uint32_t *attached;
	uint32_t max_frame;		/**< min(buf_size, DPSR_FRAME_MAX) */
	int db_kick;			/**< DPSR_DB_SWITCH_RX: we ring it after producing */
	struct dpsw_txq_stats st;
} __rte_cache_aligned;

/** One net_dpsw device (its ethdev private data). */
struct dpsw_dev {
	struct dpsr_client c;		/**< socket, mapping, checked view, doorbells */
	char path[DPS_UNIX_PATH_MAX];
	struct rte_ether_addr mac;
	uint32_t attached;		/**< 1 from probe until the switch hangs up */
	uint32_t nb_qpairs;		/**< granted, = asked */
	uint32_t max_frame;
	struct rte_intr_handle *sock_ih;	/**< watches c.sock on the interrupt thread */
	struct dpsw_rxq rxq[DPSW_QPAIRS_MAX];
	struct dpsw_txq txq[DPSW_QPAIRS_MAX];
};

/* ---- devargs (dpsw_args.c) ---- */

#define DPSW_ARG_PATH "path"
#define DPSW_ARG_SECRET "secret"
#define DPSW_ARG_QPAIRS "qpairs"
#define DPSW_ARG_MAC "mac"

/** What the devargs say, once checked. */
struct dpsw_args {
	const char *name;		/**< the device's, for messages */
	char path[DPS_UNIX_PATH_MAX];
	char secret[DPSR_SECRET_MAX + 1];
	uint32_t qpairs;
	bool has_mac;
	struct rte_ether_addr mac;	/**< given, or derived from name and path */
};

/**
 * Parse @p params into @p a (a->name set, a->qpairs preset to the
 * default): every key known, given once, valid; one log line names what
 * is wrong. The secret is never logged. 0 or -EINVAL.
 */
int dpsw_args_parse(const char *params, struct dpsw_args *a);

/* ---- control side (dpsw_ctl.c) ---- */

struct rte_eth_dev;

/** Attach to the switch as @p a says; 0 or -errno, logged. */
int dpsw_attach(const struct dpsw_args *a, struct dpsr_client *c);

/** Watch the attach's socket for the switch going: the link then goes down. */
int dpsw_sock_watch(struct rte_eth_dev *dev);
void dpsw_sock_unwatch(struct rte_eth_dev *dev);

void dpsw_link_set(struct rte_eth_dev *dev, bool up);

static inline bool
dpsw_attached(const struct dpsw_dev *p)
{
	return __atomic_load_n(&p->attached, __ATOMIC_ACQUIRE) != 0;
}

/* ---- datapath (dpsw_rxtx.c) ---- */

/**
 * Bind a receive queue to region ring @p ring of view @p v (private index
 * 0: the switch hands a peer its rings empty) and the doorbell it rings;
 * its waiter is the caller's (it outlives attaches).
 */
void dpsw_rxq_init(struct dpsw_rxq *q, const struct dpsr_view *v, uint32_t ring,
			int db_room, const uint32_t *attached);

/** Bind a transmit queue to region ring @p ring of view @p v and its doorbell. */
void dpsw_txq_init(struct dpsw_txq *q, const struct dpsr_view *v, uint32_t ring,
			int db_kick, const uint32_t *attached);

/**
 * Receive up to @p n frames, copied into mbufs of the queue's mempool
 * (chained when a frame is longer than one mbuf). Refused descriptors are
 * counted and skipped, their slots released; an empty mempool ends the
 * burst and leaves the rest of the frames in the ring.
 * @return frames received
 */
uint16_t dpsw_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n);

/**
 * Copy up to @p n mbufs (gathering segments) into the buffers of the free
 * slots and free them. Frames of a bad length are freed and counted; a slot
 * whose buffer index is out of range ends the burst. After the switch hung
 * up, every frame is freed and counted.
 * @return mbufs consumed (sent or dropped)
 */
uint16_t dpsw_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n);

/**
 * Ask the switch to ring the queue's doorbell when frames arrive, after
 * emptying what was rung before. If frames are already there, ring the
 * waiter ourselves, so that a caller that sleeps without polling once more
 * still wakes up.
 */
void dpsw_rxq_intr_enable(struct dpsw_rxq *q);

/** Tell the switch not to ring any more. */
void dpsw_rxq_intr_disable(struct dpsw_rxq *q);

#endif /* DPSW_H */
