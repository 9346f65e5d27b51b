/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw: a vdev ethdev that attaches a DPDK application to a dpswitch
 * shared-ring port over the port's unix socket (docs/shm-protocol.md,
 * "Attaching"; drivers/net/dpsw/README.md). This file is the vdev's
 * transport (struct dpsw_transport): probe and remove, the rx interrupts
 * (each queue's waiter), start, stop and close; the ethdev ops are
 * dpsw_ethdev.c's, attaching and the link dpsw_ctl.c's.
 *
 * Probe attaches (so the granted queue pairs are known before the
 * application configures the port) and close detaches. When the switch
 * goes, the link goes down and the device attaches again when the switch
 * is back (dpsw_ctl.c; reconnect-ms=0: never): the queues move onto the
 * new region and doorbells once no burst runs, so a burst never touches
 * unmapped memory.
 */
#include <errno.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>

#include "../common/pmd_intr.h"
#include "dpsw.h"

/* ---- rx interrupts: each queue's waiter (the DPSR_DB_PEER_RX doorbell) ---- */

static void
dpsw_waiters_close(struct dpsw_dev *p)
{
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		dpsr_waiter_close(&p->rxq[q].waiter);
}

/* As DPDK's vhost PMD: queue q's efd is its waiter (an epoll set holding
 * the switch's doorbell and our self-ring). */
static int
dpsw_intr_install(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	int fds[RTE_MAX_QUEUES_PER_PORT];

	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		fds[q] = p->rxq[q].waiter.ep;
	return pmd_rx_intr_install(dev, fds, dev->data->nb_rx_queues);
}

/* ---- the transport ---- */

/* Attached since probe (or not, while the switch is away): interrupts only. */
static int
dpsw_vdev_start(struct rte_eth_dev *dev)
{
	int rc;

	/* Set up here, where the rx queues are known; dev_stop takes it down. */
	if (dev->data->dev_conf.intr_conf.rxq && dev->intr_handle == NULL) {
		rc = dpsw_intr_install(dev);
		if (rc != 0) {
			DPSW_LOG(ERR, "%s: cannot set up rx interrupts: %s",
				 dev->data->name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
dpsw_vdev_stop(struct rte_eth_dev *dev)
{
	pmd_rx_intr_uninstall(dev);
}

static void
dpsw_vdev_close(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;

	pmd_rx_intr_uninstall(dev);
	dpsw_ctl_stop(dev);		/* no more tries to attach again */
	__atomic_store_n(&p->attached, 0, __ATOMIC_RELEASE);
	dpsw_waiters_close(p);
	dpsw_zc_retire(p);		/* frames held in place keep the mapping */
	dpsr_client_detach(&p->sock.c);	/* unmaps, closes the doorbells and the socket */
	DPSW_LOG(INFO, "%s: detached from '%s'", dev->data->name, p->sock.args.path);
	memset(p->sock.args.secret, 0, sizeof(p->sock.args.secret));
}

static const struct dpsw_transport dpsw_vdev_transport = {
	.start = dpsw_vdev_start,
	.stop = dpsw_vdev_stop,
	.close = dpsw_vdev_close,
};

/* ---- probe and remove ---- */

/*
 * Queue pair q: rings 2 (base + q) and 2 (base + q) + 1, doorbells 4q..
 * (docs, "Attaching"); each rx queue sleeps on a waiter of its own, which
 * outlives attaches.
 */
static int
dpsw_queues_init(struct dpsw_dev *p)
{
	int rc = 0;

	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		p->rxq[q].waiter = DPSW_WAITER_NONE;
	for (uint32_t q = 0; q < p->nb_qpairs && rc == 0; q++)
		rc = dpsr_waiter_open(&p->rxq[q].waiter);
	if (rc == 0)
		rc = dpsw_queues_bind(p);
	if (rc != 0)
		dpsw_waiters_close(p);
	return rc;
}

/* Undo a probe that has allocated @p dev: nothing of the attach is left. */
static void
dpsw_probe_undo(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;

	memset(&p->sock.args, 0, sizeof(p->sock.args));	/* the secret */
	dpsw_zc_retire(p);
	dpsr_client_detach(&p->sock.c);
	dev->data->mac_addrs = NULL;
	rte_eth_dev_release_port(dev);
}

static int
dpsw_probe(struct rte_vdev_device *vdev)
{
	struct dpsw_args a = { .name = rte_vdev_device_name(vdev), .qpairs = 1,
			       .reconnect_ms = DPSW_RECONNECT_MS_DEFAULT,
			       .copy_break = DPSW_COPY_BREAK_DEFAULT };
	struct rte_eth_dev *dev;
	struct dpsr_client c;
	struct dpsw_dev *p;
	int rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		DPSW_LOG(ERR, "%s: secondary processes are not supported: the attach "
			 "(region, doorbells, socket) belongs to one process", a.name);
		return -ENOTSUP;
	}
	rc = dpsw_args_parse(rte_vdev_device_args(vdev), DPSW_KIND_VDEV, &a);
	if (rc != 0)
		return rc;
	rc = dpsw_attach(&a, &c);
	if (rc != 0)
		return rc;
	dev = rte_eth_vdev_allocate(vdev, sizeof(*p));
	if (dev == NULL) {
		DPSW_LOG(ERR, "%s: cannot allocate the ethdev", a.name);
		dpsr_client_detach(&c);
		return -ENOMEM;
	}
	p = dev->data->dev_private;
	p->sock.c = c;
	p->sock.args = a;
	p->zc_want = a.zero_copy;
	p->copy_break = a.copy_break;
	p->view = c.view;
	p->mac = a.mac;
	p->nb_qpairs = c.nb_qpairs;
	p->rx_intr = true;		/* the waiters, made below, outlive attaches */
	p->attached = 1;
	rc = dpsw_queues_init(p);
	if (rc != 0) {
		DPSW_LOG(ERR, "%s: cannot make its rx interrupts: %s", a.name, strerror(-rc));
		dpsw_probe_undo(dev);
		return rc;
	}
	dpsw_ethdev_init(dev, &dpsw_vdev_transport);
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC;
	rc = dpsw_sock_watch(dev);
	if (rc != 0) {
		DPSW_LOG(ERR, "%s: cannot watch '%s' for the switch hanging up: %s",
			 a.name, a.path, strerror(-rc));
		dpsw_waiters_close(p);
		dpsw_probe_undo(dev);
		return rc;
	}
	rte_eth_dev_probing_finish(dev);
	DPSW_LOG(INFO, "%s: attached to '%s': %u queue pair(s) (the region's %u..%u), "
		 "%u slots per ring, %u buffers of %u bytes, MAC " RTE_ETHER_ADDR_PRT_FMT,
		 a.name, a.path, p->nb_qpairs, c.qpair_base, c.qpair_base + p->nb_qpairs - 1,
		 c.view.ring_size, c.view.lim.nb_bufs, c.view.lim.buf_size,
		 RTE_ETHER_ADDR_BYTES(&p->mac));
	return 0;
}

static int
dpsw_remove(struct rte_vdev_device *vdev)
{
	return dpsw_ethdev_remove(rte_vdev_device_name(vdev));
}

static struct rte_vdev_driver dpsw_vdev_drv = {
	.probe = dpsw_probe,
	.remove = dpsw_remove,
};

RTE_PMD_REGISTER_VDEV(net_dpsw, dpsw_vdev_drv);
/* Its name until the drivers were named one per layer: old command lines work. */
RTE_PMD_REGISTER_ALIAS(net_dpsw, net_dpsr);
RTE_PMD_REGISTER_PARAM_STRING(net_dpsw,
	DPSW_ARG_PATH "=<unix socket> "
	DPSW_ARG_SECRET "=<string, at most 64 bytes> "
	DPSW_ARG_QPAIRS "=<1-64> "
	DPSW_ARG_MAC "=<unicast MAC> "
	DPSW_ARG_RECONNECT "=<0-60000> "
	DPSW_ARG_ZERO_COPY "=<0|1> "
	DPSW_ARG_COPY_BREAK "=<0-9216>");
