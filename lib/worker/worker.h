/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Worker runtime: the lcores that poll rx queues and forward.
 *
 * The control thread edits a private draft of the dataplane configuration
 * (forwarding, queue assignment, tx queue map) and commits it: the draft is
 * copied, published with one pointer store, and the old copy is freed once
 * every worker has passed a quiescent state (rte_rcu_qsbr). Workers never
 * take a lock for configuration; a worker flushes its tx buffers before it
 * reports quiescence, so after a commit no worker holds a packet for, or
 * polls, a port that the new configuration dropped.
 */
#ifndef DPS_WORKER_H
#define DPS_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "fwd/fwd.h"
#include "l2/l2_table.h"

#define DPS_MAX_WORKERS 16
#define DPS_MAX_RXQ_PER_WORKER 256
#define DPS_BURST_MAX 256
#define DPS_BURST_DEFAULT 32

/** Per port, per worker counters; summed over workers when read. */
struct dps_port_counters {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t drop_no_mbuf;	/**< no mbuf for a flood copy */
	uint64_t drop_tx_full;	/**< egress queue full (counted on egress port) */
	uint64_t drop_no_route;	/**< nowhere to go (counted on ingress port) */
	uint64_t drop_filtered;	/**< VLAN not admitted, hairpin (ingress port) */
	uint64_t drop_invalid;	/**< runt frame (ingress port) */
};

struct dps_rxq_ref {
	uint16_t port;
	uint16_t queue;
};

/** What the workers run by; edited as a draft, published by commit. */
struct dps_dp_config {
	struct fwd_config fwd;
	uint16_t burst;
	/** Tx queue each worker uses on each port, and whether it is shared. */
	uint16_t txq[DPS_MAX_PORTS][DPS_MAX_WORKERS];
	bool txq_shared[DPS_MAX_PORTS];
	/** Rx queues each worker polls. */
	uint16_t nb_rxq[DPS_MAX_WORKERS];
	struct dps_rxq_ref rxq[DPS_MAX_WORKERS][DPS_MAX_RXQ_PER_WORKER];
};

/** Per-worker figures for `lcore show`. */
struct dps_worker_info {
	unsigned int lcore_id;
	uint64_t busy_cycles;	/**< loops that received something */
	uint64_t idle_cycles;	/**< loops that received nothing */
	uint64_t loops;
	uint64_t rx_pkts;
};

/**
 * Set up the runtime: one worker per non-main lcore.
 * @return 0, -ENODEV if EAL gave no worker lcore, -ENOMEM
 */
int dps_workers_init(struct rte_mempool *pool, struct l2_table *tbl);

/** Launch the workers on their lcores. */
int dps_workers_start(void);

/** Stop and join the workers. */
void dps_workers_stop(void);

unsigned int dps_worker_count(void);
int dps_worker_info(unsigned int idx, struct dps_worker_info *info);
/** Worker index of an lcore, or -ENOENT. */
int dps_worker_of_lcore(unsigned int lcore_id);

/** The control thread's draft; edit, then dps_dp_commit(). */
struct dps_dp_config *dps_dp_draft(void);

/** Publish the draft and wait until no worker uses the previous config. */
int dps_dp_commit(void);

/** Sum of a port's counters over all workers. */
void dps_port_counters_sum(uint16_t port, struct dps_port_counters *out);

/** The bridge clock (MAC ages), seconds since dps_workers_init(). */
uint32_t dps_now_s(void);

/** Ports whose link is up, bit = port id; read by workers per burst. */
void dps_link_set(uint16_t port, bool up);
uint64_t dps_link_mask(void);

#endif /* DPS_WORKER_H */
