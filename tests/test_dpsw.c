/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the peer PMD net_dpsw (drivers/net/dpsw), driven through
 * rte_eth_* calls over a real EAL with no hugepages and no NIC.
 *
 * A switch stand-in (dpsw_standin.c) serves queue pairs 1..2 of a
 * three-queue-pair region on a unix socket; the tests play the switch's
 * datapath on its mapping, or write descriptors by hand to play a broken
 * switch. Every frame is checked byte for byte; every counter exactly.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>

#include "dpsw_standin.h"
#include "test_common.h"
#include "test_eal.h"

#define TXPOOL_N 511
#define RXPOOL_N 511

/* ---- helpers on the PMD's side ---- */

static struct rte_mempool *txpool, *rxpool;

/* A frame of the given segments, from txpool, filled with pat(seed). */
static struct rte_mbuf *
make_pkt(const uint16_t *seg, unsigned int nseg, uint8_t seed)
{
	struct rte_mbuf *head = NULL;
	uint32_t k = 0;

	for (unsigned int i = 0; i < nseg; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(txpool);
		uint8_t *d = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, seg[i]) : NULL;

		if (d == NULL) {
			fprintf(stderr, "make_pkt: no mbuf for %u bytes\n", seg[i]);
			abort();
		}
		for (uint32_t j = 0; j < seg[i]; j++)
			d[j] = pat(seed, k++);
		if (head == NULL)
			head = m;
		else
			rte_pktmbuf_chain(head, m);
	}
	return head;
}

static struct rte_mbuf *
make1(uint16_t len, uint8_t seed)
{
	return make_pkt(&len, 1, seed);
}

static bool
mbuf_ok(const struct rte_mbuf *m, uint32_t len, uint8_t seed)
{
	static uint8_t flat[DPSR_FRAME_MAX];
	const uint8_t *p;

	if (m->pkt_len != len)
		return false;
	p = rte_pktmbuf_read(m, 0, len, flat);
	return p != NULL && frame_ok(p, len, seed);
}

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port, &id, &v, 1) != 1)
		return UINT64_MAX;
	return v;
}

static struct dpsr_ring *
ring_of(const struct dpsr_qring *q)
{
	return q->shared;
}

/* ---- probe errors ---- */

static void
probe_fails(const char *args, const char *expect)
{
	size_t mark = log_mark();

	CHECK(rte_vdev_init("net_dpsw0", args) < 0);
	CHECK_LOG(mark, expect);
	/* One line says it all. */
	CHECK_EQ(log_count(mark, "net_dpsw0: "), 1);
}

static void
test_probe_errors(void)
{
	char args[256];
	char longsecret[DPSR_SECRET_MAX + 2];

	probe_fails("", "net_dpsw0: devarg 'path' is required");
	snprintf(args, sizeof(args), "path=%s,colour=red", path);
	probe_fails(args, "unknown devarg 'colour': valid keys are path, secret, qpairs, mac, "
		    "reconnect-ms");
	snprintf(args, sizeof(args), "path=%s,reconnect-ms=60001", path);
	probe_fails(args, "reconnect-ms=60001 is not valid: milliseconds between tries");
	snprintf(args, sizeof(args), "path=%s,reconnect-ms=1,reconnect-ms=2", path);
	probe_fails(args, "devarg 'reconnect-ms' is given more than once");
	snprintf(args, sizeof(args), "path=%s,path=%s", path, path);
	probe_fails(args, "devarg 'path' is given more than once");
	probe_fails("path", "devarg 'path' needs a value");
	snprintf(args, sizeof(args), "path=%s,secret=%s,qpairs=0", path, SECRET);
	probe_fails(args, "qpairs=0 is not valid: the queue pairs to ask for, 1..64");
	snprintf(args, sizeof(args), "path=%s,secret=%s,qpairs=65", path, SECRET);
	probe_fails(args, "qpairs=65 is not valid");
	snprintf(args, sizeof(args), "path=%s,secret=%s,qpairs=2x", path, SECRET);
	probe_fails(args, "qpairs=2x is not valid");
	snprintf(args, sizeof(args), "path=%s,secret=%s,qpairs=-1", path, SECRET);
	probe_fails(args, "qpairs=-1 is not valid");
	snprintf(args, sizeof(args), "path=%s,secret=%s,mac=zz", path, SECRET);
	probe_fails(args, "mac=zz is not valid: a unicast MAC");
	snprintf(args, sizeof(args), "path=%s,secret=%s,mac=01:00:5e:00:00:01", path, SECRET);
	probe_fails(args, "mac=01:00:5e:00:00:01 is not valid");
	memset(longsecret, 's', sizeof(longsecret) - 1);
	longsecret[sizeof(longsecret) - 1] = '\0';
	snprintf(args, sizeof(args), "path=%s,secret=%s", path, longsecret);
	probe_fails(args, "secret= is longer than 64 bytes");
	CHECK_EQ(log_count(0, longsecret), 0);		/* never echoed */

	/* Refusals by the switch carry its one-line reason. */
	snprintf(args, sizeof(args), "path=%s,secret=wrong", path);
	{
		char expect[128];

		snprintf(expect, sizeof(expect), "net_dpsw0: '%s' refused: wrong secret", path);
		probe_fails(args, expect);
	}
	CHECK_EQ(log_count(0, "secret=wrong"), 0);
	snprintf(args, sizeof(args), "path=%s", path);
	probe_fails(args, "refused: wrong secret");
	snprintf(args, sizeof(args), "path=%s,secret=%s,qpairs=3", path, SECRET);
	probe_fails(args, "refused: more queue pairs requested than the port has");
	probe_fails("path=/tmp/dpsr-pmd-no-such.sock",
		    "net_dpsw0: cannot connect to '/tmp/dpsr-pmd-no-such.sock'");

	CHECK_EQ(rte_eth_dev_count_avail(), 0);
	CHECK_EQ(__atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE), 0);
	CHECK(wait_peer(false));
}

