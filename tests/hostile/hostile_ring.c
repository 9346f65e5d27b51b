/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile: the frames it sends, its doorbells, and the two halves of
 * its queue pair: producing on ring 2b as a good peer does (the attacks
 * decide what the descriptors say), and consuming ring 2b+1 as a careful
 * one does (every field the switch wrote read once, checked, then used).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

/* ---- frames ---- */

void
hostile_frame_write(uint8_t *dst, uint32_t size, uint32_t seq, const uint8_t dst_mac[6],
		    const char *canary, size_t canary_len)
{
	static const uint8_t src[5] = HOSTILE_SRC_MAC;
	uint8_t hdr[HOSTILE_CANARY_OFF];
	uint32_t k = HOSTILE_CANARY_OFF;

	memcpy(hdr, dst_mac, 6);
	memcpy(hdr + 6, src, sizeof(src));
	hdr[11] = (uint8_t)seq;
	hdr[12] = HOSTILE_ETHERTYPE >> 8;
	hdr[13] = HOSTILE_ETHERTYPE & 0xff;
	memcpy(hdr + HOSTILE_PAYLOAD_OFF, HOSTILE_TAG, HOSTILE_TAG_LEN);
	for (int b = 0; b < 4; b++)
		hdr[HOSTILE_SEQ_OFF + b] = (uint8_t)(seq >> (24 - 8 * b));
	memcpy(dst, hdr, sizeof(hdr));
	if (canary != NULL && canary_len <= size - HOSTILE_CANARY_OFF) {
		memcpy(dst + k, canary, canary_len);
		k += (uint32_t)canary_len;
	}
	for (; k < size; k++)
		dst[k] = hostile_pattern(seq, k);
}

/* Bytes [from, len) of @p f are frame @p seq's pattern. */
static bool
pattern_ok(const uint8_t *f, uint32_t from, uint32_t len, uint32_t seq)
{
	for (uint32_t k = from; k < len; k++)
		if (f[k] != hostile_pattern(seq, k))
			return false;
	return true;
}

bool
hostile_frame_ok(const uint8_t *f, uint32_t len, const uint8_t dst_mac[6], const char *canary,
		 size_t canary_len)
{
	uint8_t want[HOSTILE_CANARY_OFF];
	uint32_t seq;

	if (len < HOSTILE_SIZE_MIN || len > HOSTILE_SIZE_MAX)
		return false;
	seq = (uint32_t)f[HOSTILE_SEQ_OFF] << 24 | (uint32_t)f[HOSTILE_SEQ_OFF + 1] << 16 |
	      (uint32_t)f[HOSTILE_SEQ_OFF + 2] << 8 | f[HOSTILE_SEQ_OFF + 3];
	/* Everything up to the canary, built as the sender builds it. */
	hostile_frame_write(want, sizeof(want), seq, dst_mac, NULL, 0);
	if (memcmp(f, want, sizeof(want)) != 0)
		return false;
	if (canary != NULL && canary_len <= len - HOSTILE_CANARY_OFF &&
	    memcmp(f + HOSTILE_CANARY_OFF, canary, canary_len) == 0 &&
	    pattern_ok(f, HOSTILE_CANARY_OFF + (uint32_t)canary_len, len, seq))
		return true;
	return pattern_ok(f, HOSTILE_CANARY_OFF, len, seq);
}

/* ---- doorbells ---- */

/* A doorbell is a pipe (dpsr_bell.h): one byte per ring. */
void
hostile_db_wait(struct hostile *h, unsigned int which, int ms)
{
	struct pollfd p = { .fd = h->c.db[which], .events = POLLIN };
	uint8_t rung[256];
	ssize_t n;

	if (h->o->pci != NULL) {
		/* No interrupts through sysfs: a short nap instead of the doorbell. */
		if (ms > 0)
			usleep(1000);
		return;
	}
	if (poll(&p, 1, ms) == 1 && (n = read(p.fd, rung, sizeof(rung))) > 0)
		h->doorbells[which] += (uint64_t)n;
}

