/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw zero copy: a trusted port's peer that was granted
 * DPSR_F_PEER_BUFS (docs/shm-protocol.md, "Buffers a trusted peer holds")
 * hands its application frames in place and sends frames from buffers it
 * holds, with no copy either way (devarg zero-copy=1; README.md).
 *
 * Per queue pair q the peer holds a bag of ring_size region buffers. The
 * buffers it holds in private (not in a slot, not in an mbuf of the
 * application) are indices in an MP/MC rte_ring, because the application
 * may free an mbuf on any lcore, in front of which each lcore keeps a
 * small cache of its own (as a mempool does): a frame freed on the lcore
 * that polls costs no atomic operation.
 *
 * Receive (ring 2q+1): a frame's buffer W is handed to the application in
 * an mbuf of its mempool, attached to W as an external buffer whose shared
 * info (one per region buffer, private) has a free callback that puts W
 * back into the bag; a bag buffer Z takes W's place in the slot, written
 * before cons is released. With no bag buffer left, the frame is copied
 * and the slot keeps its buffer.
 *
 * Transmit (ring 2q): first the slots the switch released are read back,
 * each holding the buffer the switch gave in exchange, into the bag. An
 * mbuf that is one of ours (attached here, this queue pair's bag, one
 * segment, the buffer's only reference) is published in place: the slot
 * names its buffer, and the mbuf is detached from it without the free
 * callback, so the buffer is the switch's. Any other mbuf is copied into a
 * bag buffer. With no bag buffer left the burst ends there.
 *
 * Lifetime: the mbufs an application holds outlive an attach (the switch
 * restarts, the device closes). Each attach with zero copy is a
 * generation that owns the region's mapping, the shared infos and the
 * bags, and counts the buffers the application holds, per lcore (the
 * lcore that handed a buffer out adds, the one that frees it takes away:
 * no atomic operation). When the attach goes the generation is retired:
 * from then on the counts only fall, so a sum that reads 0 is 0 for good,
 * and an EAL alarm looks every DPSW_ZC_REAP_MS until it does, then unmaps
 * and frees the generation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_alarm.h>
#include <rte_branch_prediction.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <ethdev_driver.h>

#include "dpsr/dpsr_mbuf.h"
#include "dpsw.h"
#include "rte_pmd_dpsw.h"

#define DPSW_ZC_BURST_MAX 256
#define DPSW_ZC_CACHE 32		/* bag buffers an lcore keeps aside */
#define DPSW_ZC_REAP_MS 100		/* a retired generation: how often to look */

/* The bag buffers one lcore keeps aside (its own: no atomic operation). */
struct dpsw_zc_cache {
	uint32_t n;
	uint32_t b[DPSW_ZC_CACHE];
} __rte_cache_aligned;

/* One queue pair's bag, in one generation. */
struct dpsw_zc_qp {
	struct dpsw_zc_gen *gen;
	struct rte_ring *bag;		/* u32 buffer indices held in private */
	uint32_t reaped;		/* ring 2q: slots read back up to here */
	uint32_t copy_break;		/* received frames up to this long are copied */
	struct dpsw_zc_cache *cache;	/* [RTE_MAX_LCORE] */
};

/*
 * Buffers in the application's mbufs, as counted on one lcore (handed out
 * there: +, freed or sent there: -); the last slot, for threads that are
 * no lcore, is updated atomically.
 */
struct dpsw_zc_held {
	int64_t n;
} __rte_cache_aligned;

/* One attach with zero copy (see the top of the file). */
struct dpsw_zc_gen {
	uint8_t *bufs;			/* buffer 0 in the mapping */
	uint32_t buf_shift;
	uint32_t buf_size;
	uint32_t nb_bufs;
	rte_iova_t iova_base;		/* IOVA of buffer 0, or RTE_BAD_IOVA */
	void *map;			/* the region's mapping, ours to unmap */
	uint64_t map_size;
	uint32_t nb_qpairs;
	struct rte_mbuf_ext_shared_info *shinfo;	/* one per region buffer */
	struct dpsw_zc_held *held;	/* [RTE_MAX_LCORE + 1] */
	struct dpsw_zc_qp qp[];
};

static void
dpsw_zc_gen_free(struct dpsw_zc_gen *g)
{
	if (g->map != NULL)
		munmap(g->map, g->map_size);
	for (uint32_t q = 0; q < g->nb_qpairs; q++) {
		rte_free(g->qp[q].bag);
		rte_free(g->qp[q].cache);
	}
	rte_free(g->held);
	rte_free(g->shinfo);
	rte_free(g);
}

/* Buffers the application holds: @p n more (or fewer) on the calling lcore. */
static inline void
dpsw_zc_held_add(struct dpsw_zc_gen *g, int64_t n)
{
	unsigned int lc = rte_lcore_id();

	if (likely(lc < RTE_MAX_LCORE))
		__atomic_store_n(&g->held[lc].n, g->held[lc].n + n, __ATOMIC_RELEASE);
	else
		__atomic_add_fetch(&g->held[RTE_MAX_LCORE].n, n, __ATOMIC_RELEASE);
}

/* Take up to @p n buffers of the bag: the lcore's own first, then the ring. */
static inline uint32_t
dpsw_zc_bag_get(struct dpsw_zc_qp *zq, uint32_t *b, uint32_t n)
{
	unsigned int lc = rte_lcore_id();
	uint32_t k = 0;

	if (likely(lc < RTE_MAX_LCORE)) {
		struct dpsw_zc_cache *c = &zq->cache[lc];

		k = RTE_MIN(n, c->n);
		c->n -= k;
		memcpy(b, c->b + c->n, k * sizeof(*b));
	}
	if (k < n)
		k += rte_ring_mc_dequeue_burst_elem(zq->bag, b + k, sizeof(*b), n - k, NULL);
	return k;
}

/* Give @p n buffers back to the bag: into the lcore's cache while it has room. */
static inline void
dpsw_zc_bag_put(struct dpsw_zc_qp *zq, const uint32_t *b, uint32_t n)
{
	unsigned int lc = rte_lcore_id();

	if (likely(lc < RTE_MAX_LCORE)) {
		struct dpsw_zc_cache *c = &zq->cache[lc];
		uint32_t k = RTE_MIN(n, DPSW_ZC_CACHE - c->n);

		memcpy(c->b + c->n, b, k * sizeof(*b));
		c->n += k;
		b += k;
		n -= k;
	}
	/* The bag never holds more than a ring's worth: the ring has room. */
	if (n != 0)
		rte_ring_mp_enqueue_bulk_elem(zq->bag, b, sizeof(*b), n, NULL);
}

/* One buffer back, the free callback's case: a full cache gives half to the ring. */
static inline void
dpsw_zc_bag_put_one(struct dpsw_zc_qp *zq, uint32_t b)
{
	unsigned int lc = rte_lcore_id();
	struct dpsw_zc_cache *c;

	if (unlikely(lc >= RTE_MAX_LCORE)) {
		rte_ring_mp_enqueue_elem(zq->bag, &b, sizeof(b));
		return;
	}
	c = &zq->cache[lc];
	if (unlikely(c->n == DPSW_ZC_CACHE)) {
		c->n -= DPSW_ZC_CACHE / 2;
		rte_ring_mp_enqueue_bulk_elem(zq->bag, c->b + c->n, sizeof(b),
					      DPSW_ZC_CACHE / 2, NULL);
	}
	c->b[c->n++] = b;
}

/* A retired generation whose buffers are all back goes; else look again later. */
static void
dpsw_zc_gen_reap(void *arg)
{
	struct dpsw_zc_gen *g = arg;
	int64_t held = 0;

	for (unsigned int i = 0; i <= RTE_MAX_LCORE; i++)
		held += __atomic_load_n(&g->held[i].n, __ATOMIC_ACQUIRE);
	if (held <= 0)
		dpsw_zc_gen_free(g);
	else if (rte_eal_alarm_set(DPSW_ZC_REAP_MS * 1000, dpsw_zc_gen_reap, g) != 0)
		DPSW_LOG(WARNING, "zero copy: cannot watch for the last frames held in place "
			 "(%" PRId64 "): the old region stays mapped", held);
}

static inline uint32_t
dpsw_zc_buf_index(const struct dpsw_zc_gen *g, const void *addr)
{
	return (uint32_t)(((const uint8_t *)addr - g->bufs) >> g->buf_shift);
}

/*
 * The application freed the last reference to a frame we handed it: its
 * buffer goes back into the bag of the queue pair that received it. Any
 * lcore, any time, even after the attach went (the generation lives until
 * the last buffer is back).
 */
static void
dpsw_zc_free_cb(void *addr, void *opaque)
{
	struct dpsw_zc_qp *zq = opaque;
	struct dpsw_zc_gen *g = zq->gen;

	dpsw_zc_bag_put_one(zq, dpsw_zc_buf_index(g, addr));
	/* Last: a retired generation may go as soon as this is seen. */
	dpsw_zc_held_add(g, -1);
}

/* A bag: an MP/MC ring of u32 buffer indices with room for a ring's worth. */
static struct rte_ring *
dpsw_zc_bag_create(uint32_t ring_size, int socket)
{
	ssize_t sz = rte_ring_get_memsize_elem(sizeof(uint32_t), 2 * ring_size);
	struct rte_ring *r;

	if (sz < 0)
		return NULL;
	r = rte_zmalloc_socket("dpsw_bag", (size_t)sz, RTE_CACHE_LINE_SIZE, socket);
	if (r != NULL && rte_ring_init(r, "dpsw_bag", 2 * ring_size, 0) != 0) {
		rte_free(r);
		r = NULL;
	}
	return r;
}

int
dpsw_zc_bind(struct dpsw_dev *p, const char *name, bool granted, void **map, uint64_t map_size)
{
	const struct dpsr_view *v = &p->view;
	struct dpsw_zc_gen *g;
	int socket = (int)rte_socket_id();

	p->zc = NULL;
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		p->rxq[q].zc = p->txq[q].zc = NULL;
	if (!p->zc_want || !granted)
		return 0;
	g = rte_zmalloc_socket("dpsw_zc", sizeof(*g) + p->nb_qpairs * sizeof(g->qp[0]),
			       RTE_CACHE_LINE_SIZE, socket);
	if (g == NULL)
		goto nomem;
	g->nb_qpairs = p->nb_qpairs;
	g->bufs = v->base + v->bufs_off;
	g->buf_size = v->lim.buf_size;
	g->buf_shift = (uint32_t)__builtin_ctz(v->lim.buf_size);
	g->nb_bufs = v->lim.nb_bufs;
	/* As the switch does for its spares: VA mode makes the address the IOVA. */
	g->iova_base = rte_eal_iova_mode() == RTE_IOVA_VA ?
		(rte_iova_t)(uintptr_t)g->bufs : RTE_BAD_IOVA;
	g->shinfo = rte_zmalloc_socket("dpsw_zc_shinfo", sizeof(*g->shinfo) * g->nb_bufs,
				       RTE_CACHE_LINE_SIZE, socket);
	g->held = rte_zmalloc_socket("dpsw_zc_held", sizeof(*g->held) * (RTE_MAX_LCORE + 1),
				     RTE_CACHE_LINE_SIZE, socket);
	if (g->shinfo == NULL || g->held == NULL)
		goto nomem;
	for (uint32_t b = 0; b < g->nb_bufs; b++)
		g->shinfo[b].free_cb = dpsw_zc_free_cb;
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		struct dpsw_zc_qp *zq = &g->qp[q];
		const struct dpsr_ring *r = p->txq[q].ring.shared;

		zq->gen = g;
		zq->bag = dpsw_zc_bag_create(v->ring_size, socket);
		zq->cache = rte_zmalloc_socket("dpsw_zc_cache", sizeof(*zq->cache) * RTE_MAX_LCORE,
					       RTE_CACHE_LINE_SIZE, socket);
		if (zq->bag == NULL || zq->cache == NULL)
			goto nomem;
		/* Right after a reset the bag is ring 2q's slots' buffers (read once, checked). */
		for (uint32_t k = 0; k < v->ring_size; k++) {
			uint32_t b = ((const volatile struct dpsr_desc *)&r->desc[k])->buf;

			if (b < g->nb_bufs)
				rte_ring_mp_enqueue_elem(zq->bag, &b, sizeof(b));
			else
				p->txq[q].st.bag_bad++;
		}
		zq->reaped = p->txq[q].ring.idx;
		zq->copy_break = p->copy_break;
	}
	/* The mapping is the generation's now: mbufs may outlive the attach. */
	if (map != NULL) {
		g->map = *map;
		g->map_size = map_size;
		*map = NULL;
	}
	p->zc = g;
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		p->rxq[q].zc = p->txq[q].zc = &g->qp[q];
	return 0;
nomem:
	if (g != NULL) {
		g->map = NULL;
		dpsw_zc_gen_free(g);
	}
	DPSW_LOG(WARNING, "%s: no memory for zero copy: copying frames both ways", name);
	return 0;
}