/* ---- attached: information, configuration ---- */

static int lsc_events;

static int
lsc_cb(uint16_t port, enum rte_eth_event_type ev, void *arg, void *ret)
{
	(void)port;
	(void)arg;
	(void)ret;
	if (ev == RTE_ETH_EVENT_INTR_LSC)
		__atomic_fetch_add(&lsc_events, 1, __ATOMIC_RELAXED);
	return 0;
}

static bool
link_up(uint16_t port)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

static int
attach_main(void)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	char args[256];
	uint16_t port = 0;
	int rc;

	/* This one stays down when the switch goes (test_disconnect); test_reattach's does not. */
	snprintf(args, sizeof(args), "path=%s,secret=%s,qpairs=2,mac=02:00:00:00:00:42,"
		 "reconnect-ms=0", path, SECRET);
	rc = rte_vdev_init("net_dpsw0", args);
	CHECK_EQ(rc, 0);
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_dpsw0", &port), 0);
	if (rc != 0)
		return -1;
	CHECK(wait_peer(true));
	CHECK_EQ(__atomic_load_n(&srv.granted, __ATOMIC_ACQUIRE), 2);
	sw_rings_init();

	CHECK_EQ(rte_eth_dev_info_get(port, &info), 0);
	CHECK_STREQ(info.driver_name, "net_dpsw");
	CHECK_EQ(info.max_rx_queues, 2);
	CHECK_EQ(info.max_tx_queues, 2);
	CHECK_EQ(info.max_rx_pktlen, DPSR_FRAME_MAX);	/* buffers are larger */
	CHECK_EQ(info.max_mtu, DPSR_FRAME_MAX - RTE_ETHER_HDR_LEN);
	CHECK_EQ(info.rx_desc_lim.nb_max, RING);
	CHECK_EQ(info.tx_desc_lim.nb_max, RING);
	CHECK(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER);
	CHECK(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS);
	CHECK_EQ(rte_eth_macaddr_get(port, &mac), 0);
	CHECK_EQ(mac.addr_bytes[5], 0x42);
	CHECK_EQ(mac.addr_bytes[0], 0x02);

	/* One peer per port: a second attach is refused with the switch's reason. */
	{
		size_t mark = log_mark();

		snprintf(args, sizeof(args), "path=%s,secret=%s", path, SECRET);
		CHECK(rte_vdev_init("net_dpsw9", args) < 0);
		CHECK_LOG(mark, "net_dpsw9: '");
		CHECK_LOG(mark, "refused: a peer is already attached to this port");
	}

	memset(&conf, 0, sizeof(conf));
	CHECK(rte_eth_dev_configure(port, 3, 3, &conf) < 0);	/* more than granted */
	{
		size_t mark = log_mark();

		CHECK(rte_eth_dev_configure(port, 2, 1, &conf) < 0);
		CHECK_LOG(mark, "net_dpsw0: 2 rx and 1 tx queues: configure as many of each, 1..2");
	}
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_SCATTER;
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	conf.intr_conf.rxq = 1;
	conf.intr_conf.lsc = 1;
	CHECK_EQ(rte_eth_dev_configure(port, 2, 2, &conf), 0);
	for (uint16_t q = 0; q < QPAIRS; q++) {
		CHECK_EQ(rte_eth_rx_queue_setup(port, q, RING, SOCKET_ID_ANY, NULL, rxpool), 0);
		CHECK_EQ(rte_eth_tx_queue_setup(port, q, RING, SOCKET_ID_ANY, NULL), 0);
	}
	CHECK(rte_eth_rx_queue_setup(port, 0, RING * 2, SOCKET_ID_ANY, NULL, rxpool) < 0);
	CHECK(!link_up(port));			/* not started yet */
	rc = rte_eth_dev_start(port);
	CHECK_EQ(rc, 0);
	CHECK(link_up(port));
	CHECK_EQ(rte_eth_promiscuous_enable(port), 0);
	CHECK_EQ(rte_eth_allmulticast_enable(port), 0);
	CHECK_EQ(rte_eth_dev_set_mtu(port, 9000), 0);
	CHECK(rte_eth_dev_set_mtu(port, 9300) < 0);
	CHECK_EQ(rte_eth_dev_set_mtu(port, 1500), 0);
	return port;
}

/* ---- frames both ways ---- */

static uint64_t exp_opk[QPAIRS], exp_obytes[QPAIRS], exp_ipk[QPAIRS], exp_ibytes[QPAIRS];

