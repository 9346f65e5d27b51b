/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsr: a guest's end of the ivshmem transport (docs/shm-protocol.md,
 * "Guests: QEMU's ivshmem transport"), as QEMU and a guest's driver do it
 * together, for host tools and tests that stand in for a guest: read
 * QEMU's greeting, map the region as BAR2 would be, find the guest's
 * queue pairs from its ID, and start or stop the driver with the control
 * word. The guest PMD does the same over its BARs.
 */
#ifndef DPSR_GUEST_H
#define DPSR_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/dps_err.h"
#include "dpsr_attach.h"
#include "dpsr_ivshmem.h"

/* ---- the control word (both the stand-in and the guest PMD) ---- */

/** Ring 2 x base of a guest's first queue pair: where peer_ctl and ctl_ack live. */
static inline struct dpsr_ring *
dpsr_guest_ctl_ring(const struct dpsr_view *v, uint32_t base)
{
	return (struct dpsr_ring *)(v->base + v->rings_off + 2ull * base * v->ring_stride);
}

/**
 * Ask to start (a nonce that is not the current ack's, with bit 31 if
 * @p peer_bufs) or stop (0): write peer_ctl and return the value written,
 * for dpsr_guest_ctl_acked(). The caller then rings vector 0.
 */
static inline uint32_t
dpsr_guest_ctl_request(struct dpsr_ring *r, bool start, bool peer_bufs)
{
	uint32_t want = 0;

	if (start) {
		want = (__atomic_load_n(&r->ctl_ack, __ATOMIC_ACQUIRE) + 1) & DPSR_GUEST_CTL_NONCE;
		if (want == 0)
			want = 1;
		if (peer_bufs)
			want |= DPSR_GUEST_CTL_PEER_BUFS;
	}
	__atomic_store_n(&r->peer_ctl, want, __ATOMIC_RELEASE);
	return want;
}

/**
 * Has the switch acted on @p want (and reset the rings)? It acks a start
 * with bit 31 kept if it granted DPSR_F_PEER_BUFS, cleared if not:
 * @p granted (may be NULL) says which.
 */
static inline bool
dpsr_guest_ctl_acked(const struct dpsr_ring *r, uint32_t want, bool *granted)
{
	uint32_t ack = __atomic_load_n(&r->ctl_ack, __ATOMIC_ACQUIRE);
	bool ok = ack == want ||
		  ((want & DPSR_GUEST_CTL_PEER_BUFS) && ack == (want & DPSR_GUEST_CTL_NONCE));

	if (ok && granted != NULL)
		*granted = (ack & DPSR_GUEST_CTL_PEER_BUFS) != 0;
	return ok;
}

/**
 * The switch's reading of a peer_ctl value: the ack it owes (bit 31 kept
 * only if @p grant), and whether it is a start (a nonzero nonce).
 */
static inline uint32_t
dpsr_guest_ctl_ack(uint32_t peer_ctl, bool grant)
{
	if ((peer_ctl & DPSR_GUEST_CTL_NONCE) == 0)
		return 0;			/* a stop */
	return grant ? peer_ctl : peer_ctl & DPSR_GUEST_CTL_NONCE;
}

/* ---- a host stand-in for a guest ---- */

/**
 * Connect to an ivshmem port's socket as QEMU does, read the greeting, map
 * the region and check it, and fill @p c as dpsr_client_attach() would:
 * its queue pairs (all the port's), its doorbells in DPSR_DB_* order, and
 * @p ctl (the write end of vector 0 toward the switch) and @p ack (the read
 * end of vector 0 toward the guest). The driver is not started
 * (dpsr_guest_start()). 0 or -errno with a one-line reason in @p err.
 */
int dpsr_guest_attach(struct dpsr_client *c, const char *path, int *ctl, int *ack,
		      uint16_t *id, struct dps_err *err);

/**
 * Start (or stop) the guest's driver: request (asking for DPSR_F_PEER_BUFS
 * if @p peer_bufs), ring vector 0 through @p ctl, and wait up to
 * @p timeout_ms for the ack; c->features then says what was granted.
 * 0, -ETIMEDOUT.
 */
int dpsr_guest_ctl(struct dpsr_client *c, int ctl, bool start, bool peer_bufs, int timeout_ms);

#endif /* DPSR_GUEST_H */