void
dpsw_zc_retire(struct dpsw_dev *p)
{
	struct dpsw_zc_gen *g = p->zc;

	if (g == NULL)
		return;
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		p->rxq[q].zc = p->txq[q].zc = NULL;
	p->zc = NULL;
	/* No queue hands out its buffers any more: the counts only fall now. */
	dpsw_zc_gen_reap(g);
}

/* ---- receive (ring 2q+1) ---- */

/* Hand buffer @p b's frame to the application in @p m, in place. */
static inline void
dpsw_zc_attach(struct dpsw_zc_qp *zq, struct rte_mbuf *m, const struct dpsr_desc *d)
{
	struct dpsw_zc_gen *g = zq->gen;
	struct rte_mbuf_ext_shared_info *si = &g->shinfo[d->buf];
	uint64_t off = (uint64_t)d->buf << g->buf_shift;

	si->fcb_opaque = zq;
	rte_mbuf_ext_refcnt_set(si, 1);
	rte_pktmbuf_attach_extbuf(m, g->bufs + off, g->iova_base == RTE_BAD_IOVA ?
				  RTE_BAD_IOVA : g->iova_base + off, (uint16_t)g->buf_size, si);
	m->data_off = d->off;
	m->data_len = d->len;
	m->pkt_len = d->len;
}

