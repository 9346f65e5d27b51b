/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the forwarding decisions (lib/fwd) on hand-made frames:
 * no EAL, no mbufs.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fwd/fwd.h"
#include "l2/l2_table.h"
#include "test_common.h"
#include "test_frames.h"

#define ALL4 UINT64_C(0xf)

static struct fwd_config cfg;
static struct l2_table *tbl;
static uint32_t now = 100;

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t MCAST6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
/*
 * Unicast MACs differ in their second octet too, so that these tests of
 * forwarding do not depend on how the MAC table spreads MACs over its
 * buckets (test_l2_table checks that).
 */
static const uint8_t MAC_A[6] = { 0x02, 0x0a, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0x0b, 0, 0, 0, 0x0b };
static const uint8_t MAC_C[6] = { 0x02, 0x0c, 0, 0, 0, 0x0c };
static const uint8_t MAC_D[6] = { 0x02, 0x0d, 0, 0, 0, 0x0d };
static const uint8_t MAC_X[6] = { 0x02, 0x99, 0, 0, 0, 0x99 };

/*
 * A 64-byte IPv4-looking frame; @tag < 0: untagged, else an 802.1Q tag with
 * VID @tag and PCP 5 (so a VID 0 tag is a priority tag).
 */
static uint32_t
mkframe(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int tag)
{
	return test_frame(f, 64, dst, src, tag, 5, 64, 0);
}

static struct fwd_decision
decide(uint16_t in, const uint8_t dst[6], const uint8_t src[6], int tag,
       uint64_t link_up)
{
	struct fwd_decision d;
	uint8_t f[64];
	uint32_t len = mkframe(f, dst, src, tag);

	memset(&d, 0xa5, sizeof(d));
	fwd_decide(&cfg, tbl, in, f, len, link_up, now, NULL, &d);
	return d;
}

static void
fresh(void)
{
	fwd_config_init(&cfg);
	l2_table_flush(tbl, DPS_L2_NO_PORT);
}

static void
test_config_init(void)
{
	struct fwd_port_cfg pc;

	memset(&pc, 0xff, sizeof(pc));
	fresh();
	fwd_config_finish(&cfg);
	for (unsigned int p = 0; p < DPS_MAX_PORTS; p++) {
		CHECK_EQ(cfg.port[p].role, FWD_ROLE_NONE);
		CHECK_EQ(cfg.port[p].xc_peer, DPS_PORT_NONE);
	}
	for (unsigned int v = 0; v < DPS_VLAN_COUNT; v++)
		if (cfg.vlan_members[v] != 0)
			CHECK_MSG(0, "VLAN %u has members %#llx", v,
				  (unsigned long long)cfg.vlan_members[v]);
	fwd_port_bridge_default(&pc);
	CHECK_EQ(pc.role, FWD_ROLE_BRIDGE);
	CHECK_EQ(pc.vlan_mode, FWD_VLAN_ACCESS);
	CHECK_EQ(pc.access_vid, DPS_VID_DEFAULT);
	CHECK_EQ(pc.native_vid, 0);
	CHECK_EQ(pc.xc_peer, DPS_PORT_NONE);
	for (unsigned int i = 0; i < DPS_VLAN_COUNT / 64; i++)
		CHECK_EQ(pc.trunk_vids[i], 0);
}

/* Ports 0..3 in the default VLAN, all up. */
static void
setup_flat(void)
{
	fresh();
	for (uint16_t p = 0; p < 4; p++)
		fwd_port_bridge_default(&cfg.port[p]);
	fwd_config_finish(&cfg);
}

