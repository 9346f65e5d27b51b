/* SPDX-License-Identifier: BSD-3-Clause */
/* set mac-limit PORT N, set storm PORT KIND PPS: a port's bounds on the bridge */
#include <errno.h>

#include "cli_priv.h"
#include "port/port.h"

struct guard_res {
	cmdline_fixed_string_t cmd;
	cmdline_fixed_string_t what;
	cmdline_fixed_string_t name;
	cmdline_fixed_string_t kind;
	uint32_t value;
};

static void
mac_limit_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct guard_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_mac_limit(r->name, r->value, &err), &err);
}

static void
storm_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct guard_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_storm(r->name, r->kind, r->value, &err), &err);
}

static cmdline_parse_token_string_t t_set = CLI_KW(struct guard_res, cmd, "set");
static cmdline_parse_token_string_t t_mac_limit = CLI_KW(struct guard_res, what, "mac-limit");
static cmdline_parse_token_string_t t_storm = CLI_KW(struct guard_res, what, "storm");
static cmdline_parse_token_string_t t_name = CLI_STR(struct guard_res, name);
static cmdline_parse_token_string_t t_kind =
	CLI_KW(struct guard_res, kind, "broadcast#multicast#unknown-unicast");
static cmdline_parse_token_num_t t_value = CLI_U32(struct guard_res, value);

static cmdline_parse_inst_t cmd_mac_limit = {
	.f = mac_limit_cb,
	.help_str = "set mac-limit PORT N: at most N addresses learned on PORT, frames from "
		    "more are dropped (0: no limit)",
	.tokens = { (void *)&t_set, (void *)&t_mac_limit, (void *)&t_name, (void *)&t_value,
		    NULL },
};
static cmdline_parse_inst_t cmd_storm = {
	.f = storm_cb,
	.help_str = "set storm PORT broadcast|multicast|unknown-unicast PPS: flood at most "
		    "PPS frames a second of that kind from PORT (0: no limit)",
	.tokens = { (void *)&t_set, (void *)&t_storm, (void *)&t_name, (void *)&t_kind,
		    (void *)&t_value, NULL },
};

const struct cli_cmd cli_guard_cmds[] = {
	{ &cmd_mac_limit, "set mac-limit PORT N" },
	{ &cmd_storm, "set storm PORT broadcast|multicast|unknown-unicast PPS" },
	{ NULL, NULL },
};
