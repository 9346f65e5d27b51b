/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest's end of an shm port (net_dpsw_pci's ivshmem transport,
 * drivers/net/dpsw/dpsw_ivshmem.c) on the host, without QEMU: a region in
 * ordinary memory stands for BAR2, an array for BAR0's registers, an
 * eventfd for the vfio eventfd of an MSI-X vector, and a thread plays the
 * switch's control side (it polls the control word: a register write to
 * memory is no event). The driver's own code then starts and stops the
 * port, binds its queues to the guest's rings with the register's bells,
 * and moves frames both ways through dpsw_rxtx.c, ringing the vectors the
 * spec names only when the switch sleeps; its rx interrupt arms and
 * wakes as an application parked on vfio's eventfd needs. What is left
 * to the PCI probe (BARs, MSI-X table, vfio's eventfds) needs a guest.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "dpsw.h"
#include "dpsr/dpsr_region.h"
#include "dpsw_standin.h"
#include "ivshmem_switch.h"
#include "test_common.h"
#include "test_eal.h"

#define NQ 2			/* queue pairs per port slot */
#define SLOTS 2
#define GUEST_ID 2		/* the second slot: queue pairs 2..3, rings 4..7 */
#define GBASE ((GUEST_ID - 1) * NQ)
#define SENTINEL 0xdeadbeefu

static struct dpsr_mem mem;
static struct dpsw_dev dev;	/* what dev_private holds in a guest */
static uint32_t regs[64] __rte_aligned(64);	/* BAR0 */
static struct rte_mempool *pool;

/*
 * The switch's side of our queue pairs is the stand-in's (s_rx[q] consumes
 * ring 2(base + q), s_tx[q] produces on 2(base + q) + 1, sw_send() and
 * sw_recv() on them), set up for our base at each start. sw_send() rings
 * the stand-in's DPSR_DB_PEER_RX doorbell of q when we sleep: here the
 * eventfd that stands for vfio's of MSI-X 1 + q, or -1.
 */
static struct dpsr_ring *
ring_of(uint32_t i)
{
	return ivs_ring(&view, i);
}

static uint32_t
doorbell(void)
{
	return __atomic_load_n(&regs[DPSR_IVSHMEM_REG_DOORBELL / 4], __ATOMIC_ACQUIRE);
}

/* ---- the switch's control side, polling peer_ctl ---- */

static struct {
	int stop;
	int acks;
	int deny;		/* an isolated port: DPSR_F_PEER_BUFS not granted */
	pthread_t thread;
} sw;

static void *
switch_main(void *arg)
{
	struct dpsr_ring *r0 = ring_of(2 * GBASE);
	uint32_t acted = __atomic_load_n(&r0->ctl_ack, __ATOMIC_ACQUIRE);

	(void)arg;
	while (!__atomic_load_n(&sw.stop, __ATOMIC_ACQUIRE)) {
		/* A start or a stop: the switch's indices afresh, then the rings and the ack. */
		if (__atomic_load_n(&r0->peer_ctl, __ATOMIC_ACQUIRE) != acted) {
			for (uint32_t q = 0; q < NQ; q++) {
				dpsr_qring_init(&s_rx[q], &view, 2 * (GBASE + q));
				dpsr_qring_init(&s_tx[q], &view, 2 * (GBASE + q) + 1);
			}
			if (ivs_switch_act(&view, GBASE, NQ, &acted,
					   !__atomic_load_n(&sw.deny, __ATOMIC_ACQUIRE)))
				__atomic_fetch_add(&sw.acks, 1, __ATOMIC_SEQ_CST);
		}
		usleep(1000);
	}
	return NULL;
}

static void
switch_start(void)
{
	sw.stop = 0;
	CHECK_EQ(pthread_create(&sw.thread, NULL, switch_main, NULL), 0);
}

static void
switch_stop(void)
{
	__atomic_store_n(&sw.stop, 1, __ATOMIC_RELEASE);
	pthread_join(sw.thread, NULL);
}

/* ---- the device, as dpsw_pci.c's probe leaves it ---- */

static int
guest_probe(void)
{
	struct dps_err err = { "" };

	memset(&dev, 0, sizeof(dev));
	dev.view = view;
	dev.ivs.regs = (volatile uint8_t *)regs;
	dev.ivs.ctl_timeout_ms = 3000;
	if (dpsr_ivshmem_guest_init(&dev.ivs.g, &view, GUEST_ID, 0, &err) != 0) {
		fprintf(stderr, "guest share: %s\n", err.msg);
		return -1;
	}
	dev.nb_qpairs = dev.ivs.g.nb_qpairs;
	dev.max_frame = RTE_MIN(view.lim.buf_size, (uint32_t)DPSR_FRAME_MAX);
	for (uint32_t q = 0; q < dev.nb_qpairs; q++) {
		dev.rxq[q].waiter = DPSW_WAITER_NONE;
		dev.rxq[q].mp = pool;
	}
	dpsw_ivshmem_bells_init(&dev);
	return 0;
}

/* ---- tests ---- */

/* The guest's devargs: qpairs and mac only, all the port's queue pairs by default. */
static void
test_args(void)
{
	struct dpsw_args a = { .name = "0000:00:04.0" };
	size_t mark = log_mark();

	CHECK_EQ(dpsw_args_parse(NULL, DPSW_KIND_PCI, &a), 0);
	CHECK_EQ(a.qpairs, 0);
	CHECK(!a.has_mac);
	CHECK_EQ(dpsw_args_parse("qpairs=1,mac=02:00:00:00:00:07", DPSW_KIND_PCI, &a), 0);
	CHECK_EQ(a.qpairs, 1);
	CHECK(a.has_mac && a.mac.addr_bytes[5] == 7);
	CHECK_EQ(dpsw_args_parse("path=/run/x.sock", DPSW_KIND_PCI, &a), -EINVAL);
	CHECK_LOG(mark, "0000:00:04.0: unknown devarg 'path': valid keys are qpairs, mac, "
		  "zero-copy, copy-break");
	CHECK_EQ(dpsw_args_parse("zero-copy=1,copy-break=100", DPSW_KIND_PCI, &a), 0);
	CHECK(a.zero_copy);
	CHECK_EQ(a.copy_break, 100);
	CHECK_EQ(dpsw_args_parse("secret=k", DPSW_KIND_PCI, &a), -EINVAL);
	CHECK_EQ(dpsw_args_parse("qpairs=0", DPSW_KIND_PCI, &a), -EINVAL);
}

/* Both kinds of doorbell, rung the same way. */
static void
test_bells(void)
{
	struct dpsw_bell b;
	uint32_t reg = SENTINEL;
	int rd, wr;

	CHECK_EQ(dpsr_bell_create(&rd, &wr), 0);
	b = dpsw_bell_pipe(wr);
	CHECK(!readable(rd, 0));
	CHECK(dpsw_bell_ring(&b));
	CHECK(readable(rd, 0));
	close(wr);
	close(rd);
	b = (struct dpsw_bell){ .reg = &reg, .val = dpsr_ivshmem_doorbell(3), .fd = -1 };
	CHECK(dpsw_bell_ring(&b));
	CHECK_EQ(reg, 3);
	/* Vector 0 of the switch (peer 0): what start and stop ring. */
	CHECK(dev.ivs.ctl.reg == &regs[DPSR_IVSHMEM_REG_DOORBELL / 4]);
	CHECK_EQ(dev.ivs.ctl.val, 0);
}

static void
test_start(void)
{
	size_t mark = log_mark();

	regs[DPSR_IVSHMEM_REG_DOORBELL / 4] = SENTINEL;
	/* A previous driver's leftovers in our rings: the start resets them. */
	ring_of(2 * GBASE)->prod = 40;
	ring_of(2 * GBASE + 1)->cons = 7;
	CHECK(!dpsw_attached(&dev));
	CHECK_EQ(dpsw_ivshmem_attach(&dev, "guest0"), 0);
	CHECK(dpsw_attached(&dev));
	CHECK_EQ(doorbell(), 0);			/* vector 0 rung */
	CHECK_EQ(ring_of(2 * GBASE)->ctl_ack, dev.ivs.ctl_value);
	CHECK_EQ(ring_of(2 * GBASE)->prod, 0);
	CHECK_LOG(mark, "guest0: the switch acknowledged start");
	for (uint32_t q = 0; q < NQ; q++) {
		/* Queue pair q is the region's base + q, at private indices 0. */
		CHECK(dev.txq[q].ring.shared == ring_of(2 * (GBASE + q)));
		CHECK(dev.rxq[q].ring.shared == ring_of(2 * (GBASE + q) + 1));
		CHECK_EQ(dev.txq[q].ring.idx, 0);
		CHECK_EQ(dev.rxq[q].ring.idx, 0);
		/* tx rings vector 1 + q, rx (room) vector 1 + N + q, both peer 0. */
		CHECK(dev.txq[q].kick.reg == &regs[DPSR_IVSHMEM_REG_DOORBELL / 4]);
		CHECK_EQ(dev.txq[q].kick.val, 1 + q);
		CHECK_EQ(dev.rxq[q].room.val, 1 + NQ + q);
	}
	/* Already attached: nothing asked again. */
	CHECK_EQ(dpsw_ivshmem_attach(&dev, "guest0"), 0);
}

static struct rte_mbuf *
frame(uint16_t len, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, len) : NULL;

	if (d == NULL)
		abort();
	for (uint16_t k = 0; k < len; k++)
		d[k] = pat(seed, k);
	return m;
}

