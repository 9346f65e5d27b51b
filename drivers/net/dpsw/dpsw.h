/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * net_dpsw and net_dpsw_pci: the peer side of a dpswitch shared-ring port
 * (dpsr v1, docs/shm-protocol.md), private to the driver.
 *
 * Two transports bring a process to a port's region, one datapath moves
 * its frames:
 *
 *   net_dpsw      a vdev on the host: a unix-socket attach (dpsw_ctl.c,
 *                 rte_eth_dpsw.c); doorbells are pipes
 *   net_dpsw_pci  a PCI driver in a QEMU guest for the ivshmem-doorbell
 *                 device (dpsw_pci.c, dpsw_ivshmem.c): the region is BAR2,
 *                 the guest rings the switch through BAR0's doorbell
 *                 register and the switch raises its MSI-X vectors
 *
 * The datapath (dpsw_rxtx.c) sees a queue as a private view of the
 * region's layout, its rings, a doorbell to ring (struct dpsw_bell: a pipe
 * or a register) and a waiter to arm, and nothing about how the region
 * came to be mapped. The ethdev ops (dpsw_ethdev.c) are shared too; a
 * transport supplies start, stop and close (struct dpsw_transport).
 *
 * Security model: the switch is trusted to be the switch (it created the
 * region), but every descriptor and index read from shared memory is read
 * once and checked before use, so a confused switch costs frames and
 * counters, never a wild copy; the region's header is checked once, into
 * a private view, and never read again.
 */
#ifndef DPSW_H
#define DPSW_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_io.h>
#include <rte_log.h>
#include <rte_mbuf.h>

/* struct rte_pci_ioport; vendored (drivers/sdk). */
#include <bus_pci_driver.h>

#include "common/unix_socket.h"
#include "dpsr/dpsr_attach.h"
#include "dpsr/dpsr_bell.h"
#include "dpsr/dpsr_ivshmem_guest.h"

/** Queue pairs a device can have: what the protocol allows. */
#define DPSW_QPAIRS_MAX 64

/** Tries to attach again after the switch went: every this many ms by default. */
#define DPSW_RECONNECT_MS_DEFAULT 100
#define DPSW_RECONNECT_MS_MAX 60000

extern int dpsw_logtype;

/* Every message names the device itself: "net_dpsw0: ...", "0000:00:04.0: ...". */
#define DPSW_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, dpsw_logtype, fmt "\n", ##__VA_ARGS__)

/* ---- doorbells and waiters, either transport ---- */

/**
 * A doorbell this side rings: on the host, a doorbell pipe's write end
 * (one byte); in a guest, the ivshmem doorbell register (BAR0 + 12)
 * written with the switch's ID and the vector, through the mapping, or
 * through the PCI bus's port I/O when vfio could not map BAR0 (a BAR
 * smaller than a page that does not start on one).
 */
struct dpsw_bell {
	volatile uint32_t *reg;		/**< the mapped doorbell register, or NULL */
	struct rte_pci_ioport *io;	/**< else BAR0 through the bus, or NULL */
	uint32_t val;			/**< what a register ring writes */
	int fd;				/**< else the pipe's write end */
};

/**
 * Ring @p b. Never blocks: a full pipe is a ring already pending, and a
 * register write is posted. false if the pipe took nothing (full, or the
 * switch's end gone).
 */
static inline bool
dpsw_bell_ring(const struct dpsw_bell *b)
{
	if (b->reg != NULL) {
		rte_write32(b->val, b->reg);
		return true;
	}
	if (unlikely(b->io != NULL)) {
		rte_pci_ioport_write(b->io, &b->val, sizeof(b->val), DPSR_IVSHMEM_REG_DOORBELL);
		return true;
	}
	return dpsr_bell_ring(b->fd);
}

/** A bell that rings pipe write end @p fd. */
static inline struct dpsw_bell
dpsw_bell_pipe(int fd)
{
	return (struct dpsw_bell){ .fd = fd };
}