static void
test_flood_and_unicast(void)
{
	struct fwd_decision d;

	setup_flat();
	CHECK_EQ(cfg.vlan_members[DPS_VID_DEFAULT], ALL4);

	/* Broadcast floods to every other port and teaches A on port 0. */
	d = decide(0, BCAST, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0xe);
	CHECK_EQ(d.vid, 1);
	CHECK(!d.tagged);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), 0);

	/* Multicast, IPv4 and IPv6. */
	d = decide(1, MCAST4, MAC_B, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0xd);
	d = decide(1, MCAST6, MAC_B, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0xd);
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 1, now), 1);

	/* Unknown unicast floods. */
	d = decide(0, MAC_C, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0xe);

	/* The flood set never holds the ingress port. */
	for (uint16_t in = 0; in < 4; in++) {
		d = decide(in, BCAST, MAC_D, UNTAGGED, ALL4);
		CHECK_EQ(d.verdict, FWD_FLOOD);
		CHECK_EQ(d.flood_mask, ALL4 & ~(UINT64_C(1) << in));
		/* ... also when the ingress link reads down */
		d = decide(in, BCAST, MAC_D, UNTAGGED, ALL4 & ~(UINT64_C(1) << in));
		CHECK_EQ(d.verdict, FWD_FLOOD);
		CHECK_EQ(d.flood_mask, ALL4 & ~(UINT64_C(1) << in));
	}
	l2_table_flush(tbl, DPS_L2_NO_PORT);
	decide(0, BCAST, MAC_A, UNTAGGED, ALL4);
	decide(1, BCAST, MAC_B, UNTAGGED, ALL4);

	/* Known unicast goes to the learned port. */
	d = decide(0, MAC_B, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 1);
	CHECK_EQ(d.vid, 1);
	CHECK(!d.tagged);
	d = decide(1, MAC_A, MAC_B, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 0);

	/* Destination learned on the ingress port: hairpin, filtered. */
	d = decide(0, MAC_A, MAC_C, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);

	/* A moves to port 2: unicast follows it. */
	decide(2, BCAST, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), 2);
	d = decide(1, MAC_A, MAC_B, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 2);

	/* Ports that are not configured take no flood even if "up". */
	d = decide(0, BCAST, MAC_C, UNTAGGED, 0xff);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0xe);
}

/*
 * Ports 0 and 1 are functions of one NIC (a PF and its VF): the NIC's
 * embedded switch forwards between them, so the bridge never does (split
 * horizon), whatever the MAC table says; ports 2 and 3 are not.
 */
static void
test_nic_horizon(void)
{
	struct fwd_decision d;

	setup_flat();
	cfg.port[0].nic = cfg.port[1].nic = 0x10001;
	fwd_config_finish(&cfg);
	CHECK_EQ(cfg.port[0].horizon, 0x3);
	CHECK_EQ(cfg.port[1].horizon, 0x3);
	CHECK_EQ(cfg.port[2].horizon, 0x4);
	/* A broadcast from the wire, as the NIC hands it to both: never back to the NIC. */
	d = decide(0, BCAST, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0xc);
	d = decide(1, BCAST, MAC_B, UNTAGGED, ALL4);
	CHECK_EQ(d.flood_mask, 0xc);
	/* Unicast to the other function: the NIC delivered it already. */
	d = decide(0, MAC_B, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);
	/* From elsewhere, both functions are ordinary egresses. */
	d = decide(2, BCAST, MAC_C, UNTAGGED, ALL4);
	CHECK_EQ(d.flood_mask, 0xb);
	d = decide(2, MAC_B, MAC_C, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 1);
	d = decide(0, MAC_C, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 2);
	/* What the port is stays when it returns to the bridge (an xconnect deleted). */
	fwd_port_bridge_default(&cfg.port[1]);
	CHECK_EQ(cfg.port[1].nic, 0x10001);
}

