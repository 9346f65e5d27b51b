/* SPDX-License-Identifier: BSD-3-Clause */
/* dpsr doorbells (see dpsr_bell.h). */
#include "dpsr_bell.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int
dpsr_bell_create(int *rd, int *wr)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return -errno;
	*rd = p[0];
	*wr = p[1];
	return 0;
}

int
dpsr_bell_hold_reader(int wr)
{
	char path[64];
	int fd;

	/* Opening a pipe end through /proc opens the pipe anew, here for reading. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", wr);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

bool
dpsr_bell_ring(int wr)
{
	const uint8_t one = 1;

	return write(wr, &one, 1) == 1;
}

void
dpsr_bell_drain(int rd)
{
	uint8_t buf[256];

	/* Bounded: a ringer that keeps writing cannot keep us here. */
	for (int i = 0; i < 16; i++)
		if (read(rd, buf, sizeof(buf)) < (ssize_t)sizeof(buf))
			return;
}

int
dpsr_waiter_open(struct dpsr_waiter *w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int rc;

	w->bell = -1;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->self = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.fd = w->self;
	if (w->ep < 0 || w->self < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, w->self, &ev) != 0) {
		rc = -errno;
		dpsr_waiter_close(w);
		return rc;
	}
	return 0;
}

int
dpsr_waiter_attach(struct dpsr_waiter *w, int rd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = rd };

	dpsr_waiter_detach(w);
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, rd, &ev) != 0)
		return -errno;
	__atomic_store_n(&w->bell, rd, __ATOMIC_RELEASE);
	return 0;
}

void
dpsr_waiter_detach(struct dpsr_waiter *w)
{
	int bell = __atomic_exchange_n(&w->bell, -1, __ATOMIC_ACQ_REL);

	if (bell >= 0)
		epoll_ctl(w->ep, EPOLL_CTL_DEL, bell, NULL);
}

void
dpsr_waiter_close(struct dpsr_waiter *w)
{
	dpsr_waiter_detach(w);
	if (w->self >= 0)
		close(w->self);
	if (w->ep >= 0)
		close(w->ep);
	w->self = w->ep = -1;
}

void
dpsr_waiter_drain(struct dpsr_waiter *w)
{
	/* Another thread may detach it meanwhile; the fd stays open until its owner closes it. */
	int bell = __atomic_load_n(&w->bell, __ATOMIC_ACQUIRE);
	uint64_t v;

	if (bell >= 0)
		dpsr_bell_drain(bell);
	if (read(w->self, &v, sizeof(v)) < 0)
		return;		/* EAGAIN: it was not rung */
}

void
dpsr_waiter_ring_self(struct dpsr_waiter *w)
{
	const uint64_t one = 1;

	/* Cannot block: the eventfd is ours alone and non-blocking. */
	if (write(w->self, &one, sizeof(one)) != sizeof(one))
		return;		/* the counter is non-zero already */
}
