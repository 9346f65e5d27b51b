/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsr: the shared-ring protocol between dpswitch and its peers
 * (version 1; the specification with its diagram is docs/shm-protocol.md).
 *
 * A region (hugepage memfd) holds a header, rings of descriptors and a pool
 * of fixed-size packet buffers. Everything is addressed by offset and index,
 * never by pointer, so each side may map the region anywhere (a guest sees
 * it through an ivshmem BAR). As in netmap.h, every shared field says which
 * side writes it; the other side only reads it, and reads it once.
 *
 * Rings are single-producer single-consumer with free-running 32-bit
 * indices: slots [cons, prod) belong to the consumer, the rest to the
 * producer. Each side writes one cache line of the ring header and reads
 * the other's.
 *
 * This header has no DPDK dependency: the peer PMD, the switch and the
 * tests share it.
 */
#ifndef DPSR_H
#define DPSR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DPSR_MAGIC 0x52535044u		/* "DPSR" little-endian */
#define DPSR_VERSION 1
#define DPSR_CACHE_LINE 64
#define DPSR_RING_SIZE_MIN 64
#define DPSR_RING_SIZE_MAX 32768
#define DPSR_BUF_SIZE_MIN 2048
#define DPSR_BUF_SIZE_MAX 65536
#define DPSR_FRAME_MIN 14		/* an Ethernet header */
#define DPSR_FRAME_MAX 9216		/* jumbo frames, without FCS */
/**
 * Where a producer that copies puts a frame in its buffer, when the frame
 * fits after it: room for a switch to push a VLAN tag in place.
 */
#define DPSR_HEADROOM 128

/**
 * Features a peer may ask for in its hello (or, a guest, in its control
 * word) and the switch may grant in its welcome (docs/shm-protocol.md).
 * They are per attach: the region header's own features stay 0.
 */
/**
 * A trusted peer holds a bag of buffers per queue pair and moves them
 * through the slots' buf fields ("Buffers a trusted peer holds").
 */
#define DPSR_F_PEER_BUFS (UINT64_C(1) << 0)
/** Every feature this version knows; a hello or welcome with others is refused. */
#define DPSR_F_KNOWN DPSR_F_PEER_BUFS

/**
 * One packet: which buffer, where in it, how long. The producer writes
 * off, len and flags; buf is the switch's alone (docs/shm-protocol.md,
 * "Buffer ownership"): the buffer the slot owns, which a peer reads and
 * never changes, unless the peer was granted DPSR_F_PEER_BUFS.
 */
struct dpsr_desc {
	uint32_t buf;			/**< (s) index in the region's buffer pool */
	uint16_t off;			/**< first byte of the frame in the buffer */
	uint16_t len;			/**< frame length, without FCS */
	uint16_t flags;			/**< DPSR_DESC_*; none defined in v1 */
	uint16_t rsvd0;
	uint32_t rsvd1;
};

/** Ring header: three cache lines, then the descriptors. */
struct dpsr_ring {
	/* Written by the producer only. */
	uint32_t prod;			/**< next slot to fill (free-running) */
	uint32_t prod_wait;		/**< 1: the producer sleeps for room; ring its doorbell */
	/**
	 * A guest's start (nonzero, new) or stop (0) request; only in ring
	 * 2 x base of a port served over ivshmem (docs/shm-protocol.md,
	 * "The control word"). Ring resets leave it alone.
	 */
	uint32_t peer_ctl;
	uint8_t pad0[DPSR_CACHE_LINE - 12];
	/* Written by the consumer only. */
	uint32_t cons;			/**< next slot to read (free-running) */
	uint32_t cons_wait;		/**< 1: the consumer sleeps for data; ring its doorbell */
	uint8_t pad1[DPSR_CACHE_LINE - 8];
	/* Written by the switch when it creates the region; constant. */
	uint32_t size;			/**< slots, a power of 2 */
	/** (s) The last peer_ctl the switch acted on (ring 2 x base, ivshmem). */
	uint32_t ctl_ack;
	uint8_t pad2[DPSR_CACHE_LINE - 8];
	struct dpsr_desc desc[];
};

/** Region header, at offset 0. Written by the switch before sharing; constant. */
struct dpsr_region {
	uint32_t magic;			/**< DPSR_MAGIC */
	uint16_t version;		/**< DPSR_VERSION */
	uint16_t hdr_size;		/**< sizeof(struct dpsr_region) */
	uint64_t region_size;		/**< bytes mapped */
	uint32_t nb_qpairs;		/**< queue pairs */
	uint32_t ring_size;		/**< slots per ring */
	uint64_t rings_off;		/**< first ring; 2 per queue pair */
	uint64_t ring_stride;		/**< bytes from one ring to the next */
	uint32_t buf_size;		/**< bytes per buffer, a power of 2 */
	uint32_t nb_bufs;		/**< buffers in the pool */
	uint64_t bufs_off;		/**< buffer 0; a multiple of buf_size */
	uint64_t features;		/**< region features: none in v1 (DPSR_F_* are per attach) */
	uint32_t port_qpairs;		/**< queue pairs per port slot; 0: unknown */
	uint8_t rsvd[4];
};

