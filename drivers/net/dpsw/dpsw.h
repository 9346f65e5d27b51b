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

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "common/unix_socket.h"
#include "dpsr/dpsr_attach.h"
#include "dpsr/dpsr_bell.h"

/** Queue pairs a device can have: what the protocol allows. */
#define DPSW_QPAIRS_MAX 64

/** Tries to attach again after the switch went: every this many ms by default. */
#define DPSW_RECONNECT_MS_DEFAULT 100
#define DPSW_RECONNECT_MS_MAX 60000

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
	uint64_t zero_copy;		/**< of pkts, handed over in place (dpsw_zc.c) */
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
	uint64_t zero_copy;		/**< of pkts, published in place (dpsw_zc.c) */
	uint64_t bag_empty;		/**< bursts cut short: no bag buffer to copy into */
	uint64_t bag_bad;		/**< buffers the switch gave back out of range */
};

struct dpsw_zc_qp;
struct dpsw_zc_gen;

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
	uint32_t busy;			/**< 1 while a burst or an arm uses the attach */
	/**
	 * What the application sleeps on (the queue's rx interrupt fd): the
	 * switch's DPSR_DB_PEER_RX doorbell and our own self-ring.
	 */
	struct dpsr_waiter waiter;
	int db_room;			/**< DPSR_DB_SWITCH_ROOM: we ring it after consuming */
	uint16_t port_id;
	struct dpsw_zc_qp *zc;		/**< zero copy (dpsw_zc.c), or NULL */
	struct dpsw_rxq_stats st;
} __rte_cache_aligned;

/** Transmit queue q: produces on region ring 2 (qpair_base + q). */
struct dpsw_txq {
	struct dpsr_view view;
	struct dpsr_qring ring;
	const uint32_t *attached;
	uint32_t busy;			/**< 1 while a burst uses the attach */
	uint32_t max_frame;		/**< min(buf_size, DPSR_FRAME_MAX) */
	int db_kick;			/**< DPSR_DB_SWITCH_RX: we ring it after producing */
	struct dpsw_zc_qp *zc;		/**< zero copy (dpsw_zc.c), or NULL */
	struct dpsw_txq_stats st;
} __rte_cache_aligned;

/* ---- what the devargs say, and the device they make ---- */

#define DPSW_ARG_PATH "path"
#define DPSW_ARG_SECRET "secret"
#define DPSW_ARG_QPAIRS "qpairs"
#define DPSW_ARG_MAC "mac"
#define DPSW_ARG_RECONNECT "reconnect-ms"
#define DPSW_ARG_ZERO_COPY "zero-copy"
#define DPSW_ARG_COPY_BREAK "copy-break"
/** With zero copy, received frames up to this long are copied by default. */
#define DPSW_COPY_BREAK_DEFAULT 256

/** What the devargs say, once checked. */
struct dpsw_args {
	const char *name;		/**< the device's, for messages */
	char path[DPS_UNIX_PATH_MAX];
	char secret[DPSR_SECRET_MAX + 1];
	uint32_t qpairs;
	uint32_t reconnect_ms;		/**< between tries to attach again; 0: never */
	bool has_mac;
	struct rte_ether_addr mac;	/**< given, or derived from name and path */
	bool zero_copy;			/**< ask for DPSR_F_PEER_BUFS (zero-copy=1) */
	uint32_t copy_break;		/**< zero copy: frames up to this long are copied */
};

/**
 * One net_dpsw device (its ethdev private data).
 *
 * Attaches come and go under running queues: when the switch goes, the
 * device is detached (attached = 0: bursts touch nothing shared) and,
 * unless reconnect-ms=0, an EAL alarm tries to attach again. A new attach
 * brings a new region and new doorbells; it is swapped in only once no
 * queue is inside a burst (each queue's busy flag), so the old mapping is
 * unmapped under nobody.
 */
