/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vtap's bursts: one frame per readv()/writev() on the tap, the
 * virtio-net header first. Offloads map both ways between the header and
 * the mbuf's tx offload requests (as DPDK's vhost library does for a
 * guest's frames), so a large TCP frame or a partial checksum from the
 * kernel is forwarded as such, and a port that takes them passes them on.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_ip.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "vtap.h"

#define CSUM_OFF_TCP offsetof(struct rte_tcp_hdr, cksum)
#define CSUM_OFF_UDP offsetof(struct rte_udp_hdr, dgram_cksum)

int
vtap_hdr_to_mbuf(const struct virtio_net_hdr *h, struct rte_mbuf *m)
{
	struct rte_net_hdr_lens hl;
	uint32_t ptype;
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (h->flags == 0 && gso == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	ptype = rte_net_get_ptype(m, &hl, RTE_PTYPE_ALL_MASK);
	m->packet_type = ptype;
	m->l2_len = hl.l2_len;
	m->l3_len = hl.l3_len;
	m->l4_len = hl.l4_len;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* The checksum field holds the pseudo-header's sum: DPDK's convention too. */
		if (h->csum_start != hl.l2_len + hl.l3_len)
			return -EINVAL;
		if ((ptype & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_TCP && h->csum_offset == CSUM_OFF_TCP)
			m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
		else if ((ptype & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP &&
			 h->csum_offset == CSUM_OFF_UDP)
			m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM;
		else
			return -EINVAL;
		m->ol_flags |= RTE_ETH_IS_IPV4_HDR(ptype) ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
	} else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if ((gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6) ||
	    !(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) || h->gso_size == 0)
		return -EINVAL;
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	m->tso_segsz = h->gso_size;
	return 0;
}

int
vtap_mbuf_to_hdr(const struct rte_mbuf *m, struct virtio_net_hdr *h)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;

	memset(h, 0, sizeof(*h));
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		h->gso_type = (m->ol_flags & RTE_MBUF_F_TX_IPV6) ? VIRTIO_NET_HDR_GSO_TCPV6 :
			VIRTIO_NET_HDR_GSO_TCPV4;
		h->gso_size = m->tso_segsz;
		h->hdr_len = (uint16_t)(m->l2_len + m->l3_len + m->l4_len);
		l4 = RTE_MBUF_F_TX_TCP_CKSUM;
	}
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = (uint16_t)(m->l2_len + m->l3_len);
		h->csum_offset = l4 == RTE_MBUF_F_TX_TCP_CKSUM ? CSUM_OFF_TCP : CSUM_OFF_UDP;
	} else if (l4 != 0) {
		return -ENOTSUP;	/* SCTP */
	}
	return 0;
}

/* Keep VTAP_MAX_SEGS spare mbufs: a read may need them all (64 KB). */
static int
rx_refill(struct vtap_rxq *q)
{
	unsigned int want = VTAP_MAX_SEGS - q->nb_spare;

	if (want == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(q->mp, &q->spare[q->nb_spare], want) != 0)
		return -ENOMEM;
	q->nb_spare = VTAP_MAX_SEGS;
	return 0;
}

/* The first @p len bytes read into the spares as one chained mbuf. */
static struct rte_mbuf *
rx_chain(struct vtap_rxq *q, uint32_t len)
{
	uint16_t used = (uint16_t)((len + q->seg_room - 1) / q->seg_room);
	struct rte_mbuf *m = q->spare[0], *prev = NULL;
	uint32_t left = len;

	for (uint16_t s = 0; s < used; s++) {
		struct rte_mbuf *seg = q->spare[s];

		seg->data_len = (uint16_t)RTE_MIN(left, q->seg_room);
		left -= seg->data_len;
		if (prev != NULL)
			prev->next = seg;
		prev = seg;
	}
	m->nb_segs = used;
	m->pkt_len = len;
	m->port = q->port_id;
	q->nb_spare = (uint16_t)(q->nb_spare - used);
	memmove(q->spare, q->spare + used, q->nb_spare * sizeof(q->spare[0]));
	return m;
}

