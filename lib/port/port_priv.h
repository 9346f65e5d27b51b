/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to lib/port: the registry that port.c keeps and port_fwd.c reads. */
#ifndef DPS_PORT_PRIV_H
#define DPS_PORT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>

#include "port.h"

struct port_entry {
	bool in_use;
	char name[DPS_PORT_NAME_MAX];
	const struct dps_port_kind *kind;
	char args[DPS_PORT_ARGS_MAX];
	char devname[RTE_DEV_NAME_MAX_LEN];
	char dev[DPS_PORT_ARGS_MAX + RTE_DEV_NAME_MAX_LEN];	/* what was probed */
	uint16_t nb_rxq_want;		/* rx queues asked for (devargs) */
	bool rx_intr_want;		/* try rx interrupts (kind, or rx-intr=) */
	bool restarting;		/* port_restart.c: its link stays down */
	uint64_t tx_ok;			/* mbuf tx offload requests it honours */
	uint16_t gso_size;		/* its largest frame, for the worker's GSO */
	uint64_t seq;			/* creation order */
	uint16_t nb_rxq;
	uint16_t nb_txq;
	bool rx_intr;			/* every rx queue can wake its worker */
	struct dps_port_counters base;	/* subtracted: "port clear" */
};

struct port_registry {
	struct port_entry p[DPS_MAX_PORTS];	/* indexed by ethdev port id */
	struct rte_mempool *pool;
	struct l2_table *tbl;
	uint64_t next_seq;
	/* Ports whose driver asked for a reset (RTE_ETH_EVENT_INTR_RESET). */
	uint64_t reset_pending;		/* __atomic */
};

extern struct port_registry port_reg;

/** Port id of @p name, or -ENOENT with "no port named ..." in @p err. */
int port_find(const char *name, struct dps_err *err);

/* port.c: the steps of adding and removing a port, for port_restart.c. */
/** Configure @p pe's device (id) with nb_rxq rx queues and start it. */
int port_start(uint16_t id, uint16_t nb_rxq, struct port_entry *pe, struct dps_err *err);
/** Stop (if @p started), close and hot-unplug the device of port @p id. */
void port_release(uint16_t id, bool started);
/** Give port @p id's rx queues to workers, and its tx queues, in @p dp. */
void port_dp_assign(struct dps_dp_config *dp, uint16_t id, uint16_t nb_rxq, uint16_t nb_txq,
		    bool intr);
/** Take port @p id's rx queues from every worker in @p dp. */
void port_dp_unassign(struct dps_dp_config *dp, uint16_t id);
/** Read port @p id's link into the data path's link mask. */
void port_update_link(uint16_t id);
/** Remove port @p id altogether (port del). */
void port_remove(uint16_t id);
/** RTE_ETH_EVENT_INTR_RESET: marks the port for port_resets_serve(). */
int port_reset_event(uint16_t id, enum rte_eth_event_type type, void *arg, void *ret);

/* port_restart.c */
/** Restart the ports whose driver asked for a reset (control thread). */
void port_resets_serve(void);
/**
 * Probe port @p id's device again with what it was probed with, calling
 * @p between(arg) while it is gone (the device's configuration changes
 * under it: a PF's VF count), and restart it as it was. Returns what
 * @p between returned; if the device does not come back the port is
 * removed, said in @p err (when between succeeded) and in the log.
 */
int port_reprobe(uint16_t id, int (*between)(void *arg, struct dps_err *err), void *arg,
		 struct dps_err *err);

#endif /* DPS_PORT_PRIV_H */
