/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpswitch-pktgen: shared definitions of the traffic tool (private header).
 *
 * options.c  command line (parsed before EAL starts, so mistakes cost nothing)
 * frame.c    per-flow frame templates, the size pattern, the payload header
 * port.c     mbuf pool, port set-up, link wait, MAC pre-learning
 * stream.c   tx, rx and txrx loops (throughput)
 * ping.c     ping and reflect (latency), rx interrupts
 * report.c   run clock, counters, progress line, final report
 */
#ifndef PG_H
#define PG_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_udp.h>

#define PG_PROG "dpswitch-pktgen"
#define PG_MIN_SIZE 60			/* frame size without FCS */
#define PG_MAX_SIZE 1514
#define PG_MAX_BURST 512
#define PG_MAX_FLOWS 65536
#define PG_NB_DESC 1024
#define PG_LINGER_S 0.1			/* default --linger */

enum pg_mode { PG_TX, PG_RX, PG_TXRX, PG_PING, PG_REFLECT };
enum pg_size_kind { PG_SIZE_FIXED, PG_SIZE_RANGE, PG_SIZE_IMIX };

struct pg_options {
	enum pg_mode mode;
	uint16_t tx_port;
	uint16_t rx_port;
	enum pg_size_kind size_kind;
	uint16_t size_min;		/* == size_max for a fixed size */
	uint16_t size_max;
	uint16_t burst;
	uint64_t rate;			/* packets/s, 0 = unlimited */
	uint32_t flows;
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;	/* flow 0's destination */
	bool learn;
	bool json;
	bool progress;
	bool ping_block;		/* --ping-mode block */
	bool latency;			/* rx: one-way latency from the payload TSC */
	double duration_s;		/* 0 = until --count or SIGINT */
	uint64_t count;			/* 0 = no limit */
	double warmup_s;
	double linger_s;		/* ports stay open this long after the run */
	double drain_s;			/* txrx: fixed wait for stragglers, 0 = quiet cut */
	uint32_t interval_us;		/* ping: send to send, or a random */
	uint32_t interval_max_us;	/* time in [interval_us, this] */
	double timeout_s;		/* per ping */
	uint32_t gap_min_us;		/* tx: silence before each burst, */
	uint32_t gap_max_us;		/* uniform in [min, max]; 0 = none */
};

/*
 * What follows the Ethernet/IPv4/UDP headers in every frame we send. It
 * fits the 18 payload bytes of a 60-byte frame exactly. Both ends run on
 * one machine, so fields are in host order and the TSC is comparable.
 */
struct pg_payload {
	uint32_t magic;			/* PG_MAGIC or PG_MAGIC_LEARN */
	uint32_t seq;			/* per run, wraps (serial arithmetic) */
	uint64_t tsc;			/* sender's TSC at transmit */
	uint16_t flow;			/* flow index, 0-based */
} __rte_packed;

#define PG_MAGIC 0x50475731u		/* "PGW1" */
#define PG_MAGIC_LEARN 0x5047574cu	/* "PGWL": pre-learning frames */
#define PG_HDR_LEN (RTE_ETHER_HDR_LEN + 20 + 8)
#define PG_TMPL_LEN 64			/* headers + payload, one cache line */

/* Frame templates: one per flow, built once; the size pattern. */
struct pg_frames {
	uint8_t (*tmpl)[PG_TMPL_LEN];	/* [flows], cache-line aligned */
	uint32_t nb_flows;
	uint16_t *sizes;		/* the pattern sizes cycle through */
	uint32_t nb_sizes;
	bool var_size;			/* lengths and IP checksum patched */
};

struct pg_stats {
	uint64_t tx_pkts, tx_bytes;
	uint64_t tx_dropped;		/* reflect: refused by the tx queue */
	uint64_t rx_pkts, rx_bytes;	/* ours, sent in the measured window */
	uint64_t rx_foreign;		/* without our signature */
	uint64_t rx_early;		/* ours, sent/received during warm-up */
	uint64_t rx_gaps;		/* sequence numbers skipped */
	uint64_t rx_reordered;		/* out of order or duplicate */
	uint64_t ping_timeouts;
	uint64_t ping_late;		/* replies that came after their timeout */
};

struct pg_rtt {
	uint64_t *cycles;		/* samples, in TSC cycles */
	uint32_t nb, cap;
	uint64_t sum, min, max;
	uint64_t nb_total;		/* also those beyond cap */
};

