/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsr: a vdev ethdev that attaches a DPDK application to a dpswitch
 * shared-ring port over the port's unix socket (docs/shm-protocol.md,
 * "Attaching"; drivers/net/dpsr/README.md).
 *
 * Probe attaches (so the granted queue pairs are known before the
 * application configures the port) and close detaches. The switch's end of
 * the socket says nothing after the welcome: the socket turning readable
 * means the switch has gone, and the port goes down for good (no automatic
 * reconnect: the region and doorbells of a new attach would be new ones,
 * which a running application's queues cannot follow). The region stays
 * mapped until close, so a burst still running on another lcore never
 * touches unmapped memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>

#include "dpsr_peer.h"

RTE_LOG_REGISTER_DEFAULT(dpsr_peer_logtype, NOTICE);

#define DPSR_ARG_PATH "path"
#define DPSR_ARG_SECRET "secret"
#define DPSR_ARG_QPAIRS "qpairs"
#define DPSR_ARG_MAC "mac"

static const char *const valid_arguments[] = {
	DPSR_ARG_PATH,
	DPSR_ARG_SECRET,
	DPSR_ARG_QPAIRS,
	DPSR_ARG_MAC,
	NULL
};

/* Smallest mbuf data room we take: a chain of tiny segments is no use. */
#define DPSR_MIN_RX_BUFSIZE 64

/* What the devargs say, once checked. */
struct dpsr_args {
	const char *name;		/* the device's, for messages */
	char path[DPSR_PMD_PATH_MAX];
	char secret[DPSR_SECRET_MAX + 1];
	uint32_t qpairs;
	bool has_mac;
	struct rte_ether_addr mac;
};

/* ---- devargs: one validating callback per key ---- */

static int
dpsr_arg_path(const char *key, const char *value, void *opaque)
{
	struct dpsr_args *a = opaque;

	if (value[0] == '\0' || strlen(value) >= sizeof(a->path)) {
		DPSR_LOG(ERR, "%s: %s= must be a unix socket path of 1..%zu bytes",
			 a->name, key, sizeof(a->path) - 1);
		return -EINVAL;
	}
	strlcpy(a->path, value, sizeof(a->path));
	return 0;
}

static int
dpsr_arg_secret(const char *key, const char *value, void *opaque)
{
	struct dpsr_args *a = opaque;

	/* Never echo the secret itself. */
	if (strlen(value) > DPSR_SECRET_MAX) {
		DPSR_LOG(ERR, "%s: %s= is longer than %d bytes", a->name, key, DPSR_SECRET_MAX);
		return -EINVAL;
	}
	strlcpy(a->secret, value, sizeof(a->secret));
	return 0;
}

static int
dpsr_arg_qpairs(const char *key, const char *value, void *opaque)
{
	struct dpsr_args *a = opaque;
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-' ||
	    v < 1 || v > DPSR_PMD_QPAIRS_MAX) {
		DPSR_LOG(ERR, "%s: %s=%s is not valid: the queue pairs to ask for, 1..%d",
			 a->name, key, value, DPSR_PMD_QPAIRS_MAX);
		return -EINVAL;
	}
	a->qpairs = (uint32_t)v;
	return 0;
}

static int
dpsr_arg_mac(const char *key, const char *value, void *opaque)
{
	struct dpsr_args *a = opaque;

	if (rte_ether_unformat_addr(value, &a->mac) != 0 ||
	    !rte_is_valid_assigned_ether_addr(&a->mac)) {
		DPSR_LOG(ERR, "%s: %s=%s is not valid: a unicast MAC such as 02:00:00:00:00:01",
			 a->name, key, value);
		return -EINVAL;
	}
	a->has_mac = true;
	return 0;
}

static const struct {
	const char *key;
	arg_handler_t check;
} dpsr_arg_checks[] = {
	{ DPSR_ARG_PATH, dpsr_arg_path },
	{ DPSR_ARG_SECRET, dpsr_arg_secret },
	{ DPSR_ARG_QPAIRS, dpsr_arg_qpairs },
	{ DPSR_ARG_MAC, dpsr_arg_mac },
};

