/* SPDX-License-Identifier: BSD-3-Clause */
/* Parking: see worker_park.h for the protocol. */
#include "worker_park.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "common/dps_log.h"


/* What an epoll event stands for (its data pointer). */
#define TAG_RX ((void *)(uintptr_t)1)
#define TAG_CONTROL ((void *)(uintptr_t)2)
#define TAG_TIMER ((void *)(uintptr_t)3)

#define PARK_MAX_EVENTS 16

static int
park_add_fd(struct park_state *ps, int fd, struct rte_epoll_event *ev, void *tag)
{
	memset(ev, 0, sizeof(*ev));
	ev->epdata.event = EPOLLIN;
	ev->epdata.data = tag;
	return rte_epoll_ctl(ps->epfd, EPOLL_CTL_ADD, fd, ev) == 0 ? 0 : -errno;
}

int
park_init(struct park_state *ps)
{
	int rc;

	memset(ps, 0, sizeof(*ps));
	ps->sched_fd = -1;
	ps->epfd = epoll_create1(EPOLL_CLOEXEC);
	ps->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ps->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ps->epfd < 0 || ps->ctl_fd < 0 || ps->timer_fd < 0) {
		rc = -errno;
		park_fini(ps);
		return rc;
	}
	rc = park_add_fd(ps, ps->ctl_fd, &ps->ctl_ev, TAG_CONTROL);
	if (rc == 0)
		rc = park_add_fd(ps, ps->timer_fd, &ps->timer_ev, TAG_TIMER);
	if (rc != 0)
		park_fini(ps);
	return rc;
}

void
park_fini(struct park_state *ps)
{
	if (ps->epfd >= 0)
		close(ps->epfd);
	if (ps->ctl_fd >= 0)
		close(ps->ctl_fd);
	if (ps->timer_fd >= 0)
		close(ps->timer_fd);
	if (ps->sched_fd >= 0)
		close(ps->sched_fd);
	ps->epfd = ps->ctl_fd = ps->timer_fd = ps->sched_fd = -1;
}

void
park_thread_start(struct park_state *ps)
{
	/*
	 * The kernel may defer a sleeping thread's timer by its slack (50 us
	 * by default), which would stretch the short sleeps at the start of
	 * the ramp; this thread wants them as asked.
	 */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) != 0)
		DPS_LOG(worker, DEBUG, "timer slack unchanged: %s", strerror(errno));
	/* The kernel's count of how long this thread waited to run. */
	ps->sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
}

/* Nanoseconds this thread has spent runnable but not running. */
static uint64_t
park_run_delay_ns(const struct park_state *ps)
{
	char buf[96];
	unsigned long long on_cpu, delay = 0;
	ssize_t n;

	if (ps->sched_fd < 0)
		return 0;
	n = pread(ps->sched_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &on_cpu, &delay) != 2)
		return 0;
	return delay;
}

void
park_release(struct park_state *ps)
{
	for (uint16_t i = 0; i < ps->nb_reg; i++)
		rte_eth_dev_rx_intr_ctl_q(ps->reg[i].port, ps->reg[i].queue, ps->epfd,
					  RTE_INTR_EVENT_DEL, NULL);
	ps->nb_reg = 0;
}

/*
 * A queue whose interrupt fd also raises a signal (net_tap: O_ASYNC, an
 * rt-signal per frame) must have that signal handled by this thread. The
 * tap driver reads a queue only after its signal handler has bumped a
 * trigger; with the signal sent to the process, another thread may run
 * the handler after this one woke from epoll, polled, found nothing and
 * slept again: a lost wake-up. A signal sent to this thread is handled
 * before epoll_wait() returns to it.
 */
static void
park_own_signal(uint16_t port, uint16_t queue)
{
	struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = gettid() };
	int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port, queue);
	int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;

	if (fl >= 0 && (fl & O_ASYNC) && fcntl(fd, F_SETOWN_EX, &owner) != 0)
		DPS_LOG(worker, WARNING, "port %u queue %u: cannot direct its rx signal "
			"to this worker: %s", port, queue, strerror(errno));
}

void
park_sync(struct park_state *ps, const struct dps_dp_config *cfg, unsigned int widx)
{
	park_release(ps);
	ps->nb_timed = 0;
	if (cfg->rx_mode[widx] == DPS_RX_POLL)
		return;
	for (uint16_t i = 0; i < cfg->nb_rxq[widx]; i++) {
		const struct dps_rxq_ref *q = &cfg->rxq[widx][i];

		if (q->intr && rte_eth_dev_rx_intr_ctl_q(q->port, q->queue, ps->epfd,
					RTE_INTR_EVENT_ADD, TAG_RX) == 0) {
			park_own_signal(q->port, q->queue);
			ps->reg[ps->nb_reg++] = *q;
			continue;
		}
		/* Nothing will wake us for this queue: sleep bounded. */
		if (ps->nb_timed++ == 0)
			ps->timed_first = *q;
	}
}

