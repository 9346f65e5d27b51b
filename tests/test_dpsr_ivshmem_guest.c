/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest's side of the ivshmem transport (lib/dpsr/dpsr_ivshmem_guest.h)
 * on a region in ordinary memory: which queue pairs an ID gives, the
 * vectors a device needs, the doorbell register's value, and the control
 * word's handshake against a thread playing the switch (it sleeps on the
 * doorbell of vector 0, reads peer_ctl once per ring, and on a change
 * resets the port's rings and acknowledges). No QEMU, no DPDK.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "ivshmem_switch.h"
#include "test_common.h"
#include "dpsr/dpsr_bell.h"
#include "dpsr/dpsr_ivshmem_guest.h"
#include "dpsr/dpsr_region.h"

#define RING 64
#define PORTS 3			/* slots of the region */
#define NQ 2			/* queue pairs per port */
#define GUEST_ID 2		/* slot 1: queue pairs 2..3, control word in ring 4 */

static struct dpsr_mem mem;
static struct dpsr_view view;

/* ---- the switch, in a thread ---- */

static struct {
	int rd, wr;		/* vector 0's doorbell: the guest rings wr */
	int rings;		/* rings the guest made (the ring callback counts) */
	int ignore;		/* rings the switch sleeps through (a busy switch) */
	int acks;		/* acknowledgements it wrote */
	int stop;
	pthread_t thread;
} sw;

static struct dpsr_ring *
ring_of(uint32_t i)
{
	return ivs_ring(&view, i);
}

/* The guest's ring callback: vector 0 is a pipe here, as QEMU's ioeventfd would be. */
static void
ring0(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&sw.rings, 1, __ATOMIC_SEQ_CST);
	dpsr_bell_ring(sw.wr);
}

