/* SPDX-License-Identifier: BSD-3-Clause */
/* dpsr: both ends of attaching (see dpsr_attach.h). */
#include "dpsr_attach.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unix_socket.h"
#include "dpsr_bell.h"
#include "dpsr_ivshmem.h"

#define HELLO_TIMEOUT_MS 1000

static void
close_all(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static int
server_open(struct dpsr_server *s, const char *path, const char *secret, int region_fd,
	    uint64_t region_size, uint32_t qpair_base, uint32_t nb_qpairs, bool guest,
	    struct dps_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->listen_fd = s->peer_fd = s->ctl_rd = s->ctl_wr = -1;
	s->guest = guest;
	for (unsigned int i = 0; i < 64 * DPSR_DB_PER_QPAIR; i++)
		s->db[i] = -1;
	if (secret != NULL && strlen(secret) > DPSR_SECRET_MAX)
		return dps_err_set(err, -E2BIG, "secret longer than %d bytes", DPSR_SECRET_MAX);
	if (strlen(path) >= sizeof(s->path))
		return dps_err_set(err, -ENAMETOOLONG, "socket path '%s' is too long", path);
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->secret, sizeof(s->secret), "%s", secret ? secret : "");
	if (nb_qpairs == 0 || nb_qpairs > 64 || qpair_base + nb_qpairs > 64)
		return dps_err_set(err, -EINVAL, "queue pairs %u..%u outside 0..63",
				   qpair_base, qpair_base + nb_qpairs - 1);
	s->region_fd = region_fd;
	s->region_size = region_size;
	s->qpair_base = qpair_base;
	s->nb_qpairs = nb_qpairs;
	/* QEMU's chardev is a stream socket; dpsr messages keep their boundaries. */
	s->listen_fd = dps_unix_listen_type(path, guest ? SOCK_STREAM : SOCK_SEQPACKET, err);
	if (s->listen_fd < 0) {
		rc = s->listen_fd;
		s->listen_fd = -1;
		dpsr_server_close(s);
		return rc;
	}
	return 0;
}

int
dpsr_server_open(struct dpsr_server *s, const char *path, const char *secret,
		 int region_fd, uint64_t region_size, uint32_t qpair_base,
		 uint32_t nb_qpairs, struct dps_err *err)
{
	return server_open(s, path, secret, region_fd, region_size, qpair_base, nb_qpairs,
			   false, err);
}

int
dpsr_server_open_guest(struct dpsr_server *s, const char *path, int region_fd,
		       uint64_t region_size, uint32_t qpair_base, uint32_t nb_qpairs,
		       struct dps_err *err)
{
	if (dpsr_ivshmem_vectors(nb_qpairs) > DPSR_IVSHMEM_VECTORS_MAX)
		return dps_err_set(err, -EINVAL, "%u queue pairs need more than the %d vectors "
				   "of an ivshmem device", nb_qpairs, DPSR_IVSHMEM_VECTORS_MAX);
	return server_open(s, path, NULL, region_fd, region_size, qpair_base, nb_qpairs,
			   true, err);
}

/*
 * New doorbells for @p nb queue pairs: the switch keeps its end of each in
 * s->db (the read end of those the peer rings, the write end of those it
 * rings), the peer's ends go to @p sent. 0, or -errno with nothing left open.
 */
static int
bells_create(struct dpsr_server *s, uint32_t nb, int *sent)
{
	for (unsigned int i = 0; i < nb * DPSR_DB_PER_QPAIR; i++) {
		int rd, wr, rc = dpsr_bell_create(&rd, &wr);

		if (rc != 0) {
			close_all(s->db, i);
			close_all(sent, i);
			return rc;
		}
		if (dpsr_db_peer_rings(i % DPSR_DB_PER_QPAIR)) {
			s->db[i] = rd;
			sent[i] = wr;
		} else {
			s->db[i] = wr;
			sent[i] = rd;
		}
	}
	return 0;
}

/* Tell a peer no, in one line; it is closed afterwards. */
static void
refuse(int fd, int status, const char *reason)
{
	struct dpsr_welcome w = { 0 };

	w.magic = DPSR_MAGIC;
	w.version = DPSR_VERSION;
	w.size = sizeof(w);
	w.status = status;
	snprintf(w.reason, sizeof(w.reason), "%s", reason);
	dpsr_msg_send(fd, &w, sizeof(w), NULL, 0);
}