uint16_t
dpsw_zc_rx(struct dpsw_rxq *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct dpsw_zc_qp *zq = q->zc;
	struct dpsr_ring *r = q->ring.shared;
	uint32_t idx = q->ring.idx, avail, i, zb[DPSW_ZC_BURST_MAX], nb_zb = 0, used_zb = 0;
	bool dry = false;
	struct rte_mbuf *m[DPSW_ZC_BURST_MAX];
	uint64_t bytes = 0;
	uint16_t got = 0;

	avail = RTE_MIN(dpsw_rx_avail(q), (uint32_t)RTE_MIN(n, DPSW_ZC_BURST_MAX));
	if (avail == 0)
		return 0;
	/* A pool of pinned external buffers cannot take ours: copy. */
	if (unlikely(rte_pktmbuf_priv_flags(q->mp) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF) ||
	    unlikely(rte_pktmbuf_alloc_bulk(q->mp, m, avail) != 0))
		return dpsw_rx_attached(q, pkts, n);
	for (i = 0; i < avail; i++) {
		volatile struct dpsr_desc *s = &r->desc[dpsr_slot(q->ring.size, idx + i)];
		struct rte_mbuf *mb = m[got];
		struct dpsr_desc d;
		enum dpsr_bad bad;

		dpsr_desc_fetch(s, &d);
		bad = dpsr_desc_check(&d, &q->view.lim);
		if (unlikely(bad != DPSR_OK)) {
			q->st.err.bad_desc[bad]++;
			continue;
		}
		/* Bag buffers as needed, a burst's worth at most (nb_zb <= frames so far). */
		if (d.len > zq->copy_break && used_zb == nb_zb && !dry) {
			nb_zb += dpsw_zc_bag_get(zq, zb + nb_zb, avail - i);
			dry = used_zb == nb_zb;
		}
		if (d.len > zq->copy_break && used_zb < nb_zb) {
			/* Keep the frame's buffer; a bag buffer takes its place. */
			dpsw_zc_attach(zq, mb, &d);
			s->buf = zb[used_zb++];
			q->st.zero_copy++;
		} else if (d.len <= rte_pktmbuf_tailroom(mb)) {
			/*
			 * Short (a copy costs less than the buffer's way round),
			 * or the bag is empty (the application holds it): copy.
			 */
			rte_memcpy(rte_pktmbuf_mtod(mb, void *), dpsr_buf(&q->view, d.buf) + d.off,
				   d.len);
			mb->data_len = d.len;
			mb->pkt_len = d.len;
		} else {
			struct rte_mbuf *c = dpsr_mbuf_copy_in(q->mp, dpsr_buf(&q->view, d.buf) +
							      d.off, d.len);

			if (unlikely(c == NULL)) {
				q->st.nombuf++;
				break;		/* this frame and the rest stay in the ring */
			}
			rte_pktmbuf_free(mb);
			m[got] = mb = c;
		}
		mb->port = q->port_id;
		pkts[got++] = mb;
		bytes += d.len;
	}
	if (used_zb != 0)
		dpsw_zc_held_add(zq->gen, used_zb);
	if (used_zb < nb_zb)
		dpsw_zc_bag_put(zq, zb + used_zb, nb_zb - used_zb);
	if (got < avail)
		rte_pktmbuf_free_bulk(m + got, avail - got);
	if (i == 0)
		return 0;
	/* Release: the buffers we left in the slots are written before cons moves. */
	q->ring.idx = idx + i;
	__atomic_store_n(&r->cons, q->ring.idx, __ATOMIC_RELEASE);
	if (unlikely(dpsr_prod_kick_needed(&q->ring)))
		dpsw_rx_ring_room(q);
	q->st.pkts += got;
	q->st.bytes += bytes;
	return got;
}

