/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's forwarding, in one process: the real worker loop (lib/worker,
 * one worker on lcore 1) forwards between ring ethdevs (rte_eth_from_rings,
 * as DPDK's app/test does), each a ring the test fills (the port's rx) and
 * a ring the test drains (its tx). Every case asserts exact frames, byte
 * for byte, out of every port, the per-port counters, and that every mbuf
 * went back to the pool (no leak, no double free).
 *
 *   flood      unknown and broadcast frames reach every other port of the
 *              VLAN, sharing one mbuf, never the ingress port; then unicast
 *   vlan       egress encoding: tag on a trunk, untag on an access port,
 *              priority tag rewritten keeping PCP; a flood mixing shared
 *              and copied frames
 *   tx_full    a full egress ring: what fits is sent, the rest counted
 *   cache      the per-burst decision cache with frames shorter than its
 *              16-byte key (a runt, a 15-byte frame) and a MAC that moves
 *   domain     a frame of a trust domain (a shared-ring group) leaves it as
 *              one private copy; a tag behind a priority tag is a VLAN hop
 *   storm      storm control drops floods beyond a port's rate, exactly
 *   xconnect   the cross-connect rule: runts invalid, a peer down or
 *              leaving is no route, nothing learned
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fwd/fwd.h"
#include "l2/l2_table.h"
#include "worker/worker.h"
#include "test_common.h"
#include "test_frames.h"
#include "test_eal.h"

#define NB_PORTS 8
#define RING_SIZE 256
#define SMALL_RING 16		/* rte_ring holds size - 1: 15 frames */
#define WAIT_MS 2000

/* Which port does what (ids are ethdev port ids, in creation order). */
enum { P0, P1, P2, TRUNK, SMALL, XA, SRC40, XB };

struct tport {
	uint16_t id;
	struct rte_ring *rx;	/* the test enqueues, the worker receives */
	struct rte_ring *tx;	/* the worker sends, the test dequeues */
};

static struct tport P[NB_PORTS];
static struct rte_mempool *pool;
static struct l2_table *tbl;

static const uint8_t MAC_A[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 2, 0, 0, 0, 0, 0xb };
static const uint8_t MAC_C[6] = { 2, 0, 0, 0, 0, 0xc };
static const uint8_t MAC_D[6] = { 2, 0, 0, 0, 0, 0xd };
static const uint8_t MAC_E[6] = { 2, 0, 0, 0, 0, 0xe };
static const uint8_t MAC_X[6] = { 2, 0, 0, 0, 0, 0x1f };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- frames ---- */

struct frame {
	uint8_t b[256];
	uint16_t len;
};

/* dst, src, a tag unless vid < 0, IPv4 ethertype, @p fill up to @p len bytes. */
static struct frame
frame_make(const uint8_t *dst, const uint8_t *src, int vid, uint8_t pcp, uint16_t len,
	   uint8_t fill)
{
	struct frame f;

	f.len = test_frame(f.b, sizeof(f.b), dst, src, vid, pcp, len, fill);
	return f;
}

/* @p f with its tag removed: what an access port should see. */
static struct frame
frame_untag(const struct frame *f)
{
	struct frame u = { .len = (uint16_t)(f->len - 4) };

	memcpy(u.b, f->b, 12);
	memcpy(u.b + 12, f->b + 16, sizeof(u.b) - 16);
	return u;
}

/* @p f with a tag (VID @p vid, PCP @p pcp) inserted after the MACs. */
static struct frame
frame_tag(const struct frame *f, uint16_t vid, uint8_t pcp)
{
	struct frame t = { .len = (uint16_t)(f->len + 4) };

	memcpy(t.b, f->b, 12);
	t.b[12] = 0x81;
	t.b[13] = 0x00;
	t.b[14] = (uint8_t)(pcp << 5 | (vid >> 8));
	t.b[15] = (uint8_t)vid;
	memcpy(t.b + 16, f->b + 12, sizeof(t.b) - 16);
	return t;
}

