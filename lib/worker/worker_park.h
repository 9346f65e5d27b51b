/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parking (private to lib/worker): how an idle worker sleeps without
 * stranding a packet, ptnetmap's "proper signalling" on DPDK rx interrupts.
 *
 *   1. arm: enable rx interrupts on every queue the worker polls (vhost
 *      asks the guest to kick, a NIC unmasks its vector), then a full
 *      fence so that the enable is visible before the queues are read;
 *   2. poll every queue once more: a packet that arrived before the enable
 *      raised no interrupt, and this poll is what catches it;
 *   3. sleep in epoll on the queues' interrupt fds, the worker's control
 *      eventfd and, when some queue's driver has no rx interrupt, a timer
 *      that bounds the sleep (the fallback; its length doubles from 1 us up
 *      to sleep_max_us while the worker keeps finding nothing);
 *   4. on wake, disable the interrupts again (a busy worker wants no kicks)
 *      and go back to polling.
 *
 * The control thread wakes a parked worker through the control eventfd.
 * The worker raises `parked` and then re-reads the configuration; the
 * control thread publishes a configuration and then reads `parked`; with a
 * full fence on each side, one of them always sees the other (Dekker), so a
 * commit never waits on a sleeping worker.
 *
 * Queue interrupt fds are registered with the worker's epoll when the
 * worker first runs by a configuration, and removed when it moves to the
 * next, before it acknowledges that configuration: a port is only closed
 * after every worker has acknowledged the configuration without it.
 */
#ifndef DPS_WORKER_PARK_H
#define DPS_WORKER_PARK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_interrupts.h>

#include "worker.h"

struct park_state {
	int epfd;
	int ctl_fd;			/* eventfd: control-plane wake-ups */
	int timer_fd;			/* timerfd: bounded sleep */
	int sched_fd;			/* this thread's schedstat, or -1 */
	struct rte_epoll_event ctl_ev;
	struct rte_epoll_event timer_ev;
	uint32_t parked;		/* read by the control thread */
	uint32_t empty_polls;		/* consecutive polls that found nothing */
	uint32_t sleep_us;		/* next timed sleep; 0 = start of the ramp */
	uint64_t sleep_tsc;		/* when it blocked */
	uint64_t wake_tsc;		/* when it returned */
	uint64_t run_delay_ns;		/* schedstat before blocking */
	uint16_t nb_reg;		/* queues registered with epfd */
	uint16_t nb_timed;		/* queues without an rx interrupt */
	struct dps_rxq_ref timed_first;
	struct dps_rxq_ref reg[DPS_MAX_RXQ_PER_WORKER];
	/* statistics, read by the control thread */
	uint64_t sleep_cycles;
	uint64_t sleeps;
	uint64_t wakeups[DPS_WAKE_SOURCES];
	uint64_t wake_hist[DPS_WAKE_HIST_BUCKETS];
};

struct dps_worker;

/** Create the worker's epoll, eventfd and timerfd; control thread. */
int park_init(struct park_state *ps);
void park_fini(struct park_state *ps);

/** Per-thread set-up, on the worker's own thread. */
void park_thread_start(struct park_state *ps);

/** Register the queues of @p cfg in place of the previous ones. */
void park_sync(struct park_state *ps, const struct dps_dp_config *cfg,
	       unsigned int widx);

/** Unregister every queue (the worker stops). */
void park_release(struct park_state *ps);

/** Empty polls after which a worker in @p mode parks. */
static inline uint32_t
park_threshold(const struct dps_dp_config *cfg, unsigned int widx)
{
	switch (cfg->rx_mode[widx]) {
	case DPS_RX_ADAPTIVE:
		return cfg->park_polls;
	case DPS_RX_INTERRUPT:
		return cfg->spin_polls;
	default:
		return UINT32_MAX;
	}
}

/** Step 1: raise `parked`, enable interrupts, fence. */
void park_arm(struct park_state *ps);

/**
 * Step 3: block until a queue interrupt, a control wake-up or the timer.
 * The caller checks, after park_arm(), that there is no reason to stay up.
 */
void park_sleep(struct park_state *ps, uint32_t sleep_max_us);

/** Step 4: disable interrupts, lower `parked`; account the sleep if there was one. */
void park_disarm(struct park_state *ps, bool slept, uint64_t tsc_hz);

/** Control thread: wake the worker if it is parked. */
void park_wake(struct park_state *ps);

#endif /* DPS_WORKER_PARK_H */
