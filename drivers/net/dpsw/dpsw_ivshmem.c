/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_dpsw_pci's control side, the ivshmem transport (docs/shm-protocol.md,
 * "Guests: QEMU's ivshmem transport"): the bells of BAR0's doorbell
 * register, one per vector, and starting and stopping the port with the
 * control word (lib/dpsr/dpsr_ivshmem_guest.h). It makes no PCI bus call
 * but through a bell: it works on the device's private view of the region
 * and on the registers dpsw_pci.c found, so the tests run it on a region
 * in ordinary memory.
 */
#include "dpsw.h"

/* Vector @p vector of the switch, rung through BAR0's doorbell register. */
static struct dpsw_bell
dpsw_ivshmem_bell(struct dpsw_dev *p, uint32_t vector)
{
	struct dpsw_bell b = { .val = dpsr_ivshmem_doorbell(vector), .fd = -1 };

	if (p->ivs.regs != NULL)
		b.reg = (volatile uint32_t *)(p->ivs.regs + DPSR_IVSHMEM_REG_DOORBELL);
	else
		b.io = &p->ivs.io;
	return b;
}

void
dpsw_ivshmem_bells_init(struct dpsw_dev *p)
{
	p->ivs.ctl = dpsw_ivshmem_bell(p, DPSR_IVSHMEM_VEC_CTL);
}

static void
dpsw_ivshmem_ring_ctl(void *bell)
{
	dpsw_bell_ring(bell);
}

/* The control word lives in ring 2 x base: our first queue pair's tx ring. */
static struct dpsr_ring *
dpsw_ivshmem_ctl_ring(const struct dpsw_dev *p)
{
	struct dpsr_qring r;

	dpsr_qring_init(&r, &p->view, 2 * p->ivs.g.qpair_base);
	return r.shared;
}

int
dpsw_ivshmem_attach(struct dpsw_dev *p, const char *name)
{
	struct dpsw_ivshmem *iv = &p->ivs;
	bool granted = false;
	int rc;

	if (dpsw_attached(p))
		return 0;
	rc = dpsr_ivshmem_guest_start(dpsw_ivshmem_ctl_ring(p), p->zc_want, iv->ctl_timeout_ms,
				      dpsw_ivshmem_ring_ctl, &iv->ctl, &iv->ctl_value, &granted);
	if (rc != 0) {
		DPSW_LOG(ERR, "%s: the switch did not answer in %u ms: is the port added with "
			 "transport=ivshmem?", name, iv->ctl_timeout_ms);
		return rc;
	}
	/* The switch has reset the port's rings: both our indices start at 0. */
	for (uint32_t q = 0; q < p->nb_qpairs; q++)
		dpsw_qpair_bind(p, q, &p->view, iv->g.qpair_base + q,
				dpsw_ivshmem_bell(p, dpsr_ivshmem_vec_data(q)),
				dpsw_ivshmem_bell(p, dpsr_ivshmem_vec_room(iv->g.port_qpairs, q)));
	/* BAR2 is the bus's to unmap: the generation keeps no mapping. */
	dpsw_zc_bind(p, name, granted, NULL, 0);
	if (p->zc_want && !granted)
		DPSW_LOG(NOTICE, "%s: zero-copy=1, but the switch did not grant it (an isolated "
			 "port): copying frames both ways", name);
	__atomic_store_n(&p->attached, 1, __ATOMIC_SEQ_CST);
	DPSW_LOG(INFO, "%s: the switch acknowledged start %u%s: link up", name,
		 iv->ctl_value & DPSR_GUEST_CTL_NONCE,
		 p->zc != NULL ? " with zero copy" : "");
	return 0;
}

void
dpsw_ivshmem_detach(struct dpsw_dev *p)
{
	if (!dpsw_attached(p))
		return;
	/* No burst touches the rings from here on: the switch resets them. */
	__atomic_store_n(&p->attached, 0, __ATOMIC_SEQ_CST);
	dpsw_quiesce(p);
	dpsw_zc_retire(p);		/* frames held in place go back to the old bags */
	dpsr_ivshmem_guest_stop(dpsw_ivshmem_ctl_ring(p), dpsw_ivshmem_ring_ctl, &p->ivs.ctl);
}
