/* SPDX-License-Identifier: BSD-3-Clause */
/* lcore show | assign */
#include <inttypes.h>
#include <stdio.h>

#include "cli_priv.h"
#include "port/port.h"
#include "worker/worker.h"

struct lcore_res {
	cmdline_fixed_string_t lcore;
	cmdline_fixed_string_t verb;
	cmdline_fixed_string_t name;
	uint16_t queue;
	uint32_t lcore_id;
};

static cmdline_parse_token_string_t t_lcore = CLI_KW(struct lcore_res, lcore, "lcore");
static cmdline_parse_token_string_t t_show = CLI_KW(struct lcore_res, verb, "show");
static cmdline_parse_token_string_t t_assign = CLI_KW(struct lcore_res, verb, "assign");
static cmdline_parse_token_string_t t_name = CLI_STR(struct lcore_res, name);
static cmdline_parse_token_num_t t_queue = CLI_U16(struct lcore_res, queue);
static cmdline_parse_token_num_t t_id = CLI_U32(struct lcore_res, lcore_id);

static void
lcore_show_queues(unsigned int w)
{
	const struct dps_dp_config *dp = dps_dp_draft();

	for (uint16_t i = 0; i < dp->nb_rxq[w]; i++) {
		const char *pname = dps_port_name(dp->rxq[w][i].port);

		if (cli_json()) {
			jw_obj(NULL);
			jw_str("port", pname ? pname : "?");
			jw_u64("queue", dp->rxq[w][i].queue);
			jw_end_obj();
		} else {
			cli_printf(" %s/%u", pname ? pname : "?", dp->rxq[w][i].queue);
		}
	}
}

static void
lcore_show_cb(void *parsed, struct cmdline *cl, void *data)
{
	RTE_SET_USED(parsed);
	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (cli_json()) {
		jw_obj(NULL);
		jw_arr("workers");
	} else {
		cli_printf("%-6s %-6s %-20s %-20s %-6s %s\n", "LCORE", "BUSY%",
			   "BUSY_CYCLES", "IDLE_CYCLES", "MODE", "RX QUEUES");
	}
	for (unsigned int w = 0; w < dps_worker_count(); w++) {
		struct dps_worker_info wi;
		uint64_t total;

		dps_worker_info(w, &wi);
		total = wi.busy_cycles + wi.idle_cycles;
		if (cli_json()) {
			jw_obj(NULL);
			jw_u64("lcore", wi.lcore_id);
			jw_str("mode", "poll");
			jw_u64("busy_cycles", wi.busy_cycles);
			jw_u64("idle_cycles", wi.idle_cycles);
			jw_u64("loops", wi.loops);
			jw_u64("rx_packets", wi.rx_pkts);
			jw_arr("rx_queues");
			lcore_show_queues(w);
			jw_end_arr();
			jw_end_obj();
			continue;
		}
		cli_printf("%-6u %5.1f%% %-20" PRIu64 " %-20" PRIu64 " %-6s", wi.lcore_id,
			   total ? 100.0 * (double)wi.busy_cycles / (double)total : 0.0,
			   wi.busy_cycles, wi.idle_cycles, "poll");
		lcore_show_queues(w);
		cli_printf("\n");
	}
	if (cli_json()) {
		jw_end_arr();
		jw_end_obj();
		jw_done();
	}
}

static void
lcore_assign_cb(void *parsed, struct cmdline *cl, void *data)
{
	struct lcore_res *r = parsed;
	struct dps_err err = { "" };

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	cli_result(dps_port_rxq_assign(r->name, r->queue, r->lcore_id, &err), &err);
}

static cmdline_parse_inst_t cmd_lcore_show = {
	.f = lcore_show_cb, .help_str = "lcore show: workers, their load and rx queues",
	.tokens = { (void *)&t_lcore, (void *)&t_show, NULL },
};
static cmdline_parse_inst_t cmd_lcore_assign = {
	.f = lcore_assign_cb,
	.help_str = "lcore assign PORT QUEUE LCORE: poll rx queue QUEUE of PORT on LCORE",
	.tokens = { (void *)&t_lcore, (void *)&t_assign, (void *)&t_name,
		    (void *)&t_queue, (void *)&t_id, NULL },
};

const struct cli_cmd cli_lcore_cmds[] = {
	{ &cmd_lcore_show, "lcore show" },
	{ &cmd_lcore_assign, "lcore assign PORT QUEUE LCORE" },
	{ NULL, NULL },
};
