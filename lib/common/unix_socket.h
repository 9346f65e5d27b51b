/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Unix socket helpers shared by the control socket and its client.
 */
#ifndef DPS_UNIX_SOCKET_H
#define DPS_UNIX_SOCKET_H

#include <sys/types.h>
#include <sys/un.h>

#include "common/dps_err.h"

/** Longest unix socket path, NUL included (struct sockaddr_un's sun_path). */
#define DPS_UNIX_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/** Connect to @p path (SOCK_STREAM); fd or -errno. */
int dps_unix_connect(const char *path);
/** The same for a socket @p type (SOCK_STREAM, SOCK_SEQPACKET). */
int dps_unix_connect_type(const char *path, int type);

/**
 * Listen on @p path with a socket of @p type (SOCK_STREAM, SOCK_SEQPACKET).
 * A socket file nobody listens on (left by a process that died) is
 * replaced; one that answers is in use (dps_unix_path_claim()).
 * @return the listening fd, or -EADDRINUSE, -EEXIST, -ENAMETOOLONG, -errno
 */
int dps_unix_listen_type(const char *path, int type, struct dps_err *err);

/**
 * Does a process listen on the socket at @p path (of any type; a full
 * backlog counts, and never blocks us)? 1 yes, 0 no (stale or absent
 * listener), -errno if it cannot be told (e.g. -EACCES).
 */
int dps_unix_probe(const char *path);

/**
 * Make @p path free for a new socket without harming anybody: nothing
 * there, or a socket nobody listens on any more (removed). -EEXIST: a file
 * that is not a socket; -EADDRINUSE: a socket a live process listens on
 * (of any type).
 */
int dps_unix_path_claim(const char *path, struct dps_err *err);

/**
 * Listen on @p path with file mode @p mode and, if @p gid is not -1, that
 * group: set before listen(), so that no connection comes before them.
 */
int dps_unix_listen_mode(const char *path, int type, mode_t mode, gid_t gid,
			 struct dps_err *err);

#endif /* DPS_UNIX_SOCKET_H */
