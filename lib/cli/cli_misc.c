/* SPDX-License-Identifier: BSD-3-Clause */
/* help, quit, set (tunables), show config, show memory */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mempool.h>

#include "cli_priv.h"
#include "cli_state.h"
#include "port/port.h"
#include "worker/worker.h"

struct misc_res {
	cmdline_fixed_string_t cmd;
	cmdline_fixed_string_t what;
	uint32_t value;
};


static void
help_cb(void *parsed __rte_unused, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	unsigned int nb;
	const struct cli_cmd *const *cmds = cli_all_cmds(&nb);

	if (cli_json()) {
		jw_obj(NULL);
		jw_arr("commands");
	}
	for (unsigned int i = 0; i < nb; i++) {
		const char *h = cmds[i]->inst->help_str;
		const char *colon = strchr(h, ':');

		if (cli_json()) {
			jw_obj(NULL);
			jw_str("usage", cmds[i]->usage);
			jw_str("help", colon ? colon + 2 : h);
			jw_end_obj();
			continue;
		}
		if (colon != NULL)
			cli_printf("  %-36.*s %s\n", (int)(colon - h), h, colon + 2);
		else
			cli_printf("  %s\n", h);
	}
	if (cli_json()) {
		jw_end_arr();
		jw_end_obj();
		jw_done();
	} else {
		cli_printf("KIND is one of: %s; see docs/user-guide.md for each kind's "
			   "DEVARGS.\n", dps_port_kind_list());
	}
}

static void
quit_cb(void *parsed __rte_unused, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	cli_quit();
}

/* Tunables: name, range, and where each lives. */
static const struct tunable {
	const char *name;
	uint32_t min, max;
	const char *unit;
} tunables[] = {
	{ "mac-aging", 1, 1000000, "seconds" },
	{ "mac-move-hold", 0, 3600, "seconds" },
	{ "burst", 1, DPS_BURST_MAX, "packets" },
	{ "park-polls", 1, DPS_PARK_POLLS_LIMIT, "empty polls" },
	{ "spin-polls", 1, DPS_PARK_POLLS_LIMIT, "empty polls" },
	{ "sleep-max", 1, DPS_SLEEP_MAX_US_LIMIT, "microseconds" },
};

static void
set_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct misc_res *r = parsed;
	struct dps_dp_config *dp = dps_dp_draft();
	const struct tunable *t = NULL;

	for (unsigned int i = 0; i < RTE_DIM(tunables); i++)
		if (strcmp(r->what, tunables[i].name) == 0)
			t = &tunables[i];
	if (t == NULL)		/* the token admits only the names above */
		return;
	if (r->value < t->min || r->value > t->max) {
		cli_fail(-EINVAL, "%s must be %u..%u %s, not %u", t->name, t->min, t->max,
			 t->unit, r->value);
		return;
	}
	if (strcmp(t->name, "mac-aging") == 0) {
		l2_table_set_aging(cli_state_mac_table(), r->value);
		return;
	}
	if (strcmp(t->name, "mac-move-hold") == 0) {
		l2_table_set_move_hold(cli_state_mac_table(), r->value);
		return;
	}
	if (strcmp(t->name, "burst") == 0)
		dp->burst = (uint16_t)r->value;
	else if (strcmp(t->name, "park-polls") == 0)
		dp->park_polls = r->value;
	else if (strcmp(t->name, "spin-polls") == 0)
		dp->spin_polls = r->value;
	else
		dp->sleep_max_us = r->value;
	dps_dp_commit();
}

static void
show_config_cb(void *parsed __rte_unused, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	const struct dps_dp_config *dp = dps_dp_draft();

	if (cli_json()) {
		jw_obj(NULL);
		jw_u64("burst", dp->burst);
		jw_u64("mac_aging", l2_table_get_aging(cli_state_mac_table()));
		jw_u64("mac_move_hold", l2_table_get_move_hold(cli_state_mac_table()));
		jw_u64("workers", dps_worker_count());
		jw_u64("park_polls", dp->park_polls);
		jw_u64("spin_polls", dp->spin_polls);
		jw_u64("sleep_max_us", dp->sleep_max_us);
		jw_end_obj();
		jw_done();
		return;
	}
	cli_printf("burst %u\nmac-aging %u\nmac-move-hold %u\nworkers %u\npark-polls %u\n"
		   "spin-polls %u\nsleep-max %u\n", dp->burst,
		   l2_table_get_aging(cli_state_mac_table()),
		   l2_table_get_move_hold(cli_state_mac_table()), dps_worker_count(),
		   dp->park_polls, dp->spin_polls, dp->sleep_max_us);
}

