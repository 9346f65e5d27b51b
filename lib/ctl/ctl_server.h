/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control socket: scripts and dpswitch-ctl run CLI commands against a
 * running daemon.
 *
 * Protocol (one unix stream connection, any number of requests):
 *   request:  "[json ]COMMAND\n"
 *   response: the command's output (text, or one JSON document), then a
 *             NUL byte, then the return code in decimal and "\n"
 *             (0, or a negative errno).
 *
 * Who may use it: the socket file is mode 0660, owned by the daemon's user
 * and, with a control group, that group (the kernel checks a connecting
 * process against it); every connection's credentials (SO_PEERCRED) are
 * checked again: root, the daemon's own user, or a member of the control
 * group. Others get one error line and are counted.
 */
#ifndef DPS_CTL_SERVER_H
#define DPS_CTL_SERVER_H

#include <stdint.h>
#include <sys/types.h>

#include "common/dps_err.h"
#include "common/unix_socket.h"

#define DPS_CTL_MAX_LINE 4096
#define DPS_CTL_MAX_CLIENTS 32

struct dps_ctl;

/**
 * Listen on @p path and register with the epoll set @p epfd. @p group:
 * the control group's name, or NULL for none.
 */
struct dps_ctl *dps_ctl_open(const char *path, const char *group, int epfd,
			     struct dps_err *err);

/** The open control socket, as `ctl show` reports it. */
struct dps_ctl_info {
	char path[DPS_UNIX_PATH_MAX];
	gid_t group;			/* (gid_t)-1: no control group */
	unsigned int clients;		/* connected now */
	uint64_t refused;		/* refused for their credentials since start */
};

/** Fill @p info about the open control socket: 0, or -ENOENT if there is none. */
int dps_ctl_info(struct dps_ctl_info *info);

/** Add `ctl show` to the command language (before dps_cli_init()). */
int dps_ctl_cli_register(void);

/** Close every connection and remove the socket file. */
void dps_ctl_close(struct dps_ctl *ctl);

#endif /* DPS_CTL_SERVER_H */
