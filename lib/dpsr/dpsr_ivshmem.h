/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * QEMU's ivshmem server protocol (QEMU docs/specs/ivshmem-spec.rst), the
 * transport that gives a guest's `ivshmem-doorbell` device an shm port's
 * region (BAR2) and its doorbells (BAR0 writes, MSI-X vectors).
 *
 * The connection is one-way: the server sends 8-byte little-endian signed
 * numbers over a stream socket, some with one file descriptor
 * (SCM_RIGHTS). On connect: the version (0), the client's ID, -1 with the
 * shared memory's fd, a connect notification per other peer (its ID once
 * per vector, each with the fd that rings that peer's vector), then the
 * client's own ID once per vector, each with the fd its vector is rung
 * through. Later: a peer's ID with an fd (it connected) or without (it
 * left).
 *
 * dpswitch is the only other peer of each guest: the switch is peer
 * DPSR_IVSHMEM_SWITCH_ID, the guest gets the ID the port chooses. The fds
 * are doorbell pipe ends (dpsr_bell.h), not eventfds: QEMU only writes and
 * reads them (under TCG; KVM's irqfd and ioeventfd would need eventfds), and
 * a pipe's ends are file descriptions of their own, so QEMU holds nothing
 * that could block the switch.
 */
#ifndef DPSR_IVSHMEM_H
#define DPSR_IVSHMEM_H

#include <stdbool.h>
#include <stdint.h>

#define DPSR_IVSHMEM_VERSION 0
#define DPSR_IVSHMEM_SWITCH_ID 0
#define DPSR_IVSHMEM_ID_MAX 65535
#define DPSR_IVSHMEM_VECTORS_MAX 64

/* ---- vectors (docs/shm-protocol.md, "Which queue pairs, which vectors") ---- */

/** Vector 0, both ways: the guest's "read my control word", the switch's ack. */
#define DPSR_IVSHMEM_VEC_CTL 0

/**
 * Vector 1 + q: the guest rings it after producing on ring 2(base + q)
 * (DPSR_DB_SWITCH_RX); the switch raises it after producing on ring
 * 2(base + q) + 1 (DPSR_DB_PEER_RX: rx queue q's interrupt).
 */
static inline uint32_t
dpsr_ivshmem_vec_data(uint32_t q)
{
	return 1 + q;
}

/**
 * Vector 1 + N + q (N: the port's queue pairs): the guest rings it after
 * consuming on ring 2(base + q) + 1 (DPSR_DB_SWITCH_ROOM); the switch
 * raises it after consuming on ring 2(base + q) (DPSR_DB_PEER_ROOM).
 */
static inline uint32_t
dpsr_ivshmem_vec_room(uint32_t port_qpairs, uint32_t q)
{
	return 1 + port_qpairs + q;
}

/** Vectors a port of @p port_qpairs queue pairs serves each way: 1 + 2N. */
static inline uint32_t
dpsr_ivshmem_vectors(uint32_t port_qpairs)
{
	return 1 + 2 * port_qpairs;
}

/** What the guest writes to the doorbell register to ring the switch's vector @p v. */
static inline uint32_t
dpsr_ivshmem_doorbell(uint32_t v)
{
	return (uint32_t)DPSR_IVSHMEM_SWITCH_ID << 16 | (v & 0xffff);
}

/**
 * Bit 31 of a start request: the guest asks for DPSR_F_PEER_BUFS, and the
 * switch keeps it in its ack only if it grants it (a trusted port). Bits
 * 0..30 are the request's nonce, never 0 in a start (a value whose nonce
 * is 0 is a stop).
 */
#define DPSR_GUEST_CTL_PEER_BUFS 0x80000000u
#define DPSR_GUEST_CTL_NONCE 0x7fffffffu

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

/** What a newly connected guest is told, in the protocol's order. */
struct dpsr_ivshmem_greeting {
	uint16_t client_id;	/**< the guest's ID (its IVPosition register) */
	int region_fd;		/**< BAR2: the port's region */
	/** Write ends the guest rings the switch through, vector 0..n-1. */
	const int *to_switch;
	unsigned int nb_to_switch;
	/** Read ends the switch rings the guest through, vector 0..n-1. */
	const int *to_guest;
	unsigned int nb_to_guest;
};

/** Send one message: @p msg, with @p fd unless it is -1. 0 or -errno. */
int dpsr_ivshmem_send(int sock, int64_t msg, int fd);

/**
 * Send a new client everything it needs, in order: version, ID, region,
 * the switch's vectors (a connect notification), the guest's own vectors.
 * 0 or -errno (then the connection is of no use: close it); -EINVAL, with
 * nothing sent, for a region whose size is not a power of two (QEMU
 * aborts on such a BAR), the switch's own ID or too many vectors.
 */
int dpsr_ivshmem_greet(int sock, const struct dpsr_ivshmem_greeting *g);

/**
 * Refuse a client: the version it is sent is @p status (a negative errno),
 * which QEMU cannot accept, so its device fails to realize and QEMU exits
 * with "server sent version -16, expecting 0" (-EBUSY) instead of waiting
 * for ever on a closed connection (QEMU 7.2 does). The caller closes
 * @p sock. 0 or -errno.
 */
int dpsr_ivshmem_refuse(int sock, int status);

/**
 * Receive one message as a client does (tests, tools): @p msg, and in
 * @p fd the descriptor it carried or -1. Waits up to @p timeout_ms.
 * 0, -ETIMEDOUT, -ECONNRESET (closed) or -errno; -EPROTO for a message
 * with more than one fd (they are closed).
 */
int dpsr_ivshmem_recv(int sock, int64_t *msg, int *fd, int timeout_ms);

#endif /* DPSR_IVSHMEM_H */
