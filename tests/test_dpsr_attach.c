/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of attaching (lib/dpsr/dpsr_attach.c) over a real unix socket:
 * a server thread (the switch's end) and clients (the peer's end) in this
 * process. Secret, busy port, frames both ways through two different
 * mappings of the region with doorbells, detach and re-attach, a path in
 * use, greeting a connection only once it speaks (the event-loop way),
 * and no descriptor leaked. Plain C, no DPDK.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "common/unix_socket.h"
#include "dpsr/dpsr_attach.h"
#include "test_common.h"

static struct dpsr_server srv;
static struct dpsr_mem mem;		/* the region the server serves */
static struct dpsr_view view;		/* the switch's view of it */
static int stop;

static void *
server_loop(void *arg)
{
	struct dps_err err;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct pollfd p[2] = { { .fd = srv.listen_fd, .events = POLLIN },
				       { .fd = srv.peer_fd, .events = POLLIN } };

		if (poll(p, srv.peer_fd >= 0 ? 2 : 1, 20) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			dpsr_server_accept(&srv, &err);
		/* A peer says nothing after its hello: readable means gone. */
		if (srv.peer_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			/* The owner's job; first, so that detached means reset. */
			dpsr_rings_reset(&view);
			dpsr_server_detach(&srv);
		}
	}
	return NULL;
}

static bool
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/*
 * The server thread has seen attach number @p nth and then its peer go.
 * (The peer hears its welcome before the server records the attach, so
 * peer_fd < 0 alone could be read before the attach, not after the detach.)
 */
static bool
wait_detached(uint64_t nth)
{
	for (int i = 0; i < 200; i++) {
		if (__atomic_load_n(&srv.attaches, __ATOMIC_ACQUIRE) >= nth &&
		    __atomic_load_n(&srv.peer_fd, __ATOMIC_RELAXED) < 0)
			return true;
		usleep(10000);
	}
	return false;
}

static void
test_traffic(struct dpsr_client *c)
{
	struct dpsr_qring ptx, srx, stx, prx;
	struct dpsr_errors err = { 0 };
	uint8_t frame[100], out[4][256], *dst[4] = { out[0], out[1], out[2], out[3] };
	const uint8_t *src[4] = { frame, frame, frame, frame };
	uint16_t len[4] = { 100, 100, 100, 100 }, got[4];
	uint64_t v;

	for (int i = 0; i < 100; i++)
		frame[i] = (uint8_t)(i * 7);
	/* Peer to switch on ring 0; the switch sleeps, the peer rings. */
	dpsr_qring_init(&ptx, &c->view, 0);
	dpsr_qring_init(&srx, &view, 0);
	CHECK(dpsr_cons_sleep_prepare(&srx));
	CHECK_EQ(dpsr_send_copy(&c->view, &ptx, src, len, 4, &err), 4);
	CHECK(dpsr_cons_kick_needed(&ptx));
	CHECK_EQ(write(c->db[DPSR_DB_SWITCH_RX], &(uint64_t){ 1 }, 8), 8);
	CHECK(readable(srv.db[DPSR_DB_SWITCH_RX], 1000));
	CHECK_EQ(read(srv.db[DPSR_DB_SWITCH_RX], &v, 8), 8);
	dpsr_cons_sleep_done(&srx);
	CHECK_EQ(dpsr_recv_copy(&view, &srx, dst, got, 4, 256, &err), 4);
	CHECK(got[3] == 100 && memcmp(out[3], frame, 100) == 0);
	/* Switch to peer on ring 1. */
	dpsr_qring_init(&stx, &view, 1);
	dpsr_qring_init(&prx, &c->view, 1);
	CHECK_EQ(dpsr_send_copy(&view, &stx, src, len, 2, &err), 2);
	memset(out, 0, sizeof(out));
	CHECK_EQ(dpsr_recv_copy(&c->view, &prx, dst, got, 4, 256, &err), 2);
	CHECK(memcmp(out[1], frame, 100) == 0);
	CHECK_EQ(err.bad_index, 0);
}

/*
 * An event loop's way (the switch's): take a connection, greet it when it
 * speaks. No hello yet is not a refusal; a silent one can be dropped.
 */