static bool
dpsr_arg_known(const char *key)
{
	for (unsigned int i = 0; valid_arguments[i] != NULL; i++)
		if (strcmp(key, valid_arguments[i]) == 0)
			return true;
	return false;
}

/*
 * Every key known, given once and with a value; then each key's check.
 * rte_kvargs_parse() with a list of valid keys would refuse an unknown one
 * without saying which, so the list is checked here.
 */
static int
dpsr_args_check(const struct rte_kvargs *kv, struct dpsr_args *a)
{
	for (unsigned int i = 0; i < kv->count; i++) {
		const char *key = kv->pairs[i].key;

		if (!dpsr_arg_known(key)) {
			DPSR_LOG(ERR, "%s: unknown devarg '%s': valid keys are %s, %s, %s, %s",
				 a->name, key, DPSR_ARG_PATH, DPSR_ARG_SECRET,
				 DPSR_ARG_QPAIRS, DPSR_ARG_MAC);
			return -EINVAL;
		}
		if (kv->pairs[i].value == NULL) {
			DPSR_LOG(ERR, "%s: devarg '%s' needs a value: %s=...", a->name, key, key);
			return -EINVAL;
		}
		if (rte_kvargs_count(kv, key) > 1) {
			DPSR_LOG(ERR, "%s: devarg '%s' is given more than once", a->name, key);
			return -EINVAL;
		}
	}
	for (unsigned int i = 0; i < RTE_DIM(dpsr_arg_checks); i++)
		if (rte_kvargs_process(kv, dpsr_arg_checks[i].key,
				       dpsr_arg_checks[i].check, a) != 0)
			return -EINVAL;
	if (a->path[0] == '\0') {
		DPSR_LOG(ERR, "%s: devarg '%s' is required: the unix socket of a dpswitch "
			 "shared-ring port, e.g. %s=/run/dpswitch/vm1.sock",
			 a->name, DPSR_ARG_PATH, DPSR_ARG_PATH);
		return -EINVAL;
	}
	return 0;
}

static int
dpsr_args_parse(const char *params, struct dpsr_args *a)
{
	struct rte_kvargs *kv;
	int rc;

	/* The secret may be in params: never log them. */
	kv = rte_kvargs_parse(params != NULL ? params : "", NULL);
	if (kv == NULL) {
		DPSR_LOG(ERR, "%s: cannot parse the devargs: expected key=value[,key=value...] "
			 "with keys %s, %s, %s, %s", a->name, DPSR_ARG_PATH, DPSR_ARG_SECRET,
			 DPSR_ARG_QPAIRS, DPSR_ARG_MAC);
		return -EINVAL;
	}
	rc = dpsr_args_check(kv, a);
	rte_kvargs_free(kv);
	return rc;
}

/*
 * A locally administered unicast MAC from the device name and the socket
 * path (FNV-1a): the same --vdev gives the same MAC on every run, so a
 * switch's MAC table stays valid across restarts, and peers of different
 * ports of one switch differ even when each process calls its device
 * net_dpsr0.
 */
static void
dpsr_default_mac(const char *name, const char *path, struct rte_ether_addr *mac)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *s = name; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ull;
	}
	h ^= '|';
	h *= 1099511628211ull;
	for (const char *s = path; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ull;
	}
	mac->addr_bytes[0] = 0x02;	/* locally administered, unicast */
	for (unsigned int i = 1; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(h >> (8 * (i - 1)));
}

/* ---- link state and the switch's hang-up ---- */

static void
dpsr_link_set(struct rte_eth_dev *dev, bool up)
{
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_UNKNOWN,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	rte_eth_linkstatus_set(dev, &link);
}

static bool
dpsr_attached(const struct dpsr_peer *p)
{
	return __atomic_load_n(&p->attached, __ATOMIC_ACQUIRE) != 0;
}

/*
 * On the interrupt thread: the control socket hung up or carried data.
 * Either way the switch is done with us (it sends nothing after the
 * welcome). The application may close the port from its LSC callback, so
 * the device is not touched after that callback.
 */
