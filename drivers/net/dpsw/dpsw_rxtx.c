/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw datapath: the peer's copy paths over dpsr rings
 * (docs/shm-protocol.md, "Rings", "Descriptors", "Buffer ownership").
 *
 * Everything here works on a queue's private view, its rings and its
 * doorbells only, never on how the region was mapped (a host peer's memfd
 * or a guest's BAR2) nor on what a doorbell is (a pipe or a register:
 * struct dpsw_bell). Per burst:
 * one acquire load of the switch's index, one release store of ours, one
 * full fence to look at the switch's wait flag, and a doorbell write only
 * if the switch said it sleeps. No system call under load, no allocation
 * but mbufs, no log.
 */
#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "dpsw.h"
#include "dpsr/dpsr_mbuf.h"

void
dpsw_rxq_init(struct dpsw_rxq *q, const struct dpsr_view *v, uint32_t ring,
	      struct dpsw_bell room, const uint32_t *attached)
{
	q->view = *v;
	dpsr_qring_init(&q->ring, &q->view, ring);
	q->attached = attached;
	q->room = room;
}

void
dpsw_txq_init(struct dpsw_txq *q, const struct dpsr_view *v, uint32_t ring,
	      struct dpsw_bell kick, const uint32_t *attached)
{
	q->view = *v;
	dpsr_qring_init(&q->ring, &q->view, ring);
	q->attached = attached;
	q->max_frame = RTE_MIN(v->lim.buf_size, (uint32_t)DPSR_FRAME_MAX);
	q->kick = kick;
}

/* Never blocks (dpsw_bell_ring()): a full pipe is a ring already pending. */
static inline void
dpsw_ring_doorbell(const struct dpsw_bell *b, uint64_t *counter)
{
	if (dpsw_bell_ring(b))
		(*counter)++;
}

/* ---- receive ---- */

void
dpsw_rx_ring_room(struct dpsw_rxq *q)
{
	dpsw_ring_doorbell(&q->room, &q->st.doorbells);
}

void
dpsw_tx_ring_kick(struct dpsw_txq *q)
{
	dpsw_ring_doorbell(&q->kick, &q->st.doorbells);
}

uint16_t
dpsw_rx_attached(struct dpsw_rxq *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct dpsr_ring *r = q->ring.shared;
	uint32_t idx = q->ring.idx, avail = dpsw_rx_avail(q), i;
	uint64_t bytes = 0;
	uint16_t got = 0;

	for (i = 0; i < avail && got < n; i++) {
		const volatile struct dpsr_desc *s = &r->desc[dpsr_slot(q->ring.size, idx + i)];
		struct dpsr_desc d;
		enum dpsr_bad bad;
		struct rte_mbuf *m;

		/* One read of each field; the check and the copy use the same values. */
		dpsr_desc_fetch(s, &d);
		bad = dpsr_desc_check(&d, &q->view.lim);
		if (unlikely(bad != DPSR_OK)) {
			q->st.err.bad_desc[bad]++;
			continue;	/* dropped; its slot is released with the rest */
		}
		m = dpsr_mbuf_copy_in(q->mp, dpsr_buf(&q->view, d.buf) + d.off, d.len);
		if (unlikely(m == NULL)) {
			q->st.nombuf++;
			break;		/* this frame and the rest stay in the ring */
		}
		m->port = q->port_id;
		pkts[got++] = m;
		bytes += d.len;
	}
	if (i == 0)
		return 0;
	/* Release: we are done reading these slots' buffers. */
	q->ring.idx = idx + i;
	__atomic_store_n(&r->cons, q->ring.idx, __ATOMIC_RELEASE);
	if (unlikely(dpsr_prod_kick_needed(&q->ring)))
		dpsw_ring_doorbell(&q->room, &q->st.doorbells);
	q->st.pkts += got;
	q->st.bytes += bytes;
	return got;
}

uint16_t
dpsw_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	struct dpsw_rxq *q = rxq;
	uint16_t got;

	/* Detached (the switch went, or a guest's port is stopped): nothing to take. */
	if (unlikely(!dpsw_q_enter(&q->busy, q->attached)))
		return 0;
	got = q->zc != NULL ? dpsw_zc_rx(q, pkts, n) : dpsw_rx_attached(q, pkts, n);
	dpsw_q_leave(&q->busy);
	return got;
}

