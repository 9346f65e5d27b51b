/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Port registry: named switch ports, each one DPDK ethdev.
 *
 * A port kind (vhost, tap, pci, ...) is only a way to create the ethdev;
 * once created, every port is handled alike. All functions here run on the
 * control thread; each returns 0 or a negative errno and, on failure, a
 * one-line explanation in @p err.
 */
#ifndef DPS_PORT_H
#define DPS_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_dev.h>
#include <rte_ether.h>
#include <rte_kvargs.h>
#include <rte_mempool.h>

#include "common/dps_err.h"
#include "fwd/fwd.h"
#include "l2/l2_table.h"
#include "worker/worker.h"

#define DPS_PORT_NAME_MAX 32
#define DPS_PORT_ARGS_MAX 512

/** A port as the CLI shows it. */
struct dps_port_info {
	char name[DPS_PORT_NAME_MAX];
	const char *kind;
	char args[DPS_PORT_ARGS_MAX];
	char devname[RTE_DEV_NAME_MAX_LEN];
	uint16_t port_id;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	bool rx_intr;			/**< its queues can wake a parked worker */
	bool link_up;
	uint32_t link_speed;		/**< Mbit/s, 0 if unknown */
	struct rte_ether_addr mac;
	struct fwd_port_cfg fwd;	/**< role, VLAN mode, xconnect peer, storm control */
	uint32_t mac_limit;		/**< 0: none */
	uint32_t macs_learned;		/**< learned addresses in the table */
	/** Offload requests its device takes (RTE_MBUF_F_TX_TCP_SEG, _L4_MASK, _IP_CKSUM). */
	uint64_t tx_offloads;
};

/** Port counters since the last clear. */
struct dps_port_stats {
	struct dps_port_counters c;
	uint64_t rx_missed;		/**< ethdev: no room in the rx ring */
	uint64_t rx_nombuf;		/**< ethdev: no mbuf to receive into */
	uint64_t rx_errors;
	uint64_t tx_errors;
};

/**
 * A port kind: a way to create a port's ethdev from "port add NAME KIND
 * ARGS", after validating ARGS. DPDK's own virtual devices are built in
 * (port_kind.c); a driver of this project adds its kind with
 * dps_port_kind_register().
 */
struct dps_port_kind {
	const char *name;
	/** vdev driver the ethdev comes from; NULL for PCI devices. */
	const char *driver;
	/** Keys the user may give (the driver's own devargs keys). */
	const char *const *keys;
	/** Keys of which at least one must be present, or NULL. */
	const char *const *required;
	/**
	 * "key=value" the driver gets when the user gives no such key (a safer
	 * default than the driver's own), or NULL.
	 */
	const char *default_arg;
	/** Kind-specific checks beyond the key list; 0 or -errno with @p err. */
	int (*check)(const char *port, struct rte_kvargs *kv, struct dps_err *err);
	/**
	 * The driver's link state says nothing about whether frames can be
	 * delivered, so the port is always treated as up. True for tap: its
	 * driver looks the interface up by name in our namespace and reports
	 * down once the interface is moved into another one, where it works.
	 */
	bool link_always_up;
	/**
	 * The driver's extended counters exist only while a peer is attached
	 * (link up): asked for or reset before, the driver logs an error.
	 * True for vhost (DPDK 22.11's net_vhost asks the vhost library about
	 * device -1).
	 */
	bool xstats_need_peer;
	/**
	 * The driver can raise rx interrupts (ethdev rx_intr_*), so a parked
	 * worker can sleep until traffic arrives. Tried for PCI devices too,
	 * where it depends on the NIC's driver; if the device refuses, the
	 * port is set up without them and its worker sleeps timed.
	 */
	bool rx_intr;
	/**
	 * Offload requests (mbuf RTE_MBUF_F_TX_TCP_SEG, _L4_MASK, _IP_CKSUM)
	 * the switch does itself for this kind's ports even when the device
	 * says it can: tap (DPDK 22.11's net_tap loses large frames), vhost
	 * (what the guest negotiated is not read yet). 0: trust the device.
	 */
	uint64_t tx_distrust;
	/** Rx queues the device will have, given its devargs; NULL: 1. */
	uint16_t (*nb_rxq)(struct rte_kvargs *kv);
	/**
	 * The port's trust domain (fwd_port_cfg.domain): non-zero when the
	 * frames it receives may lie in memory other ports' peers still
	 * write (a shared-ring trust group). NULL: 0, private memory.
	 */
	uint16_t (*domain)(uint16_t port_id);
};

