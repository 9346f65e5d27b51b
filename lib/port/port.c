/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port registry: adding a port (validate, probe, configure, start,
 * place its queues on workers), removing it, and what `port show` and
 * `port stats` read. A port's place in forwarding (cross-connect, VLANs,
 * which worker polls a queue) is port_fwd.c.
 */
#include "port.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "common/dps_log.h"
#include "port_kind.h"
#include "port_pci.h"
#include "port_priv.h"

RTE_LOG_REGISTER(dps_logtype_port, dpswitch.port, INFO);

#define RX_DESC 1024
#define TX_DESC 1024

struct port_registry port_reg;

void
dps_ports_init(struct rte_mempool *pool, struct l2_table *tbl)
{
	memset(&port_reg, 0, sizeof(port_reg));
	port_reg.pool = pool;
	port_reg.tbl = tbl;
}

struct rte_mempool *
dps_ports_pool(void)
{
	return port_reg.pool;
}

int
dps_port_id(const char *name)
{
	for (uint16_t i = 0; i < DPS_MAX_PORTS; i++)
		if (port_reg.p[i].in_use && strcmp(port_reg.p[i].name, name) == 0)
			return i;
	return -ENOENT;
}

const char *
dps_port_name(uint16_t id)
{
	return id < DPS_MAX_PORTS && port_reg.p[id].in_use ? port_reg.p[id].name : NULL;
}

unsigned int
dps_port_count(void)
{
	unsigned int n = 0;

	for (uint16_t i = 0; i < DPS_MAX_PORTS; i++)
		n += port_reg.p[i].in_use;
	return n;
}

const char *
dps_port_kind_list(void)
{
	return port_kind_names();
}

int
port_find(const char *name, struct dps_err *err)
{
	int id = dps_port_id(name);

	if (id < 0)
		return dps_err_set(err, -ENOENT, "no port named '%s'", name);
	return id;
}

