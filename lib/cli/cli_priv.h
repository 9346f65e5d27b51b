/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to lib/cli: its own command families (see cli_cmd.h). */
#ifndef DPS_CLI_PRIV_H
#define DPS_CLI_PRIV_H

#include "cli_cmd.h"

/* Each family file defines a NULL-terminated table. */
extern const struct cli_cmd cli_port_cmds[];
extern const struct cli_cmd cli_mac_cmds[];
extern const struct cli_cmd cli_vlan_cmds[];
extern const struct cli_cmd cli_lcore_cmds[];
extern const struct cli_cmd cli_misc_cmds[];

#endif /* DPS_CLI_PRIV_H */