static void
test_link_down(void)
{
	struct fwd_decision d;

	setup_flat();
	decide(0, BCAST, MAC_A, UNTAGGED, ALL4);
	decide(1, BCAST, MAC_B, UNTAGGED, ALL4);

	/* Down ports are left out of floods. */
	d = decide(0, BCAST, MAC_A, UNTAGGED, ALL4 & ~UINT64_C(4));
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0xa);
	d = decide(0, MAC_C, MAC_A, UNTAGGED, 0x1);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0);

	/* Unicast to a down port: no route. */
	d = decide(0, MAC_B, MAC_A, UNTAGGED, ALL4 & ~UINT64_C(2));
	CHECK_EQ(d.verdict, FWD_DROP_NO_ROUTE);
	/* Back up: delivered. */
	d = decide(0, MAC_B, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 1);

	/* Unicast to a port that left the bridge: no route, not a flood. */
	cfg.port[1].role = FWD_ROLE_NONE;
	fwd_config_finish(&cfg);
	d = decide(0, MAC_B, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_DROP_NO_ROUTE);
	d = decide(0, BCAST, MAC_A, UNTAGGED, ALL4);
	CHECK_EQ(d.flood_mask, 0xc);
}

static void
test_runts(void)
{
	static const uint32_t short_lens[] = { 0, 1, 6, 12, 13 };
	struct fwd_decision d;
	uint8_t f[64];

	setup_flat();
	for (size_t i = 0; i < sizeof(short_lens) / sizeof(short_lens[0]); i++) {
		mkframe(f, BCAST, MAC_A, UNTAGGED);
		fwd_decide(&cfg, tbl, 0, f, short_lens[i], ALL4, now, NULL, &d);
		CHECK_MSG(d.verdict == FWD_DROP_INVALID, "untagged len %u: verdict %u",
			  short_lens[i], d.verdict);
	}
	/* A runt teaches nothing. */
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), DPS_L2_NO_PORT);

	/* Exactly a header: fine. */
	mkframe(f, BCAST, MAC_A, UNTAGGED);
	fwd_decide(&cfg, tbl, 0, f, 14, ALL4, now, NULL, &d);
	CHECK_EQ(d.verdict, FWD_FLOOD);

	/* A VLAN tag cut short. */
	for (uint32_t len = 14; len < 18; len++) {
		mkframe(f, BCAST, MAC_B, 0);
		fwd_decide(&cfg, tbl, 1, f, len, ALL4, now, NULL, &d);
		CHECK_MSG(d.verdict == FWD_DROP_INVALID, "tagged len %u: verdict %u",
			  len, d.verdict);
	}
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 1, now), DPS_L2_NO_PORT);
	mkframe(f, BCAST, MAC_B, 0);
	fwd_decide(&cfg, tbl, 1, f, 18, ALL4, now, NULL, &d);
	CHECK_EQ(d.verdict, FWD_FLOOD);
}

/*
 * p0, p1: access 10     p2: access 20     p5: access 1 (default)
 * p3: trunk 10,20 (untagged dropped)     p4: trunk 20,30 native 10
 */
static void
setup_vlans(void)
{
	fresh();
	for (uint16_t p = 0; p < 6; p++)
		fwd_port_bridge_default(&cfg.port[p]);
	cfg.port[0].access_vid = 10;
	cfg.port[1].access_vid = 10;
	cfg.port[2].access_vid = 20;
	cfg.port[3].vlan_mode = FWD_VLAN_TRUNK;
	CHECK_EQ(fwd_vid_list_parse("10,20", cfg.port[3].trunk_vids), 0);
	cfg.port[3].native_vid = 0;
	cfg.port[4].vlan_mode = FWD_VLAN_TRUNK;
	CHECK_EQ(fwd_vid_list_parse("20,30", cfg.port[4].trunk_vids), 0);
	cfg.port[4].native_vid = 10;
	fwd_config_finish(&cfg);
}

