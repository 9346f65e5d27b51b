/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Throughput modes: tx, rx, and txrx (both in one loop on one lcore, so a
 * whole loop through a switch needs only one generator core).
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_random.h>

#include "pg.h"
#include "rte_pmd_dpsw.h"

#define PG_DRAIN_QUIET_MS 200	/* txrx: stop waiting once nothing arrives */
#define PG_DRAIN_MAX_MS 1000
#define PG_BUCKET_PER_S 100	/* rate limit: the bucket holds 1/100 s */
#define PG_BUCKET_MAX_FRAMES (PG_NB_DESC / 4)	/* ... or this, if less */

/*
 * Frames are filled a burst at a time; what the queue refuses stays here
 * and goes first next time, so sequence numbers leave in order and a
 * --count is met exactly.
 */
struct pg_tx {
	struct rte_mbuf *pend[PG_MAX_BURST];
	uint16_t nb_pend, off;
	uint64_t pend_bytes;
	uint32_t flow, size_idx;
	uint64_t credit, t_last;	/* token bucket, in cycles x pps */
	uint64_t depth;			/* bucket size, same unit */
	bool in_place;			/* write frames into the port's own buffers */
};

/*
 * The bucket holds 10 ms of traffic, so a shared core that deschedules us
 * for a moment costs little of the average rate; but never more than a
 * quarter ring, so what is made up after a stall cannot overflow a peer's
 * ring (on an oversubscribed core the rate falls short instead: the report
 * shows what was reached); and at least one burst.
 */
static void
tx_init(struct pg_ctx *c, struct pg_tx *t)
{
	uint64_t frames = RTE_MIN(c->opt->rate / PG_BUCKET_PER_S,
				  (uint64_t)PG_BUCKET_MAX_FRAMES);
	uint32_t min;

	frames = RTE_MAX(frames, (uint64_t)c->opt->burst);

	memset(t, 0, sizeof(*t));
	t->t_last = rte_rdtsc();
	t->depth = frames * c->hz;
	/*
	 * A net_dpsw port with zero copy lends buffers of its region: frames
	 * written there go out without a copy. Only for frames its receiver
	 * would not copy anyway (its copy-break): a short frame's copy costs
	 * less than the buffer's way round.
	 */
	min = rte_pmd_dpsw_zero_copy_min(c->opt->tx_port);
	t->in_place = min != 0;
	for (uint32_t i = 0; i < c->fr.nb_sizes && t->in_place; i++)
		t->in_place = c->fr.sizes[i] >= min;
}

/* How many frames to fill now: burst, what --count leaves, the rate. */
static inline uint16_t
tx_budget(struct pg_ctx *c, struct pg_tx *t, uint64_t now)
{
	const struct pg_options *o = c->opt;
	uint64_t n = o->burst;

	if (o->count && c->measuring)
		n = RTE_MIN(n, o->count - c->st.tx_pkts);
	if (o->rate) {
		/*
		 * One frame costs hz units; every cycle earns rate units, so
		 * integer arithmetic keeps low rates exact. See tx_init for
		 * the bucket's depth.
		 */
		uint64_t dt = RTE_MIN(now - t->t_last, c->hz);

		t->t_last = now;
		t->credit = RTE_MIN(t->credit + dt * o->rate, t->depth);
		n = RTE_MIN(n, t->credit / c->hz);
		t->credit -= n * c->hz;
	}
	return (uint16_t)n;
}

static inline void
tx_fill(struct pg_ctx *c, struct pg_tx *t, uint16_t n, uint64_t tsc)
{
	const struct pg_frames *f = &c->fr;

	t->pend_bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t size = f->sizes[t->size_idx];

		pg_frame_fill(f, t->pend[i], t->flow, size, c->seq_next++, tsc);
		t->pend_bytes += size;
		if (unlikely(++t->flow == f->nb_flows))
			t->flow = 0;
		if (unlikely(++t->size_idx == f->nb_sizes))
			t->size_idx = 0;
	}
	t->nb_pend = n;
	t->off = 0;
}

static inline void
tx_step(struct pg_ctx *c, struct pg_tx *t, uint16_t port, uint64_t now)
{
	uint64_t unsent;
	uint16_t sent, k;

	if (t->nb_pend == 0) {
		uint16_t n = tx_budget(c, t, now);

		if (n == 0)
			return;
		/* Buffers the port lends (tx_init), and ordinary mbufs for the rest. */
		k = t->in_place ? rte_pmd_dpsw_tx_alloc(port, 0, c->pool, t->pend, n) : 0;
		/* An empty pool is a full queue in disguise: refund, retry. */
		if (unlikely(k < n && rte_pktmbuf_alloc_bulk(c->pool, t->pend + k, n - k) != 0)) {
			rte_pktmbuf_free_bulk(t->pend, k);
			t->credit += n * (c->opt->rate ? c->hz : 0);
			return;
		}
		tx_fill(c, t, n, now);
	}
	c->tx_pending = t->nb_pend;
	sent = rte_eth_tx_burst(port, 0, t->pend + t->off, t->nb_pend);
	c->st.tx_pkts += sent;
	if (likely(sent == t->nb_pend)) {
		c->st.tx_bytes += t->pend_bytes;
		t->nb_pend = 0;
		c->tx_pending = 0;
		return;
	}
	/* The sent mbufs may be gone already; the unsent ones are still ours. */
	unsent = 0;
	for (uint16_t i = sent; i < t->nb_pend; i++)
		unsent += t->pend[t->off + i]->pkt_len;
	c->st.tx_bytes += t->pend_bytes - unsent;
	t->pend_bytes = unsent;
	t->off += sent;
	t->nb_pend -= sent;
	c->tx_pending = t->nb_pend;
}