static void
test_tx(uint16_t port)
{
	static const uint16_t lens[4] = { 14, 60, 1514, 2048 };
	struct rte_mbuf *pkts[8];
	uint16_t got[SW_OUT];

	for (uint32_t q = 0; q < QPAIRS; q++) {
		uint32_t first = s_rx[q].idx;

		for (int i = 0; i < 4; i++)
			pkts[i] = make1(lens[i], (uint8_t)(10 * q + i));
		CHECK_EQ(rte_eth_tx_burst(port, q, pkts, 4), 4);
		CHECK_EQ(sw_recv(q, got), 4);
		for (uint32_t i = 0; i < 4; i++) {
			const struct dpsr_desc *d =
				&ring_of(&s_rx[q])->desc[dpsr_slot(RING, first + i)];

			CHECK_EQ(got[i], lens[i]);
			CHECK(frame_ok(sw_out[i], lens[i], (uint8_t)(10 * q + i)));
			/* The peer never changed a slot's buffer, and left headroom. */
			CHECK_EQ(d->buf, 2 * (BASE + q) * RING + dpsr_slot(RING, first + i));
			CHECK_EQ(d->off, DPSR_HEADROOM);
			CHECK(d->flags == 0 && d->rsvd0 == 0 && d->rsvd1 == 0);
			exp_opk[q]++;
			exp_obytes[q] += lens[i];
		}
		/* Nobody sleeps on the switch's side: no doorbell. */
		CHECK(!readable(sw_db(q, DPSR_DB_SWITCH_RX), 0));
	}
	CHECK_EQ(xstat(port, "doorbells_rung"), 0);

	/* A chain of three segments arrives as one frame. */
	{
		static const uint16_t segs[3] = { 100, 500, 1400 };

		pkts[0] = make_pkt(segs, 3, 77);
		CHECK_EQ(rte_eth_tx_burst(port, 0, pkts, 1), 1);
		CHECK_EQ(sw_recv(0, got), 1);
		CHECK_EQ(got[0], 2000);
		CHECK(frame_ok(sw_out[0], 2000, 77));
		exp_opk[0]++;
		exp_obytes[0] += 2000;
	}
	/* The longest frame: 9216 bytes in five segments. */
	{
		static const uint16_t segs[5] = { 2048, 2048, 2048, 2048, 1024 };

		pkts[0] = make_pkt(segs, 5, 78);
		CHECK_EQ(rte_eth_tx_burst(port, 1, pkts, 1), 1);
		CHECK_EQ(sw_recv(1, got), 1);
		CHECK_EQ(got[0], DPSR_FRAME_MAX);
		CHECK(frame_ok(sw_out[0], DPSR_FRAME_MAX, 78));
		exp_opk[1]++;
		exp_obytes[1] += DPSR_FRAME_MAX;
	}
	/* The switch sleeps: the PMD rings, once per burst. */
	CHECK(dpsr_cons_sleep_prepare(&s_rx[0]));
	pkts[0] = make1(60, 1);
	pkts[1] = make1(61, 2);
	CHECK_EQ(rte_eth_tx_burst(port, 0, pkts, 2), 2);
	CHECK(readable(sw_db(0, DPSR_DB_SWITCH_RX), 1000));
	{
		uint8_t rung[8];

		/* A doorbell is a pipe: one byte per ring, one ring per burst. */
		CHECK_EQ(read(sw_db(0, DPSR_DB_SWITCH_RX), rung, sizeof(rung)), 1);
	}
	dpsr_cons_sleep_done(&s_rx[0]);
	CHECK_EQ(sw_recv(0, got), 2);
	CHECK(frame_ok(sw_out[1], 61, 2));
	exp_opk[0] += 2;
	exp_obytes[0] += 121;
	CHECK_EQ(xstat(port, "doorbells_rung"), 1);
	CHECK_EQ(rte_mempool_avail_count(txpool), TXPOOL_N);	/* every mbuf freed */
}

static void
test_rx(uint16_t port)
{
	static const uint16_t lens[4] = { 14, 60, 1514, 2048 };
	struct rte_mbuf *pkts[RING];

	for (uint32_t q = 0; q < QPAIRS; q++) {
		for (int i = 0; i < 4; i++)
			CHECK_EQ(sw_send(q, lens[i], 1, (uint8_t)(100 + 10 * q + i)), 1);
		CHECK_EQ(rte_eth_rx_burst(port, q, pkts, 32), 4);
		for (int i = 0; i < 4; i++) {
			CHECK(mbuf_ok(pkts[i], lens[i], (uint8_t)(100 + 10 * q + i)));
			CHECK_EQ(pkts[i]->nb_segs, 1);
			CHECK_EQ(pkts[i]->port, port);
			exp_ipk[q]++;
			exp_ibytes[q] += lens[i];
		}
		rte_pktmbuf_free_bulk(pkts, 4);
		CHECK_EQ(ring_of(&s_tx[q])->cons, s_tx[q].idx);	/* all released */
		CHECK_EQ(rte_eth_rx_burst(port, q, pkts, 32), 0);
	}
	/* A jumbo frame arrives in a chain of mbufs (2048 bytes of room each). */
	CHECK_EQ(sw_send(0, 9000, 1, 33), 1);
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 32), 1);
	CHECK_EQ(pkts[0]->nb_segs, 5);
	CHECK(mbuf_ok(pkts[0], 9000, 33));
	rte_pktmbuf_free(pkts[0]);
	exp_ipk[0]++;
	exp_ibytes[0] += 9000;

	/* A full ring, the switch waiting for room: the PMD rings once it makes room. */
	CHECK_EQ(sw_send(1, 60, RING, 0), RING);
	CHECK_EQ(sw_send(1, 60, 1, 0), 0);
	CHECK(dpsr_prod_sleep_prepare(&s_tx[1]));
	CHECK_EQ(rte_eth_rx_burst(port, 1, pkts, 32), 32);
	CHECK(readable(sw_db(1, DPSR_DB_SWITCH_ROOM), 1000));
	drain(sw_db(1, DPSR_DB_SWITCH_ROOM));
	dpsr_prod_sleep_done(&s_tx[1]);
	CHECK_EQ(rte_eth_rx_burst(port, 1, pkts + 32, 32), 32);
	CHECK(!readable(sw_db(1, DPSR_DB_SWITCH_ROOM), 0));
	for (int i = 0; i < RING; i++)
		CHECK(mbuf_ok(pkts[i], 60, (uint8_t)i));
	rte_pktmbuf_free_bulk(pkts, RING);
	exp_ipk[1] += RING;
	exp_ibytes[1] += 60 * RING;
	CHECK_EQ(xstat(port, "doorbells_rung"), 2);
	CHECK_EQ(rte_mempool_avail_count(rxpool), RXPOOL_N);
}

