/* SPDX-License-Identifier: BSD-3-Clause */
/* lcore show | assign | mode */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_priv.h"
#include "common/dps_num.h"
#include "port/port.h"
#include "worker/worker.h"

struct lcore_res {
	cmdline_fixed_string_t lcore;
	cmdline_fixed_string_t verb;
	cmdline_fixed_string_t name;
	cmdline_fixed_string_t mode;
	uint16_t queue;
	uint32_t lcore_id;
};

static cmdline_parse_token_string_t t_lcore = CLI_KW(struct lcore_res, lcore, "lcore");
static cmdline_parse_token_string_t t_show = CLI_KW(struct lcore_res, verb, "show");
static cmdline_parse_token_string_t t_assign = CLI_KW(struct lcore_res, verb, "assign");
static cmdline_parse_token_string_t t_name = CLI_STR(struct lcore_res, name);
static cmdline_parse_token_num_t t_queue = CLI_U16(struct lcore_res, queue);
static cmdline_parse_token_num_t t_id = CLI_U32(struct lcore_res, lcore_id);
static cmdline_parse_token_string_t t_modekw = CLI_KW(struct lcore_res, verb, "mode");
static cmdline_parse_token_string_t t_mode =
	CLI_KW(struct lcore_res, mode, "poll#interrupt#adaptive");

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

static double
pct(uint64_t part, uint64_t total)
{
	return total ? 100.0 * (double)part / (double)total : 0.0;
}

static const char *const wake_names[DPS_WAKE_SOURCES] = { "rx", "control", "timer" };

/* Histogram bucket labels: "<1", "<2", "<4", ..., ">=1024" (microseconds). */
static void
hist_label(unsigned int b, char *buf, size_t size)
{
	if (b == DPS_WAKE_HIST_BUCKETS - 1)
		snprintf(buf, size, ">=%u", 1u << (b - 1));
	else
		snprintf(buf, size, "<%u", 1u << b);
}

/* How the worker waits when idle, in words. */
static void
sleep_desc(const struct dps_worker_info *wi, char *buf, size_t size)
{
	const char *pname;

	if (wi->mode == DPS_RX_POLL) {
		snprintf(buf, size, "never sleeps (poll mode)");
		return;
	}
	if (wi->nb_timed_rxq == 0) {
		snprintf(buf, size, "sleeps until an rx interrupt or a control event");
		return;
	}
	pname = dps_port_name(wi->timed_rxq.port);
	if (wi->nb_timed_rxq == 1)
		snprintf(buf, size, "timed sleep, up to %u us: no rx interrupt on %s/%u",
			 dps_dp_draft()->sleep_max_us, pname ? pname : "?",
			 wi->timed_rxq.queue);
	else
		snprintf(buf, size, "timed sleep, up to %u us: no rx interrupt on %s/%u "
			 "and %u more queues", dps_dp_draft()->sleep_max_us,
			 pname ? pname : "?", wi->timed_rxq.queue, wi->nb_timed_rxq - 1);
}

static void
lcore_show_json(unsigned int w, const struct dps_worker_info *wi)
{
	char label[16], desc[160];

	sleep_desc(wi, desc, sizeof(desc));
	jw_obj(NULL);
	jw_u64("lcore", wi->lcore_id);
	jw_str("mode", dps_rx_mode_name(wi->mode));
	jw_str("state", wi->asleep ? "asleep" : "polling");
	jw_str("sleep", wi->mode == DPS_RX_POLL ? "none" :
		wi->nb_timed_rxq ? "timed" : "interrupt");
	jw_str("sleep_detail", desc);
	jw_u64("timed_queues", wi->nb_timed_rxq);
	jw_u64("tsc_hz", wi->tsc_hz);
	jw_u64("busy_cycles", wi->busy_cycles);
	jw_u64("idle_cycles", wi->idle_cycles);
	jw_u64("sleep_cycles", wi->sleep_cycles);
	jw_u64("loops", wi->loops);
	jw_u64("rx_packets", wi->rx_pkts);
	jw_u64("sleeps", wi->sleeps);
	jw_obj("wakeups");
	for (unsigned int i = 0; i < DPS_WAKE_SOURCES; i++)
		jw_u64(wake_names[i], wi->wakeups[i]);
	jw_end_obj();
	jw_obj("wake_latency_us");
	for (unsigned int b = 0; b < DPS_WAKE_HIST_BUCKETS; b++) {
		hist_label(b, label, sizeof(label));
		jw_u64(label, wi->wake_hist[b]);
	}
	jw_end_obj();
	jw_arr("rx_queues");
	lcore_show_queues(w);
	jw_end_arr();
	jw_end_obj();
}

