/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared-ring port's burst functions (switch side).
 *
 * Receive (ring 2q, the peer produces): read prod once, then per slot read
 * the descriptor once into private memory and check it, including that it
 * names the buffer the slot owns. A trusted port's frame is taken by
 * swapping: the mbuf (a spare) gets the slot's buffer, the slot gets the
 * spare's. Otherwise the frame is copied into one of the switch's mbufs.
 * Refused descriptors are counted and their slots released all the same.
 *
 * Transmit (ring 2q+1, the switch produces): an mbuf that holds a buffer
 * of the same group's pool goes into the slot by swapping; anything else
 * is copied into the slot's buffer.
 *
 * A trusted peer granted DPSR_F_PEER_BUFS moves buffers too (docs/
 * shm-protocol.md, "Buffers a trusted peer holds"): on receive the
 * descriptor may name any buffer of the queue pair's bag, claimed from
 * the region's owner table under the queue pair's lock, one per burst (rx
 * queue q and tx queue q may run on different workers, and a buffer named
 * twice must be taken once); the buffer the slot keeps joins the bag. On transmit the
 * slots the peer released are read back once: a bag buffer it left there
 * becomes the slot's, and the slot's old one joins the bag. Without the
 * feature (owner NULL) this costs one predictable branch per burst and
 * per descriptor.
 *
 * Doorbells are rung only when the other side said it sleeps (its wait
 * flag, read after a full fence), so under load no system call is made.
 */
#include <errno.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "dpsr/dpsr_mbuf.h"
#include "shm_rxtx.h"

#define SHM_BURST_MAX 256

void
shm_qring_init(struct shm_qring *q, const struct shm_region *r, uint32_t ring_idx)
{
	const struct dpsr_view *v = &r->view;

	q->ring = (struct dpsr_ring *)(v->base + v->rings_off + (uint64_t)ring_idx * v->ring_stride);
	q->shadow = r->shadow + (uint64_t)ring_idx * v->ring_size;
	q->idx = 0;
	q->mask = v->ring_size - 1;
	q->bufs = v->base + v->bufs_off;
	q->buf_shift = (uint32_t)__builtin_ctz(v->lim.buf_size);
	q->lim = v->lim;
	q->iova_base = r->iova_base;
	q->kick_fd = -1;
	q->gate.open = 0;
	q->gate.busy = 0;
	q->owner = NULL;
	q->bag = 0;
	q->reaped = 0;
}

void
shm_qring_reset(struct shm_qring *q)
{
	q->idx = 0;
	q->reaped = 0;
	q->owner = NULL;
	q->bag = 0;
	dpsr_ring_reset(q->ring, q->mask + 1, q->shadow);
}

/* ---- bags: the owner table (DPSR_F_PEER_BUFS) ---- */

/*
 * Take buffer @p buf out of bag @p bag for the switch, if it is there.
 * Only the queue pair's two queues claim from its bag (another queue
 * pair's claim compares and fails, writing nothing), and they do it under
 * the pair's reap_lock: one lock per burst instead of one atomic
 * compare-and-swap per frame, and of two claims of one buffer (two slots,
 * both rings) one fails all the same.
 */
static inline bool
shm_bag_claim(uint8_t *owner, uint32_t buf, uint8_t bag)
{
	if (__atomic_load_n(&owner[buf], __ATOMIC_RELAXED) != bag)
		return false;
	__atomic_store_n(&owner[buf], SHM_OWNER_SWITCH, __ATOMIC_RELAXED);
	return true;
}

/* A buffer the switch holds joins bag @p bag (before the peer can see it). */
static inline void
shm_bag_give(uint8_t *owner, uint32_t buf, uint8_t bag)
{
	__atomic_store_n(&owner[buf], bag, __ATOMIC_RELEASE);
}

