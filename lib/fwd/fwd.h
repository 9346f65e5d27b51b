/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Forwarding decisions of the L2 bridge and the cross-connect.
 *
 * This layer sees a frame's bytes and the forwarding configuration and says
 * where the frame goes; it never touches an mbuf or an ethdev, so every
 * decision (VLAN admission, learning, flood set, hairpin) is unit-tested
 * without EAL. The worker applies the decision to the mbuf.
 */
#ifndef DPS_FWD_H
#define DPS_FWD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_config.h>

#include "l2/l2_table.h"

#define DPS_MAX_PORTS RTE_MAX_ETHPORTS
#define DPS_PORT_NONE UINT16_MAX
#define DPS_VLAN_COUNT 4096
#define DPS_VID_DEFAULT 1
#define DPS_VID_MAX 4094

/** How a port takes part in forwarding. */
enum fwd_port_role {
	FWD_ROLE_NONE = 0,	/**< not in use, or not started */
	FWD_ROLE_BRIDGE,	/**< member of the MAC-learning bridge */
	FWD_ROLE_XCONNECT,	/**< everything goes to xc_peer, no lookup */
};

/** What storm control counts: the three kinds of flooded frames. */
enum fwd_storm_kind {
	FWD_STORM_BROADCAST,
	FWD_STORM_MULTICAST,
	FWD_STORM_UNKNOWN_UNICAST,
	FWD_STORM_KINDS
};

/*
 * The highest storm-control rate: 100 Gbit/s of 64-byte frames is 149 Mpps,
 * and the worker's token bucket multiplies the rate by up to a second of
 * TSC cycles in 64 bits (safe up to ~18 GHz at this rate).
 */
#define FWD_STORM_PPS_MAX 1000000000u

/** VLAN mode of a bridge port. */
enum fwd_vlan_mode {
	FWD_VLAN_ACCESS = 0,	/**< untagged, in access_vid; tagged is dropped */
	FWD_VLAN_TRUNK,		/**< tagged in allowed VIDs, untagged in native_vid */
};

struct fwd_port_cfg {
	uint8_t role;			/**< enum fwd_port_role */
	uint8_t vlan_mode;		/**< enum fwd_vlan_mode */
	/**
	 * 0: frames received on the port are in the switch's own memory.
	 * Else they may lie in memory that other ports of the same domain
	 * (a shared-ring trust group) still write: a frame leaves the domain
	 * through the bridge only as a private copy of what was decided.
	 */
	uint16_t domain;
	/**
	 * 0, or the physical NIC the port is a function of (its PF's PCI
	 * address, + 1): the NIC's embedded switch (VEB) already forwards
	 * between its PF and VFs, so the bridge never forwards a frame from
	 * one of them to another (split horizon) - else a broadcast would loop
	 * between the NIC and the switch forever.
	 */
	uint64_t nic;
	/** Ports a frame received here never goes to: itself, and its NIC's other functions. Derived. */
	uint64_t horizon;
	/** Storm control: at most this many flooded frames a second of each kind, 0 = no limit. */
	uint32_t storm_pps[FWD_STORM_KINDS];
	uint16_t access_vid;		/**< access: the port's VLAN */
	uint16_t native_vid;		/**< trunk: VLAN of untagged frames, 0 = drop them */
	uint16_t xc_peer;		/**< xconnect: destination port */
	uint64_t trunk_vids[DPS_VLAN_COUNT / 64]; /**< trunk: allowed VIDs */
};

/** What the workers forward by; rebuilt and republished on every change. */
struct fwd_config {
	struct fwd_port_cfg port[DPS_MAX_PORTS];
	/** Bridge ports in each VLAN, bit = port id; derived by fwd_config_finish(). */
	uint64_t vlan_members[DPS_VLAN_COUNT];
};

enum fwd_verdict {
	FWD_UNICAST,		/**< to out_port */
	FWD_FLOOD,		/**< to every port in flood_mask (may be empty) */
	FWD_DROP_INVALID,	/**< runt or not an Ethernet frame */
	FWD_DROP_FILTERED,	/**< VLAN not admitted, or destination is the ingress port */
	FWD_DROP_VLAN_HOP,	/**< a tag behind the one that put it in an untagged VLAN */
	FWD_DROP_MAC_LIMIT,	/**< a new source beyond the port's MAC limit */
	FWD_DROP_MAC_MOVE,	/**< a source active on another port (the move hold) */
	FWD_DROP_NO_ROUTE,	/**< no usable egress (xconnect peer down, port left VLAN) */
};

struct fwd_decision {
	uint8_t verdict;		/**< enum fwd_verdict */
	bool tagged;			/**< the frame carries an 802.1Q tag now */
	uint16_t vid;			/**< VLAN the frame is switched in */
	uint16_t out_port;		/**< FWD_UNICAST */
	uint64_t flood_mask;		/**< FWD_FLOOD */
};

/**
 * The last source learned in a burst: frames of one sender to many
 * destinations learn their source once per burst, not once per frame.
 * Zero it at the start of every burst.
 */
