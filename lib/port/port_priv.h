/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to lib/port: the registry that port.c keeps and port_fwd.c reads. */
#ifndef DPS_PORT_PRIV_H
#define DPS_PORT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "port.h"

struct port_entry {
	bool in_use;
	char name[DPS_PORT_NAME_MAX];
	const struct dps_port_kind *kind;
	char args[DPS_PORT_ARGS_MAX];
	char devname[RTE_DEV_NAME_MAX_LEN];
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
};

extern struct port_registry port_reg;

/** Port id of @p name, or -ENOENT with "no port named ..." in @p err. */
int port_find(const char *name, struct dps_err *err);

#endif /* DPS_PORT_PRIV_H */