static void
lcore_show_text(unsigned int w, const struct dps_worker_info *wi)
{
	uint64_t total = wi->busy_cycles + wi->idle_cycles + wi->sleep_cycles;
	char label[16], desc[160], wakes[72];

	sleep_desc(wi, desc, sizeof(desc));
	snprintf(wakes, sizeof(wakes), "%" PRIu64 "/%" PRIu64 "/%" PRIu64,
		 wi->wakeups[DPS_WAKE_RX], wi->wakeups[DPS_WAKE_CONTROL],
		 wi->wakeups[DPS_WAKE_TIMER]);
	cli_printf("%-6u %-9s %-7s %5.1f%% %5.1f%% %5.1f%% %-10" PRIu64 " %-22s",
		   wi->lcore_id, dps_rx_mode_name(wi->mode), wi->asleep ? "asleep" : "polling",
		   pct(wi->busy_cycles, total), pct(wi->idle_cycles, total),
		   pct(wi->sleep_cycles, total), wi->sleeps, wakes);
	lcore_show_queues(w);
	cli_printf("\n       %s\n", desc);
	if (wi->sleeps == 0)
		return;
	cli_printf("       wake latency (us):");
	for (unsigned int b = 0; b < DPS_WAKE_HIST_BUCKETS; b++) {
		if (wi->wake_hist[b] == 0)
			continue;
		hist_label(b, label, sizeof(label));
		cli_printf(" %s:%" PRIu64, label, wi->wake_hist[b]);
	}
	cli_printf("\n");
}

static void
lcore_show_cb(void *parsed __rte_unused, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	if (cli_json()) {
		jw_obj(NULL);
		jw_arr("workers");
	} else {
		cli_printf("%-6s %-9s %-7s %6s %6s %6s %-10s %-22s %s\n", "LCORE", "MODE",
			   "STATE", "BUSY", "SPIN", "ASLEEP", "SLEEPS", "WAKEUPS rx/ctl/timer",
			   "RX QUEUES");
	}
	for (unsigned int w = 0; w < dps_worker_count(); w++) {
		struct dps_worker_info wi;

		dps_worker_info(w, &wi);
		if (cli_json())
			lcore_show_json(w, &wi);
		else
			lcore_show_text(w, &wi);
	}
	if (cli_json()) {
		jw_end_arr();
		jw_end_obj();
		jw_done();
	}
}

static void
lcore_assign_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct lcore_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_rxq_assign(r->name, r->queue, r->lcore_id, &err), &err);
}

static void
lcore_mode_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct lcore_res *r = parsed;
	struct dps_err err = { "" };
	enum dps_rx_mode m = DPS_RX_ADAPTIVE;
	uint32_t lc;

	dps_rx_mode_parse(r->mode, &m);	/* the token admits only valid words */
	if (strcmp(r->name, "all") == 0) {
		cli_result(dps_workers_set_mode(-1, m, &err), &err);
		return;
	}
	if (dps_parse_u32(r->name, 0, UINT32_MAX, &lc) != 0) {
		cli_fail(-EINVAL, "lcore must be a number or 'all', not '%s'", r->name);
		return;
	}
	cli_result(dps_workers_set_mode((int64_t)lc, m, &err), &err);
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

static cmdline_parse_inst_t cmd_lcore_mode = {
	.f = lcore_mode_cb,
	.help_str = "lcore mode LCORE|all poll|interrupt|adaptive: how idle workers wait",
	.tokens = { (void *)&t_lcore, (void *)&t_modekw, (void *)&t_name,
		    (void *)&t_mode, NULL },
};

const struct cli_cmd cli_lcore_cmds[] = {
	{ &cmd_lcore_show, "lcore show" },
	{ &cmd_lcore_assign, "lcore assign PORT QUEUE LCORE" },
	{ &cmd_lcore_mode, "lcore mode LCORE|all poll|interrupt|adaptive" },
	{ NULL, NULL },
};
