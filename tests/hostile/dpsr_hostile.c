/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile: a deliberately malicious peer of a dpswitch shared-ring
 * port, for the attack tests (dts/test_shm_attack.py).
 *
 * It attaches like a good peer (docs/shm-protocol.md, "Attaching", one
 * queue pair) and then breaks the rules on its own two rings: ring 2b, on
 * which it produces for the switch, and ring 2b+1, on which it consumes
 * what the switch sends (b: the queue pair the welcome granted). Each
 * attack is one function in hostile_attacks[] and reports what it did as
 * one JSON object on stdout, so that a test can compare the switch's
 * counters with it exactly. tests/hostile/README.md says what each attack
 * does and what the switch must do about it.
 *
 * Hostile is not careless: whatever the switch writes is read once and
 * checked before it is used, as the protocol asks of any side, so a
 * misbehaving switch cannot crash this tool either.
 */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shm/dpsr_attach.h"

#define HOSTILE_EXIT_FAIL 1		/* attach failed, or the attack could not start */
#define HOSTILE_EXIT_USAGE 2
#define HOSTILE_COUNT_DEFAULT 1000
#define HOSTILE_FRAME_LEN 60
#define HOSTILE_ETHERTYPE 0x88b5	/* IEEE 802 local experimental */
#define HOSTILE_TAG "HOSTILE"
#define HOSTILE_TAG_LEN 7
#define HOSTILE_PAYLOAD_OFF 14
#define HOSTILE_SEQ_OFF (HOSTILE_PAYLOAD_OFF + HOSTILE_TAG_LEN)
#define HOSTILE_CANARY_OFF (HOSTILE_SEQ_OFF + 4)
#define HOSTILE_CANARY_TX_MAX (HOSTILE_FRAME_LEN - HOSTILE_CANARY_OFF)
#define HOSTILE_CANARY_MAX 256
#define HOSTILE_BATCH 32		/* descriptors per publish, at most */
#define HOSTILE_OVERLAP_BATCH 8
#define HOSTILE_POLL_MS 10
#define HOSTILE_STALL_S 5.0		/* no room for this long: the switch stalled */
#define HOSTILE_DRAIN_S 1.0		/* at the end, for the switch to take the rest */
#define HOSTILE_PROD_LIE 0x80000000u
#define HOSTILE_WAIT_FLAGS_GAP_NS 100000
#define HOSTILE_SEED 0x9e3779b97f4a7c15ull
#define HOSTILE_CONNECT_TIMEOUT_S 2
#define HOSTILE_WELCOME_TIMEOUT_MS 2000
#define HOSTILE_KEYS_MAX 24

struct hostile_attack;

struct hostile_opts {
	const char *path;
	const char *secret;
	const struct hostile_attack *attack;
	uint64_t count;
	bool count_set;
	double duration;		/* seconds; < 0: the attack's default */
	const char *canary;
	size_t canary_len;
	uint8_t dst_mac[6];
	bool json;
};

/* One entry of the report: a counter or a yes/no. */
struct hostile_key {
	const char *name;
	uint64_t value;
	bool is_bool;
};

struct hostile {
	const struct hostile_opts *o;
	struct dpsr_client c;
	bool attached;
	const struct dpsr_view *v;
	struct dpsr_qring tx;		/* ring 2b: we produce, the switch consumes */
	struct dpsr_qring rx;		/* ring 2b+1: the switch produces, we consume */
	/*
	 * Per slot of ring 2b: the buffer the switch gave it, as we last read
	 * it, and whether we have since written another index over it. The
	 * switch never rewrites the buf of a slot it refused, so a slot we
	 * dirtied is restored from own[] by its next good descriptor.
	 */
	uint32_t *own;
	bool *dirty;
	bool own_pinned;		/* flip: the flipper rewrites buf; own[] is the truth */
	bool keep_wait;			/* wait-flags: never lower our wait flags */
	double t_start, t_end;
	/* Ring 2b: what we published, and what the switch must count of it. */
	uint64_t sent;
	uint64_t verdicts[DPSR_BAD_MAX];
	uint64_t buf_out_of_range, buf_not_own;
	bool stalled;
	/* Ring 2b+1. */
	uint8_t *frame;			/* a private copy of one received frame */
	uint64_t taken, received, rx_bytes, canary_hits, bad_from_switch, rx_bad_index;
	uint64_t doorbells[DPSR_DB_PER_QPAIR];
	/* flip */
	int flip_stop;
	uint64_t flips;
	/* The report. */
	unsigned int nb_keys;
	struct hostile_key keys[HOSTILE_KEYS_MAX];
};

/* Descriptor number i of an attack, for a slot that owns buffer own. */
struct hostile_slot {
	uint64_t i;
	uint32_t j;			/* position in its batch */
	uint32_t own;
	uint32_t first;			/* the buffer of the batch's first slot */
};

typedef void (*hostile_make_fn)(struct hostile *h, const struct hostile_slot *s,
				struct dpsr_desc *d);