void
shm_bag_form(struct shm_rxq *rx, struct shm_txq *tx, uint8_t *owner, uint8_t bag)
{
	for (uint32_t k = 0; k <= rx->q.mask; k++)
		shm_bag_give(owner, rx->q.shadow[k], bag);
	rx->q.owner = tx->q.owner = owner;
	rx->q.bag = tx->q.bag = bag;
	tx->q.reaped = tx->q.idx;
	rte_spinlock_init(&tx->reap_lock);
	rx->pair = tx;
}

uint32_t
shm_bag_return(struct shm_qring *rx)
{
	uint32_t n = 0;

	if (rx->owner == NULL)
		return 0;
	for (uint32_t b = 0; b < rx->lim.nb_bufs; b++) {
		if (__atomic_load_n(&rx->owner[b], __ATOMIC_RELAXED) != rx->bag)
			continue;
		/* More than a ring's worth would be a bug: the rest stay the switch's. */
		if (n <= rx->mask)
			rx->shadow[n] = b;
		__atomic_store_n(&rx->owner[b], SHM_OWNER_SWITCH, __ATOMIC_RELAXED);
		n++;
	}
	rx->owner = NULL;
	return n;
}

void
shm_qring_quiesce(struct shm_qring *q)
{
	__atomic_store_n(&q->gate.open, 0, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&q->gate.busy, __ATOMIC_ACQUIRE))
		rte_pause();
}

void
shm_qring_open(struct shm_qring *q)
{
	__atomic_store_n(&q->gate.open, 1, __ATOMIC_RELEASE);
}

void
shm_rxq_open(struct shm_rxq *rxq)
{
	shm_qring_open(&rxq->q);
	dpsr_waiter_ring_self(&rxq->waiter);
}

static inline uint8_t *
shm_buf(const struct shm_qring *q, uint32_t idx)
{
	return q->bufs + ((uint64_t)idx << q->buf_shift);
}

static inline uint32_t
shm_buf_index(const struct shm_qring *q, const void *addr)
{
	return (uint32_t)(((const uint8_t *)addr - q->bufs) >> q->buf_shift);
}

static inline rte_iova_t
shm_buf_iova(const struct shm_qring *q, uint32_t idx)
{
	return q->iova_base == RTE_BAD_IOVA ? RTE_BAD_IOVA :
		q->iova_base + ((uint64_t)idx << q->buf_shift);
}

/*
 * After publishing our index: ring the peer if it sleeps on this ring. Our
 * end of its doorbell is ours alone and non-blocking: a full pipe (a peer
 * that never reads) costs a failed write, never a blocked worker.
 */
static inline void
shm_kick_if_waiting(const struct shm_qring *q, const uint32_t *wait, uint64_t *ctr)
{
	/* Pairs with the sleeper's fence between raising its flag and re-reading our index. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (unlikely(__atomic_load_n(wait, __ATOMIC_RELAXED) != 0) &&
	    dpsr_bell_ring(q->kick_fd))
		(*ctr)++;
}

/*
 * The descriptors of a burst sit in cache lines the other core wrote (or
 * will read): each is a cache miss that costs as much as the rest of the
 * packet's handling. Ask for all of a burst's lines before touching the
 * first, so the misses overlap instead of queueing one after the other.
 */
static inline void
shm_prefetch_descs(const struct shm_qring *q, uint32_t first, uint32_t n, bool write)
{
	const uint32_t per_line = DPSR_CACHE_LINE / sizeof(struct dpsr_desc);

	for (uint32_t i = 0; i < n; i += per_line) {
		const struct dpsr_desc *d = &q->ring->desc[(first + i) & q->mask];

		if (write)
			rte_prefetch0_write(d);
		else
			rte_prefetch0(d);
	}
	/* The burst may end in a line its first slots did not reach. */
	if (n > 1)
		rte_prefetch0(&q->ring->desc[(first + n - 1) & q->mask]);
}

/*
 * A bag holder released the slots up to @p cons: read each one's buf
 * once. A buffer of its bag it left there becomes the slot's, and the
 * slot's old one joins the bag; any other (but the slot's own) is refused
 * and the slot keeps its buffer. A cons behind what was read back (the
 * other worker read further) or past what was produced (a lie the tx
 * burst counts: bad_index) reads nothing. With txq->reap_lock held.
 */
static void
shm_tx_reap(struct shm_txq *txq, uint32_t cons)
{
	struct shm_qring *q = &txq->q;
	uint32_t n = cons - q->reaped;

	if (unlikely(n > q->idx - q->reaped))
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t slot = (q->reaped + i) & q->mask, old = q->shadow[slot];
		uint32_t b = ((const volatile struct dpsr_desc *)&q->ring->desc[slot])->buf;

		if (likely(b == old))
			continue;		/* it copied the frame out and kept nothing */
		if (likely(b < q->lim.nb_bufs) && shm_bag_claim(q->owner, b, q->bag)) {
			q->shadow[slot] = b;
			shm_bag_give(q->owner, old, q->bag);
			txq->st.peer_swaps++;
		} else {
			txq->st.bad_buf++;
		}
	}
	q->reaped = cons;
}