struct fwd_learn_cache {
	uint64_t key;		/**< MAC | VID << 48 (VIDs are >= 1); 0 = empty */
};

/** Is @p vid a VLAN a port can be in (1..4094)? */
static inline bool
fwd_vid_valid(unsigned int vid)
{
	return vid >= 1 && vid <= DPS_VID_MAX;
}

/** Bytes of an Ethernet header: a shorter frame is invalid on every path. */
#define FWD_ETH_HDR_LEN 14

/**
 * fwd_decide() reads no byte of a frame past this many: deciding on a
 * private copy of them is deciding on the frame, whatever happens to the
 * frame's own memory meanwhile (a trusted peer may still write it).
 */
#define FWD_DECIDE_BYTES 24

/** Is a frame of @p len bytes too short to be an Ethernet frame? */
static inline bool
fwd_frame_runt(uint32_t len)
{
	return len < FWD_ETH_HDR_LEN;
}

/**
 * The cross-connect rule: where frames received on cross-connected port
 * @p in go. The peer must be a port still in use (not leaving the switch)
 * whose link is up; otherwise DPS_PORT_NONE, and the frames have no route.
 * Runts (fwd_frame_runt()) are invalid before anything else. fwd_decide()
 * and the worker's burst path both apply exactly this.
 */
static inline uint16_t
fwd_xconnect_out(const struct fwd_config *cfg, uint16_t in, uint64_t link_up)
{
	uint16_t out = cfg->port[in].xc_peer;

	if (out >= DPS_MAX_PORTS || !((link_up >> out) & 1) ||
	    cfg->port[out].role == FWD_ROLE_NONE)
		return DPS_PORT_NONE;
	return out;
}

/** Reset @p cfg: no ports in use. */
void fwd_config_init(struct fwd_config *cfg);

/**
 * Make @p port a bridge port, access mode in the default VLAN; what the
 * port is (its domain) and its storm control stay.
 */
void fwd_port_bridge_default(struct fwd_port_cfg *pc);

/** Recompute derived fields (VLAN membership) after editing ports. */
void fwd_config_finish(struct fwd_config *cfg);

static inline bool
fwd_vid_test(const uint64_t *set, uint16_t vid)
{
	return (set[vid >> 6] >> (vid & 63)) & 1;
}

static inline void
fwd_vid_set(uint64_t *set, uint16_t vid, bool on)
{
	if (on)
		set[vid >> 6] |= UINT64_C(1) << (vid & 63);
	else
		set[vid >> 6] &= ~(UINT64_C(1) << (vid & 63));
}

/** The kind of flood a frame to @p dst is (a FWD_FLOOD verdict's frame). */
static inline enum fwd_storm_kind
fwd_storm_kind_of(const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (!(dst[0] & 1))
		return FWD_STORM_UNKNOWN_UNICAST;
	return memcmp(dst, bcast, 6) == 0 ? FWD_STORM_BROADCAST : FWD_STORM_MULTICAST;
}

/** Name of a storm kind ("broadcast", "multicast", "unknown-unicast"). */
const char *fwd_storm_kind_name(enum fwd_storm_kind k);
/** Parse one; -EINVAL for anything else. */
int fwd_storm_kind_parse(const char *s, enum fwd_storm_kind *k);

/** Does a frame in @p vid leave @p port tagged? */
static inline bool
fwd_egress_tagged(const struct fwd_config *cfg, uint16_t port, uint16_t vid)
{
	const struct fwd_port_cfg *pc = &cfg->port[port];

	return pc->vlan_mode == FWD_VLAN_TRUNK && vid != pc->native_vid;
}

/**
 * Decide where a frame received on @p in_port goes, learning its source.
 * Reads at most FWD_DECIDE_BYTES of @p frame (@p len is the frame's
 * length): the caller may pass a private copy of them.
 * With a learn cache @p lc (zeroed at the start of each burst), a source
 * the burst has just learned is not learned again; @p lc may be NULL.
 *
 * @param link_up  ports whose link is up (bit = port id); down ports are
 *                 left out of floods and are no route for unicast
 * @param now_s    the caller's clock, seconds
 */
void fwd_decide(const struct fwd_config *cfg, struct l2_table *tbl,
		uint16_t in_port, const uint8_t *frame, uint32_t len,
		uint64_t link_up, uint32_t now_s, struct fwd_learn_cache *lc,
		struct fwd_decision *d);

/**
 * Parse a VLAN list such as "10,20,100-200" or "all" into @p set.
 * @return 0, or -EINVAL (VIDs must be 1..4094)
 */
int fwd_vid_list_parse(const char *s, uint64_t set[DPS_VLAN_COUNT / 64]);

/** Format a VLAN set as a compact list ("1-4094", "10,20"). */
void fwd_vid_list_format(const uint64_t set[DPS_VLAN_COUNT / 64], char *buf,
			 unsigned int size);

#endif /* DPS_FWD_H */
