/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port kinds (private to lib/port): how each kind turns "port add NAME KIND
 * ARGS" into a DPDK device string, after validating ARGS.
 */
#ifndef DPS_PORT_KIND_H
#define DPS_PORT_KIND_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_dev.h>
#include <rte_kvargs.h>

#include "common/dps_err.h"

struct port_kind {
	const char *name;
	/** vdev driver the ethdev comes from; NULL for PCI devices. */
	const char *driver;
	/** Keys the user may give (DPDK's own devargs keys for the driver). */
	const char *const *keys;
	/** Keys of which at least one must be present, or NULL. */
	const char *const *required;
	/** Kind-specific checks beyond the key list; 0 or -errno. */
	int (*check)(const char *port, struct rte_kvargs *kv, struct dps_err *err);
	/**
	 * The driver's link state says nothing about whether frames can be
	 * delivered, so the port is always treated as up. True for tap: its
	 * driver looks the interface up by name in our namespace and reports
	 * down once the interface is moved into another one, where it works.
	 */
	bool link_always_up;
	/**
	 * The driver can raise rx interrupts (ethdev rx_intr_*), so a parked
	 * worker can sleep until traffic arrives. Tried for PCI devices too,
	 * where it depends on the NIC's driver; if the device refuses, the
	 * port is set up without them and its worker sleeps timed.
	 */
	bool rx_intr;
	/** Rx queues the device will have, given its devargs. */
	uint16_t (*nb_rxq)(struct rte_kvargs *kv);
};

/** Find a kind by name, or NULL. */
const struct port_kind *port_kind_find(const char *name);

/** Comma-separated kind names. */
const char *port_kind_names(void);

/**
 * Validate @p args for @p kind and build the device string to probe:
 * "net_<driver>_<port>,args" for a vdev, "ADDR[,args]" for PCI.
 * On success *nb_rxq is the number of rx queues to configure.
 */
int port_kind_devargs(const struct port_kind *kind, const char *port,
		      const char *args, char *dev, size_t devlen,
		      char *devname, size_t namelen, uint16_t *nb_rxq,
		      struct dps_err *err);

#endif /* DPS_PORT_KIND_H */
