/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw's control side: attaching to the switch over the port's unix
 * socket (docs/shm-protocol.md, "Attaching"), and the link, which follows
 * the switch: the switch says nothing after the welcome, so the socket
 * turning readable means it has gone.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <ethdev_driver.h>
#include <rte_interrupts.h>
#include <rte_pause.h>

#include "dpsw.h"

int
dpsw_attach(const struct dpsw_args *a, struct dpsr_client *c)
{
	struct dps_err err = { "" };
	int rc;

	rc = dpsr_client_attach(c, a->path, a->secret, a->qpairs, &err);
	if (rc != 0) {
		DPSW_LOG(ERR, "%s: %s", a->name, err.msg);
		return rc;
	}
	/* The protocol grants what was asked or refuses; anything else is a broken switch. */
	if (c->nb_qpairs != a->qpairs) {
		DPSW_LOG(ERR, "%s: '%s' granted %u queue pairs, %u were asked for",
			 a->name, a->path, c->nb_qpairs, a->qpairs);
		dpsr_client_detach(c);
		return -EPROTO;
	}
	return 0;
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

/*
 * On the interrupt thread: the control socket hung up or carried data.
 * Either way the switch is done with us (it sends nothing after the
 * welcome). The application may close the port from its LSC callback, so
 * the device is not touched after that callback.
 */
static void
dpsw_sock_event(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct dpsw_dev *p = dev->data->dev_private;
	char c;
	ssize_t n = recv(p->c.sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	__atomic_store_n(&p->attached, 0, __ATOMIC_RELEASE);
	/* Level-triggered: stop watching, or this would fire for ever. */
	rte_intr_callback_unregister_pending(p->sock_ih, dpsw_sock_event, arg, NULL);
	/* Tell the switch too, in case it only sent something; the fd stays until close. */
	shutdown(p->c.sock, SHUT_RDWR);
	/*
	 * The switch's ends of the doorbells are closed: ours read EOF, which
	 * is readable for ever. Nobody will ring; sleepers keep their
	 * self-rings only. (The fds stay open until close: a queue emptying
	 * one meanwhile reads EOF, nothing worse.)
	 */
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		dpsr_waiter_detach(&p->rxq[q].waiter);
	if (n > 0)
		DPSW_LOG(ERR, "%s: unexpected message from the switch on '%s': detached, "
			 "link down (no automatic reconnect: close and probe again)",
			 dev->data->name, p->path);
	else
		DPSW_LOG(ERR, "%s: the switch closed '%s': link down (no automatic "
			 "reconnect: close and probe again)", dev->data->name, p->path);
	dpsw_link_set(dev, false);
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
dpsw_sock_unwatch(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	int rc;

	if (p->sock_ih == NULL)
		return;
	rc = rte_intr_callback_unregister(p->sock_ih, dpsw_sock_event, dev);
	if (rc == -EAGAIN && rte_thread_is_intr()) {
		/*
		 * Closed from an LSC callback, i.e. from within dpsw_sock_event(),
		 * which has already marked itself for removal: waiting for it to
		 * return would never end.
		 */
		rte_intr_callback_unregister_pending(p->sock_ih, dpsw_sock_event, dev, NULL);
	} else {
		while (rc == -EAGAIN) {		/* the callback runs right now */
			rte_pause();
			rc = rte_intr_callback_unregister(p->sock_ih, dpsw_sock_event, dev);
		}
	}
	rte_intr_instance_free(p->sock_ih);
	p->sock_ih = NULL;
}
