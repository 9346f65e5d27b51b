/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ethdev of both transports (dpsw.h): eth_dev_ops, statistics, link,
 * queue binding and removal. What differs, attaching and rx interrupts,
 * is a transport's (struct dpsw_transport): rte_eth_dpsw.c and dpsw_ctl.c
 * for the vdev on the host, dpsw_pci.c and dpsw_ivshmem.c for the PCI
 * device in a guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_pause.h>
#include <rte_string_fns.h>

#include "dpsw.h"

RTE_LOG_REGISTER_DEFAULT(dpsw_logtype, NOTICE);

/* Smallest mbuf data room we take: a chain of tiny segments is no use. */
#define DPSW_MIN_RX_BUFSIZE 64

/* ---- eth_dev_ops ---- */

/* A guest's device bound to a driver without MSI-X has none: it polls. */
static int
dpsw_rx_intr_enable(struct rte_eth_dev *dev, uint16_t q)
{
	struct dpsw_dev *p = dev->data->dev_private;

	if (!p->rx_intr)
		return -ENOTSUP;
	dpsw_rxq_intr_enable(&p->rxq[q]);
	return 0;
}

static int
dpsw_rx_intr_disable(struct rte_eth_dev *dev, uint16_t q)
{
	struct dpsw_dev *p = dev->data->dev_private;

	if (!p->rx_intr)
		return -ENOTSUP;
	dpsw_rxq_intr_disable(&p->rxq[q]);
	return 0;
}

static int
dpsw_dev_configure(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	uint16_t nb_rx = dev->data->nb_rx_queues, nb_tx = dev->data->nb_tx_queues;

	/* Queue pair q is rx queue q and tx queue q: the counts go together. */
	if (nb_rx != nb_tx || nb_rx == 0 || nb_rx > p->nb_qpairs) {
		DPSW_LOG(ERR, "%s: %u rx and %u tx queues: configure as many of each, "
			 "1..%u (the device's queue pairs; see its qpairs= devarg)",
			 dev->data->name, nb_rx, nb_tx, p->nb_qpairs);
		return -EINVAL;
	}
	return 0;
}

static int
dpsw_dev_start(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	int rc = p->tp->start(dev);

	if (rc != 0)
		return rc;
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

	p->tp->stop(dev);
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
	p->tp->close(dev);
	/* mac_addrs is part of dev_private: not for rte_eth_dev_release_port() to free. */
	dev->data->mac_addrs = NULL;
	return 0;
}

static int
dpsw_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct dpsw_dev *p = dev->data->dev_private;
	uint16_t ring = (uint16_t)p->view.ring_size;

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

/* ---- either transport's device ---- */

void
dpsw_link_set(struct rte_eth_dev *dev, bool up)
{
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_UNKNOWN,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	rte_eth_linkstatus_set(dev, &link);
}

void
dpsw_quiesce(struct dpsw_dev *p)
{
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		while (__atomic_load_n(&p->rxq[q].busy, __ATOMIC_ACQUIRE) != 0)
			rte_pause();
		while (__atomic_load_n(&p->txq[q].busy, __ATOMIC_ACQUIRE) != 0)
			rte_pause();
	}
}

void
dpsw_qpair_bind(struct dpsw_dev *p, uint32_t q, const struct dpsr_view *v, uint32_t qpair,
		struct dpsw_bell kick, struct dpsw_bell room)
{
	dpsw_txq_init(&p->txq[q], v, 2 * qpair, kick, &p->attached);
	dpsw_rxq_init(&p->rxq[q], v, 2 * qpair + 1, room, &p->attached);
}

void
dpsw_ethdev_init(struct rte_eth_dev *dev, const struct dpsw_transport *tp)
{
	struct dpsw_dev *p = dev->data->dev_private;

	p->tp = tp;
	p->max_frame = RTE_MIN(p->view.lim.buf_size, (uint32_t)DPSR_FRAME_MAX);
	dev->dev_ops = &dpsw_ops;
	dev->rx_pkt_burst = dpsw_rx_burst;
	dev->tx_pkt_burst = dpsw_tx_burst;
	dev->data->mac_addrs = &p->mac;
	dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dpsw_link_set(dev, false);
}

int
dpsw_ethdev_remove(const char *name)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(name);

	if (dev == NULL)
		return 0;		/* closed already: rte_eth_dev_close() released it */
	if (dev->data->dev_started)
		dpsw_dev_stop(dev);
	dpsw_dev_close(dev);
	return rte_eth_dev_release_port(dev);
}
