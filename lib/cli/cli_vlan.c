/* SPDX-License-Identifier: BSD-3-Clause */
/* vlan access | trunk, xconnect add | del */
#include <stdio.h>

#include "cli_priv.h"
#include "port/port.h"

struct vlan_res {
	cmdline_fixed_string_t cmd;
	cmdline_fixed_string_t verb;
	cmdline_fixed_string_t name;
	cmdline_fixed_string_t arg;	/* VLAN list, or second port */
	cmdline_fixed_string_t native;
	uint16_t vid;
};

static cmdline_parse_token_string_t t_vlan = CLI_KW(struct vlan_res, cmd, "vlan");
static cmdline_parse_token_string_t t_access = CLI_KW(struct vlan_res, verb, "access");
static cmdline_parse_token_string_t t_trunk = CLI_KW(struct vlan_res, verb, "trunk");
static cmdline_parse_token_string_t t_native = CLI_KW(struct vlan_res, native, "native");
static cmdline_parse_token_string_t t_name = CLI_STR(struct vlan_res, name);
static cmdline_parse_token_string_t t_arg = CLI_STR(struct vlan_res, arg);
static cmdline_parse_token_num_t t_vid = CLI_U16(struct vlan_res, vid);

static void
vlan_access_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct vlan_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_vlan_access(r->name, r->vid, &err), &err);
}

static void
vlan_trunk_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct vlan_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_vlan_trunk(r->name, r->arg, data ? r->vid : 0, &err),
		   &err);
}

static cmdline_parse_inst_t cmd_vlan_access = {
	.f = vlan_access_cb,
	.help_str = "vlan access PORT VID: untagged port in VLAN VID",
	.tokens = { (void *)&t_vlan, (void *)&t_access, (void *)&t_name,
		    (void *)&t_vid, NULL },
};
static cmdline_parse_inst_t cmd_vlan_trunk = {
	.f = vlan_trunk_cb,
	.help_str = "vlan trunk PORT VIDS: tagged port (VIDS: 10,20,100-200 or all)",
	.tokens = { (void *)&t_vlan, (void *)&t_trunk, (void *)&t_name,
		    (void *)&t_arg, NULL },
};
static cmdline_parse_inst_t cmd_vlan_trunk_native = {
	.f = vlan_trunk_cb, .data = (void *)1,
	.help_str = "vlan trunk PORT VIDS native VID: untagged frames in VID",
	.tokens = { (void *)&t_vlan, (void *)&t_trunk, (void *)&t_name,
		    (void *)&t_arg, (void *)&t_native, (void *)&t_vid, NULL },
};

static cmdline_parse_token_string_t t_xc = CLI_KW(struct vlan_res, cmd, "xconnect");
static cmdline_parse_token_string_t t_add = CLI_KW(struct vlan_res, verb, "add");
static cmdline_parse_token_string_t t_del = CLI_KW(struct vlan_res, verb, "del");

static void
xc_add_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct vlan_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_xconnect(r->name, r->arg, &err), &err);
}

static void
xc_del_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct vlan_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_xconnect_del(r->name, &err), &err);
}

static cmdline_parse_inst_t cmd_xc_add = {
	.f = xc_add_cb,
	.help_str = "xconnect add PORT1 PORT2: forward PORT1<->PORT2 with no lookup",
	.tokens = { (void *)&t_xc, (void *)&t_add, (void *)&t_name,
		    (void *)&t_arg, NULL },
};
static cmdline_parse_inst_t cmd_xc_del = {
	.f = xc_del_cb,
	.help_str = "xconnect del PORT: return a cross-connected pair to the bridge",
	.tokens = { (void *)&t_xc, (void *)&t_del, (void *)&t_name, NULL },
};

const struct cli_cmd cli_vlan_cmds[] = {
	{ &cmd_vlan_access, "vlan access PORT VID" },
	{ &cmd_vlan_trunk, "vlan trunk PORT VIDS [native VID]" },
	{ &cmd_vlan_trunk_native, "vlan trunk PORT VIDS [native VID]" },
	{ &cmd_xc_add, "xconnect add PORT1 PORT2" },
	{ &cmd_xc_del, "xconnect del PORT" },
	{ NULL, NULL },
};
