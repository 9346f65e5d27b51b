/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw's control side: attaching to the switch over the port's unix
 * socket (docs/shm-protocol.md, "Attaching"), and the link, which follows
 * the switch: the switch says nothing after the welcome, so the socket
 * turning readable means it has gone. Then the device tries to attach
 * again every reconnect-ms (an EAL alarm), and moves its queues onto the
 * new region and doorbells once no burst is running (dpsw.h, dpsw_q_enter).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include <ethdev_driver.h>
#include <rte_alarm.h>
#include <rte_interrupts.h>
#include <rte_pause.h>

#include "dpsw.h"

/* Attach for @p qpairs queue pairs; 0 or -errno with the reason in @p err. */
static int
dpsw_client_attach(const struct dpsw_args *a, uint32_t qpairs, struct dpsr_client *c,
		   struct dps_err *err)
{
	int rc = dpsr_client_attach_features(c, a->path, a->secret, qpairs,
					     a->zero_copy ? DPSR_F_PEER_BUFS : 0, err);

	if (rc != 0)
		return rc;
	/* The protocol grants what was asked or refuses; anything else is a broken switch. */
	if (c->nb_qpairs != qpairs) {
		rc = dps_err_set(err, -EPROTO, "'%s' granted %u queue pairs, %u were asked for",
				 a->path, c->nb_qpairs, qpairs);
		dpsr_client_detach(c);
		return rc;
	}
	/* A ring after the switch died must not raise SIGPIPE in our application. */
	rc = dpsr_client_hold_readers(c);
	if (rc != 0) {
		dps_err_set(err, rc, "cannot hold its doorbells open: %s", strerror(-rc));
		dpsr_client_detach(c);
	}
	return rc;
}

int
dpsw_attach(const struct dpsw_args *a, struct dpsr_client *c)
{
	struct dps_err err = { "" };
	int rc = dpsw_client_attach(a, a->qpairs, c, &err);

	if (rc != 0)
		DPSW_LOG(ERR, "%s: %s", a->name, err.msg);
	return rc;
}

/* ---- link state and the switch's hang-up ---- */

void
dpsw_link_set(struct rte_eth_dev *dev, bool up)
{
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_UNKNOWN,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	rte_eth_linkstatus_set(dev, &link);
}

/* Wait until no queue is inside a burst: the attach can change under none. */
static void
dpsw_quiesce(struct dpsw_dev *p)
{
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		while (__atomic_load_n(&p->rxq[q].busy, __ATOMIC_ACQUIRE) != 0)
			rte_pause();
		while (__atomic_load_n(&p->txq[q].busy, __ATOMIC_ACQUIRE) != 0)
			rte_pause();
	}
}

int
dpsw_queues_bind(struct dpsw_dev *p)
{
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		const int *db = &p->c.db[DPSR_DB_PER_QPAIR * q];
		uint32_t ring = 2 * (p->c.qpair_base + q);
		int rc;

		dpsw_txq_init(&p->txq[q], &p->c.view, ring, db[DPSR_DB_SWITCH_RX],
			      &p->attached);
		dpsw_rxq_init(&p->rxq[q], &p->c.view, ring + 1, db[DPSR_DB_SWITCH_ROOM],
			      &p->attached);
		rc = dpsr_waiter_attach(&p->rxq[q].waiter, db[DPSR_DB_PEER_RX]);
		if (rc != 0)
			return rc;
	}
	return dpsw_zc_bind(p);
}

static void dpsw_sock_event(void *arg);

static void
dpsw_sock_ih_free(struct dpsw_dev *p)
{
	rte_intr_instance_free(p->sock_ih);
	p->sock_ih = NULL;
}

/*
 * An EAL alarm, on the interrupt thread: attach again. The new attach is
 * made aside; only when it is complete are the queues quiesced and moved
 * onto it, and the old one closed. A failure tries again later; the first
 * one of an outage is logged, not every one.
 */
