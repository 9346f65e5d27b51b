/* SPDX-License-Identifier: BSD-3-Clause */
/* `ctl show`: the control socket, who may use it, and whom it refused. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>

#include "cli/cli_cmd.h"
#include "ctl_server.h"

struct ctl_res {
	cmdline_fixed_string_t cmd;
	cmdline_fixed_string_t verb;
};

static cmdline_parse_token_string_t t_ctl = CLI_KW(struct ctl_res, cmd, "ctl");
static cmdline_parse_token_string_t t_show = CLI_KW(struct ctl_res, verb, "show");

static void
ctl_show_cb(void *parsed __rte_unused, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct dps_ctl_info ci;
	const struct group *g;
	char group[64] = "-";

	if (dps_ctl_info(&ci) != 0) {
		cli_fail(-ENOENT, "no control socket (started with --ctl-socket none)");
		return;
	}
	if (ci.group != (gid_t)-1) {
		g = getgrgid(ci.group);
		if (g != NULL)
			snprintf(group, sizeof(group), "%s", g->gr_name);
		else
			snprintf(group, sizeof(group), "%u", (unsigned int)ci.group);
	}
	if (cli_json()) {
		jw_obj(NULL);
		jw_str("path", ci.path);
		jw_str("mode", "0660");
		jw_str("group", group);
		jw_u64("clients", ci.clients);
		jw_u64("refused", ci.refused);
		jw_end_obj();
		jw_done();
		return;
	}
	cli_printf("socket %s\nmode 0660\ngroup %s\nclients %u\nrefused %lu\n", ci.path, group,
		   ci.clients, (unsigned long)ci.refused);
}

static cmdline_parse_inst_t cmd_ctl_show = {
	.f = ctl_show_cb,
	.help_str = "ctl show: the control socket, its group, clients and refused connections",
	.tokens = { (void *)&t_ctl, (void *)&t_show, NULL },
};

static const struct cli_cmd ctl_cmds[] = {
	{ &cmd_ctl_show, "ctl show" },
	{ NULL, NULL },
};

int
dps_ctl_cli_register(void)
{
	return dps_cli_register(ctl_cmds);
}
