/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress VLAN encoding (private to lib/worker). The bridge switches a frame
 * in a VLAN; each egress port wants it tagged (trunk) or untagged (access,
 * or trunk native VLAN). The frame is edited only when its encoding differs,
 * and only when the worker owns it alone.
 */
#ifndef DPS_WORKER_VLAN_H
#define DPS_WORKER_VLAN_H

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fwd/fwd.h"
#include "worker_priv.h"

static inline uint16_t
vlan_frame_vid(const struct rte_mbuf *m)
{
	const struct rte_vlan_hdr *vh = rte_pktmbuf_mtod_offset(m,
			const struct rte_vlan_hdr *, sizeof(struct rte_ether_hdr));

	return rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
}

static inline bool
vlan_egress_needs_fix(const struct rte_mbuf *m, const struct fwd_decision *d,
		      bool want_tagged)
{
	if (d->tagged != want_tagged)
		return true;
	return want_tagged && vlan_frame_vid(m) != d->vid;
}

/* Make @m's encoding what the egress port wants; 0 or -errno. */
static inline int
vlan_egress_fix(struct rte_mbuf *m, const struct fwd_decision *d,
		bool want_tagged)
{
	if (!vlan_egress_needs_fix(m, d, want_tagged))
		return 0;
	if (want_tagged && !d->tagged) {
		m->vlan_tci = d->vid;
		/* Offload requests count their headers from the frame's start. */
		m->l2_len += (m->ol_flags & DPS_TX_OFFLOADS) ? RTE_VLAN_HLEN : 0;
		return rte_vlan_insert(&m);
	}
	if (rte_mbuf_refcnt_read(m) != 1 || RTE_MBUF_CLONED(m))
		return -EINVAL;
	if (want_tagged) {
		struct rte_vlan_hdr *vh = rte_pktmbuf_mtod_offset(m,
				struct rte_vlan_hdr *, sizeof(struct rte_ether_hdr));
		uint16_t tci = rte_be_to_cpu_16(vh->vlan_tci);

		/* Keep the priority bits, replace the VID. */
		vh->vlan_tci = rte_cpu_to_be_16((tci & 0xf000) | d->vid);
		return 0;
	}
	/* Untag: slide the MAC addresses over the tag. */
	memmove(rte_pktmbuf_mtod_offset(m, uint8_t *, 4),
		rte_pktmbuf_mtod(m, uint8_t *), 2 * RTE_ETHER_ADDR_LEN);
	if ((m->ol_flags & DPS_TX_OFFLOADS) && m->l2_len >= RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
		m->l2_len -= RTE_VLAN_HLEN;
	return rte_pktmbuf_adj(m, 4) == NULL ? -EINVAL : 0;
}

#endif /* DPS_WORKER_VLAN_H */