static void
test_stats(uint16_t port)
{
	struct rte_eth_stats st;

	CHECK_EQ(rte_eth_stats_get(port, &st), 0);
	CHECK_EQ(st.opackets, exp_opk[0] + exp_opk[1]);
	CHECK_EQ(st.obytes, exp_obytes[0] + exp_obytes[1]);
	CHECK_EQ(st.ipackets, exp_ipk[0] + exp_ipk[1]);
	CHECK_EQ(st.ibytes, exp_ibytes[0] + exp_ibytes[1]);
	for (int q = 0; q < QPAIRS; q++) {
		CHECK_EQ(st.q_opackets[q], exp_opk[q]);
		CHECK_EQ(st.q_obytes[q], exp_obytes[q]);
		CHECK_EQ(st.q_ipackets[q], exp_ipk[q]);
		CHECK_EQ(st.q_ibytes[q], exp_ibytes[q]);
	}
	CHECK_EQ(st.oerrors, 0);
	CHECK_EQ(st.ierrors, 0);
	CHECK_EQ(st.rx_nombuf, 0);
	/* Per-queue counters are in xstats too (ethdev fills them in). */
	CHECK_EQ(xstat(port, "rx_q1_packets"), exp_ipk[1]);

	CHECK_EQ(rte_eth_stats_reset(port), 0);
	CHECK_EQ(rte_eth_stats_get(port, &st), 0);
	CHECK(st.opackets == 0 && st.ipackets == 0 && st.obytes == 0 && st.ibytes == 0);
	CHECK_EQ(xstat(port, "doorbells_rung"), 0);
	CHECK_EQ(sw_err.bad_index, 0);
}

/* ---- what a confused switch costs ---- */

static void
test_tx_errors(uint16_t port)
{
	static const uint16_t too_long[5] = { 2048, 2048, 2048, 2048, 1100 };
	struct rte_mbuf *pkts[5];
	struct rte_eth_stats st;
	uint16_t got[SW_OUT];
	volatile struct dpsr_desc *d;
	uint32_t saved;

	/* Bad lengths are consumed and counted, the rest of the burst goes. */
	pkts[0] = make1(60, 1);
	pkts[1] = make1(DPSR_FRAME_MIN - 1, 2);
	pkts[2] = make1(100, 3);
	pkts[3] = make_pkt(too_long, 5, 4);		/* 9292 > 9216 */
	pkts[4] = make1(200, 5);
	CHECK_EQ(rte_eth_tx_burst(port, 0, pkts, 5), 5);
	CHECK_EQ(sw_recv(0, got), 3);
	CHECK(got[0] == 60 && got[1] == 100 && got[2] == 200);
	CHECK(frame_ok(sw_out[0], 60, 1) && frame_ok(sw_out[1], 100, 3) &&
	      frame_ok(sw_out[2], 200, 5));
	CHECK_EQ(xstat(port, "tx_bad_len"), 2);
	CHECK_EQ(rte_eth_stats_get(port, &st), 0);
	CHECK_EQ(st.oerrors, 2);
	CHECK_EQ(st.opackets, 3);
	CHECK_EQ(rte_mempool_avail_count(txpool), TXPOOL_N);

	/* A free slot whose buffer is outside the pool stops the burst; nothing is lost. */
	d = &ring_of(&s_rx[0])->desc[dpsr_slot(RING, s_rx[0].idx)];
	saved = d->buf;
	d->buf = view.lim.nb_bufs + 5;
	pkts[0] = make1(70, 6);
	pkts[1] = make1(71, 7);
	CHECK_EQ(rte_eth_tx_burst(port, 0, pkts, 2), 0);
	CHECK_EQ(xstat(port, "tx_bad_buf"), 1);
	CHECK_EQ(d->buf, view.lim.nb_bufs + 5);		/* the peer never writes buf */
	CHECK_EQ(ring_of(&s_rx[0])->prod, s_rx[0].idx);
	d->buf = saved;
	CHECK_EQ(rte_eth_tx_burst(port, 0, pkts, 2), 2);
	CHECK_EQ(sw_recv(0, got), 2);
	CHECK(got[1] == 71 && frame_ok(sw_out[1], 71, 7));
	CHECK_EQ(xstat(port, "tx_bad_index"), 0);
	CHECK_EQ(sw_err.bad_index, 0);
}

/* Write a descriptor into the switch-to-peer ring by hand, as a broken switch would. */
static void
put_desc(uint32_t q, uint32_t k, uint32_t buf, uint16_t off, uint16_t len, uint16_t flags)
{
	volatile struct dpsr_desc *d = &ring_of(&s_tx[q])->desc[dpsr_slot(RING, s_tx[q].idx + k)];

	d->buf = buf;
	d->off = off;
	d->len = len;
	d->flags = flags;
	d->rsvd0 = 0;
	d->rsvd1 = 0;
}