/*
 * A claim on the rx ring failed: maybe the peer sends a buffer it kept
 * from the tx ring, which the tx worker has not read back yet. Read back
 * what it released (once per burst), then claim again. reap_lock held.
 */
static bool
shm_rx_claim_after_reap(struct shm_rxq *rxq, uint32_t buf)
{
	struct shm_txq *tx = rxq->pair;

	if (rxq->reaped)
		return false;
	rxq->reaped = true;
	shm_tx_reap(tx, __atomic_load_n(&tx->q.ring->cons, __ATOMIC_ACQUIRE));
	return shm_bag_claim(rxq->q.owner, buf, rxq->q.bag);
}

/*
 * The private copy of a peer's descriptor, checked; DPSR_OK or why not.
 * With a bag, an accepted descriptor's buffer is the switch's now (taken
 * out of the bag): the caller puts a buffer back into the bag for it.
 */
static inline enum dpsr_bad
shm_desc_take(struct shm_rxq *rxq, uint32_t slot, struct dpsr_desc *d)
{
	const struct shm_qring *q = &rxq->q;
	enum dpsr_bad bad;

	dpsr_desc_fetch(&q->ring->desc[slot], d);
	bad = dpsr_desc_check(d, &q->lim);
	if (likely(q->owner == NULL)) {
		if (bad == DPSR_OK && unlikely(d->buf != q->shadow[slot]))
			bad = DPSR_BAD_BUF;	/* a peer may not move buffers */
	} else if (bad == DPSR_OK && !shm_bag_claim(q->owner, d->buf, q->bag) &&
		   !shm_rx_claim_after_reap(rxq, d->buf)) {
		bad = DPSR_BAD_BUF;		/* not in its bag (any more) */
	}
	/* Whatever the peer wrote there, the slot goes back naming its own buffer. */
	if (unlikely(bad == DPSR_BAD_BUF))
		((volatile struct dpsr_desc *)&q->ring->desc[slot])->buf = q->shadow[slot];
	return bad;
}