uint16_t
vtap_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct vtap_rxq *q = queue;
	struct iovec iov[VTAP_MAX_SEGS + 1];
	struct virtio_net_hdr h;
	uint16_t got = 0;

	while (got < n) {
		struct rte_mbuf *m;
		ssize_t r;

		if (rx_refill(q) != 0) {
			rte_eth_devices[q->port_id].data->rx_mbuf_alloc_failed++;
			break;
		}
		iov[0] = (struct iovec){ &h, sizeof(h) };
		for (uint16_t s = 0; s < VTAP_MAX_SEGS; s++)
			iov[s + 1] = (struct iovec){ rte_pktmbuf_mtod(q->spare[s], void *),
						     q->seg_room };
		r = readv(q->fd, iov, VTAP_MAX_SEGS + 1);
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				q->st.errors++;
			break;
		}
		if ((size_t)r < sizeof(h) + RTE_ETHER_HDR_LEN) {
			q->st.errors++;
			continue;
		}
		m = rx_chain(q, (uint32_t)((size_t)r - sizeof(h)));
		if (!q->offloads)
			h.flags = 0, h.gso_type = VIRTIO_NET_HDR_GSO_NONE;
		if (vtap_hdr_to_mbuf(&h, m) != 0) {
			q->st.errors++;
			rte_pktmbuf_free(m);
			continue;
		}
		q->st.gso += (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) != 0;
		q->st.csum += (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) != 0;
		q->st.pkts++;
		q->st.bytes += m->pkt_len;
		pkts[got++] = m;
	}
	return got;
}

void
vtap_rxq_release(struct vtap_rxq *q)
{
	rte_pktmbuf_free_bulk(q->spare, q->nb_spare);
	q->nb_spare = 0;
}

/*
 * A checksum the frame asks for and this tap will not have the kernel
 * complete (offloads off): computed here. 0, or -ENOTSUP (a large TCP
 * frame: the kernel would take it only with offloads on).
 */
static int
tx_complete_sw(struct rte_mbuf *m)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint32_t l4_off = m->l2_len + m->l3_len;
	void *l3;
	uint16_t *field;

	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		return -ENOTSUP;
	if (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM)
		return l4 == 0 ? 0 : -ENOTSUP;
	if (rte_pktmbuf_data_len(m) < l4_off + sizeof(struct rte_tcp_hdr))
		return -ENOTSUP;	/* headers must sit in the first segment */
	l3 = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
	field = rte_pktmbuf_mtod_offset(m, uint16_t *, l4_off + (l4 == RTE_MBUF_F_TX_TCP_CKSUM ?
								  CSUM_OFF_TCP : CSUM_OFF_UDP));
	*field = 0;
	if (m->ol_flags & RTE_MBUF_F_TX_IPV4)
		*field = rte_ipv4_udptcp_cksum_mbuf(m, l3, (uint16_t)l4_off);
	else
		*field = rte_ipv6_udptcp_cksum_mbuf(m, l3, (uint16_t)l4_off);
	m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	return 0;
}

uint16_t
vtap_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct vtap_txq *q = queue;
	struct iovec iov[VTAP_MAX_SEGS + 1];
	struct virtio_net_hdr h;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *seg = m;
		int k = 1, rc;
		ssize_t r;

		rc = q->offloads ? vtap_mbuf_to_hdr(m, &h) : tx_complete_sw(m);
		if (!q->offloads)
			memset(&h, 0, sizeof(h));
		if (rc != 0 || m->nb_segs > VTAP_MAX_SEGS) {
			q->st.dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		iov[0] = (struct iovec){ &h, sizeof(h) };
		for (; seg != NULL; seg = seg->next)
			iov[k++] = (struct iovec){ rte_pktmbuf_mtod(seg, void *), seg->data_len };
		r = writev(q->fd, iov, k);
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS))
			break;		/* the caller keeps the rest */
		if (r < 0) {
			q->st.errors++;
		} else {
			q->st.pkts++;
			q->st.bytes += m->pkt_len;
			q->st.gso += h.gso_type != VIRTIO_NET_HDR_GSO_NONE;
			q->st.csum += h.flags != 0;
		}
		rte_pktmbuf_free(m);
	}
	return i;
}
