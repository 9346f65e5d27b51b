/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * net_shm, the switch's end of dpsr shared-ring ports (docs/shm-protocol.md)
 * as a DPDK vdev: what the switch's port layer and CLI use of it
 * (`port add NAME shm path=...`, `shm show`). Peers attach with the
 * net_dpsw PMD (drivers/net/dpsw).
 *
 * Devargs (DPS_SHM_KEYS): path (required), mode=trusted|isolated (default
 * isolated), group (trusted; implies mode=trusted; default "default"),
 * qpairs, ring, bufsize, secret, group-ports, spares, mac.
 */
#ifndef DPS_SHM_H
#define DPS_SHM_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_kvargs.h>

#include "common/dps_err.h"
#include "common/unix_socket.h"

/** The vdev driver's name. */
#define DPS_SHM_DRIVER "net_shm"

/** Devargs keys, NULL-terminated. */
extern const char *const dps_shm_keys[];

/**
 * Check a port's devargs before the device is probed, so that mistakes
 * come back as one line: every value in range, the socket path free (a
 * stale socket is replaced at probe), a trust group's geometry as its
 * first port set it. 0 or -EINVAL, -EADDRINUSE, -ENAMETOOLONG.
 */
int dps_shm_args_check(const char *port, struct rte_kvargs *kv, struct dps_err *err);

/** Rx queues a port with these devargs has (its qpairs). */
uint16_t dps_shm_nb_rxq(struct rte_kvargs *kv);

/** A shared-ring port as `shm show` prints it. */
struct dps_shm_info {
	char path[DPS_UNIX_PATH_MAX];
	char group[32];			/**< "" for an isolated port */
	uint16_t group_id;		/**< trusted: the group's id, unique among live groups; else 0 */
	bool trusted;
	bool guest;			/**< transport=ivshmem: QEMU attaches */
	bool attached;			/**< a peer is attached now (a guest: QEMU is connected) */
	bool guest_up;			/**< a guest's driver has started */
	bool hugepages;			/**< the region is on hugepages */
	uint32_t qpairs;
	uint32_t qpair_base;		/**< in the region */
	uint32_t granted;		/**< queue pairs the peer uses */
	uint32_t ring_size;
	uint32_t buf_size;
	uint64_t region_size;
	uint32_t spares_total;		/**< trusted: the group's spares */
	uint32_t spares_free;		/**< ... not lent to frames in flight */
	bool peer_bufs;			/**< the peer holds bags (DPSR_F_PEER_BUFS granted) */
	uint32_t bag_bufs;		/**< buffers in the port's bags now (ring x queue pairs) */
	uint64_t attaches;
	uint64_t refusals;
	uint64_t detaches;
	uint64_t region_faults;		/**< pages a peer punched out that the switch touched */
	uint64_t refused_no_region;	/**< peers refused: no fresh region could be made */
	uint64_t guest_starts;		/**< a guest's driver asked for fresh rings */
	uint64_t guest_stops;
	uint64_t guest_ctl_throttled;	/**< control-word changes over the budget, left for later */
};

/** Fill @p info for ethdev @p port_id; -ENOTSUP if it is no shm port. */
int dps_shm_info(uint16_t port_id, struct dps_shm_info *info);

/**
 * Register the `shm` port kind and the `shm show` command with the
 * switch (drivers/net/shm/shm_dpswitch.c, built into the daemon), before
 * dps_cli_init(). 0 or -errno.
 */
int dps_shm_dpswitch_register(void);

#endif /* DPS_SHM_H */
