/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a frame asks of its egress port that the port cannot do (private
 * to lib/worker): a frame from a port with offloads (vtap, vhost) may be a
 * TCP frame of up to 64 KB to be cut into segments (RTE_MBUF_F_TX_TCP_SEG)
 * and may carry a partial checksum (RTE_MBUF_F_TX_TCP/UDP_CKSUM). Toward a
 * port that takes them they pass as they are; toward one that does not,
 * the worker segments the frame (DPDK's librte_gso) and completes the
 * checksums here. Off the hot path: txbuf_add() calls this only for a
 * frame whose requests its egress port does not take.
 */
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "worker_priv.h"
#include "worker_tx.h"

/* Segments a 64 KB frame becomes at the smallest MSS GSO makes (~1400 B). */
#define GSO_SEGS_MAX 64

void
worker_gso_init(struct dps_worker *w, struct rte_mempool *pool)
{
	w->gso = (struct rte_gso_ctx){
		.direct_pool = pool,	/* each segment's headers, copied */
		.indirect_pool = pool,	/* each segment's payload, by reference */
		.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
		.gso_size = RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN,
	};
}

/*
 * The IPv4 header and the TCP/UDP checksum @p m asks for, computed here.
 * Its headers are in its first segment (a GSO segment's are in a copy of
 * its own). A checksum field holding a partial sum is overwritten.
 */
static void
csum_sw(struct rte_mbuf *m, bool ip)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint16_t l4_off = (uint16_t)(m->l2_len + m->l3_len);
	void *l3 = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
	uint16_t *field;

	if (ip && (m->ol_flags & RTE_MBUF_F_TX_IPV4)) {
		struct rte_ipv4_hdr *iph = l3;

		iph->hdr_checksum = 0;
		iph->hdr_checksum = rte_ipv4_cksum(iph);
	}
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
		field = rte_pktmbuf_mtod_offset(m, uint16_t *, l4_off +
			(l4 == RTE_MBUF_F_TX_TCP_CKSUM ? offsetof(struct rte_tcp_hdr, cksum) :
			 offsetof(struct rte_udp_hdr, dgram_cksum)));
		*field = 0;
		*field = (m->ol_flags & RTE_MBUF_F_TX_IPV4) ?
			rte_ipv4_udptcp_cksum_mbuf(m, l3, l4_off) :
			rte_ipv6_udptcp_cksum_mbuf(m, l3, l4_off);
	}
	m->ol_flags &= ~(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM);
}

/*
 * The headers segmentation or a checksum reads and writes, all in the
 * first segment? (Else the frame is dropped: a peer decides where its
 * frames' buffers end.)
 */
static bool
headers_in_first(const struct rte_mbuf *m)
{
	bool tcp = (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) ||
		(m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM;
	uint32_t l4 = tcp ? RTE_MAX((uint32_t)m->l4_len, (uint32_t)sizeof(struct rte_tcp_hdr)) :
		sizeof(struct rte_udp_hdr);

	return m->l2_len != 0 && m->l3_len != 0 &&
		rte_pktmbuf_data_len(m) >= (uint32_t)m->l2_len + m->l3_len + l4;
}

static void
drop(struct dps_worker *w, uint16_t port, struct rte_mbuf *m)
{
	w->ctr[port].drop_offload++;
	rte_pktmbuf_free(m);
}

/* Cut @p m into segments of the egress port's frame size, each sent. */
static void
tx_gso(struct dps_worker *w, const struct dps_dp_config *cfg, uint16_t port,
       struct rte_mbuf *m)
{
	struct rte_mbuf *segs[GSO_SEGS_MAX];
	uint64_t flags = m->ol_flags;
	bool l4_ok = (cfg->tx_ok[port] & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_L4_MASK;
	bool ip_ok = (cfg->tx_ok[port] & RTE_MBUF_F_TX_IP_CKSUM) != 0;
	int n;

	w->gso.gso_size = cfg->gso_size[port];
	n = rte_gso_segment(m, &w->gso, segs, GSO_SEGS_MAX);
	/* A frame flooded to several ports is shared: the others keep its request. */
	m->ol_flags = flags;
	if (n <= 0) {
		drop(w, port, m);
		return;
	}
	rte_pktmbuf_free(m);		/* the segments hold its payload */
	w->ctr[port].gso_frames++;
	w->ctr[port].gso_segments += (uint64_t)n;
	for (int i = 0; i < n; i++) {
		/* GSO rewrote each segment's lengths and left the sums to us. */
		if (ip_ok && (segs[i]->ol_flags & RTE_MBUF_F_TX_IPV4))
			segs[i]->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
		if (!l4_ok || !ip_ok) {
			csum_sw(segs[i], !ip_ok);
			if (l4_ok)	/* the port does L4 but not IP: keep its L4 request */
				segs[i]->ol_flags |= flags & RTE_MBUF_F_TX_L4_MASK;
			w->ctr[port].csum_sw++;
		}
		txbuf_put(w, cfg, port, segs[i]);
	}
}

void
worker_tx_soft(struct dps_worker *w, const struct dps_dp_config *cfg, uint16_t port,
	       struct rte_mbuf *m)
{
	if ((m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) && !(cfg->tx_ok[port] & RTE_MBUF_F_TX_TCP_SEG)) {
		if (!headers_in_first(m)) {
			drop(w, port, m);
			return;
		}
		tx_gso(w, cfg, port, m);
		return;
	}
	/* Checksums only. A shared frame is copied: others may want it partial. */
	if (rte_mbuf_refcnt_read(m) > 1 || RTE_MBUF_CLONED(m)) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, worker_rt.pool, 0, UINT32_MAX);

		rte_pktmbuf_free(m);
		if (c == NULL) {
			w->ctr[port].drop_no_mbuf++;
			return;
		}
		m = c;
	}
	if ((m->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)) &&
	    !headers_in_first(m)) {
		drop(w, port, m);
		return;
	}
	csum_sw(m, !(cfg->tx_ok[port] & RTE_MBUF_F_TX_IP_CKSUM));
	m->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
	w->ctr[port].csum_sw++;
	txbuf_put(w, cfg, port, m);
}