static void
test_rx_errors(uint16_t port)
{
	struct dpsr_ring *r = ring_of(&s_tx[0]);
	struct rte_mbuf *pkts[2 * RING];
	struct rte_eth_stats st;
	uint32_t slot0 = dpsr_slot(RING, s_tx[0].idx), canon0 = r->desc[slot0].buf;
	uint32_t good = r->desc[dpsr_slot(RING, s_tx[0].idx + 4)].buf, cons;

	put_desc(0, 0, view.lim.nb_bufs, DPSR_HEADROOM, 60, 0);		/* bad_buf */
	put_desc(0, 1, r->desc[dpsr_slot(RING, s_tx[0].idx + 1)].buf, DPSR_HEADROOM, 10, 0);
	put_desc(0, 2, r->desc[dpsr_slot(RING, s_tx[0].idx + 2)].buf, 16000, 1000, 0);
	put_desc(0, 3, r->desc[dpsr_slot(RING, s_tx[0].idx + 3)].buf, DPSR_HEADROOM, 60, 1);
	for (uint32_t k = 0; k < 64; k++)
		dpsr_buf(&view, good)[DPSR_HEADROOM + k] = pat(55, k);
	put_desc(0, 4, good, DPSR_HEADROOM, 64, 0);
	s_tx[0].idx += 5;
	__atomic_store_n(&r->prod, s_tx[0].idx, __ATOMIC_RELEASE);

	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 32), 1);
	CHECK(mbuf_ok(pkts[0], 64, 55));
	rte_pktmbuf_free(pkts[0]);
	CHECK_EQ(xstat(port, "rx_bad_buf"), 1);
	CHECK_EQ(xstat(port, "rx_bad_len"), 1);
	CHECK_EQ(xstat(port, "rx_bad_range"), 1);
	CHECK_EQ(xstat(port, "rx_bad_flags"), 1);
	CHECK_EQ(xstat(port, "rx_bad_index"), 0);
	CHECK_EQ(r->cons, s_tx[0].idx);			/* refused slots released too */
	CHECK_EQ(rte_eth_stats_get(port, &st), 0);
	CHECK_EQ(st.ierrors, 4);
	CHECK_EQ(st.q_errors[0], 4);
	CHECK_EQ(st.ipackets, 1);
	r->desc[slot0].buf = canon0;			/* the switch's shadow would */

	/*
	 * A switch that claims more than a ring: the PMD takes nothing (a
	 * ring's worth would be stale descriptors taken as new frames) and
	 * counts it, until the index makes sense again.
	 */
	r = ring_of(&s_tx[1]);
	cons = r->cons;
	__atomic_store_n(&r->prod, cons + RING + 1, __ATOMIC_RELEASE);
	CHECK_EQ(rte_eth_rx_burst(port, 1, pkts, 2 * RING), 0);
	CHECK_EQ(xstat(port, "rx_bad_index"), 1);
	CHECK_EQ(r->cons, cons);
	__atomic_store_n(&r->prod, cons, __ATOMIC_RELEASE);
	CHECK_EQ(rte_eth_rx_burst(port, 1, pkts, 2 * RING), 0);
	CHECK_EQ(xstat(port, "rx_bad_index"), 1);
}

static void
test_nombuf(uint16_t port)
{
	static struct rte_mbuf *hoard[RXPOOL_N];
	struct dpsr_ring *r = ring_of(&s_tx[0]);
	struct rte_mbuf *pkts[32];
	struct rte_eth_stats st;
	unsigned int n = 0;
	uint32_t cons = r->cons;

	while (n < RXPOOL_N && (hoard[n] = rte_pktmbuf_alloc(rxpool)) != NULL)
		n++;
	CHECK_EQ(n, RXPOOL_N);
	CHECK_EQ(sw_send(0, 100, 1, 21), 1);
	CHECK_EQ(sw_send(0, 9000, 1, 22), 1);

	/* No mbuf: nothing taken, the frames wait in the ring. */
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 32), 0);
	CHECK_EQ(r->cons, cons);
	/* Two mbufs: the small frame, then the jumbo's chain fails half-way and goes back. */
	rte_pktmbuf_free(hoard[--n]);
	rte_pktmbuf_free(hoard[--n]);
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 32), 1);
	CHECK(mbuf_ok(pkts[0], 100, 21));
	CHECK_EQ(r->cons, cons + 1);
	rte_pktmbuf_free(pkts[0]);
	CHECK_EQ(rte_mempool_avail_count(rxpool), 2);
	CHECK_EQ(rte_eth_stats_get(port, &st), 0);
	CHECK_EQ(st.rx_nombuf, 2);

	rte_pktmbuf_free_bulk(hoard, n);
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 32), 1);
	CHECK_EQ(pkts[0]->nb_segs, 5);
	CHECK(mbuf_ok(pkts[0], 9000, 22));
	rte_pktmbuf_free(pkts[0]);
	CHECK_EQ(r->cons, cons + 2);
	CHECK_EQ(rte_mempool_avail_count(rxpool), RXPOOL_N);
}

/* ---- rx interrupts ---- */

static int epfd = -1;

