/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL start and stop for the unit tests (see test_eal.h). */
#include "test_eal.h"

#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#define EXTRA_MAX 16

static char runtime_dir[PATH_MAX];

static int
first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

bool
test_cpus_0_1(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return false;
	return CPU_ISSET(0, &set) && CPU_ISSET(1, &set);
}

int
test_eal_start(const char *name, const char *lcores, unsigned int mem_mb,
	       const char *const *extra)
{
	char prefix[64], mem[16], cpu[16];
	char *argv[12 + EXTRA_MAX] = {
		(char *)(uintptr_t)name, "--no-pci", "--no-huge", "-m", mem, "--no-shconf",
		prefix, "-l", cpu, "--no-telemetry", "--log-level=lib.eal:error",
	};
	int argc = 11;

	if (lcores == NULL) {
		int c = first_cpu();

		if (c < 0) {
			fprintf(stderr, "%s: no CPU to run on\n", name);
			return -1;
		}
		snprintf(cpu, sizeof(cpu), "%d", c);
	} else {
		snprintf(cpu, sizeof(cpu), "%s", lcores);
	}
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=dps_ut_%s_%d", name, (int)getpid());
	for (unsigned int i = 0; extra != NULL && extra[i] != NULL && i < EXTRA_MAX; i++)
		argv[argc++] = (char *)(uintptr_t)extra[i];
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed: %s\n", name, rte_strerror(rte_errno));
		rmdir(rte_eal_get_runtime_dir());
		return -1;
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	return 0;
}

void
test_eal_stop(void)
{
	rte_eal_cleanup();
	if (runtime_dir[0] != '\0')
		rmdir(runtime_dir);
	runtime_dir[0] = '\0';
}