static void
test_vlans(void)
{
	const uint64_t up = 0x3f;
	struct fwd_decision d;

	setup_vlans();
	CHECK_EQ(cfg.vlan_members[10], 0x1b);
	CHECK_EQ(cfg.vlan_members[20], 0x1c);
	CHECK_EQ(cfg.vlan_members[30], 0x10);
	CHECK_EQ(cfg.vlan_members[1], 0x20);
	CHECK_EQ(cfg.vlan_members[0], 0);
	CHECK_EQ(cfg.vlan_members[40], 0);

	/* Access port: untagged in its VLAN. */
	d = decide(0, BCAST, MAC_A, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 10);
	CHECK(!d.tagged);
	CHECK_EQ(d.flood_mask, 0x1a);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 10, now), 0);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), DPS_L2_NO_PORT);

	/* Access port: tagged frames are filtered, even in its own VLAN. */
	d = decide(1, BCAST, MAC_B, 10, up);
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);
	d = decide(1, BCAST, MAC_B, 20, up);
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 10, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 20, now), DPS_L2_NO_PORT);

	/* Access port: a priority tag (VID 0) is no VLAN: admitted. */
	d = decide(1, BCAST, MAC_B, 0, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 10);
	CHECK(d.tagged);	/* the frame still carries the tag */
	CHECK_EQ(d.flood_mask, 0x19);
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 10, now), 1);

	/* Trunk: allowed VIDs admitted tagged, others and untagged dropped. */
	d = decide(3, BCAST, MAC_C, 20, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 20);
	CHECK(d.tagged);
	CHECK_EQ(d.flood_mask, 0x14);
	d = decide(3, BCAST, MAC_C, 10, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 10);
	CHECK_EQ(d.flood_mask, 0x13);
	d = decide(3, BCAST, MAC_C, 30, up);
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);
	d = decide(3, BCAST, MAC_C, 4095, up);
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);
	d = decide(3, BCAST, MAC_D, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);
	d = decide(3, BCAST, MAC_D, 0, up);	/* priority tag, no native */
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);
	CHECK_EQ(l2_table_lookup(tbl, MAC_D, 10, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(tbl, MAC_C, 30, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(tbl, MAC_C, 20, now), 3);
	CHECK_EQ(l2_table_lookup(tbl, MAC_C, 10, now), 3);

	/* Trunk with a native VLAN: untagged and priority-tagged go there. */
	d = decide(4, BCAST, MAC_D, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 10);
	CHECK(!d.tagged);
	CHECK_EQ(d.flood_mask, 0x0b);
	d = decide(4, BCAST, MAC_D, 0, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 10);
	CHECK(d.tagged);
	/* A tag naming the native VLAN is accepted too. */
	d = decide(4, BCAST, MAC_D, 10, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 10);
	CHECK(d.tagged);
	d = decide(4, BCAST, MAC_D, 30, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 30);
	CHECK_EQ(d.flood_mask, 0);	/* p4 is alone in VLAN 30 */
	d = decide(4, BCAST, MAC_D, 40, up);
	CHECK_EQ(d.verdict, FWD_DROP_FILTERED);

	/* Default-VLAN port sees nothing of the others. */
	d = decide(5, BCAST, MAC_X, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 1);
	CHECK_EQ(d.flood_mask, 0);

	/* Unicast across access and trunk, per VLAN. */
	decide(2, BCAST, MAC_B, UNTAGGED, up);		/* B in VLAN 20 on p2 */
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 20, now), 2);
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 10, now), 1);
	d = decide(3, MAC_B, MAC_C, 20, up);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 2);
	CHECK_EQ(d.vid, 20);
	CHECK(d.tagged);
	d = decide(3, MAC_B, MAC_C, 10, up);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 1);
	CHECK_EQ(d.vid, 10);
	/* B is unknown in VLAN 30: flood there. */
	d = decide(4, MAC_B, MAC_C, 30, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);

	/* A port that left the VLAN (table not yet flushed): no route. */
	cfg.port[2].access_vid = 30;
	fwd_config_finish(&cfg);
	d = decide(3, MAC_B, MAC_C, 20, up);
	CHECK_EQ(d.verdict, FWD_DROP_NO_ROUTE);

	/* Egress encoding. */
	setup_vlans();
	CHECK(!fwd_egress_tagged(&cfg, 0, 10));
	CHECK(!fwd_egress_tagged(&cfg, 2, 20));
	CHECK(fwd_egress_tagged(&cfg, 3, 10));
	CHECK(fwd_egress_tagged(&cfg, 3, 20));
	CHECK(!fwd_egress_tagged(&cfg, 4, 10));	/* native */
	CHECK(fwd_egress_tagged(&cfg, 4, 20));
	CHECK(fwd_egress_tagged(&cfg, 4, 30));
}

