/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zero copy on both ends of a trusted group (docs/shm-protocol.md,
 * "Buffers a trusted peer holds"): the switch's driver (net_shm) and two
 * peers on the peer PMD (net_dpsw, zero-copy=1) in one process over a
 * hugepage-less EAL. The test is the switch's worker: it moves frames
 * from one port to the other. Every frame is checked byte for byte, every
 * counter exactly, on both sides; the region's buffers are counted once
 * each when the peers are gone (white box, as in test_shm.c); frames a
 * peer's application holds in place outlive its device's close and its
 * switch port's going (the mapping goes with the last of them: an ASan
 * build sees any touch after that).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dps_shm.h"
#include "rte_pmd_dpsw.h"
#include "shm_dev.h"
#include "test_common.h"
#include "shm_whitebox.h"
#include "test_eal.h"

#define RING 64
#define BURST 32

static struct rte_mempool *pool;
static char dir[64];

static void
port_setup(uint16_t id)
{
	struct rte_eth_conf conf = { 0 };

	CHECK_EQ(rte_eth_dev_configure(id, 1, 1, &conf), 0);
	CHECK_EQ(rte_eth_rx_queue_setup(id, 0, RING, SOCKET_ID_ANY, NULL, pool), 0);
	CHECK_EQ(rte_eth_tx_queue_setup(id, 0, RING, SOCKET_ID_ANY, NULL), 0);
	CHECK_EQ(rte_eth_dev_start(id), 0);
}

static uint16_t
vdev_create(const char *dev, const char *args)
{
	uint16_t id = UINT16_MAX;

	CHECK_EQ(rte_vdev_init(dev, args), 0);
	CHECK_EQ(rte_eth_dev_get_port_by_name(dev, &id), 0);
	if (id != UINT16_MAX)
		port_setup(id);
	return id;
}

static uint16_t
switch_port(const char *name, const char *args)
{
	char dev[64], a[256];

	snprintf(dev, sizeof(dev), "net_shm_%s", name);
	snprintf(a, sizeof(a), "path=%s/%s.sock,%s", dir, name, args);
	return vdev_create(dev, a);
}

static uint16_t
peer_port(const char *name, const char *sw, const char *args)
{
	char dev[64], a[256];

	snprintf(dev, sizeof(dev), "net_dpsw_%s", name);
	snprintf(a, sizeof(a), "path=%s/%s.sock,%s", dir, sw, args);
	return vdev_create(dev, a);
}

static void
vdev_remove(const char *dev, uint16_t id)
{
	CHECK_EQ(rte_eth_dev_stop(id), 0);
	CHECK_EQ(rte_vdev_uninit(dev), 0);
}

static uint64_t
xstat(uint16_t id, const char *name)
{
	uint64_t v = UINT64_MAX, xid;

	if (rte_eth_xstats_get_id_by_name(id, name, &xid) != 0 ||
	    rte_eth_xstats_get_by_id(id, &xid, &v, 1) != 1)
		return UINT64_MAX;
	return v;
}

static bool
link_up(uint16_t id, int up)
{
	struct rte_eth_link link;

	for (int i = 0; i < 500; i++) {
		if (rte_eth_link_get_nowait(id, &link) == 0 && link.link_status == up)
			return true;
		usleep(10000);
	}
	return false;
}

static uint8_t
pat(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 7 + i * 13 + (i >> 8));
}

/* Frame @p seq: @p len bytes, its seq in bytes 14..17. */
static struct rte_mbuf *
frame(uint32_t seq, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, len) : NULL;

	if (d == NULL)
		abort();
	for (uint32_t i = 0; i < len; i++)
		d[i] = pat(seq, i);
	memcpy(d + 14, &seq, sizeof(seq));
	return m;
}

static bool
frame_ok(const struct rte_mbuf *m, uint16_t len)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t seq;

	if (m->pkt_len != len || m->nb_segs != 1)
		return false;
	memcpy(&seq, d + 14, sizeof(seq));
	for (uint32_t i = 0; i < len; i++)
		if ((i < 14 || i >= 18) && d[i] != pat(seq, i))
			return false;
	return true;
}

