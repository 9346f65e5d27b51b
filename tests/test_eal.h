/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL for unit tests that need DPDK's runtime: no PCI bus (never probe the
 * host's NICs), no hugepages, no shared config files, no telemetry socket,
 * a file prefix of the test's own. Not --in-memory: DPDK 22.11 treats
 * --no-huge as legacy memory and rejects the two together ("Option
 * --legacy-mem is not compatible with --in-memory"); --no-huge with
 * --no-shconf already keeps everything in anonymous memory.
 */
#ifndef DPS_TEST_EAL_H
#define DPS_TEST_EAL_H

#include <stdbool.h>

/**
 * Start EAL for test @p name on @p lcores ("0,1", or NULL: the first CPU
 * this process may run on) with @p mem_mb of memory and @p extra arguments
 * (NULL-terminated, e.g. log levels; may be NULL). 0, or -1 after
 * reporting why (the caller then returns test_report()).
 */
int test_eal_start(const char *name, const char *lcores, unsigned int mem_mb,
		   const char *const *extra);

/** rte_eal_cleanup() and the (empty) runtime directory EAL leaves behind. */
void test_eal_stop(void);

/** May this process run on CPUs 0 and 1 (for "-l 0,1")? */
bool test_cpus_0_1(void);

#endif /* DPS_TEST_EAL_H */
