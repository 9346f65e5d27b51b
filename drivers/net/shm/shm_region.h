/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Regions of net_shm ports (private): a trust group's, which every port of
 * the group serves a slice of, or an isolated port's own. Control thread
 * only.
 */
#ifndef SHM_REGION_H
#define SHM_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "common/dps_err.h"
#include "dpsr/dpsr_queue.h"
#include "dpsr/dpsr_region.h"

#define SHM_GROUP_NAME_MAX 32

/** A mapped region and who uses it. */
struct shm_region {
	uint16_t id;			/* 1..SHM_MAX_REGIONS, unique among live regions */
	char group[SHM_GROUP_NAME_MAX];	/* "" for an isolated port's own region */
	bool trusted;
	struct dpsr_geometry geo;	/* qpairs per port in geo.nb_qpairs / slots */
	uint32_t qpairs_per_port;
	uint32_t nb_slots;		/* ports the region has room for */
	uint64_t slot_used;		/* bit k: port slot k is taken */
	struct dpsr_mem mem;
	struct dpsr_view view;
	/*
	 * Which buffer each slot of each ring owns (ring i's slot k at
	 * shadow[i * ring_size + k]). Private memory, and kept with the
	 * region rather than the port: a port that leaves hands its slots,
	 * buffers and all, to the next port of the group.
	 */
	uint32_t *shadow;
	/*
	 * Trusted groups: who holds each buffer of the region, one byte per
	 * buffer (docs/shm-protocol.md, "Buffers a trusted peer holds"):
	 * SHM_OWNER_SWITCH, or 1 + q for the bag of the region's queue pair
	 * q, whose peer was granted DPSR_F_PEER_BUFS. Private memory, with
	 * the region; NULL for an isolated port's (it grants no features).
	 */
	uint8_t *owner;
	/*
	 * Trusted groups: the spare buffers, each an mbuf whose data buffer
	 * is one region buffer (docs/shm-protocol.md, "Buffer ownership").
	 */
	struct rte_mempool *spares;
	uint32_t nb_spares;
	uint64_t iova_base;		/* IOVA of buffer 0, or RTE_BAD_IOVA */
	/*
	 * Pages of the region a peer took away (a punched hole) that the
	 * switch touched: each replaced by a private zero page (shm_guard.h).
	 */
	uint64_t faults;
	bool damaged;			/* new faults, not yet acted on */
};

/*
 * Geometry keys a port's devargs gave. A later port of a trust group
 * inherits those it leaves out; qpairs, the port's own queue count, must
 * match whether given or default.
 */
#define SHM_GIVEN_QPAIRS	(1u << 0)
#define SHM_GIVEN_RING		(1u << 1)
#define SHM_GIVEN_BUFSIZE	(1u << 2)
#define SHM_GIVEN_GROUP_PORTS	(1u << 3)
#define SHM_GIVEN_SPARES	(1u << 4)

/** What a port asks of its region. */
struct shm_region_req {
	const char *group;		/* trusted: the group's name; NULL: isolated */
	uint32_t qpairs;
	uint32_t ring_size;
	uint32_t buf_size;
	uint32_t group_ports;		/* trusted: ports the group has room for */
	uint32_t spares;		/* trusted: spare buffers */
	uint32_t given;			/* SHM_GIVEN_*: the others are defaults */
};

/**
 * Check that a port asking @p req could join: a trust group's geometry is
 * set by its first port. 0 or -EINVAL naming the value that differs.
 */
int shm_region_check(const struct shm_region_req *req, const char *port,
		     struct dps_err *err);

/**
 * An isolated port's peer left: give the port a fresh region, so that a
 * later peer never shares memory with an earlier one (which may keep its
 * mapping). The rings must be quiesced. 0 or -errno (the old region stays).
 */
int shm_region_renew(struct shm_region *r, const char *port, struct dps_err *err);

/**
 * Join (or create) the region a port asks for and take a port slot in it.
 * A trusted group's geometry is set by its first port; a later port that
 * asks for another is refused, naming the value that differs.
 * @return the region, or NULL with @p err set
 */
struct shm_region *shm_region_join(const struct shm_region_req *req, uint32_t *slot,
				   const char *port, struct dps_err *err);

/** Mark the regions that faulted since the last call (shm_guard.h): r->damaged. */
void shm_regions_note_damage(void);

/** The switch holds the buffer (a slot's, a spare, a frame's): no bag. */
#define SHM_OWNER_SWITCH 0

/** The owner byte of the bag of the region's queue pair @p qp. */
static inline uint8_t
shm_bag_of(uint32_t qp)
{
	return (uint8_t)(1 + qp);
}

/** Buffers in the bag @p bag (a scan of the owner table; control side). */
uint32_t shm_region_bag_count(const struct shm_region *r, uint8_t bag);

/** Give a slot back; the region goes with its last port. */
void shm_region_leave(struct shm_region *r, uint32_t slot);

#endif /* SHM_REGION_H */
