/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency modes. ping sends one timestamped frame and waits for its echo
 * before the next; reflect is the echo. Both can wait by polling (busy) or
 * asleep on the rx queue's interrupt (block), which leaves the core free.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_random.h>

#include "pg.h"

#define PG_WAIT_SLICE_MS 100	/* longest sleep: keeps SIGINT and progress live */

/*
 * Register the rx queue's interrupt with this thread's epoll set. Must run
 * on the lcore that waits. A PMD without rx interrupts fails here.
 */
int
pg_rx_intr_setup(uint16_t port)
{
	int rc = rte_eth_dev_rx_intr_ctl_q(port, 0, RTE_EPOLL_PER_THREAD,
					   RTE_INTR_EVENT_ADD, NULL);

	if (rc == 0)
		rc = rte_eth_dev_rx_intr_enable(port, 0);
	if (rc != 0) {
		fprintf(stderr, "%s: --ping-mode block: port %u has no rx interrupts "
			"(%s); use --ping-mode busy\n", PG_PROG, port, rte_strerror(-rc));
		return -ENOTSUP;
	}
	rte_eth_dev_rx_intr_disable(port, 0);
	return 0;
}

/*
 * Receive, sleeping up to timeout_ms if the queue is empty. Polling once
 * more after arming the interrupt closes the race with a frame that came
 * in between: the PMD raises no interrupt for what was already there.
 */
static uint16_t
rx_wait(uint16_t port, struct rte_mbuf **pkts, uint16_t n, int timeout_ms)
{
	struct rte_epoll_event ev;
	uint16_t got;

	rte_eth_dev_rx_intr_enable(port, 0);
	got = rte_eth_rx_burst(port, 0, pkts, n);
	if (got == 0 && timeout_ms > 0) {
		rte_epoll_wait_interruptible(RTE_EPOLL_PER_THREAD, &ev, 1, timeout_ms);
		got = rte_eth_rx_burst(port, 0, pkts, n);
	}
	rte_eth_dev_rx_intr_disable(port, 0);
	return got;
}

static uint16_t
rx_poll(const struct pg_ctx *c, struct rte_mbuf **pkts, uint64_t deadline)
{
	uint64_t now, ms;

	if (!c->opt->ping_block)
		return rte_eth_rx_burst(c->opt->rx_port, 0, pkts, c->opt->burst);
	now = rte_rdtsc();
	ms = now < deadline ? (deadline - now) * 1000 / c->hz + 1 : 0;
	return rx_wait(c->opt->rx_port, pkts, c->opt->burst,
		       (int)RTE_MIN(ms, (uint64_t)PG_WAIT_SLICE_MS));
}

/*
 * Sort a burst: true if it holds the reply to seq. A ping sent before the
 * measured window began (warm-up) is answered but not counted.
 */
