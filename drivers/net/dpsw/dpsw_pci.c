/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw_pci: a DPDK application inside a QEMU guest on a dpswitch shm
 * port served with transport=ivshmem, through the guest's ivshmem-doorbell
 * device (PCI 1af4:1110; docs/shm-protocol.md, "Guests: QEMU's ivshmem
 * transport"; drivers/net/dpsw/README.md). This file is the PCI transport
 * (struct dpsw_transport): probe (the BARs, the region's checks, the
 * guest's ID and queue pairs, the MSI-X vectors), the rx interrupts (the
 * eventfds vfio signals for the MSI-X vectors), start, stop, close and
 * the PCI registration. The ethdev ops are dpsw_ethdev.c's, the control
 * word dpsw_ivshmem.c's, the datapath dpsw_rxtx.c's, as for net_dpsw.
 *
 * Bound to vfio-pci the device has MSI-X: rx queue q's interrupt is vector
 * 1 + q. Bound to uio_pci_generic (or igb_uio) it has none that DPDK can
 * use: the port polls, and says so once.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include <bus_pci_driver.h>
#include <ethdev_driver.h>
#include <ethdev_pci.h>
#include <rte_devargs.h>

#include "dpsw.h"

/* Capabilities to walk at most: a list that loops is a broken device. */
#define DPSW_PCI_CAPS_MAX 48

static const char *
dpsw_pci_kdrv_name(enum rte_pci_kernel_driver k)
{
	switch (k) {
	case RTE_PCI_KDRV_VFIO:
		return "vfio-pci";
	case RTE_PCI_KDRV_UIO_GENERIC:
		return "uio_pci_generic";
	case RTE_PCI_KDRV_IGB_UIO:
		return "igb_uio";
	default:
		return "its kernel driver";
	}
}

/* ---- probe-time checks ---- */

/*
 * The MSI-X table size from the capability list in config space (DPDK
 * 22.11 has no capability lookup of its own); 0 without MSI-X.
 */
static uint32_t
dpsw_pci_msix_vectors(const struct rte_pci_device *pci)
{
	uint16_t status, ctrl;
	uint8_t pos, cap[2];

	if (rte_pci_read_config(pci, &status, sizeof(status), PCI_STATUS) != sizeof(status) ||
	    !(status & PCI_STATUS_CAP_LIST) ||
	    rte_pci_read_config(pci, &pos, sizeof(pos), PCI_CAPABILITY_LIST) != sizeof(pos))
		return 0;
	for (int n = 0; n < DPSW_PCI_CAPS_MAX && pos >= PCI_STD_HEADER_SIZEOF; n++) {
		pos &= ~3;
		if (rte_pci_read_config(pci, cap, sizeof(cap), pos) != sizeof(cap))
			return 0;
		if (cap[PCI_CAP_LIST_ID] == PCI_CAP_ID_MSIX)
			return rte_pci_read_config(pci, &ctrl, sizeof(ctrl), pos + PCI_MSIX_FLAGS) ==
			       sizeof(ctrl) ? (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1u : 0;
		pos = cap[PCI_CAP_LIST_NEXT];
	}
	return 0;
}

/*
 * BAR0, the registers: mapped, or (vfio, which maps a BAR smaller than a
 * page only when it starts on one) reached through vfio's port I/O.
 */
static int
dpsw_pci_regs_find(struct rte_pci_device *pci, struct dpsw_ivshmem *iv, const char *name)
{
	const struct rte_mem_resource *bar = &pci->mem_resource[DPSR_IVSHMEM_BAR_REGS];

	if (bar->len < DPSR_IVSHMEM_REGS_SIZE) {
		DPSW_LOG(ERR, "%s: no BAR0 of registers (%" PRIu64 " bytes): not an ivshmem "
			 "device", name, bar->len);
		return -ENODEV;
	}
	if (bar->addr != NULL && pci->kdrv != RTE_PCI_KDRV_VFIO &&
	    (bar->phys_addr & ((uint64_t)sysconf(_SC_PAGESIZE) - 1)) != 0) {
		/* A uio mapping of it starts at its page, not at the registers. */
		DPSW_LOG(ERR, "%s: BAR0 (0x%" PRIx64 ") does not start on a page boundary, "
			 "so %s cannot map it: bind vfio-pci, or page-align the guest's BARs "
			 "(kernel command line pci=resource_alignment=pci:1af4:1110)", name,
			 bar->phys_addr, dpsw_pci_kdrv_name(pci->kdrv));
		return -ENODEV;
	}
	if (bar->addr != NULL) {
		iv->regs = bar->addr;
		return 0;
	}
	if (pci->kdrv == RTE_PCI_KDRV_VFIO && rte_pci_ioport_map(pci, DPSR_IVSHMEM_BAR_REGS,
								 &iv->io) == 0) {
		DPSW_LOG(NOTICE, "%s: BAR0 could not be mapped (smaller than a page, not on a "
			 "page boundary): each doorbell is a write through vfio, a system call",
			 name);
		return 0;
	}
	DPSW_LOG(ERR, "%s: BAR0 (the registers) is not mapped", name);
	return -ENODEV;
}

static uint32_t
dpsw_pci_reg_read(struct dpsw_ivshmem *iv, uint32_t off)
{
	uint32_t v = 0;

	if (iv->regs != NULL)
		return rte_read32(iv->regs + off);
	rte_pci_ioport_read(&iv->io, &v, sizeof(v), off);
	return v;
}

/*
 * BAR2, the region: checked once into @p view, which is all the driver
 * ever reads of its header. Then the guest's share of it (its ID) and the
 * vectors that share needs.
 */
static int
dpsw_pci_region_check(struct rte_pci_device *pci, const struct dpsw_args *a,
		      struct dpsw_ivshmem *iv, struct dpsr_view *view)
{
	const struct rte_mem_resource *bar = &pci->mem_resource[DPSR_IVSHMEM_BAR_REGION];
	struct dps_err err = { "" };
	const char *why = NULL;

	if (bar->addr == NULL || bar->len == 0) {
		DPSW_LOG(ERR, "%s: no BAR2 (the shared memory) mapped: is the device an "
			 "ivshmem-doorbell connected to the port's socket (chardev)?", a->name);
		return -ENODEV;
	}
	if (dpsr_view_init(view, bar->addr, bar->len, &why) != 0) {
		DPSW_LOG(ERR, "%s: BAR2 (%" PRIu64 " bytes) is not a dpsr region: %s", a->name,
			 bar->len, why);
		return -EINVAL;
	}
	if (dpsr_ivshmem_guest_init(&iv->g, view, dpsw_pci_reg_read(iv,
				    DPSR_IVSHMEM_REG_IV_POSITION), a->qpairs, &err) != 0 ||
	    dpsr_ivshmem_guest_vectors_check(&iv->g, iv->msix_vectors, &err) != 0) {
		DPSW_LOG(ERR, "%s: %s", a->name, err.msg);
		return -EINVAL;
	}
	return 0;
}

/* ---- rx interrupts: MSI-X vector 1 + q, through vfio's eventfds ---- */

static void
dpsw_pci_intr_uninstall(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	struct rte_intr_handle *h = p->ivs.pci->intr_handle;

	if (!p->ivs.intr_on)
		return;
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		p->rxq[q].waiter = DPSW_WAITER_NONE;
	rte_intr_disable(h);
	/* Out of any epoll set the application left them in, then closed. */
	rte_intr_efd_disable(h);
	rte_intr_vec_list_free(h);
	p->ivs.intr_on = false;
}

/*
 * As DPDK's PCI PMDs: an eventfd per rx queue (rte_intr_efd_enable()),
 * queue q on vector q + RTE_INTR_VEC_RXTX_OFFSET, which is MSI-X 1 + q,
 * the switch's DPSR_DB_PEER_RX of queue pair q; vector 0 (the control
 * word's ack) keeps the device's own fd, which nothing waits on.
 */
static int
dpsw_pci_intr_install(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	struct rte_intr_handle *h = p->ivs.pci->intr_handle;
	uint16_t nb = dev->data->nb_rx_queues;
	int rc = rte_intr_efd_enable(h, nb);

	if (rc == 0)
		rc = rte_intr_vec_list_alloc(h, "intr_vec", nb);
	for (uint16_t q = 0; q < nb && rc == 0; q++)
		rc = rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q);
	if (rc == 0)
		rc = rte_intr_enable(h);
	p->ivs.intr_on = true;
	if (rc != 0) {
		dpsw_pci_intr_uninstall(dev);
		DPSW_LOG(ERR, "%s: cannot set up rx interrupts (MSI-X vectors 1..%u through "
			 "vfio)", dev->data->name, nb);
		return -EIO;
	}
	for (uint16_t q = 0; q < nb; q++)
		p->rxq[q].waiter = dpsw_waiter_of_eventfd(rte_intr_efds_index_get(h, q));
	return 0;
}

/* ---- the transport ---- */

/* The control word's start, with the rx interrupts the application asked for. */
static int
dpsw_pci_start(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;
	int rc;

	if (dev->data->dev_conf.intr_conf.rxq && p->ivs.msix) {
		rc = dpsw_pci_intr_install(dev);
		if (rc != 0)
			return rc;
	}
	rc = dpsw_ivshmem_attach(p, dev->data->name);
	if (rc != 0)
		dpsw_pci_intr_uninstall(dev);
	return rc;
}

static void
dpsw_pci_stop(struct rte_eth_dev *dev)
{
	struct dpsw_dev *p = dev->data->dev_private;

	dpsw_ivshmem_detach(p);		/* peer_ctl 0: the switch takes the link down */
	dpsw_pci_intr_uninstall(dev);
}

/* BAR0 and BAR2 stay mapped until the bus removes the device (they are EAL's). */
static void
dpsw_pci_close(struct rte_eth_dev *dev)
{
	dpsw_pci_stop(dev);
	DPSW_LOG(INFO, "%s: closed", dev->data->name);
}

static const struct dpsw_transport dpsw_pci_transport = {
	.start = dpsw_pci_start,
	.stop = dpsw_pci_stop,
	.close = dpsw_pci_close,
};

/* ---- probe and remove ---- */

static int
dpsw_pci_probe(struct rte_pci_driver *drv __rte_unused, struct rte_pci_device *pci)
{
	struct dpsw_args a = { .name = pci->device.name, .qpairs = 0,
			       .copy_break = DPSW_COPY_BREAK_DEFAULT };
	struct dpsw_ivshmem iv = { .pci = pci, .ctl_timeout_ms = DPSR_IVSHMEM_CTL_TIMEOUT_MS };
	struct rte_eth_dev *dev;
	struct dpsr_view view;
	struct dpsw_dev *p;
	int rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		DPSW_LOG(ERR, "%s: secondary processes are not supported: the port's control "
			 "word belongs to one process", a.name);
		return -ENOTSUP;
	}
	rc = dpsw_args_parse(pci->device.devargs != NULL ? pci->device.devargs->args : NULL,
			     DPSW_KIND_PCI, &a);
	if (rc != 0)
		return rc;
	iv.msix_vectors = dpsw_pci_msix_vectors(pci);
	rc = dpsw_pci_regs_find(pci, &iv, a.name);
	if (rc == 0)
		rc = dpsw_pci_region_check(pci, &a, &iv, &view);
	if (rc != 0)
		return rc;
	iv.msix = pci->kdrv == RTE_PCI_KDRV_VFIO && rte_intr_cap_multiple(pci->intr_handle);
	if (!iv.msix)
		DPSW_LOG(NOTICE, "%s: bound to %s, which gives DPDK no MSI-X: no rx interrupts, "
			 "the port polls (bind vfio-pci for them)", a.name,
			 dpsw_pci_kdrv_name(pci->kdrv));

	dev = rte_eth_dev_pci_allocate(pci, sizeof(*p));
	if (dev == NULL) {
		DPSW_LOG(ERR, "%s: cannot allocate the ethdev", a.name);
		return -ENOMEM;
	}
	p = dev->data->dev_private;
	p->ivs = iv;
	p->view = view;
	p->nb_qpairs = iv.g.nb_qpairs;
	p->rx_intr = iv.msix;
	p->zc_want = a.zero_copy;
	p->copy_break = a.copy_break;
	if (a.has_mac)
		p->mac = a.mac;
	else
		rte_eth_random_addr(p->mac.addr_bytes);
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		p->rxq[q].waiter = DPSW_WAITER_NONE;
	dpsw_ivshmem_bells_init(p);
	dpsw_ethdev_init(dev, &dpsw_pci_transport);
	rte_eth_dev_probing_finish(dev);
	DPSW_LOG(INFO, "%s: ivshmem guest %u of a region of %u queue pair(s): queue pairs "
		 "%u..%u, %u slots per ring, %u buffers of %u bytes, %u MSI-X vectors, MAC "
		 RTE_ETHER_ADDR_PRT_FMT, a.name, iv.g.id, view.nb_qpairs, iv.g.qpair_base,
		 iv.g.qpair_base + p->nb_qpairs - 1, view.ring_size, view.lim.nb_bufs,
		 view.lim.buf_size, iv.msix_vectors, RTE_ETHER_ADDR_BYTES(&p->mac));
	return 0;
}

