/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/cli: the switch-wide state commands act on, set once by
 * the daemon at start-up (dps_cli_init() in cli.h).
 */
#ifndef DPS_CLI_STATE_H
#define DPS_CLI_STATE_H

#include <stdint.h>

#include "l2/l2_table.h"

struct l2_table *cli_state_mac_table(void);

#endif /* DPS_CLI_STATE_H */
