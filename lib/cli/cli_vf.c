/* SPDX-License-Identifier: BSD-3-Clause */
/* vf create | remove | set | show: a PF's SR-IOV virtual functions (lib/vf) */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "cli_priv.h"
#include "vf/vf.h"

struct vf_res {
	cmdline_fixed_string_t vf;
	cmdline_fixed_string_t verb;
	cmdline_fixed_string_t pf;
	uint16_t n;
	cmdline_fixed_string_t what;
	cmdline_fixed_string_t value;
};

static void
vf_create_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct vf_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_vf_create(r->pf, r->n, &err), &err);
}

static void
vf_remove_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct vf_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_vf_create(r->pf, 0, &err), &err);
}

static void
vf_set_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct vf_res *r = parsed;
	struct dps_err err = { "" };

	cli_result(dps_vf_set(r->pf, r->n, r->what, r->value, &err), &err);
}

static const char *
tri(int v, const char *off, const char *on)
{
	return v < 0 ? "-" : v ? on : off;
}

static const char *
link_name(int v)
{
	return v == 0 ? "auto" : v == 1 ? "on" : v == 2 ? "off" : "-";
}

static void
vf_show_json(const struct dps_vf_list *l)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	jw_obj(NULL);
	jw_str("pf", l->pf);
	jw_str("device", l->device);
	jw_u64("total_vfs", l->total);
	jw_arr("vfs");
	for (unsigned int i = 0; i < l->nb; i++) {
		const struct dps_vf_state *v = &l->vf[i];

		jw_obj(NULL);
		jw_u64("vf", v->index);
		jw_str("pci", v->pci);
		jw_str("driver", v->driver);
		jw_str("port", v->port);
		if (v->has_mac) {
			rte_ether_format_addr(mac, sizeof(mac), &v->mac);
			jw_str("mac", mac);
		}
		if (v->vlan >= 0)
			jw_u64("vlan", (uint64_t)v->vlan);
		if (v->spoofchk >= 0)
			jw_bool("spoofchk", v->spoofchk != 0);
		if (v->trust >= 0)
			jw_bool("trust", v->trust != 0);
		if (v->link >= 0)
			jw_str("link", link_name(v->link));
		if (v->max_rate >= 0)
			jw_u64("max_rate_mbps", (uint64_t)v->max_rate);
		if (v->has_stats) {
			jw_obj("stats");
			jw_str("from", v->stats_from);
			jw_u64("rx_packets", v->rx_packets);
			jw_u64("rx_bytes", v->rx_bytes);
			jw_u64("tx_packets", v->tx_packets);
			jw_u64("tx_bytes", v->tx_bytes);
			jw_u64("rx_dropped", v->rx_dropped);
			jw_u64("tx_dropped", v->tx_dropped);
			jw_end_obj();
		}
		jw_end_obj();
	}
	jw_end_arr();
	jw_end_obj();
	jw_done();
}

static void
vf_show_text(const struct dps_vf_list *l)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE], vlan[16], rate[24];

	cli_printf("%s: %s, %u of %u VFs\n", l->pf, l->device, l->nb, l->total);
	if (l->nb == 0)
		return;
	cli_printf("%-3s %-13s %-10s %-10s %-17s %-5s %-8s %-5s %-4s %-6s %s\n", "VF", "PCI",
		   "DRIVER", "PORT", "MAC", "VLAN", "SPOOFCHK", "TRUST", "LINK", "RATE",
		   "RX/TX PACKETS");
	for (unsigned int i = 0; i < l->nb; i++) {
		const struct dps_vf_state *v = &l->vf[i];
		char pkts[48] = "-";

		if (v->has_mac)
			rte_ether_format_addr(mac, sizeof(mac), &v->mac);
		else
			snprintf(mac, sizeof(mac), "-");
		if (v->vlan < 0)
			snprintf(vlan, sizeof(vlan), "-");
		else
			snprintf(vlan, sizeof(vlan), "%d", v->vlan);
		if (v->max_rate < 0)
			snprintf(rate, sizeof(rate), "-");
		else
			snprintf(rate, sizeof(rate), "%" PRId64, v->max_rate);
		if (v->has_stats)
			snprintf(pkts, sizeof(pkts), "%" PRIu64 "/%" PRIu64 " (%s)", v->rx_packets,
				 v->tx_packets, v->stats_from);
		cli_printf("%-3u %-13s %-10s %-10s %-17s %-5s %-8s %-5s %-4s %-6s %s\n", v->index,
			   v->pci[0] ? v->pci : "-", v->driver[0] ? v->driver : "-",
			   v->port[0] ? v->port : "-", mac, vlan, tri(v->spoofchk, "off", "on"),
			   tri(v->trust, "off", "on"), link_name(v->link), rate, pkts);
	}
}

