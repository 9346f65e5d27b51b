/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QEMU's ivshmem server protocol, as dpsr speaks it (lib/dpsr/dpsr_ivshmem.h):
 * a client on the other end of a stream socketpair reads what QEMU's
 * ivshmem-doorbell device reads, in QEMU's order, and the fds it gets ring
 * the right doorbells both ways. No QEMU, no DPDK.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_common.h"
#include "dpsr/dpsr_bell.h"
#include "dpsr/dpsr_ctl.h"
#include "dpsr/dpsr_ivshmem.h"

#define VECTORS 2
#define GUEST_ID 7

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Expect @p want, with an fd or without; the fd received, or -1. */
static int
expect(int sock, int64_t want, bool with_fd)
{
	int64_t msg = INT64_MIN;
	int fd = -1;

	CHECK_EQ(dpsr_ivshmem_recv(sock, &msg, &fd, 1000), 0);
	CHECK_EQ(msg, want);
	CHECK_EQ(fd >= 0, with_fd);
	return fd;
}

static void
test_greeting(void)
{
	int sv[2], sw_rd[VECTORS], sw_wr[VECTORS], gu_rd[VECTORS], gu_wr[VECTORS];
	int got_sw[VECTORS], got_gu[VECTORS], region, shm;
	struct stat st;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	region = memfd_create("ivshmem-test", MFD_CLOEXEC);
	CHECK_EQ(ftruncate(region, 1 << 20), 0);
	for (int v = 0; v < VECTORS; v++) {
		CHECK_EQ(dpsr_bell_create(&sw_rd[v], &sw_wr[v]), 0);
		CHECK_EQ(dpsr_bell_create(&gu_rd[v], &gu_wr[v]), 0);
	}
	struct dpsr_ivshmem_greeting g = {
		.client_id = GUEST_ID, .region_fd = region,
		.to_switch = sw_wr, .nb_to_switch = VECTORS,
		.to_guest = gu_rd, .nb_to_guest = VECTORS,
	};
	CHECK_EQ(dpsr_ivshmem_greet(sv[0], &g), 0);

	/* What QEMU's ivshmem_recv_setup() reads, in its order. */
	expect(sv[1], DPSR_IVSHMEM_VERSION, false);
	expect(sv[1], GUEST_ID, false);
	shm = expect(sv[1], -1, true);
	CHECK(shm >= 0 && fstat(shm, &st) == 0 && st.st_size == 1 << 20);
	for (int v = 0; v < VECTORS; v++)
		got_sw[v] = expect(sv[1], DPSR_IVSHMEM_SWITCH_ID, true);
	for (int v = 0; v < VECTORS; v++)
		got_gu[v] = expect(sv[1], GUEST_ID, true);

	/* The guest rings vector 1 of the switch as QEMU does: 8 bytes. */
	uint64_t one = 1;
	CHECK_EQ(write(got_sw[1], &one, sizeof(one)), (long)sizeof(one));
	CHECK(readable(sw_rd[1]) && !readable(sw_rd[0]));
	dpsr_bell_drain(sw_rd[1]);
	CHECK(!readable(sw_rd[1]));
	/* The switch rings the guest's vector 0: QEMU's handler sees it. */
	CHECK(dpsr_bell_ring(gu_wr[0]));
	CHECK(readable(got_gu[0]) && !readable(got_gu[1]));

	/* A client that leaves: the switch's next message fails, no SIGPIPE. */
	close(sv[1]);
	CHECK(dpsr_ivshmem_send(sv[0], GUEST_ID, -1) != 0);

	close(sv[0]);
	close(region);
	close(shm);
	for (int v = 0; v < VECTORS; v++) {
		close(sw_rd[v]); close(sw_wr[v]); close(gu_rd[v]); close(gu_wr[v]);
		close(got_sw[v]); close(got_gu[v]);
	}
}

static void
test_refused_greetings(void)
{
	int sv[2], fd = 0;
	struct dpsr_ivshmem_greeting g = { .client_id = DPSR_IVSHMEM_SWITCH_ID, .region_fd = 0 };

	/* (fd 0 stands for a region in the checks made before its size.) */
	int64_t msg;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* The switch's own ID, no region, too many vectors: nothing sent. */
	CHECK_EQ(dpsr_ivshmem_greet(sv[0], &g), -EINVAL);
	g.client_id = 1;
	g.region_fd = -1;
	CHECK_EQ(dpsr_ivshmem_greet(sv[0], &g), -EINVAL);
	/* A BAR of 3 MB: QEMU would abort on it. */
	g.region_fd = memfd_create("ivshmem-test", MFD_CLOEXEC);
	CHECK_EQ(ftruncate(g.region_fd, 3 << 20), 0);
	CHECK_EQ(dpsr_ivshmem_greet(sv[0], &g), -EINVAL);
	CHECK_EQ(ftruncate(g.region_fd, 4 << 20), 0);
	g.nb_to_guest = DPSR_IVSHMEM_VECTORS_MAX + 1;
	CHECK_EQ(dpsr_ivshmem_greet(sv[0], &g), -EINVAL);
	close(g.region_fd);
	CHECK_EQ(dpsr_ivshmem_recv(sv[1], &msg, &fd, 0), -ETIMEDOUT);
	CHECK_EQ(fd, -1);
	/* A message with two fds is not the protocol's: refused, both closed. */
	int two[2] = { 0, 1 };
	uint64_t le = 3;
	CHECK_EQ(dpsr_msg_send(sv[0], &le, sizeof(le), two, 2), 0);
	CHECK_EQ(dpsr_ivshmem_recv(sv[1], &msg, &fd, 1000), -EPROTO);
	CHECK_EQ(fd, -1);
	close(sv[0]);
	CHECK_EQ(dpsr_ivshmem_recv(sv[1], &msg, &fd, 1000), -ECONNRESET);
	close(sv[1]);
}

int
main(void)
{
	int before = test_open_fds();

	test_greeting();
	test_refused_greetings();
	CHECK_EQ(test_open_fds(), before);
	return test_report();
}
