/* SPDX-License-Identifier: BSD-3-Clause */
/* mac show | flush | add | del */
#include <stdio.h>
#include <string.h>

#include <cmdline_parse_etheraddr.h>
#include <rte_ether.h>

#include "cli_priv.h"
#include "cli_state.h"
#include "port/port.h"
#include "worker/worker.h"

struct mac_res {
	cmdline_fixed_string_t mac;
	cmdline_fixed_string_t verb;
	cmdline_fixed_string_t name;
	struct rte_ether_addr addr;
	uint16_t vid;
};

static cmdline_parse_token_string_t t_mac = CLI_KW(struct mac_res, mac, "mac");
static cmdline_parse_token_string_t t_show = CLI_KW(struct mac_res, verb, "show");
static cmdline_parse_token_string_t t_flush = CLI_KW(struct mac_res, verb, "flush");
static cmdline_parse_token_string_t t_name = CLI_STR(struct mac_res, name);

struct mac_walk {
	int port;		/* -1: all */
	unsigned int n;
};

static int
mac_show_entry(const struct l2_entry_info *e, void *arg)
{
	struct mac_walk *mw = arg;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	const char *pname = dps_port_name(e->port);

	if (mw->port >= 0 && e->port != mw->port)
		return 0;
	mw->n++;
	rte_ether_format_addr(mac, sizeof(mac), (const struct rte_ether_addr *)e->mac);
	if (cli_json()) {
		jw_obj(NULL);
		jw_str("mac", mac);
		jw_u64("vlan", e->vid);
		jw_str("port", pname ? pname : "?");
		jw_u64("age", e->age_s);
		jw_bool("static", e->is_static);
		jw_end_obj();
	} else if (e->is_static) {
		cli_printf("%-17s %4u  %-12s static\n", mac, e->vid, pname ? pname : "?");
	} else {
		cli_printf("%-17s %4u  %-12s %u\n", mac, e->vid, pname ? pname : "?",
			   e->age_s);
	}
	return 0;
}

static void
mac_show_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct mac_res *r = parsed;
	struct mac_walk mw = { .port = -1 };
	struct l2_table *t = cli_state_mac_table();

	if (data != NULL && (mw.port = dps_port_id(r->name)) < 0) {
		cli_fail(-ENOENT, "no port named '%s'", r->name);
		return;
	}
	if (cli_json()) {
		jw_obj(NULL);
		jw_arr("macs");
	} else {
		cli_printf("%-17s %4s  %-12s %s\n", "MAC", "VLAN", "PORT", "AGE");
	}
	l2_table_walk(t, dps_now_s(), mac_show_entry, &mw);
	if (cli_json()) {
		jw_end_arr();
		jw_u64("count", mw.n);
		jw_u64("aging", l2_table_get_aging(t));
		jw_u64("capacity", l2_table_capacity(t));
		jw_u64("evictions", l2_table_evictions(t));
		jw_u64("move_hold", l2_table_get_move_hold(t));
		jw_u64("moves", l2_table_moves(t));
		jw_u64("moves_refused", l2_table_moves_refused(t));
		jw_end_obj();
		jw_done();
	} else {
		cli_printf("%u entries (capacity %u, aging %u s, evictions %lu, moves %lu, "
			   "moves refused %lu (hold %u s))\n",
			   mw.n, l2_table_capacity(t), l2_table_get_aging(t),
			   (unsigned long)l2_table_evictions(t), (unsigned long)l2_table_moves(t),
			   (unsigned long)l2_table_moves_refused(t), l2_table_get_move_hold(t));
	}
}

static void
mac_flush_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct mac_res *r = parsed;
	int port = DPS_L2_NO_PORT;
	unsigned int n;

	if (data != NULL && (port = dps_port_id(r->name)) < 0) {
		cli_fail(-ENOENT, "no port named '%s'", r->name);
		return;
	}
	n = l2_table_flush(cli_state_mac_table(), (uint16_t)port);
	if (cli_json()) {
		jw_obj(NULL);
		jw_u64("flushed", n);
		jw_end_obj();
		jw_done();
	} else {
		cli_printf("flushed %u entries\n", n);
	}
}

static cmdline_parse_token_string_t t_add = CLI_KW(struct mac_res, verb, "add");
static cmdline_parse_token_string_t t_del = CLI_KW(struct mac_res, verb, "del");
static cmdline_parse_token_etheraddr_t t_addr =
	TOKEN_ETHERADDR_INITIALIZER(struct mac_res, addr);
