/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw: a vdev ethdev that attaches a DPDK application to a dpswitch
 * shared-ring port over the port's unix socket (docs/shm-protocol.md,
 * "Attaching"; drivers/net/dpsw/README.md). This file is the ethdev glue:
 * ops, rx interrupts, statistics, probe and remove.
 *
 *   dpsw_args.c  devargs
 *   dpsw_ctl.c   attaching, and the link following the switch
 *   dpsw_rxtx.c  the datapath
 *
 * Probe attaches (so the granted queue pairs are known before the
 * application configures the port) and close detaches. When the switch
 * goes, the link goes down and the device attaches again when the switch
 * is back (dpsw_ctl.c; reconnect-ms=0: never): the queues move onto the
 * new region and doorbells once no burst runs, so a burst never touches
 * unmapped memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_string_fns.h>

#include "dpsw.h"

RTE_LOG_REGISTER_DEFAULT(dpsw_logtype, NOTICE);

/* Smallest mbuf data room we take: a chain of tiny segments is no use. */
#define DPSW_MIN_RX_BUFSIZE 64

/* ---- rx interrupts: each queue's waiter (the DPSR_DB_PEER_RX doorbell) ---- */

static void
dpsw_waiters_close(struct dpsw_dev *p)
{
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		dpsr_waiter_close(&p->rxq[q].waiter);
}

static void
dpsw_intr_uninstall(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *h = dev->intr_handle;

	if (h == NULL)
		return;
	/*
	 * Take the queues' fds out of any epoll set the application left them
	 * in, with the data EAL keeps for them there.
	 */
	rte_intr_free_epoll_fd(h);
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	dev->intr_handle = NULL;
}

/*
 * As DPDK's vhost PMD: one vector per rx queue. Each efd is the queue's
 * waiter (an epoll set holding the switch's doorbell and our self-ring):
 * nothing for EAL to read (counter size 0); the queue empties it when it
 * is armed again.
 */
static int
dpsw_intr_install(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	uint16_t nb = dev->data->nb_rx_queues;
	struct rte_intr_handle *h;

	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h == NULL)
		return -ENOMEM;
	dev->intr_handle = h;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
	    rte_intr_efd_counter_size_set(h, 0) != 0 ||
	    rte_intr_vec_list_alloc(h, NULL, nb) != 0)
		goto fail;
	for (uint16_t q = 0; q < nb; q++)
		if (rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0 ||
		    rte_intr_efds_index_set(h, q, p->rxq[q].waiter.ep) != 0)
			goto fail;
	if (rte_intr_nb_efd_set(h, nb) != 0 || rte_intr_max_intr_set(h, nb + 1) != 0)
		goto fail;
	return 0;
fail:
	dpsw_intr_uninstall(dev);
	return -ENOMEM;
}

static int
dpsw_rx_intr_enable(struct rte_eth_dev *dev, uint16_t q)
{
	struct dpsw_dev *p = dev->data->dev_private;

	dpsw_rxq_intr_enable(&p->rxq[q]);
	return 0;
}

static int
dpsw_rx_intr_disable(struct rte_eth_dev *dev, uint16_t q)
{
	struct dpsw_dev *p = dev->data->dev_private;

	dpsw_rxq_intr_disable(&p->rxq[q]);
	return 0;
}

/* ---- eth_dev_ops ---- */

static int
dpsw_dev_configure(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	uint16_t nb_rx = dev->data->nb_rx_queues, nb_tx = dev->data->nb_tx_queues;

	/* Queue pair q is rx queue q and tx queue q: the counts go together. */
	if (nb_rx != nb_tx || nb_rx == 0 || nb_rx > p->nb_qpairs) {
		DPSW_LOG(ERR, "%s: %u rx and %u tx queues: configure as many of each, "
			 "1..%u (the queue pairs attached; qpairs= asks for more)",
			 dev->data->name, nb_rx, nb_tx, p->nb_qpairs);
		return -EINVAL;
	}
	return 0;
}

static int
dpsw_dev_start(struct rte_eth_dev *dev)
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
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	}
	dpsw_link_set(dev, dpsw_attached(dev->data->dev_private));
	return 0;
}

static int
dpsw_dev_stop(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;

	dpsw_intr_uninstall(dev);
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		/* Nobody sleeps on a stopped queue: the switch need not ring. */
		dpsw_rxq_intr_disable(&p->rxq[q]);
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	}
	dpsw_link_set(dev, false);
	return 0;
}

