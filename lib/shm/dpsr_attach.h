/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsring: both ends of attaching (docs/shm-protocol.md, "Attaching").
 *
 * The switch's end owns a region, its doorbells and a listening unix
 * socket, and serves one peer at a time; the peer's end connects, maps the
 * region and checks it. Both are plain C over lib/shm and lib/common, so
 * the switch's port, the peer PMD and the tests share them.
 */
#ifndef DPSR_ATTACH_H
#define DPSR_ATTACH_H

#include <stdint.h>

#include "common/dps_err.h"
#include "dpsr_ctl.h"
#include "dpsr_queue.h"
#include "dpsr_region.h"

/** The switch's end of one port. */
struct dpsr_server {
	int listen_fd;
	int peer_fd;			/**< -1 while no peer is attached */
	char path[108];
	char secret[DPSR_SECRET_MAX + 1];
	struct dpsr_mem mem;
	struct dpsr_view view;
	uint32_t nb_qpairs;
	int db[64 * DPSR_DB_PER_QPAIR];	/**< eventfds, DPSR_DB_* order per queue pair */
	uint64_t attaches;
	uint64_t refusals;
};

/**
 * Create the region for @p g, its doorbells, and listen on @p path
 * (SOCK_SEQPACKET; a path in use is refused, a stale one replaced).
 * @p secret: NULL or "" for none, at most 64 bytes.
 */
int dpsr_server_open(struct dpsr_server *s, const char *path, const char *secret,
		     const struct dpsr_geometry *g, bool allow_small_pages,
		     struct dps_err *err);

/**
 * The listening socket is readable: take one connection, read its hello
 * and attach it, or refuse it with a reason it is told. Waits up to 1 s
 * for the hello (a peer that connects and stays silent holds the caller
 * that long; a per-connection state machine would not).
 * @return 1 attached, 0 refused (@p err says why), -errno
 */
int dpsr_server_accept(struct dpsr_server *s, struct dps_err *err);

/** The peer's socket is readable or hung up: the peer is gone. Reset. */
void dpsr_server_detach(struct dpsr_server *s);

void dpsr_server_close(struct dpsr_server *s);

/** The peer's end. */
struct dpsr_client {
	int sock;
	void *base;
	uint64_t size;
	struct dpsr_view view;
	uint32_t nb_qpairs;
	unsigned int nb_db;
	int db[64 * DPSR_DB_PER_QPAIR];
};

/**
 * Connect to @p path, say hello, receive the welcome and the fds, map and
 * check the region. 0, or -errno with a one-line reason in @p err (the
 * switch's own when it refused).
 */
int dpsr_client_attach(struct dpsr_client *c, const char *path, const char *secret,
		       uint32_t nb_qpairs, struct dps_err *err);

void dpsr_client_detach(struct dpsr_client *c);

#endif /* DPSR_ATTACH_H */
