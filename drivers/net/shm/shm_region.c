/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Regions of shared-ring ports: a trust group's, which every port of the
 * group serves a slice of, or an isolated port's own. Control thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "shm_guard.h"
#include "shm_log.h"
#include "shm_region.h"

#define SHM_MAX_REGIONS 64
#define SPARES_CACHE 256u

static struct shm_region *regions[SHM_MAX_REGIONS];
static unsigned int spares_seq;

/*
 * Spare buffers are mbufs whose data buffer is a region buffer. An mbuf
 * that goes back to its pool keeps whatever buffer it holds (the pool
 * never resets buf_addr), so the pool is exactly the set of buffers that
 * no ring slot owns: swapping a buffer with a slot swaps buf_addr.
 */
static int
shm_spares_create(struct shm_region *r, const char *name, struct dps_err *err)
{
	uint32_t n = r->nb_spares, first = r->view.lim.nb_bufs - n;
	unsigned int cache = RTE_MIN(SPARES_CACHE, n / 8);
	struct rte_mbuf **all;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	uint8_t *bufs = r->view.base + r->view.bufs_off;

	snprintf(pool_name, sizeof(pool_name), "dps_spares_%u", spares_seq++);
	r->spares = rte_pktmbuf_pool_create(pool_name, n, cache, 0, 0, (int)rte_socket_id());
	if (r->spares == NULL)
		return dps_err_set(err, -ENOMEM, "group '%s': cannot allocate %u spare mbufs",
				   name, n);
	all = calloc(n, sizeof(*all));
	if (all == NULL || rte_mempool_get_bulk(r->spares, (void **)all, n) != 0) {
		free(all);
		rte_mempool_free(r->spares);
		r->spares = NULL;
		return dps_err_set(err, -ENOMEM, "group '%s': cannot set up its spares", name);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct rte_mbuf *m = all[i];
		uint64_t off = (uint64_t)(first + i) * r->view.lim.buf_size;

		m->buf_addr = bufs + off;
		m->buf_iova = r->iova_base == RTE_BAD_IOVA ? RTE_BAD_IOVA : r->iova_base + off;
		m->buf_len = (uint16_t)r->view.lim.buf_size;
		rte_pktmbuf_reset_headroom(m);
	}
	rte_mempool_put_bulk(r->spares, (void **)all, n);
	free(all);
	return 0;
}

/* Create and map a region's memory under the fault guard. */
static int
region_mem_create(const struct dpsr_geometry *g, struct dpsr_mem *mem, const char **why)
{
	/* Hugepages unless EAL runs without them (tests): then small pages. */
	int rc = dpsr_region_create(g, !rte_eal_has_hugepages(), mem, why);

	if (rc != 0)
		return rc;
	rc = shm_guard_add(mem->base, mem->size, mem->huge ? DPSR_HUGEPAGE :
			   (size_t)sysconf(_SC_PAGESIZE));
	if (rc != 0) {
		dpsr_region_destroy(mem);
		*why = "cannot guard it against faults";
	}
	return rc;
}

static void
region_mem_destroy(struct dpsr_mem *mem)
{
	shm_guard_del(mem->base);
	dpsr_region_destroy(mem);
}

static void
region_free(struct shm_region *r)
{
	free(r->shadow);
	free(r->owner);
	rte_mempool_free(r->spares);
	region_mem_destroy(&r->mem);
	free(r);
}

/*
 * A region whose ports are all gone may still lend buffers to mbufs that
 * sit in other ports' queues; it is freed once every spare is back.
 */
static void
regions_reap(void)
{
	for (unsigned int i = 0; i < SHM_MAX_REGIONS; i++) {
		struct shm_region *r = regions[i];

		if (r == NULL || r->slot_used != 0)
			continue;
		if (r->spares != NULL && !rte_mempool_full(r->spares))
			continue;
		regions[i] = NULL;
		region_free(r);
	}
}

static struct shm_region *
region_find(const char *group)
{
	for (unsigned int i = 0; i < SHM_MAX_REGIONS; i++)
		if (regions[i] != NULL && regions[i]->trusted &&
		    strcmp(regions[i]->group, group) == 0)
			return regions[i];
	return NULL;
}

/*
 * A later port of a group must ask for what the group has; what it leaves
 * out it inherits, except qpairs (its own queue count, 1 by default).
 */