static void *
switch_main(void *arg)
{
	struct dpsr_ring *r0 = ring_of(2 * (GUEST_ID - 1) * NQ);
	uint32_t acted = __atomic_load_n(&r0->ctl_ack, __ATOMIC_ACQUIRE);

	(void)arg;
	while (!__atomic_load_n(&sw.stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = sw.rd, .events = POLLIN };

		if (poll(&p, 1, 10) != 1)
			continue;
		dpsr_bell_drain(sw.rd);
		if (__atomic_load_n(&sw.ignore, __ATOMIC_ACQUIRE) > 0) {
			__atomic_fetch_sub(&sw.ignore, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		/* Once per ring: a start or a stop resets the port's rings, then acks. */
		if (ivs_switch_act(&view, (GUEST_ID - 1) * NQ, NQ, &acted, true))
			sw.acks++;
	}
	return NULL;
}

static void
switch_start(void)
{
	CHECK_EQ(dpsr_bell_create(&sw.rd, &sw.wr), 0);
	sw.stop = 0;
	CHECK_EQ(pthread_create(&sw.thread, NULL, switch_main, NULL), 0);
}

static void
switch_stop(void)
{
	__atomic_store_n(&sw.stop, 1, __ATOMIC_RELEASE);
	pthread_join(sw.thread, NULL);
	close(sw.rd);
	close(sw.wr);
}

static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- tests ---- */

static void
test_share(void)
{
	struct dpsr_ivshmem_guest g;
	struct dps_err err = { "" };

	CHECK_EQ(dpsr_ivshmem_guest_init(&g, &view, 0, 0, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "is 0, the switch's");
	CHECK_EQ(dpsr_ivshmem_guest_init(&g, &view, PORTS + 1, 0, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "its ID 4 asks for queue pairs 6..7, but the region has 6");
	/* An ID that would overflow 32 bits of queue pairs is refused, not wrapped. */
	CHECK_EQ(dpsr_ivshmem_guest_init(&g, &view, UINT32_MAX, 0, &err), -EINVAL);
	CHECK_EQ(dpsr_ivshmem_guest_init(&g, &view, GUEST_ID, NQ + 1, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "qpairs=3, but the port has 2 queue pair(s)");

	CHECK_EQ(dpsr_ivshmem_guest_init(&g, &view, GUEST_ID, 0, NULL), 0);
	CHECK_EQ(g.id, GUEST_ID);
	CHECK_EQ(g.port_qpairs, NQ);
	CHECK_EQ(g.qpair_base, (GUEST_ID - 1) * NQ);
	CHECK_EQ(g.nb_qpairs, NQ);
	CHECK_EQ(dpsr_ivshmem_guest_init(&g, &view, PORTS, 1, NULL), 0);
	CHECK_EQ(g.qpair_base, (PORTS - 1) * NQ);
	CHECK_EQ(g.nb_qpairs, 1);

	/* 1 + 2N vectors: control, data per queue pair, room per queue pair. */
	CHECK_EQ(dpsr_ivshmem_vectors(NQ), 5);
	CHECK_EQ(dpsr_ivshmem_guest_vectors_check(&g, 4, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "has 4 MSI-X vector(s), the port needs 5");
	CHECK_CONTAINS(err.msg, "vectors=5");
	CHECK_EQ(dpsr_ivshmem_guest_vectors_check(&g, 0, &err), -EINVAL);
	CHECK_EQ(dpsr_ivshmem_guest_vectors_check(&g, 5, &err), 0);
	CHECK_EQ(dpsr_ivshmem_guest_vectors_check(&g, 64, &err), 0);
	CHECK_EQ(dpsr_ivshmem_vec_data(0), 1);
	CHECK_EQ(dpsr_ivshmem_vec_data(1), 2);
	CHECK_EQ(dpsr_ivshmem_vec_room(NQ, 0), 3);
	CHECK_EQ(dpsr_ivshmem_vec_room(NQ, 1), 4);
	/* Peer 0, the switch, in the high half: the vector alone. */
	CHECK_EQ(dpsr_ivshmem_doorbell(3), 3);
	CHECK_EQ(dpsr_ivshmem_doorbell(DPSR_IVSHMEM_VEC_CTL), 0);
}

static void
test_start_stop(void)
{
	struct dpsr_ring *r0 = ring_of(2 * (GUEST_ID - 1) * NQ);
	struct dpsr_ring *rx = ring_of(2 * (GUEST_ID - 1) * NQ + 1);
	struct dpsr_ring *other = ring_of(0);
	uint32_t v1 = 0, v2 = 0;

	switch_start();
	/* Rings left dirty by a previous driver (a guest that rebooted). */
	r0->prod = 17;
	r0->cons_wait = 1;
	rx->cons = 5;
	other->prod = 3;	/* another port's: not ours to reset */
	CHECK_EQ(dpsr_ivshmem_guest_start(r0, false, 2000, ring0, NULL, &v1, NULL), 0);
	CHECK(v1 != 0);
	CHECK_EQ(r0->ctl_ack, v1);
	CHECK_EQ(r0->peer_ctl, v1);
	CHECK_EQ(r0->prod, 0);
	CHECK_EQ(r0->cons_wait, 0);
	CHECK_EQ(rx->cons, 0);
	CHECK_EQ(rx->desc[5].buf, (2 * (GUEST_ID - 1) * NQ + 1) * RING + 5);
	CHECK_EQ(other->prod, 3);
	CHECK_EQ(sw.acks, 1);

	/* Stop: 0, rung; the switch acknowledges 0 (the driver does not wait). */
	dpsr_ivshmem_guest_stop(r0, ring0, NULL);
	CHECK_EQ(r0->peer_ctl, 0);
	for (int i = 0; i < 2000 && __atomic_load_n(&r0->ctl_ack, __ATOMIC_ACQUIRE) != 0; i++)
		usleep(1000);
	CHECK_EQ(r0->ctl_ack, 0);

	/* A start after a stop asks with a value of its own. */
	r0->prod = 9;
	CHECK_EQ(dpsr_ivshmem_guest_start(r0, false, 2000, ring0, NULL, &v2, NULL), 0);
	CHECK(v2 != 0);
	CHECK_EQ(r0->ctl_ack, v2);
	CHECK_EQ(r0->prod, 0);
	/* A start right after a start (no stop between) is a new value too. */
	CHECK_EQ(dpsr_ivshmem_guest_start(r0, false, 2000, ring0, NULL, &v1, NULL), 0);
	CHECK(v1 != v2);
	CHECK_EQ(sw.acks, 4);
	switch_stop();
}

/* The value chosen is none of 0, the current ack and the current peer_ctl. */
static void
test_values(void)
{
	struct dpsr_ring *r0 = ring_of(2 * (GUEST_ID - 1) * NQ);
	uint32_t v = 0;

	/* Wrap-around: ack UINT32_MAX, a stale unanswered request of 1 in peer_ctl. */
	r0->ctl_ack = UINT32_MAX;
	r0->peer_ctl = 1;
	switch_start();		/* it takes the ack as what it acted on last */
	CHECK_EQ(dpsr_ivshmem_guest_start(r0, false, 2000, ring0, NULL, &v, NULL), 0);
	CHECK_EQ(v, 2);
	CHECK_EQ(r0->ctl_ack, 2);
	switch_stop();
}

/* A switch that sleeps through the first ring: the driver rings again. */
static void
test_rering(void)
{
	struct dpsr_ring *r0 = ring_of(2 * (GUEST_ID - 1) * NQ);
	uint64_t t0;
	uint32_t v = 0;

	switch_start();
	sw.rings = 0;
	__atomic_store_n(&sw.ignore, 1, __ATOMIC_RELEASE);
	t0 = ms_now();
	CHECK_EQ(dpsr_ivshmem_guest_start(r0, false, 5000, ring0, NULL, &v, NULL), 0);
	CHECK_EQ(r0->ctl_ack, v);
	CHECK_EQ(sw.rings, 2);
	CHECK(ms_now() - t0 >= DPSR_IVSHMEM_CTL_RERING_MS - 50);
	switch_stop();
}

/* Nobody answers (no switch, or a port without transport=ivshmem). */
static void
test_timeout(void)
{
	struct dpsr_ring *r0 = ring_of(2 * (GUEST_ID - 1) * NQ);
	uint32_t ack = r0->ctl_ack, v = 0;
	uint64_t t0;

	CHECK_EQ(dpsr_bell_create(&sw.rd, &sw.wr), 0);
	sw.rings = 0;
	t0 = ms_now();
	CHECK_EQ(dpsr_ivshmem_guest_start(r0, false, 300, ring0, NULL, &v, NULL), -ETIMEDOUT);
	CHECK(ms_now() - t0 >= 300);
	CHECK(ms_now() - t0 < 2000);
	/* Left stopped, and said so: a switch that reads it late does not start the port. */
	CHECK_EQ(r0->peer_ctl, 0);
	CHECK_EQ(r0->ctl_ack, ack);
	CHECK_EQ(sw.rings, 2);
	close(sw.rd);
	close(sw.wr);
}

int
main(void)
{
	struct dpsr_geometry geo = { .nb_qpairs = PORTS * NQ, .ring_size = RING,
				     .buf_size = 2048, .nb_spares = 0, .port_qpairs = NQ };
	const char *why = NULL;
	int before = test_open_fds();

	if (dpsr_region_create(&geo, true, &mem, &why) != 0 ||
	    dpsr_view_init(&view, mem.base, mem.size, &why) != 0) {
		fprintf(stderr, "cannot make a region: %s\n", why);
		return 1;
	}
	test_share();
	test_start_stop();
	test_values();
	test_rering();
	test_timeout();
	dpsr_region_destroy(&mem);
	CHECK_EQ(test_open_fds(), before);
	return test_report();
}