/* ---- buffers for the application to fill (rte_pmd_dpsw.h) ---- */

uint16_t
rte_pmd_dpsw_tx_alloc(uint16_t port_id, uint16_t queue_id, struct rte_mempool *mp,
		      struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_eth_dev *dev;
	struct dpsw_txq *q;
	struct dpsw_zc_qp *zq;
	uint32_t zb[DPSW_ZC_BURST_MAX], k = 0;

	if (!rte_eth_dev_is_valid_port(port_id))
		return 0;
	dev = &rte_eth_devices[port_id];
	if (dev->tx_pkt_burst != dpsw_tx_burst || queue_id >= dev->data->nb_tx_queues)
		return 0;
	q = &((struct dpsw_dev *)dev->data->dev_private)->txq[queue_id];
	/* As a burst: the attach (and its generation) stays while we are in. */
	if (!dpsw_q_enter(&q->busy, q->attached))
		return 0;
	zq = q->zc;
	if (zq == NULL || rte_pktmbuf_priv_flags(mp) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF)
		goto out;
	n = RTE_MIN(n, DPSW_ZC_BURST_MAX);
	k = dpsw_zc_bag_get(zq, zb, n);
	if (k != 0 && rte_pktmbuf_alloc_bulk(mp, pkts, k) != 0) {
		dpsw_zc_bag_put(zq, zb, k);
		k = 0;
	}
	for (uint32_t i = 0; i < k; i++) {
		struct dpsr_desc d = { .buf = zb[i], .off = DPSR_HEADROOM };

		dpsw_zc_attach(zq, pkts[i], &d);
	}
	if (k != 0)
		dpsw_zc_held_add(zq->gen, k);
out:
	dpsw_q_leave(&q->busy);
	return (uint16_t)k;
}

