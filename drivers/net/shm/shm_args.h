/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_shm devargs (private): one table of keys with their limits, one
 * parser that the switch's port layer (before probing, for one-line
 * errors) and the probe share.
 */
#ifndef SHM_ARGS_H
#define SHM_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_kvargs.h>

#include "common/dps_err.h"
#include "common/unix_socket.h"
#include "dpsr/dpsr_ctl.h"
#include "shm_region.h"

#define SHM_MAX_QPAIRS 8

struct shm_args {
	char path[DPS_UNIX_PATH_MAX];
	char secret[DPSR_SECRET_MAX + 1];
	char group[SHM_GROUP_NAME_MAX];	/* trusted only */
	bool trusted;
	bool guest;			/* transport=ivshmem: a QEMU guest's device attaches */
	uint32_t qpairs;
	uint32_t ring_size;
	uint32_t buf_size;
	uint32_t group_ports;
	uint32_t spares;
	uint32_t given;			/* SHM_GIVEN_* keys the devargs set */
	bool has_mac;
	struct rte_ether_addr mac;
};

/** Parse and check devargs; 0 or -EINVAL with @p err naming the key. */
int shm_args_parse(const char *port, struct rte_kvargs *kv, struct shm_args *a,
		   struct dps_err *err);

/** The region request that @p a describes. */
void shm_args_region_req(const struct shm_args *a, struct shm_region_req *req);

#endif /* SHM_ARGS_H */