static void
tx_discard(struct pg_ctx *c, struct pg_tx *t)
{
	if (t->nb_pend)
		rte_pktmbuf_free_bulk(t->pend + t->off, t->nb_pend);
	t->nb_pend = 0;
	c->tx_pending = 0;
}

static inline bool
tx_done(const struct pg_ctx *c)
{
	return c->opt->count && c->measuring && c->st.tx_pkts >= c->opt->count;
}

static inline void
rx_step(struct pg_ctx *c, uint16_t port, struct rte_mbuf **pkts, uint64_t now)
{
	uint16_t n = rte_eth_rx_burst(port, 0, pkts, c->opt->burst);

	if (n == 0)
		return;
	if (c->opt->latency)
		c->rx_tsc = rte_rdtsc();
	if (c->measuring) {
		if (c->t_first_rx == 0)
			c->t_first_rx = now;
		c->t_last_rx = now;
	}
	pg_rx_account(c, pkts, n);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* --gap: silence before a burst, so that the receiver goes idle. */
static void
tx_gap(const struct pg_options *o)
{
	uint64_t us = o->gap_min_us;
	struct timespec ts;

	if (o->gap_max_us > o->gap_min_us)
		us += rte_rand_max(o->gap_max_us - o->gap_min_us + 1);
	ts.tv_sec = (time_t)(us / 1000000);
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

int
pg_run_tx(struct pg_ctx *c)
{
	struct pg_tx t;

	tx_init(c, &t);
	for (;;) {
		uint64_t now = rte_rdtsc();

		if (unlikely(now >= c->next_tick) && pg_tick(c, now))
			break;
		if (unlikely(tx_done(c)))
			break;
		/* Silence before every burst, the first one too. */
		if (c->opt->gap_max_us && t.nb_pend == 0) {
			tx_gap(c->opt);
			now = rte_rdtsc();
		}
		tx_step(c, &t, c->opt->tx_port, now);
	}
	c->t_end = rte_rdtsc();
	tx_discard(c, &t);
	return 0;
}

int
pg_run_rx(struct pg_ctx *c)
{
	struct rte_mbuf *pkts[PG_MAX_BURST];
	const uint64_t count = c->opt->count;

	for (;;) {
		uint64_t now = rte_rdtsc();

		if (unlikely(now >= c->next_tick) && pg_tick(c, now))
			break;
		rx_step(c, c->opt->rx_port, pkts, now);
		/* Ours only: a bridge floods others' frames (a kernel's MLD) too. */
		if (count && c->measuring && c->st.rx_pkts - c->st.rx_foreign >= count)
			break;
	}
	c->t_end = rte_rdtsc();
	return 0;
}

/*
 * After the last frame left: collect what is still in flight. By default
 * stop once nothing arrived for a while; with --drain the wait is fixed,
 * for a far end that may stall longer (an emulated guest under load).
 */
static void
txrx_drain(struct pg_ctx *c, struct rte_mbuf **pkts)
{
	uint64_t start = rte_rdtsc(), quiet_since = start;
	uint64_t last = c->st.rx_pkts;
	const double drain_s = c->opt->drain_s;
	const uint64_t max = drain_s > 0 ? (uint64_t)(c->hz * drain_s) :
					   c->hz * PG_DRAIN_MAX_MS / 1000;
	const uint64_t quiet = drain_s > 0 ? max : c->hz * PG_DRAIN_QUIET_MS / 1000;

	for (;;) {
		uint64_t now = rte_rdtsc();

		if (c->st.rx_pkts - c->st.rx_foreign >= c->st.tx_pkts)
			return;
		if (now - quiet_since > quiet || now - start > max)
			return;
		rx_step(c, c->opt->rx_port, pkts, now);
		if (c->st.rx_pkts != last) {
			last = c->st.rx_pkts;
			quiet_since = now;
		}
	}
}

int
pg_run_txrx(struct pg_ctx *c)
{
	struct rte_mbuf *pkts[PG_MAX_BURST];
	struct pg_tx t;
	const uint16_t txp = c->opt->tx_port, rxp = c->opt->rx_port;

	tx_init(c, &t);
	for (;;) {
		uint64_t now = rte_rdtsc();

		if (unlikely(now >= c->next_tick) && pg_tick(c, now))
			break;
		if (unlikely(tx_done(c)))
			break;
		tx_step(c, &t, txp, now);
		rx_step(c, rxp, pkts, now);
	}
	c->t_end = rte_rdtsc();
	tx_discard(c, &t);
	if (c->measuring)
		txrx_drain(c, pkts);
	return 0;
}
