/* SPDX-License-Identifier: BSD-3-Clause */
/* net_shm's log type (pmd.net.shm), as DPDK's PMDs have one each. */
#ifndef SHM_LOG_H
#define SHM_LOG_H

#include <rte_log.h>

extern int shm_logtype;

/* Every message names what it is about (a port, a group): no prefix needed. */
#define SHM_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, shm_logtype, "net_shm: " fmt "\n", ##__VA_ARGS__)

#endif /* SHM_LOG_H */