/* Everything port @p from has, to port @p to (the switch's worker). */
static uint16_t
switch_move(uint16_t from, uint16_t to)
{
	struct rte_mbuf *m[BURST];
	uint16_t n = rte_eth_rx_burst(from, 0, m, BURST), sent;

	sent = rte_eth_tx_burst(to, 0, m, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	return n;
}

/* Up to @p want frames from peer port @p id, a few polls. */
static uint16_t
peer_rx(uint16_t id, struct rte_mbuf **m, uint16_t want)
{
	uint16_t got = 0;

	for (int i = 0; i < 100 && got < want; i++)
		got += rte_eth_rx_burst(id, 0, m + got, (uint16_t)(want - got));
	return got;
}

/* Mappings of region memfds in this process (the switch's and the peers'). */
static int
region_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, "memfd:dpsr") != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

/* The mappings once a retired attach's last frame is back (an alarm looks every 100 ms). */
static int
region_maps_settle(int want)
{
	int n = region_maps();

	for (int i = 0; i < 300 && n != want; i++) {
		usleep(10000);
		n = region_maps();
	}
	return n;
}

static uint32_t
bag_bufs(uint16_t id)
{
	struct dps_shm_info si;

	return dps_shm_info(id, &si) == 0 ? si.bag_bufs : UINT32_MAX;
}

/*
 * Rounds of BURST frames A -> switch -> B, and B sends the very mbufs
 * back (in place) -> switch -> A, which checks and frees them.
 */
static void
ping_pong(uint16_t sa, uint16_t sb, uint16_t pa, uint16_t pb, uint32_t rounds, uint16_t len,
	  uint32_t *seq)
{
	struct rte_mbuf *m[BURST];
	uint64_t ok_b = 0, ok_a = 0, ext_b = 0;

	for (uint32_t r = 0; r < rounds; r++) {
		uint16_t got;

		for (int i = 0; i < BURST; i++)
			m[i] = frame((*seq)++, len);
		CHECK_EQ(rte_eth_tx_burst(pa, 0, m, BURST), BURST);
		CHECK_EQ(switch_move(sa, sb), BURST);
		got = peer_rx(pb, m, BURST);
		CHECK_EQ(got, BURST);
		for (uint16_t i = 0; i < got; i++) {
			ok_b += frame_ok(m[i], len);
			ext_b += RTE_MBUF_HAS_EXTBUF(m[i]) != 0;
		}
		CHECK_EQ(rte_eth_tx_burst(pb, 0, m, got), got);
		CHECK_EQ(switch_move(sb, sa), got);
		got = peer_rx(pa, m, BURST);
		CHECK_EQ(got, BURST);
		for (uint16_t i = 0; i < got; i++)
			ok_a += frame_ok(m[i], len);
		rte_pktmbuf_free_bulk(m, got);
	}
	CHECK_EQ(ok_b, rounds * BURST);
	CHECK_EQ(ok_a, rounds * BURST);
	CHECK_EQ(ext_b, rounds * BURST);
}

