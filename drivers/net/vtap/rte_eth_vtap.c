/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vtap as a DPDK vdev: the tap interface (created, or an existing one
 * attached) with IFF_VNET_HDR and, with offloads, TUNSETOFFLOAD so that
 * the kernel hands over TCP frames up to 64 KB with partial checksums and
 * takes them back the same way; ethdev ops, statistics, rx interrupts on
 * the tap's file descriptor (it is pollable), probe and remove.
 *
 * devargs: iface=NAME (default dpsvtap<port id>), offloads=on|off
 * (default on), mac=MAC (the port's own; default from its name).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_hash_crc.h>
#include <rte_kvargs.h>

#include "../common/pmd_intr.h"
#include "rte_pmd_vtap.h"
#include "vtap.h"

RTE_LOG_REGISTER_DEFAULT(vtap_logtype, INFO);
#define VTAP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, vtap_logtype, "net_vtap: " fmt "\n", ##__VA_ARGS__)

const char *const rte_pmd_vtap_keys[] = { "iface", "offloads", "mac", NULL };

/* Offloads we take from the kernel: checksums left partial, TCP up to 64 KB. */
#define VTAP_TUN_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

static const struct eth_dev_ops vtap_ops;

/* A queue fd of interface @p ifname (created if absent); -errno. */
static int
vtap_open(const char *ifname, bool offloads, bool *offloads_on)
{
	struct ifreq ifr = { 0 };
	int hdr = sizeof(struct virtio_net_hdr);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		goto fail;
	*offloads_on = offloads && ioctl(fd, TUNSETOFFLOAD, VTAP_TUN_OFFLOADS) == 0;
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

/* Bring the interface up in our namespace (it may be moved out later). */
static void
vtap_if_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

static int
vtap_dev_configure(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static int
vtap_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct vtap_dev *vd = dev->data->dev_private;
	uint64_t csum = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = VTAP_FRAME_MAX;
	info->max_rx_queues = 1;
	info->max_tx_queues = VTAP_MAX_QUEUES;
	info->min_rx_bufsize = 0;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER |
		(vd->offloads ? RTE_ETH_RX_OFFLOAD_TCP_LRO | RTE_ETH_RX_OFFLOAD_TCP_CKSUM : 0);
	/* Checksums: the kernel's with offloads, else computed here. */
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | csum |
		(vd->offloads ? RTE_ETH_TX_OFFLOAD_TCP_TSO : 0);
	return 0;
}

static int
vtap_dev_start(struct rte_eth_dev *dev)
{
	struct vtap_dev *vd = dev->data->dev_private;

	/* The tap's fd itself: readable when a frame waits; nothing to drain. */
	if (dev->data->dev_conf.intr_conf.rxq && dev->intr_handle == NULL &&
	    pmd_rx_intr_install(dev, vd->fds, 1) != 0)
		return -ENOMEM;
	pmd_queues_state(dev, RTE_ETH_QUEUE_STATE_STARTED);
	dev->data->dev_link.link_status = RTE_ETH_LINK_UP;
	return 0;
}

static int
vtap_dev_stop(struct rte_eth_dev *dev)
{
	pmd_queues_state(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	return 0;
}

static int
vtap_dev_close(struct rte_eth_dev *dev)
{
	struct vtap_dev *vd = dev->data->dev_private;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	for (uint16_t q = 0; q < VTAP_MAX_QUEUES; q++)
		vtap_rxq_release(&vd->rxq[q]);
	for (uint16_t i = 0; i < vd->nb_fds; i++)
		close(vd->fds[i]);
	vd->nb_fds = 0;
	pmd_rx_intr_uninstall(dev);
	dev->data->mac_addrs = NULL;	/* in dev_private */
	return 0;
}

static int
vtap_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
		    unsigned int socket __rte_unused, const struct rte_eth_rxconf *conf __rte_unused,
		    struct rte_mempool *mp)
{
	struct vtap_dev *vd = dev->data->dev_private;
	struct vtap_rxq *q = &vd->rxq[qid];
	uint16_t room = (uint16_t)(rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM);

	if ((uint32_t)room * VTAP_MAX_SEGS < VTAP_FRAME_MAX) {
		VTAP_LOG(ERR, "%s: mbufs of %u bytes are too small for 64 KB frames in %u "
			 "segments", vd->name, room, VTAP_MAX_SEGS);
		return -EINVAL;
	}
	vtap_rxq_release(q);
	q->fd = vd->fds[0];
	q->port_id = dev->data->port_id;
	q->qid = qid;
	q->offloads = vd->offloads;
	q->mp = mp;
	q->seg_room = room;
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int
vtap_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
		    unsigned int socket __rte_unused,
		    const struct rte_eth_txconf *conf __rte_unused)
{
	struct vtap_dev *vd = dev->data->dev_private;
	struct vtap_txq *q = &vd->txq[qid];

	/* Writes of whole frames to one tap fd are atomic: the queues share it. */
	q->fd = vd->fds[0];
	q->offloads = vd->offloads;
	dev->data->tx_queues[qid] = q;
	return 0;
}

static void
vtap_queue_release(struct rte_eth_dev *dev __rte_unused, uint16_t qid __rte_unused)
{
	/* the queues live with the device */
}

static int
vtap_link_update(struct rte_eth_dev *dev __rte_unused, int wait __rte_unused)
{
	return 0;
}

static int
vtap_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct vtap_dev *vd = dev->data->dev_private;

	for (uint16_t q = 0; q < VTAP_MAX_QUEUES; q++) {
		st->ipackets += vd->rxq[q].st.pkts;
		st->ibytes += vd->rxq[q].st.bytes;
		st->ierrors += vd->rxq[q].st.errors;
		st->opackets += vd->txq[q].st.pkts;
		st->obytes += vd->txq[q].st.bytes;
		st->oerrors += vd->txq[q].st.errors + vd->txq[q].st.dropped;
	}
	st->rx_nombuf = dev->data->rx_mbuf_alloc_failed;
	return 0;
}

static int
vtap_stats_reset(struct rte_eth_dev *dev)
{
	struct vtap_dev *vd = dev->data->dev_private;

	for (uint16_t q = 0; q < VTAP_MAX_QUEUES; q++) {
		memset(&vd->rxq[q].st, 0, sizeof(vd->rxq[q].st));
		memset(&vd->txq[q].st, 0, sizeof(vd->txq[q].st));
	}
	dev->data->rx_mbuf_alloc_failed = 0;
	return 0;
}

static const char *const xstat_names[] = {
	"rx_gso_frames", "rx_csum_partial", "tx_gso_frames", "tx_csum_partial",
	"tx_dropped_offload",
};

static int
vtap_xstats_get_names(struct rte_eth_dev *dev __rte_unused, struct rte_eth_xstat_name *names,
		      unsigned int size)
{
	if (names != NULL)
		for (unsigned int i = 0; i < RTE_DIM(xstat_names) && i < size; i++)
			snprintf(names[i].name, sizeof(names[i].name), "%s", xstat_names[i]);
	return RTE_DIM(xstat_names);
}

static int
vtap_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	struct vtap_dev *vd = dev->data->dev_private;
	uint64_t v[RTE_DIM(xstat_names)] = { 0 };

	if (n < RTE_DIM(xstat_names))
		return RTE_DIM(xstat_names);
	for (uint16_t q = 0; q < VTAP_MAX_QUEUES; q++) {
		v[0] += vd->rxq[q].st.gso;
		v[1] += vd->rxq[q].st.csum;
		v[2] += vd->txq[q].st.gso;
		v[3] += vd->txq[q].st.csum;
		v[4] += vd->txq[q].st.dropped;
	}
	for (unsigned int i = 0; i < RTE_DIM(xstat_names); i++)
		xs[i] = (struct rte_eth_xstat){ .id = i, .value = v[i] };
	return RTE_DIM(xstat_names);
}

