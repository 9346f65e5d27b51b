/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * net_vtap, a kernel tap with the virtio-net header: what the switch
 * needs to know of it (its `vtap` port kind, vtap_dpswitch.c).
 */
#ifndef RTE_PMD_VTAP_H
#define RTE_PMD_VTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_kvargs.h>

#define RTE_PMD_VTAP_DRIVER "net_vtap"

/** The devargs keys net_vtap takes. */
extern const char *const rte_pmd_vtap_keys[];

/** Check parsed devargs of vdev @p name: 0, or -EINVAL with one line in @p why. */
int rte_pmd_vtap_args_check(const char *name, struct rte_kvargs *kv, char *why, size_t len);

/** Port @p port_id is a net_vtap whose offloads the kernel took. */
bool rte_pmd_vtap_offloads(uint16_t port_id);

/** Register the `vtap` port kind with the switch (vtap_dpswitch.c). */
int dps_vtap_dpswitch_register(void);

#endif /* RTE_PMD_VTAP_H */