static int
port_name_check(const char *name, struct dps_err *err)
{
	size_t len = strlen(name);

	if (len == 0 || len >= DPS_PORT_NAME_MAX)
		return dps_err_set(err, -EINVAL,
			"port name '%s' must be 1..%d characters", name,
			DPS_PORT_NAME_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
			return dps_err_set(err, -EINVAL,
				"port name '%s' may hold only letters, digits, '_' and '-'",
				name);
	if (dps_port_id(name) >= 0)
		return dps_err_set(err, -EEXIST, "port name '%s' is already taken", name);
	return 0;
}

void
port_update_link(uint16_t id)
{
	struct rte_eth_link link;

	if (port_reg.p[id].in_use && port_reg.p[id].restarting)
		dps_link_set(id, false);
	else if (port_reg.p[id].in_use && port_reg.p[id].kind->link_always_up)
		dps_link_set(id, true);
	else if (rte_eth_link_get_nowait(id, &link) == 0)
		dps_link_set(id, link.link_status == RTE_ETH_LINK_UP);
}

static int
port_lsc_event(uint16_t id, enum rte_eth_event_type type __rte_unused,
	       void *arg __rte_unused, void *ret __rte_unused)
{
	if (id < DPS_MAX_PORTS)
		port_update_link(id);
	/*
	 * A vhost device that (re)connects starts with guest notifications
	 * off, so a worker parked on it would never be kicked: wake the
	 * workers, and they re-enable notifications when they park again.
	 */
	dps_workers_wake();
	return 0;
}

/*
 * The driver says the device was reset under it (a VF whose PF changed
 * its MAC, VLAN or queues, a PF reset): ethdev wants rte_eth_dev_reset()
 * and the port configured again. Runs on the interrupt thread: the
 * control thread does it (dps_ports_poll_link).
 */
int
port_reset_event(uint16_t id, enum rte_eth_event_type type __rte_unused,
		 void *arg __rte_unused, void *ret __rte_unused)
{
	if (id < DPS_MAX_PORTS)
		__atomic_fetch_or(&port_reg.reset_pending, UINT64_C(1) << id, __ATOMIC_RELAXED);
	return 0;
}

void
dps_ports_poll_link(void)
{
	port_resets_serve();
	for (uint16_t i = 0; i < DPS_MAX_PORTS; i++)
		if (port_reg.p[i].in_use)
			port_update_link(i);
}

/* Configure the queues and start. */
static int
port_setup(uint16_t id, const struct rte_eth_conf *conf, uint16_t nb_rxq,
	   uint16_t nb_txq)
{
	uint16_t nb_rx = RX_DESC, nb_tx = TX_DESC;
	int rc;

	rc = rte_eth_dev_configure(id, nb_rxq, nb_txq, conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rx, &nb_tx);
	for (uint16_t q = 0; rc == 0 && q < nb_rxq; q++)
		rc = rte_eth_rx_queue_setup(id, q, nb_rx, rte_eth_dev_socket_id(id),
					    NULL, port_reg.pool);
	for (uint16_t q = 0; rc == 0 && q < nb_txq; q++)
		rc = rte_eth_tx_queue_setup(id, q, nb_tx, rte_eth_dev_socket_id(id), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(id);
	return rc;
}

/* Every rx queue has an interrupt fd that a worker can wait on. */
static bool
port_has_rx_intr(uint16_t id, uint16_t nb_rxq)
{
	for (uint16_t q = 0; q < nb_rxq; q++)
		if (rte_eth_dev_rx_intr_ctl_q_get_fd(id, q) < 0)
			return false;
	return true;
}

/*
 * The tx offloads a frame may ask of the port (large TCP frames cut into
 * segments, checksums completed: frames from vtap and vhost ports carry
 * such requests) that the device has: configured, and remembered as the
 * mbuf flags it honours (struct dps_dp_config's tx_ok). The worker does
 * the rest itself (lib/worker/worker_offload.c).
 */
static void
port_tx_offloads(uint16_t id, const struct rte_eth_dev_info *info, struct rte_eth_conf *conf,
		 struct port_entry *pe)
{
	uint64_t capa = info->tx_offload_capa, no = pe->kind->tx_distrust;
	uint64_t l4 = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	uint16_t mtu = RTE_ETHER_MTU;

	pe->tx_ok = 0;
	conf->txmode.offloads = capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (no & RTE_MBUF_F_TX_TCP_SEG)
		capa &= ~RTE_ETH_TX_OFFLOAD_TCP_TSO;
	if (no & RTE_MBUF_F_TX_L4_MASK)
		capa &= ~(l4 | RTE_ETH_TX_OFFLOAD_TCP_TSO);
	if (no & RTE_MBUF_F_TX_IP_CKSUM)
		capa &= ~RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if ((capa & l4) == l4) {
		conf->txmode.offloads |= l4;
		pe->tx_ok |= RTE_MBUF_F_TX_L4_MASK;
		if (capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) {
			conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
			pe->tx_ok |= RTE_MBUF_F_TX_TCP_SEG;
		}
	}
	if (capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		pe->tx_ok |= RTE_MBUF_F_TX_IP_CKSUM;
	}
	rte_eth_dev_get_mtu(id, &mtu);
	pe->gso_size = (uint16_t)(RTE_MIN(mtu, (uint16_t)9000) + RTE_ETHER_HDR_LEN);
}

/*
 * port_setup(), and again with less when the device refuses what was
 * asked and can do without: several queues (igb while its SR-IOV is on
 * takes one rx queue, without RSS, and one tx queue), then rx interrupts.
 * Each step down is logged.
 */
static int
port_setup_fallback(uint16_t id, struct rte_eth_conf *conf, uint16_t *nb_rxq,
		    uint16_t *nb_txq, const char *name)
{
	int rc = port_setup(id, conf, *nb_rxq, *nb_txq);

	if (rc != 0 && (*nb_rxq > 1 || *nb_txq > 1)) {
		DPS_LOG(port, NOTICE, "port %s: the device refused %u rx queues%s and %u tx "
			"queues (%s): 1 of each", name, *nb_rxq, *nb_rxq > 1 ? " spread by RSS" : "",
			*nb_txq, rte_strerror(-rc));
		*nb_rxq = *nb_txq = 1;
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		conf->rx_adv_conf.rss_conf.rss_hf = 0;
		rc = port_setup(id, conf, *nb_rxq, *nb_txq);
	}
	if (rc != 0 && conf->intr_conf.rxq) {
		DPS_LOG(port, NOTICE, "port %s: the device refused rx interrupts (%s); "
			"its worker will sleep timed when idle", name, rte_strerror(-rc));
		conf->intr_conf.rxq = 0;
		rc = port_setup(id, conf, *nb_rxq, *nb_txq);
	}
	return rc;
}

/* Configure queues and start: nb_rxq from the kind, one txq per worker. */
int
port_start(uint16_t id, uint16_t nb_rxq, struct port_entry *pe,
	   struct dps_err *err)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nb_txq;
	int rc;

	rc = rte_eth_dev_info_get(id, &info);
	if (rc != 0)
		return dps_err_set(err, rc, "port '%s': cannot read device info: %s",
				   pe->name, rte_strerror(-rc));
	nb_rxq = RTE_MIN(nb_rxq, info.max_rx_queues);
	nb_txq = RTE_MIN((uint16_t)dps_worker_count(), info.max_tx_queues);
	if (nb_rxq == 0 || nb_txq == 0)
		return dps_err_set(err, -EINVAL, "port '%s': device has no queues",
				   pe->name);
	port_tx_offloads(id, &info, &conf, pe);
	if (nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	if (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) {
		conf.intr_conf.lsc = 1;
		rc = rte_eth_dev_callback_register(id, RTE_ETH_EVENT_INTR_LSC,
						   port_lsc_event, NULL);
		if (rc != 0)
			return dps_err_set(err, rc, "port '%s': cannot watch its link: %s",
					   pe->name, rte_strerror(-rc));
	}
	/* Not every driver raises it; those that do say the device was reset. */
	rte_eth_dev_callback_register(id, RTE_ETH_EVENT_INTR_RESET, port_reset_event, NULL);
	conf.intr_conf.rxq = pe->rx_intr_want;
	rc = port_setup_fallback(id, &conf, &nb_rxq, &nb_txq, pe->name);
	if (rc != 0)
		return dps_err_set(err, rc, "port '%s': cannot start device: %s",
				   pe->name, rte_strerror(-rc));
	/* A switch port must see every destination MAC; vhost has no filter. */
	rc = rte_eth_promiscuous_enable(id);
	if (rc != 0 && rc != -ENOTSUP)
		DPS_LOG(port, WARNING, "port %s: promiscuous mode: %s", pe->name,
			rte_strerror(-rc));
	pe->nb_rxq = nb_rxq;
	pe->nb_txq = nb_txq;
	pe->rx_intr = conf.intr_conf.rxq && port_has_rx_intr(id, nb_rxq);
	return 0;
}

/* Spread rx queues over workers, each to the least loaded one. */
void
port_dp_assign(struct dps_dp_config *dp, uint16_t id, uint16_t nb_rxq,
	       uint16_t nb_txq, bool intr)
{
	unsigned int nw = dps_worker_count();

	for (uint16_t q = 0; q < nb_rxq; q++) {
		unsigned int best = 0;

		for (unsigned int w = 1; w < nw; w++)
			if (dp->nb_rxq[w] < dp->nb_rxq[best])
				best = w;
		if (dp->nb_rxq[best] >= DPS_MAX_RXQ_PER_WORKER)
			continue;
		dp->rxq[best][dp->nb_rxq[best]++] = (struct dps_rxq_ref){ id, q, intr };
	}
	for (unsigned int w = 0; w < nw; w++)
		dp->txq[id][w] = w % nb_txq;
	dp->txq_shared[id] = nb_txq < nw;
	dp->tx_ok[id] = port_reg.p[id].tx_ok;
	dp->gso_size[id] = port_reg.p[id].gso_size;
}

void
port_dp_unassign(struct dps_dp_config *dp, uint16_t id)
{
	for (unsigned int w = 0; w < dps_worker_count(); w++) {
		uint16_t k = 0;

		for (uint16_t i = 0; i < dp->nb_rxq[w]; i++)
			if (dp->rxq[w][i].port != id)
				dp->rxq[w][k++] = dp->rxq[w][i];
		dp->nb_rxq[w] = k;
	}
}

/* The device a port's ethdev was made from, to hot-unplug it. */
void
port_release(uint16_t id, bool started)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(id, &info) == 0)
		dev = info.device;
	rte_eth_dev_callback_unregister(id, RTE_ETH_EVENT_INTR_LSC, port_lsc_event, NULL);
	rte_eth_dev_callback_unregister(id, RTE_ETH_EVENT_INTR_RESET, port_reset_event, NULL);
	if (started)
		rte_eth_dev_stop(id);
	rte_eth_dev_close(id);
	if (dev != NULL && rte_dev_remove(dev) != 0)
		DPS_LOG(port, WARNING, "port %u: device could not be removed", id);
}