void
dpsw_rxq_intr_enable(struct dpsw_rxq *q)
{
	/*
	 * The switch has gone: nobody would ring (the link state says so).
	 * What was rung is drained, not to wake the caller for nothing; a
	 * new attach rings the waiter itself.
	 */
	if (!dpsw_q_enter(&q->busy, q->attached)) {
		dpsr_waiter_drain(&q->waiter);
		return;
	}
	/* What was rung before is seen (the caller polls): the next ring wakes it. */
	dpsr_waiter_drain(&q->waiter);
	/*
	 * Flag, full fence, look at prod again: either the switch sees the
	 * flag and rings, or we see its frames here. In the second case the
	 * flag is down again and we ring our own doorbell, so an epoll on it
	 * returns at once instead of sleeping on frames that are there.
	 */
	if (!dpsr_cons_sleep_prepare(&q->ring))
		dpsr_waiter_ring_self(&q->waiter);
	dpsw_q_leave(&q->busy);
}

void
dpsw_rxq_intr_disable(struct dpsw_rxq *q)
{
	if (!dpsw_q_enter(&q->busy, q->attached))
		return;
	dpsr_cons_sleep_done(&q->ring);
	dpsw_q_leave(&q->busy);
}

/* ---- transmit ---- */

/* Not attached (the switch has gone, or the port is stopped): dropped and counted. */
static uint16_t
dpsw_tx_drop_all(struct dpsw_txq *q, struct rte_mbuf **pkts, uint16_t n)
{
	rte_pktmbuf_free_bulk(pkts, n);
	q->st.disconnected += n;
	return n;
}

static uint16_t
dpsw_tx_attached(struct dpsw_txq *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct dpsr_ring *r = q->ring.shared;
	uint32_t idx = q->ring.idx, cons, room, sent = 0;
	uint64_t bytes = 0;
	uint16_t i;

	/* Acquire: the switch is done with the slots before cons. */
	cons = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
	if (unlikely(dpsr_used(idx, cons) > q->ring.size))
		q->st.bad_index++;	/* dpsr_room() then says full */
	room = dpsr_room(q->ring.size, idx, cons);
	for (i = 0; i < n && sent < room; i++) {
		volatile struct dpsr_desc *s = &r->desc[dpsr_slot(q->ring.size, idx + sent)];
		uint32_t len = pkts[i]->pkt_len, buf;
		uint16_t off;

		if (unlikely(len < DPSR_FRAME_MIN || len > q->max_frame)) {
			q->st.bad_len++;	/* freed below: it would never fit */
			continue;
		}
		/* The slot's buffer is the switch's to choose: read it once, never write it. */
		buf = s->buf;
		if (unlikely(buf >= q->view.lim.nb_bufs)) {
			q->st.bad_buf++;
			break;		/* this frame and the rest stay with the caller */
		}
		/* Headroom lets the switch push a VLAN tag in place. */
		off = len + DPSR_HEADROOM <= q->view.lim.buf_size ? DPSR_HEADROOM : 0;
		dpsr_mbuf_copy_out(dpsr_buf(&q->view, buf) + off, pkts[i], len);
		s->off = off;
		s->len = (uint16_t)len;
		s->flags = 0;
		s->rsvd0 = 0;
		s->rsvd1 = 0;
		sent++;
		bytes += len;
	}
	rte_pktmbuf_free_bulk(pkts, i);
	if (sent == 0)
		return i;
	/* Release: the descriptors and the data are visible before prod. */
	q->ring.idx = idx + sent;
	__atomic_store_n(&r->prod, q->ring.idx, __ATOMIC_RELEASE);
	if (unlikely(dpsr_cons_kick_needed(&q->ring)))
		dpsw_ring_doorbell(&q->kick, &q->st.doorbells);
	q->st.pkts += sent;
	q->st.bytes += bytes;
	return i;
}

uint16_t
dpsw_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t n)
{
	struct dpsw_txq *q = txq;
	uint16_t done;

	if (unlikely(!dpsw_q_enter(&q->busy, q->attached)))
		return dpsw_tx_drop_all(q, pkts, n);
	done = q->zc != NULL ? dpsw_zc_tx(q, pkts, n) : dpsw_tx_attached(q, pkts, n);
	dpsw_q_leave(&q->busy);
	return done;
}
