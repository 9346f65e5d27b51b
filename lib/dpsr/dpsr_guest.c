/* SPDX-License-Identifier: BSD-3-Clause */
/* dpsr: a guest's end of the ivshmem transport, for host stand-ins (see dpsr_guest.h). */
#include "dpsr_guest.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unix_socket.h"
#include "dpsr_bell.h"
#include "dpsr_ivshmem.h"

#define GREETING_TIMEOUT_MS 5000

/* One message of the greeting: exactly @p want, with an fd or without as @p with_fd says. */
static int
expect(int sock, int64_t want, bool with_fd, int *fd, struct dps_err *err, const char *what)
{
	int64_t msg;
	int rc = dpsr_ivshmem_recv(sock, &msg, fd, GREETING_TIMEOUT_MS);

	if (rc != 0)
		return dps_err_set(err, rc, "no %s from the switch: %s", what, strerror(-rc));
	if (msg != want || (*fd >= 0) != with_fd) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return dps_err_set(err, -EPROTO, "unexpected %s from the switch (%" PRId64 ")",
				   what, msg);
	}
	return 0;
}

static int
map_region(struct dpsr_client *c, int fd, struct dps_err *err)
{
	const char *why = NULL;
	struct stat st;
	int rc;

	c->region_fd = fd;
	if (fstat(fd, &st) != 0 || st.st_size <= 0)
		return dps_err_set(err, -EPROTO, "the switch sent no region");
	c->base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c->base == MAP_FAILED) {
		c->base = NULL;
		return dps_err_set(err, -errno, "cannot map the region: %s", strerror(errno));
	}
	c->size = (uint64_t)st.st_size;
	rc = dpsr_view_init(&c->view, c->base, c->size, &why);
	if (rc != 0)
		return dps_err_set(err, rc, "the region is not valid: %s", why);
	return 0;
}

/* @p n vectors for @p id, in order, into @p fds. */
static int
recv_vectors(int sock, int64_t id, int *fds, unsigned int n, struct dps_err *err)
{
	for (unsigned int v = 0; v < n; v++) {
		int rc = expect(sock, id, true, &fds[v], err, "vector");

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Vectors to DPSR_DB_* order (docs/shm-protocol.md, "Which queue pairs, which vectors"). */
static void
vectors_to_bells(struct dpsr_client *c, const int *sw, const int *own, int *ctl, int *ack)
{
	uint32_t n = c->nb_qpairs;

	*ctl = sw[0];
	*ack = own[0];
	for (uint32_t q = 0; q < n; q++) {
		int *db = &c->db[q * DPSR_DB_PER_QPAIR];

		db[DPSR_DB_SWITCH_RX] = sw[1 + q];
		db[DPSR_DB_SWITCH_ROOM] = sw[1 + n + q];
		db[DPSR_DB_PEER_RX] = own[1 + q];
		db[DPSR_DB_PEER_ROOM] = own[1 + n + q];
	}
	c->nb_db = n * DPSR_DB_PER_QPAIR;
}

static void
close_fds(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int
dpsr_guest_attach(struct dpsr_client *c, const char *path, int *ctl, int *ack, uint16_t *id,
		  struct dps_err *err)
{
	int sw[DPSR_IVSHMEM_VECTORS_MAX], own[DPSR_IVSHMEM_VECTORS_MAX];
	unsigned int nv = 0;
	int fd = -1, rc;
	int64_t msg;

	memset(c, 0, sizeof(*c));
	c->sock = c->region_fd = -1;
	*ctl = *ack = -1;
	for (unsigned int i = 0; i < DPSR_IVSHMEM_VECTORS_MAX; i++)
		sw[i] = own[i] = -1;
	c->sock = dps_unix_connect_type(path, SOCK_STREAM);
	if (c->sock < 0) {
		rc = c->sock;
		c->sock = -1;
		return dps_err_set(err, rc, "cannot connect to '%s': %s", path, strerror(-rc));
	}
	rc = expect(c->sock, DPSR_IVSHMEM_VERSION, false, &fd, err, "version");
	if (rc == 0) {
		rc = dpsr_ivshmem_recv(c->sock, &msg, &fd, GREETING_TIMEOUT_MS);
		if (rc != 0 || fd >= 0 || msg < 1 || msg > DPSR_IVSHMEM_ID_MAX) {
			if (fd >= 0)
				close(fd);
			rc = dps_err_set(err, rc != 0 ? rc : -EPROTO, "no guest ID from '%s'", path);
		}
	}
	if (rc == 0)
		*id = (uint16_t)msg;
	if (rc == 0 && (rc = expect(c->sock, -1, true, &fd, err, "region")) == 0)
		rc = map_region(c, fd, err);
	if (rc == 0) {
		c->nb_qpairs = c->view.port_qpairs;
		c->qpair_base = (uint32_t)(*id - 1) * c->nb_qpairs;
		nv = 1 + 2 * c->nb_qpairs;
		if ((uint64_t)c->qpair_base + c->nb_qpairs > c->view.nb_qpairs ||
		    nv > DPSR_IVSHMEM_VECTORS_MAX)
			rc = dps_err_set(err, -EPROTO, "guest ID %u names no queue pairs of the "
					 "region", *id);
	}
	if (rc == 0)
		rc = recv_vectors(c->sock, DPSR_IVSHMEM_SWITCH_ID, sw, nv, err);
	if (rc == 0)
		rc = recv_vectors(c->sock, *id, own, nv, err);
	if (rc != 0) {
		close_fds(sw, nv);
		close_fds(own, nv);
		dpsr_client_detach(c);
		return rc;
	}
	vectors_to_bells(c, sw, own, ctl, ack);
	return 0;
}

static void
ring_pipe(void *fd)
{
	dpsr_bell_ring(*(const int *)fd);
}

int
dpsr_guest_ctl(struct dpsr_client *c, int ctl, bool start, bool peer_bufs, int timeout_ms)
{
	struct dpsr_ring *r = dpsr_guest_ctl_ring(&c->view, c->qpair_base);
	unsigned int t = timeout_ms > 0 ? (unsigned int)timeout_ms : 0;
	bool granted = false;
	int rc;

	c->features = 0;
	rc = start ? dpsr_ivshmem_guest_start(r, peer_bufs, t, ring_pipe, &ctl, NULL, &granted) :
		     dpsr_ivshmem_guest_stop_wait(r, t, ring_pipe, &ctl);
	if (rc == 0 && granted)
		c->features = DPSR_F_PEER_BUFS;
	return rc;
}