/* Eight bytes, as an eventfd wants them: a ring on any doorbell a switch may hand out. */
int
hostile_db_ring(struct hostile *h, unsigned int which)
{
	const uint64_t one = 1;

	if (h->o->pci != NULL)
		return hostile_pci_ring(h, which);
	return write(h->c.db[which], &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* ---- ring 2b: producing ---- */

uint32_t
hostile_tx_slot_buf(struct hostile *h, uint32_t slot)
{
	if (!h->dirty[slot])
		h->own[slot] = __atomic_load_n(&h->tx.shared->desc[slot].buf, __ATOMIC_RELAXED);
	return h->own[slot];
}

/*
 * What the switch must make of a descriptor is the library's checks in
 * their order, then the comparison with the switch's shadow (a peer may
 * not move buffers).
 */
void
hostile_tx_fill(struct hostile *h, uint32_t slot, uint32_t own, const struct dpsr_desc *d,
		uint32_t seq)
{
	const struct hostile_opts *o = h->o;
	struct dpsr_desc *sd = &h->tx.shared->desc[slot];
	enum dpsr_bad verdict = dpsr_desc_check(d, &h->v->lim);

	if (verdict == DPSR_OK && d->buf != own)
		verdict = DPSR_BAD_BUF;
	h->verdicts[verdict]++;
	/* A frame goes into the slot's own buffer only, wherever the descriptor points. */
	if (d->buf == own && own < h->v->lim.nb_bufs &&
	    (uint32_t)d->off + o->size <= h->v->lim.buf_size)
		hostile_frame_write(dpsr_buf(h->v, own) + d->off, o->size, seq, o->dst_mac,
				    o->canary, o->canary_len);
	if (h->dirty[slot] || d->buf != own) {
		__atomic_store_n(&sd->buf, d->buf, __ATOMIC_RELAXED);
		h->dirty[slot] = h->own_pinned || d->buf != own;
	}
	__atomic_store_n(&sd->off, d->off, __ATOMIC_RELAXED);
	__atomic_store_n(&sd->len, d->len, __ATOMIC_RELAXED);
	__atomic_store_n(&sd->flags, d->flags, __ATOMIC_RELAXED);
	__atomic_store_n(&sd->rsvd0, d->rsvd0, __ATOMIC_RELAXED);
	__atomic_store_n(&sd->rsvd1, d->rsvd1, __ATOMIC_RELAXED);
}

void
hostile_tx_publish(struct hostile *h, uint32_t k)
{
	h->tx.idx += k;
	__atomic_store_n(&h->tx.shared->prod, h->tx.idx, __ATOMIC_RELEASE);
	h->sent += k;
	if (dpsr_cons_kick_needed(&h->tx))
		hostile_db_ring(h, DPSR_DB_SWITCH_RX);
}

/*
 * Wait until ring 2b has room for @p want slots; the room, or 0 when the
 * attack is over or the switch took nothing for HOSTILE_STALL_S.
 */
static uint32_t
tx_wait_room(struct hostile *h, uint32_t want)
{
	double give_up = hostile_now() + HOSTILE_STALL_S;

	for (;;) {
		uint32_t cons = __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE);
		uint32_t room = dpsr_room(h->tx.size, h->tx.idx, cons);

		if (room >= want)
			return room;
		if (hostile_over(h))
			return 0;
		if (hostile_now() >= give_up) {
			h->stalled = true;
			return 0;
		}
		if (h->keep_wait) {
			hostile_db_wait(h, DPSR_DB_PEER_ROOM, HOSTILE_POLL_MS);
		} else if (room == 0 && dpsr_prod_sleep_prepare(&h->tx)) {
			hostile_db_wait(h, DPSR_DB_PEER_ROOM, HOSTILE_POLL_MS);
			dpsr_prod_sleep_done(&h->tx);
		} else {
			usleep(50);	/* some room, not yet a whole batch */
		}
	}
}

uint64_t
hostile_tx_produce(struct hostile *h, uint64_t until, uint32_t batch, bool whole,
		   hostile_make_fn make)
{
	uint64_t before = h->sent;

	while (h->sent < until && !hostile_over(h)) {
		uint32_t want = (uint32_t)hostile_min_u64(batch, until - h->sent);
		uint32_t room = tx_wait_room(h, whole ? want : 1), first = 0, k;

		if (room == 0)
			break;
		k = (uint32_t)hostile_min_u64(room, want);
		for (uint32_t j = 0; j < k; j++) {
			uint32_t slot = dpsr_slot(h->tx.size, h->tx.idx + j);
			struct hostile_slot s = { .i = h->sent + j, .j = j,
						  .own = hostile_tx_slot_buf(h, slot) };
			struct dpsr_desc d;

			if (j == 0)
				first = s.own;
			s.first = first;
			make(h, &s, &d);
			hostile_tx_fill(h, slot, s.own, &d, (uint32_t)s.i);
		}
		hostile_tx_publish(h, k);
	}
	return h->sent - before;
}

/*
 * The switch resets our rings when we go, dropping whatever it had not
 * taken, and its counters would then fall short of our report. Bounded,
 * even after a signal.
 */
void
hostile_tx_drain(struct hostile *h)
{
	double give_up = hostile_now() + HOSTILE_DRAIN_S;

	while (__atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE) != h->tx.idx &&
	       hostile_now() < give_up)
		usleep(100);
}