/*
 * A second function of one NIC (a PF and its VF, two VFs): say once what
 * the bridge does with them (fwd.h, nic: split horizon) and what is left
 * to the user.
 */
static void
port_same_nic_note(const struct dps_dp_config *dp, uint16_t id)
{
	uint64_t nic = dp->fwd.port[id].nic;

	for (uint16_t q = 0; q < DPS_MAX_PORTS && nic != 0; q++) {
		if (q == id || !port_reg.p[q].in_use || dp->fwd.port[q].nic != nic)
			continue;
		DPS_LOG(port, NOTICE, "port %s: a function of the same NIC as port %s: the NIC "
			"forwards between them itself, the bridge never does (split horizon); in "
			"one VLAN a flood reaches that NIC once per function: cross-connect the "
			"VF, or give it a VLAN of its own", port_reg.p[id].name, port_reg.p[q].name);
		return;
	}
}

/*
 * A device that already has an ethdev. EAL probes the PCI devices it is
 * allowed at start-up (-a, or every bound one without an allow-list), so
 * a pci port adopts an ethdev no port uses, as it is; with devargs of its
 * own, the device is probed again with them. Anything else is in use.
 */
static int
port_adopt(const struct dps_port_kind *kind, const char *name, const char *devname,
	   const char *dev, uint16_t id, struct dps_err *err)
{
	struct rte_eth_dev_info info;
	int rc;

	if (dps_port_name(id) != NULL)
		return dps_err_set(err, -EBUSY, "port '%s': device %s is already switch port "
				   "'%s'", name, devname, dps_port_name(id));
	/* Only EAL's own probing leaves an ethdev that is no port's. */
	if (kind->driver != NULL)
		return dps_err_set(err, -EBUSY, "port '%s': device %s is already in use",
				   name, devname);
	if (strcmp(dev, devname) == 0)
		return 0;	/* as EAL probed it */
	rc = rte_eth_dev_info_get(id, &info);
	if (rc == 0)
		rc = rte_dev_remove(info.device);
	if (rc == 0)
		rc = rte_dev_probe(dev);
	if (rc != 0)
		return dps_err_set(err, rc, "port '%s': cannot probe %s again with its devargs "
				   "(%s)", name, devname, rte_strerror(-rc));
	return 0;
}

