/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile: a lying bag holder (docs/shm-protocol.md, "Buffers a
 * trusted peer holds"). A trusted member granted DPSR_F_PEER_BUFS keeps an
 * exact account of its bag, as a good peer would, and then names buffers
 * it does not hold, in both rings:
 *
 * ring 2b (it produces), rounds of 8 descriptors, each round published at
 * once and taken before the next:
 *   a good frame from a bag buffer of its choice (not the slot's own), a
 *   second one, that second buffer again (taken once: bad_buf), a buffer
 *   out of the pool, a buffer of the switch's (a slot's of its rx ring),
 *   one of another queue pair's ring (another member's bag, or the
 *   switch's), one it gave the switch earlier and does not hold, and a
 *   bag buffer with an impossible length (bad_len: the buffer stays its
 *   own, and it takes it back);
 * ring 2b+1 (it consumes), frames another member broadcasts, in turn:
 *   kept, a bag buffer left in the slot (a good exchange); kept with a bag
 *   buffer that the next frame's slot gets too (taken once: tx_bad_buf);
 *   a buffer out of the pool; a buffer of another port's ring; left as it
 *   is (a copy);
 * both rings at once, last: one bag buffer left in an rx slot and sent on
 *   ring 2b in the same moment, which exactly one of the two may take (each
 *   made to read both before the next: a buffer the switch took comes back
 *   into a bag as any buffer may, and a late read would then take it
 *   legitimately).
 *
 * Exact counts come back in the report: the switch's rx counters for ring
 * 2b (good, bad_buf, bad_len) and its tx_peer_swaps and tx_bad_buf for
 * ring 2b+1, the cross lies once in either. Before it leaves it makes the
 * switch read back every slot it released (a lie on ring 2b: a claim that
 * fails reads the rx ring's released slots back) and waits for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

#define BAG_ROUND 8
#define BAG_RX_FRAMES_DEFAULT 600
#define BAG_CROSS 4

/* What the tool holds of its bag: the buffers in private, in no slot. */
struct bag {
	uint32_t *b;
	uint32_t n, cap;
	uint32_t *given;		/* buffers the switch took from us, most recent last */
	uint32_t nb_given;
};

static bool
bag_has(const struct bag *g, uint32_t buf)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (g->b[i] == buf)
			return true;
	return false;
}

static void
bag_put(struct bag *g, uint32_t buf)
{
	if (g->n < g->cap)
		g->b[g->n++] = buf;
}

/* Any buffer of the bag but @p not (the slot's own, to move for real). */
static uint32_t
bag_take(struct bag *g, uint32_t not)
{
	uint32_t i = g->n - 1, b;

	if (g->n > 1 && g->b[i] == not)
		i--;
	b = g->b[i];
	g->b[i] = g->b[--g->n];
	return b;
}

static void
bag_gave(struct bag *g, uint32_t buf)
{
	if (g->nb_given == g->cap)
		memmove(g->given, g->given + 1, sizeof(*g->given) * --g->nb_given);
	g->given[g->nb_given++] = buf;
}

static uint32_t
ring_buf(const struct hostile *h, uint32_t ring, uint32_t slot)
{
	const struct dpsr_ring *r = (const struct dpsr_ring *)
		(h->v->base + h->v->rings_off + (uint64_t)ring * h->v->ring_stride);

	return __atomic_load_n(&r->desc[slot & (h->v->ring_size - 1)].buf, __ATOMIC_RELAXED);
}

/* Another queue pair's ring 2q (or 2q+1): another member's, or the switch's. */
static uint32_t
other_ring(const struct hostile *h, uint32_t tx)
{
	uint32_t q = h->v->nb_qpairs > 1 ? (h->c.qpair_base + 1) % h->v->nb_qpairs : 0;

	return 2 * q + tx;
}

/* A buffer we do not hold: @p cand, unless it is in the bag: then out of the pool. */
static uint32_t
not_ours(const struct bag *g, const struct hostile *h, uint32_t cand)
{
	return bag_has(g, cand) ? h->v->lim.nb_bufs + 7 : cand;
}

/* Wait until the switch took everything we published (bounded). */
static bool
wait_taken(struct hostile *h)
{
	double give_up = hostile_now() + HOSTILE_STALL_S;

	while (__atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE) != h->tx.idx) {
		if (hostile_now() >= give_up) {
			h->stalled = true;
			return false;
		}
		usleep(100);
	}
	return true;
}