static void
test_rx_intr(uint16_t port)
{
	struct dpsr_ring *r = ring_of(&s_tx[0]);
	struct rte_mbuf *pkts[32];
	struct rte_epoll_event ev[2];
	uint64_t kicks = __atomic_load_n(&sw_kicks, __ATOMIC_RELAXED);
	uint64_t rung = xstat(port, "doorbells_rung");
	int fd0 = rte_eth_dev_rx_intr_ctl_q_get_fd(port, 0);
	int fd1 = rte_eth_dev_rx_intr_ctl_q_get_fd(port, 1);

	CHECK(fd0 >= 0 && fd1 >= 0 && fd0 != fd1);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(epfd >= 0);
	CHECK_EQ(rte_eth_dev_rx_intr_ctl_q(port, 0, epfd, RTE_INTR_EVENT_ADD, NULL), 0);
	CHECK_EQ(rte_eth_dev_rx_intr_ctl_q(port, 1, epfd, RTE_INTR_EVENT_ADD, NULL), 0);

	/* Nobody sleeps: the switch does not ring. */
	CHECK_EQ(r->cons_wait, 0);
	CHECK_EQ(sw_send(0, 60, 1, 1), 1);
	CHECK_EQ(__atomic_load_n(&sw_kicks, __ATOMIC_RELAXED), kicks);
	CHECK(!readable(fd0, 0));
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 32), 1);
	rte_pktmbuf_free(pkts[0]);

	/* Armed on an empty ring: the flag is up, no self-ring; the switch's send wakes us. */
	CHECK_EQ(rte_eth_dev_rx_intr_enable(port, 0), 0);
	CHECK_EQ(r->cons_wait, 1);
	CHECK(!readable(fd0, 0));
	__atomic_store_n(&req_send, 0, __ATOMIC_RELEASE);
	CHECK_EQ(rte_epoll_wait(epfd, ev, 2, 2000), 1);
	CHECK_EQ(ev[0].fd, fd0);
	while (__atomic_load_n(&req_send, __ATOMIC_ACQUIRE) >= 0)
		usleep(1000);
	CHECK_EQ(__atomic_load_n(&sw_kicks, __ATOMIC_RELAXED), kicks + 1);
	CHECK_EQ(rte_eth_dev_rx_intr_disable(port, 0), 0);
	CHECK_EQ(r->cons_wait, 0);
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 32), 1);
	CHECK(mbuf_ok(pkts[0], 60, 0xa5));
	rte_pktmbuf_free(pkts[0]);
	/* The ring stays readable (EAL reads nothing) until the queue is armed again. */
	CHECK(readable(fd0, 0));
	CHECK_EQ(rte_eth_dev_rx_intr_enable(port, 0), 0);
	CHECK(!readable(fd0, 0));
	CHECK_EQ(rte_epoll_wait(epfd, ev, 2, 0), 0);
	CHECK_EQ(rte_eth_dev_rx_intr_disable(port, 0), 0);

	/* Disarmed: no ring again. */
	CHECK_EQ(sw_send(0, 60, 1, 2), 1);
	CHECK_EQ(__atomic_load_n(&sw_kicks, __ATOMIC_RELAXED), kicks + 1);
	CHECK(!readable(fd0, 0));

	/* Armed with a frame already there: the PMD rings its own doorbell. */
	CHECK_EQ(rte_eth_dev_rx_intr_enable(port, 0), 0);
	CHECK_EQ(r->cons_wait, 0);
	CHECK(readable(fd0, 0));
	CHECK_EQ(rte_epoll_wait(epfd, ev, 2, 0), 1);
	CHECK_EQ(rte_eth_dev_rx_intr_disable(port, 0), 0);
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 32), 1);
	rte_pktmbuf_free(pkts[0]);

	/* The PMD rang the switch for none of this. */
	CHECK_EQ(xstat(port, "doorbells_rung"), rung);
	CHECK_EQ(rte_eth_dev_rx_intr_ctl_q(port, 0, epfd, RTE_INTR_EVENT_DEL, NULL), 0);
	/* Queue 1 stays registered: dev_stop must take it out of epfd. */
}

/* ---- the switch goes away ---- */

static void
test_disconnect(uint16_t port)
{
	struct rte_mbuf *pkts[3];
	struct rte_eth_stats before, after;
	struct epoll_event eev[2];
	uint64_t attaches = __atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE);
	char expect[128];
	size_t mark = log_mark();
	int i, fd1;

	CHECK_EQ(rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL), 0);
	CHECK(link_up(port));
	__atomic_store_n(&req_detach, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 300 && (link_up(port) ||
				__atomic_load_n(&lsc_events, __ATOMIC_RELAXED) == 0); i++)
		usleep(10 * 1000);
	CHECK(!link_up(port));
	CHECK_EQ(__atomic_load_n(&lsc_events, __ATOMIC_RELAXED), 1);
	snprintf(expect, sizeof(expect), "net_dpsw0: the switch closed '%s': link down", path);
	CHECK_LOG(mark, expect);
	CHECK_LOG(mark, "reconnect-ms=0: no automatic reconnect");

	/* Transmit consumes and counts; receive gives nothing, whatever the ring says. */
	CHECK_EQ(rte_eth_stats_get(port, &before), 0);
	for (i = 0; i < 3; i++)
		pkts[i] = make1(60, (uint8_t)i);
	CHECK_EQ(rte_eth_tx_burst(port, 0, pkts, 3), 3);
	CHECK_EQ(xstat(port, "tx_disconnected"), 3);
	CHECK_EQ(rte_mempool_avail_count(txpool), TXPOOL_N);
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 3), 0);
	CHECK_EQ(rte_eth_stats_get(port, &after), 0);
	CHECK_EQ(after.oerrors - before.oerrors, 3);
	CHECK_EQ(after.opackets, before.opackets);
	CHECK_EQ(xstat(port, "rx_bad_index"), 1);	/* from test_rx_errors only */
	/* Arming does nothing either: nobody would ring. */
	CHECK_EQ(rte_eth_dev_rx_intr_enable(port, 0), 0);
	CHECK(!readable(rte_eth_dev_rx_intr_ctl_q_get_fd(port, 0), 0));

	/* No reconnect behind the application's back. */
	usleep(100 * 1000);
	CHECK_EQ(__atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE), attaches);
	CHECK(__atomic_load_n(&srv.peer_fd, __ATOMIC_ACQUIRE) < 0);
	CHECK(!link_up(port));

	/* Stopping takes queue 1's fd out of the application's epoll set. */
	fd1 = rte_eth_dev_rx_intr_ctl_q_get_fd(port, 1);
	CHECK(fd1 >= 0);
	CHECK_EQ(rte_eth_dev_stop(port), 0);
	CHECK(epoll_ctl(epfd, EPOLL_CTL_DEL, fd1, NULL) < 0 && errno == ENOENT);
	CHECK_EQ(epoll_wait(epfd, eev, 2, 0), 0);
	close(epfd);
	CHECK_EQ(rte_eth_dev_callback_unregister(port, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL), 0);
}

