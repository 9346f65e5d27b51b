/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFs of a PF a switch port drives: DPDK has no generic per-VF API, only
 * each PMD's own (rte_pmd_ixgbe_set_vf_*, rte_pmd_i40e_set_vf_*). The
 * switch is not linked with those PMDs (EAL loads them as plugins), so
 * their calls are looked up in the loaded library by name. A PMD with no
 * such call (igb in DPDK 22.11: its PF code only answers the VFs' own
 * mailbox requests) refuses every setting in one line.
 *
 * The PMDs have no getters: `vf show` gives what was set through the
 * switch since the VFs were created.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "common/dps_log.h"
#include "port/port.h"
#include "vf_priv.h"

typedef int (*vf_mac_fn)(uint16_t, uint16_t, struct rte_ether_addr *);
typedef int (*vf_u8_fn)(uint16_t, uint16_t, uint8_t);
typedef int (*vf_u16_fn)(uint16_t, uint16_t, uint16_t);
typedef int (*vf_u32_fn)(uint16_t, uint16_t, uint32_t);
typedef int (*vf_rate_fn)(uint16_t, uint16_t, uint32_t, uint64_t);
typedef int (*vf_stats_fn)(uint16_t, uint16_t, struct rte_eth_stats *);

/* A PMD's per-VF calls, by symbol name; NULL: the PMD has none. */
struct vf_pmd {
	const char *driver;		/* ethdev driver name */
	const char *library;		/* the plugin's file name stem */
	const char *mac, *vlan_insert, *vlan_strip, *mac_spoof, *vlan_spoof;
	const char *rate;		/* ixgbe: (tx_rate, queue mask) */
	const char *max_bw;		/* i40e: (Mbit/s) */
	const char *stats;
};

static const struct vf_pmd pmds[] = {
	{ "net_ixgbe", "librte_net_ixgbe.so", "rte_pmd_ixgbe_set_vf_mac_addr",
	  "rte_pmd_ixgbe_set_vf_vlan_insert", "rte_pmd_ixgbe_set_vf_vlan_stripq",
	  "rte_pmd_ixgbe_set_vf_mac_anti_spoof", "rte_pmd_ixgbe_set_vf_vlan_anti_spoof",
	  "rte_pmd_ixgbe_set_vf_rate_limit", NULL, NULL },
	{ "net_i40e", "librte_net_i40e.so", "rte_pmd_i40e_set_vf_mac_addr",
	  "rte_pmd_i40e_set_vf_vlan_insert", "rte_pmd_i40e_set_vf_vlan_stripq",
	  "rte_pmd_i40e_set_vf_mac_anti_spoof", "rte_pmd_i40e_set_vf_vlan_anti_spoof",
	  NULL, "rte_pmd_i40e_set_vf_max_bw", "rte_pmd_i40e_get_vf_stats" },
};

/* What was set through the switch, per port and VF. */
struct vf_admin {
	unsigned int nb;
	struct dps_vf_state vf[DPS_VF_MAX];
};

static struct vf_admin *admin[DPS_MAX_PORTS];

static const struct vf_pmd *
pmd_find(const char *drv)
{
	for (size_t i = 0; i < RTE_DIM(pmds); i++)
		if (strcmp(pmds[i].driver, drv) == 0)
			return &pmds[i];
	return NULL;
}

struct lib_search {
	const char *stem;
	char path[512];
};

static int
lib_match(struct dl_phdr_info *info, size_t size __rte_unused, void *arg)
{
	struct lib_search *ls = arg;

	if (info->dlpi_name == NULL || strstr(info->dlpi_name, ls->stem) == NULL)
		return 0;
	snprintf(ls->path, sizeof(ls->path), "%s", info->dlpi_name);
	return 1;
}

/* Symbol @p sym of the loaded PMD @p pmd (linked in, or EAL's plugin); NULL if absent. */
static void *
pmd_sym(const struct vf_pmd *pmd, const char *sym)
{
	struct lib_search ls = { .stem = pmd->library };
	void *h, *p;

	if (sym == NULL)
		return NULL;
	p = dlsym(RTLD_DEFAULT, sym);
	if (p != NULL || dl_iterate_phdr(lib_match, &ls) == 0)
		return p;
	/* Already loaded by EAL (RTLD_LOCAL): a handle to it, not a second copy. */
	h = dlopen(ls.path, RTLD_NOW | RTLD_NOLOAD);
	if (h == NULL)
		return NULL;
	p = dlsym(h, sym);
	dlclose(h);		/* EAL's own reference keeps it loaded */
	return p;
}

static struct dps_vf_state *
admin_vf(uint16_t port_id, unsigned int vf)
{
	struct vf_admin *a = admin[port_id];

	if (a == NULL) {
		a = calloc(1, sizeof(*a));
		if (a == NULL)
			return NULL;
		for (unsigned int i = 0; i < DPS_VF_MAX; i++) {
			a->vf[i].vlan = a->vf[i].qos = a->vf[i].spoofchk = -1;
			a->vf[i].trust = a->vf[i].link = -1;
			a->vf[i].max_rate = -1;
		}
		admin[port_id] = a;
	}
	return vf < DPS_VF_MAX ? &a->vf[vf] : NULL;
}

static int
refuse(const char *dev, const struct vf_setting *s, const char *why, struct dps_err *err)
{
	return dps_err_set(err, -ENOTSUP, "%s cannot set a VF's %s%s", dev, vf_attr_name(s->attr),
			   why);
}

