/* SPDX-License-Identifier: BSD-3-Clause */
/* The `vtap` port kind: net_vtap as the switch knows it (built into the daemon). */
#include <errno.h>
#include <string.h>

#include "common/dps_err.h"
#include "port/port.h"
#include "rte_pmd_vtap.h"

static int
vtap_check(const char *port, struct rte_kvargs *kv, struct dps_err *err)
{
	char why[160];

	if (rte_pmd_vtap_args_check(port, kv, why, sizeof(why)) != 0)
		return dps_err_set(err, -EINVAL, "port '%s': %s", port, why + strlen(port) + 2);
	return 0;
}

static const struct dps_port_kind vtap_kind = {
	.name = "vtap",
	.driver = RTE_PMD_VTAP_DRIVER,
	.keys = rte_pmd_vtap_keys,
	.check = vtap_check,
	/* Like tap: the interface may live in another namespace; it is up there. */
	.link_always_up = true,
	.rx_intr = true,
};

int
dps_vtap_dpswitch_register(void)
{
	return dps_port_kind_register(&vtap_kind);
}