static void
test_both_ends(void)
{
	uint16_t sa = switch_port("za", "group=zg,ring=64,spares=1024");
	uint16_t sb = switch_port("zb", "group=zg");
	uint16_t si = switch_port("zi", "ring=64");
	/* copy-break=0: every frame in place, the short ones too. */
	uint16_t pa = peer_port("pa", "za", "zero-copy=1,copy-break=0");
	uint16_t pb = peer_port("pb", "zb", "zero-copy=1,copy-break=0,reconnect-ms=10");
	uint16_t pi = peer_port("pi", "zi", "zero-copy=1");
	struct rte_mbuf *m[BURST], *held[16];
	uint32_t seq = 0;
	uint64_t n;
	int maps;

	CHECK(link_up(sa, 1) && link_up(sb, 1) && link_up(pa, 1) && link_up(pb, 1));
	CHECK_EQ(bag_bufs(sa), RING);
	CHECK_EQ(bag_bufs(sb), RING);
	CHECK_EQ(bag_bufs(si), 0);

	/* 64-byte and 1518-byte frames, many rounds: the bags go round and round. */
	ping_pong(sa, sb, pa, pb, 100, 60, &seq);
	ping_pong(sa, sb, pa, pb, 100, 1514, &seq);
	n = 200 * BURST;
	/* A copies its frames in (they are the test's mbufs) and receives in place. */
	CHECK_EQ(xstat(pa, "tx_copied"), n);
	CHECK_EQ(xstat(pa, "tx_zero_copy"), 0);
	CHECK_EQ(xstat(pa, "rx_zero_copy"), n);
	CHECK_EQ(xstat(pa, "rx_copied"), 0);
	/* B copies nothing: in place both ways. */
	CHECK_EQ(xstat(pb, "rx_zero_copy"), n);
	CHECK_EQ(xstat(pb, "rx_copied"), 0);
	CHECK_EQ(xstat(pb, "tx_zero_copy"), n);
	CHECK_EQ(xstat(pb, "tx_copied"), 0);
	CHECK_EQ(xstat(pb, "tx_bag_empty") + xstat(pa, "tx_bag_empty"), 0);
	/* The switch swapped every frame and took back every buffer the peers kept. */
	CHECK_EQ(xstat(sa, "rx_zero_copy"), n);
	CHECK_EQ(xstat(sb, "rx_zero_copy"), n);
	CHECK_EQ(xstat(sa, "tx_zero_copy"), n);
	CHECK_EQ(xstat(sb, "tx_zero_copy"), n);
	CHECK_EQ(xstat(sa, "rx_bad_buf") + xstat(sb, "rx_bad_buf"), 0);
	CHECK_EQ(xstat(sa, "tx_bad_buf") + xstat(sb, "tx_bad_buf"), 0);
	/* Read back at each burst: all but the last burst's, whose slots A released after. */
	CHECK_EQ(xstat(sa, "tx_peer_swaps"), n - BURST);
	CHECK_EQ(xstat(sb, "tx_peer_swaps"), n);	/* B sent the last ones back: read then */
	CHECK_EQ(bag_bufs(sa), RING);
	CHECK_EQ(bag_bufs(sb), RING);

	/*
	 * A frame written straight into a buffer A lends (rte_pmd_dpsw.h) goes
	 * out without a copy; one lent and freed unsent goes back.
	 */
	CHECK_EQ(rte_pmd_dpsw_tx_alloc(pa, 0, pool, m, BURST), BURST);
	rte_pktmbuf_free(m[BURST - 1]);
	for (int i = 0; i < BURST - 1; i++) {
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(m[i], 100);
		uint32_t sq = seq++;

		for (uint32_t k = 0; k < 100; k++)
			d[k] = pat(sq, k);
		memcpy(d + 14, &sq, sizeof(sq));
	}
	CHECK_EQ(rte_eth_tx_burst(pa, 0, m, BURST - 1), BURST - 1);
	CHECK_EQ(xstat(pa, "tx_zero_copy"), BURST - 1);
	CHECK_EQ(switch_move(sa, sb), BURST - 1);
	CHECK_EQ(peer_rx(pb, m, BURST), BURST - 1);
	for (int i = 0; i < BURST - 1; i++)
		CHECK(frame_ok(m[i], 100));
	rte_pktmbuf_free_bulk(m, BURST - 1);
	/* Not a port with zero copy: nothing lent. */
	CHECK_EQ(rte_pmd_dpsw_tx_alloc(pi, 0, pool, m, 1), 0);
	CHECK_EQ(rte_pmd_dpsw_tx_alloc(sa, 0, pool, m, 1), 0);

	/* The default copy-break (256): a short frame is copied, a long one is not. */
	{
		uint16_t sc = switch_port("zc", "group=zg");
		uint16_t pc = peer_port("pc", "zc", "zero-copy=1");

		CHECK(link_up(pc, 1) && link_up(sc, 1));
		CHECK_EQ(rte_pmd_dpsw_zero_copy_min(pc), 257);
		CHECK_EQ(rte_pmd_dpsw_zero_copy_min(pa), 1);
		CHECK_EQ(rte_pmd_dpsw_zero_copy_min(pi), 0);
		m[0] = frame(seq++, 256);
		m[1] = frame(seq++, 257);
		CHECK_EQ(rte_eth_tx_burst(pa, 0, m, 2), 2);
		CHECK_EQ(switch_move(sa, sc), 2);
		CHECK_EQ(peer_rx(pc, m, 2), 2);
		CHECK(frame_ok(m[0], 256) && !RTE_MBUF_HAS_EXTBUF(m[0]));
		CHECK(frame_ok(m[1], 257) && RTE_MBUF_HAS_EXTBUF(m[1]));
		rte_pktmbuf_free_bulk(m, 2);
		CHECK_EQ(xstat(pc, "rx_copied"), 1);
		CHECK_EQ(xstat(pc, "rx_zero_copy"), 1);
		vdev_remove("net_dpsw_pc", pc);
		vdev_remove("net_shm_zc", sc);
	}

	/* An isolated port grants nothing: its peer copies. */
	m[0] = frame(seq++, 60);
	CHECK_EQ(rte_eth_tx_burst(pa, 0, m, 1), 1);
	CHECK_EQ(switch_move(sa, si), 1);
	CHECK_EQ(peer_rx(pi, m, 1), 1);
	CHECK(frame_ok(m[0], 60) && !RTE_MBUF_HAS_EXTBUF(m[0]));
	rte_pktmbuf_free(m[0]);
	CHECK_EQ(xstat(pi, "rx_zero_copy"), 0);

	/*
	 * B's application holds 16 frames in place while its switch port
	 * goes and comes back: B attaches again, and the frames it held still
	 * read right (the old mapping lives until the last is freed).
	 */
	for (int i = 0; i < 16; i++)
		m[i] = frame(seq++, 200);
	CHECK_EQ(rte_eth_tx_burst(pa, 0, m, 16), 16);
	CHECK_EQ(switch_move(sa, sb), 16);
	CHECK_EQ(peer_rx(pb, held, 16), 16);
	/* The group's region and zi's, each mapped by the switch and its peers. */
	maps = region_maps();
	CHECK_EQ(maps, 5);
	vdev_remove("net_shm_zb", sb);
	CHECK(link_up(pb, 0));
	sb = switch_port("zb", "group=zg");
	CHECK(link_up(pb, 1));
	CHECK(link_up(sb, 1));
	CHECK_EQ(bag_bufs(sb), RING);
	/* B's new attach maps the region again; the old mapping is the frames'. */
	CHECK_EQ(region_maps(), maps + 1);
	for (int i = 0; i < 16; i++)
		CHECK(frame_ok(held[i], 200));
	rte_pktmbuf_free_bulk(held, 16);
	CHECK_EQ(region_maps_settle(maps), maps);
	ping_pong(sa, sb, pa, pb, 10, 100, &seq);

	/* And while its device closes. */
	for (int i = 0; i < 16; i++)
		m[i] = frame(seq++, 300);
	CHECK_EQ(rte_eth_tx_burst(pa, 0, m, 16), 16);
	CHECK_EQ(switch_move(sa, sb), 16);
	CHECK_EQ(peer_rx(pb, held, 16), 16);
	vdev_remove("net_dpsw_pb", pb);
	CHECK(link_up(sb, 0));
	CHECK_EQ(region_maps(), maps);
	for (int i = 0; i < 16; i++)
		CHECK(frame_ok(held[i], 300));
	rte_pktmbuf_free_bulk(held, 16);
	CHECK_EQ(region_maps_settle(maps - 1), maps - 1);

	/* The peers gone, their bags are back in the slots: every buffer held once. */
	vdev_remove("net_dpsw_pa", pa);
	vdev_remove("net_dpsw_pi", pi);
	CHECK(link_up(sa, 0));
	CHECK_EQ(bag_bufs(sa) + bag_bufs(sb), 0);
	region_exact(sa);
	vdev_remove("net_shm_za", sa);
	vdev_remove("net_shm_zb", sb);
	vdev_remove("net_shm_zi", si);
}

int
main(void)
{
	static const char *const logs[] = { "--log-level=pmd.*:error", NULL };

	snprintf(dir, sizeof(dir), "/tmp/dps-ut-zc-%d", (int)getpid());
	mkdir(dir, 0700);
	if (test_eal_start("dpsw_zc", NULL, 512, logs) != 0) {
		CHECK_MSG(0, "%s", "EAL initialisation");
		return test_report();
	}
	pool = rte_pktmbuf_pool_create("ut_zc", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	CHECK(pool != NULL);
	if (pool == NULL)
		return test_report();
	test_both_ends();
	CHECK_EQ(rte_mempool_avail_count(pool), 4095);
	rte_mempool_free(pool);
	test_eal_stop();
	rmdir(dir);
	return test_report();
}
