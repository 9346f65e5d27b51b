/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "common/dps_log.h"
#include "worker_park.h"
#include "worker_tx.h"
#include "worker_vlan.h"

RTE_LOG_REGISTER(dps_logtype_worker, dpswitch.worker, INFO);

rte_spinlock_t dps_txq_lock[DPS_MAX_PORTS][DPS_MAX_WORKERS];

static struct {
	struct dps_worker *w;		/* array of nb */
	unsigned int nb;
	struct rte_mempool *pool;
	struct l2_table *tbl;
	struct dps_dp_config *live;	/* what workers read */
	struct dps_dp_config *draft;	/* what the control thread edits */
	uint64_t gen;			/* the live configuration's generation */
	volatile bool stop;
	bool running;
	uint64_t link_up;
	uint64_t tsc_hz;
	uint64_t epoch_tsc;		/* the bridge clock's second 0 */
} rt;

uint32_t
dps_now_s(void)
{
	return (uint32_t)((rte_rdtsc() - rt.epoch_tsc) / rt.tsc_hz);
}

_Static_assert(DPS_MAX_PORTS <= 64, "port masks are 64-bit");

uint64_t
dps_link_mask(void)
{
	return __atomic_load_n(&rt.link_up, __ATOMIC_RELAXED);
}

void
dps_link_set(uint16_t port, bool up)
{
	if (port >= DPS_MAX_PORTS)
		return;
	if (up)
		__atomic_fetch_or(&rt.link_up, UINT64_C(1) << port, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&rt.link_up, ~(UINT64_C(1) << port), __ATOMIC_RELAXED);
}

/* A frame that goes to exactly one port: fix its VLAN tag in place. */
static inline void
worker_send_one(struct dps_worker *w, const struct dps_dp_config *cfg,
		struct rte_mbuf *m, const struct fwd_decision *d)
{
	uint16_t out = d->out_port;

	if (unlikely(vlan_egress_fix(m, d, fwd_egress_tagged(&cfg->fwd, out, d->vid)) < 0)) {
		w->ctr[out].drop_no_mbuf++;
		rte_pktmbuf_free(m);
		return;
	}
	txbuf_add(w, cfg, out, m);
}

/*
 * Flood: ports that take the frame as it is share the mbuf by reference
 * count; ports that need a different VLAN encoding get a copy. Copies are
 * made before the shared mbuf is queued anywhere, because a queue that
 * fills up is flushed at once and may free it.
 */
static void
worker_flood(struct dps_worker *w, const struct dps_dp_config *cfg,
	     struct rte_mbuf *m, const struct fwd_decision *d, uint16_t in)
{
	uint64_t same = 0, mask = d->flood_mask;