/* Everything one run needs; touched by one lcore only. */
struct pg_ctx {
	const struct pg_options *opt;
	struct rte_mempool *pool;
	struct pg_frames fr;
	uint64_t hz;
	/* Run clock (report.c). */
	uint64_t t_launch, t_warm_end, t_start, t_stop, t_end;
	uint64_t next_tick, next_progress;
	bool measuring;
	/* Sequence numbers: sent, and what rx expects next. */
	uint32_t seq_next, seq_start;
	uint16_t tx_pending;		/* filled, not yet accepted by the queue */
	uint64_t rx_tsc;		/* when the burst being accounted arrived */
	uint32_t rx_expect;
	bool rx_seen;
	bool seq_filter;		/* we sent what we receive: filter warm-up */
	uint64_t t_first_rx, t_last_rx;	/* rx mode rate window */
	uint64_t learn_tx, learn_rx;
	struct pg_stats st;
	struct pg_stats st_prog;	/* at the last progress line */
	uint64_t t_prog;
	struct pg_rtt rtt;		/* ping: RTT; rx --latency: one-way */
};

extern volatile sig_atomic_t pg_quit;

/* options.c */
int pg_options_parse(int argc, char **argv, struct pg_options *o);
void pg_usage(void);
const char *pg_mode_name(enum pg_mode m);

/* frame.c */
int pg_frames_build(struct pg_frames *f, const struct pg_options *o);
void pg_frames_free(struct pg_frames *f);
void pg_frame_learn(uint8_t *frame, const struct pg_options *o, uint32_t flow);

static inline struct pg_payload *
pg_payload_of(uint8_t *frame)
{
	return (struct pg_payload *)(frame + PG_HDR_LEN);
}

/* Our payload if m carries our signature, else NULL. */
static inline struct pg_payload *
pg_payload_check(struct rte_mbuf *m)
{
	struct pg_payload *p;

	if (unlikely(m->data_len < PG_MIN_SIZE))
		return NULL;
	p = pg_payload_of(rte_pktmbuf_mtod(m, uint8_t *));
	return likely(p->magic == PG_MAGIC) ? p : NULL;
}

/*
 * Set both lengths of a frame copied from a zero-length template. The
 * one's complement sum is byte-order independent (RFC 1071), so adding the
 * new length word to the template's sum updates the checksum exactly.
 */
static inline void
pg_frame_set_len(uint8_t *frame, uint16_t size)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t len = rte_cpu_to_be_16(size - RTE_ETHER_HDR_LEN);
	uint32_t sum = (uint16_t)~ip->hdr_checksum;

	sum += len;
	sum = (sum & 0xffff) + (sum >> 16);
	ip->hdr_checksum = (uint16_t)~sum;
	ip->total_length = len;
	udp->dgram_len = rte_cpu_to_be_16(size - RTE_ETHER_HDR_LEN - sizeof(*ip));
}

/* Fill m from flow's template: the only per-packet writes are seq/tsc. */
static inline void
pg_frame_fill(const struct pg_frames *f, struct rte_mbuf *m, uint32_t flow,
	      uint16_t size, uint32_t seq, uint64_t tsc)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct pg_payload *p = pg_payload_of(d);

	rte_mov64(d, f->tmpl[flow]);
	p->seq = seq;
	p->tsc = tsc;
	if (f->var_size)
		pg_frame_set_len(d, size);
	m->data_len = size;
	m->pkt_len = size;
}

/* port.c */
struct rte_mempool *pg_pool_create(const struct pg_options *o);
int pg_ports_setup(const struct pg_options *o, struct rte_mempool *mp);
void pg_ports_close(const struct pg_options *o);
int pg_learn(struct pg_ctx *c);
uint16_t pg_tx_all(uint16_t port, struct rte_mbuf **pkts, uint16_t n,
		   uint64_t timeout_cycles);

/* stream.c */
int pg_run_tx(struct pg_ctx *c);
int pg_run_rx(struct pg_ctx *c);
int pg_run_txrx(struct pg_ctx *c);

/* ping.c */
int pg_rx_intr_setup(uint16_t port);
int pg_run_ping(struct pg_ctx *c);
int pg_run_reflect(struct pg_ctx *c);

/* report.c */
void pg_clock_start(struct pg_ctx *c);
bool pg_tick(struct pg_ctx *c, uint64_t now);
void pg_rx_account(struct pg_ctx *c, struct rte_mbuf **pkts, uint16_t n);
int pg_rtt_add(struct pg_rtt *r, uint64_t cycles);
void pg_report(struct pg_ctx *c);

#endif /* PG_H */
