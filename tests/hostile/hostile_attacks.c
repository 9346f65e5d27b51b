/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile: the attacks. Each is one function that misbehaves on the
 * port's rings (through the producing and consuming helpers of
 * hostile_ring.c, or around them) and adds what it did to the report;
 * hostile_attacks[] names them. tests/hostile/README.md says what each one
 * does and what the switch must do about it.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

/* ---- descriptors ---- */

void
hostile_make_good(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	*d = (struct dpsr_desc){ .buf = s->own, .off = DPSR_HEADROOM, .len = h->o->size };
}

/* Out of the pool, then in the pool but another slot's, alternately. */
static void
make_bad_buf(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d)
{
	uint32_t nb = h->v->lim.nb_bufs;
	const uint32_t outside[] = { nb, nb + 1, UINT32_MAX };
	/* Buffer 0 is ring 0 slot 0's: when that is us, name the last spare. */
	const uint32_t inside[] = { s->own ^ 1, s->own != 0 ? 0 : nb - 1 };

	hostile_make_good(h, s, d);
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
				  (uint16_t)(bs - h->o->size + 1) };

	hostile_make_good(h, s, d);
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

	hostile_make_good(h, s, d);
	d->flags = bad_flags_pattern[s->i % n].flags;
	d->rsvd0 = bad_flags_pattern[s->i % n].rsvd0;
	d->rsvd1 = bad_flags_pattern[s->i % n].rsvd1;
}

static const hostile_make_fn mixed_pattern[] = {
	hostile_make_good, make_bad_buf, make_bad_len, make_bad_range, make_bad_flags,
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
	hostile_make_good(h, s, d);
	d->buf = s->first;
	d->off = (uint16_t)(DPSR_HEADROOM + 8 * s->j);
}

/* ---- attacks ---- */

static void
report_unconsumed(struct hostile *h)
{
	uint32_t cons = __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE);

	hostile_report_u64(h, "unconsumed", dpsr_used(h->tx.idx, cons));
}

/* What we sent, and what the switch must have counted of it. */
static void
report_tx(struct hostile *h)
{
	hostile_report_u64(h, "sent", h->sent);
	hostile_report_u64(h, "good", h->verdicts[DPSR_OK]);
	hostile_report_u64(h, "bad_buf", h->verdicts[DPSR_BAD_BUF]);
	hostile_report_u64(h, "bad_len", h->verdicts[DPSR_BAD_LEN]);
	hostile_report_u64(h, "bad_range", h->verdicts[DPSR_BAD_RANGE]);
	hostile_report_u64(h, "bad_flags", h->verdicts[DPSR_BAD_FLAGS]);
	hostile_report_bool(h, "stalled", h->stalled);
}

/* The end of an attack that produced honestly indexed frames. */
static void
tx_finish(struct hostile *h)
{
	hostile_tx_drain(h);
	report_tx(h);
	report_unconsumed(h);
}

static void
report_rx(struct hostile *h)
{
	hostile_report_u64(h, "received", h->received);
	hostile_report_u64(h, "bytes", h->rx_bytes);
	hostile_report_u64(h, "canary_hits", h->canary_hits);
	hostile_report_u64(h, "bad_from_switch", h->bad_from_switch);
	hostile_report_u64(h, "bad_index", h->rx_bad_index);
	hostile_report_u64(h, "doorbells", h->doorbells[DPSR_DB_PEER_RX]);
	hostile_report_u64(h, "len_min", h->len_min);
	hostile_report_u64(h, "len_max", h->len_max);
	if (h->o->verify) {
		hostile_report_u64(h, "verified", h->verified);
		hostile_report_u64(h, "corrupt", h->corrupt);
	}
}

/*
 * The attacks that only differ in the descriptors they write (the
 * attack's make): a batch at a time, then wait for the switch to take all.
 */
static int
attack_produce(struct hostile *h)
{
	hostile_tx_produce(h, h->o->count, HOSTILE_BATCH, false, h->o->attack->make);
	tx_finish(h);
	hostile_report_u64(h, "out_of_range", h->buf_out_of_range);
	hostile_report_u64(h, "not_own", h->buf_not_own);
	return 0;
}