	if (mask == 0) {
		w->ctr[in].drop_no_route++;
		rte_pktmbuf_free(m);
		return;
	}
	while (mask) {
		uint16_t p = (uint16_t)__builtin_ctzll(mask);
		bool tag = fwd_egress_tagged(&cfg->fwd, p, d->vid);
		struct rte_mbuf *c;

		mask &= mask - 1;
		if (!vlan_egress_needs_fix(m, d, tag)) {
			same |= UINT64_C(1) << p;
			continue;
		}
		c = rte_pktmbuf_copy(m, rt.pool, 0, UINT32_MAX);
		if (unlikely(c == NULL || vlan_egress_fix(c, d, tag) < 0)) {
			w->ctr[p].drop_no_mbuf++;
			rte_pktmbuf_free(c);
			continue;
		}
		txbuf_add(w, cfg, p, c);
	}
	if (same == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_mbuf_refcnt_update(m, (int16_t)(__builtin_popcountll(same) - 1));
	while (same) {
		txbuf_add(w, cfg, (uint16_t)__builtin_ctzll(same), m);
		same &= same - 1;
	}
}

static inline void
worker_drop(struct dps_worker *w, uint16_t in, struct rte_mbuf *m, uint8_t verdict)
{
	struct dps_port_counters *c = &w->ctr[in];

	if (verdict == FWD_DROP_FILTERED)
		c->drop_filtered++;
	else if (verdict == FWD_DROP_INVALID)
		c->drop_invalid++;
	else
		c->drop_no_route++;
	rte_pktmbuf_free(m);
}

/*
 * Frames of a burst mostly repeat the previous frame's addresses. As VPP's
 * l2-learn and l2-fwd do, reuse the previous decision when the first 16
 * bytes (MACs, ethertype, VLAN tag or first payload bytes) are the same:
 * the first frame already learned the source and looked up the
 * destination, and nothing can change within a burst.
 */
struct decision_cache {
	uint64_t hdr[2];
	bool valid;
	struct fwd_decision d;
	struct fwd_learn_cache learned;
};

static inline const struct fwd_decision *
bridge_decide(const struct dps_dp_config *cfg, struct decision_cache *dc,
	      uint16_t in, const uint8_t *frame, uint32_t len, uint64_t link_up,
	      uint32_t now_s)
{
	uint64_t hdr[2];

	if (likely(len >= sizeof(hdr))) {
		memcpy(hdr, frame, sizeof(hdr));
		if (dc->valid && hdr[0] == dc->hdr[0] && hdr[1] == dc->hdr[1])
			return &dc->d;
		dc->hdr[0] = hdr[0];
		dc->hdr[1] = hdr[1];
		dc->valid = true;
	} else {
		dc->valid = false;
	}
	fwd_decide(&cfg->fwd, rt.tbl, in, frame, len, link_up, now_s,
		   &dc->learned, &dc->d);
	return &dc->d;
}

static void
worker_bridge_burst(struct dps_worker *w, const struct dps_dp_config *cfg,
		    uint16_t in, struct rte_mbuf **pkts, uint16_t n,
		    uint64_t link_up, uint32_t now_s)
{
	struct decision_cache dc = { .valid = false, .learned = { 0 } };
	uint64_t bytes = 0;

	/*
	 * Headers are usually cold (the driver wrote the data, or never
	 * touched it): ask for all of them before reading the first. The
	 * byte count rides along, so the burst is walked once for both.
	 */
	for (uint16_t i = 0; i < n; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		bytes += pkts[i]->pkt_len;
	}
	w->ctr[in].rx_bytes += bytes;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct fwd_decision *d;

		d = bridge_decide(cfg, &dc, in, rte_pktmbuf_mtod(m, uint8_t *),
				  rte_pktmbuf_data_len(m), link_up, now_s);
		if (d->verdict == FWD_UNICAST)
			worker_send_one(w, cfg, m, d);
		else if (d->verdict == FWD_FLOOD)
			worker_flood(w, cfg, m, d, in);
		else
			worker_drop(w, in, m, d->verdict);
	}
}

/*
 * Cross-connect: the burst goes to the peer, no lookup, by the rule of
 * fwd_xconnect_out(), worked out once per burst (the configuration and
 * the link mask do not change within one).
 */
static void
worker_xconnect_burst(struct dps_worker *w, const struct dps_dp_config *cfg,
		      uint16_t in, struct rte_mbuf **pkts, uint16_t n,
		      uint64_t link_up)
{
	uint16_t out = fwd_xconnect_out(&cfg->fwd, in, link_up);
	struct dps_port_counters *c = &w->ctr[in];
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		bytes += m->pkt_len;
		if (unlikely(fwd_frame_runt(m->pkt_len))) {
			c->drop_invalid++;
			rte_pktmbuf_free(m);
		} else if (unlikely(out == DPS_PORT_NONE)) {
			c->drop_no_route++;
			rte_pktmbuf_free(m);
		} else {
			txbuf_add(w, cfg, out, m);
		}
	}
	c->rx_bytes += bytes;
}

/*
 * One round over the worker's queues; returns the packets received. Inlined
 * in the main loop, which is what runs under load (the park path has its
 * own copy).
 */
static __rte_always_inline uint32_t
worker_poll(struct dps_worker *w, const struct dps_dp_config *cfg,
	    struct rte_mbuf **pkts, uint32_t now_s)
{
	uint64_t link_up = dps_link_mask();
	uint16_t nq = cfg->nb_rxq[w->index];
	uint32_t got = 0;

	for (uint16_t i = 0; i < nq; i++) {
		const struct dps_rxq_ref *q = &cfg->rxq[w->index][i];
		uint16_t n = rte_eth_rx_burst(q->port, q->queue, pkts, cfg->burst);

		if (n == 0)
			continue;
		got += n;
		w->ctr[q->port].rx_pkts += n;
		if (cfg->fwd.port[q->port].role == FWD_ROLE_XCONNECT)
			worker_xconnect_burst(w, cfg, q->port, pkts, n, link_up);
		else
			worker_bridge_burst(w, cfg, q->port, pkts, n, link_up, now_s);
	}
	txbuf_flush_all(w, cfg);
	return got;
}