static struct rte_mbuf *
mbuf_of(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	memcpy(rte_pktmbuf_append(m, f->len), f->b, f->len);
	return m;
}

/* Hand frames to a port's rx ring, all at once: the worker sees one burst. */
static void
send_frames(unsigned int p, const struct frame *fs, unsigned int n)
{
	struct rte_mbuf *m[64];

	for (unsigned int i = 0; i < n; i++)
		m[i] = mbuf_of(&fs[i]);
	CHECK_EQ(rte_ring_enqueue_bulk(P[p].rx, (void **)m, n, NULL), n);
}

static void
send1(unsigned int p, const struct frame *f)
{
	send_frames(p, f, 1);
}

/* Take up to @p want frames from a port's tx ring, waiting up to WAIT_MS. */
static unsigned int
take(unsigned int p, struct rte_mbuf **out, unsigned int want)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * WAIT_MS / 1000;
	unsigned int got = 0;

	while (got < want && rte_get_timer_cycles() < end) {
		unsigned int n = rte_ring_dequeue_burst(P[p].tx, (void **)(out + got),
							want - got, NULL);

		if (n == 0)
			usleep(100);
		got += n;
	}
	return got;
}

static bool
mbuf_is(const struct rte_mbuf *m, const struct frame *f)
{
	return m->pkt_len == f->len && m->data_len == f->len &&
	       memcmp(rte_pktmbuf_mtod(m, const void *), f->b, f->len) == 0;
}

/* Exactly @p f comes out of port @p p; it is freed. */
static void
expect_frame(unsigned int p, const struct frame *f, int line)
{
	struct rte_mbuf *m;

	if (take(p, &m, 1) != 1) {
		CHECK_MSG(0, "line %d: no frame out of port %u", line, p);
		return;
	}
	CHECK_MSG(mbuf_is(m, f), "line %d: port %u sent %u bytes, expected %u (or other bytes)",
		  line, p, m->pkt_len, f->len);
	rte_pktmbuf_free(m);
}
#define EXPECT_FRAME(p, f) expect_frame(p, f, __LINE__)

/* Nothing is waiting in any port's tx ring. */
static void
expect_quiet(int line)
{
	for (unsigned int p = 0; p < NB_PORTS; p++)
		CHECK_MSG(rte_ring_count(P[p].tx) == 0, "line %d: port %u sent %u unexpected frames",
			  line, p, rte_ring_count(P[p].tx));
}
#define EXPECT_QUIET() expect_quiet(__LINE__)

/* Every mbuf back in the pool (the worker may still be freeing drops). */
static void
expect_pool_full(int line)
{
	for (int i = 0; i < WAIT_MS && rte_mempool_in_use_count(pool) != 0; i++)
		usleep(1000);
	CHECK_MSG(rte_mempool_in_use_count(pool) == 0, "line %d: %u mbufs not back in the pool",
		  line, rte_mempool_in_use_count(pool));
}
#define EXPECT_POOL_FULL() expect_pool_full(__LINE__)

/* ---- counters ---- */

static struct dps_port_counters before[NB_PORTS];

static void
counters_mark(void)
{
	for (unsigned int p = 0; p < NB_PORTS; p++)
		dps_port_counters_sum(P[p].id, &before[p]);
}

/* Counter @p field of port @p p since counters_mark(), once the worker settled. */
#define CTR(p, field) counter_delta(p, offsetof(struct dps_port_counters, field))

static uint64_t
counter_delta(unsigned int p, size_t off)
{
	struct dps_port_counters now;

	dps_port_counters_sum(P[p].id, &now);
	return *(const uint64_t *)((const uint8_t *)&now + off) -
	       *(const uint64_t *)((const uint8_t *)&before[p] + off);
}

/* Wait until port @p p has received @p n frames since counters_mark(). */
static void
wait_rx(unsigned int p, uint64_t n)
{
	for (int i = 0; i < WAIT_MS && CTR(p, rx_pkts) < n; i++)
		usleep(1000);
}

/* ---- configuration ---- */