static int
dpsw_dev_close(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	dpsw_intr_uninstall(dev);
	dpsw_ctl_stop(dev);		/* no more tries to attach again */
	__atomic_store_n(&p->attached, 0, __ATOMIC_RELEASE);
	dpsw_waiters_close(p);
	dpsw_zc_retire(p);		/* frames held in place keep the mapping */
	dpsr_client_detach(&p->c);	/* unmaps, closes the doorbells and the socket */
	DPSW_LOG(INFO, "%s: detached from '%s'", dev->data->name, p->args.path);
	memset(p->args.secret, 0, sizeof(p->args.secret));
	/* mac_addrs is part of dev_private: not for rte_eth_dev_release_port() to free. */
	dev->data->mac_addrs = NULL;
	return 0;
}

static int
dpsw_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct dpsw_dev *p = dev->data->dev_private;
	uint16_t ring = (uint16_t)p->c.view.ring_size;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = p->max_frame;
	info->min_rx_bufsize = DPSW_MIN_RX_BUFSIZE;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = (uint16_t)(p->max_frame - RTE_ETHER_HDR_LEN);
	info->max_rx_queues = (uint16_t)p->nb_qpairs;
	info->max_tx_queues = (uint16_t)p->nb_qpairs;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* The rings' size is the switch's; a smaller request is accepted and changes nothing. */
	info->rx_desc_lim = (struct rte_eth_desc_lim){ .nb_max = ring, .nb_min = 1, .nb_align = 1 };
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = ring;
	info->default_txportconf.ring_size = ring;
	info->default_rxportconf.nb_queues = (uint16_t)p->nb_qpairs;
	info->default_txportconf.nb_queues = (uint16_t)p->nb_qpairs;
	return 0;
}

static int
dpsw_rx_queue_setup(struct rte_eth_dev *dev, uint16_t q, uint16_t nb_desc __rte_unused,
		    unsigned int socket __rte_unused, const struct rte_eth_rxconf *conf __rte_unused,
		    struct rte_mempool *mp)
{
	struct dpsw_dev *p = dev->data->dev_private;

	/* The ring state lives in the device: a queue set up again goes on where it was. */
	p->rxq[q].mp = mp;
	p->rxq[q].port_id = dev->data->port_id;
	dev->data->rx_queues[q] = &p->rxq[q];
	return 0;
}

static int
dpsw_tx_queue_setup(struct rte_eth_dev *dev, uint16_t q, uint16_t nb_desc __rte_unused,
		    unsigned int socket __rte_unused, const struct rte_eth_txconf *conf __rte_unused)
{
	struct dpsw_dev *p = dev->data->dev_private;

	dev->data->tx_queues[q] = &p->txq[q];
	return 0;
}

static int
dpsw_link_update(struct rte_eth_dev *dev, int wait_to_complete __rte_unused)
{
	dpsw_link_set(dev, dev->data->dev_started && dpsw_attached(dev->data->dev_private));
	return 0;
}

/* There is no filter to open or close: the switch decides what reaches the port. */
static int
dpsw_accept_all(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static int
dpsw_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct dpsw_dev *p = dev->data->dev_private;

	if ((uint32_t)mtu + RTE_ETHER_HDR_LEN > p->max_frame) {
		DPSW_LOG(ERR, "%s: MTU %u is too large: at most %u (the region's buffers)",
			 dev->data->name, mtu, p->max_frame - RTE_ETHER_HDR_LEN);
		return -EINVAL;
	}
	return 0;
}

/* ---- statistics ---- */

static uint64_t
dpsw_rx_refused(const struct dpsw_rxq_stats *s)
{
	uint64_t n = 0;

	for (unsigned int b = DPSR_OK + 1; b < DPSR_BAD_MAX; b++)
		n += s->err.bad_desc[b];
	return n;
}

static int
dpsw_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct dpsw_dev *p = dev->data->dev_private;

	st->rx_nombuf = 0;
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		const struct dpsw_rxq_stats *rx = &p->rxq[q].st;
		const struct dpsw_txq_stats *tx = &p->txq[q].st;
		uint64_t refused = dpsw_rx_refused(rx);

		st->ipackets += rx->pkts;
		st->ibytes += rx->bytes;
		st->ierrors += refused;
		st->rx_nombuf += rx->nombuf;
		st->opackets += tx->pkts;
		st->obytes += tx->bytes;
		st->oerrors += tx->bad_len + tx->disconnected;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[q] = rx->pkts;
			st->q_ibytes[q] = rx->bytes;
			st->q_errors[q] = refused;
			st->q_opackets[q] = tx->pkts;
			st->q_obytes[q] = tx->bytes;
		}
	}
	return 0;
}

