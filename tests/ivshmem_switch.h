/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's control side of a guest's port, for the tests of the
 * guest's end (test_dpsr_ivshmem_guest.c, test_dpsw_guest.c): what a
 * switch does when it reads the control word (docs/shm-protocol.md,
 * "Starting and stopping"). Plain C over a view of a region.
 */
#ifndef DPS_TEST_IVSHMEM_SWITCH_H
#define DPS_TEST_IVSHMEM_SWITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "dpsr/dpsr_ivshmem.h"
#include "dpsr/dpsr_queue.h"
#include "dpsr/dpsr_region.h"

/** Ring @p i of region @p v. */
static inline struct dpsr_ring *
ivs_ring(const struct dpsr_view *v, uint32_t i)
{
	struct dpsr_qring q;

	dpsr_qring_init(&q, v, i);
	return q.shared;
}

/**
 * Read peer_ctl of the port whose queue pairs are [@p base, + @p n) once;
 * if it is not what the switch acted on last (@p acted), reset the port's
 * rings (ring i's slot k owning buffer i x size + k) and acknowledge it.
 * true if it acted.
 */
static inline bool
ivs_switch_act(const struct dpsr_view *v, uint32_t base, uint32_t n, uint32_t *acted,
	       bool grant)
{
	struct dpsr_ring *r0 = ivs_ring(v, 2 * base);
	uint32_t ctl = __atomic_load_n(&r0->peer_ctl, __ATOMIC_ACQUIRE);
	uint32_t bufs[DPSR_RING_SIZE_MAX];

	if (ctl == *acted)
		return false;
	for (uint32_t i = 2 * base; i < 2 * (base + n); i++) {
		for (uint32_t k = 0; k < v->ring_size; k++)
			bufs[k] = i * v->ring_size + k;
		dpsr_ring_reset(ivs_ring(v, i), v->ring_size, bufs);
	}
	*acted = ctl;
	__atomic_store_n(&r0->ctl_ack, dpsr_guest_ctl_ack(ctl, grant), __ATOMIC_RELEASE);
	return true;
}

#endif /* DPS_TEST_IVSHMEM_SWITCH_H */
