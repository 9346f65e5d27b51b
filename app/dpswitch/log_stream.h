/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemon's log stream: each rte_log line prefixed with its level. */
#ifndef DPS_LOG_STREAM_H
#define DPS_LOG_STREAM_H

/*
 * Make rte_log write "LEVEL: message" lines (EMERG, ALERT, CRIT, ERR,
 * WARNING, NOTICE, INFO, DEBUG) to stderr, and to syslog as DPDK's own
 * stream does. Call before rte_eal_init(), so that EAL's messages carry
 * their level too. 0 or -errno (rte_log keeps its own stream then).
 */
int dps_log_stream_open(void);

#endif /* DPS_LOG_STREAM_H */
