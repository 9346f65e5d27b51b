/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsr: creating a region (the switch's side). A region is a memfd on
 * hugetlbfs (MFD_HUGETLB), sealed against any change of size and any new
 * seal, laid out as dpsr.h says and initialised so that every ring slot
 * owns a buffer of its own; the rest of the pool are spares.
 */
#ifndef DPSR_REGION_H
#define DPSR_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "dpsr.h"

#define DPSR_HUGEPAGE (2u << 20)

/** What a region must hold. */
struct dpsr_geometry {
	uint32_t nb_qpairs;
	uint32_t ring_size;		/**< a power of 2, DPSR_RING_SIZE_MIN..MAX */
	uint32_t buf_size;		/**< a power of 2, DPSR_BUF_SIZE_MIN..MAX */
	uint32_t nb_spares;		/**< buffers beyond one per slot */
	uint32_t port_qpairs;		/**< per port slot, a divisor of nb_qpairs; 0: all */
};

/** A region this process created and mapped. */
struct dpsr_mem {
	int fd;				/**< memfd; passed to peers */
	void *base;
	uint64_t size;
	bool huge;			/**< backed by hugepages */
};

/**
 * Lay out a header for @p g: ring i at 4096 + i * stride, the pool after the
 * rings on a buf_size boundary, the size rounded up to a power of two of at
 * least a hugepage (what a guest's ivshmem BAR2 must be). 0 or
 * -EINVAL (@p why says which value is out of range).
 */
int dpsr_layout(const struct dpsr_geometry *g, struct dpsr_region *hdr, const char **why);

/**
 * Create, size, map and initialise a region. With @p allow_small_pages, a
 * machine without free hugepages gets an ordinary memfd (tests); otherwise
 * that is an error. 0 or -errno with @p why set.
 */
int dpsr_region_create(const struct dpsr_geometry *g, bool allow_small_pages,
		       struct dpsr_mem *mem, const char **why);

void dpsr_region_destroy(struct dpsr_mem *mem);

struct dpsr_view;
/** Empty every ring: indices and wait flags 0, ring i's slot k owning buffer i * size + k. */
void dpsr_rings_reset(const struct dpsr_view *v);

/**
 * Empty one ring for a new peer: indices and wait flags 0, slot k owning
 * buffer @p bufs[k] (the owner's private record of the slots' buffers).
 */
void dpsr_ring_reset(struct dpsr_ring *r, uint32_t size, const uint32_t *bufs);

#endif /* DPSR_REGION_H */
