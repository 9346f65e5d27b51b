/* SPDX-License-Identifier: BSD-3-Clause */
/* Command-line options of the daemon (after EAL's, behind "--"). */
#ifndef DPS_APP_OPTIONS_H
#define DPS_APP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define DPS_CTL_SOCKET_DEFAULT "/run/dpswitch/dpswitch.sock"
#define DPS_MAX_STARTUP_CMDS 64

struct dps_options {
	const char *config;		/* -c FILE */
	const char *ctl_socket;		/* -s PATH, NULL = none */
	const char *ctl_group;		/* --ctl-group NAME: may use the socket too */
	bool interactive;		/* -i */
	uint32_t nb_mbufs;
	uint32_t mac_table_size;
	uint32_t mac_aging;
	uint32_t mac_move_hold;		/* seconds; 0: moves at once */
	unsigned int nb_cmds;		/* --port and --exec, in order */
	char *cmds[DPS_MAX_STARTUP_CMDS];
};

/** Parse; on error print one line to stderr and return -EINVAL. 1 = --help. */
int dps_options_parse(int argc, char **argv, struct dps_options *o);
void dps_options_usage(const char *prog);
void dps_options_free(struct dps_options *o);

#endif /* DPS_APP_OPTIONS_H */