/**
 * An rx queue's waiter in a guest: the eventfd vfio signals when the
 * switch raises the queue's MSI-X vector, which EAL registers as the
 * queue's interrupt and reads when it fires. It is what the application
 * sleeps on, what arming empties and what the queue writes to wake itself:
 * the epoll set and the self-ring of a host waiter are that one fd. It is
 * EAL's (rte_intr_efd_enable()): never dpsr_waiter_close() it.
 */
static inline struct dpsr_waiter
dpsw_waiter_of_eventfd(int efd)
{
	return (struct dpsr_waiter){ .ep = efd, .self = efd, .bell = -1 };
}

/** No waiter (closed, or not set up): arming it is harmless. */
#define DPSW_WAITER_NONE ((struct dpsr_waiter){ .ep = -1, .self = -1, .bell = -1 })

/* ---- queues ---- */

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
	uint64_t disconnected;		/**< frames dropped while not attached */
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
	const uint32_t *attached;	/**< the device's: 0 while not attached */
	uint32_t busy;			/**< 1 while a burst or an arm uses the attach */
	/**
	 * What the application sleeps on (the queue's rx interrupt fd): on
	 * the host an epoll set holding the switch's DPSR_DB_PEER_RX
	 * doorbell and our own self-ring; in a guest the vector's eventfd
	 * (dpsw_waiter_of_eventfd()).
	 */
	struct dpsr_waiter waiter;
	struct dpsw_bell room;		/**< DPSR_DB_SWITCH_ROOM: we ring it after consuming */
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
	struct dpsw_bell kick;		/**< DPSR_DB_SWITCH_RX: we ring it after producing */
	struct dpsw_zc_qp *zc;		/**< zero copy (dpsw_zc.c), or NULL */
	struct dpsw_txq_stats st;
} __rte_cache_aligned;

/* ---- what the devargs say ---- */

#define DPSW_ARG_PATH "path"
#define DPSW_ARG_SECRET "secret"
#define DPSW_ARG_QPAIRS "qpairs"
#define DPSW_ARG_MAC "mac"
#define DPSW_ARG_RECONNECT "reconnect-ms"
#define DPSW_ARG_ZERO_COPY "zero-copy"
#define DPSW_ARG_COPY_BREAK "copy-break"
/** With zero copy, received frames up to this long are copied by default. */
#define DPSW_COPY_BREAK_DEFAULT 256

/** Which transport's devargs: the keys each accepts. */
enum dpsw_kind {
	DPSW_KIND_VDEV,			/**< path, secret, qpairs, mac, reconnect-ms */
	DPSW_KIND_PCI,			/**< qpairs, mac */
};

/** What the devargs say, once checked. */
struct dpsw_args {
	const char *name;		/**< the device's, for messages */
	char path[DPS_UNIX_PATH_MAX];
	char secret[DPSR_SECRET_MAX + 1];
	uint32_t qpairs;		/**< as given, or the transport's default */
	uint32_t reconnect_ms;		/**< between tries to attach again; 0: never */
	bool has_mac;
	struct rte_ether_addr mac;	/**< given, or the transport's default */
	bool zero_copy;			/**< ask for DPSR_F_PEER_BUFS (zero-copy=1) */
	uint32_t copy_break;		/**< zero copy: frames up to this long are copied */
};

/* ---- the device ---- */

struct rte_eth_dev;

/** What differs between the transports; the rest of the ethdev is dpsw_ethdev.c's. */
struct dpsw_transport {
	/**
	 * dev_start, before the queues are marked started: attach the
	 * queues (if not attached yet) and set up rx interrupts if the
	 * application asked for them. 0 or -errno, logged.
	 */
	int (*start)(struct rte_eth_dev *dev);
	/** dev_stop, before the queues are marked stopped. */
	void (*stop)(struct rte_eth_dev *dev);
	/** dev_close (primary process), the device stopped. */
	void (*close)(struct rte_eth_dev *dev);
};

/**
 * The unix-socket transport (net_dpsw). Attaches come and go under running
 * queues: when the switch goes, the device is detached (attached = 0:
 * bursts touch nothing shared) and, unless reconnect-ms=0, an EAL alarm
 * tries to attach again. A new attach brings a new region and new
 * doorbells; it is swapped in only once no queue is inside a burst (each
 * queue's busy flag), so the old mapping is unmapped under nobody.
 */
