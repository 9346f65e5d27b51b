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

#define ARGS_MAX 32
#define ARG_LEN 128

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

/* EAL may rearrange argv: writable copies of every argument. */
static char args[ARGS_MAX][ARG_LEN];
static char *argv[ARGS_MAX + 1];
static int argc;

/* One argument: @p key followed by @p val ("" for a plain flag). */
static void
arg_add(const char *key, const char *val)
{
	if (argc < ARGS_MAX) {
		snprintf(args[argc], ARG_LEN, "%s%s", key, val);
		argv[argc] = args[argc];
		argc++;
	}
}

int
test_eal_start(const char *name, const char *lcores, unsigned int mem_mb,
	       const char *const *extra)
{
	char num[32], prefix[64];

	argc = 0;
	arg_add(name, "");
	arg_add("--no-pci", "");
	arg_add("--no-huge", "");
	snprintf(num, sizeof(num), "%u", mem_mb);
	arg_add("-m", num);
	arg_add("--no-shconf", "");
	snprintf(prefix, sizeof(prefix), "dps_ut_%s_%d", name, (int)getpid());
	arg_add("--file-prefix=", prefix);
	if (lcores == NULL) {
		int c = first_cpu();

		if (c < 0) {
			fprintf(stderr, "%s: no CPU to run on\n", name);
			return -1;
		}
		snprintf(num, sizeof(num), "%d", c);
		lcores = num;
	}
	arg_add("-l", lcores);
	arg_add("--no-telemetry", "");
	arg_add("--log-level=lib.eal:error", "");
	for (unsigned int i = 0; extra != NULL && extra[i] != NULL; i++)
		arg_add(extra[i], "");
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
