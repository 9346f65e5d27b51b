/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker tx buffers (private to lib/worker). A worker collects the
 * packets of a poll round per egress port and sends each port's batch with
 * one rte_eth_tx_burst(), so a burst costs one driver call per destination.
 */
#ifndef DPS_WORKER_TX_H
#define DPS_WORKER_TX_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "worker_priv.h"

static inline void
txbuf_flush_port(struct dps_worker *w, const struct dps_dp_config *cfg,
		 uint16_t port)
{
	struct txbuf *tb = &w->tx[port];
	struct dps_port_counters *c = &w->ctr[port];
	uint16_t q = cfg->txq[port][w->index];
	uint64_t bytes = 0;
	uint16_t sent;

	/* Count bytes first: a sent mbuf may be freed inside tx_burst. */
	for (uint16_t i = 0; i < tb->n; i++)
		bytes += tb->pkts[i]->pkt_len;
	if (unlikely(cfg->txq_shared[port])) {
		rte_spinlock_lock(&dps_txq_lock[port][q]);
		sent = rte_eth_tx_burst(port, q, tb->pkts, tb->n);
		rte_spinlock_unlock(&dps_txq_lock[port][q]);
	} else {
		sent = rte_eth_tx_burst(port, q, tb->pkts, tb->n);
	}
	if (unlikely(sent < tb->n)) {
		for (uint16_t i = sent; i < tb->n; i++) {
			bytes -= tb->pkts[i]->pkt_len;
			rte_pktmbuf_free(tb->pkts[i]);
		}
		c->drop_tx_full += tb->n - sent;
	}
	c->tx_pkts += sent;
	c->tx_bytes += bytes;
	tb->n = 0;
	w->dirty &= ~(UINT64_C(1) << port);
}

/* Queue @p m for @p port as it is (txbuf_add() checks its offload requests). */
static inline void
txbuf_put(struct dps_worker *w, const struct dps_dp_config *cfg, uint16_t port,
	  struct rte_mbuf *m)
{
	struct txbuf *tb = &w->tx[port];

	/* Only the first frame marks the port: no shared RMW per frame. */
	if (tb->n == 0)
		w->dirty |= UINT64_C(1) << port;
	tb->pkts[tb->n++] = m;
	if (unlikely(tb->n == TXBUF_SIZE))
		txbuf_flush_port(w, cfg, port);
}

/*
 * Queue @p m for @p port. A frame that asks for segmentation or checksums
 * the port does not take them from goes through worker_tx_soft() first;
 * most frames ask for nothing (one test of their flags).
 */
static inline void
txbuf_add(struct dps_worker *w, const struct dps_dp_config *cfg, uint16_t port,
	  struct rte_mbuf *m)
{
	uint64_t want = m->ol_flags & DPS_TX_OFFLOADS;

	if (unlikely(want != 0) && (want & ~cfg->tx_ok[port]) != 0) {
		worker_tx_soft(w, cfg, port, m);
		return;
	}
	txbuf_put(w, cfg, port, m);
}

static inline void
txbuf_flush_all(struct dps_worker *w, const struct dps_dp_config *cfg)
{
	while (w->dirty)
		txbuf_flush_port(w, cfg, (uint16_t)__builtin_ctzll(w->dirty));
}

#endif /* DPS_WORKER_TX_H */