static void
put_desc(struct hostile *h, uint32_t j, uint32_t buf, uint16_t len, bool frame)
{
	struct dpsr_desc d = { .buf = buf, .off = DPSR_HEADROOM, .len = len };

	if (frame)
		hostile_frame_write(dpsr_buf(h->v, buf) + DPSR_HEADROOM, h->o->size,
				    (uint32_t)(h->sent + j), h->o->dst_mac, h->o->canary,
				    h->o->canary_len);
	dpsr_desc_store(&h->tx.shared->desc[dpsr_slot(h->tx.size, h->tx.idx + j)], &d);
}

/*
 * One round on ring 2b (the file's comment), counted as the switch must
 * count it; what returns to the bag once the switch has taken the round
 * goes back into @p g. false: no room, or the switch stalled.
 */
static bool
tx_round(struct hostile *h, struct bag *g)
{
	enum dpsr_bad want[BAG_ROUND];
	uint32_t buf[BAG_ROUND], nb = h->v->lim.nb_bufs, slot0 = h->tx.idx;
	uint16_t len = h->o->size;

	if (g->n < 3 || dpsr_room(h->tx.size, h->tx.idx,
				  __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE)) < BAG_ROUND)
		return false;
	buf[0] = bag_take(g, ring_buf(h, 2 * h->c.qpair_base, slot0));
	buf[1] = bag_take(g, ring_buf(h, 2 * h->c.qpair_base, slot0 + 1));
	buf[2] = buf[1];
	buf[3] = nb + (uint32_t)(h->sent % 3);
	/* The length fault's buffer stays in the bag: none of the lies may name it. */
	buf[7] = bag_take(g, UINT32_MAX);
	buf[4] = not_ours(g, h, ring_buf(h, 2 * h->c.qpair_base + 1, (uint32_t)h->sent));
	buf[5] = not_ours(g, h, ring_buf(h, other_ring(h, 0), (uint32_t)h->sent));
	buf[6] = g->nb_given != 0 ? not_ours(g, h, g->given[0]) : nb;
	for (int j = 4; j < 7; j++)
		if (buf[j] == buf[7])
			buf[j] = nb + 5;	/* the switch would take it: no lie */
	for (int j = 0; j < BAG_ROUND; j++)
		want[j] = j < 2 ? DPSR_OK : j < 7 ? DPSR_BAD_BUF : DPSR_BAD_LEN;
	for (int j = 0; j < BAG_ROUND; j++)
		put_desc(h, (uint32_t)j, buf[j], j == 7 ? 13 : len, j < 2);
	hostile_tx_publish(h, BAG_ROUND);
	for (int j = 0; j < BAG_ROUND; j++)
		h->verdicts[want[j]]++;
	if (!wait_taken(h))
		return false;
	/* What came back: a good one's slot holds the switch's replacement, ours now. */
	for (int j = 0; j < BAG_ROUND; j++) {
		uint32_t now = ring_buf(h, 2 * h->c.qpair_base, slot0 + (uint32_t)j);

		if (want[j] == DPSR_OK) {
			bag_put(g, now);
			bag_gave(g, buf[j]);
		} else if (want[j] == DPSR_BAD_LEN) {
			/* Refused for its length: nothing taken, the slot still names it. */
			if (now != buf[j])
				h->buf_not_own++;
			bag_put(g, buf[j]);
		}
	}
	return true;
}