static void
dpsr_sock_event(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct dpsr_peer *p = dev->data->dev_private;
	char c;
	ssize_t n = recv(p->c.sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	__atomic_store_n(&p->attached, 0, __ATOMIC_RELEASE);
	/* Level-triggered: stop watching, or this would fire for ever. */
	rte_intr_callback_unregister_pending(p->sock_ih, dpsr_sock_event, arg, NULL);
	/* Tell the switch too, in case it only sent something; the fd stays until close. */
	shutdown(p->c.sock, SHUT_RDWR);
	if (n > 0)
		DPSR_LOG(ERR, "%s: unexpected message from the switch on '%s': detached, "
			 "link down (no automatic reconnect: close and probe again)",
			 dev->data->name, p->path);
	else
		DPSR_LOG(ERR, "%s: the switch closed '%s': link down (no automatic "
			 "reconnect: close and probe again)", dev->data->name, p->path);
	dpsr_link_set(dev, false);
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static int
dpsr_sock_watch(struct rte_eth_dev *dev)
{
	struct dpsr_peer *p = dev->data->dev_private;
	int rc;

	p->sock_ih = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (p->sock_ih == NULL)
		return -ENOMEM;
	if (rte_intr_fd_set(p->sock_ih, p->c.sock) != 0 ||
	    rte_intr_type_set(p->sock_ih, RTE_INTR_HANDLE_EXT) != 0) {
		rc = -rte_errno;
		goto fail;
	}
	rc = rte_intr_callback_register(p->sock_ih, dpsr_sock_event, dev);
	if (rc == 0)
		return 0;
fail:
	rte_intr_instance_free(p->sock_ih);
	p->sock_ih = NULL;
	return rc;
}

static void
dpsr_sock_unwatch(struct rte_eth_dev *dev)
{
	struct dpsr_peer *p = dev->data->dev_private;
	int rc;

	if (p->sock_ih == NULL)
		return;
	rc = rte_intr_callback_unregister(p->sock_ih, dpsr_sock_event, dev);
	if (rc == -EAGAIN && rte_thread_is_intr()) {
		/*
		 * Closed from an LSC callback, i.e. from within dpsr_sock_event(),
		 * which has already marked itself for removal: waiting for it to
		 * return would never end.
		 */
		rte_intr_callback_unregister_pending(p->sock_ih, dpsr_sock_event, dev, NULL);
	} else {
		while (rc == -EAGAIN) {		/* the callback runs right now */
			rte_pause();
			rc = rte_intr_callback_unregister(p->sock_ih, dpsr_sock_event, dev);
		}
	}
	rte_intr_instance_free(p->sock_ih);
	p->sock_ih = NULL;
}

/* ---- rx interrupts: each queue's DPSR_DB_PEER_RX eventfd ---- */

static void
dpsr_intr_uninstall(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *h = dev->intr_handle;

	if (h == NULL)
		return;
	/*
	 * Take the eventfds out of any epoll set the application left them in:
	 * the switch holds the same files open, so closing ours would not, and
	 * a later ring would hand epoll a pointer into freed memory.
	 */
	rte_intr_free_epoll_fd(h);
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	dev->intr_handle = NULL;
}

/*
 * As DPDK's vhost PMD: one vector per rx queue. The efds are the doorbells
 * themselves, owned by the attach (never closed here); with a counter size
 * of 8, DPDK reads the eventfd when epoll reports it.
 */
static int
dpsr_intr_install(struct rte_eth_dev *dev)
{
	struct dpsr_peer *p = dev->data->dev_private;
	uint16_t nb = dev->data->nb_rx_queues;
	struct rte_intr_handle *h;

	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h == NULL)
		return -ENOMEM;
	dev->intr_handle = h;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
	    rte_intr_efd_counter_size_set(h, sizeof(uint64_t)) != 0 ||
	    rte_intr_vec_list_alloc(h, NULL, nb) != 0)
		goto fail;
	for (uint16_t q = 0; q < nb; q++)
		if (rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0 ||
		    rte_intr_efds_index_set(h, q, p->rxq[q].db_wake) != 0)
			goto fail;
	if (rte_intr_nb_efd_set(h, nb) != 0 || rte_intr_max_intr_set(h, nb + 1) != 0)
		goto fail;
	return 0;
fail:
	dpsr_intr_uninstall(dev);
	return -ENOMEM;
}