static int
vtap_rx_intr_noop(struct rte_eth_dev *dev __rte_unused, uint16_t qid __rte_unused)
{
	return 0;	/* the fd always signals; nothing to arm */
}

static int
vtap_accept_all(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static const struct eth_dev_ops vtap_ops = {
	.dev_configure = vtap_dev_configure,
	.dev_infos_get = vtap_dev_infos_get,
	.dev_start = vtap_dev_start,
	.dev_stop = vtap_dev_stop,
	.dev_close = vtap_dev_close,
	.rx_queue_setup = vtap_rx_queue_setup,
	.tx_queue_setup = vtap_tx_queue_setup,
	.rx_queue_release = vtap_queue_release,
	.tx_queue_release = vtap_queue_release,
	.link_update = vtap_link_update,
	.stats_get = vtap_stats_get,
	.stats_reset = vtap_stats_reset,
	.xstats_get = vtap_xstats_get,
	.xstats_get_names = vtap_xstats_get_names,
	.xstats_reset = vtap_stats_reset,
	.rx_queue_intr_enable = vtap_rx_intr_noop,
	.rx_queue_intr_disable = vtap_rx_intr_noop,
	.promiscuous_enable = vtap_accept_all,
	.promiscuous_disable = vtap_accept_all,
	.allmulticast_enable = vtap_accept_all,
	.allmulticast_disable = vtap_accept_all,
};

int
rte_pmd_vtap_args_check(const char *name, struct rte_kvargs *kv, char *why, size_t len)
{
	const char *iface = rte_kvargs_get(kv, "iface");
	const char *off = rte_kvargs_get(kv, "offloads");
	const char *mac = rte_kvargs_get(kv, "mac");
	struct rte_ether_addr ea;

	if (iface != NULL && (strlen(iface) == 0 || strlen(iface) >= IF_NAMESIZE ||
			      strpbrk(iface, "/ \t") != NULL))
		snprintf(why, len, "%s: iface='%s' is not an interface name (1..%d characters, "
			 "no '/' or space)", name, iface, IF_NAMESIZE - 1);
	else if (off != NULL && strcmp(off, "on") != 0 && strcmp(off, "off") != 0)
		snprintf(why, len, "%s: offloads=%s is not on or off", name, off);
	else if (mac != NULL && (rte_ether_unformat_addr(mac, &ea) != 0 ||
				 !rte_is_unicast_ether_addr(&ea)))
		snprintf(why, len, "%s: mac=%s is not a unicast MAC", name, mac);
	else
		return 0;
	return -EINVAL;
}

static int
vtap_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_kvargs *kv = rte_kvargs_parse(rte_vdev_device_args(vdev), rte_pmd_vtap_keys);
	struct rte_eth_dev *dev;
	struct vtap_dev *vd;
	char why[160];
	const char *v;
	uint32_t h;
	int fd;

	if (kv == NULL) {
		VTAP_LOG(ERR, "%s: cannot parse its devargs (valid keys: iface, offloads, mac)",
			 name);
		return -EINVAL;
	}
	if (rte_pmd_vtap_args_check(name, kv, why, sizeof(why)) != 0) {
		VTAP_LOG(ERR, "%s", why);
		rte_kvargs_free(kv);
		return -EINVAL;
	}
	dev = rte_eth_vdev_allocate(vdev, sizeof(*vd));
	if (dev == NULL) {
		rte_kvargs_free(kv);
		return -ENOMEM;
	}
	vd = dev->data->dev_private;
	snprintf(vd->name, sizeof(vd->name), "%s", name);
	v = rte_kvargs_get(kv, "iface");
	if (v != NULL)
		snprintf(vd->ifname, sizeof(vd->ifname), "%s", v);
	else
		snprintf(vd->ifname, sizeof(vd->ifname), "dpsvtap%u", dev->data->port_id);
	v = rte_kvargs_get(kv, "offloads");
	vd->offloads = v == NULL || strcmp(v, "on") == 0;
	v = rte_kvargs_get(kv, "mac");
	if (v != NULL) {
		rte_ether_unformat_addr(v, &vd->mac);
	} else {
		h = rte_hash_crc(name, strlen(name), 0x5654);
		vd->mac.addr_bytes[0] = 0x02;
		vd->mac.addr_bytes[1] = 0x56;	/* 'V' */
		memcpy(&vd->mac.addr_bytes[2], &h, 4);
	}
	rte_kvargs_free(kv);
	fd = vtap_open(vd->ifname, vd->offloads, &vd->offloads);
	if (fd < 0) {
		VTAP_LOG(ERR, "%s: cannot open tap %s with the virtio-net header: %s", name,
			 vd->ifname, strerror(-fd));
		rte_eth_dev_release_port(dev);
		return fd;
	}
	vd->fds[0] = fd;
	vd->nb_fds = 1;
	vtap_if_up(vd->ifname);
	dev->data->mac_addrs = &vd->mac;
	dev->data->dev_link = (struct rte_eth_link){ .link_speed = RTE_ETH_SPEED_NUM_10G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX, .link_status = RTE_ETH_LINK_DOWN };
	dev->dev_ops = &vtap_ops;
	dev->rx_pkt_burst = vtap_rx_burst;
	dev->tx_pkt_burst = vtap_tx_burst;
	rte_eth_dev_probing_finish(dev);
	VTAP_LOG(INFO, "%s: tap %s, offloads %s", name, vd->ifname,
		 vd->offloads ? "on (csum, tso4, tso6)" : "off");
	return 0;
}

static int
vtap_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;
	return rte_eth_dev_close(dev->data->port_id);
}

bool
rte_pmd_vtap_offloads(uint16_t port_id)
{
	struct rte_eth_dev *dev = &rte_eth_devices[port_id];

	return dev->dev_ops == &vtap_ops && ((struct vtap_dev *)dev->data->dev_private)->offloads;
}

static struct rte_vdev_driver vtap_vdev_drv = {
	.probe = vtap_probe,
	.remove = vtap_remove,
};

RTE_PMD_REGISTER_VDEV(net_vtap, vtap_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_vtap, "iface=<name> offloads=on|off mac=<mac>");