static void
test_event_loop_greeting(const char *path)
{
	struct dps_err err = { "" };
	struct dpsr_hello h;
	int cfd, fd;

	cfd = dps_unix_connect_type(path, SOCK_SEQPACKET);
	CHECK(cfd >= 0);
	fd = dpsr_server_take(&srv);
	CHECK(fd >= 0);
	CHECK_EQ(dpsr_server_greet(&srv, fd, 0, &err), -EAGAIN);
	CHECK_EQ(srv.refusals, 4);
	dpsr_hello_init(&h, 1, "k3y");
	CHECK_EQ(send(cfd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	CHECK_EQ(dpsr_server_greet(&srv, fd, 0, &err), 1);
	CHECK_EQ(srv.attaches, 3);
	dpsr_server_detach(&srv);
	close(cfd);

	cfd = dps_unix_connect_type(path, SOCK_SEQPACKET);
	fd = dpsr_server_take(&srv);
	CHECK(cfd >= 0 && fd >= 0);
	dpsr_server_drop(&srv, fd, "no hello", &err);
	CHECK_EQ(srv.refusals, 5);
	CHECK_CONTAINS(err.msg, "no hello");
	close(cfd);
}

int
main(void)
{
	struct dpsr_geometry g = { .nb_qpairs = 1, .ring_size = 64, .buf_size = 2048,
				   .nb_spares = 16 };
	struct dpsr_client c, c2;
	struct dpsr_server other;
	struct dps_err err = { "" };
	char path[64];
	pthread_t th;
	int before = test_open_fds();

	snprintf(path, sizeof(path), "/tmp/dpsr-test-%d.sock", (int)getpid());
	CHECK_EQ(dpsr_region_create(&g, true, &mem, NULL), 0);
	CHECK_EQ(dpsr_view_init(&view, mem.base, mem.size, NULL), 0);
	CHECK_EQ(dpsr_server_open(&srv, path, "k3y", mem.fd, mem.size, 0, 1, &err), 0);
	pthread_create(&th, NULL, server_loop, NULL);

	/* The secret is checked; the peer hears why it was refused. */
	CHECK_EQ(dpsr_client_attach(&c, path, "wrong", 1, &err), -EACCES);
	CHECK_CONTAINS(err.msg, "wrong secret");
	CHECK_EQ(dpsr_client_attach(&c, path, NULL, 1, &err), -EACCES);
	CHECK_EQ(dpsr_client_attach(&c, path, "k3y", 2, &err), -EINVAL);
	CHECK_CONTAINS(err.msg, "more queue pairs");

	/* Attached: a mapping of its own, four doorbells, frames both ways. */
	CHECK_EQ(dpsr_client_attach(&c, path, "k3y", 1, &err), 0);
	CHECK_EQ(c.nb_qpairs, 1);
	CHECK_EQ(c.qpair_base, 0);
	CHECK_EQ(c.nb_db, DPSR_DB_PER_QPAIR);
	CHECK(c.base != NULL && c.base != mem.base);
	test_traffic(&c);

	/* One peer per port. */
	CHECK_EQ(dpsr_client_attach(&c2, path, "k3y", 1, &err), -EBUSY);
	CHECK_CONTAINS(err.msg, "already attached");

	/* The peer goes: detected, rings reset; a new peer attaches. */
	dpsr_client_detach(&c);
	CHECK(wait_detached(1));
	CHECK_EQ(((struct dpsr_ring *)((uint8_t *)mem.base + view.rings_off))->prod, 0);
	CHECK_EQ(dpsr_client_attach(&c, path, "k3y", 0, &err), 0);
	test_traffic(&c);
	dpsr_client_detach(&c);
	CHECK(wait_detached(2));

	/* The path is in use while the server listens. */
	CHECK_EQ(dpsr_server_open(&other, path, NULL, mem.fd, mem.size, 0, 1, &err),
		 -EADDRINUSE);
	CHECK_CONTAINS(err.msg, "in use");
	/* Nothing listens at a path that does not exist. */
	CHECK_EQ(dpsr_client_attach(&c, "/tmp/dpsr-no-such.sock", NULL, 1, &err), -ENOENT);
	CHECK_CONTAINS(err.msg, "cannot connect");

	/*
	 * 3 bad hellos and 1 busy. The in-use probe made no connection: a
	 * stream probe of a seqpacket socket is refused by type, which
	 * already says somebody listens.
	 */
	for (int i = 0; i < 200 && __atomic_load_n(&srv.refusals, __ATOMIC_RELAXED) < 4; i++)
		usleep(10000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	CHECK_EQ(srv.attaches, 2);
	CHECK_EQ(srv.refusals, 4);
	test_event_loop_greeting(path);
	dpsr_server_close(&srv);
	dpsr_region_destroy(&mem);
	CHECK(access(path, F_OK) != 0);		/* the socket file is gone */
	CHECK_EQ(test_open_fds(), before);
	return test_report();
}