static void
commit(void)
{
	CHECK_EQ(dps_dp_commit(), 0);
}

static void
set_access(unsigned int p, uint16_t vid)
{
	struct fwd_port_cfg *pc = &dps_dp_draft()->fwd.port[P[p].id];

	fwd_port_bridge_default(pc);
	pc->access_vid = vid;
	l2_table_flush(tbl, P[p].id);
}

static void
set_trunk(unsigned int p, const char *vids, uint16_t native)
{
	struct fwd_port_cfg *pc = &dps_dp_draft()->fwd.port[P[p].id];

	fwd_port_bridge_default(pc);
	pc->vlan_mode = FWD_VLAN_TRUNK;
	pc->access_vid = 0;
	pc->native_vid = native;
	CHECK_EQ(fwd_vid_list_parse(vids, pc->trunk_vids), 0);
	l2_table_flush(tbl, P[p].id);
}

static void
set_xconnect(unsigned int a, unsigned int b)
{
	struct fwd_config *fc = &dps_dp_draft()->fwd;

	fc->port[P[a].id].role = FWD_ROLE_XCONNECT;
	fc->port[P[a].id].xc_peer = P[b].id;
	fc->port[P[b].id].role = FWD_ROLE_XCONNECT;
	fc->port[P[b].id].xc_peer = P[a].id;
}