/* Receive by copy: isolated ports, and trusted ones out of spares. */
static uint16_t
shm_rx_copy(struct shm_rxq *rxq, struct rte_mbuf **pkts, uint32_t avail)
{
	struct shm_qring *q = &rxq->q;
	/* With a bag: the buffers taken, which go back to it after the burst. */
	uint32_t claimed[SHM_BURST_MAX], nb_claimed = 0;
	uint64_t bytes = 0;
	uint16_t got = 0;
	uint32_t i;

	for (i = 0; i < avail; i++) {
		uint32_t slot = (q->idx + i) & q->mask;
		struct dpsr_desc d;
		enum dpsr_bad bad = shm_desc_take(rxq, slot, &d);
		struct rte_mbuf *m;

		if (unlikely(bad != DPSR_OK)) {
			rxq->st.bad_desc[bad]++;
			continue;
		}
		m = dpsr_mbuf_copy_in(rxq->mp, shm_buf(q, d.buf) + d.off, d.len);
		if (unlikely(m == NULL)) {
			/* The frame stays in its slot for the next burst. */
			if (q->owner != NULL)
				shm_bag_give(q->owner, d.buf, q->bag);
			rxq->st.nombuf++;
			break;
		}
		if (unlikely(q->owner != NULL)) {
			/*
			 * The slot keeps the buffer it named; it goes back into
			 * the bag only after the burst, so that a second slot
			 * naming it in this burst finds it taken.
			 */
			q->shadow[slot] = d.buf;
			((volatile struct dpsr_desc *)&q->ring->desc[slot])->buf = d.buf;
			claimed[nb_claimed++] = d.buf;
		}
		m->port = rxq->port_id;
		bytes += d.len;
		pkts[got++] = m;
	}
	for (uint32_t k = 0; k < nb_claimed; k++)
		shm_bag_give(q->owner, claimed[k], q->bag);
	q->idx += i;
	rxq->st.copied += got;
	rxq->st.bytes += bytes;
	return got;
}

/*
 * Receive by swapping (trusted): a burst of spares, each handing its
 * buffer to the slot and taking the slot's. Returns UINT16_MAX when the
 * spares ran out, so that the caller copies this burst instead.
 */
static uint16_t
shm_rx_swap(struct shm_rxq *rxq, struct rte_mbuf **pkts, uint32_t avail)
{
	struct shm_qring *q = &rxq->q;
	uint64_t bytes = 0;
	uint16_t got = 0;

	if (unlikely(rte_pktmbuf_alloc_bulk(rxq->spares, pkts, avail) != 0)) {
		rxq->st.spares_empty++;
		return UINT16_MAX;
	}
	for (uint32_t i = 0; i < avail; i++) {
		uint32_t slot = (q->idx + i) & q->mask;
		struct dpsr_desc d;
		enum dpsr_bad bad = shm_desc_take(rxq, slot, &d);
		struct rte_mbuf *m = pkts[got];	/* the next unused spare */
		uint32_t spare;

		if (unlikely(bad != DPSR_OK)) {
			rxq->st.bad_desc[bad]++;
			continue;
		}
		spare = shm_buf_index(q, m->buf_addr);
		m->buf_addr = shm_buf(q, d.buf);
		m->buf_iova = shm_buf_iova(q, d.buf);
		m->data_off = d.off;
		m->data_len = d.len;
		m->pkt_len = d.len;
		m->port = rxq->port_id;
		q->shadow[slot] = spare;
		/* A bag holder's slot hands it the spare: in its bag before cons moves. */
		if (unlikely(q->owner != NULL))
			shm_bag_give(q->owner, spare, q->bag);
		/* Ours to write: the slot is the consumer's until cons moves. */
		((volatile struct dpsr_desc *)&q->ring->desc[slot])->buf = spare;
		bytes += d.len;
		got++;
	}
	if (unlikely(got < avail))
		rte_pktmbuf_free_bulk(pkts + got, avail - got);
	q->idx += avail;
	rxq->st.zero_copy += got;
	rxq->st.bytes += bytes;
	return got;
}