/**
 * Add a port kind (before ports of it are added). @p kind must outlive the
 * registry. 0, -EEXIST (a kind of that name exists), -ENOSPC.
 */
int dps_port_kind_register(const struct dps_port_kind *kind);

/** Set up the registry with the mbuf pool and MAC table ports use. */
void dps_ports_init(struct rte_mempool *pool, struct l2_table *tbl);

/** The mbuf pool every port receives into. */
struct rte_mempool *dps_ports_pool(void);

/**
 * Create a port and add it to the bridge (access, VLAN 1).
 * @param kind  vhost, tap, af_packet, pcap, memif, ring, null, pci, or a
 *              registered kind (dps_port_kind_register(): shm)
 * @param args  devargs "key=value,..."; for pci "DOMAIN:BUS:DEV.FN[,devargs]"
 * @return 0; -EEXIST (name taken), -EINVAL (bad name, kind or devargs),
 *         -EADDRINUSE (socket in use), -ENODEV, -ENOSPC, or the driver's error
 */
int dps_port_add(const char *name, const char *kind, const char *args,
		 struct dps_err *err);

/** Remove a port; frames queued for it are dropped. -ENOENT if unknown. */
int dps_port_del(const char *name, struct dps_err *err);

/** Remove every port (shutdown). */
void dps_ports_del_all(void);

/** Port id of a port name, or -ENOENT. */
int dps_port_id(const char *name);

/** Name of port @p id, or NULL if it is not a switch port. */
const char *dps_port_name(uint16_t id);

/** Fill @p info for port @p id; -ENOENT if unknown. */
int dps_port_info(uint16_t id, struct dps_port_info *info);

/** Call @p cb for each port, in creation order; stops on non-zero. */
int dps_port_foreach(int (*cb)(uint16_t id, void *arg), void *arg);

unsigned int dps_port_count(void);

int dps_port_stats(uint16_t id, struct dps_port_stats *st);

/**
 * The driver's extended counters of port @p id (rte_eth_xstats): @p cb for
 * each, with its name and value. -ENOENT if unknown, -ENOMEM, or the
 * driver's error.
 */
int dps_port_xstats(uint16_t id, void (*cb)(const char *name, uint64_t value, void *arg),
		    void *arg);
int dps_port_stats_clear(uint16_t id);

/**
 * Probe pci port @p name's device again, calling @p between(arg) while it
 * is unplugged (to change what its PMD reads only at probe: a PF's VF
 * count), and restart it under the same name, queues and forwarding.
 * Returns what @p between returned; a device that does not come back
 * loses its port (said in @p err and the log).
 */
int dps_port_reprobe(const char *name, int (*between)(void *arg, struct dps_err *err),
		     void *arg, struct dps_err *err);

/**
 * Housekeeping on the control thread: re-read link state of every port
 * (LSC fallback), and set up again the ports whose driver reset them.
 */
void dps_ports_poll_link(void);

/** Cross-connect two bridge ports both ways; -EBUSY if either is taken. */
int dps_port_xconnect(const char *a, const char *b, struct dps_err *err);
/** Return a cross-connected pair to the bridge. */
int dps_port_xconnect_del(const char *name, struct dps_err *err);

/** Make a port an access port in @p vid (1..4094). */
int dps_port_vlan_access(const char *name, uint16_t vid, struct dps_err *err);
/** Make a port a trunk of @p vids; untagged frames go to @p native (0: drop). */
int dps_port_vlan_trunk(const char *name, const char *vids, uint16_t native,
			struct dps_err *err);

/**
 * At most @p limit addresses learned on a port (0: no limit); frames from
 * a new source beyond it are dropped (drops.mac_limit). -ENOENT.
 */
int dps_port_mac_limit(const char *name, uint32_t limit, struct dps_err *err);

/**
 * Storm control: flood at most @p pps frames a second of @p kind
 * ("broadcast", "multicast", "unknown-unicast") received on a port, per
 * worker polling it (0: no limit); the rest are dropped (drops.storm).
 */
int dps_port_storm(const char *name, const char *kind, uint32_t pps, struct dps_err *err);

/** Move rx queue @p queue of a port to the worker on @p lcore. */
int dps_port_rxq_assign(const char *name, uint16_t queue, unsigned int lcore,
			struct dps_err *err);

/** Kind names, for help and errors: "vhost, tap, ...". */
const char *dps_port_kind_list(void);

#endif /* DPS_PORT_H */