struct hostile_attack {
	const char *name;
	int (*run)(struct hostile *h);
	bool attach;			/* false: talks to the socket only */
	bool sends;			/* builds frames: --canary goes into them */
	double duration;		/* default --duration; 0: none, --count decides */
};

static volatile sig_atomic_t hostile_stop;

/* ---- small helpers ---- */

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Told to stop, or out of time. */
static bool
hostile_over(const struct hostile *h)
{
	return hostile_stop || now_s() >= h->t_end;
}

static uint64_t
xorshift64(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void
report_u64(struct hostile *h, const char *name, uint64_t value)
{
	if (h->nb_keys < HOSTILE_KEYS_MAX)
		h->keys[h->nb_keys++] = (struct hostile_key){ name, value, false };
}

static void
report_bool(struct hostile *h, const char *name, bool value)
{
	if (h->nb_keys < HOSTILE_KEYS_MAX)
		h->keys[h->nb_keys++] = (struct hostile_key){ name, value, true };
}

/* ---- doorbells ---- */

/* Wait up to @p ms on one of our queue pair's doorbells; count what rang. */
static void
doorbell_wait(struct hostile *h, unsigned int which, int ms)
{
	struct pollfd p = { .fd = h->c.db[which], .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, ms) == 1 && read(p.fd, &v, sizeof(v)) == sizeof(v))
		h->doorbells[which] += v;
}

static int
doorbell_ring(struct hostile *h, unsigned int which)
{
	uint64_t one = 1;

	return write(h->c.db[which], &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* ---- ring 2b: producing ---- */

/* Ethernet to --dst-mac from 02:66:66:66:66:<seq>, 0x88b5, "HOSTILE", seq, canary. */
static void
frame_write(const struct hostile *h, uint8_t *dst, uint32_t seq)
{
	uint8_t f[HOSTILE_FRAME_LEN] = { 0 };
	static const uint8_t src[5] = { 0x02, 0x66, 0x66, 0x66, 0x66 };

	memcpy(f, h->o->dst_mac, 6);
	memcpy(f + 6, src, sizeof(src));
	f[11] = (uint8_t)seq;
	f[12] = HOSTILE_ETHERTYPE >> 8;
	f[13] = HOSTILE_ETHERTYPE & 0xff;
	memcpy(f + HOSTILE_PAYLOAD_OFF, HOSTILE_TAG, HOSTILE_TAG_LEN);
	for (int k = 0; k < 4; k++)
		f[HOSTILE_SEQ_OFF + k] = (uint8_t)(seq >> (24 - 8 * k));
	if (h->o->canary != NULL && h->o->canary_len <= HOSTILE_CANARY_TX_MAX)
		memcpy(f + HOSTILE_CANARY_OFF, h->o->canary, h->o->canary_len);
	memcpy(dst, f, sizeof(f));
}

/* The buffer a slot of ring 2b owns: read once from the slot, unless we dirtied it. */
static uint32_t
tx_slot_buf(struct hostile *h, uint32_t slot)
{
	if (!h->dirty[slot])
		h->own[slot] = __atomic_load_n(&h->tx.shared->desc[slot].buf, __ATOMIC_RELAXED);
	return h->own[slot];
}

/*
 * Write @p d into @p slot, which owns buffer @p own, and count what the
 * switch must make of it: the library's checks in their order, then the
 * comparison with the switch's shadow (a peer may not move buffers).
 */
static void
tx_fill(struct hostile *h, uint32_t slot, uint32_t own, const struct dpsr_desc *d, uint32_t seq)
{
	struct dpsr_desc *sd = &h->tx.shared->desc[slot];
	enum dpsr_bad verdict = dpsr_desc_check(d, &h->v->lim);

	if (verdict == DPSR_OK && d->buf != own)
		verdict = DPSR_BAD_BUF;
	h->verdicts[verdict]++;
	/* A frame goes into the slot's own buffer only, wherever the descriptor points. */
	if (d->buf == own && own < h->v->lim.nb_bufs &&
	    (uint32_t)d->off + HOSTILE_FRAME_LEN <= h->v->lim.buf_size)
		frame_write(h, dpsr_buf(h->v, own) + d->off, seq);
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

/* Publish @p k filled slots, and ring the switch if it said it sleeps. */
static void
tx_publish(struct hostile *h, uint32_t k)
{
	h->tx.idx += k;
	__atomic_store_n(&h->tx.shared->prod, h->tx.idx, __ATOMIC_RELEASE);
	h->sent += k;
	if (dpsr_cons_kick_needed(&h->tx))
		doorbell_ring(h, DPSR_DB_SWITCH_RX);
}

/*
 * Wait until ring 2b has room for @p want slots; the room, or 0 when the
 * attack is over or the switch took nothing for HOSTILE_STALL_S.
 */
static uint32_t
tx_wait_room(struct hostile *h, uint32_t want)
{
	double give_up = now_s() + HOSTILE_STALL_S;

	for (;;) {
		uint32_t cons = __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE);
		uint32_t room = dpsr_room(h->tx.size, h->tx.idx, cons);

		if (room >= want)
			return room;
		if (hostile_over(h))
			return 0;
		if (now_s() >= give_up) {
			h->stalled = true;
			return 0;
		}
		if (h->keep_wait) {
			doorbell_wait(h, DPSR_DB_PEER_ROOM, HOSTILE_POLL_MS);
		} else if (room == 0 && dpsr_prod_sleep_prepare(&h->tx)) {
			doorbell_wait(h, DPSR_DB_PEER_ROOM, HOSTILE_POLL_MS);
			dpsr_prod_sleep_done(&h->tx);
		} else {
			usleep(50);	/* some room, not yet a whole batch */
		}
	}
}

/*
 * Produce on ring 2b until @p until descriptors were sent in all, in
 * batches of up to @p batch (exactly @p batch, or what is left, if
 * @p whole), each descriptor built by @p make. Returns how many it sent.
 */
static uint64_t
tx_produce(struct hostile *h, uint64_t until, uint32_t batch, bool whole, hostile_make_fn make)
{
	uint64_t before = h->sent;

	while (h->sent < until && !hostile_over(h)) {
		uint32_t want = (uint32_t)min_u64(batch, until - h->sent);
		uint32_t room = tx_wait_room(h, whole ? want : 1), first = 0, k;

		if (room == 0)
			break;
		k = (uint32_t)min_u64(room, want);
		for (uint32_t j = 0; j < k; j++) {
			uint32_t slot = dpsr_slot(h->tx.size, h->tx.idx + j);
			struct hostile_slot s = { .i = h->sent + j, .j = j,
						  .own = tx_slot_buf(h, slot) };
			struct dpsr_desc d;

			if (j == 0)
				first = s.own;
			s.first = first;
			make(h, &s, &d);
			tx_fill(h, slot, s.own, &d, (uint32_t)s.i);
		}
		tx_publish(h, k);
	}
	return h->sent - before;
}

/*
 * Before we detach, let the switch take what we published: it resets our
 * rings when we go, dropping whatever it had not taken, and its counters
 * would then fall short of our report. Bounded, even after a signal.
 */
static void
tx_drain(struct hostile *h)
{
	double give_up = now_s() + HOSTILE_DRAIN_S;

	while (__atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE) != h->tx.idx &&
	       now_s() < give_up)
		usleep(100);
}

/* ---- ring 2b+1: consuming, carefully ---- */

/* Take up to @p max descriptors the switch queued; returns how many. */
static uint32_t
rx_consume(struct hostile *h, uint32_t max)
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
		h->received++;
		h->rx_bytes += d.len;
		if (h->o->canary != NULL &&
		    memmem(h->frame, d.len, h->o->canary, h->o->canary_len) != NULL)
			h->canary_hits++;
	}
	h->rx.idx += avail;
	h->taken += avail;
	__atomic_store_n(&h->rx.shared->cons, h->rx.idx, __ATOMIC_RELEASE);
	if (avail != 0 && dpsr_prod_kick_needed(&h->rx))
		doorbell_ring(h, DPSR_DB_SWITCH_ROOM);
	return avail;
}

