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
 */
#ifndef DPS_CTL_SERVER_H
#define DPS_CTL_SERVER_H

#include "common/dps_err.h"

#define DPS_CTL_MAX_LINE 4096
#define DPS_CTL_MAX_CLIENTS 32

struct dps_ctl;

/** Listen on @p path and register with the epoll set @p epfd. */
struct dps_ctl *dps_ctl_open(const char *path, int epfd, struct dps_err *err);

/** Close every connection and remove the socket file. */
void dps_ctl_close(struct dps_ctl *ctl);

#endif /* DPS_CTL_SERVER_H */
