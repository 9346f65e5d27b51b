/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_shm, the switch's end of dpsr shared-ring ports (docs/shm-protocol.md)
 * as a DPDK vdev: ethdev ops, statistics, rx interrupts on the doorbells,
 * probe and remove, and the API the switch's port layer uses (dps_shm.h).
 * Peers attach and leave on the control side (shm_attach.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_eal.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "../common/pmd_intr.h"
#include "common/unix_socket.h"
#include "dps_shm.h"
#include "shm_attach.h"
#include "shm_ctl.h"
#include "shm_log.h"

RTE_LOG_REGISTER_DEFAULT(shm_logtype, INFO);

static const struct eth_dev_ops shm_ops;

/* ---- ethdev ops ---- */

static int
shm_dev_configure(struct rte_eth_dev *dev)
{
	struct shm_dev *sd = dev->data->dev_private;

	if (dev->data->nb_rx_queues > sd->args.qpairs || dev->data->nb_tx_queues > sd->args.qpairs) {
		SHM_LOG(ERR, "port %s: %u rx / %u tx queues asked, it has %u queue pairs",
			sd->name, dev->data->nb_rx_queues, dev->data->nb_tx_queues,
			sd->args.qpairs);
		return -EINVAL;
	}
	return 0;
}

static int
shm_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct shm_dev *sd = dev->data->dev_private;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = RTE_MIN(sd->args.buf_size, (uint32_t)DPSR_FRAME_MAX);
	info->max_rx_queues = (uint16_t)sd->args.qpairs;
	info->max_tx_queues = (uint16_t)sd->args.qpairs;
	info->min_rx_bufsize = 0;
	info->rx_desc_lim.nb_max = (uint16_t)RTE_MIN(sd->args.ring_size, (uint32_t)UINT16_MAX);
	info->tx_desc_lim.nb_max = info->rx_desc_lim.nb_max;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	return 0;
}

/* Rx interrupts: queue q's fd is its waiter, an epoll set holding the doorbell the peer rings. */
static int
shm_intr_install(struct rte_eth_dev *dev)
{
	struct shm_dev *sd = dev->data->dev_private;
	int fds[RTE_MAX_QUEUES_PER_PORT];

	if (dev->intr_handle != NULL)
		return 0;
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		fds[q] = sd->rxq[q].waiter.ep;
	return pmd_rx_intr_install(dev, fds, dev->data->nb_rx_queues);
}

static int
shm_dev_start(struct rte_eth_dev *dev)
{
	struct shm_dev *sd = dev->data->dev_private;

	if (dev->data->dev_conf.intr_conf.rxq && shm_intr_install(dev) != 0) {
		SHM_LOG(ERR, "port %s: cannot set up rx interrupts", sd->name);
		return -ENOMEM;
	}
	pmd_queues_state(dev, RTE_ETH_QUEUE_STATE_STARTED);
	shm_attach_start(sd);
	return 0;
}

static int
shm_dev_stop(struct rte_eth_dev *dev)
{
	struct shm_dev *sd = dev->data->dev_private;

	shm_attach_stop(sd);
	pmd_queues_state(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	return 0;
}

static int
shm_dev_close(struct rte_eth_dev *dev)
{
	struct shm_dev *sd = dev->data->dev_private;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	shm_attach_close(sd);
	pmd_rx_intr_uninstall(dev);
	dev->data->mac_addrs = NULL;		/* in dev_private; freed with it */
	return 0;
}

static int
shm_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
		   unsigned int socket __rte_unused, const struct rte_eth_rxconf *conf __rte_unused,
		   struct rte_mempool *mp)
{
	struct shm_dev *sd = dev->data->dev_private;

	sd->rxq[qid].mp = mp;
	dev->data->rx_queues[qid] = &sd->rxq[qid];
	return 0;
}

static int
shm_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
		   unsigned int socket __rte_unused, const struct rte_eth_txconf *conf __rte_unused)
{
	struct shm_dev *sd = dev->data->dev_private;

	dev->data->tx_queues[qid] = &sd->txq[qid];
	return 0;
}

