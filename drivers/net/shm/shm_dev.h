/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One net_shm port (private): an ethdev serving a range of queue pairs of
 * a region (docs/shm-protocol.md).
 *
 *   shm_args.c    devargs
 *   shm_region.c  regions: a trust group's, shared by its ports, or an
 *                 isolated port's own; the spare-buffer mempool
 *   shm_rxtx.c    the burst functions: validate, swap or copy, doorbells
 *   shm_ctl.c     the control thread (epoll over sockets)
 *   shm_attach.c  the control side: listening, hellos, attach and detach
 *   rte_eth_shm.c the ethdev glue: ops, statistics, probe and remove
 */
#ifndef SHM_DEV_H
#define SHM_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "dpsr/dpsr_attach.h"
#include "shm_args.h"
#include "shm_region.h"
#include "shm_rxtx.h"

/*
 * A connection waiting for its hello, watched on its own so that a peer
 * that connects and says nothing holds nobody up. At most SHM_PENDING_MAX
 * per port: a newer connection displaces the oldest.
 */
#define SHM_PENDING_MAX 4
/* Changes of a guest's control word (ring resets) acted on per second. */
#define SHM_GUEST_CTL_BUDGET 32

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
	/*
	 * An isolated port's region could not be renewed when its peer left:
	 * no peer is welcomed until a fresh one is made (never the old one:
	 * the departed peer may still map it).
	 */
	bool region_stale;
	/*
	 * A guest's (transport=ivshmem) last control word acted on
	 * (guest_req) and the ack it was given (guest_ctl): 0, its driver
	 * stopped (or not started); else started.
	 */
	uint32_t guest_req;
	uint32_t guest_ctl;
	uint64_t guest_starts;
	uint64_t guest_stops;
	/*
	 * The guest's budget of control-word changes acted on (each one a
	 * reset of its rings): SHM_GUEST_CTL_BUDGET per second, counted from
	 * ctl_window (TSC); beyond it a change waits for the guest's next
	 * ring in a later second (its driver rings again every second).
	 */
	uint64_t ctl_window;
	uint32_t ctl_acted;
	uint64_t guest_ctl_throttled;
	uint64_t detaches;
	uint64_t refused_no_region;
	struct shm_pending pending[SHM_PENDING_MAX];
	uint64_t pending_seq;
	struct shm_rxq *rxq;		/* args.qpairs of each, rte_zmalloc'd */
	struct shm_txq *txq;
};

#endif /* SHM_DEV_H */
