/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the switch's shared-ring driver (drivers/net/shm) over a
 * real, hugepage-less EAL: net_shm devices driven through rte_eth_*, with
 * peers in this process attached by lib/dpsr's client end. Copy and
 * validation on an isolated port, swapping on trusted ports (checked by
 * buffer index), rx interrupts on the doorbell, detach and re-attach
 * (an isolated port's region is renewed, every spare comes back), and
 * a trusted peer's bags (DPSR_F_PEER_BUFS): the owner table, buffers
 * named twice, in both rings or outside the bag, and the bag's return.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dpsr/dpsr_attach.h"
#include "dps_shm.h"
#include "shm_dev.h"
#include "test_common.h"
#include "shm_whitebox.h"
#include "test_eal.h"

static struct rte_mempool *pool;
static char dir[64];

static uint16_t
port_create(const char *name, const char *args)
{
	char dev[64], path[256];
	struct rte_eth_conf conf = { .intr_conf = { .rxq = 1, .lsc = 1 } };
	uint16_t id = UINT16_MAX;

	snprintf(dev, sizeof(dev), "net_shm_%s", name);
	snprintf(path, sizeof(path), "path=%s/%s.sock%s%s", dir, name, args[0] ? "," : "", args);
	CHECK_EQ(rte_vdev_init(dev, path), 0);
	CHECK_EQ(rte_eth_dev_get_port_by_name(dev, &id), 0);
	CHECK_EQ(rte_eth_dev_configure(id, 1, 1, &conf), 0);
	CHECK_EQ(rte_eth_rx_queue_setup(id, 0, 64, SOCKET_ID_ANY, NULL, pool), 0);
	CHECK_EQ(rte_eth_tx_queue_setup(id, 0, 64, SOCKET_ID_ANY, NULL), 0);
	CHECK_EQ(rte_eth_dev_start(id), 0);
	return id;
}

static void
port_destroy(const char *name, uint16_t id)
{
	char dev[64];

	snprintf(dev, sizeof(dev), "net_shm_%s", name);
	CHECK_EQ(rte_eth_dev_stop(id), 0);
	CHECK_EQ(rte_vdev_uninit(dev), 0);
}

static bool
link_is(uint16_t id, int up)
{
	struct rte_eth_link link;

	for (int i = 0; i < 300; i++) {
		if (rte_eth_link_get_nowait(id, &link) == 0 && link.link_status == up)
			return true;
		usleep(10000);
	}
	return false;
}

static int
peer_attach(struct dpsr_client *c, const char *name)
{
	char path[256];
	struct dps_err err = { "" };
	int rc;

	snprintf(path, sizeof(path), "%s/%s.sock", dir, name);
	rc = dpsr_client_attach(c, path, NULL, 1, &err);
	CHECK_MSG(rc == 0, "%s", err.msg);
	return rc;
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

/* A 60-byte frame whose bytes say which one it is. */
static void
frame_fill(uint8_t *f, uint16_t len, uint8_t tag)
{
	for (uint16_t i = 0; i < len; i++)
		f[i] = (uint8_t)(tag + i * 3);
}

static uint16_t
rx_all(uint16_t id, struct rte_mbuf **m, uint16_t want)
{
	uint16_t got = 0;

	for (int i = 0; i < 100 && got < want; i++)
		got += rte_eth_rx_burst(id, 0, m + got, (uint16_t)(want - got));
	return got;
}

/* The peer's rings: it produces on 2 x base, consumes 2 x base + 1. */
static void
peer_rings(struct dpsr_client *c, struct dpsr_qring *tx, struct dpsr_qring *rx)
{
	dpsr_qring_init(tx, &c->view, 2 * c->qpair_base);
	dpsr_qring_init(rx, &c->view, 2 * c->qpair_base + 1);
}

static void
test_isolated(void)
{
	uint16_t id = port_create("iso", "");
	struct dpsr_client c;
	struct dpsr_qring ptx, prx;
	struct dpsr_errors perr = { 0 };
	uint8_t f[3][60], out[4][2048], *dst[4] = { out[0], out[1], out[2], out[3] };
	const uint8_t *src[3] = { f[0], f[1], f[2] };
	uint16_t len[3] = { 60, 60, 60 }, got[4];
	struct rte_mbuf *m[8];
	struct rte_eth_stats st;
	volatile struct dpsr_desc *d;

	CHECK(link_is(id, RTE_ETH_LINK_DOWN));
	if (peer_attach(&c, "iso") != 0)
		return;
	CHECK(link_is(id, RTE_ETH_LINK_UP));
	peer_rings(&c, &ptx, &prx);

	/* Three frames in, copied byte for byte. */
	for (int i = 0; i < 3; i++)
		frame_fill(f[i], 60, (uint8_t)(i * 16));
	CHECK_EQ(dpsr_send_copy(&c.view, &ptx, src, len, 3, &perr), 3);
	CHECK_EQ(rx_all(id, m, 3), 3);
	for (int i = 0; i < 3; i++)
		CHECK(m[i]->pkt_len == 60 && memcmp(rte_pktmbuf_mtod(m[i], void *), f[i], 60) == 0);
	CHECK_EQ(xstat(id, "rx_copied"), 3);

	/* Out again: the peer copies them out, byte for byte. */
	CHECK_EQ(rte_eth_tx_burst(id, 0, m, 3), 3);
	CHECK_EQ(dpsr_recv_copy(&c.view, &prx, dst, got, 4, 2048, &perr), 3);
	CHECK(got[2] == 60 && memcmp(out[2], f[2], 60) == 0);
	CHECK_EQ(xstat(id, "tx_copied"), 3);

	/* One descriptor of each bad kind, then a good one: only it passes. */
	CHECK_EQ(dpsr_send_copy(&c.view, &ptx, src, len, 3, &perr), 3);
	d = &ptx.shared->desc[dpsr_slot(ptx.size, ptx.idx - 3)];
	d[0].buf ^= 1;				/* not the slot's own buffer */
	d[1].len = 13;				/* shorter than a header */
	d[2].off = 2040;			/* past the end of the buffer */
	CHECK_EQ(dpsr_send_copy(&c.view, &ptx, src, len, 1, &perr), 1);
	d = &ptx.shared->desc[dpsr_slot(ptx.size, ptx.idx - 1)];
	CHECK_EQ(dpsr_send_copy(&c.view, &ptx, src + 1, len, 1, &perr), 1);
	d->flags = 4;				/* unknown flag */
	CHECK_EQ(rx_all(id, m, 5), 1);
	CHECK(memcmp(rte_pktmbuf_mtod(m[0], void *), f[1], 60) == 0);
	rte_pktmbuf_free(m[0]);
	CHECK_EQ(xstat(id, "rx_bad_buf"), 1);
	CHECK_EQ(xstat(id, "rx_bad_len"), 1);
	CHECK_EQ(xstat(id, "rx_bad_range"), 1);
	CHECK_EQ(xstat(id, "rx_bad_flags"), 1);
	CHECK_EQ(rte_eth_stats_get(id, &st), 0);
	CHECK_EQ(st.ierrors, 4);
	CHECK_EQ(st.ipackets, 4);
	/* Every slot was released, good or bad. */
	CHECK_EQ(__atomic_load_n(&ptx.shared->cons, __ATOMIC_ACQUIRE), ptx.idx);

	/* The peer goes; frames for it are counted, not queued. */
	memset(dpsr_buf(&c.view, 0), 0xAB, 64);
	dpsr_client_detach(&c);
	CHECK(link_is(id, RTE_ETH_LINK_DOWN));
	CHECK_EQ(rte_pktmbuf_alloc_bulk(pool, m, 2), 0);
	m[0]->data_len = m[0]->pkt_len = 60;
	m[1]->data_len = m[1]->pkt_len = 60;
	CHECK_EQ(rte_eth_tx_burst(id, 0, m, 2), 2);
	CHECK_EQ(xstat(id, "tx_no_peer"), 2);
	CHECK_EQ(xstat(id, "peer_detaches"), 1);

	/* The next peer gets fresh memory: nothing of the last one's is left. */
	if (peer_attach(&c, "iso") != 0)
		return;
	CHECK(link_is(id, RTE_ETH_LINK_UP));
	CHECK(dpsr_buf(&c.view, 0)[0] == 0 && dpsr_buf(&c.view, 0)[63] == 0);
	peer_rings(&c, &ptx, &prx);
	CHECK_EQ(dpsr_send_copy(&c.view, &ptx, src, len, 1, &perr), 1);
	CHECK_EQ(rx_all(id, m, 1), 1);
	rte_pktmbuf_free(m[0]);
	CHECK_EQ(perr.bad_index, 0);
	dpsr_client_detach(&c);
	port_destroy("iso", id);
}

static void
test_rx_interrupt(void)
{
	uint16_t id = port_create("intr", "");
	struct rte_epoll_event ev;
	struct dpsr_errors perr = { 0 };
	struct dpsr_client c;
	struct dpsr_qring ptx, prx;
	uint8_t f[60];
	const uint8_t *src[1] = { f };
	uint16_t len[1] = { 60 };
	struct rte_mbuf *m[2];
	int epfd = epoll_create1(0);

	/*
	 * A worker that armed the queue while no peer was there (nothing to
	 * arm) sleeps on it; the attach wakes it, to arm the new ring.
	 */
	CHECK_EQ(rte_eth_dev_rx_intr_ctl_q(id, 0, epfd, RTE_INTR_EVENT_ADD, NULL), 0);
	CHECK_EQ(rte_eth_dev_rx_intr_enable(id, 0), 0);
	CHECK_EQ(rte_epoll_wait(epfd, &ev, 1, 50), 0);
	if (peer_attach(&c, "intr") != 0)
		return;
	CHECK_EQ(rte_epoll_wait(epfd, &ev, 1, 1000), 1);
	CHECK_EQ(rte_eth_dev_rx_intr_disable(id, 0), 0);
	CHECK(link_is(id, RTE_ETH_LINK_UP));
	peer_rings(&c, &ptx, &prx);
	frame_fill(f, 60, 7);

	/* Nobody asleep: the peer sees no flag and rings nothing. */
	CHECK_EQ(dpsr_send_copy(&c.view, &ptx, src, len, 1, &perr), 1);
	CHECK(!dpsr_cons_kick_needed(&ptx));
	CHECK_EQ(rx_all(id, m, 1), 1);
	rte_pktmbuf_free(m[0]);

	/* Asleep: no frame, no wake-up; a frame and its doorbell wake it. */
	CHECK_EQ(rte_eth_dev_rx_intr_enable(id, 0), 0);
	CHECK_EQ(rte_epoll_wait(epfd, &ev, 1, 50), 0);
	CHECK_EQ(dpsr_send_copy(&c.view, &ptx, src, len, 1, &perr), 1);
	CHECK(dpsr_cons_kick_needed(&ptx));
	CHECK_EQ(write(c.db[DPSR_DB_SWITCH_RX], &(uint64_t){ 1 }, 8), 8);
	CHECK_EQ(rte_epoll_wait(epfd, &ev, 1, 1000), 1);
	CHECK_EQ(rte_eth_dev_rx_intr_disable(id, 0), 0);
	CHECK_EQ(rx_all(id, m, 1), 1);
	rte_pktmbuf_free(m[0]);

	/* A frame that came before the enable wakes the sleeper at once. */
	CHECK_EQ(dpsr_send_copy(&c.view, &ptx, src, len, 1, &perr), 1);
	CHECK_EQ(rte_eth_dev_rx_intr_enable(id, 0), 0);
	CHECK_EQ(rte_epoll_wait(epfd, &ev, 1, 1000), 1);
	CHECK_EQ(rte_eth_dev_rx_intr_disable(id, 0), 0);
	CHECK_EQ(rx_all(id, m, 1), 1);
	rte_pktmbuf_free(m[0]);

	rte_eth_dev_rx_intr_ctl_q(id, 0, epfd, RTE_INTR_EVENT_DEL, NULL);
	close(epfd);
	dpsr_client_detach(&c);
	port_destroy("intr", id);
}

static uint32_t
spares_free(uint16_t id)
{
	struct dps_shm_info si;

	return dps_shm_info(id, &si) == 0 ? si.spares_free : UINT32_MAX;
}

static void
test_trusted(void)
{
	uint16_t a = port_create("ta", "group=g,spares=1024");
	/* A later port inherits the geometry it leaves out... */
	uint16_t b = port_create("tb", "group=g");
	uint16_t iso = port_create("ti", "");
	struct dpsr_client ca, cb, ci;
	struct dpsr_qring atx, arx, btx, brx, itx, irx;
	struct dpsr_errors perr = { 0 };
	uint8_t f[4][60], out[4][2048], *dst[4] = { out[0], out[1], out[2], out[3] };
	const uint8_t *src[4] = { f[0], f[1], f[2], f[3] };
	uint16_t len[4] = { 60, 60, 60, 60 }, got[4];
	uint32_t sent_bufs[4];
	struct rte_mbuf *m[8];
	struct dps_shm_info si;

	CHECK_EQ(dps_shm_info(a, &si), 0);
	CHECK(si.trusted && strcmp(si.group, "g") == 0 && si.spares_total == 1024);
	CHECK_EQ(spares_free(a), 1024);
	CHECK_EQ(dps_shm_info(b, &si), 0);
	CHECK(si.spares_total == 1024 && si.ring_size == 1024);
	/* ... and may not ask for another, nor for its own qpairs. */
	CHECK(rte_vdev_init("net_shm_tc", "path=/tmp/dps-ut-shm-tc.sock,group=g,ring=512") != 0);
	CHECK(rte_vdev_init("net_shm_tc", "path=/tmp/dps-ut-shm-tc.sock,group=g,qpairs=2") != 0);
	CHECK(rte_vdev_init("net_shm_tc", "path=/tmp/dps-ut-shm-tc.sock,group=g,spares=2048") != 0);
	if (peer_attach(&ca, "ta") || peer_attach(&cb, "tb") || peer_attach(&ci, "ti"))
		return;
	/* One region for the group: both peers see the same memory, other queue pairs. */
	CHECK_EQ(ca.qpair_base, 0);
	CHECK_EQ(cb.qpair_base, 1);
	CHECK_EQ(ca.view.size, cb.view.size);
	peer_rings(&ca, &atx, &arx);
	peer_rings(&cb, &btx, &brx);
	peer_rings(&ci, &itx, &irx);
	CHECK(link_is(a, RTE_ETH_LINK_UP) && link_is(b, RTE_ETH_LINK_UP));

	/* A -> switch -> B: the buffers A filled are the buffers B reads. */
	for (int i = 0; i < 4; i++) {
		frame_fill(f[i], 60, (uint8_t)(100 + i));
		sent_bufs[i] = atx.shared->desc[dpsr_slot(atx.size, atx.idx + i)].buf;
	}
	CHECK_EQ(dpsr_send_copy(&ca.view, &atx, src, len, 4, &perr), 4);
	CHECK_EQ(rx_all(a, m, 4), 4);
	CHECK_EQ(xstat(a, "rx_zero_copy"), 4);
	CHECK_EQ(spares_free(a), 1020);
	/* A's slots now own spares, not the buffers it filled. */
	for (int i = 0; i < 4; i++)
		CHECK(atx.shared->desc[dpsr_slot(atx.size, atx.idx - 4 + i)].buf != sent_bufs[i]);
	CHECK_EQ(rte_eth_tx_burst(b, 0, m, 4), 4);
	CHECK_EQ(xstat(b, "tx_zero_copy"), 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(brx.shared->desc[dpsr_slot(brx.size, brx.idx + i)].buf, sent_bufs[i]);
	CHECK_EQ(dpsr_recv_copy(&cb.view, &brx, dst, got, 4, 2048, &perr), 4);
	for (int i = 0; i < 4; i++)
		CHECK(got[i] == 60 && memcmp(out[i], f[i], 60) == 0);
	/* B's slots' old buffers went back: the spares are whole again. */
	CHECK_EQ(spares_free(a), 1024);

	/* Trusted -> isolated: a copy, and the isolated peer sees only its own buffers. */
	CHECK_EQ(dpsr_send_copy(&ca.view, &atx, src, len, 2, &perr), 2);
	CHECK_EQ(rx_all(a, m, 2), 2);
	CHECK_EQ(rte_eth_tx_burst(iso, 0, m, 2), 2);
	CHECK_EQ(xstat(iso, "tx_copied"), 2);
	CHECK_EQ(dpsr_recv_copy(&ci.view, &irx, dst, got, 4, 2048, &perr), 2);
	CHECK(memcmp(out[1], f[1], 60) == 0);
	CHECK_EQ(spares_free(a), 1024);

	/* A flood copy (refcnt 2) is copied, not swapped: the other holder keeps its buffer. */
	CHECK_EQ(dpsr_send_copy(&ca.view, &atx, src, len, 1, &perr), 1);
	CHECK_EQ(rx_all(a, m, 1), 1);
	rte_mbuf_refcnt_update(m[0], 1);
	CHECK_EQ(rte_eth_tx_burst(b, 0, m, 1), 1);
	CHECK_EQ(xstat(b, "tx_copied"), 1);
	CHECK_EQ(rte_eth_tx_burst(iso, 0, m, 1), 1);
	CHECK_EQ(spares_free(a), 1024);
	CHECK_EQ(dpsr_recv_copy(&cb.view, &brx, dst, got, 4, 2048, &perr), 1);
	CHECK(memcmp(out[0], f[0], 60) == 0);

	/* A crashes with frames in its ring; nothing is lost, it comes back. */
	CHECK_EQ(dpsr_send_copy(&ca.view, &atx, src, len, 3, &perr), 3);
	dpsr_client_detach(&ca);
	CHECK(link_is(a, RTE_ETH_LINK_DOWN));
	CHECK_EQ(rte_eth_rx_burst(a, 0, m, 8), 0);
	CHECK_EQ(spares_free(a), 1024);
	if (peer_attach(&ca, "ta") != 0)
		return;
	peer_rings(&ca, &atx, &arx);
	CHECK_EQ(atx.shared->prod, 0);
	CHECK_EQ(dpsr_send_copy(&ca.view, &atx, src, len, 4, &perr), 4);
	CHECK_EQ(rx_all(a, m, 4), 4);
	CHECK_EQ(rte_eth_tx_burst(b, 0, m, 4), 4);
	CHECK_EQ(dpsr_recv_copy(&cb.view, &brx, dst, got, 4, 2048, &perr), 4);
	CHECK(memcmp(out[3], f[3], 60) == 0);
	CHECK_EQ(spares_free(a), 1024);
	CHECK_EQ(perr.bad_index + perr.bad_desc[DPSR_BAD_BUF] + perr.bad_desc[DPSR_BAD_LEN], 0);

	dpsr_client_detach(&ca);
	dpsr_client_detach(&cb);
	dpsr_client_detach(&ci);
	port_destroy("ta", a);
	port_destroy("tb", b);
	port_destroy("ti", iso);
}

/* ---- bags: a trusted peer that holds buffers (DPSR_F_PEER_BUFS) ---- */

static uint32_t
port_info_bag(uint16_t id)
{
	struct dps_shm_info si;

	return dps_shm_info(id, &si) == 0 ? si.bag_bufs : UINT32_MAX;
}

/* Produce one 60-byte frame tagged @p tag in buffer @p buf on ring @p tx. */
static void
bag_send(struct dpsr_client *c, struct dpsr_qring *tx, uint32_t buf, uint8_t tag)
{
	struct dpsr_desc d = { .buf = buf, .off = DPSR_HEADROOM, .len = 60 };

	if (buf < c->view.lim.nb_bufs)
		frame_fill(dpsr_buf(&c->view, buf) + DPSR_HEADROOM, 60, tag);
	dpsr_desc_store(&tx->shared->desc[dpsr_slot(tx->size, tx->idx)], &d);
	tx->idx++;
}

static void
bag_publish(struct dpsr_qring *tx)
{
	__atomic_store_n(&tx->shared->prod, tx->idx, __ATOMIC_RELEASE);
}

static uint32_t
mbuf_buf(const struct dpsr_client *c, const struct rte_mbuf *m, const uint8_t *switch_bufs)
{
	(void)c;
	return (uint32_t)(((const uint8_t *)m->buf_addr - switch_bufs) / c->view.lim.buf_size);
}

static void
test_peer_bufs(void)
{
	uint16_t a = port_create("ba", "group=bg,ring=64,spares=1024");
	uint16_t b = port_create("bb", "group=bg");
	uint16_t iso = port_create("bi", "ring=64");
	const struct shm_dev *sda = rte_eth_devices[a].data->dev_private;
	const uint8_t *sw_bufs = sda->region->view.base + sda->region->view.bufs_off;
	struct dpsr_client ca, cb, ci;
	struct dpsr_qring atx, arx, btx, brx;
	struct dpsr_errors perr = { 0 };
	char path[256];
	struct dps_err err = { "" };
	uint32_t bag[64], other, y, z;
	struct rte_mbuf *m[8];
	uint8_t out[2][2048], *dst[2] = { out[0], out[1] };
	uint16_t got[2];
	uint64_t rx_bad, tx_bad;
	struct dps_shm_info si;

	snprintf(path, sizeof(path), "%s/ba.sock", dir);
	CHECK_EQ(dpsr_client_attach_features(&ca, path, NULL, 1, DPSR_F_PEER_BUFS, &err), 0);
	snprintf(path, sizeof(path), "%s/bb.sock", dir);
	CHECK_EQ(dpsr_client_attach_features(&cb, path, NULL, 1, DPSR_F_PEER_BUFS, &err), 0);
	/* An isolated port grants nothing, and refuses nobody for asking. */
	snprintf(path, sizeof(path), "%s/bi.sock", dir);
	CHECK_EQ(dpsr_client_attach_features(&ci, path, NULL, 1, DPSR_F_PEER_BUFS, &err), 0);
	CHECK_EQ(ci.features, 0);
	CHECK_EQ(ca.features, DPSR_F_PEER_BUFS);
	CHECK(link_is(a, RTE_ETH_LINK_UP) && link_is(b, RTE_ETH_LINK_UP));
	CHECK_EQ(dps_shm_info(a, &si), 0);
	CHECK(si.peer_bufs);
	CHECK_EQ(si.bag_bufs, 64);
	CHECK_EQ(port_info_bag(b), 64);
	CHECK_EQ(port_info_bag(iso), 0);
	region_exact(a);
	peer_rings(&ca, &atx, &arx);
	peer_rings(&cb, &btx, &brx);
	/* A's bag: the buffers of its rx ring's slots (ring 2q, its producing ring). */
	for (uint32_t k = 0; k < 64; k++)
		bag[k] = atx.shared->desc[k].buf;
	other = btx.shared->desc[0].buf;		/* B's bag, not A's */

	/*
	 * A sends from bag buffers of its choice: bag[5] in slot 0 (not the
	 * slot's own: fine), bag[5] again (taken once: refused), a buffer of
	 * the switch's (one of A's tx ring's slots), one of B's bag, and the
	 * slot's own buffer.
	 */
	bag_send(&ca, &atx, bag[5], 1);
	bag_send(&ca, &atx, bag[5], 2);
	bag_send(&ca, &atx, arx.shared->desc[0].buf, 3);
	bag_send(&ca, &atx, other, 4);
	bag_send(&ca, &atx, bag[4], 5);
	bag_publish(&atx);
	CHECK_EQ(rx_all(a, m, 8), 2);
	CHECK_EQ(xstat(a, "rx_zero_copy"), 2);
	CHECK_EQ(xstat(a, "rx_bad_buf"), 3);
	CHECK_EQ(mbuf_buf(&ca, m[0], sw_bufs), bag[5]);
	CHECK_EQ(mbuf_buf(&ca, m[1], sw_bufs), bag[4]);
	/* Slots 0 and 4 hold spares now, in A's bag; the refused ones what they had. */
	CHECK(atx.shared->desc[0].buf != bag[5] && atx.shared->desc[4].buf != bag[4]);
	CHECK_EQ(atx.shared->desc[1].buf, bag[1]);
	CHECK_EQ(port_info_bag(a), 64);
	CHECK_EQ(port_info_bag(b), 64);

	/*
	 * The switch sends both back to A, and a third frame. A keeps slot
	 * 0's buffer, leaving bag[9] (of its bag) in its place; bag[9] again
	 * in slot 1 (taken once: refused); B's bag buffer in slot 2 (not
	 * A's: refused).
	 */
	CHECK_EQ(rte_eth_tx_burst(a, 0, m, 2), 2);
	CHECK_EQ(xstat(a, "tx_zero_copy"), 2);
	CHECK_EQ(rte_pktmbuf_alloc_bulk(pool, m, 1), 0);
	m[0]->data_len = m[0]->pkt_len = 60;
	CHECK_EQ(rte_eth_tx_burst(a, 0, m, 1), 1);
	/*
	 * In place: the buffer A filled is the one it reads, frame and all
	 * (frame 2's bytes: A wrote its second frame over the first).
	 */
	y = arx.shared->desc[0].buf;
	CHECK_EQ(y, bag[5]);
	frame_fill(out[0], 60, 2);
	CHECK(memcmp(dpsr_buf(&ca.view, y) + arx.shared->desc[0].off, out[0], 60) == 0);
	arx.shared->desc[0].buf = bag[9];
	arx.shared->desc[1].buf = bag[9];
	arx.shared->desc[2].buf = other;
	arx.idx = 3;
	__atomic_store_n(&arx.shared->cons, arx.idx, __ATOMIC_RELEASE);
	/* The switch reads them back at its next burst. */
	CHECK_EQ(rte_pktmbuf_alloc_bulk(pool, m, 1), 0);
	m[0]->data_len = m[0]->pkt_len = 60;
	CHECK_EQ(rte_eth_tx_burst(a, 0, m, 1), 1);
	CHECK_EQ(xstat(a, "tx_peer_swaps"), 1);
	CHECK_EQ(xstat(a, "tx_bad_buf"), 2);
	CHECK_EQ(port_info_bag(a), 64);		/* bag[5] in, bag[9] out */
	CHECK_EQ(port_info_bag(b), 64);

	/*
	 * One buffer named in both rings at once: bag[12] left in A's tx
	 * ring's slot 3 and sent on its rx ring. Whichever the switch reads
	 * first takes it; the other is refused.
	 */
	z = bag[12];
	arx.shared->desc[3].buf = z;
	arx.idx = 4;
	__atomic_store_n(&arx.shared->cons, arx.idx, __ATOMIC_RELEASE);
	bag_send(&ca, &atx, z, 6);
	bag_publish(&atx);
	rx_bad = xstat(a, "rx_bad_buf");
	tx_bad = xstat(a, "tx_bad_buf");
	CHECK_EQ(rx_all(a, m, 8) + 0, 1);	/* rx first: the frame is taken */
	rte_pktmbuf_free(m[0]);
	CHECK_EQ(rte_pktmbuf_alloc_bulk(pool, m, 1), 0);
	m[0]->data_len = m[0]->pkt_len = 60;
	CHECK_EQ(rte_eth_tx_burst(a, 0, m, 1), 1);
	CHECK_EQ(xstat(a, "rx_bad_buf") - rx_bad, 0);
	CHECK_EQ(xstat(a, "tx_bad_buf") - tx_bad, 1);
	CHECK_EQ(port_info_bag(a), 64);

	/* A peer with a bag may still copy a frame out and keep nothing. */
	CHECK_EQ(dpsr_recv_copy(&ca.view, &arx, dst, got, 2, 2048, &perr), 1);
	CHECK_EQ(got[0], 60);

	/*
	 * A leaves: its bag goes back into its rx ring's slots, exactly 64
	 * buffers, and the owner table holds no bag of it any more. Every
	 * buffer of the region is held once.
	 */
	dpsr_client_detach(&ca);
	CHECK(link_is(a, RTE_ETH_LINK_DOWN));
	CHECK_EQ(port_info_bag(a), 0);
	CHECK_EQ(spares_free(a), 1024);
	region_exact(a);
	/* A peer without the feature may not move them: the slot's own buffer only. */
	if (peer_attach(&ca, "ba") != 0)
		return;
	CHECK_EQ(ca.features, 0);
	CHECK_EQ(port_info_bag(a), 0);
	peer_rings(&ca, &atx, &arx);
	bag_send(&ca, &atx, atx.shared->desc[1].buf, 7);	/* slot 0, slot 1's buffer */
	bag_send(&ca, &atx, atx.shared->desc[1].buf, 8);	/* its own */
	bag_publish(&atx);
	rx_bad = xstat(a, "rx_bad_buf");
	CHECK_EQ(rx_all(a, m, 8), 1);
	CHECK_EQ(xstat(a, "rx_bad_buf") - rx_bad, 1);
	rte_pktmbuf_free(m[0]);
	dpsr_client_detach(&ca);
	CHECK(link_is(a, RTE_ETH_LINK_DOWN));
	/* And with it again: a bag of 64 once more. */
	snprintf(path, sizeof(path), "%s/ba.sock", dir);
	CHECK_EQ(dpsr_client_attach_features(&ca, path, NULL, 1, DPSR_F_PEER_BUFS, &err), 0);
	CHECK(link_is(a, RTE_ETH_LINK_UP));
	CHECK_EQ(port_info_bag(a), 64);
	region_exact(a);
	dpsr_client_detach(&ca);
	dpsr_client_detach(&cb);
	dpsr_client_detach(&ci);
	CHECK(link_is(a, RTE_ETH_LINK_DOWN) && link_is(b, RTE_ETH_LINK_DOWN));
	region_exact(a);
	port_destroy("ba", a);
	port_destroy("bb", b);
	port_destroy("bi", iso);
}

static void
test_bad_args(void)
{
	/* The probe refuses; the reasons are checked through the port layer in dts. */
	CHECK(rte_vdev_init("net_shm_bad0", "mode=trusted") != 0);
	CHECK(rte_vdev_init("net_shm_bad1", "path=/tmp/x.sock,ring=100") != 0);
	CHECK(rte_vdev_init("net_shm_bad2", "path=/tmp/x.sock,color=red") != 0);
	CHECK(rte_vdev_init("net_shm_bad3", "path=/tmp/x.sock,mode=isolated,group=g") != 0);
}

int
main(void)
{
	static const char *const logs[] = { "--log-level=pmd.*:error", NULL };

	snprintf(dir, sizeof(dir), "/tmp/dps-ut-shm-%d", (int)getpid());
	mkdir(dir, 0700);
	if (test_eal_start("shm", NULL, 512, logs) != 0) {
		CHECK_MSG(0, "%s", "EAL initialisation");
		return test_report();
	}
	pool = rte_pktmbuf_pool_create("ut_mbufs", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	CHECK(pool != NULL);
	if (pool == NULL)
		return test_report();
	test_bad_args();
	test_isolated();
	test_rx_interrupt();
	test_trusted();
	test_peer_bufs();
	rte_mempool_free(pool);
	test_eal_stop();
	CHECK_EQ(rmdir(dir), 0);		/* every socket file went with its port */
	return test_report();
}
