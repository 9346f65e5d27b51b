/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's shared-ring port (private to lib/shmport): one ethdev per
 * port, serving a range of queue pairs of a region (docs/shm-protocol.md).
 *
 *   shm_region.c  regions: a trust group's, shared by its ports, or an
 *                 isolated port's own; the spare-buffer mempool
 *   shm_rxtx.c    the burst functions: validate, swap or copy, doorbells
 *   shm_ethdev.c  the vdev driver: devargs, ethdev ops, attaching peers
 *
 * Security model: everything in a region can be rewritten by a peer at
 * any time. The switch keeps its own index of each ring, the buffer each
 * slot owns (the shadow) and the layout in private memory, reads each
 * shared field once, and validates descriptors before it uses them.
 */
#ifndef DPS_SHM_PORT_H
#define DPS_SHM_PORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_kvargs.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "shm/dpsr_attach.h"
#include "shm/dpsr_queue.h"
#include "shm/dpsr_region.h"

extern int dps_logtype_shm;
#define SHM_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, dps_logtype_shm, "dpswitch.shm: " fmt "\n", ##__VA_ARGS__)

#define SHM_GROUP_NAME_MAX 32
#define SHM_MAX_QPAIRS 8

struct shm_region_req;

/* ---- devargs (shm_args.c) ---- */

struct shm_args {
	char path[108];
	char secret[DPSR_SECRET_MAX + 1];
	char group[SHM_GROUP_NAME_MAX];	/* trusted only */
	bool trusted;
	uint32_t qpairs;
	uint32_t ring_size;
	uint32_t buf_size;
	uint32_t group_ports;
	uint32_t spares;
	uint32_t given;			/* SHM_GIVEN_* keys the devargs set */
	bool has_mac;
	struct rte_ether_addr mac;
};

struct stat;

/** The switch port name of the shm port listening on socket @p sock, or NULL. */
const char *shm_socket_owner(const struct stat *sock);

/** Parse and check devargs; 0 or -EINVAL with @p err naming the key. */
int shm_args_parse(const char *port, struct rte_kvargs *kv, struct shm_args *a,
		   struct dps_err *err);

/** The region request that @p a describes. */
void shm_args_region_req(const struct shm_args *a, struct shm_region_req *req);

/* ---- regions ---- */

/** A mapped region and who uses it. Control thread only. */
struct shm_region {
	char group[SHM_GROUP_NAME_MAX];	/* "" for an isolated port's own region */
	bool trusted;
	struct dpsr_geometry geo;	/* qpairs per port in geo.nb_qpairs / slots */
	uint32_t qpairs_per_port;
	uint32_t nb_slots;		/* ports the region has room for */
	uint64_t slot_used;		/* bit k: port slot k is taken */
	struct dpsr_mem mem;
	struct dpsr_view view;
	/*
	 * Which buffer each slot of each ring owns (ring i's slot k at
	 * shadow[i * ring_size + k]). Private memory, and kept with the
	 * region rather than the port: a port that leaves hands its slots,
	 * buffers and all, to the next port of the group.
	 */
	uint32_t *shadow;
	/*
	 * Trusted groups: the spare buffers, each an mbuf whose data buffer
	 * is one region buffer (docs/shm-protocol.md, "Buffer ownership").
	 */
	struct rte_mempool *spares;
	uint32_t nb_spares;
	uint64_t iova_base;		/* IOVA of buffer 0, or RTE_BAD_IOVA */
};

/** What a port asks of its region. */
/*
 * Geometry keys a port's devargs gave. A later port of a trust group
 * inherits those it leaves out; qpairs, the port's own queue count, must
 * match whether given or default.
 */
#define SHM_GIVEN_QPAIRS	(1u << 0)
#define SHM_GIVEN_RING		(1u << 1)
#define SHM_GIVEN_BUFSIZE	(1u << 2)
#define SHM_GIVEN_GROUP_PORTS	(1u << 3)
#define SHM_GIVEN_SPARES	(1u << 4)

struct shm_region_req {
	const char *group;		/* trusted: the group's name; NULL: isolated */
	uint32_t qpairs;
	uint32_t ring_size;
	uint32_t buf_size;
	uint32_t group_ports;		/* trusted: ports the group has room for */
	uint32_t spares;		/* trusted: spare buffers */
	uint32_t given;			/* SHM_GIVEN_*: the others are defaults */
};

