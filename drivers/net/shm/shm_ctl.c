/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread of shared-ring ports: one epoll loop that watches
 * every port's listening socket and its peer's connection, and calls the
 * port back when one is readable.
 *
 * Why not EAL's interrupt thread: a port closes a peer's connection from
 * inside that connection's callback and may accept the next peer on the
 * same fd number at once; EAL keys its sources by fd and removes a
 * callback that unregisters itself only later, so the new connection's
 * callback and the old one's removal get mixed up. Here a watch is a slot
 * with a generation, events carry both, and a stale event is skipped.
 *
 * Every callback runs under shm_ctl_lock, which the ports' control
 * operations (start, stop, close, info) take too: a port never changes
 * attach state while the control thread is changing it, and once
 * shm_ctl_unwatch() returns, the callback neither runs nor will run.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "shm_ctl.h"
#include "shm_log.h"

#define SHM_CTL_WATCHES 1024	/* per port: listen, peer, SHM_PENDING_MAX hellos */

struct shm_watch {
	int fd;				/* -1: free */
	uint32_t gen;
	void (*cb)(void *arg);
	void *arg;
};

static pthread_mutex_t shm_ctl_lock;
static pthread_once_t lock_once = PTHREAD_ONCE_INIT;

static struct {
	struct shm_watch w[SHM_CTL_WATCHES];
	unsigned int nb;
	int epfd;
	int wake_fd;
	bool running;
	bool stop;
	pthread_t thread;
} ctl = { .epfd = -1, .wake_fd = -1 };

static void
lock_init(void)
{
	pthread_mutexattr_t a;

	/* Recursive: a callback (holding it) watches and unwatches fds. */
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&shm_ctl_lock, &a);
	pthread_mutexattr_destroy(&a);
	for (unsigned int i = 0; i < SHM_CTL_WATCHES; i++)
		ctl.w[i].fd = -1;
}

void
shm_ctl_lock_take(void)
{
	pthread_once(&lock_once, lock_init);
	pthread_mutex_lock(&shm_ctl_lock);
}

void
shm_ctl_lock_release(void)
{
	pthread_mutex_unlock(&shm_ctl_lock);
}

static void
shm_ctl_dispatch(const struct epoll_event *ev)
{
	uint32_t slot = (uint32_t)(ev->data.u64 >> 32), gen = (uint32_t)ev->data.u64;
	struct shm_watch *w;

	if (slot >= SHM_CTL_WATCHES)
		return;
	w = &ctl.w[slot];
	/* Unwatched (or reused) since epoll reported it: not for us. */
	if (w->fd >= 0 && w->gen == gen)
		w->cb(w->arg);
}

static void *
shm_ctl_loop(void *arg __rte_unused)
{
	struct epoll_event evs[16];

	for (;;) {
		int n = epoll_wait(ctl.epfd, evs, RTE_DIM(evs), -1);

		shm_ctl_lock_take();
		if (ctl.stop) {
			shm_ctl_lock_release();
			return NULL;
		}
		for (int i = 0; i < n; i++)
			if (evs[i].data.u64 != UINT64_MAX)
				shm_ctl_dispatch(&evs[i]);
		shm_ctl_lock_release();
	}
}

static int
shm_ctl_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };

	ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
	ctl.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctl.epfd < 0 || ctl.wake_fd < 0 ||
	    epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.wake_fd, &ev) != 0)
		goto fail;
	ctl.stop = false;
	if (rte_ctrl_thread_create(&ctl.thread, "dps-shm-ctl", NULL, shm_ctl_loop, NULL) != 0)
		goto fail;
	ctl.running = true;
	return 0;
fail:
	if (ctl.epfd >= 0)
		close(ctl.epfd);
	if (ctl.wake_fd >= 0)
		close(ctl.wake_fd);
	ctl.epfd = ctl.wake_fd = -1;
	return -ENOMEM;
}

int
shm_ctl_watch(int fd, void (*cb)(void *arg), void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	int rc = -ENOSPC;

	shm_ctl_lock_take();
	if (!ctl.running && (rc = shm_ctl_start()) != 0)
		goto out;
	rc = -ENOSPC;
	for (uint32_t i = 0; i < SHM_CTL_WATCHES; i++) {
		struct shm_watch *w = &ctl.w[i];

		if (w->fd >= 0)
			continue;
		w->gen++;
		ev.data.u64 = (uint64_t)i << 32 | w->gen;
		if (epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			rc = -errno;
			break;
		}
		*w = (struct shm_watch){ .fd = fd, .gen = w->gen, .cb = cb, .arg = arg };
		ctl.nb++;
		rc = 0;
		break;
	}
out:
	shm_ctl_lock_release();
	return rc;
}

void
shm_ctl_unwatch(int fd)
{
	shm_ctl_lock_take();
	for (uint32_t i = 0; i < SHM_CTL_WATCHES; i++) {
		if (ctl.w[i].fd != fd)
			continue;
		epoll_ctl(ctl.epfd, EPOLL_CTL_DEL, fd, NULL);
		ctl.w[i].fd = -1;
		ctl.nb--;
		break;
	}
	shm_ctl_lock_release();
}

void
shm_ctl_stop_if_idle(void)
{
	uint64_t one = 1;
	bool join = false;

	shm_ctl_lock_take();
	if (ctl.running && ctl.nb == 0) {
		ctl.stop = true;
		ctl.running = false;
		join = true;
		if (write(ctl.wake_fd, &one, sizeof(one)) != sizeof(one))
			SHM_LOG(WARNING, "cannot wake the shm control thread");
	}
	shm_ctl_lock_release();
	if (!join)
		return;
	pthread_join(ctl.thread, NULL);
	close(ctl.epfd);
	close(ctl.wake_fd);
	ctl.epfd = ctl.wake_fd = -1;
}