/*
 * Start running by a new configuration: move the queue interrupts over,
 * then say so. The acknowledgement lets the control thread free older
 * configurations and close ports they had: nothing of them is held here.
 */
static void
worker_adopt(struct dps_worker *w, const struct dps_dp_config *cfg)
{
	park_sync(&w->park, cfg, w->index);
	w->park.empty_polls = 0;
	w->park.sleep_us = 0;
	__atomic_store_n(&w->gen_ack, cfg->gen, __ATOMIC_RELEASE);
}

/* The queues stayed empty: arm, poll once more, sleep, disarm. */
static void
worker_park(struct dps_worker *w, const struct dps_dp_config *cfg,
	    struct rte_mbuf **pkts, uint32_t now_s)
{
	struct park_state *ps = &w->park;
	bool quiet;
	uint32_t got;

	if (cfg->rx_mode[w->index] == DPS_RX_POLL) {
		ps->empty_polls = 0;
		return;
	}
	park_arm(ps);
	/* The re-poll: it catches what arrived before interrupts were on. */
	got = worker_poll(w, cfg, pkts, now_s);
	quiet = got == 0 && __atomic_load_n(&rt.gen, __ATOMIC_RELAXED) == cfg->gen &&
		!rt.stop;
	if (quiet)
		park_sleep(ps, cfg->sleep_max_us);
	park_disarm(ps, quiet, rt.tsc_hz);
	if (got) {
		ps->empty_polls = 0;
		ps->sleep_us = 0;
	} else {
		/* Back to sleep at the next empty poll, not after a new run. */
		ps->empty_polls = park_threshold(cfg, w->index) - 1;
	}
}

static int
worker_main(void *arg)
{
	struct dps_worker *w = arg;
	struct park_state *ps = &w->park;
	struct rte_mbuf *pkts[DPS_BURST_MAX];
	uint64_t next_sec, now_tsc;
	uint32_t now_s;

	park_thread_start(ps);
	now_tsc = rte_rdtsc();
	now_s = dps_now_s();
	next_sec = rt.epoch_tsc + (uint64_t)(now_s + 1) * rt.tsc_hz;
	DPS_LOG(worker, INFO, "worker %u running on lcore %u", w->index, w->lcore_id);

	while (!rt.stop) {
		const struct dps_dp_config *cfg =
			__atomic_load_n(&rt.live, __ATOMIC_ACQUIRE);
		uint64_t start = now_tsc;
		uint32_t got;

		if (unlikely(cfg->gen != w->gen_ack))
			worker_adopt(w, cfg);
		got = worker_poll(w, cfg, pkts, now_s);
		now_tsc = rte_rdtsc();
		w->loops++;
		if (got) {
			w->busy_cycles += now_tsc - start;
			ps->empty_polls = 0;
			ps->sleep_us = 0;
		} else {
			w->idle_cycles += now_tsc - start;
			if (unlikely(++ps->empty_polls >= park_threshold(cfg, w->index))) {
				uint64_t slept = ps->sleep_cycles;

				worker_park(w, cfg, pkts, now_s);
				start = now_tsc;
				now_tsc = rte_rdtsc();
				w->idle_cycles += now_tsc - start - (ps->sleep_cycles - slept);
				now_s = dps_now_s();
				next_sec = rt.epoch_tsc + (uint64_t)(now_s + 1) * rt.tsc_hz;
			}
		}
		if (unlikely(now_tsc >= next_sec)) {
			now_s++;
			next_sec += rt.tsc_hz;
		}
	}
	/* Nothing registered may outlive the loop: ports close after it. */
	park_release(ps);
	return 0;
}

static void
workers_free(void)
{
	for (unsigned int i = 0; rt.w != NULL && i < rt.nb; i++)
		park_fini(&rt.w[i].park);
	rte_free(rt.w);
	rte_free(rt.live);
	free(rt.draft);
	rt.w = NULL;
	rt.live = NULL;
	rt.draft = NULL;
}

