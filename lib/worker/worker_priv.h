/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker's private state (lib/worker only). */
#ifndef DPS_WORKER_PRIV_H
#define DPS_WORKER_PRIV_H

#include <rte_gso.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "worker.h"
#include "worker_park.h"

#define TXBUF_SIZE 64

struct txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[TXBUF_SIZE];
};

/* Storm control: a token bucket per port and kind, this worker's own. */
struct storm_bucket {
	uint64_t tokens;		/* frames x tsc_hz */
	uint64_t last_tsc;
};

struct dps_worker {
	unsigned int lcore_id;
	unsigned int index;
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t loops;
	uint64_t dirty;			/* ports with buffered packets */
	struct dps_port_counters ctr[DPS_MAX_PORTS];
	struct txbuf tx[DPS_MAX_PORTS];
	/*
	 * The configuration generation this worker runs by, published at
	 * the top of its loop once it holds nothing of older ones. (After
	 * the hot arrays, which keep their alignment.)
	 */
	uint64_t gen_ack;
	struct park_state park;
	struct storm_bucket storm[DPS_MAX_PORTS][FWD_STORM_KINDS];
	struct rte_gso_ctx gso;		/* worker_offload.c */
} __rte_cache_aligned;

/* Locks for tx queues that more workers share than the port has queues. */
extern rte_spinlock_t dps_txq_lock[DPS_MAX_PORTS][DPS_MAX_WORKERS];

/* The runtime the loop (worker.c) and its control side (worker_runtime.c) share. */
struct worker_runtime {
	struct dps_worker *w;		/* array of nb */
	unsigned int nb;
	struct rte_mempool *pool;
	struct l2_table *tbl;
	struct dps_dp_config *live;	/* what workers read */
	struct dps_dp_config *draft;	/* what the control thread edits */
	uint64_t gen;			/* the live configuration's generation */
	volatile bool stop;
	bool running;
	uint64_t link_up;
	uint64_t tsc_hz;
	uint64_t epoch_tsc;		/* the bridge clock's second 0 */
};

extern struct worker_runtime worker_rt;

/** A worker lcore's loop (rte_eal_remote_launch). */
int worker_main(void *arg);

/* worker_offload.c */
/** Set up @p w's segmentation context over @p pool. */
void worker_gso_init(struct dps_worker *w, struct rte_mempool *pool);
/** Segment @p m and/or complete its checksums for @p port, then queue it. */
void worker_tx_soft(struct dps_worker *w, const struct dps_dp_config *cfg, uint16_t port,
		    struct rte_mbuf *m);

#endif /* DPS_WORKER_PRIV_H */