static int
dpsr_rx_intr_enable(struct rte_eth_dev *dev, uint16_t q)
{
	struct dpsr_peer *p = dev->data->dev_private;

	dpsr_peer_rxq_intr_enable(&p->rxq[q]);
	return 0;
}

static int
dpsr_rx_intr_disable(struct rte_eth_dev *dev, uint16_t q)
{
	struct dpsr_peer *p = dev->data->dev_private;

	dpsr_peer_rxq_intr_disable(&p->rxq[q]);
	return 0;
}

/* ---- eth_dev_ops ---- */

static int
dpsr_dev_configure(struct rte_eth_dev *dev)
{
	struct dpsr_peer *p = dev->data->dev_private;
	uint16_t nb_rx = dev->data->nb_rx_queues, nb_tx = dev->data->nb_tx_queues;

	/* Queue pair q is rx queue q and tx queue q: the counts go together. */
	if (nb_rx != nb_tx || nb_rx == 0 || nb_rx > p->nb_qpairs) {
		DPSR_LOG(ERR, "%s: %u rx and %u tx queues: configure as many of each, "
			 "1..%u (the queue pairs attached; qpairs= asks for more)",
			 dev->data->name, nb_rx, nb_tx, p->nb_qpairs);
		return -EINVAL;
	}
	return 0;
}

static int
dpsr_dev_start(struct rte_eth_dev *dev)
{
	int rc;

	/* Set up here, where the rx queues are known; dev_stop takes it down. */
	if (dev->data->dev_conf.intr_conf.rxq && dev->intr_handle == NULL) {
		rc = dpsr_intr_install(dev);
		if (rc != 0) {
			DPSR_LOG(ERR, "%s: cannot set up rx interrupts: %s",
				 dev->data->name, strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	}
	dpsr_link_set(dev, dpsr_attached(dev->data->dev_private));
	return 0;
}

static int
dpsr_dev_stop(struct rte_eth_dev *dev)
{
	struct dpsr_peer *p = dev->data->dev_private;

	dpsr_intr_uninstall(dev);
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		/* Nobody sleeps on a stopped queue: the switch need not ring. */
		dpsr_peer_rxq_intr_disable(&p->rxq[q]);
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	}
	dpsr_link_set(dev, false);
	return 0;
}

static int
dpsr_dev_close(struct rte_eth_dev *dev)
{
	struct dpsr_peer *p = dev->data->dev_private;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	dpsr_intr_uninstall(dev);
	dpsr_sock_unwatch(dev);
	__atomic_store_n(&p->attached, 0, __ATOMIC_RELEASE);
	dpsr_client_detach(&p->c);	/* unmaps, closes the doorbells and the socket */
	DPSR_LOG(INFO, "%s: detached from '%s'", dev->data->name, p->path);
	/* mac_addrs is part of dev_private: not for rte_eth_dev_release_port() to free. */
	dev->data->mac_addrs = NULL;
	return 0;
}

static int
dpsr_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct dpsr_peer *p = dev->data->dev_private;
	uint16_t ring = (uint16_t)p->c.view.ring_size;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = p->max_frame;
	info->min_rx_bufsize = DPSR_MIN_RX_BUFSIZE;
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
dpsr_rx_queue_setup(struct rte_eth_dev *dev, uint16_t q, uint16_t nb_desc,
		    unsigned int socket, const struct rte_eth_rxconf *conf,
		    struct rte_mempool *mp)
{
	struct dpsr_peer *p = dev->data->dev_private;

	RTE_SET_USED(nb_desc);
	RTE_SET_USED(socket);
	RTE_SET_USED(conf);
	/* The ring state lives in the device: a queue set up again goes on where it was. */
	p->rxq[q].mp = mp;
	p->rxq[q].port_id = dev->data->port_id;
	dev->data->rx_queues[q] = &p->rxq[q];
	return 0;
}

static int
dpsr_tx_queue_setup(struct rte_eth_dev *dev, uint16_t q, uint16_t nb_desc,
		    unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct dpsr_peer *p = dev->data->dev_private;

	RTE_SET_USED(nb_desc);
	RTE_SET_USED(socket);
	RTE_SET_USED(conf);
	dev->data->tx_queues[q] = &p->txq[q];
	return 0;
}

static int
dpsr_link_update(struct rte_eth_dev *dev, int wait_to_complete)
{
	RTE_SET_USED(wait_to_complete);
	dpsr_link_set(dev, dev->data->dev_started && dpsr_attached(dev->data->dev_private));
	return 0;
}

/* There is no filter to open or close: the switch decides what reaches the port. */
static int
dpsr_accept_all(struct rte_eth_dev *dev)
{
	RTE_SET_USED(dev);
	return 0;
}

static int
dpsr_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct dpsr_peer *p = dev->data->dev_private;

	if ((uint32_t)mtu + RTE_ETHER_HDR_LEN > p->max_frame) {
		DPSR_LOG(ERR, "%s: MTU %u is too large: at most %u (the region's buffers)",
			 dev->data->name, mtu, p->max_frame - RTE_ETHER_HDR_LEN);
		return -EINVAL;
	}
	return 0;
}