/*
 * A 64-byte frame with two tags: @p outer (VID, PCP 5; 0 is a priority
 * tag), then a tag of ethertype @p tpid with VID @p inner, then IPv4.
 */
static struct fwd_decision
decide_double(uint16_t in, int outer, uint16_t tpid, uint16_t inner, uint64_t up)
{
	struct fwd_decision d;
	uint8_t f[64];

	test_frame(f, sizeof(f), BCAST, MAC_C, outer, 5, sizeof(f), 0);
	f[16] = (uint8_t)(tpid >> 8);
	f[17] = (uint8_t)tpid;
	f[18] = (uint8_t)(inner >> 8);
	f[19] = (uint8_t)inner;
	f[20] = 0x08;
	f[21] = 0x00;
	fwd_decide(&cfg, tbl, in, f, sizeof(f), up, now, NULL, &d);
	return d;
}

/*
 * VLAN hopping: a tag behind the one that put a frame in a port's untagged
 * VLAN would stand first once the frame leaves untagged. Ports as in
 * setup_vlans(); p5 is access in VLAN 1.
 */
static void
test_vlan_hop(void)
{
	const uint64_t up = 0x3f;
	struct fwd_decision d;

	setup_vlans();
	/* Access ports: a priority tag, then any VLAN tag: dropped, as its own reason. */
	CHECK_EQ(decide_double(5, 0, 0x8100, 20, up).verdict, FWD_DROP_VLAN_HOP);
	CHECK_EQ(decide_double(0, 0, 0x8100, 20, up).verdict, FWD_DROP_VLAN_HOP);
	CHECK_EQ(decide_double(0, 0, 0x88a8, 20, up).verdict, FWD_DROP_VLAN_HOP);
	CHECK_EQ(decide_double(0, 0, 0x9100, 20, up).verdict, FWD_DROP_VLAN_HOP);
	CHECK_EQ(decide_double(0, 0, 0x8100, 10, up).verdict, FWD_DROP_VLAN_HOP);
	/* ... a priority tag with anything else behind it is still admitted. */
	d = decide_double(0, 0, 0x0800, 20, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 10);
	/* ... and a real tag is filtered as before. */
	CHECK_EQ(decide_double(0, 10, 0x8100, 20, up).verdict, FWD_DROP_FILTERED);
	/* A trunk's native VLAN: by its VID or by a priority tag: dropped too. */
	CHECK_EQ(decide_double(4, 10, 0x8100, 20, up).verdict, FWD_DROP_VLAN_HOP);
	CHECK_EQ(decide_double(4, 0, 0x8100, 30, up).verdict, FWD_DROP_VLAN_HOP);
	/* A trunk's tagged VLAN keeps its tag on every tagged egress: passes. */
	d = decide_double(4, 20, 0x8100, 30, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 20);
	d = decide_double(3, 10, 0x88a8, 20, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.vid, 10);
	/* Nothing was learned from a dropped frame. */
	CHECK_EQ(l2_table_lookup(tbl, MAC_C, 1, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(tbl, MAC_C, 10, now), 3);	/* the last admitted, on p3 */
}

/* Refused learning is a refused frame: the port's limit, the move hold. */
static void
test_port_security(void)
{
	const uint64_t up = 0xf;
	struct fwd_decision d;

	setup_flat();
	CHECK_EQ(l2_table_set_limit(tbl, 0, 1), 0);
	CHECK_EQ(decide(0, BCAST, MAC_A, UNTAGGED, up).verdict, FWD_FLOOD);
	d = decide(0, MAC_A, MAC_B, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_DROP_MAC_LIMIT);
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 1, now), DPS_L2_NO_PORT);
	/* A known source still passes. */
	CHECK_EQ(decide(0, BCAST, MAC_A, UNTAGGED, up).verdict, FWD_FLOOD);
	CHECK_EQ(l2_table_set_limit(tbl, 0, 0), 0);
	/* MAC_A is active on port 0: port 1 may not claim it. */
	l2_table_set_move_hold(tbl, 5);
	d = decide(1, BCAST, MAC_A, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_DROP_MAC_MOVE);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), 0);
	l2_table_set_move_hold(tbl, 0);
	CHECK_EQ(decide(1, BCAST, MAC_A, UNTAGGED, up).verdict, FWD_FLOOD);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), 1);
}

