/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr copies between region buffers and mbufs, for the two DPDK ends:
 * the switch's driver (drivers/net/shm) and the peer PMD (drivers/net/dpsw).
 * The rest of lib/dpsr is plain C; only this header needs DPDK.
 */
#ifndef DPS_DPSR_MBUF_H
#define DPS_DPSR_MBUF_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

/**
 * A fresh chain of mbufs from @p mp holding @p len bytes copied from
 * @p src (the frame as checked: the caller read its descriptor once).
 * NULL if @p mp ran dry; what was taken of it goes back.
 */
static inline struct rte_mbuf *
dpsr_mbuf_copy_in(struct rte_mempool *mp, const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(mp), *m = head;
	uint32_t done = 0;

	while (m != NULL) {
		uint32_t chunk = RTE_MIN(len - done, (uint32_t)rte_pktmbuf_tailroom(m));

		rte_memcpy(rte_pktmbuf_mtod(m, uint8_t *), src + done, chunk);
		m->data_len = (uint16_t)chunk;
		done += chunk;
		if (likely(done == len)) {
			head->pkt_len = len;
			return head;
		}
		if (chunk == 0 || (m->next = rte_pktmbuf_alloc(mp)) == NULL)
			break;
		m = m->next;
		head->nb_segs++;
	}
	rte_pktmbuf_free(head);
	return NULL;
}

/** Gather the first @p len bytes of @p m (any segments) into @p dst. */
static inline void
dpsr_mbuf_copy_out(uint8_t *dst, const struct rte_mbuf *m, uint32_t len)
{
	/* Contiguous: the data itself; chained: gathered into dst already. */
	const void *p = rte_pktmbuf_read(m, 0, len, dst);

	if (p != dst)
		rte_memcpy(dst, p, len);
}

#endif /* DPS_DPSR_MBUF_H */
