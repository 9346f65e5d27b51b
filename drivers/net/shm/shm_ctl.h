/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread of net_shm ports (private): one epoll loop that
 * watches every port's listening socket and its peers' connections and
 * calls the port back when one is readable (shm_ctl.c says why not EAL's
 * interrupt thread).
 *
 * Attach state changes on this thread, under a lock that every control
 * operation on a port takes too (recursive).
 */
#ifndef SHM_CTL_H
#define SHM_CTL_H

void shm_ctl_lock_take(void);
void shm_ctl_lock_release(void);

/** Call @p cb(@p arg) on the control thread, under the lock, whenever @p fd is readable. */
int shm_ctl_watch(int fd, void (*cb)(void *arg), void *arg);
/** Stop watching @p fd; afterwards its callback neither runs nor will run. */
void shm_ctl_unwatch(int fd);
/** No watch left: end the thread. Not under the lock. */
void shm_ctl_stop_if_idle(void);

#endif /* SHM_CTL_H */
