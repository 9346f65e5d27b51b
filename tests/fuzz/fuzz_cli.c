/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the command language (lib/cli on DPDK's
 * cmdline): an input is one line as a control-socket client sends it (up
 * to its newline; "json " first asks for JSON, as lib/ctl/ctl_server.c
 * takes it), parsed and dispatched by dps_cli_exec() as the daemon does,
 * with the daemon's commands (the shm kind and `shm show`, `ctl show`)
 * and three ports present: n0 and n1 (null), r0 (ring).
 *
 * The reply must be well formed: a return code of 0 or a negative errno;
 * in text, on failure exactly one line starting "error: ", on success no
 * such line; in JSON, on failure one {"error": ...} document, on success
 * nothing or one JSON document; never a NUL (the control socket ends a
 * reply with one).
 *
 * EAL runs once (LLVMFuzzerInitialize), as the unit tests run it
 * (tests/test_eal.c: no hugepages, no PCI, lcores 0 and 1, the worker
 * initialised but not launched). After every input the switch is put
 * back as it was: ports the input made are deleted and deleted ones made
 * again, the dataplane configuration (VLANs, cross-connects, storm
 * control, queue assignment, rx modes, tunables), the MAC table and its
 * settings restored, a `quit` forgotten. So every input starts from the
 * same switch, and a finding reproduces from its input alone.
 *
 * `port add` makes only null ports here (dps_port_add() is wrapped with
 * -Wl,--wrap; r0 is made directly). The other kinds create tap
 * interfaces, sockets and files through DPDK's own drivers, which no
 * sandbox covers; and net_ring keeps 15 of the 16 rings it makes for a
 * port after the port is gone (DPDK 22.11 frees only the configured
 * queues' rings, about 130 KB a name), so a ring port of every name the
 * fuzzer invents would use up EAL's memory: r0 is made again under its
 * one name only. Their devargs are fuzz_devargs' business. The switch's
 * own code is built inside the file-system sandbox anyway
 * (fuzz_sandbox.h).
 *
 * DPDK 22.11 keeps 192 bytes of EAL memory for every queue a net_null
 * port had, after the port is gone (queue setup, close, remove: a plain
 * DPDK program does the same), so a port added and deleted costs 384
 * bytes; EAL has 1 GB here. Should less than HEAP_RESERVE be left in a
 * long run, `port add` and `port del` fail from then on (a well-formed
 * error) and everything else goes on being fuzzed.
 *
 * Needs CPUs 0 and 1 (as tests/test_cli.c); without them it says so and
 * exits 0. Built and run by scripts/fuzz.sh. FUZZ_VERBOSE=1 in the
 * environment echoes every command and its reply on stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "cli/cli.h"
#include "cli/cli_out.h"	/* cli_req.quit: forgotten between inputs */
#include "ctl/ctl_server.h"
#include "l2/l2_table.h"
#include "port/port.h"
#include "worker/worker.h"
#include "dps_shm.h"
#include "fuzz_sandbox.h"
#include "test_common.h"	/* json_valid() */
#include "test_eal.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

static const struct {
	const char *name, *kind;
} fixed[] = { { "n0", "null" }, { "n1", "null" }, { "r0", "ring" } };
#define NB_FIXED (sizeof(fixed) / sizeof(fixed[0]))

static int fixed_id[NB_FIXED];
static struct l2_table *tbl;
static int mfd;
static char out[1 << 20];
static struct dps_dp_config baseline;	/* the draft with the fixed ports */
static uint32_t base_aging, base_hold;
static bool verbose;		/* FUZZ_VERBOSE=1: every command and its reply on stderr */
/* The real stderr: -close_fd_mask=2 closes fd 2 only after LLVMFuzzerInitialize(). */
static int diag_fd = STDERR_FILENO;

#define HEAP_RESERVE (32u << 20)

int __real_dps_port_add(const char *name, const char *kind, const char *args,
			struct dps_err *err);
int __wrap_dps_port_add(const char *name, const char *kind, const char *args,
			struct dps_err *err);
int __real_dps_port_del(const char *name, struct dps_err *err);
int __wrap_dps_port_del(const char *name, struct dps_err *err);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Is EAL's memory nearly used up (see above)? */
static bool
heap_low(void)
{
	struct rte_malloc_socket_stats st;

	return rte_malloc_get_socket_stats(0, &st) != 0 || st.heap_freesz_bytes < HEAP_RESERVE;
}

/* `port add`: null ports only, see above. */
int
__wrap_dps_port_add(const char *name, const char *kind, const char *args, struct dps_err *err)
{
	if (strcmp(kind, "null") != 0)
		return dps_err_set(err, -EPERM, "fuzz_cli makes only null ports, not '%s'",
				   kind);
	if (heap_low())
		return dps_err_set(err, -ENOMEM, "fuzz_cli: EAL memory nearly used up");
	return __real_dps_port_add(name, kind, args, err);
}

/* `port del`: a fixed port deleted is made again, which costs memory. */
int
__wrap_dps_port_del(const char *name, struct dps_err *err)
{
	if (heap_low())
		return dps_err_set(err, -ENOMEM, "fuzz_cli: EAL memory nearly used up");
	return __real_dps_port_del(name, err);
}

static void
add_fixed(void)
{
	struct dps_err err = { "" };

	for (size_t i = 0; i < NB_FIXED; i++) {
		if (__real_dps_port_add(fixed[i].name, fixed[i].kind, "", &err) != 0) {
			dprintf(diag_fd, "fuzz_cli: cannot make port %s again: %s (%u ethdevs)\n",
				fixed[i].name, err.msg, rte_eth_dev_count_total());
			abort();
		}
		fixed_id[i] = dps_port_id(fixed[i].name);
	}
}

static void
cleanup(void)
{
	dps_ports_del_all();
	dps_cli_fini();
	test_eal_stop();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const logs[] = {
		"--log-level=lib.*:error", "--log-level=pmd.*:error",
		"--log-level=dpswitch.*:error", NULL,
	};
	struct rte_mempool *pool;

	(void)argc;
	(void)argv;
	if (!test_cpus_0_1()) {
		printf("fuzz_cli: SKIP: CPUs 0 and 1 are needed for -l 0,1\n");
		exit(0);
	}
	diag_fd = dup(STDERR_FILENO);
	fuzz_sandbox_init("cli");
	if (test_eal_start("fuzz_cli", "0,1", 1024, logs) != 0)
		abort();
	pool = rte_pktmbuf_pool_create("fz_mbufs", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	tbl = l2_table_create(1024, 300);
	mfd = memfd_create("fuzz_cli_out", MFD_CLOEXEC);
	if (pool == NULL || tbl == NULL || mfd < 0 || dps_workers_init(pool, tbl) != 0)
		abort();
	dps_ports_init(pool, tbl);
	/* As the daemon sets up its commands (app/dpswitch/main.c). */
	if (dps_shm_dpswitch_register() != 0 || dps_ctl_cli_register() != 0 ||
	    dps_cli_init(tbl) != 0)
		abort();
	add_fixed();
	baseline = *dps_dp_draft();
	base_aging = l2_table_get_aging(tbl);
	base_hold = l2_table_get_move_hold(tbl);
	atexit(cleanup);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	return 0;
}

static char extra[DPS_MAX_PORTS][DPS_PORT_NAME_MAX];

/* Ports an input made. */
static int
note_extra(uint16_t id, void *arg)
{
	unsigned int *n = arg;
	const char *name = dps_port_name(id);

	for (size_t i = 0; i < NB_FIXED; i++)
		if (strcmp(name, fixed[i].name) == 0)
			return 0;
	snprintf(extra[(*n)++], DPS_PORT_NAME_MAX, "%s", name);
	return 0;
}

/* Back to the switch LLVMFuzzerInitialize() left. */
static void
restore(void)
{
	struct dps_dp_config *dp = dps_dp_draft();
	unsigned int nb_extra = 0;
	struct dps_err err;
	bool same = true;
	uint64_t gen;

	dps_port_foreach(note_extra, &nb_extra);
	for (unsigned int i = 0; i < nb_extra; i++)
		ASSERT(__real_dps_port_del(extra[i], &err) == 0);
	/* A fixed port gone: all again, in their order (`port show` lists by age). */
	for (size_t i = 0; i < NB_FIXED; i++)
		same &= dps_port_id(fixed[i].name) == fixed_id[i];
	if (!same) {
		dps_ports_del_all();
		add_fixed();
	}
	for (size_t i = 0; i < NB_FIXED; i++) {
		l2_table_purge_port(tbl, (uint16_t)fixed_id[i]);
		l2_table_set_limit(tbl, (uint16_t)fixed_id[i], 0);
	}
	ASSERT(l2_table_count(tbl, dps_now_s()) == 0);
	l2_table_set_aging(tbl, base_aging);
	l2_table_set_move_hold(tbl, base_hold);
	gen = dp->gen;
	dp->gen = baseline.gen;
	if (memcmp(dp, &baseline, sizeof(baseline)) != 0) {
		*dp = baseline;
		dp->gen = gen;
		dps_dp_commit();
	} else {
		dp->gen = gen;
	}
	cli_req.quit = false;
}

static size_t
lines(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* No line of @p s starts with "error: ". */
static bool
no_error_line(const char *s)
{
	for (const char *l = s; *l != '\0'; l++) {
		if (strncmp(l, "error: ", 7) == 0)
			return false;
		l = strchr(l, '\n');
		if (l == NULL)
			break;
	}
	return true;
}

static void
check_reply(int rc, bool json, size_t n)
{
	ASSERT(rc <= 0 && rc >= -4095);
	ASSERT(memchr(out, '\0', n) == NULL);
	if (json) {
		if (rc < 0)
			ASSERT(strncmp(out, "{\"error\":", 9) == 0 && lines(out, n) == 1 &&
			       out[n - 1] == '\n' && json_valid(out));
		else
			ASSERT(n == 0 || (out[n - 1] == '\n' && json_valid(out)));
		return;
	}
	if (rc < 0)
		ASSERT(strncmp(out, "error: ", 7) == 0 && lines(out, n) == 1 &&
		       out[n - 1] == '\n');
	else
		ASSERT(no_error_line(out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[DPS_CTL_MAX_LINE];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t len = nl != NULL ? (size_t)(nl - data) : size;
	const char *cmd = line;
	bool json = false;
	ssize_t n;
	int rc;

	/* The control socket's line: to its newline, a C string, at most this long. */
	if (len > DPS_CTL_MAX_LINE - 2)
		return -1;
	memcpy(line, data, len);
	line[len] = '\0';
	if (strncmp(cmd, "json ", 5) == 0) {
		json = true;
		cmd += 5;
	}
	if (ftruncate(mfd, 0) != 0 || lseek(mfd, 0, SEEK_SET) != 0)
		abort();
	rc = dps_cli_exec(cmd, mfd, json);
	lseek(mfd, 0, SEEK_SET);
	n = read(mfd, out, sizeof(out) - 1);
	ASSERT(n >= 0 && (size_t)n < sizeof(out) - 1);
	out[n] = '\0';
	if (verbose)
		dprintf(diag_fd, "> %s%s\n[rc %d]\n%s", json ? "(json) " : "", cmd, rc, out);
	check_reply(rc, json, (size_t)n);
	restore();
	return 0;
}