static int
shm_link_update(struct rte_eth_dev *dev, int wait __rte_unused)
{
	struct shm_dev *sd = dev->data->dev_private;

	dev->data->dev_link.link_speed = RTE_ETH_SPEED_NUM_UNKNOWN;
	dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	dev->data->dev_link.link_autoneg = RTE_ETH_LINK_FIXED;
	dev->data->dev_link.link_status = shm_attach_link_up(sd) ? RTE_ETH_LINK_UP :
		RTE_ETH_LINK_DOWN;
	return 0;
}

#define RD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static int
shm_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct shm_dev *sd = dev->data->dev_private;

	for (uint32_t q = 0; q < sd->args.qpairs; q++) {
		const struct shm_rxq_stats *r = &sd->rxq[q].st;
		const struct shm_txq_stats *t = &sd->txq[q].st;
		uint64_t bad = RD(r->bad_index);

		for (int b = 1; b < DPSR_BAD_MAX; b++)
			bad += RD(r->bad_desc[b]);
		st->ipackets += RD(r->pkts);
		st->ibytes += RD(r->bytes);
		st->ierrors += bad;
		st->rx_nombuf += RD(r->nombuf);
		st->opackets += RD(t->pkts);
		st->obytes += RD(t->bytes);
		st->oerrors += RD(t->bad_len) + RD(t->no_peer);
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[q] = RD(r->pkts);
			st->q_ibytes[q] = RD(r->bytes);
			st->q_opackets[q] = RD(t->pkts);
			st->q_obytes[q] = RD(t->bytes);
			st->q_errors[q] = bad;
		}
	}
	return 0;
}

static int
shm_stats_reset(struct rte_eth_dev *dev)
{
	struct shm_dev *sd = dev->data->dev_private;

	for (uint32_t q = 0; q < sd->args.qpairs; q++) {
		memset(&sd->rxq[q].st, 0, sizeof(sd->rxq[q].st));
		memset(&sd->txq[q].st, 0, sizeof(sd->txq[q].st));
	}
	return 0;
}

/* Extended statistics: every reason a frame was dropped, and how frames moved. */
struct shm_xstat {
	const char *name;
	bool tx;
	size_t off;
};

#define RXS(n, f) { n, false, offsetof(struct shm_rxq_stats, f) }
#define TXS(n, f) { n, true, offsetof(struct shm_txq_stats, f) }
static const struct shm_xstat shm_xstats[] = {
	RXS("rx_zero_copy", zero_copy), RXS("rx_copied", copied),
	RXS("rx_spares_empty", spares_empty), RXS("rx_nombuf", nombuf),
	RXS("rx_bad_index", bad_index), RXS("rx_bad_buf", bad_desc[DPSR_BAD_BUF]),
	RXS("rx_bad_len", bad_desc[DPSR_BAD_LEN]), RXS("rx_bad_range", bad_desc[DPSR_BAD_RANGE]),
	RXS("rx_bad_flags", bad_desc[DPSR_BAD_FLAGS]), RXS("rx_doorbells", doorbells),
	TXS("tx_zero_copy", zero_copy), TXS("tx_copied", copied), TXS("tx_bad_len", bad_len),
	TXS("tx_no_peer", no_peer), TXS("tx_bad_index", bad_index),
	TXS("tx_doorbells", doorbells), TXS("tx_peer_swaps", peer_swaps),
	TXS("tx_bad_buf", bad_buf),
};
/* Port-wide counters, after the per-queue ones. */
static const char *const shm_dev_xstat_names[] = {
	"peer_attaches", "peer_refusals", "peer_detaches", "peer_region_faults",
	"peer_refused_no_region", "guest_starts", "guest_stops", "guest_ctl_throttled",
};
#define SHM_NB_XSTATS (RTE_DIM(shm_xstats) + RTE_DIM(shm_dev_xstat_names))