/* ---- the switch goes and comes back: the device attaches again ---- */

/* Mappings of a memfd (the regions) in this process. */
static int
memfd_mappings(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, "/memfd:dpsr") != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

static bool
wait_link(uint16_t port, bool up)
{
	for (int i = 0; i < 300; i++) {
		if (link_up(port) == up)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

static uint16_t
reattach_port(void)
{
	struct rte_eth_conf conf = { .intr_conf = { .rxq = 1, .lsc = 1 } };
	char args[256];
	uint16_t port = UINT16_MAX;

	snprintf(args, sizeof(args), "path=%s,secret=%s,qpairs=2,reconnect-ms=20", path, SECRET);
	CHECK_EQ(rte_vdev_init("net_dpsw3", args), 0);
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_dpsw3", &port), 0);
	CHECK(wait_peer(true));
	sw_rings_init();
	CHECK_EQ(rte_eth_dev_configure(port, 2, 2, &conf), 0);
	for (uint16_t q = 0; q < QPAIRS; q++) {
		CHECK_EQ(rte_eth_rx_queue_setup(port, q, RING, SOCKET_ID_ANY, NULL, rxpool), 0);
		CHECK_EQ(rte_eth_tx_queue_setup(port, q, RING, SOCKET_ID_ANY, NULL), 0);
	}
	CHECK_EQ(rte_eth_dev_start(port), 0);
	CHECK_EQ(rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL), 0);
	return port;
}

/* One frame each way on queue pair @p q, byte for byte. */
static void
reattach_traffic(uint16_t port, uint16_t q, uint8_t seed)
{
	struct rte_mbuf *m = make1(100, seed);
	uint16_t len[SW_OUT];

	CHECK_EQ(rte_eth_tx_burst(port, q, &m, 1), 1);
	CHECK_EQ(sw_recv(q, len), 1);
	CHECK_EQ(len[0], 100);
	CHECK(frame_ok(sw_out[0], 100, seed));
	CHECK_EQ(sw_send(q, 80, 1, (uint8_t)(seed + 1)), 1);
	CHECK_EQ(rte_eth_rx_burst(port, q, &m, 1), 1);
	CHECK(mbuf_ok(m, 80, (uint8_t)(seed + 1)));
	rte_pktmbuf_free(m);
}

static void
test_reattach(void)
{
	char moved[80], expect[160];
	struct rte_mbuf *pkts[3];
	uint16_t port = reattach_port();
	uint64_t attaches = __atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE);
	int fd0 = rte_eth_dev_rx_intr_ctl_q_get_fd(port, 0);
	int maps = memfd_mappings();
	size_t mark = log_mark();

	CHECK(link_up(port));
	reattach_traffic(port, 1, 10);
	__atomic_store_n(&lsc_events, 0, __ATOMIC_RELAXED);

	/* The switch goes with the queue asleep; it is back at once. */
	CHECK_EQ(rte_eth_dev_rx_intr_enable(port, 0), 0);
	CHECK(!readable(fd0, 0));
	__atomic_store_n(&req_detach, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 300 && __atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE) == attaches;
	     i++)
		usleep(10 * 1000);
	CHECK_EQ(__atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE), attaches + 1);
	CHECK(wait_link(port, true));
	CHECK_EQ(__atomic_load_n(&lsc_events, __ATOMIC_RELAXED), 2);	/* down, up */
	snprintf(expect, sizeof(expect), "net_dpsw3: attached again to '%s' after 0 failed "
		 "tries: link up", path);
	CHECK_LOG(mark, expect);
	/* The sleeper is woken to arm again on the new attach. */
	CHECK(readable(fd0, 0));
	CHECK_EQ(rte_eth_dev_rx_intr_disable(port, 0), 0);
	sw_rings_init();
	reattach_traffic(port, 0, 20);
	reattach_traffic(port, 1, 30);
	/* The old attach is gone: its mapping and its fds (checked at the end). */
	CHECK_EQ(memfd_mappings(), maps);

	/* The switch stays away a while: link down, frames dropped and counted, tries logged once. */
	snprintf(moved, sizeof(moved), "%s.away", path);
	CHECK_EQ(rename(path, moved), 0);
	mark = log_mark();
	__atomic_store_n(&req_detach, 1, __ATOMIC_RELEASE);
	CHECK(wait_link(port, false));
	usleep(200 * 1000);				/* ~10 tries */
	CHECK(!link_up(port));
	CHECK_EQ(log_count(mark, "net_dpsw3: cannot attach again yet"), 1);
	for (int i = 0; i < 3; i++)
		pkts[i] = make1(60, (uint8_t)i);
	CHECK_EQ(rte_eth_tx_burst(port, 0, pkts, 3), 3);
	CHECK_EQ(xstat(port, "tx_disconnected"), 3);
	CHECK_EQ(rte_eth_rx_burst(port, 0, pkts, 3), 0);
	CHECK_EQ(rename(moved, path), 0);
	CHECK(wait_link(port, true));
	CHECK_EQ(log_count(mark, "net_dpsw3: attached again"), 1);
	CHECK_EQ(log_count(mark, "failed tries: link up"), 1);
	CHECK_EQ(log_count(mark, "after 0 failed tries"), 0);
	sw_rings_init();
	reattach_traffic(port, 0, 40);
	CHECK_EQ(memfd_mappings(), maps);

	/* Closed while it tries: no attach afterwards, nothing left behind. */
	CHECK_EQ(rename(path, moved), 0);
	__atomic_store_n(&req_detach, 1, __ATOMIC_RELEASE);
	CHECK(wait_link(port, false));
	attaches = __atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE);
	CHECK_EQ(rte_eth_dev_callback_unregister(port, RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL), 0);
	CHECK_EQ(rte_eth_dev_stop(port), 0);
	CHECK_EQ(rte_vdev_uninit("net_dpsw3"), 0);
	CHECK_EQ(rename(moved, path), 0);
	usleep(100 * 1000);
	CHECK_EQ(__atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE), attaches);
	CHECK_EQ(memfd_mappings(), maps - 1);
}

