/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * SR-IOV virtual functions of a physical function: how many there are,
 * and each one's MAC, VLAN, spoof check, trust, link state and rate.
 *
 * The PF is either a pci port of the switch (its DPDK PMD does the VF
 * settings: ixgbe and i40e have per-VF calls; 22.11's igb has none) or a
 * netdev the kernel drives, named "netdev:IFNAME" (rtnetlink, as
 * `ip link set IFNAME vf N ...` does). An operation the PF cannot do
 * fails with one line naming the device and the operation. Control
 * thread only.
 */
#ifndef DPS_VF_H
#define DPS_VF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "common/dps_err.h"

/** The prefix naming a PF that stays with its kernel driver. */
#define DPS_VF_NETDEV_PREFIX "netdev:"

/** VFs a PF may have that `vf show` lists (ixgbe 63, igb 7, i40e 128). */
#define DPS_VF_MAX 128

/** What is known of one VF; -1 in an int field: the PF does not say. */
struct dps_vf_state {
	unsigned int index;
	char pci[32];			/**< its PCI address, "" if unknown */
	char driver[32];		/**< the kernel driver bound to it, "" none */
	char port[32];			/**< the switch port driving it, "" none */
	bool has_mac;
	struct rte_ether_addr mac;	/**< the MAC the PF gives it */
	int vlan;			/**< VLAN the PF tags its frames with, 0 none */
	int qos;
	int spoofchk;			/**< 0/1 */
	int trust;
	int link;			/**< 0 auto, 1 on, 2 off */
	int64_t max_rate;		/**< Mbit/s, 0 unlimited */
	bool has_stats;			/**< counters below are known */
	const char *stats_from;		/**< "pf" (the PF counts per VF) or "port" (the switch's) */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped, tx_dropped;
};

/** A PF's VFs as `vf show` lists them. */
struct dps_vf_list {
	char pf[48];			/**< the PF as named by the user */
	char device[160];		/**< "net_ixgbe 0000:03:00.0", "igb eth1 (0000:...)" */
	unsigned int total;		/**< VFs the device can have */
	unsigned int nb;		/**< VFs it has */
	struct dps_vf_state vf[DPS_VF_MAX];
};

/**
 * Give PF @p pf @p n VFs (0: remove them). A pci port is probed again
 * (its PMD reads the count only at probe), keeping its name and place in
 * forwarding; VFs a switch port still drives are refused.
 */
int dps_vf_create(const char *pf, unsigned int n, struct dps_err *err);

/**
 * Set @p what of VF @p vf of @p pf to @p value:
 * mac MAC | vlan VID (0: none) | spoofchk on|off | trust on|off |
 * link auto|on|off | rate MBPS (0: unlimited).
 */
int dps_vf_set(const char *pf, unsigned int vf, const char *what, const char *value,
	       struct dps_err *err);

/** What is known of @p pf's VFs, into @p out. */
int dps_vf_show(const char *pf, struct dps_vf_list *out, struct dps_err *err);

#endif /* DPS_VF_H */
