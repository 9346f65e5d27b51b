/* SPDX-License-Identifier: BSD-3-Clause */
#include "fwd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>

#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ9100 0x9100

/* An ethertype (network order) that starts a VLAN tag. */
static inline bool
fwd_is_tpid(uint16_t be)
{
	return be == rte_cpu_to_be_16(ETH_P_8021Q) || be == rte_cpu_to_be_16(ETH_P_8021AD) ||
	       be == rte_cpu_to_be_16(ETH_P_QINQ9100);
}

void
fwd_config_init(struct fwd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned int p = 0; p < DPS_MAX_PORTS; p++)
		cfg->port[p].xc_peer = DPS_PORT_NONE;
}

void
fwd_port_bridge_default(struct fwd_port_cfg *pc)
{
	/* What the port is and what it is allowed, not how it forwards. */
	struct fwd_port_cfg keep = { .domain = pc->domain, .nic = pc->nic };

	memcpy(keep.storm_pps, pc->storm_pps, sizeof(keep.storm_pps));
	memset(pc, 0, sizeof(*pc));
	pc->domain = keep.domain;
	pc->nic = keep.nic;
	memcpy(pc->storm_pps, keep.storm_pps, sizeof(pc->storm_pps));
	pc->role = FWD_ROLE_BRIDGE;
	pc->vlan_mode = FWD_VLAN_ACCESS;
	pc->access_vid = DPS_VID_DEFAULT;
	pc->xc_peer = DPS_PORT_NONE;
}

void
fwd_config_finish(struct fwd_config *cfg)
{
	memset(cfg->vlan_members, 0, sizeof(cfg->vlan_members));
	for (unsigned int p = 0; p < DPS_MAX_PORTS; p++) {
		struct fwd_port_cfg *pc = &cfg->port[p];
		uint64_t bit = UINT64_C(1) << p;

		pc->horizon = bit;
		for (unsigned int q = 0; q < DPS_MAX_PORTS && pc->nic != 0; q++)
			if (cfg->port[q].nic == pc->nic)
				pc->horizon |= UINT64_C(1) << q;

		if (pc->role != FWD_ROLE_BRIDGE)
			continue;
		if (pc->vlan_mode == FWD_VLAN_ACCESS) {
			cfg->vlan_members[pc->access_vid] |= bit;
			continue;
		}
		for (unsigned int v = 1; v <= DPS_VID_MAX; v++)
			if (fwd_vid_test(pc->trunk_vids, v) || v == pc->native_vid)
				cfg->vlan_members[v] |= bit;
	}
}

/* Which VLAN does a frame arriving on @pc belong to? 0 = not admitted. */
static uint16_t
fwd_ingress_vid(const struct fwd_port_cfg *pc, bool tagged, uint16_t tag_vid)
{
	if (pc->vlan_mode == FWD_VLAN_ACCESS)
		return tagged ? 0 : pc->access_vid;
	if (!tagged)
		return pc->native_vid;
	/* A tag naming the native VLAN is accepted too, as most switches do. */
	return fwd_vid_test(pc->trunk_vids, tag_vid) || tag_vid == pc->native_vid ?
		tag_vid : 0;
}

/*
 * Learn @src unless it is the source this burst learned last. A source the
 * table refused (its port's limit, the move hold) is not remembered: the
 * next frame from it is refused too.
 */
static inline enum l2_learn_result
fwd_learn(struct l2_table *tbl, const uint8_t *src, uint16_t vid,
	  uint16_t in_port, uint32_t now_s, struct fwd_learn_cache *lc)
{
	enum l2_learn_result r;
	uint64_t key = 0;

	if (lc != NULL) {
		memcpy(&key, src, 6);
		key |= (uint64_t)vid << 48;
		if (key == lc->key)
			return L2_LEARN_REFRESHED;
	}
	r = l2_table_learn(tbl, src, vid, in_port, now_s);
	if (lc != NULL && r != L2_LEARN_LIMIT && r != L2_LEARN_MOVE_HELD)
		lc->key = key;
	return r;
}

void
fwd_decide(const struct fwd_config *cfg, struct l2_table *tbl, uint16_t in_port,
	   const uint8_t *frame, uint32_t len, uint64_t link_up, uint32_t now_s,
	   struct fwd_learn_cache *lc, struct fwd_decision *d)
{
	const struct fwd_port_cfg *pc = &cfg->port[in_port];
	const uint8_t *dst = frame, *src = frame + 6;
	uint16_t etype, inner = 0, out, tag_vid = 0;

	d->tagged = false;
	d->vid = 0;
	if (unlikely(fwd_frame_runt(len))) {
		d->verdict = FWD_DROP_INVALID;
		return;
	}
	if (unlikely(pc->role == FWD_ROLE_NONE)) {
		/* A port leaving the switch: never learn or forward its frames. */
		d->verdict = FWD_DROP_NO_ROUTE;
		return;
	}
	if (pc->role == FWD_ROLE_XCONNECT) {
		out = fwd_xconnect_out(cfg, in_port, link_up);
		d->verdict = out == DPS_PORT_NONE ? FWD_DROP_NO_ROUTE : FWD_UNICAST;
		d->out_port = out;
		return;
	}