/* ---- default MAC, qpairs default, close while attached ---- */

static void
test_defaults(void)
{
	struct rte_ether_addr mac1, mac2;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	char args[128];
	uint16_t port;

	snprintf(args, sizeof(args), "path=%s,secret=%s", path, SECRET);
	CHECK_EQ(rte_vdev_init("net_dpsw1", args), 0);
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_dpsw1", &port), 0);
	CHECK(wait_peer(true));
	CHECK_EQ(__atomic_load_n(&srv.granted, __ATOMIC_ACQUIRE), 1);
	CHECK_EQ(rte_eth_dev_info_get(port, &info), 0);
	CHECK_EQ(info.max_rx_queues, 1);
	CHECK_EQ(rte_eth_macaddr_get(port, &mac1), 0);
	CHECK((mac1.addr_bytes[0] & 0x03) == 0x02);	/* locally administered, unicast */
	memset(&conf, 0, sizeof(conf));
	CHECK(rte_eth_dev_configure(port, 2, 2, &conf) < 0);
	/* rte_eth_dev_close() releases the port; the vdev goes after. */
	CHECK_EQ(rte_eth_dev_close(port), 0);
	CHECK(!rte_eth_dev_is_valid_port(port));
	CHECK(wait_peer(false));			/* the switch saw the hang-up */
	CHECK_EQ(rte_vdev_uninit("net_dpsw1"), 0);

	/* The same name, the same MAC. */
	CHECK_EQ(rte_vdev_init("net_dpsw1", args), 0);
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_dpsw1", &port), 0);
	CHECK_EQ(rte_eth_macaddr_get(port, &mac2), 0);
	CHECK(rte_is_same_ether_addr(&mac1, &mac2));
	CHECK(wait_peer(true));
	CHECK_EQ(rte_vdev_uninit("net_dpsw1"), 0);
	CHECK(wait_peer(false));

	/* The driver's old name is an alias: command lines from before work. */
	CHECK_EQ(rte_vdev_init("net_dpsr2", args), 0);
	CHECK_EQ(rte_eth_dev_get_port_by_name("net_dpsr2", &port), 0);
	CHECK_EQ(rte_eth_dev_info_get(port, &info), 0);
	CHECK_STREQ(info.driver_name, "net_dpsw");
	CHECK(wait_peer(true));
	CHECK_EQ(rte_vdev_uninit("net_dpsr2"), 0);
	CHECK(wait_peer(false));
}

/* ---- set-up ---- */

/* EAL's interrupt thread re-creates its epoll fd now and then: allow it a moment. */
static bool
fds_back_to(int n)
{
	for (int i = 0; i < 100; i++) {
		if (test_open_fds() == n)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

int
main(void)
{
	static const char *const logs[] = { "--log-level=pmd.net.dpsw:info", NULL };
	int port, fds;

	if (test_eal_start("dpsw", NULL, 512, logs) != 0) {
		CHECK_MSG(0, "%s", "EAL initialisation");
		return test_report();
	}
	if (log_capture_start() != 0)
		return test_report();
	txpool = rte_pktmbuf_pool_create("ut_tx", TXPOOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	rxpool = rte_pktmbuf_pool_create("ut_rx", RXPOOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	CHECK(txpool != NULL && rxpool != NULL);
	if (txpool == NULL || rxpool == NULL || standin_start() != 0) {
		CHECK_MSG(0, "%s", "set-up");
		return test_report();
	}
	fds = test_open_fds();

	test_probe_errors();
	CHECK(fds_back_to(fds));
	port = attach_main();
	if (port < 0)
		goto out;
	test_tx((uint16_t)port);
	test_rx((uint16_t)port);
	test_stats((uint16_t)port);
	test_tx_errors((uint16_t)port);
	test_rx_errors((uint16_t)port);
	test_nombuf((uint16_t)port);
	test_rx_intr((uint16_t)port);
	test_disconnect((uint16_t)port);
	/* rte_vdev_uninit() closes through the driver's remove. */
	CHECK_EQ(rte_vdev_uninit("net_dpsw0"), 0);
	CHECK(!rte_eth_dev_is_valid_port((uint16_t)port));
	CHECK(fds_back_to(fds));			/* munmap'd, every fd closed */
	test_defaults();
	CHECK(fds_back_to(fds));
	test_reattach();
	CHECK(fds_back_to(fds));
	CHECK_EQ(rte_eth_dev_count_avail(), 0);
out:
	standin_stop();
	rte_mempool_free(txpool);
	rte_mempool_free(rxpool);
	/* The driver's messages, for a failure or on demand (TEST_SHOW_LOG=1). */
	log_capture_end(test_failed || getenv("TEST_SHOW_LOG") != NULL);
	test_eal_stop();
	return test_report();
}