static void
test_group_source(void)
{
	struct fwd_decision d;

	setup_flat();
	d = decide(0, BCAST, MCAST4, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	d = decide(0, MAC_A, BCAST, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	d = decide(2, MAC_A, MCAST6, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(l2_table_lookup(tbl, MCAST4, 1, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(tbl, BCAST, 1, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(tbl, MCAST6, 1, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_count(tbl, now), 0);
	/* A broadcast keeps flooding even after a frame "from" it. */
	d = decide(1, BCAST, MAC_B, UNTAGGED, ALL4);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0xd);
}

static void
test_xconnect(void)
{
	const uint64_t up = 0xff;
	struct fwd_decision d;
	uint8_t f[64];

	fresh();
	fwd_port_bridge_default(&cfg.port[0]);
	fwd_port_bridge_default(&cfg.port[1]);
	fwd_port_bridge_default(&cfg.port[6]);
	fwd_port_bridge_default(&cfg.port[7]);
	fwd_config_finish(&cfg);
	/* X was learned on p6 while it was a bridge port. */
	decide(6, BCAST, MAC_X, UNTAGGED, up);
	CHECK_EQ(l2_table_lookup(tbl, MAC_X, 1, now), 6);

	cfg.port[6].role = FWD_ROLE_XCONNECT;
	cfg.port[6].xc_peer = 7;
	cfg.port[7].role = FWD_ROLE_XCONNECT;
	cfg.port[7].xc_peer = 6;
	fwd_config_finish(&cfg);
	CHECK_EQ(cfg.vlan_members[1], 0x3);

	/* Everything goes to the peer, untouched and unlearned. */
	d = decide(6, BCAST, MAC_A, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 7);
	d = decide(7, MAC_A, MAC_B, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 6);
	d = decide(6, MAC_B, MAC_C, 123, up);	/* any tag */
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(d.out_port, 7);
	d = decide(6, MAC_B, MAC_C, 4095, up);
	CHECK_EQ(d.verdict, FWD_UNICAST);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 1, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_lookup(tbl, MAC_C, 123, now), DPS_L2_NO_PORT);
	CHECK_EQ(l2_table_count(tbl, now), 1);	/* just X */

	/* Runts are still runts. */
	mkframe(f, BCAST, MAC_A, UNTAGGED);
	fwd_decide(&cfg, tbl, 6, f, 10, up, now, NULL, &d);
	CHECK_EQ(d.verdict, FWD_DROP_INVALID);

	/* Peer down, gone, or unset: no route. */
	d = decide(6, BCAST, MAC_A, UNTAGGED, up & ~(UINT64_C(1) << 7));
	CHECK_EQ(d.verdict, FWD_DROP_NO_ROUTE);
	d = decide(7, BCAST, MAC_A, UNTAGGED, up & ~(UINT64_C(1) << 7));
	CHECK_EQ(d.verdict, FWD_UNICAST);	/* own link state does not matter */
	cfg.port[7].role = FWD_ROLE_NONE;
	fwd_config_finish(&cfg);
	d = decide(6, BCAST, MAC_A, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_DROP_NO_ROUTE);
	cfg.port[7].role = FWD_ROLE_XCONNECT;
	cfg.port[6].xc_peer = DPS_PORT_NONE;
	fwd_config_finish(&cfg);
	d = decide(6, BCAST, MAC_A, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_DROP_NO_ROUTE);
	cfg.port[6].xc_peer = 7;
	fwd_config_finish(&cfg);

	/* Bridge ports neither flood to nor unicast into a cross-connect. */
	d = decide(0, BCAST, MAC_A, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(d.flood_mask, 0x2);
	d = decide(0, MAC_X, MAC_A, UNTAGGED, up);
	CHECK_EQ(d.verdict, FWD_DROP_NO_ROUTE);
}

static void
test_vid_list(void)
{
	static const char *const bad[] = {
		"", "0", "4095", "5000", "10-5", "1,,2", "abc", "1,", ",1", "-1",
		"10-", "1-4095", "0-10", "1 ", " 1", "1, 2", "ALL", "all,5", "5,all",
		"1;2", "1-2-3", "+5", "99999999999999999999999", "10--20", "1-a",
	};
	uint64_t set[DPS_VLAN_COUNT / 64], set2[DPS_VLAN_COUNT / 64];
	char buf[512];
	unsigned int n;

	CHECK_EQ(fwd_vid_list_parse("10,20,100-200", set), 0);
	n = 0;
	for (unsigned int v = 0; v < DPS_VLAN_COUNT; v++)
		n += fwd_vid_test(set, (uint16_t)v);
	CHECK_EQ(n, 2 + 101);
	CHECK(fwd_vid_test(set, 10) && fwd_vid_test(set, 20));
	CHECK(fwd_vid_test(set, 100) && fwd_vid_test(set, 150) && fwd_vid_test(set, 200));
	CHECK(!fwd_vid_test(set, 11) && !fwd_vid_test(set, 99) && !fwd_vid_test(set, 201));
	fwd_vid_list_format(set, buf, sizeof(buf));
	CHECK_STREQ(buf, "10,20,100-200");

	CHECK_EQ(fwd_vid_list_parse("all", set), 0);
	n = 0;
	for (unsigned int v = 0; v < DPS_VLAN_COUNT; v++)
		n += fwd_vid_test(set, (uint16_t)v);
	CHECK_EQ(n, 4094);
	CHECK(!fwd_vid_test(set, 0) && !fwd_vid_test(set, 4095));
	fwd_vid_list_format(set, buf, sizeof(buf));
	CHECK_STREQ(buf, "1-4094");
	CHECK_EQ(fwd_vid_list_parse("1-4094", set2), 0);
	CHECK(memcmp(set, set2, sizeof(set)) == 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = fwd_vid_list_parse(bad[i], set);

		CHECK_MSG(rc == -EINVAL, "parse(\"%s\") = %d, expected -EINVAL",
			  bad[i], rc);
	}

	/* Canonical form and round trip. */
	{
		static const struct { const char *in, *out; } rt[] = {
			{ "1", "1" }, { "4094", "4094" }, { "1-1", "1" },
			{ "5,1", "1,5" }, { "1,3,5", "1,3,5" }, { "1-3,2-5", "1-5" },
			{ "1,2,3,4", "1-4" }, { "4093,4094,1", "1,4093-4094" },
			{ "100-200,10,20", "10,20,100-200" }, { "007", "7" },
		};

		for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
			CHECK_MSG(fwd_vid_list_parse(rt[i].in, set) == 0, "parse(\"%s\")",
				  rt[i].in);
			fwd_vid_list_format(set, buf, sizeof(buf));
			CHECK_STREQ(buf, rt[i].out);
			CHECK_EQ(fwd_vid_list_parse(buf, set2), 0);
			CHECK(memcmp(set, set2, sizeof(set)) == 0);
		}
	}

	/* Every other VID: the longest list there is, in a big buffer. */
	{
		static char big[16384], again[16384];

		memset(set, 0, sizeof(set));
		for (unsigned int v = 1; v <= 4094; v += 2)
			fwd_vid_set(set, (uint16_t)v, true);
		fwd_vid_list_format(set, big, sizeof(big));
		CHECK_EQ(fwd_vid_list_parse(big, set2), 0);
		CHECK(memcmp(set, set2, sizeof(set)) == 0);
		fwd_vid_list_format(set2, again, sizeof(again));
		CHECK_STREQ(again, big);
	}

	/* Empty set. */
	memset(set, 0, sizeof(set));
	fwd_vid_list_format(set, buf, sizeof(buf));
	CHECK_STREQ(buf, "none");

	/* A small buffer truncates and never overruns. */
	CHECK_EQ(fwd_vid_list_parse("10,20,100-200", set), 0);
	memset(buf, 'Z', sizeof(buf));
	fwd_vid_list_format(set, buf, 8);
	CHECK(memchr(buf, '\0', 8) != NULL);
	for (size_t i = 8; i < 64; i++)
		if (buf[i] != 'Z')
			CHECK_MSG(0, "byte %zu past the buffer written", i);
	CHECK_EQ(strncmp(buf, "10,20,1", 7), 0);

	/* fwd_vid_set / fwd_vid_test. */
	memset(set, 0, sizeof(set));
	fwd_vid_set(set, 63, true);
	fwd_vid_set(set, 64, true);
	fwd_vid_set(set, 4094, true);
	CHECK(fwd_vid_test(set, 63) && fwd_vid_test(set, 64) && fwd_vid_test(set, 4094));
	fwd_vid_set(set, 64, false);
	CHECK(fwd_vid_test(set, 63) && !fwd_vid_test(set, 64));
}

/* The per-burst learn cache skips re-learning the same source only. */
static void
test_learn_cache(void)
{
	struct fwd_learn_cache lc = { 0 };
	struct fwd_decision d;
	uint8_t f[64];
	uint32_t len;

	setup_flat();
	len = mkframe(f, BCAST, MAC_A, UNTAGGED);
	fwd_decide(&cfg, tbl, 0, f, len, ALL4, now, &lc, &d);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), 0);
	/* Same source again in the burst: not learned again, so a flush
	 * made meanwhile is not undone until the next burst. */
	l2_table_flush(tbl, DPS_L2_NO_PORT);
	fwd_decide(&cfg, tbl, 0, f, len, ALL4, now, &lc, &d);
	CHECK_EQ(d.verdict, FWD_FLOOD);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), DPS_L2_NO_PORT);
	/* Another source is learned, and so is A once the cache moved on. */
	len = mkframe(f, BCAST, MAC_B, UNTAGGED);
	fwd_decide(&cfg, tbl, 0, f, len, ALL4, now, &lc, &d);
	CHECK_EQ(l2_table_lookup(tbl, MAC_B, 1, now), 0);
	len = mkframe(f, BCAST, MAC_A, UNTAGGED);
	fwd_decide(&cfg, tbl, 0, f, len, ALL4, now, &lc, &d);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), 0);
	/* A fresh cache (next burst) learns again. */
	l2_table_flush(tbl, DPS_L2_NO_PORT);
	memset(&lc, 0, sizeof(lc));
	fwd_decide(&cfg, tbl, 0, f, len, ALL4, now, &lc, &d);
	CHECK_EQ(l2_table_lookup(tbl, MAC_A, 1, now), 0);
}

int
main(void)
{
	tbl = l2_table_create(1024, 300);
	if (tbl == NULL) {
		fprintf(stderr, "l2_table_create failed\n");
		return 1;
	}
	test_config_init();
	test_flood_and_unicast();
	test_nic_horizon();
	test_link_down();
	test_runts();
	test_vlans();
	test_vlan_hop();
	test_port_security();
	test_group_source();
	test_xconnect();
	test_vid_list();
	test_learn_cache();
	l2_table_free(tbl);
	return test_report();
}
