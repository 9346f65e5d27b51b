/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run clock (warm-up, duration, progress), rx accounting shared by the
 * modes, RTT samples, and the final report in text or JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "pg.h"

#define PG_WIRE_OVERHEAD 24		/* preamble + SFD + IFG (20) + FCS (4) */
#define PG_RTT_MAX_SAMPLES (1u << 24)

static void
begin_measure(struct pg_ctx *c, uint64_t now)
{
	memset(&c->st, 0, sizeof(c->st));
	memset(&c->st_prog, 0, sizeof(c->st_prog));
	c->rtt.nb = 0;
	c->rtt.nb_total = c->rtt.sum = c->rtt.max = 0;
	c->rtt.min = UINT64_MAX;
	/* Frames filled before now but still queued count as measured. */
	c->seq_start = c->seq_next - c->tx_pending;
	c->rx_seen = false;
	c->t_first_rx = c->t_last_rx = 0;
	c->t_start = c->t_prog = now;
	c->t_stop = c->opt->duration_s > 0 ?
		now + (uint64_t)(c->opt->duration_s * (double)c->hz) : UINT64_MAX;
	c->measuring = true;
}

void
pg_clock_start(struct pg_ctx *c)
{
	uint64_t now = rte_rdtsc();

	c->t_launch = now;
	c->t_warm_end = now + (uint64_t)(c->opt->warmup_s * (double)c->hz);
	c->next_tick = now;
	c->next_progress = now + c->hz;
	c->rtt.min = UINT64_MAX;
	if (c->opt->warmup_s <= 0)
		begin_measure(c, now);
}

static double
mpps(uint64_t pkts, uint64_t cycles, uint64_t hz)
{
	return cycles ? (double)pkts * (double)hz / (double)cycles / 1e6 : 0.0;
}

/* stderr, one line a second: \r-updated on a terminal, else newlines. */
static void
progress(struct pg_ctx *c, uint64_t now)
{
	const struct pg_stats *s = &c->st, *p = &c->st_prog;
	bool tty = isatty(STDERR_FILENO);
	uint64_t dt = now - c->t_prog;

	c->next_progress += c->hz;
	if (c->next_progress <= now)
		c->next_progress = now + c->hz;
	if (!c->measuring) {
		fprintf(stderr, "%s[warm-up %.1f s]%s", tty ? "\r" : "",
			(double)(now - c->t_launch) / (double)c->hz, tty ? "" : "\n");
		return;
	}
	fprintf(stderr, "%s[%6.1f s] tx %10" PRIu64 " %7.3f Mpps  rx %10" PRIu64
		" %7.3f Mpps", tty ? "\r" : "", (double)(now - c->t_start) / (double)c->hz,
		s->tx_pkts, mpps(s->tx_pkts - p->tx_pkts, dt, c->hz),
		s->rx_pkts, mpps(s->rx_pkts - p->rx_pkts, dt, c->hz));
	if (c->opt->mode == PG_PING && c->rtt.nb_total > 0)
		fprintf(stderr, "  rtt avg %.1f us",
			(double)c->rtt.sum / (double)c->rtt.nb_total * 1e6 / (double)c->hz);
	fprintf(stderr, tty ? "   " : "\n");
	c->st_prog = *s;
	c->t_prog = now;
}

/* Called about every millisecond by the loops: true = stop the run. */
bool
pg_tick(struct pg_ctx *c, uint64_t now)
{
	c->next_tick = now + c->hz / 1000;
	if (pg_quit)
		return true;
	if (!c->measuring && now >= c->t_warm_end)
		begin_measure(c, now);
	if (c->opt->progress && now >= c->next_progress)
		progress(c, now);
	return c->measuring && now >= c->t_stop;
}

/*
 * Count a received burst. Frames before the measured window, and our own
 * frames sent before it (warm-up, when we are also the sender), go to
 * rx_early. Sequence gaps and reorders are tracked for our frames only.
 */
