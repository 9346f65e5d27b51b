/* SPDX-License-Identifier: BSD-3-Clause */
/* dpsr: creating a region (see dpsr_region.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dpsr_region.h"

#include "dpsr_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DPSR_RINGS_OFF 4096u

static int
fail(const char **why, const char *what, int rc)
{
	if (why != NULL)
		*why = what;
	return rc;
}

static uint64_t
round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/* At least a hugepage; a power of two, as QEMU wants a BAR (docs/shm-protocol.md). */
static uint64_t
pow2_up(uint64_t v)
{
	uint64_t p = DPSR_HUGEPAGE;

	while (p < v)
		p <<= 1;
	return p;
}

int
dpsr_layout(const struct dpsr_geometry *g, struct dpsr_region *h, const char **why)
{
	uint64_t nb_bufs, rings_end;

	if (g->nb_qpairs == 0 || g->nb_qpairs > 64)
		return fail(why, "queue pairs must be 1..64", -EINVAL);
	if (g->port_qpairs != 0 && g->nb_qpairs % g->port_qpairs != 0)
		return fail(why, "queue pairs per port must divide the region's", -EINVAL);
	if (!dpsr_ring_size_ok(g->ring_size))
		return fail(why, "ring size must be a power of 2 in 64..32768", -EINVAL);
	if (g->buf_size < DPSR_BUF_SIZE_MIN || g->buf_size > DPSR_BUF_SIZE_MAX ||
	    (g->buf_size & (g->buf_size - 1)) != 0)
		return fail(why, "buffer size must be a power of 2 in 2048..65536", -EINVAL);
	nb_bufs = 2ull * g->nb_qpairs * g->ring_size + g->nb_spares;
	if (nb_bufs > UINT32_MAX || nb_bufs * g->buf_size > (1ull << 40))
		return fail(why, "region too large", -EINVAL);
	memset(h, 0, sizeof(*h));
	h->magic = DPSR_MAGIC;
	h->version = DPSR_VERSION;
	h->hdr_size = sizeof(*h);
	h->nb_qpairs = g->nb_qpairs;
	h->ring_size = g->ring_size;
	h->rings_off = DPSR_RINGS_OFF;
	h->ring_stride = dpsr_ring_bytes(g->ring_size);
	rings_end = h->rings_off + 2ull * g->nb_qpairs * h->ring_stride;
	h->buf_size = g->buf_size;
	h->nb_bufs = (uint32_t)nb_bufs;
	h->bufs_off = round_up(rings_end, g->buf_size);
	h->port_qpairs = g->port_qpairs != 0 ? g->port_qpairs : g->nb_qpairs;
	h->region_size = pow2_up(h->bufs_off + nb_bufs * g->buf_size);
	return 0;
}

void
dpsr_rings_reset(const struct dpsr_view *v)
{
	for (uint32_t i = 0; i < 2 * v->nb_qpairs; i++) {
		struct dpsr_ring *r = (struct dpsr_ring *)(v->base + v->rings_off +
							   (uint64_t)i * v->ring_stride);

		r->prod = r->cons = r->prod_wait = r->cons_wait = 0;
		r->size = v->ring_size;
		for (uint32_t k = 0; k < v->ring_size; k++)
			r->desc[k] = (struct dpsr_desc){ .buf = i * v->ring_size + k };
	}
}

void
dpsr_ring_reset(struct dpsr_ring *r, uint32_t size, const uint32_t *bufs)
{
	r->prod = r->cons = r->prod_wait = r->cons_wait = 0;
	r->size = size;
	for (uint32_t k = 0; k < size; k++)
		r->desc[k] = (struct dpsr_desc){ .buf = bufs[k] };
}

int
dpsr_region_create(const struct dpsr_geometry *g, bool allow_small_pages,
		   struct dpsr_mem *mem, const char **why)
{
	struct dpsr_region h;
	int rc = dpsr_layout(g, &h, why);

	if (rc != 0)
		return rc;
	memset(mem, 0, sizeof(*mem));
	mem->fd = memfd_create("dpsr", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	mem->huge = mem->fd >= 0;
	if (mem->fd >= 0 && ftruncate(mem->fd, (off_t)h.region_size) != 0) {
		close(mem->fd);
		mem->fd = -1;
		mem->huge = false;
	}
	if (mem->fd < 0) {
		if (!allow_small_pages)
			return fail(why, "no hugepages for the region "
				    "(scripts/setup-hugepages.sh)", -ENOMEM);
		mem->fd = memfd_create("dpsr", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (mem->fd < 0 || ftruncate(mem->fd, (off_t)h.region_size) != 0) {
			rc = -errno;
			if (mem->fd >= 0)
				close(mem->fd);
			mem->fd = -1;
			return fail(why, "cannot create the region's memfd", rc);
		}
	}
	/*
	 * Peers get this fd, writable (they map the region writable). Its size
	 * is fixed for good: no shrinking it under the switch's feet (SIGBUS),
	 * no growing it to take every free page, no seal added by anyone
	 * (F_SEAL_FUTURE_WRITE would stop the next mapping). A peer can still
	 * punch holes (only write seals stop that, and they stop peers too):
	 * the switch's fault guard is for that (drivers/net/shm/shm_guard.c).
	 */
	if (fcntl(mem->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
		rc = -errno;
		close(mem->fd);
		memset(mem, 0, sizeof(*mem));
		mem->fd = -1;
		return fail(why, "cannot seal the region's memfd", rc);
	}
	mem->base = mmap(NULL, h.region_size, PROT_READ | PROT_WRITE, MAP_SHARED, mem->fd, 0);
	if (mem->base == MAP_FAILED) {
		bool huge = mem->huge;

		rc = -errno;
		close(mem->fd);
		memset(mem, 0, sizeof(*mem));
		mem->fd = -1;
		/* A hugetlb mapping reserves its pages: ENOMEM is an empty pool. */
		return fail(why, huge && rc == -ENOMEM ? "not enough free hugepages to map the region"
			    : "cannot map the region", rc);
	}
	mem->size = h.region_size;
	memcpy(mem->base, &h, sizeof(h));
	{
		struct dpsr_view v;

		dpsr_view_init(&v, mem->base, mem->size, NULL);	/* our own layout */
		dpsr_rings_reset(&v);
	}
	return 0;
}

void
dpsr_region_destroy(struct dpsr_mem *mem)
{
	if (mem->base != NULL && mem->base != MAP_FAILED)
		munmap(mem->base, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
}