/* Guest to switch: vector 1 + q only while the switch's cons_wait is up. */
static void
test_tx(void)
{
	for (uint32_t q = 0; q < NQ; q++) {
		struct rte_mbuf *m[2] = { frame(60, (uint8_t)(10 + q)), frame(1500, 0x33) };
		uint16_t len[SW_OUT];

		regs[DPSR_IVSHMEM_REG_DOORBELL / 4] = SENTINEL;
		CHECK_EQ(dpsw_tx_burst(&dev.txq[q], m, 1), 1);
		CHECK_EQ(doorbell(), SENTINEL);		/* the switch polls: no ring */
		ring_of(2 * (GBASE + q))->cons_wait = 1;	/* the switch sleeps */
		CHECK_EQ(dpsw_tx_burst(&dev.txq[q], &m[1], 1), 1);
		CHECK_EQ(doorbell(), dpsr_ivshmem_doorbell(dpsr_ivshmem_vec_data(q)));
		CHECK_EQ(dev.txq[q].st.doorbells, 1);
		ring_of(2 * (GBASE + q))->cons_wait = 0;
		CHECK_EQ(sw_recv(q, len), 2);
		CHECK_EQ(len[0], 60);
		CHECK(frame_ok(sw_out[0], 60, (uint8_t)(10 + q)));
		CHECK_EQ(len[1], 1500);
		CHECK(frame_ok(sw_out[1], 1500, 0x33));
	}
}