/* ---- statistics ---- */

static uint64_t
dpsr_rx_refused(const struct dpsr_peer_rxq_stats *s)
{
	uint64_t n = 0;

	for (unsigned int b = DPSR_OK + 1; b < DPSR_BAD_MAX; b++)
		n += s->err.bad_desc[b];
	return n;
}

static int
dpsr_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct dpsr_peer *p = dev->data->dev_private;

	st->rx_nombuf = 0;
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		const struct dpsr_peer_rxq_stats *rx = &p->rxq[q].st;
		const struct dpsr_peer_txq_stats *tx = &p->txq[q].st;
		uint64_t refused = dpsr_rx_refused(rx);

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
dpsr_stats_reset(struct rte_eth_dev *dev)
{
	struct dpsr_peer *p = dev->data->dev_private;

	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		memset(&p->rxq[q].st, 0, sizeof(p->rxq[q].st));
		memset(&p->txq[q].st, 0, sizeof(p->txq[q].st));
	}
	return 0;
}

/* The driver's own counters, summed over the queues. */
enum {
	DPSR_XS_RX_BAD_INDEX,
	DPSR_XS_RX_BAD_BUF,
	DPSR_XS_RX_BAD_LEN,
	DPSR_XS_RX_BAD_RANGE,
	DPSR_XS_RX_BAD_FLAGS,
	DPSR_XS_TX_BAD_INDEX,
	DPSR_XS_TX_BAD_BUF,
	DPSR_XS_TX_BAD_LEN,
	DPSR_XS_TX_DISCONNECTED,
	DPSR_XS_DOORBELLS_RUNG,
	DPSR_XS_NB
};

static const char *const dpsr_xstat_names[DPSR_XS_NB] = {
	[DPSR_XS_RX_BAD_INDEX] = "rx_bad_index",
	[DPSR_XS_RX_BAD_BUF] = "rx_bad_buf",
	[DPSR_XS_RX_BAD_LEN] = "rx_bad_len",
	[DPSR_XS_RX_BAD_RANGE] = "rx_bad_range",
	[DPSR_XS_RX_BAD_FLAGS] = "rx_bad_flags",
	[DPSR_XS_TX_BAD_INDEX] = "tx_bad_index",
	[DPSR_XS_TX_BAD_BUF] = "tx_bad_buf",
	[DPSR_XS_TX_BAD_LEN] = "tx_bad_len",
	[DPSR_XS_TX_DISCONNECTED] = "tx_disconnected",
	[DPSR_XS_DOORBELLS_RUNG] = "doorbells_rung",
};