static int
region_match(const struct shm_region *r, const struct shm_region_req *req,
	     const char *port, struct dps_err *err)
{
	static const char *const what[] = { "qpairs", "ring", "bufsize", "group-ports",
					    "spares" };
	static const uint32_t bit[] = { SHM_GIVEN_QPAIRS, SHM_GIVEN_RING, SHM_GIVEN_BUFSIZE,
					SHM_GIVEN_GROUP_PORTS, SHM_GIVEN_SPARES };
	const uint32_t have[] = { r->qpairs_per_port, r->geo.ring_size, r->geo.buf_size,
				  r->nb_slots, r->nb_spares };
	const uint32_t want[] = { req->qpairs, req->ring_size, req->buf_size,
				  req->group_ports, req->spares };

	for (unsigned int i = 0; i < RTE_DIM(what); i++) {
		if (have[i] == want[i] || (bit[i] != SHM_GIVEN_QPAIRS && !(req->given & bit[i])))
			continue;
		if (bit[i] == SHM_GIVEN_QPAIRS)
			return dps_err_set(err, -EINVAL, "port '%s': group '%s' has qpairs=%u, "
					   "not %u (its first port set it; give qpairs=%u)", port,
					   r->group, have[i], want[i], have[i]);
		return dps_err_set(err, -EINVAL,
			"port '%s': group '%s' has %s=%u, not %u (its first port "
			"set it; leave %s out or give %u)", port, r->group, what[i],
			have[i], want[i], what[i], have[i]);
	}
	return 0;
}

static struct shm_region *
region_create(const struct shm_region_req *req, const char *port, struct dps_err *err)
{
	bool trusted = req->group != NULL;
	struct shm_region *r;
	const char *why = NULL;
	unsigned int free_idx = SHM_MAX_REGIONS;
	int rc;

	for (unsigned int i = 0; i < SHM_MAX_REGIONS && free_idx == SHM_MAX_REGIONS; i++)
		if (regions[i] == NULL)
			free_idx = i;
	if (free_idx == SHM_MAX_REGIONS) {
		dps_err_set(err, -ENOSPC, "port '%s': too many shared regions (max %d)",
			    port, SHM_MAX_REGIONS);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		dps_err_set(err, -ENOMEM, "port '%s': out of memory", port);
		return NULL;
	}
	r->trusted = trusted;
	snprintf(r->group, sizeof(r->group), "%s", trusted ? req->group : "");
	r->qpairs_per_port = req->qpairs;
	r->nb_slots = trusted ? req->group_ports : 1;
	r->nb_spares = trusted ? req->spares : 0;
	r->geo = (struct dpsr_geometry){
		.nb_qpairs = req->qpairs * r->nb_slots,
		.ring_size = req->ring_size,
		.buf_size = req->buf_size,
		.nb_spares = r->nb_spares,
		.port_qpairs = req->qpairs,
	};
	if (r->geo.nb_qpairs > 64) {
		dps_err_set(err, -EINVAL, "port '%s': group-ports x qpairs = %u, more than "
			    "the 64 queue pairs a region holds", port, r->geo.nb_qpairs);
		goto fail;
	}
	rc = region_mem_create(&r->geo, &r->mem, &why);
	if (rc != 0) {
		dps_err_set(err, rc, "port '%s': cannot create its shared region: %s", port, why);
		goto fail;
	}
	dpsr_view_init(&r->view, r->mem.base, r->mem.size, NULL);
	/* As dpsr_region_create() laid out the rings: ring i's slot k owns i * size + k. */
	r->shadow = calloc(2ull * r->geo.nb_qpairs * r->geo.ring_size, sizeof(*r->shadow));
	if (r->shadow == NULL) {
		dps_err_set(err, -ENOMEM, "port '%s': out of memory", port);
		region_mem_destroy(&r->mem);
		goto fail;
	}
	for (uint32_t i = 0; i < 2 * r->geo.nb_qpairs * r->geo.ring_size; i++)
		r->shadow[i] = i;
	r->iova_base = rte_eal_iova_mode() == RTE_IOVA_VA ?
		(uint64_t)(uintptr_t)(r->view.base + r->view.bufs_off) : RTE_BAD_IOVA;
	/* Every buffer the switch's until a peer is granted a bag. */
	if (trusted && (r->owner = calloc(r->view.lim.nb_bufs, sizeof(*r->owner))) == NULL) {
		dps_err_set(err, -ENOMEM, "port '%s': out of memory", port);
		free(r->shadow);
		region_mem_destroy(&r->mem);
		goto fail;
	}
	if (trusted && shm_spares_create(r, req->group, err) != 0) {
		free(r->owner);
		free(r->shadow);
		region_mem_destroy(&r->mem);
		goto fail;
	}
	r->id = (uint16_t)(free_idx + 1);
	regions[free_idx] = r;
	return r;
fail:
	free(r);
	return NULL;
}

