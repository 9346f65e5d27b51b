/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fault guard (private to net_shm). A peer holds a writable fd of its
 * region and may punch holes in it (fallocate(FALLOC_FL_PUNCH_HOLE): no
 * seal but a write seal stops that, and a write seal would stop the peer's
 * own mapping too). On hugetlbfs, the switch's next touch of a punched
 * page needs a free hugepage; with none left (the peer can take them) the
 * touch is a SIGBUS, which would kill the switch.
 *
 * The guard's SIGBUS handler replaces the faulting page of a guarded
 * region with a private zero page (the access is retried and reads
 * zeros: indices 0, descriptors that fail their checks), marks the region
 * damaged and wakes the control thread, which detaches the peer. A fault
 * anywhere else goes to the handler that was there before (by default the
 * process dies, as it should on a real bug).
 */
#ifndef SHM_GUARD_H
#define SHM_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Guard [@p base, @p base + @p size), mapped in pages of @p page bytes.
 * Installs the handler the first time. 0, -ENOSPC or -errno.
 */
int shm_guard_add(void *base, size_t size, size_t page);

/** Stop guarding the range at @p base (before it is unmapped). */
void shm_guard_del(void *base);

/** Pages of the range at @p base replaced since the last call (and zero them). */
uint32_t shm_guard_take_damage(void *base);

/** Readable when some guarded range was damaged (an eventfd, never shared). */
int shm_guard_event_fd(void);

/** Pages replaced since start. */
uint64_t shm_guard_faults(void);

#endif /* SHM_GUARD_H */