uint32_t
rte_pmd_dpsw_zero_copy_min(uint16_t port_id)
{
	struct rte_eth_dev *dev;
	struct dpsw_dev *p;

	if (!rte_eth_dev_is_valid_port(port_id))
		return 0;
	dev = &rte_eth_devices[port_id];
	if (dev->tx_pkt_burst != dpsw_tx_burst)
		return 0;
	p = dev->data->dev_private;
	return __atomic_load_n(&p->zc, __ATOMIC_ACQUIRE) != NULL ? p->copy_break + 1 : 0;
}

/* ---- transmit (ring 2q) ---- */

/*
 * The switch released slots up to @p cons: each holds the buffer it gave
 * in exchange for what we published there, which joins the bag. A cons
 * behind what was read back, or past what we published, is refused
 * (the burst counts bad_index): nothing read.
 */
static inline void
dpsw_zc_reap(struct dpsw_txq *q, struct dpsw_zc_qp *zq, uint32_t cons)
{
	const struct dpsr_ring *r = q->ring.shared;
	uint32_t n = cons - zq->reaped, b[DPSW_ZC_BURST_MAX];

	if (unlikely(n > q->ring.idx - zq->reaped))
		return;
	while (n != 0) {
		uint32_t k = RTE_MIN(n, (uint32_t)DPSW_ZC_BURST_MAX), nb = 0;

		for (uint32_t i = 0; i < k; i++) {
			uint32_t buf = ((const volatile struct dpsr_desc *)
					&r->desc[dpsr_slot(q->ring.size, zq->reaped + i)])->buf;

			if (likely(buf < zq->gen->nb_bufs))
				b[nb++] = buf;
			else
				q->st.bag_bad++;	/* a confused switch: one buffer fewer */
		}
		dpsw_zc_bag_put(zq, b, nb);
		zq->reaped += k;
		n -= k;
	}
}

/*
 * Is @p m one of ours that can go in place: attached here to a buffer of
 * queue pair @p zq's bag, its buffer's only reference, one segment, the
 * mbuf itself unshared?
 */