int
dpsr_server_take(struct dpsr_server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void
dpsr_server_refuse(struct dpsr_server *s, int fd, int status, const char *why,
		   struct dps_err *err)
{
	int fds[DPSR_FDS_MAX];
	struct dpsr_hello h;
	unsigned int nfds;

	if (s->guest) {
		dpsr_ivshmem_refuse(fd, status);
		dpsr_server_drop(s, fd, why, err);
		return;
	}
	refuse(fd, status, why);
	/*
	 * Read what the peer sent (its hello) first: a unix socket closed with
	 * data unread resets the connection, and the peer would see the reset
	 * instead of the reason.
	 */
	for (int i = 0; i < 4 && dpsr_msg_recv(fd, &h, sizeof(h), fds, DPSR_FDS_MAX, &nfds, 0) >= 0; i++)
		close_all(fds, nfds);
	dpsr_server_drop(s, fd, why, err);
}

void
dpsr_server_drop(struct dpsr_server *s, int fd, const char *why, struct dps_err *err)
{
	s->refusals++;
	close(fd);
	dps_err_set(err, -ECONNREFUSED, "peer refused: %s", why);
}

int
dpsr_server_greet(struct dpsr_server *s, int fd, int timeout_ms, struct dps_err *err)
{
	int fds[1 + 64 * DPSR_DB_PER_QPAIR], junk[DPSR_FDS_MAX];
	struct dpsr_welcome w = { 0 };
	struct dpsr_hello h;
	const char *why = NULL;
	unsigned int nfds;
	int n, rc;

	n = dpsr_msg_recv(fd, &h, sizeof(h), junk, DPSR_FDS_MAX, &nfds, timeout_ms);
	if (n == -ETIMEDOUT && timeout_ms == 0)
		return -EAGAIN;		/* not yet: the caller keeps @p fd */
	close_all(junk, nfds);		/* a hello carries no descriptors */
	if (n < 0) {
		rc = dps_err_set(err, n, "peer sent no hello: %s", strerror(-n));
		goto refused;
	}
	rc = dpsr_hello_check(&h, (size_t)n, s->secret, &why);
	if (rc == 0 && s->peer_fd >= 0) {
		rc = -EBUSY;
		why = "a peer is already attached to this port";
	}
	if (rc == 0 && h.nb_qpairs > s->nb_qpairs) {
		rc = -EINVAL;
		why = "more queue pairs requested than the port has";
	}
	if (rc != 0) {
		refuse(fd, rc, why);
		dps_err_set(err, rc, "peer refused: %s", why);
		goto refused;
	}
	w.magic = DPSR_MAGIC;
	w.version = DPSR_VERSION;
	w.size = sizeof(w);
	/* A peer may use fewer queue pairs than the port has: the first ones. */
	w.nb_qpairs = h.nb_qpairs != 0 ? h.nb_qpairs : s->nb_qpairs;
	w.qpair_base = s->qpair_base;
	w.region_size = s->region_size;
	w.nb_fds = 1 + DPSR_DB_PER_QPAIR * w.nb_qpairs;
	/* What was asked and the port may grant; asking for more is no fault. */
	w.features = h.features & s->grantable;
	fds[0] = s->region_fd;
	rc = bells_create(s, w.nb_qpairs, fds + 1);
	if (rc != 0) {
		why = "the switch cannot make doorbells (out of file descriptors?)";
		refuse(fd, rc, why);
		dps_err_set(err, rc, "peer refused: %s", why);
		goto refused;
	}
	rc = dpsr_msg_send(fd, &w, sizeof(w), fds, w.nb_fds);
	/* The peer's ends are the peer's: keeping them would share their flags. */
	close_all(fds + 1, w.nb_fds - 1);
	if (rc != 0) {
		close_all(s->db, w.nb_fds - 1);
		dps_err_set(err, rc, "cannot send the welcome: %s", strerror(-rc));
		goto refused;
	}
	s->peer_fd = fd;
	s->granted = w.nb_qpairs;
	s->features = w.features;
	s->attaches++;
	return 1;
refused:
	s->refusals++;
	close(fd);
	return 0;
}

/*
 * A guest's vectors (docs/shm-protocol.md, "Which queue pairs, which
 * vectors") from the peer's ends of the doorbells (@p sent, DPSR_DB_*
 * order per queue pair) and of the control bells.
 */
static void
guest_vectors(uint32_t n, const int *sent, int ctl_in, int ctl_out, int *to_switch,
	      int *to_guest)
{
	to_switch[DPSR_IVSHMEM_VEC_CTL] = ctl_in;
	to_guest[DPSR_IVSHMEM_VEC_CTL] = ctl_out;
	for (uint32_t q = 0; q < n; q++) {
		const int *db = &sent[q * DPSR_DB_PER_QPAIR];

		to_switch[dpsr_ivshmem_vec_data(q)] = db[DPSR_DB_SWITCH_RX];
		to_switch[dpsr_ivshmem_vec_room(n, q)] = db[DPSR_DB_SWITCH_ROOM];
		to_guest[dpsr_ivshmem_vec_data(q)] = db[DPSR_DB_PEER_RX];
		to_guest[dpsr_ivshmem_vec_room(n, q)] = db[DPSR_DB_PEER_ROOM];
	}
}

int
dpsr_server_greet_guest(struct dpsr_server *s, int fd, struct dps_err *err)
{
	int sent[64 * DPSR_DB_PER_QPAIR], to_switch[DPSR_IVSHMEM_VECTORS_MAX],
	    to_guest[DPSR_IVSHMEM_VECTORS_MAX];
	int in_rd = -1, in_wr = -1, out_rd = -1, out_wr = -1, rc;
	uint32_t n = s->nb_qpairs;
	struct dpsr_ivshmem_greeting g;

	if (s->peer_fd >= 0) {
		dpsr_server_refuse(s, fd, -EBUSY, "a guest is already attached to this port", err);
		return 0;
	}
	/* bells_create() leaves nothing open when it fails; the rest is undone here. */
	rc = bells_create(s, n, sent);
	if (rc == 0) {
		rc = dpsr_bell_create(&in_rd, &in_wr);
		if (rc == 0 && (rc = dpsr_bell_create(&out_rd, &out_wr)) != 0) {
			close(in_rd);
			close(in_wr);
		}
		if (rc != 0) {
			close_all(s->db, n * DPSR_DB_PER_QPAIR);
			close_all(sent, n * DPSR_DB_PER_QPAIR);
		}
	}
	if (rc != 0) {
		dpsr_server_refuse(s, fd, rc, "the switch cannot make doorbells (out of file "
				   "descriptors?)", err);
		return 0;
	}
	guest_vectors(n, sent, in_wr, out_rd, to_switch, to_guest);
	g = (struct dpsr_ivshmem_greeting){
		.client_id = (uint16_t)(1 + s->qpair_base / n),
		.region_fd = s->region_fd,
		.to_switch = to_switch, .nb_to_switch = dpsr_ivshmem_vectors(n),
		.to_guest = to_guest, .nb_to_guest = dpsr_ivshmem_vectors(n),
	};
	rc = dpsr_ivshmem_greet(fd, &g);
	/* The guest's ends are QEMU's now (or nobody's). */
	close_all(sent, n * DPSR_DB_PER_QPAIR);
	close(in_wr);
	close(out_rd);
	if (rc != 0) {
		close_all(s->db, n * DPSR_DB_PER_QPAIR);
		close(in_rd);
		close(out_wr);
		dpsr_server_drop(s, fd, rc == -EINVAL ? "the region cannot be a BAR" :
				 "cannot send the greeting", err);
		return 0;
	}
	s->peer_fd = fd;
	s->ctl_rd = in_rd;
	s->ctl_wr = out_wr;
	s->granted = n;
	s->attaches++;
	return 1;
}

int
dpsr_server_accept(struct dpsr_server *s, struct dps_err *err)
{
	int fd = dpsr_server_take(s);

	return fd < 0 ? fd : dpsr_server_greet(s, fd, HELLO_TIMEOUT_MS, err);
}

void
dpsr_server_detach(struct dpsr_server *s)
{
	if (s->peer_fd >= 0)
		close(s->peer_fd);
	s->peer_fd = -1;
	/* Whatever the peer kept of them now reaches nobody. */
	close_all(s->db, s->granted * DPSR_DB_PER_QPAIR);
	close_all(&s->ctl_rd, 1);
	close_all(&s->ctl_wr, 1);
	s->granted = 0;
	s->features = 0;
}

void
dpsr_server_close(struct dpsr_server *s)
{
	if (s->peer_fd >= 0)
		close(s->peer_fd);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	s->peer_fd = s->listen_fd = -1;
	close_all(s->db, 64 * DPSR_DB_PER_QPAIR);
	close_all(&s->ctl_rd, 1);
	close_all(&s->ctl_wr, 1);
}

int
dpsr_client_attach(struct dpsr_client *c, const char *path, const char *secret,
		   uint32_t nb_qpairs, struct dps_err *err)
{
	return dpsr_client_attach_features(c, path, secret, nb_qpairs, 0, err);
}

int
dpsr_client_attach_features(struct dpsr_client *c, const char *path, const char *secret,
			    uint32_t nb_qpairs, uint64_t features, struct dps_err *err)
{
	int fds[DPSR_FDS_MAX];
	struct dpsr_welcome w;
	struct dpsr_hello h;
	struct stat st;
	const char *why = NULL;
	unsigned int nfds = 0;
	int n, rc;

	memset(c, 0, sizeof(*c));
	c->sock = c->region_fd = -1;
	if (dpsr_hello_init(&h, nb_qpairs, secret) != 0)
		return dps_err_set(err, -E2BIG, "secret longer than %d bytes", DPSR_SECRET_MAX);
	h.features = features;
	c->sock = dps_unix_connect_type(path, SOCK_SEQPACKET);
	if (c->sock < 0) {
		rc = c->sock;
		c->sock = -1;
		return dps_err_set(err, rc, "cannot connect to '%s': %s", path, strerror(-rc));
	}
	rc = dpsr_msg_send(c->sock, &h, sizeof(h), NULL, 0);
	/*
	 * A switch that refuses before it reads a hello (no fresh region)
	 * sends its reason and hangs up, maybe before our hello goes out:
	 * the reason is still queued for us, and says more than EPIPE.
	 */
	if (rc == 0 || rc == -EPIPE || rc == -ECONNRESET) {
		int sent = rc;

		n = dpsr_msg_recv(c->sock, &w, sizeof(w), fds, DPSR_FDS_MAX, &nfds, 5000);
		rc = n < 0 ? (sent != 0 ? sent : n) : 0;
	}
	if (rc != 0) {
		dps_err_set(err, rc, "no welcome from '%s': %s", path, strerror(-rc));
		goto fail;
	}
	rc = dpsr_welcome_check(&w, (size_t)n, nfds, &why);
	if (rc != 0) {
		w.reason[sizeof(w.reason) - 1] = '\0';
		dps_err_set(err, rc, "'%s' refused: %s", path,
			    w.status != 0 && w.reason[0] ? w.reason : why);
		goto fail;
	}
	if (w.features & ~features) {
		rc = -EPROTO;
		dps_err_set(err, rc, "'%s' granted features 0x%" PRIx64 " that were not asked "
			    "for", path, w.features & ~features);
		goto fail;
	}
	/* Map no more than the memfd holds: past its end a touch is SIGBUS. */
	if (fstat(fds[0], &st) != 0 || (uint64_t)st.st_size < w.region_size) {
		rc = -EPROTO;
		dps_err_set(err, rc, "the switch announced a %" PRIu64 "-byte region but "
			    "sent a smaller file", w.region_size);
		goto fail;
	}
	c->base = mmap(NULL, w.region_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (c->base == MAP_FAILED) {
		c->base = NULL;
		rc = -errno;
		dps_err_set(err, rc, "cannot map the region: %s", strerror(errno));
		goto fail;
	}
	c->size = w.region_size;
	rc = dpsr_view_init(&c->view, c->base, c->size, &why);
	if (rc != 0) {
		dps_err_set(err, rc, "the region is not valid: %s", why);
		goto fail;
	}
	if ((uint64_t)w.qpair_base + w.nb_qpairs > c->view.nb_qpairs) {
		rc = -EPROTO;
		dps_err_set(err, rc, "the switch granted queue pairs %u..%u of a region "
			    "that has %u", w.qpair_base, w.qpair_base + w.nb_qpairs - 1,
			    c->view.nb_qpairs);
		goto fail;
	}
	c->qpair_base = w.qpair_base;
	c->nb_qpairs = w.nb_qpairs;
	c->features = w.features;
	c->nb_db = nfds - 1;
	memcpy(c->db, fds + 1, sizeof(int) * c->nb_db);
	c->region_fd = fds[0];
	return 0;
fail:
	close_all(fds, nfds);
	dpsr_client_detach(c);
	return rc;
}

int
dpsr_client_hold_readers(struct dpsr_client *c)
{
	for (unsigned int i = 0; i < c->nb_db; i++) {
		int fd;

		if (!dpsr_db_peer_rings(i % DPSR_DB_PER_QPAIR))
			continue;
		fd = dpsr_bell_hold_reader(c->db[i]);
		if (fd < 0) {
			close_all(c->held, c->nb_held);
			c->nb_held = 0;
			return fd;
		}
		c->held[c->nb_held++] = fd;
	}
	return 0;
}

void
dpsr_client_detach(struct dpsr_client *c)
{
	close_all(c->held, c->nb_held);
	c->nb_held = 0;
	if (c->base != NULL)
		munmap(c->base, c->size);
	c->base = NULL;
	if (c->region_fd >= 0)
		close(c->region_fd);
	c->region_fd = -1;
	close_all(c->db, c->nb_db);
	c->nb_db = 0;
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
}