static bool
match_reply(struct pg_ctx *c, struct rte_mbuf **pkts, uint16_t n, uint32_t seq,
	    bool counted, uint64_t now)
{
	bool found = false;

	for (uint16_t i = 0; i < n; i++) {
		struct pg_payload *p = pg_payload_check(pkts[i]);

		if (p != NULL && p->seq == seq && !found) {
			found = true;
			if (!counted)
				continue;
			c->st.rx_pkts++;
			c->st.rx_bytes += pkts[i]->pkt_len;
			if (pg_rtt_add(&c->rtt, now - p->tsc) != 0)
				fprintf(stderr, "%s: out of memory for RTT samples\n", PG_PROG);
		} else if (p != NULL) {
			c->st.ping_late++;
		} else if (c->measuring) {
			c->st.rx_pkts++;
			c->st.rx_foreign++;
			c->st.rx_bytes += pkts[i]->pkt_len;
		}
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return found;
}

/*
 * One ping: 1 = answered, 0 = timed out, -1 = SIGINT (the ping in flight
 * is not counted). The end of --duration lets the last reply come in.
 */
static int
ping_once(struct pg_ctx *c, uint32_t flow, uint16_t size)
{
	struct rte_mbuf *pkts[PG_MAX_BURST];
	const uint64_t timeout = (uint64_t)(c->opt->timeout_s * (double)c->hz);
	uint32_t seq = c->seq_next++;
	bool counted = c->measuring;
	uint64_t tsc, now;

	pkts[0] = rte_pktmbuf_alloc(c->pool);
	if (pkts[0] == NULL)
		return 0;
	tsc = rte_rdtsc();
	pg_frame_fill(&c->fr, pkts[0], flow, size, seq, tsc);
	if (pg_tx_all(c->opt->tx_port, pkts, 1, timeout) != 1)
		return pg_quit ? -1 : 0;
	if (counted) {
		c->st.tx_pkts++;
		c->st.tx_bytes += size;
	}
	for (;;) {
		uint16_t n = rx_poll(c, pkts, tsc + timeout);

		now = rte_rdtsc();
		if (n > 0 && match_reply(c, pkts, n, seq, counted, now))
			return 1;
		if (now >= c->next_tick && pg_tick(c, now) && pg_quit) {
			if (counted && c->measuring) {
				c->st.tx_pkts--;
				c->st.tx_bytes -= size;
			}
			return -1;
		}
		if (now - tsc > timeout)
			return 0;
	}
}

/* Until the next ping is due; false if the run ended meanwhile. */
static bool
wait_until(struct pg_ctx *c, uint64_t when)
{
	for (;;) {
		uint64_t now = rte_rdtsc();

		if (now >= c->next_tick && pg_tick(c, now))
			return false;
		if (now >= when)
			return true;
		if (c->opt->ping_block)
			rte_delay_us_sleep(RTE_MIN((when - now) * 1000000 / c->hz,
						   (uint64_t)PG_WAIT_SLICE_MS * 1000));
		else
			rte_pause();
	}
}

/* --interval, in TSC cycles: fixed, or uniform in [min, max]. */
static uint64_t
ping_interval(const struct pg_ctx *c)
{
	const struct pg_options *o = c->opt;
	uint64_t us = o->interval_us;

	if (o->interval_max_us > o->interval_us)
		us += rte_rand_max(o->interval_max_us - o->interval_us + 1);
	return us * c->hz / 1000000;
}

int
pg_run_ping(struct pg_ctx *c)
{
	const struct pg_options *o = c->opt;
	uint64_t next = rte_rdtsc();
	uint32_t flow = 0, size_idx = 0;
	int rc = 0;

	while (rc >= 0 && !(o->count && c->measuring && c->st.tx_pkts >= o->count)) {
		if (!wait_until(c, next))
			break;
		/* Keep the schedule, but never send a backlog in a rush. */
		next = RTE_MAX(next + ping_interval(c), rte_rdtsc());
		rc = ping_once(c, flow, c->fr.sizes[size_idx]);
		if (rc == 0 && c->measuring)
			c->st.ping_timeouts++;
		flow = flow + 1 == c->fr.nb_flows ? 0 : flow + 1;
		size_idx = size_idx + 1 == c->fr.nb_sizes ? 0 : size_idx + 1;
	}
	c->t_end = rte_rdtsc();
	return 0;
}

/* Swap MACs and send back; returns the bytes in the burst. */
static uint64_t
swap_macs(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);
		struct rte_ether_addr tmp = eth->dst_addr;

		eth->dst_addr = eth->src_addr;
		eth->src_addr = tmp;
		bytes += pkts[i]->pkt_len;
	}
	return bytes;
}

static void
reflect_burst(struct pg_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes;
	uint16_t sent;

	if (c->measuring) {
		if (c->t_first_rx == 0)
			c->t_first_rx = rte_rdtsc();
		c->t_last_rx = rte_rdtsc();
	}
	pg_rx_account(c, pkts, n);
	bytes = swap_macs(pkts, n);
	sent = rte_eth_tx_burst(c->opt->tx_port, 0, pkts, n);
	for (uint16_t i = sent; i < n; i++)
		bytes -= pkts[i]->pkt_len;
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	if (c->measuring) {
		c->st.tx_pkts += sent;
		c->st.tx_bytes += bytes;
		c->st.tx_dropped += n - sent;
	}
}

int
pg_run_reflect(struct pg_ctx *c)
{
	struct rte_mbuf *pkts[PG_MAX_BURST];
	const struct pg_options *o = c->opt;

	for (;;) {
		uint64_t now = rte_rdtsc();
		uint16_t n;

		if (now >= c->next_tick && pg_tick(c, now))
			break;
		n = o->ping_block ? rx_wait(o->rx_port, pkts, o->burst, PG_WAIT_SLICE_MS) :
				    rte_eth_rx_burst(o->rx_port, 0, pkts, o->burst);
		if (n > 0)
			reflect_burst(c, pkts, n);
		if (o->count && c->measuring && c->st.rx_pkts >= o->count)
			break;
	}
	c->t_end = rte_rdtsc();
	return 0;
}
