/* SPDX-License-Identifier: BSD-3-Clause */
/* The guest's side of the ivshmem transport (see dpsr_ivshmem_guest.h). */
#include "dpsr_ivshmem_guest.h"

#include <errno.h>
#include <time.h>

int
dpsr_ivshmem_guest_init(struct dpsr_ivshmem_guest *g, const struct dpsr_view *v,
			uint32_t id, uint32_t want, struct dps_err *err)
{
	uint32_t n = v->port_qpairs;
	uint64_t base;

	if (id == DPSR_IVSHMEM_SWITCH_ID)
		return dps_err_set(err, -EINVAL, "its ID (IVPosition) is %u, the switch's: "
				   "the device is not connected to a dpswitch shm port "
				   "(transport=ivshmem)", id);
	/* 64 bits: an ID up to 2^32 - 1 times up to 64 queue pairs. */
	base = (uint64_t)(id - 1) * n;
	if (base + n > v->nb_qpairs)
		return dps_err_set(err, -EINVAL, "its ID %u asks for queue pairs %llu..%llu, "
				   "but the region has %u (%u per port): not a guest of this "
				   "region", id, (unsigned long long)base,
				   (unsigned long long)(base + n - 1), v->nb_qpairs, n);
	if (want > n)
		return dps_err_set(err, -EINVAL, "qpairs=%u, but the port has %u queue pair(s)",
				   want, n);
	g->id = id;
	g->port_qpairs = n;
	g->qpair_base = (uint32_t)base;
	g->nb_qpairs = want != 0 ? want : n;
	return 0;
}

int
dpsr_ivshmem_guest_vectors_check(const struct dpsr_ivshmem_guest *g, uint32_t table_size,
				 struct dps_err *err)
{
	uint32_t need = dpsr_ivshmem_vectors(g->port_qpairs);

	if (table_size < need)
		return dps_err_set(err, -EINVAL, "the device has %u MSI-X vector(s), the port "
				   "needs %u (1 + 2 x %u queue pairs): QEMU drops the doorbells "
				   "past its count, both ways; give the device vectors=%u",
				   table_size, need, g->port_qpairs, need);
	return 0;
}

/* ---- the control word ---- */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_1ms(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * peer_ctl is ours to write (the producer's line), ctl_ack the switch's
 * (constant line). Ring, and poll ctl_ack until it answers @p want, ringing again every
 * DPSR_IVSHMEM_CTL_RERING_MS. 0 or -ETIMEDOUT.
 */
static int
ctl_wait(const struct dpsr_ring *r, uint32_t want, unsigned int timeout_ms,
	 dpsr_ivshmem_ring_t ring, void *arg, bool *granted)
{
	uint64_t start = now_ms(), rung = start, t;

	ring(arg);
	for (;;) {
		if (dpsr_guest_ctl_acked(r, want, granted))
			return 0;
		t = now_ms();
		if (t - start >= timeout_ms)
			return -ETIMEDOUT;
		if (t - rung >= DPSR_IVSHMEM_CTL_RERING_MS) {
			ring(arg);
			rung = t;
		}
		sleep_1ms();
	}
}

int
dpsr_ivshmem_guest_start(struct dpsr_ring *r, bool peer_bufs, unsigned int timeout_ms,
			 dpsr_ivshmem_ring_t ring, void *arg, uint32_t *value, bool *granted)
{
	uint32_t v = dpsr_guest_ctl_request(r, true, peer_bufs);

	if (value != NULL)
		*value = v;
	if (granted != NULL)
		*granted = false;
	if (ctl_wait(r, v, timeout_ms, ring, arg, granted) == 0)
		return 0;
	/* Nobody answered: a switch that reads it later finds the port stopped. */
	dpsr_ivshmem_guest_stop(r, ring, arg);
	return -ETIMEDOUT;
}

void
dpsr_ivshmem_guest_stop(struct dpsr_ring *r, dpsr_ivshmem_ring_t ring, void *arg)
{
	dpsr_guest_ctl_request(r, false, false);
	ring(arg);
}

int
dpsr_ivshmem_guest_stop_wait(struct dpsr_ring *r, unsigned int timeout_ms,
			     dpsr_ivshmem_ring_t ring, void *arg)
{
	return ctl_wait(r, dpsr_guest_ctl_request(r, false, false), timeout_ms, ring, arg, NULL);
}