static int
attack_overlap(struct hostile *h)
{
	/* Whole batches, so that the counts do not depend on timing. */
	hostile_tx_produce(h, h->o->count, HOSTILE_OVERLAP_BATCH, true, make_overlap);
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
		struct hostile_slot s = { .i = j, .j = j, .own = hostile_tx_slot_buf(h, slot) };
		struct dpsr_desc d;

		hostile_make_good(h, &s, &d);
		hostile_tx_fill(h, slot, s.own, &d, j);
	}
	__atomic_store_n(&h->tx.shared->prod, cons + HOSTILE_PROD_LIE, __ATOMIC_RELEASE);
	h->sent = room;
	if (dpsr_cons_kick_needed(&h->tx))
		hostile_db_ring(h, DPSR_DB_SWITCH_RX);
	while (!hostile_over(h))
		hostile_db_wait(h, DPSR_DB_PEER_ROOM, HOSTILE_POLL_MS);
	end = __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE);
	report_tx(h);
	hostile_report_u64(h, "claimed", HOSTILE_PROD_LIE);
	hostile_report_u64(h, "cons_advance", end - cons);
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
			__atomic_store_n(&d->len, (uint16_t)(bits & 4 ? UINT16_MAX : h->o->size),
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
		hostile_tx_slot_buf(h, s);
		h->dirty[s] = true;
	}
	h->own_pinned = true;
	rc = pthread_create(&th, NULL, flip_loop, h);
	if (rc != 0)
		return -rc;
	hostile_tx_produce(h, UINT64_MAX, HOSTILE_BATCH, false, hostile_make_good);
	__atomic_store_n(&h->flip_stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	hostile_tx_drain(h);
	hostile_report_u64(h, "sent", h->sent);
	hostile_report_u64(h, "flips", h->flips);
	hostile_report_bool(h, "stalled", h->stalled);
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
		hostile_db_wait(h, DPSR_DB_PEER_RX, HOSTILE_POLL_MS);
	}
	prod = __atomic_load_n(&h->rx.shared->prod, __ATOMIC_ACQUIRE);
	hostile_report_u64(h, "queued", dpsr_used(prod, h->rx.idx));
	hostile_report_u64(h, "doorbells", h->doorbells[DPSR_DB_PEER_RX]);
	return 0;
}

/* Ring the switch's two doorbells as fast as a system call allows. */
static int
attack_doorbell_flood(struct hostile *h)
{
	uint64_t writes = 0, eagain = 0;

	while (!hostile_over(h)) {
		for (unsigned int k = 0; k < 512; k++) {
			if (hostile_db_ring(h, DPSR_DB_SWITCH_RX) == -EAGAIN)
				eagain++;
			if (hostile_db_ring(h, DPSR_DB_SWITCH_ROOM) == -EAGAIN)
				eagain++;
			writes += 2;
		}
	}
	hostile_report_u64(h, "writes", writes);
	hostile_report_u64(h, "eagain", eagain);
	return 0;
}

/*
 * --ivshmem: a guest whose driver stops and starts again on one QEMU
 * connection (an application restarted, a guest rebooted): --count good
 * frames in three rounds, the driver stopped and started between them;
 * each start finds the rings reset, so both indices start again at 0.
 */
int
hostile_attack_restart(struct hostile *h)
{
	const unsigned int rounds = 3;
	uint64_t restarts = 0;
	bool ok = true;

	if (h->ctl < 0)
		return -ENOTSUP;
	for (unsigned int k = 0; k < rounds && ok; k++) {
		hostile_tx_produce(h, h->o->count * (k + 1) / rounds, HOSTILE_BATCH, false,
				   hostile_make_good);
		hostile_tx_drain(h);
		if (k + 1 == rounds)
			break;
		ok = dpsr_guest_ctl(&h->c, h->ctl, false, false, HOSTILE_WELCOME_TIMEOUT_MS) == 0 &&
		     dpsr_guest_ctl(&h->c, h->ctl, true, false, HOSTILE_WELCOME_TIMEOUT_MS) == 0;
		h->tx.idx = h->rx.idx = 0;
		restarts += ok;
	}
	report_tx(h);
	report_unconsumed(h);
	hostile_report_u64(h, "restarts", restarts);
	return 0;
}

/*
 * --ivshmem: ring the control vector as fast as a system call allows,
 * alternating start and stop requests with rings that change nothing,
 * then start once more and wait for the ack: the port must serve again.
 */
int
hostile_attack_ctl_flood(struct hostile *h)
{
	struct dpsr_ring *r = dpsr_guest_ctl_ring(h->v, h->c.qpair_base);
	uint64_t rings = 0, requests = 0;

	if (h->ctl < 0)
		return -ENOTSUP;	/* a host peer has no control vector */
	while (!hostile_over(h) && requests < h->o->count) {
		for (unsigned int k = 0; k < 64; k++) {
			if (k % 4 == 0) {
				dpsr_guest_ctl_request(r, requests % 2 == 1, false);
				requests++;
			}
			dpsr_bell_ring(h->ctl);
			rings++;
		}
	}
	hostile_report_u64(h, "ctl_rings", rings);
	hostile_report_u64(h, "ctl_requests", requests);
	hostile_report_bool(h, "restarted",
			    dpsr_guest_ctl(&h->c, h->ctl, true, false, HOSTILE_WELCOME_TIMEOUT_MS) == 0);
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
		if (hostile_tx_produce(h, h->sent + 1, 1, false, hostile_make_good) == 0)
			break;
		hostile_rx_consume(h, UINT32_MAX);
		next.tv_nsec += HOSTILE_WAIT_FLAGS_GAP_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	hostile_tx_drain(h);
	hostile_rx_consume(h, UINT32_MAX);
	hostile_db_wait(h, DPSR_DB_PEER_ROOM, 0);
	hostile_db_wait(h, DPSR_DB_PEER_RX, 0);
	report_tx(h);
	report_unconsumed(h);
	hostile_report_u64(h, "received", h->received);
	hostile_report_u64(h, "bad_from_switch", h->bad_from_switch);
	hostile_report_u64(h, "doorbells_room", h->doorbells[DPSR_DB_PEER_ROOM]);
	hostile_report_u64(h, "doorbells_rx", h->doorbells[DPSR_DB_PEER_RX]);
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
				__atomic_store_n(&rings[r][k], hostile_xorshift64(&x),
						 __ATOMIC_RELAXED);
			bytes += words * sizeof(uint64_t);
		}
		passes++;
	}
	hostile_report_u64(h, "bytes", bytes);
	hostile_report_u64(h, "passes", passes);
	hostile_report_u64(h, "seed", HOSTILE_SEED);
	return 0;
}