static void
park_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		DPS_LOG(worker, DEBUG, "drain fd %d: %s", fd, strerror(errno));
}

void
park_arm(struct park_state *ps)
{
	struct rte_epoll_event ev[PARK_MAX_EVENTS];

	/*
	 * Throw away what the busy period left: interrupt edges for frames
	 * that were polled, and control wake-ups for configurations already
	 * adopted. This must come before the interrupts are enabled and the
	 * queues polled once more: an edge thrown away later could be the
	 * only announcement of a frame that the last poll missed.
	 */
	rte_epoll_wait(ps->epfd, ev, PARK_MAX_EVENTS, 0);
	park_drain(ps->ctl_fd);
	__atomic_store_n(&ps->parked, 1, __ATOMIC_RELAXED);
	for (uint16_t i = 0; i < ps->nb_reg; i++)
		/* -ENOTSUP: the fd signals by itself (tap). */
		rte_eth_dev_rx_intr_enable(ps->reg[i].port, ps->reg[i].queue);
	/*
	 * Store-load ordering: the enables (vhost's used-ring flag) and
	 * `parked` must be visible before the worker reads the queues and
	 * the configuration once more. x86 may otherwise let those loads pass
	 * the stores, and a packet posted in between would raise no interrupt.
	 */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void
park_timer_set(struct park_state *ps, uint32_t us)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = us / 1000000;
	its.it_value.tv_nsec = (long)(us % 1000000) * 1000;
	timerfd_settime(ps->timer_fd, 0, &its, NULL);
}

void
park_sleep(struct park_state *ps, uint32_t sleep_max_us)
{
	struct rte_epoll_event ev[PARK_MAX_EVENTS];
	bool timed = ps->nb_timed > 0, rx = false, control = false;
	uint32_t us = 0;
	int n;

	if (timed) {
		us = RTE_MIN(RTE_MAX(ps->sleep_us, 1u), sleep_max_us);
		ps->sleep_us = RTE_MIN(us * 2, sleep_max_us);
		park_timer_set(ps, us);
	}
	ps->run_delay_ns = park_run_delay_ns(ps);
	ps->sleep_tsc = rte_rdtsc();
	ps->sleeps++;
	n = rte_epoll_wait(ps->epfd, ev, PARK_MAX_EVENTS, -1);
	ps->wake_tsc = rte_rdtsc();
	for (int i = 0; i < n; i++) {
		if (ev[i].epdata.data == TAG_RX)
			rx = true;
		else if (ev[i].epdata.data == TAG_CONTROL)
			control = true;
	}
	if (control)
		park_drain(ps->ctl_fd);
	if (timed) {
		park_drain(ps->timer_fd);
		if (rx || control)
			park_timer_set(ps, 0);	/* disarm */
	}
	ps->wakeups[rx ? DPS_WAKE_RX : control ? DPS_WAKE_CONTROL : DPS_WAKE_TIMER]++;
}

static unsigned int
park_hist_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int b;

	if (us == 0)
		return 0;
	b = 64 - (unsigned int)__builtin_clzll(us);
	return RTE_MIN(b, DPS_WAKE_HIST_BUCKETS - 1u);
}

void
park_disarm(struct park_state *ps, bool slept, uint64_t tsc_hz)
{
	uint64_t ns;

	for (uint16_t i = 0; i < ps->nb_reg; i++)
		rte_eth_dev_rx_intr_disable(ps->reg[i].port, ps->reg[i].queue);
	__atomic_store_n(&ps->parked, 0, __ATOMIC_RELAXED);
	if (!slept)
		return;
	ps->sleep_cycles += ps->wake_tsc - ps->sleep_tsc;
	/*
	 * Wake latency: from the wake-up signal to polling again, that is
	 * the time the kernel kept this thread runnable but not running
	 * (schedstat's run_delay over the sleep), plus the disarming above.
	 */
	ns = (rte_rdtsc() - ps->wake_tsc) * UINT64_C(1000000000) / tsc_hz;
	if (ps->sched_fd >= 0) {
		uint64_t delay = park_run_delay_ns(ps);

		if (delay > ps->run_delay_ns)
			ns += delay - ps->run_delay_ns;
	}
	ps->wake_hist[park_hist_bucket(ns)]++;
}

void
park_wake(struct park_state *ps)
{
	uint64_t one = 1;

	if (__atomic_load_n(&ps->parked, __ATOMIC_RELAXED) == 0)
		return;
	if (write(ps->ctl_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		DPS_LOG(worker, WARNING, "cannot wake a parked worker: %s",
			strerror(errno));
}
