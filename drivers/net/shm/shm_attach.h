/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control side of a net_shm port (private): its region, its socket and
 * the peer's attach state, changed on the control thread (shm_ctl.h) while
 * workers run the burst functions.
 *
 * Every change of attach state closes the queues' gates first and waits
 * for bursts in flight, then resets the rings from the switch's private
 * record of which buffer each slot owns, and reopens the gates only for a
 * started port with a peer. A link change event then wakes parked
 * workers, which re-arm their doorbells.
 */
#ifndef SHM_ATTACH_H
#define SHM_ATTACH_H

#include "common/dps_err.h"
#include "shm_dev.h"

/**
 * Join the port's region, create its queues and doorbells, and listen on
 * its socket. On failure the caller calls shm_attach_close().
 * @return 0 or -errno with @p err set
 */
int shm_attach_open(struct shm_dev *sd, int numa_node, struct dps_err *err);

/** Stop listening, drop any peer, leave the region, free the queues. */
void shm_attach_close(struct shm_dev *sd);

/** The port starts or stops: open or close the queues a peer uses. */
void shm_attach_start(struct shm_dev *sd);
void shm_attach_stop(struct shm_dev *sd);

/** Up when the port runs and a peer is attached. */
bool shm_attach_link_up(const struct shm_dev *sd);

#endif /* SHM_ATTACH_H */
