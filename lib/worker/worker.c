/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: poll the queues, decide, batch per egress port, flush;
 * park when idle (worker_park.c). The runtime around it (start, stop,
 * publishing configurations, figures) is worker_runtime.c.
 */
#include "worker.h"

#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "common/dps_log.h"
#include "worker_park.h"
#include "worker_tx.h"
#include "worker_vlan.h"

RTE_LOG_REGISTER(dps_logtype_worker, dpswitch.worker, INFO);


uint32_t
dps_now_s(void)
{
	return (uint32_t)((rte_rdtsc() - worker_rt.epoch_tsc) / worker_rt.tsc_hz);
}

_Static_assert(DPS_MAX_PORTS <= 64, "port masks are 64-bit");

uint64_t
dps_link_mask(void)
{
	return __atomic_load_n(&worker_rt.link_up, __ATOMIC_RELAXED);
}

void
dps_link_set(uint16_t port, bool up)
{
	if (port >= DPS_MAX_PORTS)
		return;
	if (up)
		__atomic_fetch_or(&worker_rt.link_up, UINT64_C(1) << port, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&worker_rt.link_up, ~(UINT64_C(1) << port), __ATOMIC_RELAXED);
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
		c = rte_pktmbuf_copy(m, worker_rt.pool, 0, UINT32_MAX);
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
	else if (verdict == FWD_DROP_VLAN_HOP)
		c->drop_vlan_hop++;
	else if (verdict == FWD_DROP_MAC_LIMIT)
		c->drop_mac_limit++;
	else if (verdict == FWD_DROP_MAC_MOVE)
		c->drop_mac_move++;
	else
		c->drop_no_route++;
	rte_pktmbuf_free(m);
}

/*
 * The bytes a decision is made on, in private memory: a frame received
 * from a trust group lies in memory its peers still write, and a decision
 * made on that memory could be about other bytes than those that leave.
 */
struct frame_snap {
	uint64_t w[FWD_DECIDE_BYTES / sizeof(uint64_t)];
};

_Static_assert(sizeof(struct frame_snap) == FWD_DECIDE_BYTES, "snapshot size");

static inline void
frame_snap_take(struct frame_snap *s, const struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_data_len(m);

	if (likely(len >= sizeof(*s))) {
		memcpy(s, rte_pktmbuf_mtod(m, const void *), sizeof(*s));
	} else {
		memset(s, 0, sizeof(*s));
		memcpy(s, rte_pktmbuf_mtod(m, const void *), len);
	}
}

/*
 * Frames of a burst mostly repeat the previous frame's addresses. As VPP's
 * l2-learn and l2-fwd do, reuse the previous decision when the bytes it
 * was made on (MACs, ethertype, VLAN tags: the snapshot) are the same: the
 * first frame already learned the source and looked up the destination,
 * and nothing can change within a burst.
 */
struct decision_cache {
	struct frame_snap key;
	bool valid;
	struct fwd_decision d;
	struct fwd_learn_cache learned;
};

static inline const struct fwd_decision *
bridge_decide(const struct dps_dp_config *cfg, struct decision_cache *dc,
	      uint16_t in, const struct frame_snap *s, uint32_t len, uint64_t link_up,
	      uint32_t now_s)
{
	if (likely(len >= sizeof(*s))) {
		if (dc->valid && s->w[0] == dc->key.w[0] && s->w[1] == dc->key.w[1] &&
		    s->w[2] == dc->key.w[2])
			return &dc->d;
		dc->key = *s;
		dc->valid = true;
	} else {
		/* Zero-filled past the frame: never a key for frames of other lengths. */
		dc->valid = false;
	}
	fwd_decide(&cfg->fwd, worker_rt.tbl, in, (const uint8_t *)s->w, len, link_up, now_s,
		   &dc->learned, &dc->d);
	return &dc->d;
}

/*
 * A frame of a trust group toward ports outside it: a private copy whose
 * header is the snapshot it was decided on, so that what leaves is what
 * the bridge decided on, whatever a peer writes meanwhile. NULL if no mbuf.
 */
static inline struct rte_mbuf *
worker_private_copy(struct dps_worker *w, uint16_t in, const struct rte_mbuf *m,
		    const struct frame_snap *s)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, worker_rt.pool, 0, UINT32_MAX);

	if (likely(c != NULL)) {
		rte_memcpy(rte_pktmbuf_mtod(c, void *), s->w,
			   RTE_MIN(rte_pktmbuf_data_len(c), (uint32_t)sizeof(s->w)));
		w->ctr[in].edge_copies++;
	}
	return c;
}

/* Ports of @p mask in domain @p dom, as a mask. */
static inline uint64_t
domain_ports(const struct dps_dp_config *cfg, uint64_t mask, uint16_t dom)
{
	uint64_t in = 0;

	for (uint64_t m = mask; m; m &= m - 1) {
		uint16_t p = (uint16_t)__builtin_ctzll(m);

		if (cfg->fwd.port[p].domain == dom)
			in |= UINT64_C(1) << p;
	}
	return in;
}