/* Nothing to take: sleep as the protocol says (flag, fence, re-check, poll, clear). */
static void
rx_sleep(struct hostile *h)
{
	if (h->keep_wait) {
		doorbell_wait(h, DPSR_DB_PEER_RX, HOSTILE_POLL_MS);
	} else if (dpsr_cons_sleep_prepare(&h->rx)) {
		doorbell_wait(h, DPSR_DB_PEER_RX, HOSTILE_POLL_MS);
		dpsr_cons_sleep_done(&h->rx);
	}
}

/* ---- descriptors ---- */

static void
make_good(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	(void)h;
	*d = (struct dpsr_desc){ .buf = s->own, .off = DPSR_HEADROOM, .len = HOSTILE_FRAME_LEN };
}

/* Out of the pool, then in the pool but another slot's, alternately. */
static void
make_bad_buf(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	uint32_t nb = h->v->lim.nb_bufs;
	const uint32_t outside[] = { nb, nb + 1, UINT32_MAX };
	/* Buffer 0 is ring 0 slot 0's: when that is us, name the last spare. */
	const uint32_t inside[] = { s->own ^ 1, s->own != 0 ? 0 : nb - 1 };

	make_good(h, s, d);
	d->buf = s->i % 2 == 0 ? outside[s->i / 2 % 3] : inside[s->i / 2 % 2];
	if (d->buf >= nb)
		h->buf_out_of_range++;
	else
		h->buf_not_own++;
}

/* The slot's own buffer at offset 0 with an impossible length. */
static void
make_bad_len(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	uint32_t bs = h->v->lim.buf_size;
	const uint16_t lens[] = { 0, 13, DPSR_FRAME_MAX + 1, 65535, (uint16_t)(bs + 1) };
	/* buf_size + 1 only when it fits the field. */
	unsigned int n = bs + 1 <= UINT16_MAX ? 5 : 4;

	*d = (struct dpsr_desc){ .buf = s->own, .off = 0, .len = lens[s->i % n] };
}

