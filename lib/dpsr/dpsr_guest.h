/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsr: a guest's end of the ivshmem transport (docs/shm-protocol.md,
 * "Guests: QEMU's ivshmem transport"), as QEMU and a guest's driver do it
 * together, for host tools and tests that stand in for a guest: read
 * QEMU's greeting, map the region as BAR2 would be, find the guest's
 * queue pairs from its ID, and start or stop the driver with the control
 * word. The guest PMD does the same over its BARs.
 */
#ifndef DPSR_GUEST_H
#define DPSR_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/dps_err.h"
#include "dpsr_attach.h"
#include "dpsr_ivshmem.h"
#include "dpsr_ivshmem_guest.h"

/* ---- a host stand-in for a guest ---- */

/**
 * Connect to an ivshmem port's socket as QEMU does, read the greeting, map
 * the region and check it, and fill @p c as dpsr_client_attach() would:
 * its queue pairs (all the port's), its doorbells in DPSR_DB_* order, and
 * @p ctl (the write end of vector 0 toward the switch) and @p ack (the read
 * end of vector 0 toward the guest). The driver is not started
 * (dpsr_guest_start()). 0 or -errno with a one-line reason in @p err.
 */
int dpsr_guest_attach(struct dpsr_client *c, const char *path, int *ctl, int *ack,
		      uint16_t *id, struct dps_err *err);

/**
 * Start (or stop) the guest's driver: request (asking for DPSR_F_PEER_BUFS
 * if @p peer_bufs), ring vector 0 through @p ctl, and wait up to
 * @p timeout_ms for the ack; c->features then says what was granted.
 * 0, -ETIMEDOUT.
 */
int dpsr_guest_ctl(struct dpsr_client *c, int ctl, bool start, bool peer_bufs, int timeout_ms);

#endif /* DPSR_GUEST_H */