/* ---- ring 2b+1: consuming, carefully ---- */

/* A frame copied out of a checked descriptor: count it, look into it. */
static void
rx_account(struct hostile *h, uint32_t len)
{
	const struct hostile_opts *o = h->o;

	h->received++;
	h->rx_bytes += len;
	if (h->received == 1 || len < h->len_min)
		h->len_min = len;
	if (len > h->len_max)
		h->len_max = len;
	if (o->canary != NULL && memmem(h->frame, len, o->canary, o->canary_len) != NULL)
		h->canary_hits++;
	if (o->verify) {
		if (hostile_frame_ok(h->frame, len, o->dst_mac, o->canary, o->canary_len))
			h->verified++;
		else
			h->corrupt++;
	}
}

uint32_t
hostile_rx_consume(struct hostile *h, uint32_t max)
{
	uint32_t prod = __atomic_load_n(&h->rx.shared->prod, __ATOMIC_ACQUIRE);
	uint32_t avail = dpsr_used(prod, h->rx.idx);

	if (avail > h->rx.size) {
		h->rx_bad_index++;	/* the switch claims more than a ring */
		avail = h->rx.size;
	}
	if (avail > max)
		avail = max;
	for (uint32_t i = 0; i < avail; i++) {
		struct dpsr_desc d;

		dpsr_desc_fetch(&h->rx.shared->desc[dpsr_slot(h->rx.size, h->rx.idx + i)], &d);
		if (dpsr_desc_check(&d, &h->v->lim) != DPSR_OK) {
			h->bad_from_switch++;
			continue;
		}
		memcpy(h->frame, dpsr_buf(h->v, d.buf) + d.off, d.len);
		rx_account(h, d.len);
	}
	h->rx.idx += avail;
	h->taken += avail;
	__atomic_store_n(&h->rx.shared->cons, h->rx.idx, __ATOMIC_RELEASE);
	if (avail != 0 && dpsr_prod_kick_needed(&h->rx))
		hostile_db_ring(h, DPSR_DB_SWITCH_ROOM);
	return avail;
}

void
hostile_rx_sleep(struct hostile *h)
{
	if (h->keep_wait) {
		hostile_db_wait(h, DPSR_DB_PEER_RX, HOSTILE_POLL_MS);
	} else if (dpsr_cons_sleep_prepare(&h->rx)) {
		hostile_db_wait(h, DPSR_DB_PEER_RX, HOSTILE_POLL_MS);
		dpsr_cons_sleep_done(&h->rx);
	}
}