/* A legal length that runs past the end of the buffer. */
static void
make_bad_range(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	uint32_t bs = h->v->lim.buf_size;
	const uint16_t offs[] = { (uint16_t)(bs - 10), UINT16_MAX,
				  (uint16_t)(bs - HOSTILE_FRAME_LEN + 1) };

	make_good(h, s, d);
	d->off = offs[s->i % 3];
}

/* A good descriptor with a flag or a reserved field set: these, in turn. */
static const struct {
	uint16_t flags, rsvd0;
	uint32_t rsvd1;
} bad_flags_pattern[] = {
	{ 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 0x8000, 0, 0 }, { 0, 0, UINT32_MAX },
};

static void
make_bad_flags(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	size_t n = sizeof(bad_flags_pattern) / sizeof(bad_flags_pattern[0]);

	make_good(h, s, d);
	d->flags = bad_flags_pattern[s->i % n].flags;
	d->rsvd0 = bad_flags_pattern[s->i % n].rsvd0;
	d->rsvd1 = bad_flags_pattern[s->i % n].rsvd1;
}

static const hostile_make_fn mixed_pattern[] = {
	make_good, make_bad_buf, make_bad_len, make_bad_range, make_bad_flags,
};
#define MIXED_N (sizeof(mixed_pattern) / sizeof(mixed_pattern[0]))

/* Each kind in turn; each kind cycles its own variants. */
static void
make_mixed(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	struct hostile_slot sub = *s;

	sub.i = s->i / MIXED_N;
	mixed_pattern[s->i % MIXED_N](h, &sub, d);
}

/* Every slot of a batch names the first one's buffer, windows overlapping. */
static void
make_overlap(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	make_good(h, s, d);
	d->buf = s->first;
	d->off = (uint16_t)(DPSR_HEADROOM + 8 * s->j);
}

/* ---- attacks ---- */

static void
report_unconsumed(struct hostile *h)
{
	uint32_t cons = __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE);

	report_u64(h, "unconsumed", dpsr_used(h->tx.idx, cons));
}

/* What we sent, and what the switch must have counted of it. */
static void
report_tx(struct hostile *h)
{
	report_u64(h, "sent", h->sent);
	report_u64(h, "good", h->verdicts[DPSR_OK]);
	report_u64(h, "bad_buf", h->verdicts[DPSR_BAD_BUF]);
	report_u64(h, "bad_len", h->verdicts[DPSR_BAD_LEN]);
	report_u64(h, "bad_range", h->verdicts[DPSR_BAD_RANGE]);
	report_u64(h, "bad_flags", h->verdicts[DPSR_BAD_FLAGS]);
	report_bool(h, "stalled", h->stalled);
}

/* The end of an attack that produced honestly indexed frames. */
static void
tx_finish(struct hostile *h)
{
	tx_drain(h);
	report_tx(h);
	report_unconsumed(h);
}

static void
report_rx(struct hostile *h)
{
	report_u64(h, "received", h->received);
	report_u64(h, "bytes", h->rx_bytes);
	report_u64(h, "canary_hits", h->canary_hits);
	report_u64(h, "bad_from_switch", h->bad_from_switch);
	report_u64(h, "bad_index", h->rx_bad_index);
	report_u64(h, "doorbells", h->doorbells[DPSR_DB_PEER_RX]);
}

static int
attack_good(struct hostile *h)
{
	tx_produce(h, h->o->count, HOSTILE_BATCH, false, make_good);
	tx_finish(h);
	return 0;
}

static int
attack_bad_buf(struct hostile *h)
{
	tx_produce(h, h->o->count, HOSTILE_BATCH, false, make_bad_buf);
	tx_finish(h);
	report_u64(h, "out_of_range", h->buf_out_of_range);
	report_u64(h, "not_own", h->buf_not_own);
	return 0;
}

static int
attack_bad_len(struct hostile *h)
{
	tx_produce(h, h->o->count, HOSTILE_BATCH, false, make_bad_len);
	tx_finish(h);
	return 0;
}

static int
attack_bad_range(struct hostile *h)
{
	tx_produce(h, h->o->count, HOSTILE_BATCH, false, make_bad_range);
	tx_finish(h);
	return 0;
}

static int
attack_bad_flags(struct hostile *h)
{
	tx_produce(h, h->o->count, HOSTILE_BATCH, false, make_bad_flags);
	tx_finish(h);
	return 0;
}

static int
attack_mixed(struct hostile *h)
{
	tx_produce(h, h->o->count, HOSTILE_BATCH, false, make_mixed);
	tx_finish(h);
	report_u64(h, "out_of_range", h->buf_out_of_range);
	report_u64(h, "not_own", h->buf_not_own);
	return 0;
}

static int
attack_overlap(struct hostile *h)
{
	/* Whole batches, so that the counts do not depend on timing. */
	tx_produce(h, h->o->count, HOSTILE_OVERLAP_BATCH, true, make_overlap);
	tx_finish(h);
	return 0;
}