int
dps_port_add(const char *name, const char *kind_name, const char *args,
	     struct dps_err *err)
{
	const struct dps_port_kind *kind;
	char dev[DPS_PORT_ARGS_MAX + RTE_DEV_NAME_MAX_LEN];
	struct port_entry pe = { 0 };
	struct dps_dp_config *dp;
	struct port_want want = { 1, false };
	uint16_t id;
	int rc;

	rc = port_name_check(name, err);
	if (rc != 0)
		return rc;
	kind = port_kind_find(kind_name);
	if (kind == NULL)
		return dps_err_set(err, -EINVAL, "unknown port kind '%s' (valid: %s)",
				   kind_name, port_kind_names());
	if (args == NULL)
		args = "";
	if (strlen(args) >= DPS_PORT_ARGS_MAX)
		return dps_err_set(err, -E2BIG, "port '%s': devargs longer than %d bytes",
				   name, DPS_PORT_ARGS_MAX - 1);
	rc = port_kind_devargs(kind, name, args, dev, sizeof(dev), pe.devname,
			       sizeof(pe.devname), &want, err);
	if (rc != 0)
		return rc;
	/* What is shown or logged of the devargs: never a secret. */
	port_args_redact(args, pe.args, sizeof(pe.args));
	if (rte_eth_dev_get_port_by_name(pe.devname, &id) == 0) {
		rc = port_adopt(kind, name, pe.devname, dev, id, err);
		if (rc != 0)
			return rc;
	} else {
		rc = rte_dev_probe(dev);
		if (rc != 0 && kind->driver == NULL) {
			int why = port_pci_probe_failed(name, pe.devname, err);

			if (why != 0)
				return why;
		}
	}
	if (rc != 0 || rte_eth_dev_get_port_by_name(pe.devname, &id) != 0)
		return dps_err_set(err, rc ? rc : -ENODEV,
			"port '%s': %s driver rejected '%s' (%s; see the log above)",
			name, kind->name, pe.args, rte_strerror(rc ? -rc : ENODEV));
	if (id >= DPS_MAX_PORTS) {
		port_release(id, false);
		return dps_err_set(err, -ENOSPC, "port '%s': no free port slot (max %d)",
				   name, DPS_MAX_PORTS);
	}
	snprintf(pe.name, sizeof(pe.name), "%s", name);
	snprintf(pe.dev, sizeof(pe.dev), "%s", dev);
	pe.nb_rxq_want = want.nb_rxq;
	pe.rx_intr_want = want.rx_intr;
	pe.kind = kind;
	rc = port_start(id, want.nb_rxq, &pe, err);
	if (rc != 0) {
		port_release(id, false);
		return rc;
	}
	pe.in_use = true;
	pe.seq = port_reg.next_seq++;
	/* Counters of an earlier port with this id start from here. */
	dps_port_counters_sum(id, &pe.base);
	port_reg.p[id] = pe;
	port_update_link(id);

