/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: one rx and one tx queue of PG_NB_DESC descriptors each, the one
 * mbuf pool they share, and pre-learning for MAC-learning switches.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "pg.h"

#define PG_LINK_WAIT_MS 5000
#define PG_LEARN_SETTLE_MS 200
#define PG_POOL_CACHE 256

/* The ports a mode touches: tx and/or rx (also rx for --learn). */
static unsigned int
used_ports(const struct pg_options *o, uint16_t ports[2])
{
	unsigned int n = 0;

	if (o->mode != PG_RX)
		ports[n++] = o->tx_port;
	if ((o->mode != PG_TX || o->learn) && (n == 0 || o->rx_port != o->tx_port))
		ports[n++] = o->rx_port;
	return n;
}

/*
 * Every descriptor of every used queue may hold an mbuf, plus a burst in
 * our hands on each side, plus the per-lcore caches.
 */
struct rte_mempool *
pg_pool_create(const struct pg_options *o)
{
	uint16_t ports[2];
	unsigned int n = used_ports(o, ports) * 2 * PG_NB_DESC +
			 4 * PG_MAX_BURST + PG_POOL_CACHE * rte_lcore_count();
	struct rte_mempool *mp;

	n = RTE_MAX(n, 8192u) - 1;	/* 2^k - 1 is the ring's best fit */
	mp = rte_pktmbuf_pool_create("pg_mbufs", n, PG_POOL_CACHE, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL)
		fprintf(stderr, "%s: cannot allocate %u mbufs: %s (hugepages set up? "
			"or try --in-memory)\n", PG_PROG, n, rte_strerror(rte_errno));
	return mp;
}

static int
port_fail(uint16_t port, const char *what, int rc)
{
	fprintf(stderr, "%s: port %u: %s failed: %s\n", PG_PROG, port, what,
		rte_strerror(-rc));
	return rc;
}

static int
port_setup(uint16_t port, const struct pg_options *o, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_txconf txconf;
	uint16_t nb_rxd = PG_NB_DESC, nb_txd = PG_NB_DESC;
	int socket = rte_eth_dev_socket_id(port);
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return port_fail(port, "info", rc);
	/* Reflect sends mbufs a PMD handed us, which need not be ours. */
	if (o->mode != PG_REFLECT &&
	    (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE))
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	conf.intr_conf.rxq = o->ping_block && port == o->rx_port;
	/*
	 * Link changes by interrupt where the PMD has them: a virtio-user port
	 * in server mode takes a new vhost-user backend (a restarted switch)
	 * only then.
	 */
	conf.intr_conf.lsc = info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC);
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc != 0)
		return port_fail(port, "configure", rc);
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc != 0)
		return port_fail(port, "descriptor count", rc);
	rc = rte_eth_rx_queue_setup(port, 0, nb_rxd, socket, NULL, mp);
	if (rc != 0)
		return port_fail(port, "rx queue set-up", rc);
	txconf = info.default_txconf;
	txconf.offloads = conf.txmode.offloads;
	rc = rte_eth_tx_queue_setup(port, 0, nb_txd, socket, &txconf);
	if (rc != 0)
		return port_fail(port, "tx queue set-up", rc);
	rc = rte_eth_dev_start(port);
	if (rc != 0)
		return port_fail(port, "start", rc);
	/* Flows go to made-up MACs; a NIC-like PMD must not filter them. */
	rte_eth_promiscuous_enable(port);
	return 0;
}

static void
wait_link(uint16_t port)
{
	struct rte_eth_link link;

	for (int ms = 0; ms < PG_LINK_WAIT_MS; ms += 10) {
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return;
		if (pg_quit)
			return;
		rte_delay_us_sleep(10 * 1000);
	}
	fprintf(stderr, "%s: port %u: link still down after %d ms, running anyway\n",
		PG_PROG, port, PG_LINK_WAIT_MS);
}

int
pg_ports_setup(const struct pg_options *o, struct rte_mempool *mp)
{
	uint16_t ports[2];
	unsigned int n = used_ports(o, ports);

	for (unsigned int i = 0; i < n; i++) {
		if (!rte_eth_dev_is_valid_port(ports[i])) {
			fprintf(stderr, "%s: --%s-port %u: no such port (EAL has %u; "
				"add ports with --vdev)\n", PG_PROG,
				ports[i] == o->tx_port && o->mode != PG_RX ? "tx" : "rx",
				ports[i], rte_eth_dev_count_avail());
			return -ENODEV;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		int rc = port_setup(ports[i], o, mp);

		if (rc != 0)
			return rc;
	}
	for (unsigned int i = 0; i < n; i++)
		wait_link(ports[i]);
	return 0;
}

void
pg_ports_close(const struct pg_options *o)
{
	uint16_t ports[2];
	unsigned int n = used_ports(o, ports);

	for (unsigned int i = 0; i < n; i++) {
		if (!rte_eth_dev_is_valid_port(ports[i]))
			continue;
		rte_eth_dev_stop(ports[i]);
		rte_eth_dev_close(ports[i]);
	}
}

/* Send all n, retrying while the queue is full; free what is left. */
uint16_t
pg_tx_all(uint16_t port, struct rte_mbuf **pkts, uint16_t n, uint64_t timeout_cycles)
{
	uint64_t deadline = rte_rdtsc() + timeout_cycles;
	uint16_t sent = 0;

	while (sent < n && !pg_quit) {
		sent += rte_eth_tx_burst(port, 0, pkts + sent, n - sent);
		if (sent < n && rte_rdtsc() > deadline)
			break;
	}
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return sent;
}

static uint64_t
drain(uint16_t port)
{
	struct rte_mbuf *pkts[PG_MAX_BURST];
	uint64_t total = 0;
	uint16_t n;

	while ((n = rte_eth_rx_burst(port, 0, pkts, PG_MAX_BURST)) > 0) {
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

static uint64_t
drain_both(const struct pg_options *o)
{
	return drain(o->tx_port) + drain(o->rx_port);
}

/*
 * One broadcast per flow from the rx port, sourced from the flow's
 * destination MAC: a learning switch then forwards each flow to the rx
 * port instead of flooding it. The floods that come back are discarded
 * (and counted, so a test can match the switch's counters exactly).
 */
int
pg_learn(struct pg_ctx *c)
{
	const struct pg_options *o = c->opt;
	struct rte_mbuf *pkts[PG_MAX_BURST];
	uint64_t end;

	for (uint32_t f = 0; f < o->flows && !pg_quit; ) {
		uint16_t n = (uint16_t)RTE_MIN((uint32_t)o->burst, o->flows - f);

		if (rte_pktmbuf_alloc_bulk(c->pool, pkts, n) != 0)
			return -ENOMEM;
		for (uint16_t i = 0; i < n; i++) {
			pg_frame_fill(&c->fr, pkts[i], f + i, o->size_min, 0, 0);
			pg_frame_learn(rte_pktmbuf_mtod(pkts[i], uint8_t *), o, f + i);
		}
		if (pg_tx_all(o->rx_port, pkts, n, c->hz) != n) {
			fprintf(stderr, "%s: --learn: port %u does not transmit\n",
				PG_PROG, o->rx_port);
			return -EIO;
		}
		c->learn_tx += n;
		f += n;
		c->learn_rx += drain_both(o);
	}
	end = rte_rdtsc() + c->hz * PG_LEARN_SETTLE_MS / 1000;
	while (rte_rdtsc() < end && !pg_quit)
		c->learn_rx += drain_both(o);
	return 0;
}