static cmdline_parse_token_num_t t_vid = CLI_U16(struct mac_res, vid);

static int
mac_check_vid(uint16_t vid)
{
	if (fwd_vid_valid(vid))
		return 0;
	cli_fail(-EINVAL, "VLAN %u out of range 1..4094", vid);
	return -EINVAL;
}

static void
mac_add_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct mac_res *r = parsed;
	uint16_t vid = data ? r->vid : DPS_VID_DEFAULT;
	int port = dps_port_id(r->name), rc;

	if (mac_check_vid(vid) != 0)
		return;
	if (port < 0) {
		cli_fail(-ENOENT, "no port named '%s'", r->name);
		return;
	}
	if (!rte_is_unicast_ether_addr(&r->addr)) {
		cli_fail(-EINVAL, "a static MAC must be unicast");
		return;
	}
	rc = l2_table_add_static(cli_state_mac_table(), r->addr.addr_bytes, vid,
				 (uint16_t)port, dps_now_s());
	if (rc == -ENOSPC)
		cli_fail(rc, "no room: that MAC's bucket holds only static entries");
	else if (rc != 0)
		cli_fail(rc, "cannot add static MAC: %s", strerror(-rc));
}

static void
mac_del_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct mac_res *r = parsed;
	uint16_t vid = data ? r->vid : DPS_VID_DEFAULT;

	if (mac_check_vid(vid) != 0)
		return;
	if (l2_table_del(cli_state_mac_table(), r->addr.addr_bytes, vid) != 0)
		cli_fail(-ENOENT, "no MAC entry for that address in VLAN %u", vid);
}

static cmdline_parse_inst_t cmd_mac_add = {
	.f = mac_add_cb, .help_str = "mac add MAC PORT: static entry in VLAN 1",
	.tokens = { (void *)&t_mac, (void *)&t_add, (void *)&t_addr,
		    (void *)&t_name, NULL },
};
static cmdline_parse_inst_t cmd_mac_add_vid = {
	.f = mac_add_cb, .data = (void *)1,
	.help_str = "mac add MAC PORT VID: static entry, never aged or moved",
	.tokens = { (void *)&t_mac, (void *)&t_add, (void *)&t_addr,
		    (void *)&t_name, (void *)&t_vid, NULL },
};
static cmdline_parse_inst_t cmd_mac_del = {
	.f = mac_del_cb, .help_str = "mac del MAC: remove an entry in VLAN 1",
	.tokens = { (void *)&t_mac, (void *)&t_del, (void *)&t_addr, NULL },
};
static cmdline_parse_inst_t cmd_mac_del_vid = {
	.f = mac_del_cb, .data = (void *)1,
	.help_str = "mac del MAC VID: remove an entry, static or learned",
	.tokens = { (void *)&t_mac, (void *)&t_del, (void *)&t_addr,
		    (void *)&t_vid, NULL },
};

static cmdline_parse_inst_t cmd_mac_show_all = {
	.f = mac_show_cb, .help_str = "mac show: learned MAC addresses",
	.tokens = { (void *)&t_mac, (void *)&t_show, NULL },
};
static cmdline_parse_inst_t cmd_mac_show = {
	.f = mac_show_cb, .data = (void *)1,
	.help_str = "mac show PORT: MACs learned on a port",
	.tokens = { (void *)&t_mac, (void *)&t_show, (void *)&t_name, NULL },
};
static cmdline_parse_inst_t cmd_mac_flush_all = {
	.f = mac_flush_cb, .help_str = "mac flush: forget every learned MAC",
	.tokens = { (void *)&t_mac, (void *)&t_flush, NULL },
};
static cmdline_parse_inst_t cmd_mac_flush = {
	.f = mac_flush_cb, .data = (void *)1,
	.help_str = "mac flush PORT: forget the MACs of a port",
	.tokens = { (void *)&t_mac, (void *)&t_flush, (void *)&t_name, NULL },
};

const struct cli_cmd cli_mac_cmds[] = {
	{ &cmd_mac_show_all, "mac show [PORT]" },
	{ &cmd_mac_show, "mac show [PORT]" },
	{ &cmd_mac_flush_all, "mac flush [PORT]" },
	{ &cmd_mac_flush, "mac flush [PORT]" },
	{ &cmd_mac_add, "mac add MAC PORT [VID]" },
	{ &cmd_mac_add_vid, "mac add MAC PORT [VID]" },
	{ &cmd_mac_del, "mac del MAC [VID]" },
	{ &cmd_mac_del_vid, "mac del MAC [VID]" },
	{ NULL, NULL },
};