	dp = dps_dp_draft();
	/* Nothing of an earlier port with this id: no storm control, no MAC limit. */
	memset(&dp->fwd.port[id], 0, sizeof(dp->fwd.port[id]));
	fwd_port_bridge_default(&dp->fwd.port[id]);
	dp->fwd.port[id].domain = kind->domain != NULL ? kind->domain(id) : 0;
	dp->fwd.port[id].nic = kind->driver == NULL ? port_pci_nic(pe.devname) : 0;
	port_same_nic_note(dp, id);
	l2_table_set_limit(port_reg.tbl, id, 0);
	port_dp_assign(dp, id, pe.nb_rxq, pe.nb_txq, pe.rx_intr);
	rc = dps_dp_commit();
	DPS_LOG(port, INFO, "port %s added: %s %s (ethdev %u, %u rxq, %u txq, "
		"rx interrupts %s)", name, kind->name, pe.args, id, pe.nb_rxq, pe.nb_txq,
		pe.rx_intr ? "yes" : "no");
	return rc;
}

void
port_remove(uint16_t id)
{
	struct dps_dp_config *dp = dps_dp_draft();
	struct port_entry *pe = &port_reg.p[id];

	for (uint16_t i = 0; i < DPS_MAX_PORTS; i++) {
		if (dp->fwd.port[i].role == FWD_ROLE_XCONNECT &&
		    dp->fwd.port[i].xc_peer == id) {
			DPS_LOG(port, NOTICE, "port %s returns to the bridge: its "
				"cross-connect peer %s is gone", port_reg.p[i].name, pe->name);
			fwd_port_bridge_default(&dp->fwd.port[i]);
		}
	}
	dp->fwd.port[id].role = FWD_ROLE_NONE;
	port_dp_unassign(dp, id);
	dps_link_set(id, false);
	/* After the commit no worker polls, or holds frames for, this port. */
	dps_dp_commit();
	l2_table_purge_port(port_reg.tbl, id);
	port_release(id, true);
	DPS_LOG(port, INFO, "port %s removed", pe->name);
	memset(pe, 0, sizeof(*pe));
}

int
dps_port_del(const char *name, struct dps_err *err)
{
	int id = port_find(name, err);

	if (id < 0)
		return id;
	port_remove((uint16_t)id);
	return 0;
}

void
dps_ports_del_all(void)
{
	for (uint16_t i = 0; i < DPS_MAX_PORTS; i++)
		if (port_reg.p[i].in_use)
			port_remove(i);
}

