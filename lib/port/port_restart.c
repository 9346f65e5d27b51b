/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Restarting a port's device under the same name, queues and place in
 * forwarding: after its driver reset it (RTE_ETH_EVENT_INTR_RESET: a VF
 * whose PF changed its configuration), and when a PF is probed again
 * because its VF count changed (its PMD reads the count only at probe:
 * vf create).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "common/dps_log.h"
#include "port_priv.h"

/* No worker polls port @p id or sends to it once this returns. */
static void
port_quiesce(uint16_t id)
{
	struct dps_dp_config *dp = dps_dp_draft();

	port_reg.p[id].restarting = true;	/* link events must not raise it */
	port_dp_unassign(dp, id);
	dps_link_set(id, false);
	dps_dp_commit();
}

/* Configure and start the device again, and give its queues back. */
static int
port_resume(uint16_t id, struct dps_err *err)
{
	struct port_entry *pe = &port_reg.p[id];
	struct dps_dp_config *dp;
	int rc;

	rc = port_start(id, pe->nb_rxq_want, pe, err);
	if (rc != 0)
		return rc;
	pe->restarting = false;
	dp = dps_dp_draft();
	port_dp_assign(dp, id, pe->nb_rxq, pe->nb_txq, pe->rx_intr);
	rc = dps_dp_commit();
	port_update_link(id);
	return rc;
}

int
port_reprobe(uint16_t id, int (*between)(void *arg, struct dps_err *err), void *arg,
	     struct dps_err *err)
{
	struct port_entry *pe = &port_reg.p[id];
	struct dps_err why = { "" };
	uint16_t nid;
	int rc, brc;

	port_quiesce(id);
	port_release(id, true);
	brc = between(arg, err);
	rc = rte_dev_probe(pe->dev);
	if (rc == 0 && rte_eth_dev_get_port_by_name(pe->devname, &nid) != 0)
		rc = -ENODEV;
	if (rc == 0 && nid != id) {
		/* Forwarding knows the port by its ethdev id: it cannot move. */
		port_release(nid, false);
		rc = -EXDEV;
	}
	if (rc == 0)
		rc = port_resume(id, &why);
	else
		dps_err_set(&why, rc, "%s", rte_strerror(-rc));
	if (rc != 0) {
		char name[DPS_PORT_NAME_MAX], devname[RTE_DEV_NAME_MAX_LEN];

		snprintf(name, sizeof(name), "%s", pe->name);
		snprintf(devname, sizeof(devname), "%s", pe->devname);
		port_remove(id);
		DPS_LOG(port, ERR, "port %s removed: device %s did not come back: %s", name,
			devname, why.msg);
		if (brc == 0)
			return dps_err_set(err, rc, "port '%s' removed: device %s did not come "
					   "back after the change: %s", name, devname, why.msg);
	}
	return brc;
}

/* The driver reset port @p id's device: set it up again. */
static void
port_reset_one(uint16_t id)
{
	struct port_entry *pe = &port_reg.p[id];
	struct dps_err err = { "" };
	int rc;

	port_quiesce(id);
	rc = rte_eth_dev_reset(id);
	if (rc == 0)
		rc = port_resume(id, &err);
	else
		dps_err_set(&err, rc, "rte_eth_dev_reset: %s", rte_strerror(-rc));
	if (rc == 0)
		DPS_LOG(port, NOTICE, "port %s: its driver reset the device (a PF changed it): "
			"configured and started again", pe->name);
	else
		DPS_LOG(port, ERR, "port %s: its driver reset the device, and it did not come "
			"back (%s): it stays down; port del it", pe->name, err.msg);
}

void
port_resets_serve(void)
{
	uint64_t todo = __atomic_exchange_n(&port_reg.reset_pending, 0, __ATOMIC_RELAXED);

	for (uint16_t id = 0; todo != 0 && id < DPS_MAX_PORTS; id++, todo >>= 1)
		if ((todo & 1) && port_reg.p[id].in_use)
			port_reset_one(id);
}

int
dps_port_reprobe(const char *name, int (*between)(void *arg, struct dps_err *err), void *arg,
		 struct dps_err *err)
{
	int id = port_find(name, err);

	if (id < 0)
		return id;
	if (port_reg.p[id].kind->driver != NULL)
		return dps_err_set(err, -EINVAL, "port '%s' is a %s port, not a PCI function",
				   name, port_reg.p[id].kind->name);
	return port_reprobe((uint16_t)id, between, arg, err);
}
