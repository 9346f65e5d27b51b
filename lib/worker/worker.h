/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Worker runtime: the lcores that poll rx queues and forward.
 *
 * The control thread edits a private draft of the dataplane configuration
 * (forwarding, queue assignment, tx queue map, rx modes) and commits it: the
 * draft is copied, published with one pointer store under a new generation
 * number, and the old copy is freed once every worker has acknowledged the
 * new generation. A worker acknowledges at the top of its loop, after it
 * flushed its tx buffers and moved its queue interrupts over, so after a
 * commit no worker holds a packet for, polls, or waits on a port that the
 * new configuration dropped. (This is quiescent-state reclamation as
 * rte_rcu_qsbr does it, with the interrupt hand-over inside the grace
 * period, which rte_rcu_qsbr's quiescent report cannot order.)
 *
 * Workers park when idle (worker_park.c): depending on their rx mode they
 * arm rx interrupts on their queues and block in epoll, or, when a queue's
 * driver has no rx interrupt, sleep for a bounded, growing time. A commit
 * wakes parked workers, so a parked worker still passes its quiescent
 * state promptly.
 */
#ifndef DPS_WORKER_H
#define DPS_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "common/dps_err.h"
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
	uint64_t drop_vlan_hop;	/**< a tag behind an untagged VLAN's (ingress port) */
	uint64_t drop_mac_limit; /**< a new source beyond the port's MAC limit (ingress) */
	uint64_t drop_mac_move;	/**< a source active on another port (ingress) */
	uint64_t drop_storm;	/**< over the port's storm-control rate (ingress) */
	/** Frames copied out of a trust domain toward ports outside it (ingress port). */
	uint64_t edge_copies;
	/* Offloads the egress port does not take, done by the worker (egress port). */
	uint64_t gso_frames;	/**< large TCP frames segmented */
	uint64_t gso_segments;	/**< ... into this many segments */
	uint64_t csum_sw;	/**< frames whose checksums were completed in software */
	uint64_t drop_offload;	/**< frames whose offload request could not be met */
};

/**
 * The offload requests a frame may make of its egress port (mbuf flags):
 * a large TCP frame to cut into segments, a TCP/UDP checksum to complete,
 * an IPv4 header checksum. Those its port does not take, the worker does.
 */
#define DPS_TX_OFFLOADS (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM)

struct dps_rxq_ref {
	uint16_t port;
	uint16_t queue;
	bool intr;		/**< the driver can wake a parked worker */
};

/** How a worker waits when its queues are empty. */
enum dps_rx_mode {
	DPS_RX_ADAPTIVE = 0,	/**< poll under load, park after park_polls empty polls */
	DPS_RX_INTERRUPT,	/**< park after spin_polls empty polls */
	DPS_RX_POLL,		/**< never park */
};

#define DPS_PARK_POLLS_DEFAULT 1024
#define DPS_SPIN_POLLS_DEFAULT 16
#define DPS_SLEEP_MAX_US_DEFAULT 1000
#define DPS_SLEEP_MAX_US_LIMIT 100000
#define DPS_PARK_POLLS_LIMIT 100000000
/** Wake-latency histogram: bucket 0 is < 1 us, bucket i < 2^i us. */
#define DPS_WAKE_HIST_BUCKETS 12

/** What the workers run by; edited as a draft, published by commit. */
struct dps_dp_config {
	uint64_t gen;			/**< bumped by every commit */
	struct fwd_config fwd;
	uint16_t burst;
	/** Parking: per worker mode, global thresholds. */
	uint8_t rx_mode[DPS_MAX_WORKERS];
	uint32_t park_polls;		/**< adaptive: empty polls before parking */
	uint32_t spin_polls;		/**< interrupt: empty polls before parking */
	uint32_t sleep_max_us;		/**< timed-sleep fallback: longest sleep */
	/**
	 * Per port, the mbuf offload requests (RTE_MBUF_F_TX_TCP_SEG, _L4_MASK,
	 * _IP_CKSUM) its device was configured to honour; the worker does the
	 * others (worker_offload.c). gso_size: its largest frame, for that.
	 */
	uint64_t tx_ok[DPS_MAX_PORTS];
	uint16_t gso_size[DPS_MAX_PORTS];
	/** Tx queue each worker uses on each port, and whether it is shared. */
	uint16_t txq[DPS_MAX_PORTS][DPS_MAX_WORKERS];
	bool txq_shared[DPS_MAX_PORTS];
	/** Rx queues each worker polls. */
	uint16_t nb_rxq[DPS_MAX_WORKERS];
	struct dps_rxq_ref rxq[DPS_MAX_WORKERS][DPS_MAX_RXQ_PER_WORKER];
};

/** Why a parked worker woke up. */
enum dps_wake_source {
	DPS_WAKE_RX,		/**< an rx interrupt: kick, doorbell, NIC */
	DPS_WAKE_CONTROL,	/**< a commit, a link change, stop */
	DPS_WAKE_TIMER,		/**< the timed-sleep fallback expired */
	DPS_WAKE_SOURCES,
};

/** Per-worker figures for `lcore show`. */
struct dps_worker_info {
	unsigned int lcore_id;
	enum dps_rx_mode mode;
	bool asleep;		/**< parked right now */
	/** Queues whose driver cannot wake the worker: it sleeps timed. */
	uint16_t nb_timed_rxq;
	struct dps_rxq_ref timed_rxq;	/**< the first such queue */
	uint64_t tsc_hz;
	uint64_t busy_cycles;	/**< loops that received something */
	uint64_t idle_cycles;	/**< loops that received nothing (spinning) */
	uint64_t sleep_cycles;	/**< parked */
	uint64_t loops;
	uint64_t rx_pkts;
	uint64_t sleeps;
	uint64_t wakeups[DPS_WAKE_SOURCES];
	/** Wake-up signal to polling again, log2 microsecond buckets. */
	uint64_t wake_hist[DPS_WAKE_HIST_BUCKETS];
};

const char *dps_rx_mode_name(enum dps_rx_mode m);
/** Parse "poll", "interrupt", "adaptive"; -EINVAL otherwise. */
int dps_rx_mode_parse(const char *s, enum dps_rx_mode *m);

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

/**
 * Set the rx mode of the worker on @p lcore, or of all workers (-1), and
 * commit. -ENOENT (with @p err) if the lcore is not a worker.
 */
int dps_workers_set_mode(int64_t lcore, enum dps_rx_mode m, struct dps_err *err);

/** Wake every parked worker (control-plane event); any thread. */
void dps_workers_wake(void);

/** Sum of a port's counters over all workers. */
void dps_port_counters_sum(uint16_t port, struct dps_port_counters *out);

/** The bridge clock (MAC ages), seconds since dps_workers_init(). */
uint32_t dps_now_s(void);

/** Ports whose link is up, bit = port id; read by workers per burst. */
void dps_link_set(uint16_t port, bool up);
uint64_t dps_link_mask(void);

#endif /* DPS_WORKER_H */