struct dpsw_dev {
	struct dpsr_client c;		/**< socket, mapping, checked view, doorbells */
	struct dpsw_args args;		/**< kept to attach again (holds the secret) */
	struct rte_ether_addr mac;
	uint32_t attached;		/**< 1 while attached to the switch */
	uint32_t closing;		/**< set by close: no more tries */
	uint32_t nb_qpairs;		/**< granted, = asked */
	uint32_t max_frame;
	uint64_t reattaches;		/**< attaches after the first */
	uint64_t tries;			/**< failed tries since the switch went */
	struct rte_intr_handle *sock_ih;	/**< watches c.sock on the interrupt thread */
	struct dpsw_zc_gen *zc;		/**< this attach's zero copy (dpsw_zc.c), or NULL */
	struct dpsw_rxq rxq[DPSW_QPAIRS_MAX];
	struct dpsw_txq txq[DPSW_QPAIRS_MAX];
};

/* ---- devargs (dpsw_args.c) ---- */

/**
 * Parse @p params into @p a (a->name set, a->qpairs and a->reconnect_ms
 * preset to the defaults): every key known, given once, valid; one log
 * line names what is wrong. The secret is never logged. 0 or -EINVAL.
 */
int dpsw_args_parse(const char *params, struct dpsw_args *a);

/* ---- control side (dpsw_ctl.c) ---- */

struct rte_eth_dev;

/** Attach to the switch as @p a says; 0 or -errno, logged. */
int dpsw_attach(const struct dpsw_args *a, struct dpsr_client *c);

/**
 * Watch the attach's socket for the switch going: the link then goes down
 * and, unless reconnect-ms=0, tries to attach again begin.
 */
int dpsw_sock_watch(struct rte_eth_dev *dev);

/** Bind every queue to the current attach (p->c); its waiter to its new doorbell. */
int dpsw_queues_bind(struct dpsw_dev *p);

/** At close: no more tries, no more watching (waits for a callback under way). */
void dpsw_ctl_stop(struct rte_eth_dev *dev);

void dpsw_link_set(struct rte_eth_dev *dev, bool up);

static inline bool
dpsw_attached(const struct dpsw_dev *p)
{
	return __atomic_load_n(&p->attached, __ATOMIC_ACQUIRE) != 0;
}

/* ---- datapath (dpsw_rxtx.c) ---- */

/*
 * A queue's use of the attach: busy from before it looks at the attached
 * flag until it is done with the region and the doorbells. The exchange is
 * a full barrier: either the control side, which clears the flag and then
 * waits for busy to fall, sees us busy, or we see the flag clear.
 */
static inline bool
dpsw_q_enter(uint32_t *busy, const uint32_t *attached)
{
	__atomic_exchange_n(busy, 1, __ATOMIC_SEQ_CST);
	if (likely(__atomic_load_n(attached, __ATOMIC_SEQ_CST) != 0))
		return true;
	__atomic_store_n(busy, 0, __ATOMIC_RELEASE);
	return false;
}

static inline void
dpsw_q_leave(uint32_t *busy)
{
	__atomic_store_n(busy, 0, __ATOMIC_RELEASE);
}

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

/** Receive by copy (what dpsw_rx_burst() does without zero copy), attached. */
uint16_t dpsw_rx_attached(struct dpsw_rxq *q, struct rte_mbuf **pkts, uint16_t n);
/** Ring the switch's DPSR_DB_SWITCH_ROOM (it waits for room), counted. */
void dpsw_rx_ring_room(struct dpsw_rxq *q);
/** Ring the switch's DPSR_DB_SWITCH_RX (it sleeps for frames), counted. */
void dpsw_tx_ring_kick(struct dpsw_txq *q);

/* ---- zero copy (dpsw_zc.c): a trusted port's peer granted DPSR_F_PEER_BUFS ---- */

/**
 * After the queues are bound to a new attach (quiesced): with zero-copy=1
 * and the feature granted, a new generation (the bags, the region's
 * buffers' shared infos, the mapping, taken from p->c) and every queue
 * pair on it. Without memory for it, logged, the queues copy.
 */
int dpsw_zc_bind(struct dpsw_dev *p);

/**
 * Before the attach goes (queues quiesced, p->c still the old attach):
 * the queues copy from here on, and the generation goes when the
 * application has freed the last frame it holds in place.
 */
void dpsw_zc_retire(struct dpsw_dev *p);

/** dpsw_rx_burst() and dpsw_tx_burst() of a queue with zero copy, attached. */
uint16_t dpsw_zc_rx(struct dpsw_rxq *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t dpsw_zc_tx(struct dpsw_txq *q, struct rte_mbuf **pkts, uint16_t n);

#endif /* DPSW_H */
