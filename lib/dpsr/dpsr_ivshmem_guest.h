/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The guest's side of the ivshmem transport (docs/shm-protocol.md,
 * "Guests: QEMU's ivshmem transport"): which queue pairs a guest's ID
 * gives it in a region, which vector is which doorbell, what the doorbell
 * register is written, and the control word with which the guest's
 * driver starts and stops its port. Plain C over a checked view of a
 * region, so that it runs on BAR2 in a guest (the net_dpsw_pci PMD,
 * drivers/net/dpsw/dpsw_pci.c) and on a region in ordinary memory (the
 * tests, with a thread playing the switch).
 */
#ifndef DPSR_IVSHMEM_GUEST_H
#define DPSR_IVSHMEM_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/dps_err.h"
#include "dpsr_ivshmem.h"
#include "dpsr_queue.h"

/* The ivshmem device (QEMU's ivshmem-spec.rst): PCI 1af4:1110. */
#define DPSR_IVSHMEM_VENDOR 0x1af4
#define DPSR_IVSHMEM_DEVICE 0x1110
#define DPSR_IVSHMEM_BAR_REGS 0		/**< the registers below (256 bytes) */
#define DPSR_IVSHMEM_BAR_REGION 2	/**< the shared memory: the port's region */
/* BAR0's registers, 32 bits each. */
#define DPSR_IVSHMEM_REG_INTR_MASK 0	/**< INTx only: unused with MSI-X */
#define DPSR_IVSHMEM_REG_INTR_STATUS 4	/**< INTx only */
#define DPSR_IVSHMEM_REG_IV_POSITION 8	/**< the guest's ID, read-only */
#define DPSR_IVSHMEM_REG_DOORBELL 12	/**< write peer << 16 | vector */
#define DPSR_IVSHMEM_REGS_SIZE 16	/**< bytes of BAR0 the driver uses */

/* ---- the guest's share of a region ---- */

/** What a guest's ID gives it in a region. */
struct dpsr_ivshmem_guest {
	uint32_t id;			/**< IVPosition: 1 + the port's slot */
	uint32_t port_qpairs;		/**< N, the region's port_qpairs */
	uint32_t qpair_base;		/**< (id - 1) x N: its queue pair q is the region's base + q */
	uint32_t nb_qpairs;		/**< the queue pairs it uses: 1..N */
};

/**
 * The share of guest @p id in region @p v (checked: dpsr_view_init()),
 * using @p want queue pairs (0: all the port's). Fails, with one line in
 * @p err, for ID 0 (the switch's: the device is not connected to a
 * switch's port), a slot past the region's queue pairs, or more queue
 * pairs than the port has. 0 or -EINVAL.
 */
int dpsr_ivshmem_guest_init(struct dpsr_ivshmem_guest *g, const struct dpsr_view *v,
			    uint32_t id, uint32_t want, struct dps_err *err);

/**
 * Whether a device with @p table_size MSI-X vectors can serve the port:
 * QEMU keeps as many doorbells each way as the device has vectors, and
 * drops a ring of any other (the guest's rings to the switch included).
 * 0, or -EINVAL with one line in @p err naming the vectors= wanted.
 */
int dpsr_ivshmem_guest_vectors_check(const struct dpsr_ivshmem_guest *g,
				     uint32_t table_size, struct dps_err *err);

/* ---- the control word (docs/shm-protocol.md, "Starting and stopping") ---- */

/** Ring 2 x base of a guest's first queue pair: where peer_ctl and ctl_ack live. */
static inline struct dpsr_ring *
dpsr_guest_ctl_ring(const struct dpsr_view *v, uint32_t base)
{
	return (struct dpsr_ring *)(v->base + v->rings_off + 2ull * base * v->ring_stride);
}

/**
 * Ask to start or stop: write peer_ctl and return the value written, for
 * dpsr_guest_ctl_acked(). A start is a nonce that is none of 0, the
 * current ack's and the current request's (the switch acts only on a
 * change), with bit 31 if @p peer_bufs; a stop is 0. The caller then
 * rings vector 0.
 */
static inline uint32_t
dpsr_guest_ctl_request(struct dpsr_ring *r, bool start, bool peer_bufs)
{
	uint32_t ack = __atomic_load_n(&r->ctl_ack, __ATOMIC_ACQUIRE) & DPSR_GUEST_CTL_NONCE;
	uint32_t cur = __atomic_load_n(&r->peer_ctl, __ATOMIC_RELAXED) & DPSR_GUEST_CTL_NONCE;
	uint32_t want = 0;

	if (start) {
		want = (ack + 1) & DPSR_GUEST_CTL_NONCE;
		while (want == 0 || want == ack || want == cur)
			want = (want + 1) & DPSR_GUEST_CTL_NONCE;
		if (peer_bufs)
			want |= DPSR_GUEST_CTL_PEER_BUFS;
	}
	__atomic_store_n(&r->peer_ctl, want, __ATOMIC_RELEASE);
	/* Before the doorbell: the switch reads it when the ring arrives. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
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

/** Ring the switch's vector 0 (the caller's doorbell register, or a pipe). */
typedef void (*dpsr_ivshmem_ring_t)(void *arg);

#define DPSR_IVSHMEM_CTL_TIMEOUT_MS 10000	/* TCG guests are slow */
#define DPSR_IVSHMEM_CTL_RERING_MS 1000		/* ring again while no answer */

/**
 * Start the port: a new request in ring @p r (ring 2 x base; bit 31 if
 * @p peer_bufs), vector 0 rung through @p ring, and ctl_ack polled until
 * it answers the request, ringing again every DPSR_IVSHMEM_CTL_RERING_MS
 * (the switch acts only on a change, so a ring more costs nothing). The
 * switch has then reset the port's rings: the caller starts both its
 * indices at 0. @p value (may be NULL) receives the value written,
 * @p granted (may be NULL) whether the switch granted DPSR_F_PEER_BUFS.
 * 0, or -ETIMEDOUT after @p timeout_ms: then peer_ctl is 0 again (and
 * rung), so that a switch that answers late leaves the port stopped.
 */
int dpsr_ivshmem_guest_start(struct dpsr_ring *r, bool peer_bufs, unsigned int timeout_ms,
			     dpsr_ivshmem_ring_t ring, void *arg, uint32_t *value,
			     bool *granted);

/**
 * Stop the port: peer_ctl 0, vector 0 rung. The switch resets the rings,
 * takes the link down and acknowledges 0; the caller does not wait (the
 * next start asks anew). The caller has stopped using the rings.
 */
void dpsr_ivshmem_guest_stop(struct dpsr_ring *r, dpsr_ivshmem_ring_t ring, void *arg);

/** dpsr_ivshmem_guest_stop(), then wait up to @p timeout_ms for the ack. 0, -ETIMEDOUT. */
int dpsr_ivshmem_guest_stop_wait(struct dpsr_ring *r, unsigned int timeout_ms,
				 dpsr_ivshmem_ring_t ring, void *arg);

#endif /* DPSR_IVSHMEM_GUEST_H */