int
dps_port_info(uint16_t id, struct dps_port_info *info)
{
	const struct port_entry *pe;
	struct rte_eth_link link;

	if (id >= DPS_MAX_PORTS || !port_reg.p[id].in_use)
		return -ENOENT;
	pe = &port_reg.p[id];
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", pe->name);
	snprintf(info->args, sizeof(info->args), "%s", pe->args);
	snprintf(info->devname, sizeof(info->devname), "%s", pe->devname);
	info->kind = pe->kind->name;
	info->port_id = id;
	info->nb_rxq = pe->nb_rxq;
	info->nb_txq = pe->nb_txq;
	info->rx_intr = pe->rx_intr;
	info->link_up = (dps_link_mask() >> id) & 1;
	if (rte_eth_link_get_nowait(id, &link) == 0) {
		info->link_speed = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ?
			0 : link.link_speed;
	}
	rte_eth_macaddr_get(id, &info->mac);
	info->fwd = dps_dp_draft()->fwd.port[id];
	info->mac_limit = l2_table_get_limit(port_reg.tbl, id);
	info->macs_learned = l2_table_learned(port_reg.tbl, id);
	info->tx_offloads = pe->tx_ok;
	return 0;
}

int
dps_port_foreach(int (*cb)(uint16_t id, void *arg), void *arg)
{
	uint64_t done = 0;

	/* Creation order, so listings read the way ports were configured. */
	for (;;) {
		int best = -1;
		int rc;

		for (uint16_t i = 0; i < DPS_MAX_PORTS; i++)
			if (port_reg.p[i].in_use && !((done >> i) & 1) &&
			    (best < 0 || port_reg.p[i].seq < port_reg.p[best].seq))
				best = i;
		if (best < 0)
			return 0;
		done |= UINT64_C(1) << best;
		rc = cb((uint16_t)best, arg);
		if (rc != 0)
			return rc;
	}
}

int
dps_port_stats(uint16_t id, struct dps_port_stats *st)
{
	struct rte_eth_stats es;
	const uint64_t *base;
	uint64_t *cur;

	if (id >= DPS_MAX_PORTS || !port_reg.p[id].in_use)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	dps_port_counters_sum(id, &st->c);
	base = (const uint64_t *)&port_reg.p[id].base;
	cur = (uint64_t *)&st->c;
	for (size_t k = 0; k < sizeof(st->c) / sizeof(uint64_t); k++)
		cur[k] -= base[k];
	if (rte_eth_stats_get(id, &es) == 0) {
		st->rx_missed = es.imissed;
		st->rx_nombuf = es.rx_nombuf;
		st->rx_errors = es.ierrors;
		st->tx_errors = es.oerrors;
	}
	return 0;
}

/* Has the driver extended counters to show or reset now? */
static bool
port_xstats_exist(uint16_t id)
{
	return !port_reg.p[id].kind->xstats_need_peer || ((dps_link_mask() >> id) & 1);
}

int
dps_port_xstats(uint16_t id, void (*cb)(const char *name, uint64_t value, void *arg),
		void *arg)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, rc;

	if (id >= DPS_MAX_PORTS || !port_reg.p[id].in_use)
		return -ENOENT;
	if (!port_xstats_exist(id))
		return 0;		/* none until a peer comes */
	n = rte_eth_xstats_get_names(id, NULL, 0);
	if (n <= 0)
		return n;
	names = calloc((size_t)n, sizeof(*names));
	vals = calloc((size_t)n, sizeof(*vals));
	rc = -ENOMEM;
	if (names == NULL || vals == NULL)
		goto out;
	rc = rte_eth_xstats_get_names(id, names, (unsigned int)n);
	if (rc == n)
		rc = rte_eth_xstats_get(id, vals, (unsigned int)n);
	if (rc != n) {
		rc = rc < 0 ? rc : -EAGAIN;
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (vals[i].id < (uint64_t)n)
			cb(names[vals[i].id].name, vals[i].value, arg);
	rc = 0;
out:
	free(names);
	free(vals);
	return rc;
}

int
dps_port_stats_clear(uint16_t id)
{
	if (id >= DPS_MAX_PORTS || !port_reg.p[id].in_use)
		return -ENOENT;
	dps_port_counters_sum(id, &port_reg.p[id].base);
	rte_eth_stats_reset(id);
	if (port_xstats_exist(id))
		rte_eth_xstats_reset(id);	/* a new peer's start at 0 anyway */
	return 0;
}