static void
vf_show_cb(void *parsed, struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	struct vf_res *r = parsed;
	struct dps_err err = { "" };
	struct dps_vf_list *l = malloc(sizeof(*l));
	int rc;

	if (l == NULL) {
		cli_fail(-ENOMEM, "vf show: out of memory");
		return;
	}
	rc = dps_vf_show(r->pf, l, &err);
	if (rc != 0)
		cli_result(rc, &err);
	else if (cli_json())
		vf_show_json(l);
	else
		vf_show_text(l);
	free(l);
}

static cmdline_parse_token_string_t t_vf = CLI_KW(struct vf_res, vf, "vf");
static cmdline_parse_token_string_t t_create = CLI_KW(struct vf_res, verb, "create");
static cmdline_parse_token_string_t t_remove = CLI_KW(struct vf_res, verb, "remove");
static cmdline_parse_token_string_t t_set = CLI_KW(struct vf_res, verb, "set");
static cmdline_parse_token_string_t t_show = CLI_KW(struct vf_res, verb, "show");
static cmdline_parse_token_string_t t_pf = CLI_STR(struct vf_res, pf);
static cmdline_parse_token_num_t t_n = CLI_U16(struct vf_res, n);
static cmdline_parse_token_string_t t_what = CLI_STR(struct vf_res, what);
static cmdline_parse_token_string_t t_value = CLI_STR(struct vf_res, value);

static cmdline_parse_inst_t cmd_vf_create = {
	.f = vf_create_cb,
	.help_str = "vf create PF N: give PF (a pci port, or netdev:IFNAME) N VFs",
	.tokens = { (void *)&t_vf, (void *)&t_create, (void *)&t_pf, (void *)&t_n, NULL },
};
static cmdline_parse_inst_t cmd_vf_remove = {
	.f = vf_remove_cb,
	.help_str = "vf remove PF: remove PF's VFs",
	.tokens = { (void *)&t_vf, (void *)&t_remove, (void *)&t_pf, NULL },
};
static cmdline_parse_inst_t cmd_vf_set = {
	.f = vf_set_cb,
	.help_str = "vf set PF VF mac MAC|vlan VID|spoofchk on|off|trust on|off|"
		    "link auto|on|off|rate MBPS: one setting of a VF",
	.tokens = { (void *)&t_vf, (void *)&t_set, (void *)&t_pf, (void *)&t_n, (void *)&t_what,
		    (void *)&t_value, NULL },
};
static cmdline_parse_inst_t cmd_vf_show = {
	.f = vf_show_cb,
	.help_str = "vf show PF: PF's VFs, their settings and counters",
	.tokens = { (void *)&t_vf, (void *)&t_show, (void *)&t_pf, NULL },
};

const struct cli_cmd cli_vf_cmds[] = {
	{ &cmd_vf_create, "vf create PF N" },
	{ &cmd_vf_remove, "vf remove PF" },
	{ &cmd_vf_set, "vf set PF VF mac|vlan|spoofchk|trust|link|rate VALUE" },
	{ &cmd_vf_show, "vf show PF" },
	{ NULL, NULL },
};