/* A decided frame from trust domain @p dom: inside it as it is, outside as a private copy. */
static void
worker_send_shared(struct dps_worker *w, const struct dps_dp_config *cfg, struct rte_mbuf *m,
		   const struct fwd_decision *d, uint16_t in, uint16_t dom,
		   const struct frame_snap *s)
{
	uint64_t all = d->verdict == FWD_UNICAST ? UINT64_C(1) << d->out_port : d->flood_mask;
	uint64_t inside = domain_ports(cfg, all, dom), outside = all & ~inside;
	struct fwd_decision part = *d;
	struct rte_mbuf *c = NULL;

	if (outside != 0 && (c = worker_private_copy(w, in, m, s)) == NULL) {
		for (; outside; outside &= outside - 1)
			w->ctr[__builtin_ctzll(outside)].drop_no_mbuf++;
	}
	if (c != NULL) {
		if (d->verdict == FWD_UNICAST) {
			worker_send_one(w, cfg, c, d);
		} else {
			part.flood_mask = outside;
			worker_flood(w, cfg, c, &part, in);
		}
	}
	if (inside == 0) {
		rte_pktmbuf_free(m);
	} else if (d->verdict == FWD_UNICAST) {
		worker_send_one(w, cfg, m, d);
	} else {
		part.flood_mask = inside;
		worker_flood(w, cfg, m, &part, in);
	}
}

/*
 * Storm control: may one more flooded frame pass a bucket filling at @p pps
 * frames a second, @p pps / 10 (at least 32) deep? Fixed point in frames x
 * TSC cycles: no division per frame.
 */
static inline bool
storm_allow(struct storm_bucket *b, uint32_t pps, uint64_t now, uint64_t hz)
{
	uint64_t depth = (uint64_t)RTE_MAX(pps / 10, 32u) * hz, dt = now - b->last_tsc;

	/* A second of silence fills it (and keeps dt * pps from overflowing). */
	b->tokens = dt >= hz ? depth : RTE_MIN(b->tokens + dt * pps, depth);
	b->last_tsc = now;
	if (b->tokens < hz)
		return false;
	b->tokens -= hz;
	return true;
}

/* A flood over the port's storm-control rate of its kind: dropped and counted. */
static inline bool
worker_storm_drop(struct dps_worker *w, const struct fwd_port_cfg *pc, uint16_t in,
		  const struct frame_snap *s, uint64_t now)
{
	enum fwd_storm_kind k = fwd_storm_kind_of((const uint8_t *)s->w);

	if (pc->storm_pps[k] == 0 ||
	    storm_allow(&w->storm[in][k], pc->storm_pps[k], now, worker_rt.tsc_hz))
		return false;
	w->ctr[in].drop_storm++;
	return true;
}

static void
worker_bridge_burst(struct dps_worker *w, const struct dps_dp_config *cfg,
		    uint16_t in, struct rte_mbuf **pkts, uint16_t n,
		    uint64_t link_up, uint32_t now_s)
{
	struct decision_cache dc = { .valid = false, .learned = { 0 } };
	const struct fwd_port_cfg *pc = &cfg->fwd.port[in];
	uint16_t dom = pc->domain;
	bool storm = (pc->storm_pps[0] | pc->storm_pps[1] | pc->storm_pps[2]) != 0;
	uint64_t bytes = 0, now = storm ? rte_rdtsc() : 0;

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
		struct frame_snap snap;

		frame_snap_take(&snap, m);
		d = bridge_decide(cfg, &dc, in, &snap, rte_pktmbuf_data_len(m), link_up, now_s);
		if (unlikely(storm) && d->verdict == FWD_FLOOD &&
		    worker_storm_drop(w, pc, in, &snap, now)) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (unlikely(dom != 0) && d->verdict <= FWD_FLOOD &&
		    (d->verdict == FWD_UNICAST || d->flood_mask != 0))
			worker_send_shared(w, cfg, m, d, in, dom, &snap);
		else if (d->verdict == FWD_UNICAST)
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
	quiet = got == 0 && __atomic_load_n(&worker_rt.gen, __ATOMIC_RELAXED) == cfg->gen &&
		!worker_rt.stop;
	if (quiet)
		park_sleep(ps, cfg->sleep_max_us);
	park_disarm(ps, quiet, worker_rt.tsc_hz);
	if (got) {
		ps->empty_polls = 0;
		ps->sleep_us = 0;
	} else {
		/* Back to sleep at the next empty poll, not after a new run. */
		ps->empty_polls = park_threshold(cfg, w->index) - 1;
	}
}

int
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
	next_sec = worker_rt.epoch_tsc + (uint64_t)(now_s + 1) * worker_rt.tsc_hz;
	DPS_LOG(worker, INFO, "worker %u running on lcore %u", w->index, w->lcore_id);

	while (!worker_rt.stop) {
		const struct dps_dp_config *cfg =
			__atomic_load_n(&worker_rt.live, __ATOMIC_ACQUIRE);
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
				next_sec = worker_rt.epoch_tsc + (uint64_t)(now_s + 1) * worker_rt.tsc_hz;
			}
		}
		if (unlikely(now_tsc >= next_sec)) {
			now_s++;
			next_sec += worker_rt.tsc_hz;
		}
	}
	/* Nothing registered may outlive the loop: ports close after it. */
	park_release(ps);
	return 0;
}

