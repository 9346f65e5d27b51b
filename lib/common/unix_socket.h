/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Unix socket helpers shared by the control socket and its client.
 */
#ifndef DPS_UNIX_SOCKET_H
#define DPS_UNIX_SOCKET_H

#include <sys/un.h>

#include "common/dps_err.h"

/** Longest unix socket path, NUL included (struct sockaddr_un's sun_path). */
#define DPS_UNIX_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/**
 * Listen on @p path. A socket file nobody listens on (left by a process
 * that died) is replaced; one that answers is in use.
 * @return the listening fd, or -EADDRINUSE, -ENAMETOOLONG, -errno
 */
int dps_unix_listen(const char *path, struct dps_err *err);

/** Connect to @p path; fd or -errno. */
int dps_unix_connect(const char *path);

/** The same for a socket @p type (SOCK_STREAM, SOCK_SEQPACKET). */
int dps_unix_listen_type(const char *path, int type, struct dps_err *err);
int dps_unix_connect_type(const char *path, int type);

#endif /* DPS_UNIX_SOCKET_H */
