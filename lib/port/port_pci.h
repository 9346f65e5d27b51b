/* SPDX-License-Identifier: BSD-3-Clause */
/* pci ports: checks of a PCI function before and after probing (port_pci.c). */
#ifndef DPS_PORT_PCI_H
#define DPS_PORT_PCI_H

#include <stddef.h>
#include <stdint.h>

#include "common/dps_err.h"

struct port_want;

/**
 * "ADDR[,queues=N][,rx-intr=on|off][,driver devargs]" of port @p port:
 * the address must name a present function bound to vfio-pci (in an IOMMU
 * group) or uio. The string to probe (without the switch's keys) into
 * @p dev, the device's name into @p devname, the rx queues asked for (1
 * without queues=) and whether to try rx interrupts (on without rx-intr=)
 * into @p want. 0 or -errno with one line in @p err.
 */
int port_pci_devargs(const char *port, const char *args, char *dev, size_t devlen,
		     char *devname, size_t namelen, struct port_want *want,
		     struct dps_err *err);

/**
 * rte_dev_probe() of @p devname failed: when the kernel says why better
 * than EAL's log (the IOMMU group open in another process, a VF token
 * missing), one line in @p err and -errno; else 0, @p err untouched.
 */
int port_pci_probe_failed(const char *port, const char *devname, struct dps_err *err);

/**
 * The physical NIC PCI function @p devname belongs to, for the bridge's
 * split horizon (struct fwd_port_cfg's nic): its PF's address (a VF's
 * physfn, or itself), packed, + 1; 0 if it cannot be told.
 */
uint64_t port_pci_nic(const char *devname);

#endif /* DPS_PORT_PCI_H */