static void
dpsr_xstats_sum(const struct dpsr_peer *p, uint64_t v[DPSR_XS_NB])
{
	memset(v, 0, sizeof(uint64_t) * DPSR_XS_NB);
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		const struct dpsr_peer_rxq_stats *rx = &p->rxq[q].st;
		const struct dpsr_peer_txq_stats *tx = &p->txq[q].st;

		v[DPSR_XS_RX_BAD_INDEX] += rx->err.bad_index;
		v[DPSR_XS_RX_BAD_BUF] += rx->err.bad_desc[DPSR_BAD_BUF];
		v[DPSR_XS_RX_BAD_LEN] += rx->err.bad_desc[DPSR_BAD_LEN];
		v[DPSR_XS_RX_BAD_RANGE] += rx->err.bad_desc[DPSR_BAD_RANGE];
		v[DPSR_XS_RX_BAD_FLAGS] += rx->err.bad_desc[DPSR_BAD_FLAGS];
		v[DPSR_XS_TX_BAD_INDEX] += tx->bad_index;
		v[DPSR_XS_TX_BAD_BUF] += tx->bad_buf;
		v[DPSR_XS_TX_BAD_LEN] += tx->bad_len;
		v[DPSR_XS_TX_DISCONNECTED] += tx->disconnected;
		v[DPSR_XS_DOORBELLS_RUNG] += rx->doorbells + tx->doorbells;
	}
}

static int
dpsr_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		      unsigned int size)
{
	RTE_SET_USED(dev);
	if (names == NULL || size < DPSR_XS_NB)
		return DPSR_XS_NB;
	for (unsigned int i = 0; i < DPSR_XS_NB; i++)
		strlcpy(names[i].name, dpsr_xstat_names[i], sizeof(names[i].name));
	return DPSR_XS_NB;
}

static int
dpsr_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	uint64_t v[DPSR_XS_NB];

	if (xs == NULL || n < DPSR_XS_NB)
		return DPSR_XS_NB;
	dpsr_xstats_sum(dev->data->dev_private, v);
	for (unsigned int i = 0; i < DPSR_XS_NB; i++) {
		xs[i].id = i;
		xs[i].value = v[i];
	}
	return DPSR_XS_NB;
}

static const struct eth_dev_ops dpsr_ops = {
	.dev_configure = dpsr_dev_configure,
	.dev_start = dpsr_dev_start,
	.dev_stop = dpsr_dev_stop,
	.dev_close = dpsr_dev_close,
	.dev_infos_get = dpsr_dev_infos_get,
	.rx_queue_setup = dpsr_rx_queue_setup,
	.tx_queue_setup = dpsr_tx_queue_setup,
	.rx_queue_intr_enable = dpsr_rx_intr_enable,
	.rx_queue_intr_disable = dpsr_rx_intr_disable,
	.link_update = dpsr_link_update,
	.promiscuous_enable = dpsr_accept_all,
	.promiscuous_disable = dpsr_accept_all,
	.allmulticast_enable = dpsr_accept_all,
	.allmulticast_disable = dpsr_accept_all,
	.mtu_set = dpsr_mtu_set,
	.stats_get = dpsr_stats_get,
	.stats_reset = dpsr_stats_reset,
	.xstats_get = dpsr_xstats_get,
	.xstats_get_names = dpsr_xstats_get_names,
	/* One reset for both: ethdev calls only this one when it exists. */
	.xstats_reset = dpsr_stats_reset,
};

/* ---- probe and remove ---- */

/* Queue pair q: rings 2 (base + q) and 2 (base + q) + 1, doorbells 4q.. (docs, "Attaching"). */
static void
dpsr_queues_init(struct dpsr_peer *p)
{
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		const int *db = &p->c.db[DPSR_DB_PER_QPAIR * q];
		uint32_t ring = 2 * (p->c.qpair_base + q);

		dpsr_peer_txq_init(&p->txq[q], &p->c.view, ring, db[DPSR_DB_SWITCH_RX],
				   &p->attached);
		dpsr_peer_rxq_init(&p->rxq[q], &p->c.view, ring + 1, db[DPSR_DB_PEER_RX],
				   db[DPSR_DB_SWITCH_ROOM], &p->attached);
	}
}

