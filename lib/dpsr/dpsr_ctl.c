/* SPDX-License-Identifier: BSD-3-Clause */
/* dpsr: the attach messages (see dpsr_ctl.h). */
#include "dpsr_ctl.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
fail(const char **why, const char *what, int rc)
{
	if (why != NULL)
		*why = what;
	return rc;
}

int
dpsr_msg_send(int sock, const void *msg, size_t len, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * DPSR_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > DPSR_FDS_MAX)
		return -E2BIG;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Close every fd a control message carried. */
static void
close_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

int
dpsr_msg_recv(int sock, void *msg, size_t len, int *fds, unsigned int max_fds,
	      unsigned int *nfds, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * DPSR_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	unsigned int got = 0;
	ssize_t n;
	int rc;

	*nfds = 0;
	do {
		rc = poll(&pfd, 1, timeout_ms);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	if (rc == 0)
		return -ETIMEDOUT;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		close_fds(&mh);
		return -EMSGSIZE;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (got + k > max_fds) {
			close_fds(&mh);
			for (unsigned int i = 0; i < got; i++)
				close(fds[i]);
			return -EMSGSIZE;
		}
		memcpy(fds + got, CMSG_DATA(c), k * sizeof(int));
		got += (unsigned int)k;
	}
	*nfds = got;
	return (int)n;
}

int
dpsr_hello_init(struct dpsr_hello *h, uint32_t nb_qpairs, const char *secret)
{
	memset(h, 0, sizeof(*h));
	h->magic = DPSR_MAGIC;
	h->version = DPSR_VERSION;
	h->size = sizeof(*h);
	h->nb_qpairs = nb_qpairs;
	if (secret != NULL) {
		size_t n = strlen(secret);

		if (n > DPSR_SECRET_MAX)
			return -E2BIG;
		memcpy(h->secret, secret, n);
	}
	return 0;
}

/* Compare all DPSR_SECRET_MAX bytes whatever they hold: no timing leak. */
static int
secret_differs(const char *a, const char *b)
{
	unsigned char d = 0;

	for (size_t i = 0; i < DPSR_SECRET_MAX; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d != 0;
}

int
dpsr_hello_check(const struct dpsr_hello *h, size_t got, const char *secret,
		 const char **why)
{
	char want[DPSR_SECRET_MAX] = { 0 };

	if (got != sizeof(*h) || h->magic != DPSR_MAGIC || h->size != sizeof(*h))
		return fail(why, "not a dpsr hello", -EPROTO);
	if (h->version != DPSR_VERSION)
		return fail(why, "unsupported protocol version", -EPROTO);
	if (h->features & ~DPSR_F_KNOWN)
		return fail(why, "unknown features requested", -EPROTO);
	if (h->nb_qpairs > 64)
		return fail(why, "too many queue pairs requested", -EPROTO);
	if (secret != NULL)
		memcpy(want, secret, strnlen(secret, sizeof(want)));
	if (secret_differs(h->secret, want))
		return fail(why, "wrong secret", -EACCES);
	return 0;
}

int
dpsr_welcome_check(const struct dpsr_welcome *w, size_t got, unsigned int nfds,
		   const char **why)
{
	if (got != sizeof(*w) || w->magic != DPSR_MAGIC || w->size != sizeof(*w))
		return fail(why, "not a dpsr welcome", -EPROTO);
	if (w->version != DPSR_VERSION)
		return fail(why, "unsupported protocol version", -EPROTO);
	if (w->status != 0)
		return fail(why, "refused by the switch (see its reason)",
			    w->status < 0 && w->status > -4096 ? w->status : -EPROTO);
	if (w->features & ~DPSR_F_KNOWN)
		return fail(why, "unknown features granted", -EPROTO);
	if (w->nb_qpairs == 0 || w->nb_qpairs > 64 ||
	    w->nb_fds != 1 + DPSR_DB_PER_QPAIR * w->nb_qpairs || nfds != w->nb_fds)
		return fail(why, "wrong number of queue pairs or descriptors", -EPROTO);
	return 0;
}