struct dpsw_sock {
	struct dpsr_client c;		/**< socket, mapping, checked view, doorbells */
	struct dpsw_args args;		/**< kept to attach again (holds the secret) */
	uint32_t closing;		/**< set by close: no more tries */
	uint64_t reattaches;		/**< attaches after the first */
	uint64_t tries;			/**< failed tries since the switch went */
	struct rte_intr_handle *ih;	/**< watches c.sock on the interrupt thread */
};

/**
 * The ivshmem transport (net_dpsw_pci). The region (BAR2) stays mapped
 * while the device exists; the port is attached from dev_start (the
 * control word's start acknowledged) to dev_stop.
 */
struct dpsw_ivshmem {
	struct rte_pci_device *pci;
	volatile uint8_t *regs;		/**< BAR0 mapped, or NULL: then io */
	struct rte_pci_ioport io;	/**< BAR0 through the bus (vfio, unmappable BAR0) */
	struct dpsr_ivshmem_guest g;	/**< ID, the port's queue pairs, ours */
	struct dpsw_bell ctl;		/**< vector 0: "read my control word" */
	uint32_t ctl_value;		/**< the last start acknowledged */
	unsigned int ctl_timeout_ms;	/**< how long a start waits for the switch */
	uint32_t msix_vectors;		/**< the device's MSI-X table size */
	bool msix;			/**< rx interrupts: vfio-pci with MSI-X */
	bool intr_on;			/**< the queues' vectors are set up (started) */
};

/** One device (its ethdev private data), either transport. */
struct dpsw_dev {
	const struct dpsw_transport *tp;
	struct dpsr_view view;		/**< the region's checked layout (the current attach's) */
	struct rte_ether_addr mac;
	uint32_t attached;		/**< 1 while the queues may use the rings */
	uint32_t nb_qpairs;		/**< the queue pairs the device has */
	uint32_t max_frame;		/**< min(buf_size, DPSR_FRAME_MAX) */
	bool rx_intr;			/**< rx interrupts can be had */
	struct dpsw_zc_gen *zc;		/**< this attach's zero copy (dpsw_zc.c), or NULL */
	bool zc_want;			/**< zero-copy=1: ask for DPSR_F_PEER_BUFS */
	uint32_t copy_break;		/**< zero copy: received frames up to this long are copied */
	union {
		struct dpsw_sock sock;	/**< net_dpsw */
		struct dpsw_ivshmem ivs;	/**< net_dpsw_pci */
	};
	struct dpsw_rxq rxq[DPSW_QPAIRS_MAX];
	struct dpsw_txq txq[DPSW_QPAIRS_MAX];
};

static inline bool
dpsw_attached(const struct dpsw_dev *p)
{
	return __atomic_load_n(&p->attached, __ATOMIC_ACQUIRE) != 0;
}

/* ---- devargs (dpsw_args.c) ---- */

/**
 * Parse @p params into @p a (a->name set, a->qpairs and a->reconnect_ms
 * preset to the defaults) for a device of @p kind: every key known to
 * that kind, given once, valid; one log line names what is wrong. The
 * secret is never logged. A vdev without mac= gets one derived from its
 * name and path. 0 or -EINVAL.
 */
int dpsw_args_parse(const char *params, enum dpsw_kind kind, struct dpsw_args *a);

/* ---- the ethdev, either transport (dpsw_ethdev.c) ---- */

/**
 * Make @p dev a dpsw ethdev of transport @p tp: ops, burst functions, MAC
 * (p->mac), flags. The caller has filled the device's private data.
 */
void dpsw_ethdev_init(struct rte_eth_dev *dev, const struct dpsw_transport *tp);

/** Stop (if started) and close device @p name, then release it; 0 if it is gone already. */
int dpsw_ethdev_remove(const char *name);

void dpsw_link_set(struct rte_eth_dev *dev, bool up);

/** Wait until no queue is inside a burst: the attach can change under none. */
void dpsw_quiesce(struct dpsw_dev *p);