static inline bool
dpsw_zc_ours(const struct dpsw_zc_qp *zq, const struct rte_mbuf *m)
{
	const struct dpsw_zc_gen *g = zq->gen;
	const struct rte_mbuf_ext_shared_info *si = m->shinfo;

	return RTE_MBUF_HAS_EXTBUF(m) && si >= g->shinfo && si < g->shinfo + g->nb_bufs &&
	       si->fcb_opaque == zq && m->nb_segs == 1 && rte_mbuf_refcnt_read(m) == 1 &&
	       rte_mbuf_ext_refcnt_read(si) == 1;
}

/*
 * Detach @p m from its buffer, which now is the switch's: no free
 * callback (the buffer must not go back into the bag), the mbuf back on
 * its own data room, as rte_pktmbuf_detach() leaves it.
 */
static inline void
dpsw_zc_detach_given(struct rte_mbuf *m)
{
	struct rte_mempool *mp = m->pool;
	uint16_t priv_size = rte_pktmbuf_priv_size(mp);
	uint32_t mbuf_size = (uint32_t)(sizeof(struct rte_mbuf) + priv_size);

	rte_mbuf_ext_refcnt_set(m->shinfo, 0);
	m->priv_size = priv_size;
	m->buf_addr = (char *)m + mbuf_size;
	rte_mbuf_iova_set(m, rte_mempool_virt2iova(m) + mbuf_size);
	m->buf_len = rte_pktmbuf_data_room_size(mp);
	rte_pktmbuf_reset_headroom(m);
	m->data_len = 0;
	m->ol_flags = 0;
	m->shinfo = NULL;
}

uint16_t
dpsw_zc_tx(struct dpsw_txq *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct dpsw_zc_qp *zq = q->zc;
	struct dpsw_zc_gen *g = zq->gen;
	struct dpsr_ring *r = q->ring.shared;
	uint32_t idx = q->ring.idx, cons, room, sent = 0, zb[DPSW_ZC_BURST_MAX], nb_zb = 0;
	uint32_t used_zb = 0, in_place = 0;
	uint64_t bytes = 0;
	uint16_t i;

	n = RTE_MIN(n, DPSW_ZC_BURST_MAX);
	cons = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
	if (unlikely(dpsr_used(idx, cons) > q->ring.size))
		q->st.bad_index++;	/* dpsr_room() then says full */
	else
		dpsw_zc_reap(q, zq, cons);
	room = dpsr_room(q->ring.size, idx, cons);
	for (i = 0; i < n && sent < room; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = m->pkt_len;
		struct dpsr_desc d = { .len = (uint16_t)len };

		if (unlikely(len < DPSR_FRAME_MIN || len > q->max_frame)) {
			q->st.bad_len++;	/* freed below: it would never fit */
			continue;
		}
		if (dpsw_zc_ours(zq, m) && m->data_off + len <= g->buf_size) {
			d.buf = (uint32_t)(m->shinfo - g->shinfo);
			d.off = m->data_off;
			dpsw_zc_detach_given(m);
			in_place++;
		} else {
			if (used_zb == nb_zb) {
				nb_zb = dpsw_zc_bag_get(zq, zb, RTE_MIN((uint32_t)(n - i),
									room - sent));
				used_zb = 0;
				if (nb_zb == 0) {
					/* The application holds the bag: the rest wait. */
					q->st.bag_empty++;
					break;
				}
			}
			d.buf = zb[used_zb++];
			/* Headroom lets the switch push a VLAN tag in place. */
			d.off = len + DPSR_HEADROOM <= g->buf_size ? DPSR_HEADROOM : 0;
			dpsr_mbuf_copy_out(dpsr_buf(&q->view, d.buf) + d.off, m, len);
		}
		dpsr_desc_store(&r->desc[dpsr_slot(q->ring.size, idx + sent)], &d);
		sent++;
		bytes += len;
	}
	if (used_zb < nb_zb)
		dpsw_zc_bag_put(zq, zb + used_zb, nb_zb - used_zb);
	/* The buffers published in place left the application. */
	if (in_place != 0)
		dpsw_zc_held_add(g, -(int64_t)in_place);
	rte_pktmbuf_free_bulk(pkts, i);
	q->st.zero_copy += in_place;
	if (sent == 0)
		return i;
	/* Release: the descriptors and the data are visible before prod. */
	q->ring.idx = idx + sent;
	__atomic_store_n(&r->prod, q->ring.idx, __ATOMIC_RELEASE);
	if (unlikely(dpsr_cons_kick_needed(&q->ring)))
		dpsw_tx_ring_kick(q);
	q->st.pkts += sent;
	q->st.bytes += bytes;
	return i;
}