static void
shm_dev_xstats(const struct shm_dev *sd, uint64_t v[RTE_DIM(shm_dev_xstat_names)])
{
	v[0] = RD(sd->srv.attaches);
	v[1] = RD(sd->srv.refusals);
	v[2] = RD(sd->detaches);
	v[3] = sd->region != NULL ? RD(sd->region->faults) : 0;
	v[4] = RD(sd->refused_no_region);
	v[5] = RD(sd->guest_starts);
	v[6] = RD(sd->guest_stops);
	v[7] = RD(sd->guest_ctl_throttled);
}

static int
shm_xstats_get_names(struct rte_eth_dev *dev __rte_unused, struct rte_eth_xstat_name *names,
		     unsigned int size)
{
	unsigned int i;

	if (names == NULL || size < SHM_NB_XSTATS)
		return SHM_NB_XSTATS;
	for (i = 0; i < RTE_DIM(shm_xstats); i++)
		snprintf(names[i].name, sizeof(names[i].name), "%s", shm_xstats[i].name);
	for (unsigned int k = 0; k < RTE_DIM(shm_dev_xstat_names); k++)
		snprintf(names[i + k].name, sizeof(names[0].name), "%s", shm_dev_xstat_names[k]);
	return SHM_NB_XSTATS;
}

static int
shm_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	struct shm_dev *sd = dev->data->dev_private;
	uint64_t dv[RTE_DIM(shm_dev_xstat_names)];
	unsigned int i;

	if (xs == NULL || n < SHM_NB_XSTATS)
		return SHM_NB_XSTATS;
	for (i = 0; i < RTE_DIM(shm_xstats); i++) {
		uint64_t v = 0;

		for (uint32_t q = 0; q < sd->args.qpairs; q++) {
			const uint8_t *base = shm_xstats[i].tx ? (const uint8_t *)&sd->txq[q].st :
				(const uint8_t *)&sd->rxq[q].st;

			v += __atomic_load_n((const uint64_t *)(base + shm_xstats[i].off),
					     __ATOMIC_RELAXED);
		}
		xs[i] = (struct rte_eth_xstat){ .id = i, .value = v };
	}
	shm_dev_xstats(sd, dv);
	for (unsigned int k = 0; k < RTE_DIM(dv); k++, i++)
		xs[i] = (struct rte_eth_xstat){ .id = i, .value = dv[k] };
	return SHM_NB_XSTATS;
}

static int
shm_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct shm_dev *sd = dev->data->dev_private;

	return shm_rxq_intr_enable(&sd->rxq[qid]);
}

static int
shm_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct shm_dev *sd = dev->data->dev_private;

	shm_rxq_intr_disable(&sd->rxq[qid]);
	return 0;
}