	memcpy(&etype, frame + 12, 2);
	if (etype == rte_cpu_to_be_16(ETH_P_8021Q)) {
		uint16_t tci;

		if (unlikely(len < FWD_ETH_HDR_LEN + 4)) {
			d->verdict = FWD_DROP_INVALID;
			return;
		}
		memcpy(&tci, frame + 14, 2);
		memcpy(&inner, frame + 16, 2);
		tag_vid = rte_be_to_cpu_16(tci) & 0xfff;
		/* A priority tag (VID 0) carries no VLAN: treat as untagged. */
		d->tagged = true;
	}
	d->vid = fwd_ingress_vid(pc, d->tagged && tag_vid != 0, tag_vid);
	if (d->vid == 0) {
		d->verdict = FWD_DROP_FILTERED;
		return;
	}
	/*
	 * VLAN hopping: a tag that put the frame in the port's untagged VLAN
	 * (a priority tag, or a trunk's native VID) goes when the frame leaves
	 * untagged, and a tag behind it would then stand first: the frame
	 * would be in another VLAN. (A frame tagged in a trunk's tagged VLAN
	 * keeps its tag wherever it is tagged, and an access port hands its
	 * hosts whatever its VLAN carries.)
	 */
	if (d->tagged && fwd_is_tpid(inner) &&
	    (tag_vid == 0 || (pc->vlan_mode == FWD_VLAN_TRUNK && tag_vid == pc->native_vid))) {
		d->verdict = FWD_DROP_VLAN_HOP;
		return;
	}

	/* Never learn a group address as a source: it would capture floods. */
	if (!(src[0] & 1)) {
		enum l2_learn_result lr = fwd_learn(tbl, src, d->vid, in_port, now_s, lc);

		/* Port security: a source the table would not take is not let in either. */
		if (unlikely(lr == L2_LEARN_LIMIT)) {
			d->verdict = FWD_DROP_MAC_LIMIT;
			return;
		}
		if (unlikely(lr == L2_LEARN_MOVE_HELD)) {
			d->verdict = FWD_DROP_MAC_MOVE;
			return;
		}
	}

	if (!(dst[0] & 1)) {
		out = l2_table_lookup(tbl, dst, d->vid, now_s);
		if (out != DPS_L2_NO_PORT) {
			if (out < DPS_MAX_PORTS && ((pc->horizon >> out) & 1)) {
				/* Itself, or its NIC's embedded switch delivers it. */
				d->verdict = FWD_DROP_FILTERED;
			} else if (out < DPS_MAX_PORTS &&
				   ((cfg->vlan_members[d->vid] & link_up) >> out) & 1) {
				d->verdict = FWD_UNICAST;
				d->out_port = out;
			} else {
				d->verdict = FWD_DROP_NO_ROUTE;
			}
			return;
		}
	}
	d->verdict = FWD_FLOOD;
	d->flood_mask = cfg->vlan_members[d->vid] & link_up & ~pc->horizon;
}

static const char *const storm_kind_names[FWD_STORM_KINDS] = {
	[FWD_STORM_BROADCAST] = "broadcast",
	[FWD_STORM_MULTICAST] = "multicast",
	[FWD_STORM_UNKNOWN_UNICAST] = "unknown-unicast",
};

const char *
fwd_storm_kind_name(enum fwd_storm_kind k)
{
	return (unsigned int)k < FWD_STORM_KINDS ? storm_kind_names[k] : "?";
}

int
fwd_storm_kind_parse(const char *s, enum fwd_storm_kind *k)
{
	for (unsigned int i = 0; i < FWD_STORM_KINDS; i++) {
		if (strcmp(s, storm_kind_names[i]) == 0) {
			*k = (enum fwd_storm_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

int
fwd_vid_list_parse(const char *s, uint64_t set[DPS_VLAN_COUNT / 64])
{
	const char *p = s;

	memset(set, 0, DPS_VLAN_COUNT / 8);
	if (strcmp(s, "all") == 0) {
		for (unsigned int v = 1; v <= DPS_VID_MAX; v++)
			fwd_vid_set(set, v, true);
		return 0;
	}
	if (*p == '\0')
		return -EINVAL;
	while (*p != '\0') {
		char *end;
		long lo, hi;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		lo = strtol(p, &end, 10);
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			hi = strtol(p, &end, 10);
		}
		if (!fwd_vid_valid((unsigned int)lo) || !fwd_vid_valid((unsigned int)hi) ||
		    lo > hi)
			return -EINVAL;
		for (long v = lo; v <= hi; v++)
			fwd_vid_set(set, (uint16_t)v, true);
		if (*end == ',' && end[1] != '\0')
			end++;
		else if (*end != '\0')
			return -EINVAL;
		p = end;
	}
	return 0;
}

void
fwd_vid_list_format(const uint64_t set[DPS_VLAN_COUNT / 64], char *buf,
		    unsigned int size)
{
	unsigned int len = 0, v = 1;

	buf[0] = '\0';
	while (v <= DPS_VID_MAX && len < size) {
		unsigned int lo;

		if (!fwd_vid_test(set, v)) {
			v++;
			continue;
		}
		lo = v;
		while (v + 1 <= DPS_VID_MAX && fwd_vid_test(set, v + 1))
			v++;
		len += snprintf(buf + len, size - len, lo == v ? "%s%u" : "%s%u-%u",
				len ? "," : "", lo, v);
		v++;
	}
	if (len == 0)
		snprintf(buf, size, "none");
}
