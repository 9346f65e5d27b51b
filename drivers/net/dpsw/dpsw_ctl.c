/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw's control side, the unix-socket transport: attaching to the
 * switch over the port's unix socket (docs/shm-protocol.md, "Attaching"),
 * and the link, which follows the switch: the switch says nothing after
 * the welcome, so the socket turning readable means it has gone. Then the
 * device tries to attach again every reconnect-ms (an EAL alarm), and
 * moves its queues onto the new region and doorbells once no burst is
 * running (dpsw.h, dpsw_q_enter).
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

/* ---- the switch's hang-up, and attaching again ---- */

int
dpsw_queues_bind(struct dpsw_dev *p)
{
	p->view = p->sock.c.view;
	p->max_frame = RTE_MIN(p->view.lim.buf_size, (uint32_t)DPSR_FRAME_MAX);
	for (uint32_t q = 0; q < p->nb_qpairs; q++) {
		const int *db = &p->sock.c.db[DPSR_DB_PER_QPAIR * q];
		int rc;

		dpsw_qpair_bind(p, q, &p->view, p->sock.c.qpair_base + q,
				dpsw_bell_pipe(db[DPSR_DB_SWITCH_RX]),
				dpsw_bell_pipe(db[DPSR_DB_SWITCH_ROOM]));
		rc = dpsr_waiter_attach(&p->rxq[q].waiter, db[DPSR_DB_PEER_RX]);
		if (rc != 0)
			return rc;
	}
	return dpsw_zc_bind(p, p->sock.args.name, p->sock.c.features & DPSR_F_PEER_BUFS,
			    &p->sock.c.base, p->sock.c.size);
}

static void dpsw_sock_event(void *arg);

static void
dpsw_sock_ih_free(struct dpsw_dev *p)
{
	rte_intr_instance_free(p->sock.ih);
	p->sock.ih = NULL;
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

	if (__atomic_load_n(&p->sock.closing, __ATOMIC_ACQUIRE))
		return;
	rc = dpsw_client_attach(&p->sock.args, p->nb_qpairs, &c, &err);
	if (rc != 0) {
		if (p->sock.tries++ == 0)
			DPSW_LOG(NOTICE, "%s: cannot attach again yet (%s); trying every %u ms",
				 dev->data->name, err.msg, p->sock.args.reconnect_ms);
		rte_eal_alarm_set(p->sock.args.reconnect_ms * 1000ull, dpsw_reattach, dev);
		return;
	}
	dpsw_quiesce(p);		/* attached has been 0 since the hang-up */
	dpsw_zc_retire(p);		/* frames held in place keep the old mapping */
	dpsr_client_detach(&p->sock.c);	/* nobody uses it: unmap, close its fds */
	dpsw_sock_ih_free(p);		/* its callback was unregistered at the hang-up */
	p->sock.c = c;
	rc = dpsw_queues_bind(p);
	if (rc == 0)
		rc = dpsw_sock_watch(dev);
	if (rc != 0) {
		DPSW_LOG(ERR, "%s: attached again to '%s' but cannot use it: %s; trying "
			 "again", dev->data->name, p->sock.args.path, strerror(-rc));
		for (uint32_t q = 0; q < p->nb_qpairs; q++)
			dpsr_waiter_detach(&p->rxq[q].waiter);
		dpsw_sock_ih_free(p);
		shutdown(p->sock.c.sock, SHUT_RDWR);	/* the switch frees the port */
		rte_eal_alarm_set(p->sock.args.reconnect_ms * 1000ull, dpsw_reattach, dev);
		return;
	}
	p->sock.reattaches++;
	DPSW_LOG(NOTICE, "%s: attached again to '%s' after %" PRIu64 " failed tries: link up",
		 dev->data->name, p->sock.args.path, p->sock.tries);
	p->sock.tries = 0;
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
	bool again = p->sock.args.reconnect_ms != 0 &&
		     !__atomic_load_n(&p->sock.closing, __ATOMIC_ACQUIRE);
	char c;
	ssize_t n = recv(p->sock.c.sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	/* From here on no burst starts on this attach (dpsw_q_enter). */
	__atomic_store_n(&p->attached, 0, __ATOMIC_SEQ_CST);
	/* Level-triggered: stop watching, or this would fire for ever. */
	rte_intr_callback_unregister_pending(p->sock.ih, dpsw_sock_event, arg, NULL);
	/* Tell the switch too, in case it only sent something; the fd stays until replaced. */
	shutdown(p->sock.c.sock, SHUT_RDWR);
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
		 p->sock.args.path, again ? "attaching again when it is back" :
		 "reconnect-ms=0: no automatic reconnect: close and probe again");
	dpsw_link_set(dev, false);
	if (again)
		rte_eal_alarm_set(p->sock.args.reconnect_ms * 1000ull, dpsw_reattach, dev);
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

int
dpsw_sock_watch(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	int rc;

	p->sock.ih = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (p->sock.ih == NULL)
		return -ENOMEM;
	if (rte_intr_fd_set(p->sock.ih, p->sock.c.sock) != 0 ||
	    rte_intr_type_set(p->sock.ih, RTE_INTR_HANDLE_EXT) != 0) {
		rc = -rte_errno;
		goto fail;
	}
	rc = rte_intr_callback_register(p->sock.ih, dpsw_sock_event, dev);
	if (rc == 0)
		return 0;
fail:
	rte_intr_instance_free(p->sock.ih);
	p->sock.ih = NULL;
	return rc;
}

void
dpsw_ctl_stop(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	int rc;

	__atomic_store_n(&p->sock.closing, 1, __ATOMIC_SEQ_CST);
	/* Waits for an alarm under way, which then sets no new one nor a new watch. */
	rte_eal_alarm_cancel(dpsw_reattach, dev);
	if (p->sock.ih != NULL) {
		rc = rte_intr_callback_unregister(p->sock.ih, dpsw_sock_event, dev);
		if (rc == -EAGAIN && rte_thread_is_intr()) {
			/*
			 * Closed from an LSC callback, i.e. from within
			 * dpsw_sock_event(), which has already marked itself for
			 * removal: waiting for it to return would never end.
			 */
			rte_intr_callback_unregister_pending(p->sock.ih, dpsw_sock_event, dev,
							     NULL);
		} else {
			while (rc == -EAGAIN) {		/* the callback runs right now */
				rte_pause();
				rc = rte_intr_callback_unregister(p->sock.ih, dpsw_sock_event,
								  dev);
			}
		}
		dpsw_sock_ih_free(p);
	}
	/* The hang-up may have set an alarm meanwhile: it sees closing and stops. */
	rte_eal_alarm_cancel(dpsw_reattach, dev);
}
