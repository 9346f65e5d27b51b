/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsr: attaching a peer over a unix socket (SOCK_SEQPACKET). The peer
 * sends a hello (version, features, the queue pairs it wants, an optional
 * shared secret); the switch answers with a welcome and, on success, the
 * region's memfd and the doorbells' ends (SCM_RIGHTS). The connection
 * stays open: when it closes, the peer is gone. See docs/shm-protocol.md.
 */
#ifndef DPSR_CTL_H
#define DPSR_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpsr.h"

#define DPSR_SECRET_MAX 64
#define DPSR_REASON_MAX 128
/** Doorbells per queue pair, in this order after the region's fd. */
enum {
	DPSR_DB_SWITCH_RX,	/**< ring 2q has data: the peer rings, the switch sleeps on it */
	DPSR_DB_PEER_ROOM,	/**< ring 2q has room: the switch rings */
	DPSR_DB_PEER_RX,	/**< ring 2q+1 has data: the switch rings */
	DPSR_DB_SWITCH_ROOM,	/**< ring 2q+1 has room: the peer rings */
	DPSR_DB_PER_QPAIR
};
#define DPSR_FDS_MAX (1 + 64 * DPSR_DB_PER_QPAIR)

/** Is doorbell @p which (DPSR_DB_*) one the peer rings (it gets the write end)? */
static inline bool
dpsr_db_peer_rings(unsigned int which)
{
	return which == DPSR_DB_SWITCH_RX || which == DPSR_DB_SWITCH_ROOM;
}

/** Peer to switch. */
struct dpsr_hello {
	uint32_t magic;			/**< DPSR_MAGIC */
	uint16_t version;		/**< DPSR_VERSION */
	uint16_t size;			/**< sizeof(struct dpsr_hello) */
	uint64_t features;		/**< DPSR_F_*: what the peer asks for */
	uint32_t nb_qpairs;		/**< wanted; 0 = what the port has */
	uint32_t rsvd;
	char secret[DPSR_SECRET_MAX];	/**< NUL-padded; all zero = none */
};

/** Switch to peer. */
struct dpsr_welcome {
	uint32_t magic;
	uint16_t version;
	uint16_t size;			/**< sizeof(struct dpsr_welcome) */
	int32_t status;			/**< 0, or a negative errno */
	uint32_t nb_qpairs;		/**< granted */
	uint64_t features;		/**< DPSR_F_*: granted, a subset of those asked for */
	uint64_t region_size;
	uint32_t nb_fds;		/**< 1 + DPSR_DB_PER_QPAIR * nb_qpairs on success, else 0 */
	uint32_t qpair_base;		/**< the peer's queue pair q is the region's qpair_base + q */
	char reason[DPSR_REASON_MAX];	/**< one line, when status != 0 */
};

_Static_assert(sizeof(struct dpsr_hello) == 88, "hello layout");
_Static_assert(sizeof(struct dpsr_welcome) == 168, "welcome layout");

/** Send one message with up to DPSR_FDS_MAX descriptors. 0 or -errno. */
int dpsr_msg_send(int sock, const void *msg, size_t len, const int *fds, unsigned int nfds);

/**
 * Receive one message into @p msg (at most @p len bytes) and its fds (at
 * most @p max_fds; more is an error and every fd received is closed).
 * Returns the message length, or -ETIMEDOUT after @p timeout_ms (-1: wait),
 * -ECONNRESET when the other side closed, -EMSGSIZE, -errno.
 */
int dpsr_msg_recv(int sock, void *msg, size_t len, int *fds, unsigned int max_fds,
		  unsigned int *nfds, int timeout_ms);

/** Build a hello; @p secret may be NULL. -E2BIG if the secret is too long. */
int dpsr_hello_init(struct dpsr_hello *h, uint32_t nb_qpairs, const char *secret);

/**
 * The switch's check of a hello of @p got bytes: -EPROTO (not a hello,
 * another version, features outside DPSR_F_KNOWN), -EACCES (secret),
 * else 0. @p secret NULL or "" = the port needs none.
 */
int dpsr_hello_check(const struct dpsr_hello *h, size_t got, const char *secret,
		     const char **why);

/**
 * The peer's check of a welcome of @p got bytes with @p nfds fds: features
 * outside DPSR_F_KNOWN are refused (that they were asked for is the
 * caller's check, dpsr_client_attach_features()).
 */
int dpsr_welcome_check(const struct dpsr_welcome *w, size_t got, unsigned int nfds,
		       const char **why);

#endif /* DPSR_CTL_H */
