/* SPDX-License-Identifier: BSD-3-Clause */
/* port add | del | show | stats | xstats | clear */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>

#include "cli_priv.h"
#include "port/port.h"

struct port_res {
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t verb;
	cmdline_fixed_string_t name;
	cmdline_fixed_string_t kind;
	cmdline_multi_string_t args;
};

static cmdline_parse_token_string_t t_port = CLI_KW(struct port_res, port, "port");
static cmdline_parse_token_string_t t_name = CLI_STR(struct port_res, name);
static cmdline_parse_token_string_t t_kind = CLI_STR(struct port_res, kind);
static cmdline_parse_token_string_t t_args =
	TOKEN_STRING_INITIALIZER(struct port_res, args, TOKEN_STRING_MULTI);

static void
port_add_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct port_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_add(r->name, r->kind, data ? r->args : "", &err), &err);
}

static void
port_del_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct port_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_port_del(r->name, &err), &err);
}

static const char *
role_name(const struct dps_port_info *pi)
{
	static char buf[64];

	if (pi->fwd.role == FWD_ROLE_XCONNECT) {
		const char *peer = dps_port_name(pi->fwd.xc_peer);

		snprintf(buf, sizeof(buf), "xconnect:%s", peer ? peer : "?");
		return buf;
	}
	return "bridge";
}

static void
vlan_desc(const struct fwd_port_cfg *pc, char *buf, size_t size)
{
	char list[256];

	if (pc->vlan_mode == FWD_VLAN_ACCESS) {
		snprintf(buf, size, "access %u", pc->access_vid);
		return;
	}
	fwd_vid_list_format(pc->trunk_vids, list, sizeof(list));
	if (pc->native_vid)
		snprintf(buf, size, "trunk %s native %u", list, pc->native_vid);
	else
		snprintf(buf, size, "trunk %s", list);
}

static int
port_show_one(uint16_t id, void *arg __rte_unused)
{
	struct dps_port_info pi;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], vlan[300];

	if (dps_port_info(id, &pi) != 0)
		return 0;
	rte_ether_format_addr(mac, sizeof(mac), &pi.mac);
	vlan_desc(&pi.fwd, vlan, sizeof(vlan));
	if (cli_json()) {
		jw_obj(NULL);
		jw_str("name", pi.name);
		jw_str("kind", pi.kind);
		jw_str("args", pi.args);
		jw_str("device", pi.devname);
		jw_u64("port_id", pi.port_id);
		jw_bool("link_up", pi.link_up);
		jw_u64("speed_mbps", pi.link_speed);
		jw_str("mac", mac);
		jw_u64("rx_queues", pi.nb_rxq);
		jw_u64("tx_queues", pi.nb_txq);
		jw_str("wake", pi.rx_intr ? "interrupt" : "timed");
		jw_str("role", role_name(&pi));
		jw_str("vlan", vlan);
		jw_u64("mac_limit", pi.mac_limit);
		jw_u64("macs_learned", pi.macs_learned);
		jw_arr("tx_offloads");	/* what its device takes; the worker does the rest */
		if (pi.tx_offloads & RTE_MBUF_F_TX_TCP_SEG)
			jw_str(NULL, "tso");
		if (pi.tx_offloads & RTE_MBUF_F_TX_L4_MASK)
			jw_str(NULL, "l4_csum");
		if (pi.tx_offloads & RTE_MBUF_F_TX_IP_CKSUM)
			jw_str(NULL, "ipv4_csum");
		jw_end_arr();
		jw_obj("storm_pps");
		for (unsigned int k = 0; k < FWD_STORM_KINDS; k++)
			jw_u64(fwd_storm_kind_name(k), pi.fwd.storm_pps[k]);
		jw_end_obj();
		jw_end_obj();
		return 0;
	}
	cli_printf("%-12s %-9s %-4s %-17s %2u/%-2u %-5s %-16s %-20s %s\n", pi.name,
		   pi.kind, pi.link_up ? "up" : "down", mac, pi.nb_rxq, pi.nb_txq,
		   pi.rx_intr ? "intr" : "timed", role_name(&pi), vlan, pi.args);
	if (pi.mac_limit != 0)
		cli_printf("%-12s mac-limit %u (%u learned)\n", "", pi.mac_limit, pi.macs_learned);
	for (unsigned int k = 0; k < FWD_STORM_KINDS; k++)
		if (pi.fwd.storm_pps[k] != 0)
			cli_printf("%-12s storm %s %u pps\n", "", fwd_storm_kind_name(k),
				   pi.fwd.storm_pps[k]);
	return 0;
}