static int
dpsw_pci_remove(struct rte_pci_device *pci)
{
	return dpsw_ethdev_remove(pci->device.name);
}

static const struct rte_pci_id dpsw_pci_ids[] = {
	{ RTE_PCI_DEVICE(DPSR_IVSHMEM_VENDOR, DPSR_IVSHMEM_DEVICE) },
	{ .vendor_id = 0 },
};

static struct rte_pci_driver dpsw_pci_drv = {
	.id_table = dpsw_pci_ids,
	.drv_flags = RTE_PCI_DRV_NEED_MAPPING,
	.probe = dpsw_pci_probe,
	.remove = dpsw_pci_remove,
};

RTE_PMD_REGISTER_PCI(net_dpsw_pci, dpsw_pci_drv);
RTE_PMD_REGISTER_PCI_TABLE(net_dpsw_pci, dpsw_pci_ids);
RTE_PMD_REGISTER_KMOD_DEP(net_dpsw_pci, "* igb_uio | uio_pci_generic | vfio-pci");
RTE_PMD_REGISTER_PARAM_STRING(net_dpsw_pci,
	DPSW_ARG_QPAIRS "=<1-64> "
	DPSW_ARG_MAC "=<unicast MAC> "
	DPSW_ARG_ZERO_COPY "=<0|1> "
	DPSW_ARG_COPY_BREAK "=<0-" RTE_STR(DPSR_FRAME_MAX) ">");