int
shm_region_check(const struct shm_region_req *req, const char *port, struct dps_err *err)
{
	struct shm_region *r;

	if (req->group == NULL || (r = region_find(req->group)) == NULL)
		return 0;
	if (region_match(r, req, port, err) != 0)
		return -EINVAL;
	if (r->slot_used == (r->nb_slots == 64 ? UINT64_MAX : (UINT64_C(1) << r->nb_slots) - 1))
		return dps_err_set(err, -ENOSPC, "port '%s': group '%s' is full "
				   "(group-ports=%u)", port, r->group, r->nb_slots);
	return 0;
}

int
shm_region_renew(struct shm_region *r, const char *port, struct dps_err *err)
{
	struct dpsr_mem fresh;
	const char *why = NULL;
	int rc;

	if (r->trusted)
		return -EINVAL;
	rc = region_mem_create(&r->geo, &fresh, &why);
	if (rc != 0)
		return dps_err_set(err, rc, "port '%s': cannot renew its region: %s", port, why);
	region_mem_destroy(&r->mem);
	r->mem = fresh;
	r->damaged = false;
	dpsr_view_init(&r->view, r->mem.base, r->mem.size, NULL);
	r->iova_base = rte_eal_iova_mode() == RTE_IOVA_VA ?
		(uint64_t)(uintptr_t)(r->view.base + r->view.bufs_off) : RTE_BAD_IOVA;
	for (uint32_t i = 0; i < 2 * r->geo.nb_qpairs * r->geo.ring_size; i++)
		r->shadow[i] = i;
	return 0;
}

uint32_t
shm_region_bag_count(const struct shm_region *r, uint8_t bag)
{
	uint32_t n = 0;

	for (uint32_t b = 0; r->owner != NULL && b < r->view.lim.nb_bufs; b++)
		n += __atomic_load_n(&r->owner[b], __ATOMIC_RELAXED) == bag;
	return n;
}

void
shm_regions_note_damage(void)
{
	for (unsigned int i = 0; i < SHM_MAX_REGIONS; i++) {
		struct shm_region *r = regions[i];

		uint32_t n = r != NULL ? shm_guard_take_damage(r->mem.base) : 0;

		if (n != 0) {
			r->faults += n;
			r->damaged = true;
		}
	}
}

struct shm_region *
shm_region_join(const struct shm_region_req *req, uint32_t *slot, const char *port,
		struct dps_err *err)
{
	struct shm_region *r = NULL;

	regions_reap();
	if (req->group != NULL && (r = region_find(req->group)) != NULL &&
	    region_match(r, req, port, err) != 0)
		return NULL;
	if (r == NULL && (r = region_create(req, port, err)) == NULL)
		return NULL;
	for (uint32_t k = 0; k < r->nb_slots; k++) {
		if (!((r->slot_used >> k) & 1)) {
			r->slot_used |= UINT64_C(1) << k;
			*slot = k;
			return r;
		}
	}
	dps_err_set(err, -ENOSPC, "port '%s': group '%s' is full (group-ports=%u)", port,
		    r->group, r->nb_slots);
	return NULL;
}

void
shm_region_leave(struct shm_region *r, uint32_t slot)
{
	r->slot_used &= ~(UINT64_C(1) << slot);
	if (r->slot_used == 0 && r->spares != NULL && !rte_mempool_full(r->spares))
		SHM_LOG(NOTICE, "group '%s' has no port left but %u of its buffers are "
			"still in flight; its region goes when they come back", r->group,
			r->nb_spares - rte_mempool_avail_count(r->spares));
	regions_reap();
}