/*
 * What leaks would show: mbufs out of the pool (in rings, queues, held by
 * a driver; those in per-lcore caches count as free) and DPDK heap memory.
 */
static void
show_memory_cb(void *parsed __rte_unused, struct cmdline *cl __rte_unused,
	       void *data __rte_unused)
{
	const struct rte_mempool *mp = dps_ports_pool();
	struct rte_malloc_socket_stats heap, sum = { 0 };
	unsigned int total = mp != NULL ? mp->size : 0;
	unsigned int in_use = mp != NULL ? rte_mempool_in_use_count(mp) : 0;

	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &heap) == 0) {
			sum.heap_totalsz_bytes += heap.heap_totalsz_bytes;
			sum.heap_allocsz_bytes += heap.heap_allocsz_bytes;
			sum.alloc_count += heap.alloc_count;
		}
	if (cli_json()) {
		jw_obj(NULL);
		jw_obj("mbufs");
		jw_u64("total", total);
		jw_u64("in_use", in_use);
		jw_u64("free", total - in_use);
		jw_end_obj();
		jw_obj("heap");
		jw_u64("total_bytes", sum.heap_totalsz_bytes);
		jw_u64("allocated_bytes", sum.heap_allocsz_bytes);
		jw_u64("allocations", sum.alloc_count);
		jw_end_obj();
		jw_end_obj();
		jw_done();
		return;
	}
	cli_printf("mbufs %u in use of %u (%u free)\nheap %zu bytes allocated of %zu "
		   "(%u allocations)\n", in_use, total, total - in_use,
		   sum.heap_allocsz_bytes, sum.heap_totalsz_bytes, sum.alloc_count);
}

static cmdline_parse_token_string_t t_help = CLI_KW(struct misc_res, cmd, "help");
static cmdline_parse_token_string_t t_quit = CLI_KW(struct misc_res, cmd, "quit#exit");
static cmdline_parse_token_string_t t_set = CLI_KW(struct misc_res, cmd, "set");
static cmdline_parse_token_string_t t_tunable =
	CLI_KW(struct misc_res, what,
	       "mac-aging#mac-move-hold#burst#park-polls#spin-polls#sleep-max");
static cmdline_parse_token_num_t t_value = CLI_U32(struct misc_res, value);
static cmdline_parse_token_string_t t_show = CLI_KW(struct misc_res, cmd, "show");
static cmdline_parse_token_string_t t_config = CLI_KW(struct misc_res, what, "config");
static cmdline_parse_token_string_t t_memory = CLI_KW(struct misc_res, what, "memory");

static cmdline_parse_inst_t cmd_help = {
	.f = help_cb, .help_str = "help: this list",
	.tokens = { (void *)&t_help, NULL },
};
static cmdline_parse_inst_t cmd_quit = {
	.f = quit_cb, .help_str = "quit: stop dpswitch",
	.tokens = { (void *)&t_quit, NULL },
};
static cmdline_parse_inst_t cmd_set = {
	.f = set_cb,
	.help_str = "set TUNABLE VALUE: mac-aging (s), mac-move-hold (s an address must "
		    "be quiet on its port before it moves; 0: at once), burst (packets), "
		    "park-polls, spin-polls (empty polls before parking: adaptive, "
		    "interrupt), sleep-max (us, timed-sleep fallback)",
	.tokens = { (void *)&t_set, (void *)&t_tunable, (void *)&t_value, NULL },
};
static cmdline_parse_inst_t cmd_show_config = {
	.f = show_config_cb, .help_str = "show config: current tunables",
	.tokens = { (void *)&t_show, (void *)&t_config, NULL },
};

static cmdline_parse_inst_t cmd_show_memory = {
	.f = show_memory_cb,
	.help_str = "show memory: mbufs in use of the packet pool, DPDK heap in use",
	.tokens = { (void *)&t_show, (void *)&t_memory, NULL },
};

const struct cli_cmd cli_misc_cmds[] = {
	{ &cmd_help, "help" },
	{ &cmd_quit, "quit" },
	{ &cmd_set, "set mac-aging|mac-move-hold|burst|park-polls|spin-polls|sleep-max VALUE" },
	{ &cmd_show_config, "show config" },
	{ &cmd_show_memory, "show memory" },
	{ NULL, NULL },
};