uint16_t
shm_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct shm_rxq *rxq = queue;
	struct shm_qring *q = &rxq->q;
	uint32_t prod, avail;
	uint16_t got = UINT16_MAX;

	if (unlikely(!shm_gate_enter(&q->gate)))
		return 0;
	prod = __atomic_load_n(&q->ring->prod, __ATOMIC_ACQUIRE);
	avail = prod - q->idx;
	if (avail == 0) {
		shm_gate_leave(&q->gate);
		return 0;
	}
	if (unlikely(avail > q->mask + 1)) {
		/*
		 * The peer claims more frames than its ring holds. Taking a
		 * ring's worth would forward stale descriptors again and again
		 * (one store could make millions of frames): take nothing until
		 * the peer's index makes sense. Only its own port stalls.
		 */
		rxq->st.bad_index++;
		shm_gate_leave(&q->gate);
		return 0;
	}
	avail = RTE_MIN(avail, (uint32_t)RTE_MIN(n, SHM_BURST_MAX));
	shm_prefetch_descs(q, q->idx, avail, false);
	/* A bag holder's: its queue pair's claims, one burst at a time. */
	if (unlikely(q->owner != NULL)) {
		rxq->reaped = false;
		rte_spinlock_lock(&rxq->pair->reap_lock);
	}
	if (rxq->spares != NULL)
		got = shm_rx_swap(rxq, pkts, avail);
	if (got == UINT16_MAX)
		got = shm_rx_copy(rxq, pkts, avail);
	if (unlikely(q->owner != NULL))
		rte_spinlock_unlock(&rxq->pair->reap_lock);
	__atomic_store_n(&q->ring->cons, q->idx, __ATOMIC_RELEASE);
	shm_kick_if_waiting(q, &q->ring->prod_wait, &rxq->st.doorbells);
	shm_gate_leave(&q->gate);
	rxq->st.pkts += got;
	return got;
}

/* Put one mbuf of the group's pool into the slot, taking the slot's buffer. */
static inline void
shm_tx_swap(struct shm_qring *q, uint32_t slot, struct rte_mbuf *m)
{
	uint32_t full = shm_buf_index(q, m->buf_addr), empty = q->shadow[slot];
	const struct dpsr_desc d = { .buf = full, .off = m->data_off, .len = m->data_len };

	dpsr_desc_store(&q->ring->desc[slot], &d);
	q->shadow[slot] = full;
	/* Freed, the mbuf takes the slot's old buffer back to the spares. */
	m->buf_addr = shm_buf(q, empty);
	m->buf_iova = shm_buf_iova(q, empty);
}

/* Copy a frame into the slot's buffer; -1 if the buffer cannot hold it. */
static inline int
shm_tx_copy(struct shm_qring *q, uint32_t slot, const struct rte_mbuf *m)
{
	uint32_t len = m->pkt_len, buf = q->shadow[slot];
	uint32_t off = len + DPSR_HEADROOM <= q->lim.buf_size ? DPSR_HEADROOM : 0;

	if (unlikely(len < DPSR_FRAME_MIN || len > q->lim.buf_size || len > DPSR_FRAME_MAX))
		return -1;
	dpsr_mbuf_copy_out(shm_buf(q, buf) + off, m, len);
	/* buf too: the switch owns it, whatever a peer scribbled there. */
	dpsr_desc_store(&q->ring->desc[slot],
			&(struct dpsr_desc){ .buf = buf, .off = (uint16_t)off, .len = (uint16_t)len });
	return 0;
}

static inline bool
shm_tx_swappable(const struct shm_txq *txq, const struct rte_mbuf *m)
{
	return m->pool == txq->spares && m->nb_segs == 1 && RTE_MBUF_DIRECT(m) &&
	       rte_mbuf_refcnt_read(m) == 1 && m->data_len >= DPSR_FRAME_MIN;
}

