/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * net_dpsw's own API, for applications that link the PMD (dpswitch-pktgen
 * does; a plugin loaded with -d cannot be linked against).
 */
#ifndef RTE_PMD_DPSW_H
#define RTE_PMD_DPSW_H

#include <stdint.h>

#include <rte_mbuf.h>

/**
 * Up to @p n mbufs of @p mp whose data room is a free buffer of the
 * region, for a port with zero copy (zero-copy=1 on a trusted port:
 * drivers/net/dpsw/README.md): the application writes a frame in place
 * (at rte_pktmbuf_mtod(), headroom DPSR_HEADROOM) and sends it on tx
 * queue @p queue_id of port @p port_id, which publishes it without a
 * copy. An mbuf freed unsent gives its buffer back; sent on another queue
 * or port it is copied, as any mbuf.
 *
 * @return mbufs allocated, 0..@p n: 0 when the port is no net_dpsw port,
 * has no zero copy (not asked, not granted, not attached now), or when
 * the queue pair's buffers are all in use; then use ordinary mbufs.
 */
uint16_t rte_pmd_dpsw_tx_alloc(uint16_t port_id, uint16_t queue_id, struct rte_mempool *mp,
			       struct rte_mbuf **pkts, uint16_t n);

/**
 * The shortest frame port @p port_id moves in place now: a receiver
 * copies frames up to its copy-break (devarg) because a short frame's copy
 * costs less than the buffer's way round, so a sender gains nothing with
 * rte_pmd_dpsw_tx_alloc() below it either. 0: the port has no zero copy
 * now (or is no net_dpsw port).
 */
uint32_t rte_pmd_dpsw_zero_copy_min(uint16_t port_id);

#endif /* RTE_PMD_DPSW_H */
