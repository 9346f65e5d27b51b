/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control side of a net_shm port (see shm_attach.h): the listening
 * socket, connections waiting for their hello, the attached peer's
 * connection, all watched on the shm control thread (shm_ctl.c: a
 * callback on the listening socket, one on each connection until its
 * hello, then one on the attached peer's connection).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dpsr/dpsr_guest.h"
#include "shm_attach.h"
#include "shm_ctl.h"
#include "shm_guard.h"
#include "shm_log.h"

/* Every open port, for what concerns them all (a damaged region). */
static struct shm_dev *devs[RTE_MAX_ETHPORTS];
static unsigned int nb_devs;

/* ---- queues and attach state ---- */

static void
shm_wire_queues(struct shm_dev *sd)
{
	for (uint32_t q = 0; q < sd->args.qpairs; q++) {
		uint32_t qp = sd->srv.qpair_base + q;

		shm_qring_init(&sd->rxq[q].q, sd->region, 2 * qp);
		sd->rxq[q].spares = sd->region->spares;
		sd->rxq[q].port_id = sd->port_id;
		shm_qring_init(&sd->txq[q].q, sd->region, 2 * qp + 1);
		sd->txq[q].spares = sd->region->spares;
	}
}

/* A peer's doorbells, new with it: the queues ring and sleep on them. Gates closed. */
static int
shm_bells_wire(struct shm_dev *sd)
{
	for (uint32_t q = 0; q < sd->srv.granted; q++) {
		const int *db = &sd->srv.db[q * DPSR_DB_PER_QPAIR];
		int rc = dpsr_waiter_attach(&sd->rxq[q].waiter, db[DPSR_DB_SWITCH_RX]);

		if (rc != 0)
			return rc;
		sd->rxq[q].q.kick_fd = db[DPSR_DB_PEER_ROOM];
		sd->txq[q].q.kick_fd = db[DPSR_DB_PEER_RX];
	}
	return 0;
}

/* Before the doorbells close: nothing may ring or sleep on them. Quiesced. */
static void
shm_bells_unwire(struct shm_dev *sd)
{
	for (uint32_t q = 0; q < sd->args.qpairs; q++) {
		dpsr_waiter_detach(&sd->rxq[q].waiter);
		sd->rxq[q].q.kick_fd = -1;
		sd->txq[q].q.kick_fd = -1;
	}
}

static void
shm_quiesce(struct shm_dev *sd)
{
	for (uint32_t q = 0; q < sd->args.qpairs; q++) {
		shm_qring_quiesce(&sd->rxq[q].q);
		shm_qring_quiesce(&sd->txq[q].q);
	}
}

/*
 * Fresh rings, from the shadows: what a peer left behind is gone. A bag
 * holder's bags go back into its rx rings' slots first, exactly a ring's
 * worth each (anything else is a bug, logged). Quiesced.
 */
static void
shm_reset(struct shm_dev *sd)
{
	for (uint32_t q = 0; q < sd->args.qpairs; q++) {
		bool had_bag = sd->rxq[q].q.owner != NULL;
		uint32_t n = shm_bag_return(&sd->rxq[q].q);

		if (had_bag && n != sd->args.ring_size)
			SHM_LOG(ERR, "port %s: queue pair %u's bag held %u buffers, not %u: "
				"a bug; the group's region has lost track of %d buffer(s)",
				sd->name, q, n, sd->args.ring_size,
				(int)sd->args.ring_size - (int)n);
		shm_qring_reset(&sd->rxq[q].q);
		shm_qring_reset(&sd->txq[q].q);
	}
}

/*
 * The peer was granted DPSR_F_PEER_BUFS: each of its queue pairs' bag is
 * its rx ring's slots' buffers. Before the queues open (gates closed).
 */
static void
shm_bags_form(struct shm_dev *sd)
{
	for (uint32_t q = 0; q < sd->srv.granted && q < sd->args.qpairs; q++)
		shm_bag_form(&sd->rxq[q], &sd->txq[q], sd->region->owner,
			     shm_bag_of(sd->srv.qpair_base + q));
}

/* A peer that uses the rings: attached, and for a guest, its driver started. */
static bool
shm_peer_ready(const struct shm_dev *sd)
{
	return __atomic_load_n(&sd->attached, __ATOMIC_RELAXED) &&
	       (!sd->args.guest || __atomic_load_n(&sd->guest_ctl, __ATOMIC_RELAXED) != 0);
}

/* Open the queues the peer uses, if there is one and the port runs. */
static void
shm_open_if_ready(struct shm_dev *sd)
{
	if (!sd->started || !shm_peer_ready(sd))
		return;
	for (uint32_t q = 0; q < sd->srv.granted && q < sd->args.qpairs; q++) {
		shm_qring_open(&sd->txq[q].q);
		shm_rxq_open(&sd->rxq[q]);
	}
}

bool
shm_attach_link_up(const struct shm_dev *sd)
{
	return __atomic_load_n(&sd->started, __ATOMIC_RELAXED) && shm_peer_ready(sd);
}

static void
shm_link_changed(struct shm_dev *sd)
{
	struct rte_eth_dev *dev = &rte_eth_devices[sd->port_id];

	dev->data->dev_link.link_status = shm_attach_link_up(sd) ?
		RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

/*
 * An isolated port whose peer left needs a fresh region before the next
 * peer: never the old one, which the departed peer may still map. 0 once
 * it has one (rings wired and reset), -errno while it cannot be made.
 */
static int
shm_region_freshen(struct shm_dev *sd, struct dps_err *err)
{
	int rc;

	if (!sd->region_stale)
		return 0;
	rc = shm_region_renew(sd->region, sd->name, err);
	if (rc != 0)
		return rc;
	sd->srv.region_fd = sd->region->mem.fd;
	sd->srv.region_size = sd->region->mem.size;
	shm_wire_queues(sd);
	shm_reset(sd);
	sd->region_stale = false;
	return 0;
}

/*
 * A connection is about to be served: an isolated port whose peer left
 * needs its fresh region first. Without one the connection is refused
 * (closed, counted) and false returned.
 */
static bool
shm_fresh_or_refuse(struct shm_dev *sd, int fd)
{
	struct dps_err err = { "" };
	char why[DPSR_REASON_MAX];

	if (shm_region_freshen(sd, &err) == 0)
		return true;
	snprintf(why, sizeof(why), "no fresh region for this port: %.90s", err.msg);
	sd->refused_no_region++;
	dpsr_server_refuse(&sd->srv, fd, -ENOMEM, why, &err);
	SHM_LOG(NOTICE, "port %s: %s", sd->name, err.msg);
	return false;
}

/* The peer's connection is readable or hung up: it is gone. */
static void
shm_detach(struct shm_dev *sd)
{
	struct dps_err err = { "" };

	/* No burst in flight rings a doorbell that is about to close. */
	shm_quiesce(sd);
	shm_bells_unwire(sd);
	if (sd->srv.ctl_rd >= 0)
		shm_ctl_unwatch(sd->srv.ctl_rd);
	dpsr_server_detach(&sd->srv);
	sd->attached = false;
	sd->guest_ctl = sd->guest_req = 0;
	sd->detaches++;
	/* An isolated port's next peer gets memory no earlier peer can still map. */
	if (!sd->region->trusted) {
		sd->region_stale = true;
		if (shm_region_freshen(sd, &err) != 0)
			SHM_LOG(WARNING, "%s; no peer is welcomed on it until one can be made",
				err.msg);
	}
	shm_reset(sd);
	SHM_LOG(INFO, "port %s: peer detached", sd->name);
}

/* A peer says nothing after its hello: readable means it is gone. */
static void
shm_on_peer(void *arg)
{
	struct shm_dev *sd = arg;

	if (!sd->attached)
		return;
	shm_ctl_unwatch(sd->srv.peer_fd);
	shm_detach(sd);
	shm_link_changed(sd);
}

/* A greeted peer: open its queues, watch its connection for its going. */
static void
shm_attached(struct shm_dev *sd)
{
	/*
	 * No reset here: the peer may already be using the rings it was
	 * welcomed to. They were handed over empty (reset at creation and
	 * whenever a peer left) and the gates stayed closed since.
	 */
	sd->attached = true;
	if (shm_bells_wire(sd) != 0 || shm_ctl_watch(sd->srv.peer_fd, shm_on_peer, sd) != 0) {
		SHM_LOG(ERR, "port %s: cannot watch the peer's connection or doorbells; "
			"detaching it", sd->name);
		shm_detach(sd);
		return;
	}
	if (sd->srv.features & DPSR_F_PEER_BUFS)
		shm_bags_form(sd);
	shm_open_if_ready(sd);
	SHM_LOG(INFO, "port %s: peer attached (%u queue pair%s%s)", sd->name, sd->srv.granted,
		sd->srv.granted == 1 ? "" : "s",
		sd->srv.features & DPSR_F_PEER_BUFS ? ", holding buffers" : "");
	shm_link_changed(sd);
}

/* ---- connections waiting for their hello ---- */

static void
shm_pending_free(struct shm_pending *p)
{
	shm_ctl_unwatch(p->fd);
	p->fd = -1;
}

/* Close every connection still waiting for its hello (port teardown). */
static void
shm_pending_close_all(struct shm_dev *sd)
{
	for (unsigned int i = 0; i < SHM_PENDING_MAX; i++) {
		struct shm_pending *p = &sd->pending[i];

		if (p->fd >= 0) {
			int fd = p->fd;

			shm_pending_free(p);
			close(fd);
		}
	}
}

/* A waiting connection is readable: its hello, garbage, or its end. */
static void
shm_on_hello(void *arg)
{
	struct shm_pending *p = arg;
	struct shm_dev *sd = p->sd;
	struct dps_err err = { "" };
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	int fd = p->fd, rc;

	/*
	 * Nothing to read yet (called straight from accept): wait for the
	 * watch. A refusal must follow the hello, not race it: a peer whose
	 * hello meets a closed socket sees EPIPE, not the switch's reason.
	 */
	if (poll(&pfd, 1, 0) == 0)
		return;
	/* Unwatched before the greeting may close it (and free its number). */
	shm_pending_free(p);
	if (!shm_fresh_or_refuse(sd, fd))
		return;
	rc = dpsr_server_greet(&sd->srv, fd, 0, &err);
	if (rc == -EAGAIN) {
		p->fd = fd;
		if (shm_ctl_watch(fd, shm_on_hello, p) == 0)
			return;
		p->fd = -1;
		dpsr_server_drop(&sd->srv, fd, "the switch cannot watch more connections", &err);
	}
	if (rc == 1)
		shm_attached(sd);
	else
		SHM_LOG(NOTICE, "port %s: %s", sd->name, err.msg);
}

/* A free slot for a new connection; the oldest one's, dropped, if none. */
static struct shm_pending *
shm_pending_slot(struct shm_dev *sd)
{
	struct shm_pending *oldest = &sd->pending[0];
	struct dps_err err = { "" };
	int fd;

	for (unsigned int i = 0; i < SHM_PENDING_MAX; i++) {
		if (sd->pending[i].fd < 0)
			return &sd->pending[i];
		if (sd->pending[i].seq < oldest->seq)
			oldest = &sd->pending[i];
	}
	fd = oldest->fd;
	shm_pending_free(oldest);
	dpsr_server_drop(&sd->srv, fd, "no hello before newer connections came", &err);
	SHM_LOG(NOTICE, "port %s: %s", sd->name, err.msg);
	return oldest;
}

/* ---- guests: QEMU's ivshmem device (docs/shm-protocol.md) ---- */

/* Where a guest's control word and its ack live: ring 2 x base, the first rx ring. */
static struct dpsr_ring *
shm_guest_ctl_ring(const struct shm_dev *sd)
{
	return sd->rxq[0].q.ring;
}

/*
 * Whether one more change of the guest's control word may be acted on in
 * this second: a driver starts and stops a few times in its life, a
 * guest that asks more often is flooding, and each change costs the
 * control thread (shared by every port) a quiesce and a reset.
 */
static bool
shm_guest_ctl_budget(struct shm_dev *sd)
{
	uint64_t now = rte_get_tsc_cycles();

	if (now - sd->ctl_window >= rte_get_tsc_hz()) {
		sd->ctl_window = now;
		sd->ctl_acted = 0;
	}
	if (sd->ctl_acted >= SHM_GUEST_CTL_BUDGET) {
		sd->guest_ctl_throttled++;
		return false;
	}
	sd->ctl_acted++;
	return true;
}

/*
 * The guest rang vector 0: its driver starts (a new peer_ctl with a
 * nonzero nonce, bit 31 asking for DPSR_F_PEER_BUFS) or stops. Either way
 * the port's rings start over from the shadows (a bag goes back into its
 * slots); then the bags if granted (a trusted port), the ack (bit 31 kept
 * only if granted), the queues open, and the guest is rung.
 */
static void
shm_on_guest_ctl(void *arg)
{
	struct shm_dev *sd = arg;
	struct dpsr_ring *r;
	uint32_t want, ack;
	bool grant;

	if (!sd->attached)
		return;
	dpsr_bell_drain(sd->srv.ctl_rd);
	r = shm_guest_ctl_ring(sd);
	/* Read once: a guest rewriting it meanwhile gets what was read. */
	want = __atomic_load_n(&r->peer_ctl, __ATOMIC_ACQUIRE);
	if (want == sd->guest_req)
		return;		/* a ring for nothing (a flood costs a read each) */
	if (!shm_guest_ctl_budget(sd))
		return;		/* served when the guest rings in a later second */
	shm_quiesce(sd);
	shm_reset(sd);
	grant = (want & DPSR_GUEST_CTL_PEER_BUFS) && sd->region->trusted;
	ack = dpsr_guest_ctl_ack(want, grant);
	sd->guest_req = want;
	sd->srv.features = ack != 0 && grant ? DPSR_F_PEER_BUFS : 0;
	if (sd->srv.features & DPSR_F_PEER_BUFS)
		shm_bags_form(sd);
	__atomic_store_n(&sd->guest_ctl, ack, __ATOMIC_RELAXED);
	if (ack != 0)
		sd->guest_starts++;
	else
		sd->guest_stops++;
	/* Release: the reset rings are visible before the ack. */
	__atomic_store_n(&r->ctl_ack, ack, __ATOMIC_RELEASE);
	shm_open_if_ready(sd);
	dpsr_bell_ring(sd->srv.ctl_wr);
	SHM_LOG(INFO, "port %s: guest driver %s%s", sd->name, ack != 0 ? "started" : "stopped",
		sd->srv.features & DPSR_F_PEER_BUFS ? " (holding buffers)" : "");
	shm_link_changed(sd);
}

/*
 * QEMU connected: greet it. The link stays down until the guest's driver
 * starts (shm_on_guest_ctl()); QEMU's connection closing detaches it.
 */
static void
shm_on_guest_connect(struct shm_dev *sd, int fd)
{
	struct dps_err err = { "" };

	if (!shm_fresh_or_refuse(sd, fd))
		return;
	if (dpsr_server_greet_guest(&sd->srv, fd, &err) != 1) {
		SHM_LOG(NOTICE, "port %s: %s", sd->name, err.msg);
		return;
	}
	sd->attached = true;
	sd->guest_ctl = sd->guest_req = 0;
	/* A trust group's ring may hold an earlier guest's ack. */
	__atomic_store_n(&shm_guest_ctl_ring(sd)->ctl_ack, 0, __ATOMIC_RELEASE);
	if (shm_bells_wire(sd) != 0 || shm_ctl_watch(sd->srv.peer_fd, shm_on_peer, sd) != 0 ||
	    shm_ctl_watch(sd->srv.ctl_rd, shm_on_guest_ctl, sd) != 0) {
		SHM_LOG(ERR, "port %s: cannot watch the guest's connection or doorbells; "
			"detaching it", sd->name);
		shm_ctl_unwatch(sd->srv.peer_fd);
		shm_detach(sd);
		return;
	}
	SHM_LOG(INFO, "port %s: guest attached (ID %u, %u queue pair%s, vectors=%u)",
		sd->name, 1 + sd->srv.qpair_base / sd->srv.nb_qpairs, sd->srv.granted,
		sd->srv.granted == 1 ? "" : "s", 1 + 2 * sd->srv.granted);
}

/* The listening socket is readable: a peer connects; its hello comes later. */
static void
shm_on_listen(void *arg)
{
	struct shm_dev *sd = arg;
	struct dps_err err = { "" };
	struct shm_pending *p;
	int fd = dpsr_server_take(&sd->srv);

	if (fd < 0)
		return;
	/* QEMU says nothing: the greeting goes at once. */
	if (sd->args.guest) {
		shm_on_guest_connect(sd, fd);
		return;
	}
	p = shm_pending_slot(sd);
	*p = (struct shm_pending){ .sd = sd, .fd = fd, .seq = ++sd->pending_seq };
	if (shm_ctl_watch(fd, shm_on_hello, p) != 0) {
		p->fd = -1;
		dpsr_server_drop(&sd->srv, fd, "the switch cannot watch more connections", &err);
		SHM_LOG(NOTICE, "port %s: %s", sd->name, err.msg);
		return;
	}
	/* Most peers say hello at once: it may be there already. */
	shm_on_hello(p);
}

/* ---- regions a peer damaged (shm_guard.h) ---- */

/*
 * The switch touched a page a peer had punched out of its region; the
 * guard put a private zero page in its place. An isolated port's peer is
 * detached (its next one gets a fresh region); a trust group's region
 * stays as it is, damaged for its members: they trusted each other.
 */
static void
shm_on_damage(void *arg __rte_unused)
{
	uint64_t n;

	if (read(shm_guard_event_fd(), &n, sizeof(n)) != sizeof(n))
		return;
	shm_regions_note_damage();
	for (unsigned int i = 0; i < RTE_DIM(devs); i++) {
		struct shm_dev *sd = devs[i];

		if (sd == NULL || sd->region == NULL || !sd->region->damaged)
			continue;
		sd->region->damaged = false;
		if (sd->region->trusted) {
			SHM_LOG(WARNING, "group '%s': a member punched holes in the group's "
				"region (%" PRIu64 " page(s) replaced): the group's frames in them "
				"are lost; remove and add its ports for a fresh region",
				sd->region->group, sd->region->faults);
			continue;
		}
		SHM_LOG(WARNING, "port %s: its peer punched holes in its region (%" PRIu64
			" page(s) replaced so far)%s", sd->name, sd->region->faults,
			sd->attached ? "; detaching it" : "");
		if (sd->attached) {
			shm_ctl_unwatch(sd->srv.peer_fd);
			shm_detach(sd);
			shm_link_changed(sd);
		}
	}
}

static int
shm_devs_add(struct shm_dev *sd)
{
	for (unsigned int i = 0; i < RTE_DIM(devs); i++) {
		if (devs[i] != NULL)
			continue;
		if (nb_devs == 0) {
			int rc = shm_ctl_watch(shm_guard_event_fd(), shm_on_damage, NULL);

			if (rc != 0)
				return rc;
		}
		devs[i] = sd;
		nb_devs++;
		return 0;
	}
	return -ENOSPC;
}

static void
shm_devs_del(struct shm_dev *sd)
{
	for (unsigned int i = 0; i < RTE_DIM(devs); i++) {
		if (devs[i] != sd)
			continue;
		devs[i] = NULL;
		if (--nb_devs == 0)
			shm_ctl_unwatch(shm_guard_event_fd());
		return;
	}
}

/* ---- the port's life ---- */

static int
shm_listen(struct shm_dev *sd, struct dps_err *err)
{
	int rc = shm_ctl_watch(sd->srv.listen_fd, shm_on_listen, sd);

	if (rc != 0)
		return dps_err_set(err, rc, "port %s: cannot watch its socket: %s", sd->name,
				   strerror(-rc));
	sd->listening = true;
	return 0;
}

int
shm_attach_open(struct shm_dev *sd, int numa_node, struct dps_err *err)
{
	struct shm_region_req req;
	int rc;

	/* Nothing to close yet. */
	sd->srv.listen_fd = sd->srv.peer_fd = sd->srv.ctl_rd = sd->srv.ctl_wr = -1;
	for (unsigned int i = 0; i < SHM_PENDING_MAX; i++)
		sd->pending[i].fd = -1;
	for (unsigned int i = 0; i < RTE_DIM(sd->srv.db); i++)
		sd->srv.db[i] = -1;
	shm_ctl_lock_take();
	rc = shm_devs_add(sd);
	shm_ctl_lock_release();
	if (rc != 0)
		return dps_err_set(err, rc, "port %s: cannot watch for damaged regions: %s",
				   sd->name, strerror(-rc));
	shm_args_region_req(&sd->args, &req);
	sd->region = shm_region_join(&req, &sd->slot, sd->name, err);
	if (sd->region == NULL)
		return -EINVAL;
	/* What the devargs left out, a trust group's port has from the group. */
	sd->args.ring_size = sd->region->geo.ring_size;
	sd->args.buf_size = sd->region->geo.buf_size;
	sd->rxq = rte_zmalloc_socket("shm_rxq", sizeof(*sd->rxq) * sd->args.qpairs,
				     RTE_CACHE_LINE_SIZE, numa_node);
	sd->txq = rte_zmalloc_socket("shm_txq", sizeof(*sd->txq) * sd->args.qpairs,
				     RTE_CACHE_LINE_SIZE, numa_node);
	if (sd->rxq == NULL || sd->txq == NULL)
		return dps_err_set(err, -ENOMEM, "port %s: out of memory", sd->name);
	for (uint32_t q = 0; q < sd->args.qpairs; q++)
		sd->rxq[q].waiter = (struct dpsr_waiter){ .ep = -1, .self = -1, .bell = -1 };
	for (uint32_t q = 0; q < sd->args.qpairs; q++) {
		rc = dpsr_waiter_open(&sd->rxq[q].waiter);
		if (rc != 0)
			return dps_err_set(err, rc, "port %s: cannot make its rx interrupts: %s",
					   sd->name, strerror(-rc));
	}
	if (sd->args.guest)
		rc = dpsr_server_open_guest(&sd->srv, sd->args.path, sd->region->mem.fd,
					    sd->region->mem.size, sd->slot * sd->args.qpairs,
					    sd->args.qpairs, err);
	else
		rc = dpsr_server_open(&sd->srv, sd->args.path, sd->args.secret,
				      sd->region->mem.fd, sd->region->mem.size,
				      sd->slot * sd->args.qpairs, sd->args.qpairs, err);
	if (rc != 0)
		return rc;
	/* Only a trust group's peers may hold buffers: an isolated port grants nothing. */
	sd->srv.grantable = sd->region->trusted ? DPSR_F_PEER_BUFS : 0;
	shm_wire_queues(sd);
	sd->wired = true;
	shm_reset(sd);
	return shm_listen(sd, err);
}

void
shm_attach_close(struct shm_dev *sd)
{
	shm_ctl_lock_take();
	shm_devs_del(sd);
	if (sd->listening)
		shm_ctl_unwatch(sd->srv.listen_fd);
	if (sd->attached)
		shm_ctl_unwatch(sd->srv.peer_fd);
	if (sd->srv.ctl_rd >= 0)
		shm_ctl_unwatch(sd->srv.ctl_rd);
	shm_pending_close_all(sd);
	sd->listening = sd->attached = false;
	if (sd->wired) {
		shm_quiesce(sd);
		shm_bells_unwire(sd);
		/* The slot goes back clean for the group's next port. */
		shm_reset(sd);
	}
	dpsr_server_close(&sd->srv);
	for (uint32_t q = 0; sd->rxq != NULL && q < sd->args.qpairs; q++)
		dpsr_waiter_close(&sd->rxq[q].waiter);
	if (sd->region != NULL)
		shm_region_leave(sd->region, sd->slot);
	sd->region = NULL;
	rte_free(sd->rxq);
	rte_free(sd->txq);
	sd->rxq = NULL;
	sd->txq = NULL;
	shm_ctl_lock_release();
	shm_ctl_stop_if_idle();
}

void
shm_attach_start(struct shm_dev *sd)
{
	shm_ctl_lock_take();
	sd->started = true;
	shm_open_if_ready(sd);
	shm_ctl_lock_release();
	shm_link_changed(sd);
}

void
shm_attach_stop(struct shm_dev *sd)
{
	shm_ctl_lock_take();
	sd->started = false;
	shm_quiesce(sd);
	shm_ctl_lock_release();
}