/* Switch to guest: vector 1 + N + q (room) only while the switch's prod_wait is up. */
static void
test_rx(void)
{
	for (uint32_t q = 0; q < NQ; q++) {
		struct rte_mbuf *m[4];

		regs[DPSR_IVSHMEM_REG_DOORBELL / 4] = SENTINEL;
		CHECK_EQ(sw_send(q, 64, 2, (uint8_t)(0x40 + q)), 2);
		CHECK_EQ(dpsw_rx_burst(&dev.rxq[q], m, 4), 2);
		CHECK(frame_ok(rte_pktmbuf_mtod(m[0], uint8_t *), 64, (uint8_t)(0x40 + q)));
		CHECK(frame_ok(rte_pktmbuf_mtod(m[1], uint8_t *), 64, (uint8_t)(0x41 + q)));
		rte_pktmbuf_free_bulk(m, 2);
		CHECK_EQ(doorbell(), SENTINEL);
		ring_of(2 * (GBASE + q) + 1)->prod_wait = 1;
		CHECK_EQ(sw_send(q, 64, 1, 0x50), 1);
		CHECK_EQ(dpsw_rx_burst(&dev.rxq[q], m, 4), 1);
		rte_pktmbuf_free(m[0]);
		CHECK_EQ(doorbell(), dpsr_ivshmem_doorbell(dpsr_ivshmem_vec_room(NQ, q)));
		ring_of(2 * (GBASE + q) + 1)->prod_wait = 0;
	}
}

/*
 * Parking on the vector's eventfd (vfio's, which EAL reads when it fires):
 * arming raises cons_wait and empties what was rung; the switch's MSI-X
 * (here a write to the eventfd, as vfio's is) wakes the sleeper; frames
 * already there when it arms wake it at once.
 */