int
dps_workers_init(struct rte_mempool *pool, struct l2_table *tbl)
{
	unsigned int lcore, i = 0;
	int rc;

	rt.nb = rte_lcore_count() - 1;
	if (rt.nb == 0)
		return -ENODEV;
	if (rt.nb > DPS_MAX_WORKERS)
		rt.nb = DPS_MAX_WORKERS;
	rt.pool = pool;
	rt.tbl = tbl;
	rt.tsc_hz = rte_get_tsc_hz();
	rt.epoch_tsc = rte_rdtsc();
	rt.w = rte_zmalloc("dps_workers", rt.nb * sizeof(*rt.w), RTE_CACHE_LINE_SIZE);
	rt.live = rte_zmalloc("dps_dp_live", sizeof(*rt.live), RTE_CACHE_LINE_SIZE);
	rt.draft = calloc(1, sizeof(*rt.draft));
	if (rt.w == NULL || rt.live == NULL || rt.draft == NULL) {
		workers_free();
		return -ENOMEM;
	}
	for (i = 0; i < rt.nb; i++)
		rt.w[i].park.epfd = rt.w[i].park.ctl_fd = rt.w[i].park.timer_fd =
			rt.w[i].park.sched_fd = -1;
	for (i = 0; i < rt.nb; i++) {
		rc = park_init(&rt.w[i].park);
		if (rc != 0) {
			workers_free();
			return rc;
		}
	}
	fwd_config_init(&rt.draft->fwd);
	rt.draft->burst = DPS_BURST_DEFAULT;
	rt.draft->park_polls = DPS_PARK_POLLS_DEFAULT;
	rt.draft->spin_polls = DPS_SPIN_POLLS_DEFAULT;
	rt.draft->sleep_max_us = DPS_SLEEP_MAX_US_DEFAULT;
	fwd_config_finish(&rt.draft->fwd);
	/* Generation 1: workers (at 0) adopt it when they start. */
	rt.draft->gen = rt.gen = 1;
	memcpy(rt.live, rt.draft, sizeof(*rt.live));
	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == rt.nb)
			break;
		rt.w[i].lcore_id = lcore;
		rt.w[i].index = i;
		i++;
	}
	for (unsigned int p = 0; p < DPS_MAX_PORTS; p++)
		for (unsigned int q = 0; q < DPS_MAX_WORKERS; q++)
			rte_spinlock_init(&dps_txq_lock[p][q]);
	return 0;
}

int
dps_workers_start(void)
{
	rt.stop = false;
	for (unsigned int i = 0; i < rt.nb; i++) {
		int rc = rte_eal_remote_launch(worker_main, &rt.w[i], rt.w[i].lcore_id);

		if (rc != 0)
			return rc;
	}
	rt.running = true;
	return 0;
}