/* The rx ring's lies, in turn, on the next frame; counted in @p lies. */
enum { RX_SWAP, RX_DUP_FIRST, RX_DUP_SECOND, RX_OUTSIDE, RX_OTHER, RX_COPY, RX_NB };

static uint64_t rx_done[RX_NB];

static void
rx_lie(struct hostile *h, struct bag *g, volatile struct dpsr_desc *s, uint32_t kept,
       uint32_t *dup)
{
	unsigned int kind = (unsigned int)(h->received % RX_NB);

	switch (kind) {
	case RX_SWAP:
	case RX_DUP_FIRST:
		if (g->n == 0) {
			kind = RX_COPY;
			break;
		}
		*dup = bag_take(g, UINT32_MAX);
		s->buf = *dup;
		bag_put(g, kept);	/* the kept buffer joins the bag at once */
		break;
	case RX_DUP_SECOND:
		if (*dup == UINT32_MAX) {
			kind = RX_COPY;
			break;
		}
		s->buf = *dup;		/* given in the last slot already: refused */
		*dup = UINT32_MAX;
		break;
	case RX_OUTSIDE:
		s->buf = h->v->lim.nb_bufs + 1;
		break;
	case RX_OTHER:
		s->buf = not_ours(g, h, ring_buf(h, other_ring(h, 1), (uint32_t)h->received));
		if (s->buf >= h->v->lim.nb_bufs)
			kind = RX_OUTSIDE;
		break;
	default:
		break;
	}
	rx_done[kind]++;
}

/* Consume up to @p max frames of ring 2b+1, each with its lie. */
static uint32_t
rx_round(struct hostile *h, struct bag *g, uint32_t max, uint32_t *dup)
{
	uint32_t prod = __atomic_load_n(&h->rx.shared->prod, __ATOMIC_ACQUIRE);
	uint32_t avail = dpsr_used(prod, h->rx.idx);

	if (avail > h->rx.size) {
		h->rx_bad_index++;
		return 0;
	}
	if (avail > max)
		avail = max;
	for (uint32_t i = 0; i < avail; i++) {
		volatile struct dpsr_desc *s = &h->rx.shared->desc[dpsr_slot(h->rx.size,
									       h->rx.idx + i)];
		struct dpsr_desc d;

		dpsr_desc_fetch(s, &d);
		if (dpsr_desc_check(&d, &h->v->lim) != DPSR_OK) {
			h->bad_from_switch++;
			continue;
		}
		rx_lie(h, g, s, d.buf, dup);
		h->received++;
	}
	h->rx.idx += avail;
	__atomic_store_n(&h->rx.shared->cons, h->rx.idx, __ATOMIC_RELEASE);
	if (avail != 0 && dpsr_prod_kick_needed(&h->rx))
		hostile_db_ring(h, DPSR_DB_SWITCH_ROOM);
	return avail;
}

/*
 * A lie on ring 2b that the switch refuses after reading back the rx
 * ring's released slots (a buffer in the pool, not ours: a claim that
 * fails): then every exchange there is counted.
 */
static void
flush_reads(struct hostile *h, const struct bag *g)
{
	if (dpsr_room(h->tx.size, h->tx.idx,
		      __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE)) == 0)
		return;
	put_desc(h, 0, not_ours(g, h, ring_buf(h, 2 * h->c.qpair_base + 1, h->rx.idx)),
		 h->o->size, false);
	hostile_tx_publish(h, 1);
	h->verdicts[DPSR_BAD_BUF]++;
	wait_taken(h);
}