static int
port_make(unsigned int p, unsigned int tx_size)
{
	char name[32];
	struct rte_eth_conf conf = { 0 };
	struct dps_dp_config *dp = dps_dp_draft();
	int id;

	snprintf(name, sizeof(name), "ut_rx%u", p);
	P[p].rx = rte_ring_create(name, RING_SIZE, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "ut_tx%u", p);
	P[p].tx = rte_ring_create(name, tx_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (P[p].rx == NULL || P[p].tx == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "ut_p%u", p);
	id = rte_eth_from_rings(name, &P[p].rx, 1, &P[p].tx, 1, SOCKET_ID_ANY);
	if (id < 0)
		return -ENODEV;
	P[p].id = (uint16_t)id;
	if (rte_eth_dev_configure(P[p].id, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(P[p].id, 0, RING_SIZE, SOCKET_ID_ANY, NULL, pool) != 0 ||
	    rte_eth_tx_queue_setup(P[p].id, 0, RING_SIZE, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(P[p].id) != 0)
		return -EIO;
	/* As the port layer does for a new port: a bridge port, polled by worker 0. */
	fwd_port_bridge_default(&dp->fwd.port[P[p].id]);
	dp->rxq[0][dp->nb_rxq[0]++] = (struct dps_rxq_ref){ P[p].id, 0, false };
	dp->txq[P[p].id][0] = 0;
	dp->txq_shared[P[p].id] = false;
	dps_link_set(P[p].id, true);
	return 0;
}

/* ---- the cases ---- */

static void
test_flood(void)
{
	struct frame a2b = frame_make(MAC_B, MAC_A, -1, 0, 60, 0x11);
	struct frame b2a = frame_make(MAC_A, MAC_B, -1, 0, 60, 0x22);
	struct frame bc = frame_make(BCAST, MAC_C, -1, 0, 64, 0x33);
	struct rte_mbuf *m[2];

	counters_mark();
	/* B is unknown: VLAN 1 is p0, p1, p2 and the trunk's native VLAN. */
	send1(P0, &a2b);
	CHECK_EQ(take(P1, &m[0], 1), 1);
	CHECK_EQ(take(P2, &m[1], 1), 1);
	/* One mbuf, shared by reference (p1, p2, the trunk): one encoding. */
	CHECK(m[0] == m[1] && rte_mbuf_refcnt_read(m[0]) == 3);
	CHECK(mbuf_is(m[0], &a2b));
	rte_pktmbuf_free(m[0]);
	rte_pktmbuf_free(m[1]);
	EXPECT_FRAME(TRUNK, &a2b);		/* native VLAN: untagged */
	EXPECT_QUIET();				/* never back out of p0 */
	/* A was learned on p0: B's answer goes there alone. */
	send1(P1, &b2a);
	EXPECT_FRAME(P0, &b2a);
	send1(P0, &a2b);
	EXPECT_FRAME(P1, &a2b);
	/* Broadcast from p2: everyone in VLAN 1 but p2. */
	send1(P2, &bc);
	EXPECT_FRAME(P0, &bc);
	EXPECT_FRAME(P1, &bc);
	EXPECT_FRAME(TRUNK, &bc);
	EXPECT_QUIET();
	CHECK_EQ(CTR(P0, rx_pkts), 2);
	CHECK_EQ(CTR(P0, rx_bytes), 120);
	CHECK_EQ(CTR(P0, tx_pkts), 2);
	CHECK_EQ(CTR(P1, tx_pkts), 3);
	CHECK_EQ(CTR(P2, tx_pkts), 1);
	CHECK_EQ(CTR(TRUNK, tx_pkts), 2);
	CHECK_EQ(CTR(TRUNK, tx_bytes), 124);
	CHECK_EQ(CTR(P0, drop_no_route) + CTR(P0, drop_filtered), 0);
	EXPECT_POOL_FULL();
}

static void
test_vlan(void)
{
	struct frame bc = frame_make(BCAST, MAC_C, -1, 0, 60, 0x44);
	struct frame d2c = frame_make(MAC_C, MAC_D, 10, 5, 64, 0x55);
	struct frame prio = frame_make(BCAST, MAC_C, 0, 3, 64, 0x66);
	struct frame prio_untagged = frame_untag(&prio);
	struct frame bc3 = frame_make(BCAST, MAC_D, 10, 2, 64, 0x77);
	struct frame bc3_untagged = frame_untag(&bc3);

	set_access(P0, 10);
	commit();
	counters_mark();
	/* VLAN 10 is p0 and the trunk: the trunk gets it tagged. */
	send1(P0, &bc);
	{
		struct frame t = frame_tag(&bc, 10, 0);

		EXPECT_FRAME(TRUNK, &t);
	}
	EXPECT_QUIET();
	/* Tagged 10 from the trunk to C (learned on p0): untagged there. */
	send1(TRUNK, &d2c);
	{
		struct frame u = frame_untag(&d2c);

		EXPECT_FRAME(P0, &u);
	}
	/* A priority tag is VLAN 10 here; on the trunk it says 10, PCP kept. */
	send1(P0, &prio);
	{
		struct frame t = frame_tag(&prio_untagged, 10, 3);

		EXPECT_FRAME(TRUNK, &t);
	}
	EXPECT_QUIET();
	/*
	 * A flood that mixes encodings: from the trunk (tagged) to p0 and p1
	 * (access 10: each an untagged copy), and from p0 (untagged) to p1
	 * (shares the mbuf) and the trunk (a tagged copy).
	 */
	set_access(P1, 10);
	commit();
	send1(TRUNK, &bc3);
	EXPECT_FRAME(P0, &bc3_untagged);
	EXPECT_FRAME(P1, &bc3_untagged);
	send1(P0, &bc);
	EXPECT_FRAME(P1, &bc);
	{
		struct frame t = frame_tag(&bc, 10, 0);

		EXPECT_FRAME(TRUNK, &t);
	}
	EXPECT_QUIET();
	CHECK_EQ(CTR(TRUNK, tx_pkts), 3);
	CHECK_EQ(CTR(P0, tx_pkts), 2);
	CHECK_EQ(CTR(P1, tx_pkts), 2);
	CHECK_EQ(CTR(P0, drop_no_mbuf) + CTR(P1, drop_no_mbuf) + CTR(TRUNK, drop_no_mbuf), 0);
	EXPECT_POOL_FULL();
	set_access(P0, 1);
	set_access(P1, 1);
	commit();
}

static void
test_tx_full(void)
{
	struct frame learn = frame_make(BCAST, MAC_E, -1, 0, 60, 0x88);
	struct frame to_e[40];
	struct rte_mbuf *m[40];

	/* VLAN 40 is SRC40 and SMALL, whose tx ring holds 15 frames. */
	send1(SMALL, &learn);
	EXPECT_FRAME(SRC40, &learn);
	counters_mark();
	for (unsigned int i = 0; i < RTE_DIM(to_e); i++)
		to_e[i] = frame_make(MAC_E, MAC_D, -1, 0, 60, (uint8_t)i);
	send_frames(SRC40, to_e, RTE_DIM(to_e));
	wait_rx(SRC40, RTE_DIM(to_e));
	for (int i = 0; i < WAIT_MS && CTR(SMALL, tx_pkts) + CTR(SMALL, drop_tx_full) < 40; i++)
		usleep(1000);
	CHECK_EQ(CTR(SMALL, tx_pkts), SMALL_RING - 1);
	CHECK_EQ(CTR(SMALL, tx_bytes), 60 * (SMALL_RING - 1));
	CHECK_EQ(CTR(SMALL, drop_tx_full), 40 - (SMALL_RING - 1));
	/* What fitted is the first 15, in order. */
	CHECK_EQ(take(SMALL, m, SMALL_RING - 1), SMALL_RING - 1);
	for (unsigned int i = 0; i < SMALL_RING - 1; i++) {
		CHECK(mbuf_is(m[i], &to_e[i]));
		rte_pktmbuf_free(m[i]);
	}
	EXPECT_QUIET();
	EXPECT_POOL_FULL();
}

static void
test_cache(void)
{
	struct frame burst[4];
	struct frame a2b = frame_make(MAC_B, MAC_A, -1, 0, 60, 0x99);
	struct frame from_b1 = frame_make(BCAST, MAC_B, -1, 0, 60, 0x98);

	/* B on p1 again (changing p1's VLAN forgot it). */
	send1(P1, &from_b1);
	EXPECT_FRAME(P0, &from_b1);
	EXPECT_FRAME(P2, &from_b1);
	EXPECT_FRAME(TRUNK, &from_b1);
	counters_mark();
	/*
	 * One burst: a frame, a 12-byte runt and a 15-byte frame that start
	 * with its bytes, and the frame again. The cache's key is 16 bytes:
	 * the short ones must be decided on their own.
	 */
	burst[0] = a2b;
	burst[1] = a2b;
	burst[1].len = 12;
	burst[2] = a2b;
	burst[2].len = 15;
	burst[3] = a2b;
	send_frames(P0, burst, 4);
	EXPECT_FRAME(P1, &burst[0]);
	EXPECT_FRAME(P1, &burst[2]);
	EXPECT_FRAME(P1, &burst[3]);
	EXPECT_QUIET();
	CHECK_EQ(CTR(P0, drop_invalid), 1);
	CHECK_EQ(CTR(P0, rx_pkts), 4);
	/* B moves to p2: the next burst, with the same first bytes, follows it. */
	{
		struct frame from_b = frame_make(BCAST, MAC_B, -1, 0, 60, 0xaa);

		send1(P2, &from_b);
		EXPECT_FRAME(P0, &from_b);
		EXPECT_FRAME(P1, &from_b);
		EXPECT_FRAME(TRUNK, &from_b);
	}
	send_frames(P0, burst, 1);
	EXPECT_FRAME(P2, &a2b);
	EXPECT_QUIET();
	EXPECT_POOL_FULL();
}

static void
test_xconnect(void)
{
	struct frame x = frame_make(MAC_B, MAC_X, -1, 0, 60, 0xbb);
	struct frame runt = x;
	struct frame back = frame_make(MAC_X, MAC_B, 30, 1, 64, 0xcc);
	uint16_t xb = P[XB].id;

	runt.len = 10;
	counters_mark();
	/* Frames cross as they are, runts do not, nothing is learned. */
	{
		struct frame burst[2] = { x, runt };

		send_frames(XA, burst, 2);
	}
	EXPECT_FRAME(XB, &x);
	send1(XB, &back);
	EXPECT_FRAME(XA, &back);
	EXPECT_QUIET();
	CHECK_EQ(CTR(XA, drop_invalid), 1);
	CHECK_EQ(CTR(XA, tx_pkts), 1);
	CHECK_EQ(CTR(XB, tx_pkts), 1);
	CHECK_EQ(l2_table_lookup(tbl, MAC_X, 1, dps_now_s()), DPS_L2_NO_PORT);
	/* The peer's link goes down: no route. */
	dps_link_set(xb, false);
	send1(XA, &x);
	wait_rx(XA, 3);
	CHECK_EQ(CTR(XA, drop_no_route), 1);
	dps_link_set(xb, true);
	/* The peer leaves the switch (link still up): no route either. */
	dps_dp_draft()->fwd.port[xb].role = FWD_ROLE_NONE;
	commit();
	send1(XA, &x);
	wait_rx(XA, 4);
	CHECK_EQ(CTR(XA, drop_no_route), 2);
	EXPECT_QUIET();
	CHECK_EQ(CTR(XB, tx_pkts), 1);
	EXPECT_POOL_FULL();
}

static void
test_domain_edge(void)
{
	struct frame bc = frame_make(BCAST, MAC_A, -1, 0, 60, 0xd1);
	struct frame to_c = frame_make(MAC_C, MAC_A, -1, 0, 64, 0xd2);
	struct frame from_c = frame_make(BCAST, MAC_C, -1, 0, 60, 0xd3);
	struct frame hop = frame_make(BCAST, MAC_A, 0, 3, 64, 0xd4);
	struct rte_mbuf *m1, *m2, *mt;

	/* p0 and p1 share a trust domain (a group's region), p2 and the trunk do not. */
	dps_dp_draft()->fwd.port[P[P0].id].domain = 5;
	dps_dp_draft()->fwd.port[P[P1].id].domain = 5;
	commit();
	counters_mark();
	send1(P0, &bc);
	CHECK_EQ(take(P1, &m1, 1), 1);
	CHECK_EQ(take(P2, &m2, 1), 1);
	CHECK_EQ(take(TRUNK, &mt, 1), 1);
	/* Inside the domain: the frame itself. Outside: one private copy, shared. */
	CHECK(m1 != m2 && m2 == mt);
	CHECK_EQ(rte_mbuf_refcnt_read(m1), 1);
	CHECK_EQ(rte_mbuf_refcnt_read(m2), 2);
	CHECK(mbuf_is(m1, &bc) && mbuf_is(m2, &bc));
	rte_pktmbuf_free(m1);
	rte_pktmbuf_free(m2);
	rte_pktmbuf_free(mt);
	CHECK_EQ(CTR(P0, edge_copies), 1);
	/* Unicast out of the domain: a copy; into it: none. */
	send1(P2, &from_c);
	EXPECT_FRAME(P0, &from_c);
	EXPECT_FRAME(P1, &from_c);
	EXPECT_FRAME(TRUNK, &from_c);
	send1(P0, &to_c);
	EXPECT_FRAME(P2, &to_c);
	CHECK_EQ(CTR(P0, edge_copies), 2);
	CHECK_EQ(CTR(P2, edge_copies), 0);		/* p2 is no domain: never copies */
	/* A tag behind a priority tag: a VLAN hop, dropped and counted. */
	hop.b[16] = 0x81;
	hop.b[17] = 0x00;
	hop.b[18] = 0x00;
	hop.b[19] = 20;
	send1(P0, &hop);
	wait_rx(P0, 3);
	CHECK_EQ(CTR(P0, drop_vlan_hop), 1);
	EXPECT_QUIET();
	EXPECT_POOL_FULL();
	dps_dp_draft()->fwd.port[P[P0].id].domain = 0;
	dps_dp_draft()->fwd.port[P[P1].id].domain = 0;
	commit();
}

/* Storm control: a broadcast burst beyond the bucket is dropped, exactly; other kinds pass. */
static void
test_storm(void)
{
	struct frame bc[64], uu[10];

	for (unsigned int i = 0; i < RTE_DIM(bc); i++)
		bc[i] = frame_make(BCAST, MAC_D, -1, 0, 60, (uint8_t)i);
	for (unsigned int i = 0; i < RTE_DIM(uu); i++)
		uu[i] = frame_make(MAC_X, MAC_D, -1, 0, 60, (uint8_t)i);
	/* 100 pps: a bucket 32 frames deep (at least 32), full at first. */
	dps_dp_draft()->fwd.port[P[P2].id].storm_pps[FWD_STORM_BROADCAST] = 100;
	commit();
	counters_mark();
	send_frames(P2, bc, RTE_DIM(bc));
	wait_rx(P2, RTE_DIM(bc));
	CHECK_EQ(CTR(P2, drop_storm), RTE_DIM(bc) - 32);
	for (unsigned int p = P0; p <= TRUNK; p++) {
		struct rte_mbuf *m[64];
		unsigned int n = p == P2 ? 0 : take(p, m, 32);

		for (unsigned int i = 0; i < n; i++) {
			CHECK(mbuf_is(m[i], &bc[i]));
			rte_pktmbuf_free(m[i]);
		}
		if (p != P2)
			CHECK_EQ(n, 32);
	}
	/* Unknown unicast is another kind: not limited. */
	send_frames(P2, uu, RTE_DIM(uu));
	wait_rx(P2, RTE_DIM(bc) + RTE_DIM(uu));
	CHECK_EQ(CTR(P2, drop_storm), RTE_DIM(bc) - 32);
	for (unsigned int i = 0; i < RTE_DIM(uu); i++) {
		EXPECT_FRAME(P0, &uu[i]);
		EXPECT_FRAME(P1, &uu[i]);
		EXPECT_FRAME(TRUNK, &uu[i]);
	}
	EXPECT_QUIET();
	EXPECT_POOL_FULL();
	dps_dp_draft()->fwd.port[P[P2].id].storm_pps[FWD_STORM_BROADCAST] = 0;
	commit();
}

int
main(void)
{
	static const char *const logs[] = { "--log-level=dpswitch.*:warning", NULL };

	/* EAL needs lcores 0 and 1 (the worker). */
	if (!test_cpus_0_1()) {
		printf("SKIP: CPUs 0 and 1 are needed for -l 0,1\n");
		return TEST_SKIP;
	}
	if (test_eal_start("worker", "0,1", 256, logs) != 0) {
		CHECK_MSG(0, "%s", "EAL initialisation");
		return test_report();
	}
	/* No per-lcore cache: every mbuf not in flight is in the pool's count. */
	pool = rte_pktmbuf_pool_create("ut_mbufs", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	tbl = l2_table_create(1024, 300);
	CHECK(pool != NULL && tbl != NULL);
	if (pool == NULL || tbl == NULL)
		return test_report();
	CHECK_EQ(dps_workers_init(pool, tbl), 0);
	CHECK_EQ(dps_worker_count(), 1);
	for (unsigned int p = 0; p < NB_PORTS; p++)
		CHECK_EQ(port_make(p, p == SMALL ? SMALL_RING : RING_SIZE), 0);
	/* VLAN 1: p0, p1, p2, the trunk's native; VLAN 40: SMALL, SRC40. */
	set_trunk(TRUNK, "10,20", 1);
	set_access(SMALL, 40);
	set_access(SRC40, 40);
	set_xconnect(XA, XB);
	commit();
	CHECK_EQ(dps_workers_start(), 0);

	test_flood();
	test_vlan();
	test_tx_full();
	test_cache();
	test_domain_edge();
	test_storm();
	test_xconnect();

	dps_workers_stop();
	for (unsigned int p = 0; p < NB_PORTS; p++) {
		rte_eth_dev_stop(P[p].id);
		rte_eth_dev_close(P[p].id);
	}
	EXPECT_POOL_FULL();
	l2_table_free(tbl);
	rte_mempool_free(pool);
	test_eal_stop();
	return test_report();
}