/* A switch port sees every frame; there is no filter to set. */
static int
shm_accept_all(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static void
shm_queue_release(struct rte_eth_dev *dev __rte_unused, uint16_t qid __rte_unused)
{
	/* the queues live with the device */
}

static const struct eth_dev_ops shm_ops = {
	.dev_configure = shm_dev_configure,
	.dev_infos_get = shm_dev_infos_get,
	.dev_start = shm_dev_start,
	.dev_stop = shm_dev_stop,
	.dev_close = shm_dev_close,
	.rx_queue_setup = shm_rx_queue_setup,
	.tx_queue_setup = shm_tx_queue_setup,
	.rx_queue_release = shm_queue_release,
	.tx_queue_release = shm_queue_release,
	.link_update = shm_link_update,
	.stats_get = shm_stats_get,
	.stats_reset = shm_stats_reset,
	.xstats_get = shm_xstats_get,
	.xstats_get_names = shm_xstats_get_names,
	.xstats_reset = shm_stats_reset,
	.rx_queue_intr_enable = shm_rx_intr_enable,
	.rx_queue_intr_disable = shm_rx_intr_disable,
	.promiscuous_enable = shm_accept_all,
	.promiscuous_disable = shm_accept_all,
	.allmulticast_enable = shm_accept_all,
	.allmulticast_disable = shm_accept_all,
};

/* ---- probe and remove ---- */

/* A MAC of the port's own: locally administered, from its name. */
static void
shm_default_mac(const char *name, struct rte_ether_addr *mac)
{
	uint32_t h = rte_hash_crc(name, strlen(name), 0x5348);

	mac->addr_bytes[0] = 0x02;
	mac->addr_bytes[1] = 0x53;		/* 'S' */
	memcpy(&mac->addr_bytes[2], &h, 4);
}

static int
shm_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct dps_err err = { "" };
	struct rte_kvargs *kv;
	struct rte_eth_dev *dev;
	struct shm_dev *sd;
	struct shm_args a;
	int rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		SHM_LOG(ERR, "%s: shared-ring ports live in the primary process only", name);
		return -ENOTSUP;
	}
	kv = rte_kvargs_parse(rte_vdev_device_args(vdev), dps_shm_keys);
	if (kv == NULL) {
		/* Not the devargs themselves: they may hold the secret. */
		SHM_LOG(ERR, "%s: cannot parse its devargs (valid keys: path, mode, group, "
			"qpairs, ring, bufsize, secret, group-ports, spares, mac)", name);
		return -EINVAL;
	}
	rc = shm_args_parse(name, kv, &a, &err);
	rte_kvargs_free(kv);
	if (rc != 0) {
		SHM_LOG(ERR, "%s", err.msg);
		return rc;
	}
	dev = rte_eth_vdev_allocate(vdev, sizeof(*sd));
	if (dev == NULL)
		return -ENOMEM;
	sd = dev->data->dev_private;
	sd->args = a;
	snprintf(sd->name, sizeof(sd->name), "%s", name);
	if (!a.has_mac)
		shm_default_mac(name, &sd->args.mac);
	dev->data->mac_addrs = &sd->args.mac;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	dev->dev_ops = &shm_ops;
	dev->rx_pkt_burst = shm_rx_burst;
	dev->tx_pkt_burst = shm_tx_burst;
	sd->port_id = dev->data->port_id;
	rc = shm_attach_open(sd, dev->data->numa_node, &err);
	if (rc != 0) {
		SHM_LOG(ERR, "%s", err.msg);
		shm_attach_close(sd);
		dev->data->mac_addrs = NULL;
		rte_eth_dev_release_port(dev);
		return rc;
	}
	rte_eth_dev_probing_finish(dev);
	SHM_LOG(INFO, "%s: %s, socket %s, queue pairs %u..%u of a %" PRIu64 " MB region",
		name, a.trusted ? "trusted" : "isolated", a.path, sd->srv.qpair_base,
		sd->srv.qpair_base + a.qpairs - 1, sd->region->mem.size >> 20);
	return 0;
}

static int
shm_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;
	/*
	 * Closing releases the port (DPDK 22.11): releasing it again would
	 * find its data zeroed and reset port 0's burst functions instead.
	 */
	return rte_eth_dev_close(dev->data->port_id);
}

static struct rte_vdev_driver shm_vdev_drv = {
	.probe = shm_probe,
	.remove = shm_remove,
};

RTE_PMD_REGISTER_VDEV(net_shm, shm_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_shm,
	"path=<socket> mode=trusted|isolated group=<name> qpairs=<1-8> ring=<64-32768> "
	"bufsize=<2048-32768> secret=<string> group-ports=<1-64> spares=<1024-1048576> "
	"mac=<mac>");

/* ---- for the switch's port layer (dps_shm.h) ---- */

/* The switch port name of the shm port listening on socket @p sock, or NULL. */
static const char *
shm_socket_owner(const struct stat *sock)
{
	/* The switch names the device DPS_SHM_DRIVER "_" PORTNAME. */
	const size_t prefix = strlen(DPS_SHM_DRIVER "_");
	uint16_t id;

	RTE_ETH_FOREACH_DEV(id) {
		const struct rte_eth_dev *dev = &rte_eth_devices[id];
		const struct shm_dev *sd = dev->data->dev_private;
		struct stat st;

		if (dev->dev_ops == &shm_ops && stat(sd->args.path, &st) == 0 &&
		    st.st_dev == sock->st_dev && st.st_ino == sock->st_ino)
			return strncmp(sd->name, DPS_SHM_DRIVER "_", prefix) == 0 ?
				sd->name + prefix : sd->name;
	}
	return NULL;
}