_Static_assert(sizeof(struct dpsr_desc) == 16, "descriptor layout");
_Static_assert(sizeof(struct dpsr_ring) == 3 * DPSR_CACHE_LINE, "ring header layout");
_Static_assert(offsetof(struct dpsr_ring, cons) == DPSR_CACHE_LINE,
	       "producer and consumer fields on separate cache lines");
_Static_assert(offsetof(struct dpsr_ring, size) == 2 * DPSR_CACHE_LINE, "ring constants");
_Static_assert(offsetof(struct dpsr_ring, peer_ctl) == 8, "control word on the producer's line");
_Static_assert(offsetof(struct dpsr_ring, desc) % DPSR_CACHE_LINE == 0, "descriptors aligned");
_Static_assert(sizeof(struct dpsr_region) == 72, "region header layout");

/* ---- index arithmetic (free-running u32, size a power of 2) ---- */

/** Filled slots, from the indices as read. May exceed size if the peer lies. */
static inline uint32_t
dpsr_used(uint32_t prod, uint32_t cons)
{
	return prod - cons;		/* wraps correctly modulo 2^32 */
}

/** Slots the producer may fill. */
static inline uint32_t
dpsr_room(uint32_t size, uint32_t prod, uint32_t cons)
{
	uint32_t used = prod - cons;

	return used >= size ? 0 : size - used;
}

/** Slot of a free-running index. */
static inline uint32_t
dpsr_slot(uint32_t size, uint32_t idx)
{
	return idx & (size - 1);
}

/** A ring size the protocol allows. */
static inline bool
dpsr_ring_size_ok(uint32_t size)
{
	return size >= DPSR_RING_SIZE_MIN && size <= DPSR_RING_SIZE_MAX &&
	       (size & (size - 1)) == 0;
}

/* ---- validation of what the other side wrote ---- */

/** Why a descriptor was refused (0 = accepted). */
enum dpsr_bad {
	DPSR_OK = 0,
	DPSR_BAD_BUF,			/**< buffer index outside the pool */
	DPSR_BAD_LEN,			/**< shorter than a header or longer than a frame */
	DPSR_BAD_RANGE,			/**< off + len past the end of the buffer */
	DPSR_BAD_FLAGS,			/**< flags or reserved fields not zero */
	DPSR_BAD_MAX
};

/** The limits a descriptor is checked against, from the region header. */
struct dpsr_limits {
	uint32_t nb_bufs;
	uint32_t buf_size;
};

/* A descriptor is two 64-bit words; these may alias its fields. */
typedef uint64_t __attribute__((may_alias)) dpsr_word_t;

/**
 * Copy a descriptor out of shared memory, reading each byte exactly once
 * (two volatile 64-bit loads), so the checks and the use see the same
 * values however the peer rewrites the slot meanwhile (no double fetch).
 */
static inline void
dpsr_desc_fetch(const volatile struct dpsr_desc *shared, struct dpsr_desc *out)
{
	const volatile dpsr_word_t *w = (const volatile dpsr_word_t *)shared;
	dpsr_word_t *o = (dpsr_word_t *)out;

	o[0] = w[0];
	o[1] = w[1];
}

/** Write a whole descriptor into shared memory: two 64-bit stores. */
static inline void
dpsr_desc_store(volatile struct dpsr_desc *shared, const struct dpsr_desc *d)
{
	volatile dpsr_word_t *w = (volatile dpsr_word_t *)shared;
	const dpsr_word_t *i = (const dpsr_word_t *)d;

	w[0] = i[0];
	w[1] = i[1];
}

/** Check a private copy of a descriptor; DPSR_OK or the first fault. */
static inline enum dpsr_bad
dpsr_desc_check(const struct dpsr_desc *d, const struct dpsr_limits *lim)
{
	if (d->buf >= lim->nb_bufs)
		return DPSR_BAD_BUF;
	if (d->len < DPSR_FRAME_MIN || d->len > DPSR_FRAME_MAX)
		return DPSR_BAD_LEN;
	/* 32-bit sum of two 16-bit fields: cannot wrap. */
	if ((uint32_t)d->off + d->len > lim->buf_size)
		return DPSR_BAD_RANGE;
	if (d->flags != 0 || d->rsvd0 != 0 || d->rsvd1 != 0)
		return DPSR_BAD_FLAGS;
	return DPSR_OK;
}

/** Name of a fault, for counters and logs. */
const char *dpsr_bad_name(enum dpsr_bad b);

/**
 * Check a region header as mapped (by the peer, or by the switch on a
 * region it did not create): magic, version, sizes, and that every ring and
 * every buffer lies inside region_size. 0 or -EINVAL; @p why names the
 * first fault.
 */
int dpsr_region_check(const struct dpsr_region *hdr, uint64_t mapped_size,
		      const char **why);

/** Offset of ring @p i (2 per queue pair: to the switch, to the peer). */
static inline uint64_t
dpsr_ring_off(const struct dpsr_region *hdr, uint32_t i)
{
	return hdr->rings_off + (uint64_t)i * hdr->ring_stride;
}

/** Bytes a ring of @p size slots takes, rounded to a cache line. */
static inline uint64_t
dpsr_ring_bytes(uint32_t size)
{
	uint64_t b = sizeof(struct dpsr_ring) + (uint64_t)size * sizeof(struct dpsr_desc);

	return (b + DPSR_CACHE_LINE - 1) & ~(uint64_t)(DPSR_CACHE_LINE - 1);
}

#endif /* DPSR_H */