uint16_t
shm_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct shm_txq *txq = queue;
	struct shm_qring *q = &txq->q;
	struct rte_mbuf *done[SHM_BURST_MAX], *swapped[SHM_BURST_MAX];
	uint32_t cons, used, room, k = 0;
	uint64_t bytes = 0;
	uint16_t i, nb_done = 0, nb_swapped = 0;

	n = RTE_MIN(n, SHM_BURST_MAX);
	if (unlikely(!shm_gate_enter(&q->gate))) {
		txq->st.no_peer += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return n;
	}
	cons = __atomic_load_n(&q->ring->cons, __ATOMIC_ACQUIRE);
	if (unlikely(q->owner != NULL)) {
		rte_spinlock_lock(&txq->reap_lock);
		shm_tx_reap(txq, cons);
		rte_spinlock_unlock(&txq->reap_lock);
	}
	used = q->idx - cons;
	if (unlikely(used > q->mask + 1)) {
		txq->st.bad_index++;
		used = q->mask + 1;		/* no room until the peer makes sense */
	}
	room = q->mask + 1 - used;
	shm_prefetch_descs(q, q->idx, RTE_MIN(room, (uint32_t)n), true);
	for (i = 0; i < n && k < room; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t slot = (q->idx + k) & q->mask;

		if (txq->spares != NULL && shm_tx_swappable(txq, m)) {
			shm_tx_swap(q, slot, m);
			swapped[nb_swapped++] = m;
		} else if (likely(shm_tx_copy(q, slot, m) == 0)) {
			done[nb_done++] = m;
		} else {
			txq->st.bad_len++;
			done[nb_done++] = m;
			continue;
		}
		bytes += m->pkt_len;
		k++;
	}
	if (k != 0) {
		q->idx += k;
		__atomic_store_n(&q->ring->prod, q->idx, __ATOMIC_RELEASE);
		shm_kick_if_waiting(q, &q->ring->cons_wait, &txq->st.doorbells);
	}
	shm_gate_leave(&q->gate);
	/*
	 * Swapped mbufs are direct, single-segment, unshared and of the
	 * group's pool (shm_tx_swappable): straight back to it, each now
	 * holding the old buffer of the slot it filled.
	 */
	if (nb_swapped != 0)
		rte_mempool_put_bulk(txq->spares, (void **)swapped, nb_swapped);
	if (nb_done != 0)
		rte_pktmbuf_free_bulk(done, nb_done);
	txq->st.zero_copy += nb_swapped;
	txq->st.copied += k - nb_swapped;
	txq->st.pkts += k;
	txq->st.bytes += bytes;
	return i;
}

/*
 * Both run on the worker and touch the shared ring, which the control
 * thread may be unmapping (an isolated port's region is renewed when its
 * peer goes): through the gate, like a burst. A closed gate has no peer to
 * ask; opening it rings the worker's doorbell (shm_rxq_open), so a worker
 * asleep meanwhile wakes and arms the new ring.
 */
int
shm_rxq_intr_enable(struct shm_rxq *rxq)
{
	struct shm_qring *q = &rxq->q;
	uint32_t used;
	bool pending;

	/* Old rings are seen already (a poll follows): the next one wakes us. */
	dpsr_waiter_drain(&rxq->waiter);
	if (!shm_gate_enter(&q->gate))
		return 0;
	__atomic_store_n(&q->ring->cons_wait, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/*
	 * Work is what a burst would take: an index more than a ring ahead is
	 * a lie that rx refuses (bad_index), and taking it for work here would
	 * keep the worker from ever sleeping.
	 */
	used = __atomic_load_n(&q->ring->prod, __ATOMIC_ACQUIRE) - q->idx;
	pending = used != 0 && used <= q->mask + 1;
	shm_gate_leave(&q->gate);
	/*
	 * Frames that came before the flag was up rang nothing: ring our own
	 * doorbell so that a waiter returns at once, whether or not it polls
	 * once more after enabling.
	 */
	if (pending)
		dpsr_waiter_ring_self(&rxq->waiter);
	return 0;
}

void
shm_rxq_intr_disable(struct shm_rxq *rxq)
{
	struct shm_qring *q = &rxq->q;

	if (!shm_gate_enter(&q->gate))
		return;
	__atomic_store_n(&q->ring->cons_wait, 0, __ATOMIC_RELAXED);
	shm_gate_leave(&q->gate);
}
