/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A PCI device's BAR through sysfs (`/sys/bus/pci/devices/BDF/resourceN`),
 * for tools that reach a device without a driver's help: the guest-side
 * attack tool (tests/hostile) and the ivshmem probe (tools/ivshmem-probe).
 */
#ifndef DPS_PCI_SYSFS_H
#define DPS_PCI_SYSFS_H

#include <stdint.h>

#include "dps_err.h"

/**
 * Map BAR @p bar of device @p bdf (e.g. "0000:00:04.0") read-write,
 * shared, whole (sysfs sizes a resource file as its BAR): the mapping in
 * *@p out, its size in *@p size. 0, or -errno with one line in @p err.
 */
int dps_pci_map_bar(const char *bdf, int bar, void **out, uint64_t *size, struct dps_err *err);

/** Turn memory decoding on (sysfs `enable`), as binding a driver would. Best effort. */
void dps_pci_enable(const char *bdf);

#endif /* DPS_PCI_SYSFS_H */