static int
dpsw_stats_reset(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;

	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		memset(&p->rxq[q].st, 0, sizeof(p->rxq[q].st));
		memset(&p->txq[q].st, 0, sizeof(p->txq[q].st));
	}
	return 0;
}

/* The driver's own counters, summed over the queues. */
enum {
	DPSW_XS_RX_BAD_INDEX,
	DPSW_XS_RX_BAD_BUF,
	DPSW_XS_RX_BAD_LEN,
	DPSW_XS_RX_BAD_RANGE,
	DPSW_XS_RX_BAD_FLAGS,
	DPSW_XS_TX_BAD_INDEX,
	DPSW_XS_TX_BAD_BUF,
	DPSW_XS_TX_BAD_LEN,
	DPSW_XS_TX_DISCONNECTED,
	DPSW_XS_DOORBELLS_RUNG,
	DPSW_XS_RX_ZERO_COPY,
	DPSW_XS_RX_COPIED,
	DPSW_XS_TX_ZERO_COPY,
	DPSW_XS_TX_COPIED,
	DPSW_XS_TX_BAG_EMPTY,
	DPSW_XS_TX_BAG_BAD,
	DPSW_XS_NB
};

static const char *const dpsw_xstat_names[DPSW_XS_NB] = {
	[DPSW_XS_RX_BAD_INDEX] = "rx_bad_index",
	[DPSW_XS_RX_BAD_BUF] = "rx_bad_buf",
	[DPSW_XS_RX_BAD_LEN] = "rx_bad_len",
	[DPSW_XS_RX_BAD_RANGE] = "rx_bad_range",
	[DPSW_XS_RX_BAD_FLAGS] = "rx_bad_flags",
	[DPSW_XS_TX_BAD_INDEX] = "tx_bad_index",
	[DPSW_XS_TX_BAD_BUF] = "tx_bad_buf",
	[DPSW_XS_TX_BAD_LEN] = "tx_bad_len",
	[DPSW_XS_TX_DISCONNECTED] = "tx_disconnected",
	[DPSW_XS_DOORBELLS_RUNG] = "doorbells_rung",
	[DPSW_XS_RX_ZERO_COPY] = "rx_zero_copy",
	[DPSW_XS_RX_COPIED] = "rx_copied",
	[DPSW_XS_TX_ZERO_COPY] = "tx_zero_copy",
	[DPSW_XS_TX_COPIED] = "tx_copied",
	[DPSW_XS_TX_BAG_EMPTY] = "tx_bag_empty",
	[DPSW_XS_TX_BAG_BAD] = "tx_bag_bad",
};

static void
dpsw_xstats_sum(const struct dpsw_dev *p, uint64_t v[DPSW_XS_NB])
{
	memset(v, 0, sizeof(uint64_t) * DPSW_XS_NB);
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		const struct dpsw_rxq_stats *rx = &p->rxq[q].st;
		const struct dpsw_txq_stats *tx = &p->txq[q].st;

		v[DPSW_XS_RX_BAD_INDEX] += rx->err.bad_index;
		v[DPSW_XS_RX_BAD_BUF] += rx->err.bad_desc[DPSR_BAD_BUF];
		v[DPSW_XS_RX_BAD_LEN] += rx->err.bad_desc[DPSR_BAD_LEN];
		v[DPSW_XS_RX_BAD_RANGE] += rx->err.bad_desc[DPSR_BAD_RANGE];
		v[DPSW_XS_RX_BAD_FLAGS] += rx->err.bad_desc[DPSR_BAD_FLAGS];
		v[DPSW_XS_TX_BAD_INDEX] += tx->bad_index;
		v[DPSW_XS_TX_BAD_BUF] += tx->bad_buf;
		v[DPSW_XS_TX_BAD_LEN] += tx->bad_len;
		v[DPSW_XS_TX_DISCONNECTED] += tx->disconnected;
		v[DPSW_XS_DOORBELLS_RUNG] += rx->doorbells + tx->doorbells;
		v[DPSW_XS_RX_ZERO_COPY] += rx->zero_copy;
		v[DPSW_XS_RX_COPIED] += rx->pkts - rx->zero_copy;
		v[DPSW_XS_TX_ZERO_COPY] += tx->zero_copy;
		v[DPSW_XS_TX_COPIED] += tx->pkts - tx->zero_copy;
		v[DPSW_XS_TX_BAG_EMPTY] += tx->bag_empty;
		v[DPSW_XS_TX_BAG_BAD] += tx->bag_bad;
	}
}

