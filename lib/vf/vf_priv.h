/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to lib/vf: one VF setting, and the two ways to apply it. */
#ifndef DPS_VF_PRIV_H
#define DPS_VF_PRIV_H

#include <stdint.h>

#include "vf.h"

enum vf_attr { VF_ATTR_MAC, VF_ATTR_VLAN, VF_ATTR_SPOOFCHK, VF_ATTR_TRUST, VF_ATTR_LINK,
	       VF_ATTR_RATE };

/** One setting of one VF: @p mac for VF_ATTR_MAC, @p num for the rest. */
struct vf_setting {
	enum vf_attr attr;
	struct rte_ether_addr mac;
	uint32_t num;			/* VID, 0/1, link 0 auto 1 on 2 off, Mbit/s */
};

/** The setting's name as the command spells it ("mac", "vlan", ...). */
const char *vf_attr_name(enum vf_attr attr);

/* vf_netlink.c: a PF its kernel driver drives, through rtnetlink. */
/** Apply @p s to VF @p vf of interface @p ifname (@p dev names it in errors). */
int vf_nl_set(const char *ifname, const char *dev, unsigned int vf, const struct vf_setting *s,
	      struct dps_err *err);
/** The kernel's view of @p ifname's VFs, into out->vf[] (up to out->nb). */
int vf_nl_get(const char *ifname, struct dps_vf_list *out, struct dps_err *err);

/* vf_pmd.c: a PF a switch port drives, through its PMD's per-VF calls. */
/** Apply @p s to VF @p vf of ethdev @p port_id, driver @p drv. */
int vf_pmd_set(uint16_t port_id, const char *drv, const char *dev, unsigned int vf,
	       const struct vf_setting *s, struct dps_err *err);
/** What was set through the switch, and the PMD's counters, into out->vf[]. */
void vf_pmd_get(uint16_t port_id, const char *drv, struct dps_vf_list *out);
/**
 * Port @p port_id (driver @p drv) now has @p n VFs: forget what was set,
 * and turn MAC and VLAN anti-spoofing on where the PMD can (the kernel's
 * default too).
 */
void vf_pmd_created(uint16_t port_id, const char *drv, unsigned int n);

#endif /* DPS_VF_PRIV_H */