/*
 * Fill every free slot with a good frame, then claim half the index space:
 * whatever the switch takes past the real frames is stale, never wild.
 */
static int
attack_bad_prod(struct hostile *h)
{
	uint32_t cons = __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE);
	uint32_t room = dpsr_room(h->tx.size, h->tx.idx, cons), end;

	for (uint32_t j = 0; j < room; j++) {
		uint32_t slot = dpsr_slot(h->tx.size, h->tx.idx + j);
		struct hostile_slot s = { .i = j, .j = j, .own = tx_slot_buf(h, slot) };
		struct dpsr_desc d;

		make_good(h, &s, &d);
		tx_fill(h, slot, s.own, &d, j);
	}
	__atomic_store_n(&h->tx.shared->prod, cons + HOSTILE_PROD_LIE, __ATOMIC_RELEASE);
	h->sent = room;
	if (dpsr_cons_kick_needed(&h->tx))
		doorbell_ring(h, DPSR_DB_SWITCH_RX);
	while (!hostile_over(h))
		doorbell_wait(h, DPSR_DB_PEER_ROOM, HOSTILE_POLL_MS);
	end = __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE);
	report_tx(h);
	report_u64(h, "claimed", HOSTILE_PROD_LIE);
	report_u64(h, "cons_advance", end - cons);
	return 0;
}

/*
 * The flipper: every field the switch checks, in every slot of ring 2b,
 * toggled between a good and a bad value, field by field, pass after pass,
 * so that a switch that reads a field twice sees the check pass and the
 * use fail.
 */
static void *
flip_loop(void *arg)
{
	struct hostile *h = arg;
	uint64_t pass = 0, flips = 0;

	while (!__atomic_load_n(&h->flip_stop, __ATOMIC_RELAXED)) {
		for (uint32_t s = 0; s < h->tx.size; s++) {
			struct dpsr_desc *d = &h->tx.shared->desc[s];
			uint32_t bits = (uint32_t)(pass + s);

			__atomic_store_n(&d->buf, bits & 1 ? UINT32_MAX : h->own[s], __ATOMIC_RELAXED);
			__atomic_store_n(&d->off, (uint16_t)(bits & 2 ? 65000 : DPSR_HEADROOM),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&d->len, (uint16_t)(bits & 4 ? UINT16_MAX : HOSTILE_FRAME_LEN),
					 __ATOMIC_RELAXED);
		}
		flips += h->tx.size;
		pass++;
	}
	__atomic_store_n(&h->flips, flips, __ATOMIC_RELAXED);
	return NULL;
}