/* Descriptors still to take before @p limit, as a burst size. */
static uint32_t
rx_left(const struct hostile *h, uint64_t limit)
{
	return (uint32_t)hostile_min_u64(limit - h->taken, UINT32_MAX);
}

/*
 * A careful receiver: what reaches us, whether --canary is in it, and with
 * --verify whether every byte is what a hostile sender wrote. Stopped by a
 * signal, it first takes what the switch has already published, so that a
 * test can stop it once the switch's counters say everything was sent.
 */
static int
attack_rx(struct hostile *h)
{
	uint64_t limit = h->o->count_set ? h->o->count : UINT64_MAX;

	while (h->taken < limit && !hostile_over(h))
		if (hostile_rx_consume(h, rx_left(h, limit)) == 0)
			hostile_rx_sleep(h);
	if (hostile_stop && h->taken < limit)
		hostile_rx_consume(h, rx_left(h, limit));
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
				junk[k] = hostile_xorshift64(&x);
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
	hostile_report_u64(h, "connections", conns);
	hostile_report_u64(h, "connect_failed", failed);
	hostile_report_u64(h, "garbage_hellos", garbage);
	hostile_report_u64(h, "refused", refused);
	hostile_report_u64(h, "accepted", accepted);
	hostile_report_u64(h, "no_welcome", silent);
	return 0;
}

/*
 * Connect --count times and say nothing, holding every connection open
 * until --duration is over: a switch that waited for each hello in turn
 * would keep every other peer from attaching meanwhile.
 */
static int
attack_silent_hold(struct hostile *h)
{
	uint64_t n = hostile_min_u64(h->o->count, HOSTILE_HOLD_MAX), held = 0, failed = 0;
	int *fds = calloc(n, sizeof(*fds));

	if (fds == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < n && !hostile_over(h); i++) {
		int fd = flood_connect(h->o->path);

		if (fd < 0 && i == 0) {
			free(fds);
			return fd;	/* nothing listens there */
		}
		if (fd < 0)
			failed++;
		else
			fds[held++] = fd;
	}
	while (!hostile_over(h))
		usleep(10 * 1000);
	for (uint64_t i = 0; i < held; i++)
		close(fds[i]);
	free(fds);
	hostile_report_u64(h, "connections", held);
	hostile_report_u64(h, "connect_failed", failed);
	return 0;
}

const struct hostile_attack hostile_attacks[] = {
	{ "good", attack_produce, true, true, 0, hostile_make_good },
	{ "bad-buf", attack_produce, true, true, 0, make_bad_buf },
	{ "bad-len", attack_produce, true, true, 0, make_bad_len },
	{ "bad-range", attack_produce, true, true, 0, make_bad_range },
	{ "bad-flags", attack_produce, true, true, 0, make_bad_flags },
	{ "mixed", attack_produce, true, true, 0, make_mixed },
	{ "bad-prod", attack_bad_prod, true, true, 1 },
	{ "overlap", attack_overlap, true, true, 0 },
	{ "flip", attack_flip, true, true, 2 },
	{ "hoard", attack_hoard, true, false, 2 },
	{ "doorbell-flood", attack_doorbell_flood, true, false, 2 },
	{ "wait-flags", attack_wait_flags, true, true, 0 },
	{ "scribble", attack_scribble, true, false, 2 },
	{ "rx", attack_rx, true, false, 2 },
	{ "connect-flood", attack_connect_flood, false, false, 0 },
	{ "silent-hold", attack_silent_hold, false, false, 2 },
	{ "resize", hostile_attack_resize, true, false, 1 },
	{ "punch", hostile_attack_punch, true, false, 3 },
	{ "bells-block", hostile_attack_bells_block, true, false, 3 },
	{ "keep-bells", hostile_attack_keep_bells, true, false, 4 },
	{ "tag-flip", hostile_attack_tag_flip, true, true, 0 },
	{ "ctl-flood", hostile_attack_ctl_flood, true, false, 2 },
	{ "restart", hostile_attack_restart, true, true, 0 },
	{ "bag-lie", hostile_attack_bag_lie, true, true, 0, NULL, true },
};
const size_t hostile_nb_attacks = sizeof(hostile_attacks) / sizeof(hostile_attacks[0]);
