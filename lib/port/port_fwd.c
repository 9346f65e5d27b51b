/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's place in forwarding: cross-connects, VLAN modes, and which
 * worker polls each rx queue. Each change edits the workers' draft
 * configuration and commits it (worker.h).
 */
#include "port.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_errno.h>

#include "port_priv.h"

static int
port_bridge_member(const char *name, struct dps_err *err)
{
	int id = port_find(name, err);

	if (id >= 0 && dps_dp_draft()->fwd.port[id].role == FWD_ROLE_XCONNECT)
		return dps_err_set(err, -EBUSY,
			"port '%s' is cross-connected; 'xconnect del %s' first",
			name, name);
	return id;
}

int
dps_port_xconnect(const char *a, const char *b, struct dps_err *err)
{
	struct dps_dp_config *dp = dps_dp_draft();
	int ia, ib;

	ia = port_bridge_member(a, err);
	if (ia < 0)
		return ia;
	ib = port_bridge_member(b, err);
	if (ib < 0)
		return ib;
	if (ia == ib)
		return dps_err_set(err, -EINVAL, "cannot cross-connect port '%s' to itself", a);
	dp->fwd.port[ia].role = FWD_ROLE_XCONNECT;
	dp->fwd.port[ia].xc_peer = (uint16_t)ib;
	dp->fwd.port[ib].role = FWD_ROLE_XCONNECT;
	dp->fwd.port[ib].xc_peer = (uint16_t)ia;
	l2_table_flush(port_reg.tbl, (uint16_t)ia);
	l2_table_flush(port_reg.tbl, (uint16_t)ib);
	return dps_dp_commit();
}

int
dps_port_xconnect_del(const char *name, struct dps_err *err)
{
	struct dps_dp_config *dp = dps_dp_draft();
	int id = port_find(name, err);
	uint16_t peer;

	if (id < 0)
		return id;
	if (dp->fwd.port[id].role != FWD_ROLE_XCONNECT)
		return dps_err_set(err, -EINVAL, "port '%s' is not cross-connected", name);
	peer = dp->fwd.port[id].xc_peer;
	fwd_port_bridge_default(&dp->fwd.port[id]);
	if (peer < DPS_MAX_PORTS && dp->fwd.port[peer].role == FWD_ROLE_XCONNECT)
		fwd_port_bridge_default(&dp->fwd.port[peer]);
	return dps_dp_commit();
}

int
dps_port_vlan_access(const char *name, uint16_t vid, struct dps_err *err)
{
	struct fwd_port_cfg *pc;
	int id = port_bridge_member(name, err);

	if (id < 0)
		return id;
	if (!fwd_vid_valid(vid))
		return dps_err_set(err, -EINVAL, "VLAN %u out of range 1..4094", vid);
	pc = &dps_dp_draft()->fwd.port[id];
	pc->vlan_mode = FWD_VLAN_ACCESS;
	pc->access_vid = vid;
	pc->native_vid = 0;
	memset(pc->trunk_vids, 0, sizeof(pc->trunk_vids));
	l2_table_flush(port_reg.tbl, (uint16_t)id);
	return dps_dp_commit();
}

int
dps_port_vlan_trunk(const char *name, const char *vids, uint16_t native,
		    struct dps_err *err)
{
	uint64_t set[DPS_VLAN_COUNT / 64];
	struct fwd_port_cfg *pc;
	int id = port_bridge_member(name, err);

	if (id < 0)
		return id;
	if (fwd_vid_list_parse(vids, set) != 0)
		return dps_err_set(err, -EINVAL,
			"bad VLAN list '%s' (e.g. 10,20,100-200 or all; VIDs 1..4094)",
			vids);
	if (native != 0 && !fwd_vid_valid(native))
		return dps_err_set(err, -EINVAL, "native VLAN %u out of range 1..4094",
				   native);
	pc = &dps_dp_draft()->fwd.port[id];
	pc->vlan_mode = FWD_VLAN_TRUNK;
	pc->access_vid = 0;
	pc->native_vid = native;
	memcpy(pc->trunk_vids, set, sizeof(set));
	l2_table_flush(port_reg.tbl, (uint16_t)id);
	return dps_dp_commit();
}

int
dps_port_rxq_assign(const char *name, uint16_t queue, unsigned int lcore,
		    struct dps_err *err)
{
	struct dps_dp_config *dp = dps_dp_draft();
	int id = port_find(name, err);
	int w = dps_worker_of_lcore(lcore);
	int rc;

	if (id < 0)
		return id;
	if (w < 0)
		return dps_err_set(err, -ENOENT, "lcore %u is not a worker (see 'lcore show')",
				   lcore);
	if (queue >= port_reg.p[id].nb_rxq)
		return dps_err_set(err, -EINVAL, "port '%s' has rx queues 0..%u, not %u",
				   name, port_reg.p[id].nb_rxq - 1, queue);
	if (dp->nb_rxq[w] >= DPS_MAX_RXQ_PER_WORKER)
		return dps_err_set(err, -ENOSPC, "lcore %u polls too many queues", lcore);
	/*
	 * Take the queue from whichever worker polls it now, and commit that
	 * before the new worker gets it: the old worker must let go of the
	 * queue's interrupt before the new one can wait on it.
	 */
	for (unsigned int i = 0; i < dps_worker_count(); i++) {
		uint16_t k = 0;

		for (uint16_t j = 0; j < dp->nb_rxq[i]; j++) {
			const struct dps_rxq_ref *r = &dp->rxq[i][j];

			if (r->port != id || r->queue != queue)
				dp->rxq[i][k++] = *r;
		}
		dp->nb_rxq[i] = k;
	}
	rc = dps_dp_commit();
	if (rc != 0)
		return dps_err_set(err, rc, "cannot move the queue: %s", rte_strerror(-rc));
	dp->rxq[w][dp->nb_rxq[w]++] =
		(struct dps_rxq_ref){ (uint16_t)id, queue, port_reg.p[id].rx_intr };
	return dps_dp_commit();
}

int
dps_port_mac_limit(const char *name, uint32_t limit, struct dps_err *err)
{
	int id = port_find(name, err);

	if (id < 0)
		return id;
	if (l2_table_set_limit(port_reg.tbl, (uint16_t)id, limit) != 0)
		return dps_err_set(err, -EINVAL, "port '%s' (ethdev %d) cannot have a MAC limit",
				   name, id);
	return 0;
}

int
dps_port_storm(const char *name, const char *kind, uint32_t pps, struct dps_err *err)
{
	enum fwd_storm_kind k;
	int id = port_find(name, err);

	if (id < 0)
		return id;
	if (fwd_storm_kind_parse(kind, &k) != 0)
		return dps_err_set(err, -EINVAL, "storm kind '%s' is not broadcast, multicast "
				   "or unknown-unicast", kind);
	if (pps > FWD_STORM_PPS_MAX)
		return dps_err_set(err, -ERANGE, "storm rate %" PRIu32 " is over %u frames a "
				   "second (0 turns storm control off)", pps, FWD_STORM_PPS_MAX);
	dps_dp_draft()->fwd.port[id].storm_pps[k] = pps;
	return dps_dp_commit();
}