static void
test_rx_intr(void)
{
	struct dpsw_rxq *rq = &dev.rxq[1];
	struct dpsr_ring *r = ring_of(2 * (GBASE + 1) + 1);
	uint64_t one = 1;
	struct rte_mbuf *m[4];
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	CHECK(efd >= 0);
	rq->waiter = dpsw_waiter_of_eventfd(efd);
	srv.db[1 * DPSR_DB_PER_QPAIR + DPSR_DB_PEER_RX] = efd;	/* MSI-X 1 + 1 */
	CHECK_EQ(write(efd, &one, 8), 8);		/* a stale interrupt */
	dpsw_rxq_intr_enable(rq);
	CHECK_EQ(r->cons_wait, 1);
	CHECK(!readable(efd, 0));			/* emptied: no wake for nothing */
	/* The switch produces, sees cons_wait, raises MSI-X 1 + q. */
	sw_kicks = 0;
	CHECK_EQ(sw_send(1, 100, 1, 0x61), 1);
	CHECK_EQ(sw_kicks, 1);
	CHECK(readable(efd, 0));
	drain(efd);					/* EAL reads it */
	dpsw_rxq_intr_disable(rq);
	CHECK_EQ(r->cons_wait, 0);
	/* Arming with a frame already there: no sleep, the queue wakes itself. */
	dpsw_rxq_intr_enable(rq);
	CHECK_EQ(r->cons_wait, 0);
	CHECK(readable(efd, 0));
	dpsw_rxq_intr_disable(rq);
	CHECK_EQ(dpsw_rx_burst(rq, m, 4), 1);
	CHECK(frame_ok(rte_pktmbuf_mtod(m[0], uint8_t *), 100, 0x61));
	rte_pktmbuf_free(m[0]);
	rq->waiter = DPSW_WAITER_NONE;
	srv.db[1 * DPSR_DB_PER_QPAIR + DPSR_DB_PEER_RX] = -1;
	close(efd);
}

/* Stop: quiesced, peer_ctl 0, vector 0; the queues touch nothing any more. */
static void
test_stop(void)
{
	struct dpsr_ring *r0 = ring_of(2 * GBASE);
	struct rte_mbuf *m = frame(60, 1);
	uint32_t prod;

	regs[DPSR_IVSHMEM_REG_DOORBELL / 4] = SENTINEL;
	dpsw_ivshmem_detach(&dev);
	CHECK(!dpsw_attached(&dev));
	CHECK_EQ(r0->peer_ctl, 0);
	CHECK_EQ(doorbell(), 0);
	for (int i = 0; i < 2000 && __atomic_load_n(&r0->ctl_ack, __ATOMIC_ACQUIRE) != 0; i++)
		usleep(1000);
	CHECK_EQ(r0->ctl_ack, 0);
	prod = r0->prod;
	CHECK_EQ(dpsw_tx_burst(&dev.txq[0], &m, 1), 1);	/* dropped, counted */
	CHECK_EQ(dev.txq[0].st.disconnected, 1);
	CHECK_EQ(r0->prod, prod);
	dpsw_ivshmem_detach(&dev);			/* twice: nothing more */
	CHECK_EQ(r0->peer_ctl, 0);
}

/* A second start: acknowledged anew, rings reset again, indices 0, traffic exact. */
static void
test_restart(void)
{
	int acks = __atomic_load_n(&sw.acks, __ATOMIC_ACQUIRE);
	struct rte_mbuf *m = frame(200, 0x77);
	uint16_t len[SW_OUT];

	CHECK_EQ(dpsw_ivshmem_attach(&dev, "guest0"), 0);
	CHECK(dev.ivs.ctl_value != 0);
	CHECK_EQ(__atomic_load_n(&sw.acks, __ATOMIC_ACQUIRE), acks + 1);
	CHECK_EQ(dev.txq[0].ring.idx, 0);
	CHECK_EQ(dpsw_tx_burst(&dev.txq[0], &m, 1), 1);
	CHECK_EQ(sw_recv(0, len), 1);
	CHECK(frame_ok(sw_out[0], 200, 0x77));
	dpsw_ivshmem_detach(&dev);
}

/*
 * Zero copy (a trusted port grants DPSR_F_PEER_BUFS): the start asks with
 * bit 31; a frame past copy-break is handed over in place (its buffer in
 * BAR2) and goes back out in place, with no copy: the slot names the
 * buffer it arrived in. A port that does not grant it (isolated) copies.
 */
