/* SPDX-License-Identifier: BSD-3-Clause */
/* help, quit, set (tunables), show config */
#include <stdio.h>
#include <string.h>

#include "cli_priv.h"
#include "cli_state.h"
#include "worker/worker.h"

struct misc_res {
	cmdline_fixed_string_t cmd;
	cmdline_fixed_string_t what;
	uint32_t value;
};

extern const struct cli_cmd *const *cli_all_cmds(unsigned int *nb);

static void
help_cb(void *parsed, struct cmdline *cl, void *data)
{
	unsigned int nb;
	const struct cli_cmd *const *cmds = cli_all_cmds(&nb);

	RTE_SET_USED(parsed);
	RTE_SET_USED(cl);
	RTE_SET_USED(data);
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
		cli_printf("KIND is one of: vhost, tap, af_packet, pcap, memif, ring, "
			   "null, pci; see docs/user-guide.md for each kind's DEVARGS.\n");
	}
}

static void
quit_cb(void *parsed, struct cmdline *cl, void *data)
{
	RTE_SET_USED(parsed);
	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	cli_quit();
}

/* Tunables: name, range, and how to apply. */
static void
set_cb(void *parsed, struct cmdline *cl, void *data)
{
	struct misc_res *r = parsed;

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (strcmp(r->what, "mac-aging") == 0) {
		if (r->value < 1 || r->value > 1000000) {
			cli_fail(-EINVAL, "mac-aging must be 1..1000000 seconds, not %u",
				 r->value);
			return;
		}
		l2_table_set_aging(cli_state_mac_table(), r->value);
	} else if (strcmp(r->what, "burst") == 0) {
		if (r->value < 1 || r->value > DPS_BURST_MAX) {
			cli_fail(-EINVAL, "burst must be 1..%u, not %u", DPS_BURST_MAX,
				 r->value);
			return;
		}
		dps_dp_draft()->burst = (uint16_t)r->value;
		dps_dp_commit();
	}
}

static void
show_config_cb(void *parsed, struct cmdline *cl, void *data)
{
	RTE_SET_USED(parsed);
	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	if (cli_json()) {
		jw_obj(NULL);
		jw_u64("burst", dps_dp_draft()->burst);
		jw_u64("mac_aging", l2_table_get_aging(cli_state_mac_table()));
		jw_u64("workers", dps_worker_count());
		jw_end_obj();
		jw_done();
		return;
	}
	cli_printf("burst %u\nmac-aging %u\nworkers %u\n", dps_dp_draft()->burst,
		   l2_table_get_aging(cli_state_mac_table()), dps_worker_count());
}

static cmdline_parse_token_string_t t_help = CLI_KW(struct misc_res, cmd, "help");
static cmdline_parse_token_string_t t_quit = CLI_KW(struct misc_res, cmd, "quit#exit");
static cmdline_parse_token_string_t t_set = CLI_KW(struct misc_res, cmd, "set");
static cmdline_parse_token_string_t t_tunable =
	CLI_KW(struct misc_res, what, "mac-aging#burst");
static cmdline_parse_token_num_t t_value = CLI_U32(struct misc_res, value);
static cmdline_parse_token_string_t t_show = CLI_KW(struct misc_res, cmd, "show");
static cmdline_parse_token_string_t t_config = CLI_KW(struct misc_res, what, "config");

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
	.help_str = "set mac-aging|burst VALUE: MAC aging seconds (1..1000000), rx burst (1..256)",
	.tokens = { (void *)&t_set, (void *)&t_tunable, (void *)&t_value, NULL },
};
static cmdline_parse_inst_t cmd_show_config = {
	.f = show_config_cb, .help_str = "show config: current tunables",
	.tokens = { (void *)&t_show, (void *)&t_config, NULL },
};

const struct cli_cmd cli_misc_cmds[] = {
	{ &cmd_help, "help" },
	{ &cmd_quit, "quit" },
	{ &cmd_set, "set mac-aging|burst VALUE" },
	{ &cmd_show_config, "show config" },
	{ NULL, NULL },
};