static int
attack_flip(struct hostile *h)
{
	pthread_t th;
	int rc;

	/* The flipper garbles buf too: take every slot's buffer now, and keep it. */
	for (uint32_t s = 0; s < h->tx.size; s++) {
		tx_slot_buf(h, s);
		h->dirty[s] = true;
	}
	h->own_pinned = true;
	rc = pthread_create(&th, NULL, flip_loop, h);
	if (rc != 0)
		return -rc;
	tx_produce(h, UINT64_MAX, HOSTILE_BATCH, false, make_good);
	__atomic_store_n(&h->flip_stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	tx_drain(h);
	report_u64(h, "sent", h->sent);
	report_u64(h, "flips", h->flips);
	report_bool(h, "stalled", h->stalled);
	report_unconsumed(h);
	return 0;
}

/* Ask to be woken and never take anything: the switch must not wait for us. */
static int
attack_hoard(struct hostile *h)
{
	uint32_t prod;

	while (!hostile_over(h)) {
		__atomic_store_n(&h->rx.shared->cons_wait, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		doorbell_wait(h, DPSR_DB_PEER_RX, HOSTILE_POLL_MS);
	}
	prod = __atomic_load_n(&h->rx.shared->prod, __ATOMIC_ACQUIRE);
	report_u64(h, "queued", dpsr_used(prod, h->rx.idx));
	report_u64(h, "doorbells", h->doorbells[DPSR_DB_PEER_RX]);
	return 0;
}

/* Ring the switch's two doorbells as fast as a system call allows. */
static int
attack_doorbell_flood(struct hostile *h)
{
	uint64_t writes = 0, eagain = 0;

	while (!hostile_over(h)) {
		for (unsigned int k = 0; k < 512; k++) {
			if (doorbell_ring(h, DPSR_DB_SWITCH_RX) == -EAGAIN)
				eagain++;
			if (doorbell_ring(h, DPSR_DB_SWITCH_ROOM) == -EAGAIN)
				eagain++;
			writes += 2;
		}
	}
	report_u64(h, "writes", writes);
	report_u64(h, "eagain", eagain);
	return 0;
}

/* Claim to sleep on both rings forever: every batch of the switch costs it a write. */
static int
attack_wait_flags(struct hostile *h)
{
	struct timespec next;

	h->keep_wait = true;
	__atomic_store_n(&h->tx.shared->prod_wait, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->rx.shared->cons_wait, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (h->sent < h->o->count && !hostile_over(h)) {
		if (tx_produce(h, h->sent + 1, 1, false, make_good) == 0)
			break;
		rx_consume(h, UINT32_MAX);
		next.tv_nsec += HOSTILE_WAIT_FLAGS_GAP_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	tx_drain(h);
	rx_consume(h, UINT32_MAX);
	doorbell_wait(h, DPSR_DB_PEER_ROOM, 0);
	doorbell_wait(h, DPSR_DB_PEER_RX, 0);
	report_tx(h);
	report_unconsumed(h);
	report_u64(h, "received", h->received);
	report_u64(h, "bad_from_switch", h->bad_from_switch);
	report_u64(h, "doorbells_room", h->doorbells[DPSR_DB_PEER_ROOM]);
	report_u64(h, "doorbells_rx", h->doorbells[DPSR_DB_PEER_RX]);
	return 0;
}

/* Pseudo-random words over both rings, headers and descriptors alike. */
static int
attack_scribble(struct hostile *h)
{
	uint64_t x = HOSTILE_SEED, bytes = 0, passes = 0;
	uint64_t words = dpsr_ring_bytes(h->v->ring_size) / sizeof(uint64_t);
	uint64_t *rings[] = { (uint64_t *)h->tx.shared, (uint64_t *)h->rx.shared };

	while (!hostile_over(h)) {
		for (unsigned int r = 0; r < 2; r++) {
			for (uint64_t k = 0; k < words; k++)
				__atomic_store_n(&rings[r][k], xorshift64(&x), __ATOMIC_RELAXED);
			bytes += words * sizeof(uint64_t);
		}
		passes++;
	}
	report_u64(h, "bytes", bytes);
	report_u64(h, "passes", passes);
	report_u64(h, "seed", HOSTILE_SEED);
	return 0;
}

/* A careful receiver: what reaches us, and whether --canary is in it. */
static int
attack_rx(struct hostile *h)
{
	uint64_t limit = h->o->count_set ? h->o->count : UINT64_MAX;

	while (h->taken < limit && !hostile_over(h))
		if (rx_consume(h, (uint32_t)min_u64(limit - h->taken, UINT32_MAX)) == 0)
			rx_sleep(h);
	report_rx(h);
	return 0;
}

/* Connect, bounded in time: a switch that stops accepting must not hang us. */
static int
flood_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = HOSTILE_CONNECT_TIMEOUT_S };
	int fd, rc;

	memcpy(sa.sun_path, path, strlen(path) + 1);	/* length checked with the options */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* A hello of another version; 1: refused, 0: accepted (a bug), -1: no answer. */
static int
wrong_version(int fd, const char *secret)
{
	int fds[DPSR_FDS_MAX];
	struct dpsr_welcome w;
	struct dpsr_hello hl;
	unsigned int nfds = 0;
	int n;

	dpsr_hello_init(&hl, 1, secret);
	hl.version = DPSR_VERSION + 1;
	if (send(fd, &hl, sizeof(hl), MSG_NOSIGNAL) != sizeof(hl))
		return -1;
	n = dpsr_msg_recv(fd, &w, sizeof(w), fds, DPSR_FDS_MAX, &nfds,
			  HOSTILE_WELCOME_TIMEOUT_MS);
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	if (n < (int)(offsetof(struct dpsr_welcome, status) + sizeof(w.status)))
		return -1;
	return w.status != 0;
}

static int
attack_connect_flood(struct hostile *h)
{
	uint64_t conns = 0, failed = 0, garbage = 0, refused = 0, accepted = 0, silent = 0;
	uint64_t x = HOSTILE_SEED;
	int fd, answer;

	for (uint64_t i = 0; i < 2 * h->o->count && !hostile_stop; i++) {
		uint64_t junk[sizeof(struct dpsr_hello) / sizeof(uint64_t)];

		fd = flood_connect(h->o->path);
		if (fd < 0 && i == 0)
			return fd;	/* nothing listens there: a mistake, not a result */
		if (fd < 0) {
			failed++;
			continue;
		}
		conns++;
		/* The first half say nothing; the second half say garbage. */
		if (i >= h->o->count) {
			for (size_t k = 0; k < sizeof(junk) / sizeof(junk[0]); k++)
				junk[k] = xorshift64(&x);
			if ((uint32_t)junk[0] == DPSR_MAGIC)
				junk[0] ^= 1;
			if (send(fd, junk, sizeof(junk), MSG_NOSIGNAL) == sizeof(junk))
				garbage++;
		}
		close(fd);
	}
	fd = hostile_stop ? -EINTR : flood_connect(h->o->path);
	if (fd >= 0) {
		conns++;
		answer = wrong_version(fd, h->o->secret);
		refused += answer == 1;
		accepted += answer == 0;
		silent += answer < 0;
		close(fd);
	} else if (!hostile_stop) {
		failed++;
	}
	report_u64(h, "connections", conns);
	report_u64(h, "connect_failed", failed);
	report_u64(h, "garbage_hellos", garbage);
	report_u64(h, "refused", refused);
	report_u64(h, "accepted", accepted);
	report_u64(h, "no_welcome", silent);
	return 0;
}

static const struct hostile_attack hostile_attacks[] = {
	{ "good", attack_good, true, true, 0 },
	{ "bad-buf", attack_bad_buf, true, true, 0 },
	{ "bad-len", attack_bad_len, true, true, 0 },
	{ "bad-range", attack_bad_range, true, true, 0 },
	{ "bad-flags", attack_bad_flags, true, true, 0 },
	{ "mixed", attack_mixed, true, true, 0 },
	{ "bad-prod", attack_bad_prod, true, true, 1 },
	{ "overlap", attack_overlap, true, true, 0 },
	{ "flip", attack_flip, true, true, 2 },
	{ "hoard", attack_hoard, true, false, 2 },
	{ "doorbell-flood", attack_doorbell_flood, true, false, 2 },
	{ "wait-flags", attack_wait_flags, true, true, 0 },
	{ "scribble", attack_scribble, true, false, 2 },
	{ "rx", attack_rx, true, false, 2 },
	{ "connect-flood", attack_connect_flood, false, false, 0 },
};
#define HOSTILE_NB_ATTACKS (sizeof(hostile_attacks) / sizeof(hostile_attacks[0]))

/* ---- command line ---- */

static void
usage(FILE *f)
{
	fprintf(f, "usage: dpsr-hostile --path SOCK [--secret S] --attack NAME [--count N] "
		"[--duration SEC] [--canary STR] [--dst-mac MAC] [--json]\nattacks:");
	for (size_t i = 0; i < HOSTILE_NB_ATTACKS; i++)
		fprintf(f, " %s", hostile_attacks[i].name);
	fprintf(f, "\n");
}

/* Each returns 0, or prints one line and returns -EINVAL. */
static int
bad_value(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "dpsr-hostile: --%s '%s' is not %s\n", opt, val, want);
	return -EINVAL;
}

static int
opt_path(struct hostile_opts *o, const char *v)
{
	if (v[0] == '\0' || strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return bad_value("path", v, "a socket path of 1..107 bytes");
	o->path = v;
	return 0;
}

static int
opt_secret(struct hostile_opts *o, const char *v)
{
	if (strlen(v) > DPSR_SECRET_MAX)
		return bad_value("secret", v, "a secret of at most 64 bytes");
	o->secret = v;
	return 0;
}

static int
opt_attack(struct hostile_opts *o, const char *v)
{
	for (size_t i = 0; i < HOSTILE_NB_ATTACKS; i++) {
		if (strcmp(hostile_attacks[i].name, v) == 0) {
			o->attack = &hostile_attacks[i];
			return 0;
		}
	}
	fprintf(stderr, "dpsr-hostile: --attack '%s' is unknown; one of", v);
	for (size_t i = 0; i < HOSTILE_NB_ATTACKS; i++)
		fprintf(stderr, "%s %s", i == 0 ? "" : ",", hostile_attacks[i].name);
	fprintf(stderr, "\n");
	return -EINVAL;
}

static int
opt_count(struct hostile_opts *o, const char *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n == 0 || n > UINT32_MAX)
		return bad_value("count", v, "a number in 1..4294967295");
	o->count = n;
	o->count_set = true;
	return 0;
}

static int
opt_duration(struct hostile_opts *o, const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(d > 0 && d <= 86400))
		return bad_value("duration", v, "a number of seconds in (0, 86400]");
	o->duration = d;
	return 0;
}

static int
opt_canary(struct hostile_opts *o, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > HOSTILE_CANARY_MAX)
		return bad_value("canary", v, "a string of 1..256 bytes");
	o->canary = v;
	o->canary_len = n;
	return 0;
}