static void
dpsw_reattach(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct dpsw_dev *p = dev->data->dev_private;
	struct dps_err err = { "" };
	struct dpsr_client c;
	int rc;

	if (__atomic_load_n(&p->closing, __ATOMIC_ACQUIRE))
		return;
	rc = dpsw_client_attach(&p->args, p->nb_qpairs, &c, &err);
	if (rc != 0) {
		if (p->tries++ == 0)
			DPSW_LOG(NOTICE, "%s: cannot attach again yet (%s); trying every %u ms",
				 dev->data->name, err.msg, p->args.reconnect_ms);
		rte_eal_alarm_set(p->args.reconnect_ms * 1000ull, dpsw_reattach, dev);
		return;
	}
	dpsw_quiesce(p);		/* attached has been 0 since the hang-up */
	dpsw_zc_retire(p);		/* frames held in place keep the old mapping */
	dpsr_client_detach(&p->c);	/* nobody uses it: unmap, close its fds */
	dpsw_sock_ih_free(p);		/* its callback was unregistered at the hang-up */
	p->c = c;
	p->max_frame = RTE_MIN(c.view.lim.buf_size, (uint32_t)DPSR_FRAME_MAX);
	rc = dpsw_queues_bind(p);
	if (rc == 0)
		rc = dpsw_sock_watch(dev);
	if (rc != 0) {
		DPSW_LOG(ERR, "%s: attached again to '%s' but cannot use it: %s; trying "
			 "again", dev->data->name, p->args.path, strerror(-rc));
		for (uint32_t q = 0; q < p->nb_qpairs; q++)
			dpsr_waiter_detach(&p->rxq[q].waiter);
		dpsw_sock_ih_free(p);
		shutdown(p->c.sock, SHUT_RDWR);	/* the switch frees the port */
		rte_eal_alarm_set(p->args.reconnect_ms * 1000ull, dpsw_reattach, dev);
		return;
	}
	p->reattaches++;
	DPSW_LOG(NOTICE, "%s: attached again to '%s' after %" PRIu64 " failed tries: link up",
		 dev->data->name, p->args.path, p->tries);
	p->tries = 0;
	__atomic_store_n(&p->attached, 1, __ATOMIC_SEQ_CST);
	/* A queue asleep armed the old region's flag: wake it to poll and arm anew. */
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		dpsr_waiter_ring_self(&p->rxq[q].waiter);
	dpsw_link_set(dev, dev->data->dev_started);
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

/*
 * On the interrupt thread: the control socket hung up or carried data.
 * Either way the switch is done with us (it sends nothing after the
 * welcome): detached, link down, and tries to attach again begin. The
 * application may close the port from its LSC callback, so the device is
 * not touched after that callback.
 */
static void
dpsw_sock_event(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct dpsw_dev *p = dev->data->dev_private;
	bool again = p->args.reconnect_ms != 0 && !__atomic_load_n(&p->closing, __ATOMIC_ACQUIRE);
	char c;
	ssize_t n = recv(p->c.sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	/* From here on no burst starts on this attach (dpsw_q_enter). */
	__atomic_store_n(&p->attached, 0, __ATOMIC_SEQ_CST);
	/* Level-triggered: stop watching, or this would fire for ever. */
	rte_intr_callback_unregister_pending(p->sock_ih, dpsw_sock_event, arg, NULL);
	/* Tell the switch too, in case it only sent something; the fd stays until replaced. */
	shutdown(p->c.sock, SHUT_RDWR);
	/*
	 * The switch's ends of the doorbells are closed: ours read EOF, which
	 * is readable for ever. Nobody will ring; sleepers keep their
	 * self-rings only. (The fds stay open until a new attach or close,
	 * once no queue uses them.)
	 */
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		dpsr_waiter_detach(&p->rxq[q].waiter);
	DPSW_LOG(ERR, "%s: %s '%s': link down (%s)", dev->data->name,
		 n > 0 ? "unexpected message from the switch on" : "the switch closed",
		 p->args.path, again ? "attaching again when it is back" :
		 "reconnect-ms=0: no automatic reconnect: close and probe again");
	dpsw_link_set(dev, false);
	if (again)
		rte_eal_alarm_set(p->args.reconnect_ms * 1000ull, dpsw_reattach, dev);
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

int
dpsw_sock_watch(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	int rc;

	p->sock_ih = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (p->sock_ih == NULL)
		return -ENOMEM;
	if (rte_intr_fd_set(p->sock_ih, p->c.sock) != 0 ||
	    rte_intr_type_set(p->sock_ih, RTE_INTR_HANDLE_EXT) != 0) {
		rc = -rte_errno;
		goto fail;
	}
	rc = rte_intr_callback_register(p->sock_ih, dpsw_sock_event, dev);
	if (rc == 0)
		return 0;
fail:
	rte_intr_instance_free(p->sock_ih);
	p->sock_ih = NULL;
	return rc;
}

void
dpsw_ctl_stop(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	int rc;

	__atomic_store_n(&p->closing, 1, __ATOMIC_SEQ_CST);
	/* Waits for an alarm under way, which then sets no new one nor a new watch. */
	rte_eal_alarm_cancel(dpsw_reattach, dev);
	if (p->sock_ih != NULL) {
		rc = rte_intr_callback_unregister(p->sock_ih, dpsw_sock_event, dev);
		if (rc == -EAGAIN && rte_thread_is_intr()) {
			/*
			 * Closed from an LSC callback, i.e. from within
			 * dpsw_sock_event(), which has already marked itself for
			 * removal: waiting for it to return would never end.
			 */
			rte_intr_callback_unregister_pending(p->sock_ih, dpsw_sock_event, dev,
							     NULL);
		} else {
			while (rc == -EAGAIN) {		/* the callback runs right now */
				rte_pause();
				rc = rte_intr_callback_unregister(p->sock_ih, dpsw_sock_event,
								  dev);
			}
		}
		dpsw_sock_ih_free(p);
	}
	/* The hang-up may have set an alarm meanwhile: it sees closing and stops. */
	rte_eal_alarm_cancel(dpsw_reattach, dev);
}