static int
dpsw_xstats_get_names(struct rte_eth_dev *dev __rte_unused, struct rte_eth_xstat_name *names,
		      unsigned int size)
{
	if (names == NULL || size < DPSW_XS_NB)
		return DPSW_XS_NB;
	for (unsigned int i = 0; i < DPSW_XS_NB; i++)
		strlcpy(names[i].name, dpsw_xstat_names[i], sizeof(names[i].name));
	return DPSW_XS_NB;
}

static int
dpsw_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	uint64_t v[DPSW_XS_NB];

	if (xs == NULL || n < DPSW_XS_NB)
		return DPSW_XS_NB;
	dpsw_xstats_sum(dev->data->dev_private, v);
	for (unsigned int i = 0; i < DPSW_XS_NB; i++) {
		xs[i].id = i;
		xs[i].value = v[i];
	}
	return DPSW_XS_NB;
}

static const struct eth_dev_ops dpsw_ops = {
	.dev_configure = dpsw_dev_configure,
	.dev_start = dpsw_dev_start,
	.dev_stop = dpsw_dev_stop,
	.dev_close = dpsw_dev_close,
	.dev_infos_get = dpsw_dev_infos_get,
	.rx_queue_setup = dpsw_rx_queue_setup,
	.tx_queue_setup = dpsw_tx_queue_setup,
	.rx_queue_intr_enable = dpsw_rx_intr_enable,
	.rx_queue_intr_disable = dpsw_rx_intr_disable,
	.link_update = dpsw_link_update,
	.promiscuous_enable = dpsw_accept_all,
	.promiscuous_disable = dpsw_accept_all,
	.allmulticast_enable = dpsw_accept_all,
	.allmulticast_disable = dpsw_accept_all,
	.mtu_set = dpsw_mtu_set,
	.stats_get = dpsw_stats_get,
	.stats_reset = dpsw_stats_reset,
	.xstats_get = dpsw_xstats_get,
	.xstats_get_names = dpsw_xstats_get_names,
	/* One reset for both: ethdev calls only this one when it exists. */
	.xstats_reset = dpsw_stats_reset,
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
		p->rxq[q].waiter = (struct dpsr_waiter){ .ep = -1, .self = -1, .bell = -1 };
	for (uint32_t q = 0; q < p->nb_qpairs && rc == 0; q++)
		rc = dpsr_waiter_open(&p->rxq[q].waiter);
	if (rc == 0)
		rc = dpsw_queues_bind(p);
	if (rc != 0)
		dpsw_waiters_close(p);
	return rc;
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
	rc = dpsw_args_parse(rte_vdev_device_args(vdev), &a);
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
	p->c = c;
	p->args = a;
	p->mac = a.mac;
	p->nb_qpairs = c.nb_qpairs;
	p->max_frame = RTE_MIN(c.view.lim.buf_size, (uint32_t)DPSR_FRAME_MAX);
	p->attached = 1;
	rc = dpsw_queues_init(p);
	if (rc != 0) {
		DPSW_LOG(ERR, "%s: cannot make its rx interrupts: %s", a.name, strerror(-rc));
		memset(&p->args, 0, sizeof(p->args));	/* the secret */
		dpsr_client_detach(&p->c);
		dev->data->mac_addrs = NULL;
		rte_eth_dev_release_port(dev);
		return rc;
	}

	dev->dev_ops = &dpsw_ops;
	dev->rx_pkt_burst = dpsw_rx_burst;
	dev->tx_pkt_burst = dpsw_tx_burst;
	dev->data->mac_addrs = &p->mac;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dpsw_link_set(dev, false);
	rc = dpsw_sock_watch(dev);
	if (rc != 0) {
		memset(&p->args, 0, sizeof(p->args));	/* the secret */
		DPSW_LOG(ERR, "%s: cannot watch '%s' for the switch hanging up: %s",
			 a.name, a.path, strerror(-rc));
		dpsw_waiters_close(p);
		dpsw_zc_retire(p);
		dpsr_client_detach(&p->c);
		dev->data->mac_addrs = NULL;
		rte_eth_dev_release_port(dev);
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
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;		/* closed already: rte_eth_dev_close() released it */
	if (dev->data->dev_started)
		dpsw_dev_stop(dev);
	dpsw_dev_close(dev);
	return rte_eth_dev_release_port(dev);
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
