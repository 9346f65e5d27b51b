/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What this project's PMDs (net_shm, net_dpsw, net_dpsw_pci's vdev twin,
 * net_vtap) do alike with ethdev's rx interrupts and queue states. Header
 * only: each driver is its own library (the net_dpsw plugin links nothing
 * of the switch's).
 *
 * Rx interrupts as DPDK's vhost PMD sets them up: one vector per rx queue,
 * queue q's efd a file descriptor that is readable when q has work (a
 * waiter's epoll set, a tap); nothing for EAL to read (counter size 0):
 * the queue drains its own fd when it is armed again.
 */
#ifndef DPS_PMD_INTR_H
#define DPS_PMD_INTR_H

#include <errno.h>

#include <ethdev_driver.h>
#include <rte_interrupts.h>

static inline void
pmd_rx_intr_uninstall(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *h = dev->intr_handle;

	if (h == NULL)
		return;
	/* The fds out of any epoll set the application left them in. */
	rte_intr_free_epoll_fd(h);
	rte_intr_vec_list_free(h);
	rte_intr_instance_free(h);
	dev->intr_handle = NULL;
}

/* Rx queue q (of @p nb) signals on fds[q]; 0 or -ENOMEM. */
static inline int
pmd_rx_intr_install(struct rte_eth_dev *dev, const int *fds, uint16_t nb)
{
	struct rte_intr_handle *h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);

	if (h == NULL)
		return -ENOMEM;
	dev->intr_handle = h;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
	    rte_intr_efd_counter_size_set(h, 0) != 0 ||
	    rte_intr_vec_list_alloc(h, NULL, nb) != 0)
		goto fail;
	for (uint16_t q = 0; q < nb; q++)
		if (rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0 ||
		    rte_intr_efds_index_set(h, q, fds[q]) != 0)
			goto fail;
	if (rte_intr_nb_efd_set(h, nb) != 0 || rte_intr_max_intr_set(h, nb + 1) != 0)
		goto fail;
	return 0;
fail:
	pmd_rx_intr_uninstall(dev);
	return -ENOMEM;
}

/* Every rx and tx queue of @p dev in @p state (RTE_ETH_QUEUE_STATE_*). */
static inline void
pmd_queues_state(struct rte_eth_dev *dev, uint8_t state)
{
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = state;
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = state;
}

#endif /* DPS_PMD_INTR_H */
