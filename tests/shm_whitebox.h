/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * White-box checks of net_shm's regions for the tests that run the switch's
 * driver in their own process (test_shm.c, test_dpsw_zc.c): its private
 * data, through DPDK's driver header (ALLOW_INTERNAL_API). Include after
 * test_common.h.
 */
#ifndef DPS_SHM_WHITEBOX_H
#define DPS_SHM_WHITEBOX_H

#include <stdint.h>
#include <stdlib.h>

#include <ethdev_driver.h>
#include <rte_mbuf.h>

#include "shm_dev.h"

static uint32_t *region_seen;

static void
spare_seen(struct rte_mempool *mp __rte_unused, void *arg, void *obj, unsigned int i __rte_unused)
{
	const struct shm_region *r = arg;
	const struct rte_mbuf *m = obj;
	uint64_t off = (uint64_t)((const uint8_t *)m->buf_addr - (r->view.base + r->view.bufs_off));

	region_seen[off / r->view.lim.buf_size]++;
}

/*
 * White box: every buffer of port @p id's region is held exactly once,
 * with every spare back in its pool: by a spare, by a slot (its shadow,
 * which the slot's descriptor names), or by a bag (the owner table),
 * whose buffers no slot's shadow counts (a bag holder's rx ring) and
 * each bag exactly a ring's worth.
 */
static void
region_exact(uint16_t id)
{
	const struct shm_dev *sd = rte_eth_devices[id].data->dev_private;
	const struct shm_region *r = sd->region;
	uint32_t nb = r->view.lim.nb_bufs, size = r->view.ring_size, once = 0;
	uint32_t bags[65] = { 0 };

	CHECK_EQ(rte_mempool_avail_count(r->spares), r->nb_spares);
	region_seen = calloc(nb, sizeof(*region_seen));
	rte_mempool_obj_iter(r->spares, spare_seen, (void *)(uintptr_t)r);
	for (uint32_t i = 0; i < 2 * r->view.nb_qpairs; i++) {
		const struct dpsr_ring *ring = (const struct dpsr_ring *)
			(r->view.base + r->view.rings_off + (uint64_t)i * r->view.ring_stride);
		uint8_t bag = shm_bag_of(i / 2);
		bool bag_ring = false;

		/* A bag holder's rx ring: its slots' buffers are the bag's to count. */
		for (uint32_t b = 0; i % 2 == 0 && b < nb && !bag_ring; b++)
			bag_ring = r->owner[b] == bag;
		if (bag_ring)
			continue;
		for (uint32_t k = 0; k < size; k++) {
			region_seen[r->shadow[i * size + k]]++;
			/* The slot's own: what the switch last wrote, unless a bag holder's. */
			if (ring->desc[k].buf != r->shadow[i * size + k] && i % 2 == 0)
				CHECK_MSG(0, "ring %u slot %u names %u, owns %u", i, k,
					  ring->desc[k].buf, r->shadow[i * size + k]);
		}
	}
	for (uint32_t b = 0; b < nb; b++) {
		if (r->owner[b] != SHM_OWNER_SWITCH) {
			bags[r->owner[b]]++;
			region_seen[b]++;
		}
		once += region_seen[b] == 1;
	}
	CHECK_EQ(once, nb);
	for (uint32_t q = 0; q < 64; q++)
		CHECK_MSG(bags[1 + q] == 0 || bags[1 + q] == size, "bag %u holds %u", q,
			  bags[1 + q]);
	free(region_seen);
}

#endif /* DPS_SHM_WHITEBOX_H */