int
hostile_attack_bag_lie(struct hostile *h)
{
	uint32_t size = h->v->ring_size, dup = UINT32_MAX, rx_frames, cross = 0;
	uint64_t rounds = h->o->count / BAG_ROUND;
	struct bag g = { 0 };
	double quiet;

	hostile_report_bool(h, "peer_bufs", h->c.features & DPSR_F_PEER_BUFS);
	if (!(h->c.features & DPSR_F_PEER_BUFS))
		return -ENOTSUP;	/* an isolated port grants no bag */
	g.cap = 2 * size;
	g.b = calloc(g.cap, sizeof(*g.b));
	g.given = calloc(g.cap, sizeof(*g.given));
	if (g.b == NULL || g.given == NULL) {
		free(g.b);
		free(g.given);
		return -ENOMEM;
	}
	/* Right after the reset, the bag is ring 2b's slots' buffers. */
	for (uint32_t k = 0; k < size; k++)
		bag_put(&g, ring_buf(h, 2 * h->c.qpair_base, k));

	for (uint64_t r = 0; r < rounds && !hostile_over(h); r++)
		if (!tx_round(h, &g))
			break;

	/* Ring 2b+1: frames another member sends; stop after a quiet second. */
	rx_frames = BAG_RX_FRAMES_DEFAULT;
	quiet = hostile_now() + 1.0 + (h->received == 0 ? 9.0 : 0);
	while (h->received < rx_frames && !hostile_over(h) && hostile_now() < quiet) {
		if (rx_round(h, &g, rx_frames - (uint32_t)h->received, &dup) != 0)
			quiet = hostile_now() + 1.0;
		else
			usleep(200);
	}
	flush_reads(h, &g);

	/* Both rings at once: one bag buffer given twice; one of the two takes it. */
	for (uint32_t k = 0; k < BAG_CROSS && !hostile_over(h); k++) {
		uint32_t prod = __atomic_load_n(&h->rx.shared->prod, __ATOMIC_ACQUIRE), z;
		volatile struct dpsr_desc *s;
		double until = hostile_now() + 5.0;

		while (prod == h->rx.idx && hostile_now() < until) {
			usleep(200);
			prod = __atomic_load_n(&h->rx.shared->prod, __ATOMIC_ACQUIRE);
		}
		if (prod == h->rx.idx || g.n == 0 ||
		    dpsr_room(h->tx.size, h->tx.idx,
			      __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE)) == 0)
			break;
		z = bag_take(&g, UINT32_MAX);
		s = &h->rx.shared->desc[dpsr_slot(h->rx.size, h->rx.idx)];
		s->buf = z;
		h->rx.idx++;
		h->received++;
		__atomic_store_n(&h->rx.shared->cons, h->rx.idx, __ATOMIC_RELEASE);
		put_desc(h, 0, z, h->o->size, true);
		hostile_tx_publish(h, 1);
		wait_taken(h);
		/*
		 * Both read before the next: else a buffer the rx ring took
		 * could come back into the bag as the next frame's replacement
		 * and be taken, legitimately, by the late read of this slot.
		 */
		flush_reads(h, &g);
		cross++;
	}

	hostile_report_u64(h, "sent", h->sent);
	hostile_report_u64(h, "good", h->verdicts[DPSR_OK]);
	hostile_report_u64(h, "bad_buf", h->verdicts[DPSR_BAD_BUF]);
	hostile_report_u64(h, "bad_len", h->verdicts[DPSR_BAD_LEN]);
	hostile_report_u64(h, "len_kept_lost", h->buf_not_own);
	hostile_report_u64(h, "received", h->received);
	hostile_report_u64(h, "rx_swaps", rx_done[RX_SWAP] + rx_done[RX_DUP_FIRST]);
	hostile_report_u64(h, "rx_bad_buf", rx_done[RX_DUP_SECOND] + rx_done[RX_OUTSIDE] +
			   rx_done[RX_OTHER]);
	hostile_report_u64(h, "rx_copies", rx_done[RX_COPY]);
	hostile_report_u64(h, "cross", cross);
	hostile_report_u64(h, "bag_held", g.n);
	hostile_report_bool(h, "stalled", h->stalled);
	hostile_report_u64(h, "unconsumed", dpsr_used(h->tx.idx, __atomic_load_n(
		&h->tx.shared->cons, __ATOMIC_ACQUIRE)));
	free(g.b);
	free(g.given);
	return 0;
}