static void
port_show_header(void)
{
	cli_printf("%-12s %-9s %-4s %-17s %-5s %-5s %-16s %-20s %s\n", "NAME", "KIND",
		   "LINK", "MAC", "RX/TX", "WAKE", "ROLE", "VLAN", "ARGS");
}

void
cli_port_each(const char *name, const char *list_key, void (*header)(void),
	      int (*fn)(uint16_t, void *))
{
	int id = -1;

	if (name != NULL && (id = dps_port_id(name)) < 0) {
		cli_fail(-ENOENT, "no port named '%s'", name);
		return;
	}
	if (cli_json()) {
		jw_obj(NULL);
		jw_arr(list_key);
	} else if (header != NULL) {
		header();
	}
	if (id >= 0)
		fn((uint16_t)id, NULL);
	else
		dps_port_foreach(fn, NULL);
	if (cli_json()) {
		jw_end_arr();
		jw_end_obj();
		jw_done();
	}
}

static void
port_show_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct port_res *r = parsed;

	cli_port_each(data ? r->name : NULL, "ports", port_show_header, port_show_one);
}

static int
port_stats_one(uint16_t id, void *arg __rte_unused)
{
	struct dps_port_stats st;
	const struct dps_port_counters *c = &st.c;
	const char *name = dps_port_name(id);

	if (dps_port_stats(id, &st) != 0)
		return 0;
	if (cli_json()) {
		jw_obj(NULL);
		jw_str("name", name);
		jw_u64("rx_packets", c->rx_pkts);
		jw_u64("rx_bytes", c->rx_bytes);
		jw_u64("tx_packets", c->tx_pkts);
		jw_u64("tx_bytes", c->tx_bytes);
		jw_obj("drops");
		jw_u64("no_mbuf", c->drop_no_mbuf + st.rx_nombuf);
		jw_u64("tx_full", c->drop_tx_full);
		jw_u64("no_route", c->drop_no_route);
		jw_u64("filtered", c->drop_filtered);
		jw_u64("invalid", c->drop_invalid);
		jw_u64("vlan_hop", c->drop_vlan_hop);
		jw_u64("mac_limit", c->drop_mac_limit);
		jw_u64("mac_move", c->drop_mac_move);
		jw_u64("storm", c->drop_storm);
		jw_u64("rx_missed", st.rx_missed);
		jw_u64("offload", c->drop_offload);
		jw_end_obj();
		jw_u64("edge_copies", c->edge_copies);
		jw_obj("offloads_done");
		jw_u64("gso_frames", c->gso_frames);
		jw_u64("gso_segments", c->gso_segments);
		jw_u64("csum_sw", c->csum_sw);
		jw_end_obj();
		jw_u64("rx_errors", st.rx_errors);
		jw_u64("tx_errors", st.tx_errors);
		jw_end_obj();
		return 0;
	}
	cli_printf("port %s\n"
		   "  rx %" PRIu64 " packets %" PRIu64 " bytes\n"
		   "  tx %" PRIu64 " packets %" PRIu64 " bytes\n"
		   "  drops: no_mbuf %" PRIu64 " tx_full %" PRIu64 " no_route %" PRIu64
		   " filtered %" PRIu64 " invalid %" PRIu64 " vlan_hop %" PRIu64
		   " mac_limit %" PRIu64 " mac_move %" PRIu64 " storm %" PRIu64
		   " rx_missed %" PRIu64 "\n",
		   name, c->rx_pkts, c->rx_bytes, c->tx_pkts, c->tx_bytes,
		   c->drop_no_mbuf + st.rx_nombuf, c->drop_tx_full, c->drop_no_route,
		   c->drop_filtered, c->drop_invalid, c->drop_vlan_hop, c->drop_mac_limit,
		   c->drop_mac_move, c->drop_storm, st.rx_missed);
	if (c->edge_copies != 0)
		cli_printf("  copied out of its trust group: %" PRIu64 " frames\n", c->edge_copies);
	if (c->gso_frames + c->csum_sw + c->drop_offload != 0)
		cli_printf("  offloads done for it: %" PRIu64 " large frames cut into %" PRIu64
			   " segments, %" PRIu64 " checksums completed, %" PRIu64
			   " frames dropped (offload)\n", c->gso_frames, c->gso_segments, c->csum_sw,
			   c->drop_offload);
	return 0;
}

static void
port_stats_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct port_res *r = parsed;

	cli_port_each(data ? r->name : NULL, "ports", NULL, port_stats_one);
}