/**
 * Check that a port asking @p req could join: a trust group's geometry is
 * set by its first port. 0 or -EINVAL naming the value that differs.
 */
int shm_region_check(const struct shm_region_req *req, const char *port,
		     struct dps_err *err);

/**
 * An isolated port's peer left: give the port a fresh region, so that a
 * later peer never shares memory with an earlier one (which may keep its
 * mapping). The rings must be quiesced. 0 or -errno (the old region stays).
 */
int shm_region_renew(struct shm_region *r, const char *port, struct dps_err *err);

/**
 * Join (or create) the region a port asks for and take a port slot in it.
 * A trusted group's geometry is set by its first port; a later port that
 * asks for another is refused, naming the value that differs.
 * @return the region, or NULL with @p err set
 */
struct shm_region *shm_region_join(const struct shm_region_req *req, uint32_t *slot,
				   const char *port, struct dps_err *err);

/** Give a slot back; the region goes with its last port. */
void shm_region_leave(struct shm_region *r, uint32_t slot);

/* ---- queues ---- */

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
	int kick_fd;			/* the peer's doorbell for this ring */
	struct shm_gate gate;
};

struct shm_rxq {
	struct shm_qring q;
	struct rte_mempool *mp;		/* the switch's mbufs, for copies */
	struct rte_mempool *spares;	/* trusted: swap pool; NULL: copy only */
	uint16_t port_id;
	int intr_fd;			/* the switch's doorbell: peer rang */
	struct shm_rxq_stats st;
} __rte_cache_aligned;

struct shm_txq {
	struct shm_qring q;
	struct rte_mempool *spares;	/* trusted: mbufs of this pool are swapped in */
	struct shm_txq_stats st;
} __rte_cache_aligned;

/* ---- the device (shm_ethdev.c) ---- */

/*
 * A connection waiting for its hello, watched on its own so that a peer
 * that connects and says nothing holds nobody up. At most SHM_PENDING_MAX
 * per port: a newer connection displaces the oldest.
 */
#define SHM_PENDING_MAX 4

struct shm_dev;

struct shm_pending {
	struct shm_dev *sd;
	int fd;				/* -1: free */
	uint64_t seq;			/* arrival order */
};

struct shm_dev {
	char name[64];
	uint16_t port_id;
	struct shm_args args;
	struct shm_region *region;
	uint32_t slot;			/* the port's slot in its region */
	struct dpsr_server srv;
	bool listening;			/* srv.listen_fd is watched by shm_ctl */
	bool wired;			/* queues point into the region */
	bool started;
	bool attached;
	uint64_t detaches;
	struct shm_pending pending[SHM_PENDING_MAX];
	uint64_t pending_seq;
	struct shm_rxq *rxq;		/* args.qpairs of each, rte_zmalloc'd */
	struct shm_txq *txq;
};

/* ---- the control thread (shm_ctl.c) ---- */

/*
 * Attach state changes on the shm control thread, under this lock, which
 * every control operation on a port takes too (recursive).
 */
void shm_ctl_lock_take(void);
void shm_ctl_lock_release(void);

/** Call @p cb(@p arg) on the control thread, under the lock, whenever @p fd is readable. */
int shm_ctl_watch(int fd, void (*cb)(void *arg), void *arg);
/** Stop watching @p fd; afterwards its callback neither runs nor will run. */
void shm_ctl_unwatch(int fd);
/** No watch left: end the thread. Not under the lock. */
void shm_ctl_stop_if_idle(void);

/** Point a queue at ring @p ring_idx of @p r (gate closed). */
void shm_qring_init(struct shm_qring *q, const struct shm_region *r, uint32_t ring_idx,
		    int kick_fd);
/** Empty the ring for a new peer, from the shadow. Gate closed. */
void shm_qring_reset(struct shm_qring *q);

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

/** Prepare a region's spare mbufs (trusted groups): each gets one spare buffer. */
int shm_spares_create(struct shm_region *r, const char *name, struct dps_err *err);

#endif /* DPS_SHM_PORT_H */
