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
extern const struct cli_cmd cli_guard_cmds[];
extern const struct cli_cmd cli_misc_cmds[];
extern const struct cli_cmd cli_vf_cmds[];

/** Every command's instance, NULL-terminated (the prompt's completer). */
cmdline_parse_ctx_t *cli_ctx(void);

/** Every command, in family order (help); @p nb gets their number. */
const struct cli_cmd *const *cli_all_cmds(unsigned int *nb);

#endif /* DPS_CLI_PRIV_H */