/**
 * Bind queue pair @p q to queue pair @p qpair of view @p v (rings
 * 2 qpair and 2 qpair + 1, private indices 0) and to the doorbells it
 * rings; its waiter is the transport's business.
 */
void dpsw_qpair_bind(struct dpsw_dev *p, uint32_t q, const struct dpsr_view *v,
		     uint32_t qpair, struct dpsw_bell kick, struct dpsw_bell room);

/* ---- the unix-socket transport's control side (dpsw_ctl.c) ---- */

/** Attach to the switch as @p a says; 0 or -errno, logged. */
int dpsw_attach(const struct dpsw_args *a, struct dpsr_client *c);

/**
 * Watch the attach's socket for the switch going: the link then goes down
 * and, unless reconnect-ms=0, tries to attach again begin.
 */
int dpsw_sock_watch(struct rte_eth_dev *dev);

/** Bind every queue to the current attach (p->sock.c); its waiter to its new doorbell. */
int dpsw_queues_bind(struct dpsw_dev *p);

/** At close: no more tries, no more watching (waits for a callback under way). */
void dpsw_ctl_stop(struct rte_eth_dev *dev);

/* ---- the ivshmem transport's control side (dpsw_ivshmem.c) ---- */

/**
 * Bells of a guest whose BAR0 is mapped at @p p->ivs.regs (or reached
 * through p->ivs.io): vector 0 in p->ivs.ctl. Called once at probe.
 */
void dpsw_ivshmem_bells_init(struct dpsw_dev *p);

/**
 * Start the port: the control word's handshake (up to
 * p->ivs.ctl_timeout_ms), then every queue pair bound to the reset rings
 * with the register's bells, and attached. 0, or -ETIMEDOUT, logged.
 */
int dpsw_ivshmem_attach(struct dpsw_dev *p, const char *name);

/**
 * Stop the port: no burst uses the rings any more (quiesced), then
 * peer_ctl 0 and vector 0 rung. Nothing if not attached.
 */
void dpsw_ivshmem_detach(struct dpsw_dev *p);

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

/*
 * Frames the switch has published on a receive queue's ring, with the
 * descriptors and data before its prod visible (acquire). An impossible
 * prod (more than a ring ahead) gives 0, counted: a ring's worth would be
 * stale slots.
 */
static inline uint32_t
dpsw_rx_avail(struct dpsw_rxq *q)
{
	uint32_t prod = __atomic_load_n(&q->ring.shared->prod, __ATOMIC_ACQUIRE);
	uint32_t avail = dpsr_used(prod, q->ring.idx);

	if (unlikely(avail > q->ring.size)) {
		q->st.err.bad_index++;
		return 0;
	}
	return avail;
}

/**
 * Bind a receive queue to region ring @p ring of view @p v (private index
 * 0: the switch hands a peer its rings empty) and the doorbell it rings;
 * its waiter is the caller's (it outlives attaches).
 */
void dpsw_rxq_init(struct dpsw_rxq *q, const struct dpsr_view *v, uint32_t ring,
		   struct dpsw_bell room, const uint32_t *attached);

/** Bind a transmit queue to region ring @p ring of view @p v and its doorbell. */
void dpsw_txq_init(struct dpsw_txq *q, const struct dpsr_view *v, uint32_t ring,
		   struct dpsw_bell kick, const uint32_t *attached);

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
 * whose buffer index is out of range ends the burst. While not attached,
 * every frame is freed and counted.
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
 * After the queues are bound to a new attach (quiesced, p->view its
 * region): with p->zc_want and the feature @p granted, a new generation
 * (the bags, the region's buffers' shared infos) and every queue pair on
 * it. If @p map is not NULL, the generation takes the mapping *map
 * (@p map_size bytes; *map becomes NULL), to unmap it after the last
 * frame held in place is freed: mbufs may outlive the attach. NULL: the
 * mapping is not the driver's to unmap (a BAR). Without memory for it,
 * logged under @p name, the queues copy. 0.
 */
int dpsw_zc_bind(struct dpsw_dev *p, const char *name, bool granted, void **map,
		 uint64_t map_size);

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
