/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Logging in the switch's libraries: one log type per library that logs,
 * registered where the library lives:
 *   RTE_LOG_REGISTER(dps_logtype_port, dpswitch.port, INFO);
 * declared here, and used through DPS_LOG(port, ERR, "fmt", ...). Never log
 * per packet. (The drivers in drivers/net follow DPDK's PMD convention
 * instead: a pmd.net.<name> type and a macro of their own.)
 */
#ifndef DPS_LOG_H
#define DPS_LOG_H

#include <rte_log.h>

extern int dps_logtype_port;
extern int dps_logtype_worker;
extern int dps_logtype_ctl;
extern int dps_logtype_vf;

#define DPS_LOG(comp, level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, dps_logtype_ ## comp, \
		"dpswitch." #comp ": " fmt "\n", ##__VA_ARGS__)

#endif /* DPS_LOG_H */