static int
opt_dst_mac(struct hostile_opts *o, const char *v)
{
	unsigned int b[6];
	int used = -1;

	if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &used) != 6 || used < 0 || v[used] != '\0')
		return bad_value("dst-mac", v, "a MAC address like 02:00:00:00:00:01");
	for (int i = 0; i < 6; i++)
		o->dst_mac[i] = (uint8_t)b[i];
	return 0;
}

static int
opt_json(struct hostile_opts *o, const char *v)
{
	(void)v;
	o->json = true;
	return 0;
}

static const struct hostile_option {
	const char *name;
	bool has_arg;
	int (*parse)(struct hostile_opts *o, const char *v);
} hostile_options[] = {
	{ "path", true, opt_path },
	{ "secret", true, opt_secret },
	{ "attack", true, opt_attack },
	{ "count", true, opt_count },
	{ "duration", true, opt_duration },
	{ "canary", true, opt_canary },
	{ "dst-mac", true, opt_dst_mac },
	{ "json", false, opt_json },
};
#define HOSTILE_NB_OPTIONS (sizeof(hostile_options) / sizeof(hostile_options[0]))
#define HOSTILE_OPT_HELP 0x1ff

/* 0: run; 1: --help printed; -EINVAL: a line on stderr said what is wrong. */
static int
parse_args(int argc, char **argv, struct hostile_opts *o)
{
	struct option longopts[HOSTILE_NB_OPTIONS + 2] = { { 0 } };
	int c;

	*o = (struct hostile_opts){ .count = HOSTILE_COUNT_DEFAULT, .duration = -1,
				    .dst_mac = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	for (size_t i = 0; i < HOSTILE_NB_OPTIONS; i++)
		longopts[i] = (struct option){ hostile_options[i].name,
					       hostile_options[i].has_arg ? required_argument
									  : no_argument,
					       NULL, 0x100 + (int)i };
	longopts[HOSTILE_NB_OPTIONS] = (struct option){ "help", no_argument, NULL,
							HOSTILE_OPT_HELP };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == HOSTILE_OPT_HELP) {
			usage(stdout);
			return 1;
		}
		if (c == ':' || c == '?') {
			fprintf(stderr, "dpsr-hostile: %s '%s'; see --help\n",
				c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
			return -EINVAL;
		}
		if (hostile_options[c - 0x100].parse(o, optarg) != 0)
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "dpsr-hostile: unexpected argument '%s'; see --help\n", argv[optind]);
		return -EINVAL;
	}
	if (o->path == NULL || o->attack == NULL) {
		fprintf(stderr, "dpsr-hostile: --path and --attack are required; see --help\n");
		return -EINVAL;
	}
	if (o->attack->sends && o->canary_len > HOSTILE_CANARY_TX_MAX)
		return bad_value("canary", o->canary,
				 "1..35 bytes, as an attack that sends puts it in a 60-byte frame");
	return 0;
}