/* Extended counters: in text, the non-zero ones; in JSON, all. */
static void
port_xstat_one(const char *name, uint64_t value, void *arg __rte_unused)
{
	if (cli_json())
		jw_u64(name, value);
	else if (value != 0)
		cli_printf("  %-32s %" PRIu64 "\n", name, value);
}

static int
port_xstats_one(uint16_t id, void *arg __rte_unused)
{
	int rc;

	if (cli_json()) {
		jw_obj(NULL);
		jw_str("name", dps_port_name(id));
		jw_obj("xstats");
	} else {
		cli_printf("port %s\n", dps_port_name(id));
	}
	rc = dps_port_xstats(id, port_xstat_one, NULL);
	if (cli_json()) {
		jw_end_obj();
		jw_end_obj();
	} else if (rc != 0) {
		cli_printf("  (no extended counters: %s)\n", rte_strerror(-rc));
	}
	return 0;
}

static void
port_xstats_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct port_res *r = parsed;

	cli_port_each(data ? r->name : NULL, "ports", NULL, port_xstats_one);
}

static int
port_clear_one(uint16_t id, void *arg __rte_unused)
{
	dps_port_stats_clear(id);
	return 0;
}

static void
port_clear_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct port_res *r = parsed;
	int id;

	if (data == NULL) {
		dps_port_foreach(port_clear_one, NULL);
		return;
	}
	id = dps_port_id(r->name);
	if (id < 0)
		cli_fail(-ENOENT, "no port named '%s'", r->name);
	else
		port_clear_one((uint16_t)id, NULL);
}

/* Define a "port VERB" command with or without a NAME argument. */
#define PORT_CMD(var, word, cb, with_name, help)			\
	static cmdline_parse_token_string_t var##_v =			\
		CLI_KW(struct port_res, verb, #word);			\
	static cmdline_parse_inst_t var = {				\
		.f = cb, .data = (void *)(uintptr_t)(with_name),	\
		.help_str = help,					\
		.tokens = { (void *)&t_port, (void *)&var##_v,		\
			    (with_name) ? (void *)&t_name : NULL, NULL }, \
	}

static cmdline_parse_token_string_t t_add = CLI_KW(struct port_res, verb, "add");
static cmdline_parse_inst_t cmd_port_add = {
	.f = port_add_cb, .data = NULL,
	.help_str = "port add NAME KIND: create a port with no options",
	.tokens = { (void *)&t_port, (void *)&t_add, (void *)&t_name,
		    (void *)&t_kind, NULL },
};
static cmdline_parse_inst_t cmd_port_add_args = {
	.f = port_add_cb, .data = (void *)1,
	.help_str = "port add NAME KIND DEVARGS: create a port",
	.tokens = { (void *)&t_port, (void *)&t_add, (void *)&t_name,
		    (void *)&t_kind, (void *)&t_args, NULL },
};
PORT_CMD(cmd_port_del, del, port_del_cb, 1, "port del NAME: remove a port");
PORT_CMD(cmd_port_show_all, show, port_show_cb, 0, "port show: list ports");
PORT_CMD(cmd_port_show, show, port_show_cb, 1, "port show NAME: one port");
PORT_CMD(cmd_port_stats_all, stats, port_stats_cb, 0, "port stats: counters of all ports");
PORT_CMD(cmd_port_stats, stats, port_stats_cb, 1, "port stats NAME: counters of a port");
PORT_CMD(cmd_port_xstats_all, xstats, port_xstats_cb, 0,
	 "port xstats: the drivers' extended counters, non-zero ones");
PORT_CMD(cmd_port_xstats, xstats, port_xstats_cb, 1,
	 "port xstats NAME: a port driver's extended counters");
PORT_CMD(cmd_port_clear_all, clear, port_clear_cb, 0, "port clear: zero all counters");
PORT_CMD(cmd_port_clear, clear, port_clear_cb, 1, "port clear NAME: zero a port's counters");

const struct cli_cmd cli_port_cmds[] = {
	{ &cmd_port_add, "port add NAME KIND [DEVARGS]" },
	{ &cmd_port_add_args, "port add NAME KIND [DEVARGS]" },
	{ &cmd_port_del, "port del NAME" },
	{ &cmd_port_show_all, "port show [NAME]" },
	{ &cmd_port_show, "port show [NAME]" },
	{ &cmd_port_stats_all, "port stats [NAME]" },
	{ &cmd_port_stats, "port stats [NAME]" },
	{ &cmd_port_xstats_all, "port xstats [NAME]" },
	{ &cmd_port_xstats, "port xstats [NAME]" },
	{ &cmd_port_clear_all, "port clear [NAME]" },
	{ &cmd_port_clear, "port clear [NAME]" },
	{ NULL, NULL },
};
