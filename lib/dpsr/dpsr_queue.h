/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsr: one side's private view of a region and of its rings, and the
 * copy paths (the isolated mode's data path; the peer's too).
 *
 * Whatever lives in the region can be rewritten by the other side at any
 * time, including the fields that only this side should write. So a side
 * keeps the authoritative copy of its own index in private memory and never
 * reads it back, reads the other side's index once per batch, and takes the
 * layout (sizes, offsets) from a private copy of the header that was checked
 * once at attach time.
 */
#ifndef DPSR_QUEUE_H
#define DPSR_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dpsr.h"

/** A checked, private copy of a mapped region's layout. */
struct dpsr_view {
	uint8_t *base;			/**< where this side mapped the region */
	uint64_t size;
	uint32_t nb_qpairs;
	uint32_t port_qpairs;		/**< per port slot (nb_qpairs if the header says 0) */
	uint32_t ring_size;
	uint64_t rings_off;
	uint64_t ring_stride;
	uint64_t bufs_off;
	struct dpsr_limits lim;
};

/** One ring as one side sees it. */
struct dpsr_qring {
	struct dpsr_ring *shared;
	uint32_t size;
	uint32_t idx;			/**< our own index: prod (producer) or cons (consumer) */
};

/** Counters of what the other side did wrong. */
struct dpsr_errors {
	uint64_t bad_index;		/**< the producer claimed more than a ring of frames */
	uint64_t bad_desc[DPSR_BAD_MAX];	/**< refused descriptors, by reason */
};

/**
 * Check the header at @p base (@p mapped bytes) and copy its layout into
 * @p v; 0 or -EINVAL with @p why set.
 */
int dpsr_view_init(struct dpsr_view *v, void *base, uint64_t mapped, const char **why);

/** Ring @p i of the region (2q: peer to switch, 2q+1: switch to peer). */
void dpsr_qring_init(struct dpsr_qring *q, const struct dpsr_view *v, uint32_t i);

static inline uint8_t *
dpsr_buf(const struct dpsr_view *v, uint32_t buf)
{
	return v->base + v->bufs_off + (uint64_t)buf * v->lim.buf_size;
}

/**
 * Consumer, copy mode: take up to @p n frames, copying each valid one into
 * @p dst[i] (@p cap bytes each) and its length into @p len[i]. Refused
 * descriptors, and frames longer than @p cap, are counted in @p err and
 * skipped; their slots are released all the same. Returns the frames
 * copied; releases every slot it looked at. A producer index more than a
 * ring ahead is counted (bad_index) and nothing is taken.
 */
uint32_t dpsr_recv_copy(const struct dpsr_view *v, struct dpsr_qring *q, uint8_t *const *dst,
			uint16_t *len, uint32_t n, uint16_t cap, struct dpsr_errors *err);

/**
 * Producer, copy mode: copy up to @p n frames into the buffers of the free
 * slots (the buffer index a slot holds is checked first; a bad one is
 * counted, and that frame and the rest of the batch wait). Returns the
 * frames published.
 */
uint32_t dpsr_send_copy(const struct dpsr_view *v, struct dpsr_qring *q,
			const uint8_t *const *src, const uint16_t *len, uint32_t n,
			struct dpsr_errors *err);

/*
 * Doorbells (docs/shm-protocol.md, "Doorbells"): a side that wants to sleep
 * raises its wait flag, fences, and looks at the other side's index once
 * more; the other side, after publishing its index, fences and rings only
 * if the flag is up. One of the two always sees the other.
 */

/**
 * Consumer about to sleep on its doorbell. true: nothing arrived, sleep,
 * then call dpsr_cons_sleep_done(); false: frames arrived meanwhile, the
 * flag is down again, poll instead.
 */
static inline bool
dpsr_cons_sleep_prepare(struct dpsr_qring *q)
{
	uint32_t used;

	__atomic_store_n(&q->shared->cons_wait, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* More than a ring ahead is a lie the consumer refuses: no work, sleep. */
	used = dpsr_used(__atomic_load_n(&q->shared->prod, __ATOMIC_ACQUIRE), q->idx);
	if (used != 0 && used <= q->size) {
		__atomic_store_n(&q->shared->cons_wait, 0, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

static inline void
dpsr_cons_sleep_done(struct dpsr_qring *q)
{
	__atomic_store_n(&q->shared->cons_wait, 0, __ATOMIC_RELAXED);
}

/** Producer, after dpsr_send_*() published frames: ring the consumer? */
static inline bool
dpsr_cons_kick_needed(const struct dpsr_qring *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&q->shared->cons_wait, __ATOMIC_RELAXED) != 0;
}

/** Producer about to sleep for room; as dpsr_cons_sleep_prepare(). */
static inline bool
dpsr_prod_sleep_prepare(struct dpsr_qring *q)
{
	__atomic_store_n(&q->shared->prod_wait, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (dpsr_room(q->size, q->idx, __atomic_load_n(&q->shared->cons, __ATOMIC_ACQUIRE))) {
		__atomic_store_n(&q->shared->prod_wait, 0, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

static inline void
dpsr_prod_sleep_done(struct dpsr_qring *q)
{
	__atomic_store_n(&q->shared->prod_wait, 0, __ATOMIC_RELAXED);
}

/** Consumer, after releasing slots: ring the producer? */
static inline bool
dpsr_prod_kick_needed(const struct dpsr_qring *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&q->shared->prod_wait, __ATOMIC_RELAXED) != 0;
}

#endif /* DPSR_QUEUE_H */
