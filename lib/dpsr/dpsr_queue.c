/* SPDX-License-Identifier: BSD-3-Clause */
/* dpsr: private views and the copy paths (see dpsr_queue.h). */
#include "dpsr_queue.h"

#include <errno.h>

int
dpsr_view_init(struct dpsr_view *v, void *base, uint64_t mapped, const char **why)
{
	struct dpsr_region h;
	int rc;

	/* One read of the header; the checks and the copy use the same bytes. */
	if (mapped < sizeof(h)) {
		if (why != NULL)
			*why = "mapping smaller than the region header";
		return -EINVAL;
	}
	memcpy(&h, base, sizeof(h));
	rc = dpsr_region_check(&h, mapped, why);
	if (rc != 0)
		return rc;
	v->base = base;
	v->size = h.region_size;
	v->nb_qpairs = h.nb_qpairs;
	v->port_qpairs = h.port_qpairs != 0 ? h.port_qpairs : h.nb_qpairs;
	v->ring_size = h.ring_size;
	v->rings_off = h.rings_off;
	v->ring_stride = h.ring_stride;
	v->bufs_off = h.bufs_off;
	v->lim.nb_bufs = h.nb_bufs;
	v->lim.buf_size = h.buf_size;
	return 0;
}

void
dpsr_qring_init(struct dpsr_qring *q, const struct dpsr_view *v, uint32_t i)
{
	q->shared = (struct dpsr_ring *)(v->base + v->rings_off + (uint64_t)i * v->ring_stride);
	q->size = v->ring_size;
	q->idx = 0;
}

uint32_t
dpsr_recv_copy(const struct dpsr_view *v, struct dpsr_qring *q, uint8_t *const *dst,
	       uint16_t *len, uint32_t n, uint16_t cap, struct dpsr_errors *err)
{
	uint32_t prod = __atomic_load_n(&q->shared->prod, __ATOMIC_ACQUIRE);
	uint32_t avail = dpsr_used(prod, q->idx), got = 0, i;

	if (avail > q->size) {
		/* Impossible: take nothing (a ring's worth would be stale slots). */
		err->bad_index++;
		return 0;
	}
	if (avail > n)
		avail = n;
	for (i = 0; i < avail; i++) {
		const volatile struct dpsr_desc *s =
			&q->shared->desc[dpsr_slot(q->size, q->idx + i)];
		struct dpsr_desc d;
		enum dpsr_bad bad;

		dpsr_desc_fetch(s, &d);
		bad = dpsr_desc_check(&d, &v->lim);
		if (bad == DPSR_OK && d.len > cap)
			bad = DPSR_BAD_LEN;
		if (bad != DPSR_OK) {
			err->bad_desc[bad]++;
			continue;
		}
		memcpy(dst[got], dpsr_buf(v, d.buf) + d.off, d.len);
		len[got++] = d.len;
	}
	q->idx += avail;
	__atomic_store_n(&q->shared->cons, q->idx, __ATOMIC_RELEASE);
	return got;
}

uint32_t
dpsr_send_copy(const struct dpsr_view *v, struct dpsr_qring *q,
	       const uint8_t *const *src, const uint16_t *len, uint32_t n,
	       struct dpsr_errors *err)
{
	uint32_t cons = __atomic_load_n(&q->shared->cons, __ATOMIC_ACQUIRE);
	uint32_t room = dpsr_room(q->size, q->idx, cons), i;
	uint16_t off;

	if (dpsr_used(q->idx, cons) > q->size)
		err->bad_index++;
	if (room > n)
		room = n;
	for (i = 0; i < room; i++) {
		volatile struct dpsr_desc *s = &q->shared->desc[dpsr_slot(q->size, q->idx + i)];
		uint32_t buf = s->buf;		/* the slot's buffer: read once */

		if (buf >= v->lim.nb_bufs || len[i] < DPSR_FRAME_MIN ||
		    len[i] > v->lim.buf_size || len[i] > DPSR_FRAME_MAX) {
			err->bad_desc[buf >= v->lim.nb_bufs ? DPSR_BAD_BUF : DPSR_BAD_LEN]++;
			break;
		}
		off = (uint32_t)len[i] + DPSR_HEADROOM <= v->lim.buf_size ? DPSR_HEADROOM : 0;
		memcpy(dpsr_buf(v, buf) + off, src[i], len[i]);
		s->off = off;
		s->len = len[i];
		s->flags = 0;
		s->rsvd0 = 0;
		s->rsvd1 = 0;
	}
	q->idx += i;
	__atomic_store_n(&q->shared->prod, q->idx, __ATOMIC_RELEASE);
	return i;
}
