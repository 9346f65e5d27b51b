/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_shm queues and burst functions (private): what a worker runs, and
 * the gate through which the control side takes a queue away from it.
 *
 * Security model: everything in a region can be rewritten by a peer at
 * any time. The switch keeps its own index of each ring, the buffer each
 * slot owns (the shadow) and the layout in private memory, reads each
 * shared field once, and validates descriptors before it uses them.
 */
#ifndef SHM_RXTX_H
#define SHM_RXTX_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "dpsr/dpsr.h"
#include "dpsr/dpsr_bell.h"
#include "shm_region.h"

/*
 * A gate lets the control side take a queue away from a worker that may
 * be inside a burst on it: the burst announces itself (busy) and checks
 * the gate; the control side closes the gate and waits until busy drops.
 * Both sides order their store before their load with a full barrier.
 */
struct shm_gate {
	uint32_t open;
	uint32_t busy;
};

static inline bool
shm_gate_enter(struct shm_gate *g)
{
	/* A port without a peer is polled all the time: no atomic for it. */
	if (!__atomic_load_n(&g->open, __ATOMIC_RELAXED))
		return false;
	__atomic_exchange_n(&g->busy, 1, __ATOMIC_SEQ_CST);
	if (likely(__atomic_load_n(&g->open, __ATOMIC_RELAXED)))
		return true;
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
	return false;
}

static inline void
shm_gate_leave(struct shm_gate *g)
{
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
}

/** Counters of one rx queue (peer to switch), written by its worker only. */
struct shm_rxq_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t zero_copy;		/* frames taken by swapping buffers */
	uint64_t copied;
	uint64_t spares_empty;		/* bursts copied because no spare was left */
	uint64_t nombuf;
	uint64_t bad_index;		/* the peer claimed more than a ring of frames */
	uint64_t bad_desc[DPSR_BAD_MAX];
	uint64_t doorbells;
};

/** Counters of one tx queue (switch to peer). */
struct shm_txq_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t zero_copy;
	uint64_t copied;
	uint64_t bad_len;		/* frames the peer's buffers cannot hold */
	uint64_t no_peer;		/* frames sent while no peer was attached */
	uint64_t bad_index;		/* the peer's consumer index was impossible */
	uint64_t doorbells;
	/* DPSR_F_PEER_BUFS: released slots whose buffer the peer exchanged for a bag one */
	uint64_t peer_swaps;
	uint64_t bad_buf;		/* ... for a buffer not in its bag: refused */
};

/* What both directions of a queue need to know about the region. */
struct shm_qring {
	struct dpsr_ring *ring;		/* shared */
	uint32_t *shadow;		/* private: the buffer each slot owns */
	uint32_t idx;			/* private: our index (cons or prod) */
	uint32_t mask;
	uint8_t *bufs;			/* buffer 0 in our mapping */
	uint32_t buf_shift;		/* log2(buf_size) */
	struct dpsr_limits lim;
	uint64_t iova_base;
	int kick_fd;			/* the write end of the peer's doorbell, -1: none */
	struct shm_gate gate;
	/*
	 * DPSR_F_PEER_BUFS granted to the peer (docs/shm-protocol.md,
	 * "Buffers a trusted peer holds"): the region's owner table and this
	 * queue pair's bag in it. NULL: the peer moves no buffers, and buf
	 * must be the shadow's.
	 */
	uint8_t *owner;
	uint8_t bag;
	uint32_t reaped;		/* tx with bags: released slots read back up to here */
};

struct shm_txq;

struct shm_rxq {
	struct shm_qring q;
	struct rte_mempool *mp;		/* the switch's mbufs, for copies */
	struct rte_mempool *spares;	/* trusted: swap pool; NULL: copy only */
	/*
	 * With a bag: the tx queue of the same queue pair, whose released
	 * slots a claim that failed reads back first (the peer may send a
	 * buffer it kept from ring 2q+1 before the tx worker read it back).
	 */
	struct shm_txq *pair;
	bool reaped;			/* ... once per burst at most */
	uint16_t port_id;
	/*
	 * What the worker sleeps on, the same for the port's life: the
	 * current peer's doorbell for this ring, and our own self-ring.
	 */
	struct dpsr_waiter waiter;
	struct shm_rxq_stats st;
} __rte_cache_aligned;

struct shm_txq {
	struct shm_qring q;
	struct rte_mempool *spares;	/* trusted: mbufs of this pool are swapped in */
	/*
	 * With a bag: every claim from the queue pair's bag, and reading back
	 * the released slots (q.reaped, the shadow's entries of released
	 * slots, peer_swaps, bad_buf), by this queue's worker before it
	 * produces or by its rx queue's (another worker, maybe) for a burst:
	 * one at a time.
	 */
	rte_spinlock_t reap_lock;
	struct shm_txq_stats st;
} __rte_cache_aligned;

/** Point a queue at ring @p ring_idx of @p r (gate closed), no doorbell yet. */
void shm_qring_init(struct shm_qring *q, const struct shm_region *r, uint32_t ring_idx);
/**
 * Empty the ring for a new peer, from the shadow; no bags any more (a
 * bag holder's rx ring has its bag back first: shm_bag_return()). Gate
 * closed.
 */
void shm_qring_reset(struct shm_qring *q);

/*
 * Bags (DPSR_F_PEER_BUFS), on the control side with both gates closed.
 * @p rx is the queue pair's ring 2q, @p tx its ring 2q+1.
 */

/**
 * Grant: the buffers of ring 2q's slots become the bag @p bag in
 * @p owner, and both queues of the queue pair check and move buffers
 * against it.
 */
void shm_bag_form(struct shm_rxq *rx, struct shm_txq *tx, uint8_t *owner, uint8_t bag);

/**
 * Reset: the bag goes back into ring 2q's slots (its shadow), its owner
 * bytes back to the switch. Returns how many buffers it held: the ring's
 * size, always (a slot the bag cannot fill keeps its shadow). Nothing,
 * and 0, without a bag.
 */
uint32_t shm_bag_return(struct shm_qring *rx);

/** Close the gate and wait for a burst in flight; control side. */
void shm_qring_quiesce(struct shm_qring *q);
void shm_qring_open(struct shm_qring *q);
/** Open an rx queue and wake its worker, which may sleep on it unarmed. */
void shm_rxq_open(struct shm_rxq *rxq);

uint16_t shm_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n);
uint16_t shm_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n);

/** Rx interrupt on: raise cons_wait, and ring our own doorbell if frames wait. */
int shm_rxq_intr_enable(struct shm_rxq *rxq);
void shm_rxq_intr_disable(struct shm_rxq *rxq);

#endif /* SHM_RXTX_H */
