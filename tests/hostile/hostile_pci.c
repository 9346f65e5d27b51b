/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile --pci BDF: the tool inside a QEMU guest, attached to its
 * port through the guest's ivshmem-doorbell device as a driver would be:
 * BAR2 (the region) and BAR0 (the doorbell register) mapped through sysfs
 * (the device bound to uio_pci_generic, or just enabled), its queue pair
 * from IVPosition, the start acknowledged through the control word. No
 * interrupts: it polls where a host peer would sleep on a doorbell.
 */
#include <errno.h>
#include <sys/mman.h>

#include "common/dps_pci_sysfs.h"
#include "dpsr/dpsr_ivshmem_guest.h"
#include "hostile.h"

#define HOSTILE_CTL_TIMEOUT_MS 10000

static void
ring_vector(struct hostile *h, uint32_t v)
{
	__atomic_store_n(&h->regs[DPSR_IVSHMEM_REG_DOORBELL / 4], dpsr_ivshmem_doorbell(v),
			 __ATOMIC_RELEASE);
}

static void
ring_ctl(void *arg)
{
	ring_vector(arg, DPSR_IVSHMEM_VEC_CTL);
}

int
hostile_attach_pci(struct hostile *h, struct dps_err *err)
{
	struct dpsr_ivshmem_guest g;
	const char *why = NULL;
	void *regs = NULL;
	int rc;

	memset(&h->c, 0, sizeof(h->c));
	h->c.sock = h->c.region_fd = -1;
	dps_pci_enable(h->o->pci);
	rc = dps_pci_map_bar(h->o->pci, DPSR_IVSHMEM_BAR_REGS, &regs, &h->regs_size, err);
	if (rc != 0)
		return rc;
	h->regs = regs;
	rc = dps_pci_map_bar(h->o->pci, DPSR_IVSHMEM_BAR_REGION, &h->c.base, &h->c.size, err);
	if (rc != 0)
		return rc;
	rc = dpsr_view_init(&h->c.view, h->c.base, h->c.size, &why);
	if (rc != 0)
		return dps_err_set(err, rc, "BAR2 is not a valid region: %s", why);
	rc = dpsr_ivshmem_guest_init(&g, &h->c.view,
				     h->regs[DPSR_IVSHMEM_REG_IV_POSITION / 4], 1, err);
	if (rc != 0)
		return rc;
	h->guest_id = (uint16_t)g.id;
	h->port_qpairs = g.port_qpairs;
	h->c.qpair_base = g.qpair_base;
	h->c.nb_qpairs = 1;
	rc = dpsr_ivshmem_guest_start(dpsr_guest_ctl_ring(&h->c.view, g.qpair_base), false,
				      HOSTILE_CTL_TIMEOUT_MS, ring_ctl, h, NULL, NULL);
	if (rc != 0)
		return dps_err_set(err, rc, "the switch did not acknowledge the start");
	return 0;
}

void
hostile_release_pci(struct hostile *h)
{
	if (h->c.base != NULL)
		munmap(h->c.base, h->c.size);
	h->c.base = NULL;
	if (h->regs != NULL)
		munmap((void *)(uintptr_t)h->regs, h->regs_size);
	h->regs = NULL;
}

int
hostile_pci_ring(struct hostile *h, unsigned int which)
{
	switch (which) {
	case DPSR_DB_SWITCH_RX:
		ring_vector(h, dpsr_ivshmem_vec_data(0));
		return 0;
	case DPSR_DB_SWITCH_ROOM:
		ring_vector(h, dpsr_ivshmem_vec_room(h->port_qpairs, 0));
		return 0;
	default:
		return -EINVAL;		/* the switch's own vectors: a guest cannot ring them */
	}
}