static void
test_zero_copy(void)
{
	const uint32_t w = (2 * GBASE + 1) * RING;	/* the rx ring's first slot's buffer */
	struct dpsr_ring *r0 = ring_of(2 * GBASE);
	struct rte_mbuf *m[2];
	uint16_t len[SW_OUT];
	size_t mark = log_mark();
	uint8_t *d;

	dev.zc_want = true;
	dev.copy_break = 100;
	CHECK_EQ(dpsw_ivshmem_attach(&dev, "guest0"), 0);
	CHECK(r0->peer_ctl & DPSR_GUEST_CTL_PEER_BUFS);
	CHECK(dev.zc != NULL && dev.rxq[0].zc != NULL && dev.txq[1].zc != NULL);
	CHECK_LOG(mark, "guest0: the switch acknowledged start");
	CHECK_LOG(mark, "with zero copy: link up");
	CHECK_EQ(sw_send(0, 1000, 1, 0x21), 1);
	CHECK_EQ(sw_send(0, 60, 1, 0x22), 1);
	CHECK_EQ(dpsw_rx_burst(&dev.rxq[0], m, 2), 2);
	d = rte_pktmbuf_mtod(m[0], uint8_t *);
	/* In place: in buffer w of the region (BAR2). */
	CHECK((uint64_t)(d - (view.base + view.bufs_off)) / view.lim.buf_size == w);
	CHECK(frame_ok(d, 1000, 0x21));
	CHECK(RTE_MBUF_HAS_EXTBUF(m[0]) && !RTE_MBUF_HAS_EXTBUF(m[1]));
	CHECK(frame_ok(rte_pktmbuf_mtod(m[1], uint8_t *), 60, 0x22));
	CHECK_EQ(dev.rxq[0].st.zero_copy, 1);
	CHECK(ring_of(2 * GBASE + 1)->desc[0].buf != w);	/* a bag buffer took its place */
	CHECK_EQ(dpsw_tx_burst(&dev.txq[0], m, 2), 2);
	CHECK_EQ(dev.txq[0].st.zero_copy, 1);
	CHECK_EQ(r0->desc[0].buf, w);
	CHECK_EQ(sw_recv(0, len), 2);
	CHECK(len[0] == 1000 && frame_ok(sw_out[0], 1000, 0x21));
	CHECK(len[1] == 60 && frame_ok(sw_out[1], 60, 0x22));
	dpsw_ivshmem_detach(&dev);
	CHECK(dev.zc == NULL && dev.rxq[0].zc == NULL);

	__atomic_store_n(&sw.deny, 1, __ATOMIC_RELEASE);
	mark = log_mark();
	CHECK_EQ(dpsw_ivshmem_attach(&dev, "guest0"), 0);
	CHECK(dev.zc == NULL && dev.rxq[0].zc == NULL);
	CHECK_LOG(mark, "guest0: zero-copy=1, but the switch did not grant it");
	CHECK_EQ(sw_send(0, 1000, 1, 0x23), 1);
	CHECK_EQ(dpsw_rx_burst(&dev.rxq[0], m, 2), 1);
	CHECK(!RTE_MBUF_HAS_EXTBUF(m[0]) && frame_ok(rte_pktmbuf_mtod(m[0], uint8_t *), 1000, 0x23));
	rte_pktmbuf_free(m[0]);
	dpsw_ivshmem_detach(&dev);
	__atomic_store_n(&sw.deny, 0, __ATOMIC_RELEASE);
	dev.zc_want = false;
}

/* Nobody answers: a clear error, and the port left stopped. */
static void
test_no_switch(void)
{
	size_t mark = log_mark();

	dev.ivs.ctl_timeout_ms = 200;
	CHECK_EQ(dpsw_ivshmem_attach(&dev, "guest0"), -ETIMEDOUT);
	CHECK(!dpsw_attached(&dev));
	CHECK_EQ(ring_of(2 * GBASE)->peer_ctl, 0);
	CHECK_LOG(mark, "guest0: the switch did not answer in 200 ms: is the port added with "
		  "transport=ivshmem?");
}

int
main(void)
{
	struct dpsr_geometry geo = { .nb_qpairs = SLOTS * NQ, .ring_size = RING,
				     .buf_size = 2048, .nb_spares = 0, .port_qpairs = NQ };
	const char *why = NULL;

	if (test_eal_start("dpsw_guest", NULL, 256, NULL) != 0) {
		CHECK_MSG(0, "%s", "EAL initialisation");
		return test_report();
	}
	if (log_capture_start() != 0)
		return test_report();
	rte_log_set_level(dpsw_logtype, RTE_LOG_INFO);
	pool = rte_pktmbuf_pool_create("guest", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL || dpsr_region_create(&geo, true, &mem, &why) != 0 ||
	    dpsr_view_init(&view, mem.base, mem.size, &why) != 0 || guest_probe() != 0) {
		CHECK_MSG(0, "set-up: %s", why != NULL ? why : "");
		return test_report();
	}
	/* No doorbell of the stand-in's rings anything but what a test sets. */
	for (unsigned int i = 0; i < RTE_DIM(srv.db); i++)
		srv.db[i] = -1;
	switch_start();
	test_args();
	test_bells();
	test_start();
	test_tx();
	test_rx();
	test_rx_intr();
	test_stop();
	test_restart();
	test_zero_copy();
	switch_stop();
	test_no_switch();
	CHECK_EQ(sw_err.bad_index, 0);
	dpsr_region_destroy(&mem);
	rte_mempool_free(pool);
	log_capture_end(test_failed || getenv("TEST_SHOW_LOG") != NULL);
	test_eal_stop();
	return test_report();
}