/* A socket that answers is another process's; a stale one is replaced at probe. */
static int
shm_path_check(const char *port, const char *path, struct dps_err *err)
{
	const char *owner;
	struct stat st;
	int live;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return dps_err_set(err, -EEXIST, "port '%s': '%s' exists and is not a socket",
				   port, path);
	/* Our own: asking it (connecting) would count as a refused peer there. */
	owner = shm_socket_owner(&st);
	if (owner != NULL)
		return dps_err_set(err, -EADDRINUSE, "port '%s': socket '%s' is in use by "
				   "port %s of this switch", port, path, owner);
	live = dps_unix_probe(path);
	if (live != 0)
		return dps_err_set(err, live == 1 ? -EADDRINUSE : live, "port '%s': socket '%s' "
				   "is in use by another process%s", port, path,
				   live == 1 ? "" : " (cannot tell: not ours to replace)");
	return 0;
}

int
dps_shm_args_check(const char *port, struct rte_kvargs *kv, struct dps_err *err)
{
	struct shm_region_req req;
	struct shm_args a;
	int rc;

	rc = shm_args_parse(port, kv, &a, err);
	if (rc == 0)
		rc = shm_path_check(port, a.path, err);
	if (rc != 0)
		return rc;
	shm_args_region_req(&a, &req);
	return shm_region_check(&req, port, err);
}

uint16_t
dps_shm_nb_rxq(struct rte_kvargs *kv)
{
	struct shm_args a;

	return shm_args_parse("", kv, &a, NULL) == 0 ? (uint16_t)a.qpairs : 1;
}

int
dps_shm_info(uint16_t port_id, struct dps_shm_info *info)
{
	struct rte_eth_dev *dev;
	struct shm_dev *sd;

	if (!rte_eth_dev_is_valid_port(port_id))
		return -ENODEV;
	dev = &rte_eth_devices[port_id];
	if (dev->dev_ops != &shm_ops)
		return -ENOTSUP;
	sd = dev->data->dev_private;
	memset(info, 0, sizeof(*info));
	shm_ctl_lock_take();
	snprintf(info->path, sizeof(info->path), "%s", sd->args.path);
	snprintf(info->group, sizeof(info->group), "%s", sd->region->group);
	info->trusted = sd->region->trusted;
	info->group_id = sd->region->trusted ? sd->region->id : 0;
	info->guest = sd->args.guest;
	info->attached = sd->attached;
	info->guest_up = sd->guest_ctl != 0;
	info->hugepages = sd->region->mem.huge;
	info->qpairs = sd->args.qpairs;
	info->qpair_base = sd->srv.qpair_base;
	info->granted = sd->srv.granted;
	info->ring_size = sd->args.ring_size;
	info->buf_size = sd->args.buf_size;
	info->region_size = sd->region->mem.size;
	info->spares_total = sd->region->nb_spares;
	info->spares_free = sd->region->spares ? rte_mempool_avail_count(sd->region->spares) : 0;
	info->peer_bufs = (sd->srv.features & DPSR_F_PEER_BUFS) != 0;
	for (uint32_t q = 0; q < sd->args.qpairs; q++)
		info->bag_bufs += shm_region_bag_count(sd->region,
						       shm_bag_of(sd->srv.qpair_base + q));
	info->attaches = sd->srv.attaches;
	info->refusals = sd->srv.refusals;
	info->detaches = sd->detaches;
	info->region_faults = sd->region->faults;
	info->refused_no_region = sd->refused_no_region;
	info->guest_starts = sd->guest_starts;
	info->guest_stops = sd->guest_stops;
	info->guest_ctl_throttled = sd->guest_ctl_throttled;
	shm_ctl_lock_release();
	return 0;
}