/* Call the PMD's function(s) for @p s; -ENOTSUP where it has none. */
static int
pmd_apply(const struct vf_pmd *pmd, uint16_t port, uint16_t vf, const struct vf_setting *s)
{
	struct rte_ether_addr mac = s->mac;
	vf_mac_fn set_mac;
	vf_u16_fn insert;
	vf_u8_fn strip, mspoof, vspoof;
	vf_rate_fn rate;
	vf_u32_fn bw;
	int rc = -ENOTSUP;

	switch (s->attr) {
	case VF_ATTR_MAC:
		if ((set_mac = (vf_mac_fn)pmd_sym(pmd, pmd->mac)) != NULL)
			rc = set_mac(port, vf, &mac);
		break;
	case VF_ATTR_VLAN:	/* insert on tx, strip on rx, as ip link's vf vlan */
		insert = (vf_u16_fn)pmd_sym(pmd, pmd->vlan_insert);
		strip = (vf_u8_fn)pmd_sym(pmd, pmd->vlan_strip);
		if (insert != NULL && strip != NULL) {
			rc = insert(port, vf, (uint16_t)s->num);
			if (rc == 0)
				rc = strip(port, vf, s->num != 0);
		}
		break;
	case VF_ATTR_SPOOFCHK:	/* MAC and VLAN, as the kernel's spoofchk */
		mspoof = (vf_u8_fn)pmd_sym(pmd, pmd->mac_spoof);
		vspoof = (vf_u8_fn)pmd_sym(pmd, pmd->vlan_spoof);
		if (mspoof != NULL && vspoof != NULL) {
			rc = mspoof(port, vf, s->num != 0);
			if (rc == 0)
				rc = vspoof(port, vf, s->num != 0);
		}
		break;
	case VF_ATTR_RATE:
		if ((rate = (vf_rate_fn)pmd_sym(pmd, pmd->rate)) != NULL)
			rc = rate(port, vf, s->num, UINT64_MAX);
		else if ((bw = (vf_u32_fn)pmd_sym(pmd, pmd->max_bw)) != NULL)
			rc = bw(port, vf, s->num);
		break;
	default:		/* trust, link state: no DPDK PMD has them */
		break;
	}
	return rc;
}

int
vf_pmd_set(uint16_t port_id, const char *drv, const char *dev, unsigned int vf,
	   const struct vf_setting *s, struct dps_err *err)
{
	const struct vf_pmd *pmd = pmd_find(drv);
	struct dps_vf_state *st;
	int rc;

	if (pmd == NULL)
		return refuse(dev, s, ": its DPDK driver has no per-VF calls (leave the PF to "
			      "its kernel driver and use 'vf set " DPS_VF_NETDEV_PREFIX "IFNAME')",
			      err);
	rc = pmd_apply(pmd, port_id, (uint16_t)vf, s);
	if (rc == -ENOTSUP)
		return refuse(dev, s, ": its DPDK driver has no call for it", err);
	if (rc != 0)
		return dps_err_set(err, rc, "%s: VF %u %s: %s", dev, vf, vf_attr_name(s->attr),
				   rte_strerror(-rc));
	st = admin_vf(port_id, vf);
	if (st == NULL)
		return 0;
	switch (s->attr) {
	case VF_ATTR_MAC: st->mac = s->mac, st->has_mac = true; break;
	case VF_ATTR_VLAN: st->vlan = (int)s->num, st->qos = 0; break;
	case VF_ATTR_SPOOFCHK: st->spoofchk = (int)s->num; break;
	case VF_ATTR_RATE: st->max_rate = s->num; break;
	default: break;
	}
	return 0;
}

void
vf_pmd_get(uint16_t port_id, const char *drv, struct dps_vf_list *out)
{
	const struct vf_pmd *pmd = pmd_find(drv);
	vf_stats_fn stats = pmd != NULL ? (vf_stats_fn)pmd_sym(pmd, pmd->stats) : NULL;

	for (unsigned int i = 0; i < out->nb && i < DPS_VF_MAX; i++) {
		struct dps_vf_state *o = &out->vf[i];
		struct rte_eth_stats es;

		if (admin[port_id] != NULL) {
			const struct dps_vf_state *a = &admin[port_id]->vf[i];

			o->has_mac = a->has_mac, o->mac = a->mac;
			o->vlan = a->vlan, o->qos = a->qos, o->spoofchk = a->spoofchk;
			o->max_rate = a->max_rate;
		}
		if (stats != NULL && stats(port_id, (uint16_t)i, &es) == 0) {
			o->has_stats = true;
			o->stats_from = "pf";
			o->rx_packets = es.ipackets, o->rx_bytes = es.ibytes;
			o->tx_packets = es.opackets, o->tx_bytes = es.obytes;
			o->rx_dropped = es.imissed, o->tx_dropped = es.oerrors;
		}
	}
}

void
vf_pmd_created(uint16_t port_id, const char *drv, unsigned int n)
{
	const struct vf_pmd *pmd = pmd_find(drv);
	struct vf_setting on = { .attr = VF_ATTR_SPOOFCHK, .num = 1 };

	free(admin[port_id]);
	admin[port_id] = NULL;
	if (pmd == NULL)
		return;
	for (unsigned int vf = 0; vf < n; vf++) {
		struct dps_err err = { "" };

		if (vf_pmd_set(port_id, drv, drv, vf, &on, &err) != 0)
			DPS_LOG(vf, WARNING, "VF %u: anti-spoofing left off: %s", vf, err.msg);
	}
}