void
dps_workers_wake(void)
{
	/* Pairs with park_arm()'s fence: see worker_park.h. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < rt.nb; i++)
		park_wake(&rt.w[i].park);
}

void
dps_workers_stop(void)
{
	if (!rt.running)
		return;
	rt.stop = true;
	dps_workers_wake();
	for (unsigned int i = 0; i < rt.nb; i++)
		rte_eal_wait_lcore(rt.w[i].lcore_id);
	rt.running = false;
}

unsigned int
dps_worker_count(void)
{
	return rt.nb;
}

int
dps_worker_of_lcore(unsigned int lcore_id)
{
	for (unsigned int i = 0; i < rt.nb; i++)
		if (rt.w[i].lcore_id == lcore_id)
			return (int)i;
	return -ENOENT;
}

static const char *const rx_mode_names[] = {
	[DPS_RX_ADAPTIVE] = "adaptive",
	[DPS_RX_INTERRUPT] = "interrupt",
	[DPS_RX_POLL] = "poll",
};

const char *
dps_rx_mode_name(enum dps_rx_mode m)
{
	return (unsigned int)m < RTE_DIM(rx_mode_names) ? rx_mode_names[m] : "?";
}

int
dps_rx_mode_parse(const char *s, enum dps_rx_mode *m)
{
	for (unsigned int i = 0; i < RTE_DIM(rx_mode_names); i++) {
		if (strcmp(s, rx_mode_names[i]) == 0) {
			*m = (enum dps_rx_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

int
dps_workers_set_mode(int64_t lcore, enum dps_rx_mode m, struct dps_err *err)
{
	int w = -1;

	if (lcore >= 0) {
		w = lcore <= UINT32_MAX ? dps_worker_of_lcore((unsigned int)lcore) : -ENOENT;
		if (w < 0)
			return dps_err_set(err, -ENOENT,
				"lcore %" PRId64 " is not a worker (see 'lcore show')", lcore);
	}
	for (unsigned int i = 0; i < rt.nb; i++)
		if (w < 0 || (unsigned int)w == i)
			rt.draft->rx_mode[i] = (uint8_t)m;
	return dps_dp_commit();
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

int
dps_worker_info(unsigned int idx, struct dps_worker_info *info)
{
	const struct dps_worker *w;
	const struct park_state *ps;

	if (idx >= rt.nb)
		return -ENOENT;
	w = &rt.w[idx];
	ps = &w->park;
	memset(info, 0, sizeof(*info));
	info->lcore_id = w->lcore_id;
	info->mode = (enum dps_rx_mode)rt.draft->rx_mode[idx];
	info->asleep = LOAD(ps->parked) != 0;
	/* Queues that cannot wake it: by their ports, or failed to register. */
	for (uint16_t i = 0; i < rt.draft->nb_rxq[idx]; i++) {
		if (rt.draft->rxq[idx][i].intr)
			continue;
		if (info->nb_timed_rxq++ == 0)
			info->timed_rxq = rt.draft->rxq[idx][i];
	}
	if (LOAD(ps->nb_timed) > info->nb_timed_rxq) {
		info->nb_timed_rxq = LOAD(ps->nb_timed);
		info->timed_rxq = ps->timed_first;
	}
	info->tsc_hz = rt.tsc_hz;
	info->busy_cycles = LOAD(w->busy_cycles);
	info->idle_cycles = LOAD(w->idle_cycles);
	info->sleep_cycles = LOAD(ps->sleep_cycles);
	info->loops = LOAD(w->loops);
	info->sleeps = LOAD(ps->sleeps);
	for (unsigned int i = 0; i < DPS_WAKE_SOURCES; i++)
		info->wakeups[i] = LOAD(ps->wakeups[i]);
	for (unsigned int i = 0; i < DPS_WAKE_HIST_BUCKETS; i++)
		info->wake_hist[i] = LOAD(ps->wake_hist[i]);
	for (unsigned int p = 0; p < DPS_MAX_PORTS; p++)
		info->rx_pkts += LOAD(w->ctr[p].rx_pkts);
	return 0;
}

struct dps_dp_config *
dps_dp_draft(void)
{
	return rt.draft;
}

/* Wait until every worker runs by generation @p gen. */
static void
workers_wait_ack(uint64_t gen)
{
	for (unsigned int i = 0; i < rt.nb; i++) {
		uint64_t spins = 0;

		while (__atomic_load_n(&rt.w[i].gen_ack, __ATOMIC_ACQUIRE) < gen) {
			rte_pause();
			/* Belt and braces: a wake-up is cheap, a hang is not. */
			if (++spins % (1u << 20) == 0) {
				DPS_LOG(worker, DEBUG, "worker %u is late; waking it", i);
				dps_workers_wake();
			}
		}
	}
}

int
dps_dp_commit(void)
{
	struct dps_dp_config *next, *old;

	next = rte_malloc("dps_dp_live", sizeof(*next), RTE_CACHE_LINE_SIZE);
	if (next == NULL)
		return -ENOMEM;
	fwd_config_finish(&rt.draft->fwd);
	rt.draft->gen = rt.gen + 1;
	memcpy(next, rt.draft, sizeof(*next));
	old = __atomic_exchange_n(&rt.live, next, __ATOMIC_SEQ_CST);
	__atomic_store_n(&rt.gen, next->gen, __ATOMIC_SEQ_CST);
	/* Workers that are not running hold no reference. */
	if (rt.running) {
		dps_workers_wake();
		workers_wait_ack(next->gen);
	}
	rte_free(old);
	return 0;
}

void
dps_port_counters_sum(uint16_t port, struct dps_port_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (port >= DPS_MAX_PORTS)
		return;
	for (unsigned int i = 0; i < rt.nb; i++) {
		const uint64_t *src = (const uint64_t *)&rt.w[i].ctr[port];
		uint64_t *dst = (uint64_t *)out;

		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}
