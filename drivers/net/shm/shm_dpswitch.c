/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_shm in the dpswitch daemon: the `shm` port kind (`port add NAME shm
 * ARGS`) and the `shm show` command. Built into the app, not into the
 * driver, as DPDK builds drivers' testpmd commands (*_testpmd.c) into
 * testpmd: the driver knows nothing of the switch, the switch's libraries
 * nothing of the driver.
 */
#include <errno.h>
#include <stdio.h>

#include "cli/cli_cmd.h"
#include "dps_shm.h"
#include "port/port.h"

struct shm_res {
	cmdline_fixed_string_t cmd;
	cmdline_fixed_string_t verb;
	cmdline_fixed_string_t name;
};

static cmdline_parse_token_string_t t_shm = CLI_KW(struct shm_res, cmd, "shm");
static cmdline_parse_token_string_t t_show = CLI_KW(struct shm_res, verb, "show");
static cmdline_parse_token_string_t t_name = CLI_STR(struct shm_res, name);

static void
shm_show_header(void)
{
	cli_printf("%-12s %-8s %-10s %-4s %-7s %-6s %-7s %-13s %s\n", "PORT", "MODE", "GROUP",
		   "PEER", "QPAIRS", "RING", "BUFSIZE", "SPARES FREE", "SOCKET");
}

/* PEER: a host peer attached or not; a guest's QEMU connected ("qemu"), its driver up ("vm"). */
static const char *
shm_peer_word(const struct dps_shm_info *si)
{
	if (!si->attached)
		return "no";
	if (!si->guest)
		return "yes";
	return si->guest_up ? "vm" : "qemu";
}

static int
shm_show_one(uint16_t id, void *arg __rte_unused)
{
	struct dps_shm_info si;
	char spares[32] = "-";

	if (dps_shm_info(id, &si) != 0)
		return 0;		/* not a shared-ring port */
	if (cli_json()) {
		jw_obj(NULL);
		jw_str("name", dps_port_name(id));
		jw_str("mode", si.trusted ? "trusted" : "isolated");
		jw_str("group", si.group);
		jw_str("path", si.path);
		jw_str("transport", si.guest ? "ivshmem" : "socket");
		jw_bool("attached", si.attached);
		if (si.guest) {
			jw_bool("guest_up", si.guest_up);
			jw_u64("guest_starts", si.guest_starts);
			jw_u64("guest_stops", si.guest_stops);
			jw_u64("guest_ctl_throttled", si.guest_ctl_throttled);
		}
		jw_u64("qpairs", si.qpairs);
		jw_u64("granted", si.granted);
		jw_u64("qpair_base", si.qpair_base);
		jw_u64("ring_size", si.ring_size);
		jw_u64("buf_size", si.buf_size);
		jw_u64("region_size", si.region_size);
		jw_bool("hugepages", si.hugepages);
		jw_u64("spares_total", si.spares_total);
		jw_u64("spares_free", si.spares_free);
		jw_bool("peer_bufs", si.peer_bufs);
		jw_u64("bag_bufs", si.bag_bufs);
		jw_u64("attaches", si.attaches);
		jw_u64("refusals", si.refusals);
		jw_u64("detaches", si.detaches);
		jw_u64("region_faults", si.region_faults);
		jw_u64("refused_no_region", si.refused_no_region);
		jw_end_obj();
		return 0;
	}
	if (si.trusted)
		snprintf(spares, sizeof(spares), "%u/%u", si.spares_free, si.spares_total);
	cli_printf("%-12s %-8s %-10s %-4s %u/%-5u %-6u %-7u %-13s %s\n", dps_port_name(id),
		   si.trusted ? "trusted" : "isolated", si.trusted ? si.group : "-",
		   shm_peer_word(&si), si.granted, si.qpairs, si.ring_size, si.buf_size,
		   spares, si.path);
	return 0;
}

static void
shm_show_cb(void *parsed, struct cmdline *cl __rte_unused, void *data)
{
	struct shm_res *r = parsed;
	struct dps_shm_info si;
	int id;

	if (data != NULL && (id = dps_port_id(r->name)) >= 0 &&
	    dps_shm_info((uint16_t)id, &si) != 0) {
		cli_fail(-EINVAL, "port '%s' is not a shared-ring (shm) port", r->name);
		return;
	}
	cli_port_each(data ? r->name : NULL, "ports", shm_show_header, shm_show_one);
}

static cmdline_parse_inst_t cmd_shm_show_all = {
	.f = shm_show_cb, .data = NULL,
	.help_str = "shm show: shared-ring ports, peers and spare buffers",
	.tokens = { (void *)&t_shm, (void *)&t_show, NULL },
};
static cmdline_parse_inst_t cmd_shm_show = {
	.f = shm_show_cb, .data = (void *)1,
	.help_str = "shm show PORT: one shared-ring port",
	.tokens = { (void *)&t_shm, (void *)&t_show, (void *)&t_name, NULL },
};

static const struct cli_cmd shm_cmds[] = {
	{ &cmd_shm_show_all, "shm show [PORT]" },
	{ &cmd_shm_show, "shm show [PORT]" },
	{ NULL, NULL },
};

static const char *const shm_required[] = { "path", NULL };

/*
 * A trusted port's frames are received into its group's region, which the
 * group's peers still write: the bridge copies them out of the group
 * (lib/fwd, fwd_port_cfg.domain). An isolated port's are copied in already.
 */
static uint16_t
shm_domain(uint16_t port_id)
{
	struct dps_shm_info si;

	return dps_shm_info(port_id, &si) == 0 && si.trusted ? si.group_id : 0;
}

static const struct dps_port_kind shm_kind = {
	.name = "shm",
	.driver = DPS_SHM_DRIVER,
	.keys = dps_shm_keys,
	.required = shm_required,
	.check = dps_shm_args_check,
	.nb_rxq = dps_shm_nb_rxq,
	.rx_intr = true,
	.domain = shm_domain,
};

int
dps_shm_dpswitch_register(void)
{
	int rc = dps_port_kind_register(&shm_kind);

	return rc != 0 ? rc : dps_cli_register(shm_cmds);
}