void
pg_rx_account(struct pg_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	struct pg_stats *s = &c->st;

	for (uint16_t i = 0; i < n; i++) {
		struct pg_payload *p = pg_payload_check(pkts[i]);
		int32_t d;

		if (unlikely(!c->measuring) ||
		    (p != NULL && c->seq_filter && (int32_t)(p->seq - c->seq_start) < 0)) {
			s->rx_early++;
			continue;
		}
		s->rx_pkts++;
		s->rx_bytes += pkts[i]->pkt_len;
		if (p == NULL) {
			s->rx_foreign++;
			continue;
		}
		if (c->opt->latency && pg_rtt_add(&c->rtt, c->rx_tsc - p->tsc) != 0)
			fprintf(stderr, "%s: out of memory for latency samples\n", PG_PROG);
		d = (int32_t)(p->seq - c->rx_expect);
		if (unlikely(d != 0) && c->rx_seen) {
			if (d > 0)
				s->rx_gaps += (uint32_t)d;
			else
				s->rx_reordered++;
		}
		if (d >= 0 || !c->rx_seen)
			c->rx_expect = p->seq + 1;
		c->rx_seen = true;
	}
}

int
pg_rtt_add(struct pg_rtt *r, uint64_t cycles)
{
	r->nb_total++;
	r->sum += cycles;
	r->min = RTE_MIN(r->min, cycles);
	r->max = RTE_MAX(r->max, cycles);
	if (r->nb == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 4096;
		uint64_t *n;

		if (cap > PG_RTT_MAX_SAMPLES)
			return 0;	/* min/avg/max stay exact; percentiles sample */
		n = realloc(r->cycles, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		r->cycles = n;
		r->cap = cap;
	}
	r->cycles[r->nb++] = cycles;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples, in microseconds. */
static double
percentile_us(const struct pg_ctx *c, unsigned int pct)
{
	uint64_t rank = ((uint64_t)c->rtt.nb * pct + 99) / 100;

	return (double)c->rtt.cycles[rank ? rank - 1 : 0] * 1e6 / (double)c->hz;
}

struct pg_summary {
	double dur, tx_mpps, tx_gbps, tx_l2, rx_mpps, rx_gbps, rx_l2;
	bool has_loss;
	int64_t loss;
	double loss_pct;
	double rtt[5];			/* min avg p50 p99 max, us */
};

static double
gbps(uint64_t bytes, uint64_t pkts, double dur)
{
	return dur > 0 ? (double)(bytes + pkts * PG_WIRE_OVERHEAD) * 8 / dur / 1e9 : 0.0;
}

static void
loss_of(const struct pg_ctx *c, struct pg_summary *m)
{
	const struct pg_stats *s = &c->st;
	uint64_t base;

	switch (c->opt->mode) {
	case PG_TXRX:
	case PG_PING:
		m->loss = (int64_t)s->tx_pkts - (int64_t)(s->rx_pkts - s->rx_foreign);
		base = s->tx_pkts;
		break;
	case PG_RX:
		m->loss = (int64_t)s->rx_gaps;	/* an estimate from sequence gaps */
		base = s->rx_pkts - s->rx_foreign + s->rx_gaps;
		break;
	default:
		return;
	}
	m->has_loss = true;
	m->loss_pct = base ? (double)m->loss * 100.0 / (double)base : 0.0;
}

static void
summarize(struct pg_ctx *c, struct pg_summary *m)
{
	const struct pg_stats *s = &c->st;
	uint64_t cycles = c->t_end > c->t_start ? c->t_end - c->t_start : 0;

	memset(m, 0, sizeof(*m));
	/* A sink does not know when its sender started: time the traffic. */
	if (c->opt->mode == PG_RX && c->t_last_rx > c->t_first_rx)
		cycles = c->t_last_rx - c->t_first_rx;
	m->dur = (double)cycles / (double)c->hz;
	m->tx_mpps = mpps(s->tx_pkts, cycles, c->hz);
	m->rx_mpps = mpps(s->rx_pkts, cycles, c->hz);
	m->tx_gbps = gbps(s->tx_bytes, s->tx_pkts, m->dur);
	m->rx_gbps = gbps(s->rx_bytes, s->rx_pkts, m->dur);
	m->tx_l2 = gbps(s->tx_bytes, 0, m->dur);
	m->rx_l2 = gbps(s->rx_bytes, 0, m->dur);
	loss_of(c, m);
	if (c->rtt.nb > 0) {
		qsort(c->rtt.cycles, c->rtt.nb, sizeof(uint64_t), cmp_u64);
		m->rtt[0] = (double)c->rtt.min * 1e6 / (double)c->hz;
		m->rtt[1] = (double)c->rtt.sum / (double)c->rtt.nb_total * 1e6 / (double)c->hz;
		m->rtt[2] = percentile_us(c, 50);
		m->rtt[3] = percentile_us(c, 99);
		m->rtt[4] = (double)c->rtt.max * 1e6 / (double)c->hz;
	}
}

/* rx --latency: the samples are one-way latencies. */
static void
report_latency_json(const struct pg_ctx *c, const struct pg_summary *m)
{
	if (c->rtt.nb == 0)
		printf("\"rtt_us\": null, \"latency_us\": {\"min\": null, \"avg\": null, "
		       "\"p50\": null, \"p99\": null, \"max\": null, \"samples\": 0}}\n");
	else
		printf("\"rtt_us\": null, \"latency_us\": {\"min\": %.3f, \"avg\": %.3f, "
		       "\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f, \"samples\": %" PRIu64
		       "}}\n", m->rtt[0], m->rtt[1], m->rtt[2], m->rtt[3], m->rtt[4],
		       c->rtt.nb_total);
}

/*
 * "KEY": {name: value, ...}, the driver's extended counters of @p port
 * (not the per-queue copies of the basic ones): how its frames moved, e.g.
 * net_dpsw's rx_zero_copy and tx_copied.
 */
static void
report_xstats_json(const char *key, uint16_t port)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *xs = NULL;
	int n = rte_eth_xstats_get_names(port, NULL, 0);
	bool first = true;

	printf("\"%s\": {", key);
	if (n > 0 && (names = calloc((size_t)n, sizeof(*names))) != NULL &&
	    (xs = calloc((size_t)n, sizeof(*xs))) != NULL &&
	    rte_eth_xstats_get_names(port, names, (unsigned int)n) == n &&
	    rte_eth_xstats_get(port, xs, (unsigned int)n) == n) {
		for (int i = 0; i < n; i++) {
			const char *nm = names[xs[i].id].name;

			if (strncmp(nm, "rx_q", 4) == 0 || strncmp(nm, "tx_q", 4) == 0)
				continue;
			printf("%s\"%s\": %" PRIu64, first ? "" : ", ", nm, xs[i].value);
			first = false;
		}
	}
	printf("}, ");
	free(names);
	free(xs);
}

static void
report_json(const struct pg_ctx *c, const struct pg_summary *m)
{
	const struct pg_stats *s = &c->st;

	printf("{\"mode\": \"%s\", \"duration_s\": %.6f, \"tx_port\": %u, \"rx_port\": %u, "
	       "\"tx_packets\": %" PRIu64 ", \"tx_bytes\": %" PRIu64 ", \"tx_mpps\": %.6f, "
	       "\"tx_gbps\": %.6f, \"tx_l2_gbps\": %.6f, \"tx_dropped\": %" PRIu64 ", "
	       "\"rx_packets\": %" PRIu64 ", \"rx_bytes\": %" PRIu64 ", \"rx_mpps\": %.6f, "
	       "\"rx_gbps\": %.6f, \"rx_l2_gbps\": %.6f, \"rx_foreign\": %" PRIu64 ", "
	       "\"rx_early\": %" PRIu64 ", \"rx_seq_gaps\": %" PRIu64 ", "
	       "\"rx_reordered\": %" PRIu64 ", \"learn_tx_packets\": %" PRIu64 ", "
	       "\"learn_rx_packets\": %" PRIu64 ", ",
	       pg_mode_name(c->opt->mode), m->dur, c->opt->tx_port, c->opt->rx_port,
	       s->tx_pkts, s->tx_bytes, m->tx_mpps, m->tx_gbps, m->tx_l2, s->tx_dropped,
	       s->rx_pkts, s->rx_bytes, m->rx_mpps, m->rx_gbps, m->rx_l2, s->rx_foreign,
	       s->rx_early, s->rx_gaps, s->rx_reordered, c->learn_tx, c->learn_rx);
	report_xstats_json("tx_xstats", c->opt->tx_port);
	report_xstats_json("rx_xstats", c->opt->rx_port);
	if (m->has_loss)
		printf("\"loss_packets\": %" PRId64 ", \"loss_pct\": %.6f, ",
		       m->loss, m->loss_pct);
	else
		printf("\"loss_packets\": null, \"loss_pct\": null, ");
	if (c->opt->latency)
		report_latency_json(c, m);
	else if (c->opt->mode != PG_PING)
		printf("\"rtt_us\": null}\n");
	else if (c->rtt.nb == 0)
		printf("\"ping_timeouts\": %" PRIu64 ", \"rtt_us\": {\"min\": null, "
		       "\"avg\": null, \"p50\": null, \"p99\": null, \"max\": null, "
		       "\"samples\": 0}}\n", s->ping_timeouts);
	else
		printf("\"ping_timeouts\": %" PRIu64 ", \"rtt_us\": {\"min\": %.3f, "
		       "\"avg\": %.3f, \"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f, "
		       "\"samples\": %" PRIu64 "}}\n", s->ping_timeouts, m->rtt[0],
		       m->rtt[1], m->rtt[2], m->rtt[3], m->rtt[4], c->rtt.nb_total);
}

static void
report_text(const struct pg_ctx *c, const struct pg_summary *m)
{
	const struct pg_stats *s = &c->st;

	printf("mode %s, %.3f s, tx port %u, rx port %u\n", pg_mode_name(c->opt->mode),
	       m->dur, c->opt->tx_port, c->opt->rx_port);
	printf("tx %" PRIu64 " packets, %.3f Mpps, %.3f Gbit/s on wire (%.3f L2)\n",
	       s->tx_pkts, m->tx_mpps, m->tx_gbps, m->tx_l2);
	printf("rx %" PRIu64 " packets, %.3f Mpps, %.3f Gbit/s on wire (%.3f L2)\n",
	       s->rx_pkts, m->rx_mpps, m->rx_gbps, m->rx_l2);
	if (m->has_loss)
		printf("loss %" PRId64 " packets (%.3f %%)%s\n", m->loss, m->loss_pct,
		       c->opt->mode == PG_RX ? ", from sequence gaps" : "");
	printf("rx detail: %" PRIu64 " foreign, %" PRIu64 " warm-up, %" PRIu64
	       " sequence gaps, %" PRIu64 " reordered or duplicate\n",
	       s->rx_foreign, s->rx_early, s->rx_gaps, s->rx_reordered);
	if (s->tx_dropped)
		printf("tx dropped (queue full): %" PRIu64 "\n", s->tx_dropped);
	if (c->learn_tx)
		printf("learn: %" PRIu64 " frames sent, %" PRIu64 " discarded\n",
		       c->learn_tx, c->learn_rx);
	if (c->opt->mode == PG_PING && c->rtt.nb > 0)
		printf("rtt us: min %.3f avg %.3f p50 %.3f p99 %.3f max %.3f "
		       "(%" PRIu64 " samples, %" PRIu64 " timeouts)\n", m->rtt[0],
		       m->rtt[1], m->rtt[2], m->rtt[3], m->rtt[4], c->rtt.nb_total,
		       s->ping_timeouts);
	else if (c->opt->mode == PG_PING)
		printf("rtt: no replies (%" PRIu64 " timeouts)\n", s->ping_timeouts);
	if (c->opt->latency && c->rtt.nb > 0)
		printf("one-way latency us: min %.3f avg %.3f p50 %.3f p99 %.3f max %.3f "
		       "(%" PRIu64 " samples)\n", m->rtt[0], m->rtt[1], m->rtt[2],
		       m->rtt[3], m->rtt[4], c->rtt.nb_total);
}

void
pg_report(struct pg_ctx *c)
{
	struct pg_summary m;

	if (c->opt->progress && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	if (!c->measuring) {
		/* Stopped during warm-up: nothing was measured. */
		memset(&c->st, 0, sizeof(c->st));
		c->rtt.nb = 0;
		c->rtt.nb_total = 0;
		c->t_start = c->t_end;
	}
	summarize(c, &m);
	if (c->opt->json)
		report_json(c, &m);
	else
		report_text(c, &m);
	fflush(stdout);
}
