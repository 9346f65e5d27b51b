/* SPDX-License-Identifier: BSD-3-Clause */
#include "dpsr_ivshmem.h"

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpsr_ctl.h"

int
dpsr_ivshmem_send(int sock, int64_t msg, int fd)
{
	uint64_t le = htole64((uint64_t)msg);

	return dpsr_msg_send(sock, &le, sizeof(le), fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);
}

/* @p id once per fd, each message carrying one: a peer's vectors in order. */
static int
send_vectors(int sock, uint16_t id, const int *fds, unsigned int n)
{
	for (unsigned int v = 0; v < n; v++) {
		int rc = dpsr_ivshmem_send(sock, id, fds[v]);

		if (rc != 0)
			return rc;
	}
	return 0;
}

int
dpsr_ivshmem_greet(int sock, const struct dpsr_ivshmem_greeting *g)
{
	struct stat st;
	int rc;

	if (g->client_id == DPSR_IVSHMEM_SWITCH_ID || g->region_fd < 0 ||
	    g->nb_to_switch > DPSR_IVSHMEM_VECTORS_MAX || g->nb_to_guest > DPSR_IVSHMEM_VECTORS_MAX)
		return -EINVAL;
	/*
	 * BAR2 is the region, and a PCI BAR's size is a power of two: QEMU
	 * asserts it and aborts the guest otherwise (seen with QEMU 7.2).
	 */
	if (fstat(g->region_fd, &st) != 0)
		return -errno;
	if (st.st_size <= 0 || (st.st_size & (st.st_size - 1)) != 0)
		return -EINVAL;
	rc = dpsr_ivshmem_send(sock, DPSR_IVSHMEM_VERSION, -1);
	if (rc == 0)
		rc = dpsr_ivshmem_send(sock, g->client_id, -1);
	if (rc == 0)
		rc = dpsr_ivshmem_send(sock, -1, g->region_fd);
	if (rc == 0)
		rc = send_vectors(sock, DPSR_IVSHMEM_SWITCH_ID, g->to_switch, g->nb_to_switch);
	/* The guest's own ID comes last: QEMU's setup waits for it. */
	if (rc == 0)
		rc = send_vectors(sock, g->client_id, g->to_guest, g->nb_to_guest);
	return rc;
}

int
dpsr_ivshmem_refuse(int sock, int status)
{
	return dpsr_ivshmem_send(sock, status < 0 ? status : -EPROTO, -1);
}

int
dpsr_ivshmem_recv(int sock, int64_t *msg, int *fd, int timeout_ms)
{
	int fds[DPSR_FDS_MAX];
	unsigned int nfds = 0;
	uint64_t le;
	int n = dpsr_msg_recv(sock, &le, sizeof(le), fds, DPSR_FDS_MAX, &nfds, timeout_ms);

	*fd = -1;
	if (n < 0)
		return n;
	if ((size_t)n != sizeof(le) || nfds > 1) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	*msg = (int64_t)le64toh(le);
	if (nfds == 1)
		*fd = fds[0];
	return 0;
}