/* ---- main ---- */

static void
on_signal(int sig)
{
	(void)sig;
	hostile_stop = 1;
}

static void
signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal cuts a poll() short, and the loop sees the flag. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int
hostile_attach(struct hostile *h)
{
	struct dps_err err = { "" };
	uint32_t base;
	int rc;

	rc = dpsr_client_attach(&h->c, h->o->path, h->o->secret, 1, &err);
	if (rc != 0) {
		fprintf(stderr, "dpsr-hostile: cannot attach: %s\n", err.msg);
		return rc;
	}
	h->attached = true;
	h->v = &h->c.view;
	base = h->c.qpair_base;
	dpsr_qring_init(&h->tx, h->v, 2 * base);
	dpsr_qring_init(&h->rx, h->v, 2 * base + 1);
	/* Our indices start where the switch left them: 0 after its reset. */
	h->tx.idx = __atomic_load_n(&h->tx.shared->prod, __ATOMIC_RELAXED);
	h->rx.idx = __atomic_load_n(&h->rx.shared->cons, __ATOMIC_RELAXED);
	h->own = calloc(h->tx.size, sizeof(*h->own));
	h->dirty = calloc(h->tx.size, sizeof(*h->dirty));
	h->frame = malloc(h->v->lim.buf_size);
	if (h->own == NULL || h->dirty == NULL || h->frame == NULL) {
		fprintf(stderr, "dpsr-hostile: out of memory\n");
		return -ENOMEM;
	}
	return 0;
}

static void
hostile_release(struct hostile *h)
{
	free(h->own);
	free(h->dirty);
	free(h->frame);
	if (h->attached)
		dpsr_client_detach(&h->c);
}

static void
report_print(const struct hostile *h, const char *attack)
{
	const char *sep = h->o->json ? ", " : ",\n  ";

	printf("{%s\"attack\": \"%s\"%s\"attached\": %s", h->o->json ? "" : "\n  ", attack,
	       sep, h->attached ? "true" : "false");
	for (unsigned int i = 0; i < h->nb_keys; i++) {
		const struct hostile_key *k = &h->keys[i];

		if (k->is_bool)
			printf("%s\"%s\": %s", sep, k->name, k->value ? "true" : "false");
		else
			printf("%s\"%s\": %" PRIu64, sep, k->name, k->value);
	}
	printf("%s}\n", h->o->json ? "" : "\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static struct hostile h;
	struct hostile_opts o;
	const struct hostile_attack *a;
	double duration;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : HOSTILE_EXIT_USAGE;
	a = o.attack;
	signals_init();
	h.o = &o;
	if (a->attach && hostile_attach(&h) != 0) {
		hostile_release(&h);
		return HOSTILE_EXIT_FAIL;
	}
	duration = o.duration > 0 ? o.duration : a->duration;
	h.t_start = now_s();
	h.t_end = duration > 0 ? h.t_start + duration : DBL_MAX;
	rc = a->run(&h);
	if (rc != 0) {
		fprintf(stderr, "dpsr-hostile: attack %s on '%s' could not run: %s\n", a->name,
			o.path, strerror(-rc));
		hostile_release(&h);
		return HOSTILE_EXIT_FAIL;
	}
	if (h.attached)
		report_u64(&h, "qpair_base", h.c.qpair_base);
	report_u64(&h, "elapsed_ms", (uint64_t)((now_s() - h.t_start) * 1000));
	report_bool(&h, "interrupted", hostile_stop != 0);
	report_print(&h, a->name);
	hostile_release(&h);
	return 0;
}