static int
dpsr_attach(const struct dpsr_args *a, struct dpsr_client *c)
{
	struct dps_err err = { "" };
	int rc;

	rc = dpsr_client_attach(c, a->path, a->secret, a->qpairs, &err);
	if (rc != 0) {
		DPSR_LOG(ERR, "%s: %s", a->name, err.msg);
		return rc;
	}
	/* The protocol grants what was asked or refuses; anything else is a broken switch. */
	if (c->nb_qpairs != a->qpairs) {
		DPSR_LOG(ERR, "%s: '%s' granted %u queue pairs, %u were asked for",
			 a->name, a->path, c->nb_qpairs, a->qpairs);
		dpsr_client_detach(c);
		return -EPROTO;
	}
	return 0;
}

static int
dpsr_probe(struct rte_vdev_device *vdev)
{
	struct dpsr_args a = { .name = rte_vdev_device_name(vdev), .qpairs = 1 };
	struct rte_eth_dev *dev;
	struct dpsr_client c;
	struct dpsr_peer *p;
	int rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		DPSR_LOG(ERR, "%s: secondary processes are not supported: the attach "
			 "(region, doorbells, socket) belongs to one process", a.name);
		return -ENOTSUP;
	}
	rc = dpsr_args_parse(rte_vdev_device_args(vdev), &a);
	if (rc != 0)
		return rc;
	if (!a.has_mac)
		dpsr_default_mac(a.name, a.path, &a.mac);
	rc = dpsr_attach(&a, &c);
	if (rc != 0)
		return rc;
	dev = rte_eth_vdev_allocate(vdev, sizeof(*p));
	if (dev == NULL) {
		DPSR_LOG(ERR, "%s: cannot allocate the ethdev", a.name);
		dpsr_client_detach(&c);
		return -ENOMEM;
	}
	p = dev->data->dev_private;
	p->c = c;
	strlcpy(p->path, a.path, sizeof(p->path));
	p->mac = a.mac;
	p->nb_qpairs = c.nb_qpairs;
	p->max_frame = RTE_MIN(c.view.lim.buf_size, (uint32_t)DPSR_FRAME_MAX);
	p->attached = 1;
	dpsr_queues_init(p);

	dev->dev_ops = &dpsr_ops;
	dev->rx_pkt_burst = dpsr_peer_rx_burst;
	dev->tx_pkt_burst = dpsr_peer_tx_burst;
	dev->data->mac_addrs = &p->mac;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dpsr_link_set(dev, false);
	rc = dpsr_sock_watch(dev);
	if (rc != 0) {
		DPSR_LOG(ERR, "%s: cannot watch '%s' for the switch hanging up: %s",
			 a.name, a.path, strerror(-rc));
		dpsr_client_detach(&p->c);
		dev->data->mac_addrs = NULL;
		rte_eth_dev_release_port(dev);
		return rc;
	}
	rte_eth_dev_probing_finish(dev);
	DPSR_LOG(INFO, "%s: attached to '%s': %u queue pair(s) (the region's %u..%u), "
		 "%u slots per ring, %u buffers of %u bytes, MAC " RTE_ETHER_ADDR_PRT_FMT,
		 a.name, a.path, p->nb_qpairs, c.qpair_base, c.qpair_base + p->nb_qpairs - 1,
		 c.view.ring_size, c.view.lim.nb_bufs, c.view.lim.buf_size,
		 RTE_ETHER_ADDR_BYTES(&p->mac));
	return 0;
}

static int
dpsr_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;		/* closed already: rte_eth_dev_close() released it */
	if (dev->data->dev_started)
		dpsr_dev_stop(dev);
	dpsr_dev_close(dev);
	return rte_eth_dev_release_port(dev);
}

static struct rte_vdev_driver dpsr_vdev_drv = {
	.probe = dpsr_probe,
	.remove = dpsr_remove,
};

RTE_PMD_REGISTER_VDEV(net_dpsr, dpsr_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_dpsr,
	DPSR_ARG_PATH "=<unix socket> "
	DPSR_ARG_SECRET "=<string, at most 64 bytes> "
	DPSR_ARG_QPAIRS "=<1-64> "
	DPSR_ARG_MAC "=<unicast MAC>");
