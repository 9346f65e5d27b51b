/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsr: both ends of attaching (docs/shm-protocol.md, "Attaching").
 *
 * The switch's end serves one port: a range of queue pairs of a region
 * that it does not own (a trust group's, or the port's own), the port's
 * doorbells and a listening unix socket, one peer at a time. The peer's
 * end connects, maps the region and checks it. Both are plain C over
 * lib/dpsr and lib/common, so the switch's driver, the peer PMD and the
 * tests share them.
 */
#ifndef DPSR_ATTACH_H
#define DPSR_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/dps_err.h"
#include "common/unix_socket.h"
#include "dpsr_ctl.h"
#include "dpsr_queue.h"
#include "dpsr_region.h"

/** The switch's end of one port. */
struct dpsr_server {
	int listen_fd;
	int peer_fd;			/**< -1 while no peer is attached */
	char path[DPS_UNIX_PATH_MAX];
	char secret[DPSR_SECRET_MAX + 1];
	int region_fd;			/**< the region's memfd; not owned */
	uint64_t region_size;
	uint32_t qpair_base;		/**< the port's first queue pair in the region */
	uint32_t nb_qpairs;		/**< the port's queue pairs */
	uint32_t granted;		/**< queue pairs the attached peer asked for */
	/**
	 * DPSR_F_* the port may grant (its owner sets it after opening: a
	 * trusted port DPSR_F_PEER_BUFS, an isolated one nothing), and those
	 * granted to the attached peer (0 without one).
	 */
	uint64_t grantable;
	uint64_t features;
	/**
	 * The switch's ends of the attached peer's doorbells (dpsr_bell.h),
	 * DPSR_DB_* order per queue pair: read ends of those the peer rings,
	 * write ends of those the switch rings. New at every attach, closed
	 * at detach; -1 without a peer.
	 */
	int db[64 * DPSR_DB_PER_QPAIR];
	/*
	 * A guest's (transport ivshmem) control bells, vector 0: the read end
	 * of the one it rings, the write end of the one that acknowledges.
	 */
	bool guest;
	int ctl_rd;
	int ctl_wr;
	uint64_t attaches;
	uint64_t refusals;
};

/**
 * Serve queue pairs [@p qpair_base, + @p nb_qpairs) of the region behind
 * @p region_fd: listen on @p path
 * (SOCK_SEQPACKET; a path in use is refused, a stale one replaced).
 * @p secret: NULL or "" for none, at most 64 bytes. The region must
 * outlive the server.
 */
int dpsr_server_open(struct dpsr_server *s, const char *path, const char *secret,
		     int region_fd, uint64_t region_size, uint32_t qpair_base,
		     uint32_t nb_qpairs, struct dps_err *err);

/**
 * The same for QEMU guests (docs/shm-protocol.md, "Guests: QEMU's ivshmem
 * transport"): a stream socket speaking QEMU's ivshmem server protocol,
 * no secret. 1 + 2 x @p nb_qpairs vectors at most DPSR_IVSHMEM_VECTORS_MAX.
 */
int dpsr_server_open_guest(struct dpsr_server *s, const char *path, int region_fd,
			   uint64_t region_size, uint32_t qpair_base, uint32_t nb_qpairs,
			   struct dps_err *err);

/**
 * Greet QEMU on connection @p fd (from dpsr_server_take()) of a guest
 * server: new doorbells and control bells, the region and the vectors as
 * the ivshmem protocol sends them. The guest's ID is 1 + the port's slot
 * (qpair_base / nb_qpairs). A second guest, or a greeting that cannot be
 * made or sent, is refused (@p fd closed, counted, @p err says why).
 * @return 1 attached, 0 refused
 */
int dpsr_server_greet_guest(struct dpsr_server *s, int fd, struct dps_err *err);

/**
 * The listening socket is readable: take one connection, read its hello
 * and attach it, or refuse it with a reason it is told. Waits up to 1 s
 * for the hello (a peer that connects and stays silent holds the caller
 * that long: an event loop uses dpsr_server_take() and
 * dpsr_server_greet() instead).
 * @return 1 attached, 0 refused (@p err says why), -errno
 */
int dpsr_server_accept(struct dpsr_server *s, struct dps_err *err);

/** Take one waiting connection: its fd, or -errno. */
int dpsr_server_take(struct dpsr_server *s);

/**
 * Read the hello of connection @p fd (from dpsr_server_take()), waiting
 * up to @p timeout_ms, and attach it or refuse it (closing @p fd).
 * @return 1 attached, 0 refused (@p err says why), -EAGAIN with
 * @p timeout_ms 0 and no hello yet (@p fd stays open)
 */
int dpsr_server_greet(struct dpsr_server *s, int fd, int timeout_ms, struct dps_err *err);

/**
 * Refuse connection @p fd before its hello is read, telling the peer
 * @p status and @p why; close it, count a refusal. A guest server tells
 * QEMU @p status alone (dpsr_ivshmem_refuse()).
 */
void dpsr_server_refuse(struct dpsr_server *s, int fd, int status, const char *why,
			struct dps_err *err);

/** Give up on connection @p fd (no hello): close it, count a refusal. */
void dpsr_server_drop(struct dpsr_server *s, int fd, const char *why, struct dps_err *err);

/**
 * The peer's socket is readable or hung up: the peer is gone. Closes the
 * connection and the switch's ends of its doorbells (the caller has made
 * sure nothing rings them any more); resetting the port's rings is the
 * owner's job (it knows which buffer each slot owns: dpsr_ring_reset()).
 */
void dpsr_server_detach(struct dpsr_server *s);

void dpsr_server_close(struct dpsr_server *s);

/** The peer's end. */
struct dpsr_client {
	int sock;
	int region_fd;			/**< the region's memfd, mapped at base */
	void *base;
	uint64_t size;
	struct dpsr_view view;
	uint32_t qpair_base;		/**< our queue pair q is the region's qpair_base + q */
	uint32_t nb_qpairs;
	uint64_t features;		/**< DPSR_F_* the switch granted */
	unsigned int nb_db;
	/**
	 * Our ends of the doorbells (DPSR_DB_* order per queue pair): write
	 * ends of those we ring, read ends of those we sleep on.
	 */
	int db[64 * DPSR_DB_PER_QPAIR];
	/** Read ends of the doorbells we ring, held (dpsr_client_hold_readers()). */
	unsigned int nb_held;
	int held[64 * 2];
};

/**
 * Connect to @p path, say hello, receive the welcome and the fds, map and
 * check the region. 0, or -errno with a one-line reason in @p err (the
 * switch's own when it refused).
 */
int dpsr_client_attach(struct dpsr_client *c, const char *path, const char *secret,
		       uint32_t nb_qpairs, struct dps_err *err);

/**
 * The same, asking for @p features (DPSR_F_*): c->features says what the
 * switch granted; a welcome granting anything not asked for is refused
 * (-EPROTO).
 */
int dpsr_client_attach_features(struct dpsr_client *c, const char *path, const char *secret,
				uint32_t nb_qpairs, uint64_t features, struct dps_err *err);

/**
 * Hold a read end of every doorbell the peer rings (dpsr_bell_hold_reader()),
 * so that a ring after the switch died never raises SIGPIPE. For a library
 * inside somebody else's application (the peer PMD); closed at detach.
 * 0 or -errno (nothing held then).
 */
int dpsr_client_hold_readers(struct dpsr_client *c);

void dpsr_client_detach(struct dpsr_client *c);

#endif /* DPSR_ATTACH_H */
