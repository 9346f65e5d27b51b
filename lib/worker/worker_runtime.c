/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker runtime: setting workers up and tearing them down, publishing
 * configurations (draft, commit, acknowledgement: worker.h), rx modes and
 * the figures `lcore show` and `port stats` read.
 */
#include "worker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "common/dps_log.h"
#include "worker_park.h"
#include "worker_priv.h"

struct worker_runtime worker_rt;

rte_spinlock_t dps_txq_lock[DPS_MAX_PORTS][DPS_MAX_WORKERS];

static void
workers_free(void)
{
	for (unsigned int i = 0; worker_rt.w != NULL && i < worker_rt.nb; i++)
		park_fini(&worker_rt.w[i].park);
	rte_free(worker_rt.w);
	rte_free(worker_rt.live);
	free(worker_rt.draft);
	worker_rt.w = NULL;
	worker_rt.live = NULL;
	worker_rt.draft = NULL;
}

int
dps_workers_init(struct rte_mempool *pool, struct l2_table *tbl)
{
	unsigned int lcore, i = 0;
	int rc;

	worker_rt.nb = rte_lcore_count() - 1;
	if (worker_rt.nb == 0)
		return -ENODEV;
	if (worker_rt.nb > DPS_MAX_WORKERS)
		worker_rt.nb = DPS_MAX_WORKERS;
	worker_rt.pool = pool;
	worker_rt.tbl = tbl;
	worker_rt.tsc_hz = rte_get_tsc_hz();
	worker_rt.epoch_tsc = rte_rdtsc();
	worker_rt.w = rte_zmalloc("dps_workers", worker_rt.nb * sizeof(*worker_rt.w), RTE_CACHE_LINE_SIZE);
	worker_rt.live = rte_zmalloc("dps_dp_live", sizeof(*worker_rt.live), RTE_CACHE_LINE_SIZE);
	worker_rt.draft = calloc(1, sizeof(*worker_rt.draft));
	if (worker_rt.w == NULL || worker_rt.live == NULL || worker_rt.draft == NULL) {
		workers_free();
		return -ENOMEM;
	}
	for (i = 0; i < worker_rt.nb; i++)
		worker_rt.w[i].park.epfd = worker_rt.w[i].park.ctl_fd = worker_rt.w[i].park.timer_fd =
			worker_rt.w[i].park.sched_fd = -1;
	for (i = 0; i < worker_rt.nb; i++) {
		worker_gso_init(&worker_rt.w[i], pool);
		rc = park_init(&worker_rt.w[i].park);
		if (rc != 0) {
			workers_free();
			return rc;
		}
	}
	fwd_config_init(&worker_rt.draft->fwd);
	worker_rt.draft->burst = DPS_BURST_DEFAULT;
	worker_rt.draft->park_polls = DPS_PARK_POLLS_DEFAULT;
	worker_rt.draft->spin_polls = DPS_SPIN_POLLS_DEFAULT;
	worker_rt.draft->sleep_max_us = DPS_SLEEP_MAX_US_DEFAULT;
	fwd_config_finish(&worker_rt.draft->fwd);
	/* Generation 1: workers (at 0) adopt it when they start. */
	worker_rt.draft->gen = worker_rt.gen = 1;
	memcpy(worker_rt.live, worker_rt.draft, sizeof(*worker_rt.live));
	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == worker_rt.nb)
			break;
		worker_rt.w[i].lcore_id = lcore;
		worker_rt.w[i].index = i;
		i++;
	}
	for (unsigned int p = 0; p < DPS_MAX_PORTS; p++)
		for (unsigned int q = 0; q < DPS_MAX_WORKERS; q++)
			rte_spinlock_init(&dps_txq_lock[p][q]);
	return 0;
}

int
dps_workers_start(void)
{
	worker_rt.stop = false;
	for (unsigned int i = 0; i < worker_rt.nb; i++) {
		int rc = rte_eal_remote_launch(worker_main, &worker_rt.w[i], worker_rt.w[i].lcore_id);

		if (rc != 0)
			return rc;
	}
	worker_rt.running = true;
	return 0;
}

void
dps_workers_wake(void)
{
	/* Pairs with park_arm()'s fence: see worker_park.h. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < worker_rt.nb; i++)
		park_wake(&worker_rt.w[i].park);
}

void
dps_workers_stop(void)
{
	if (!worker_rt.running)
		return;
	worker_rt.stop = true;
	dps_workers_wake();
	for (unsigned int i = 0; i < worker_rt.nb; i++)
		rte_eal_wait_lcore(worker_rt.w[i].lcore_id);
	worker_rt.running = false;
}

unsigned int
dps_worker_count(void)
{
	return worker_rt.nb;
}

int
dps_worker_of_lcore(unsigned int lcore_id)
{
	for (unsigned int i = 0; i < worker_rt.nb; i++)
		if (worker_rt.w[i].lcore_id == lcore_id)
			return (int)i;
	return -ENOENT;
}

static const char *const rx_mode_names[] = {
	[DPS_RX_ADAPTIVE] = "adaptive",
	[DPS_RX_INTERRUPT] = "interrupt",
	[DPS_RX_POLL] = "poll",
};

const char *
dps_rx_mode_name(enum dps_rx_mode m)
{
	return (unsigned int)m < RTE_DIM(rx_mode_names) ? rx_mode_names[m] : "?";
}

int
dps_rx_mode_parse(const char *s, enum dps_rx_mode *m)
{
	for (unsigned int i = 0; i < RTE_DIM(rx_mode_names); i++) {
		if (strcmp(s, rx_mode_names[i]) == 0) {
			*m = (enum dps_rx_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

int
dps_workers_set_mode(int64_t lcore, enum dps_rx_mode m, struct dps_err *err)
{
	int w = -1;

	if (lcore >= 0) {
		w = lcore <= UINT32_MAX ? dps_worker_of_lcore((unsigned int)lcore) : -ENOENT;
		if (w < 0)
			return dps_err_set(err, -ENOENT,
				"lcore %" PRId64 " is not a worker (see 'lcore show')", lcore);
	}
	for (unsigned int i = 0; i < worker_rt.nb; i++)
		if (w < 0 || (unsigned int)w == i)
			worker_rt.draft->rx_mode[i] = (uint8_t)m;
	return dps_dp_commit();
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

int
dps_worker_info(unsigned int idx, struct dps_worker_info *info)
{
	const struct dps_worker *w;
	const struct park_state *ps;

	if (idx >= worker_rt.nb)
		return -ENOENT;
	w = &worker_rt.w[idx];
	ps = &w->park;
	memset(info, 0, sizeof(*info));
	info->lcore_id = w->lcore_id;
	info->mode = (enum dps_rx_mode)worker_rt.draft->rx_mode[idx];
	info->asleep = LOAD(ps->parked) != 0;
	/* Queues that cannot wake it: by their ports, or failed to register. */
	for (uint16_t i = 0; i < worker_rt.draft->nb_rxq[idx]; i++) {
		if (worker_rt.draft->rxq[idx][i].intr)
			continue;
		if (info->nb_timed_rxq++ == 0)
			info->timed_rxq = worker_rt.draft->rxq[idx][i];
	}
	if (LOAD(ps->nb_timed) > info->nb_timed_rxq) {
		info->nb_timed_rxq = LOAD(ps->nb_timed);
		info->timed_rxq = ps->timed_first;
	}
	info->tsc_hz = worker_rt.tsc_hz;
	info->busy_cycles = LOAD(w->busy_cycles);
	info->idle_cycles = LOAD(w->idle_cycles);
	info->sleep_cycles = LOAD(ps->sleep_cycles);
	info->loops = LOAD(w->loops);
	info->sleeps = LOAD(ps->sleeps);
	for (unsigned int i = 0; i < DPS_WAKE_SOURCES; i++)
		info->wakeups[i] = LOAD(ps->wakeups[i]);
	for (unsigned int i = 0; i < DPS_WAKE_HIST_BUCKETS; i++)
		info->wake_hist[i] = LOAD(ps->wake_hist[i]);
	for (unsigned int p = 0; p < DPS_MAX_PORTS; p++)
		info->rx_pkts += LOAD(w->ctr[p].rx_pkts);
	return 0;
}

struct dps_dp_config *
dps_dp_draft(void)
{
	return worker_rt.draft;
}

/* Wait until every worker runs by generation @p gen. */
static void
workers_wait_ack(uint64_t gen)
{
	for (unsigned int i = 0; i < worker_rt.nb; i++) {
		uint64_t spins = 0;

		while (__atomic_load_n(&worker_rt.w[i].gen_ack, __ATOMIC_ACQUIRE) < gen) {
			rte_pause();
			/* Belt and braces: a wake-up is cheap, a hang is not. */
			if (++spins % (1u << 20) == 0) {
				DPS_LOG(worker, DEBUG, "worker %u is late; waking it", i);
				dps_workers_wake();
			}
		}
	}
}

int
dps_dp_commit(void)
{
	struct dps_dp_config *next, *old;

	next = rte_malloc("dps_dp_live", sizeof(*next), RTE_CACHE_LINE_SIZE);
	if (next == NULL)
		return -ENOMEM;
	fwd_config_finish(&worker_rt.draft->fwd);
	worker_rt.draft->gen = worker_rt.gen + 1;
	memcpy(next, worker_rt.draft, sizeof(*next));
	old = __atomic_exchange_n(&worker_rt.live, next, __ATOMIC_SEQ_CST);
	__atomic_store_n(&worker_rt.gen, next->gen, __ATOMIC_SEQ_CST);
	/* Workers that are not running hold no reference. */
	if (worker_rt.running) {
		dps_workers_wake();
		workers_wait_ack(next->gen);
	}
	rte_free(old);
	return 0;
}

void
dps_port_counters_sum(uint16_t port, struct dps_port_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (port >= DPS_MAX_PORTS)
		return;
	for (unsigned int i = 0; i < worker_rt.nb; i++) {
		const uint64_t *src = (const uint64_t *)&worker_rt.w[i].ctr[port];
		uint64_t *dst = (uint64_t *)out;

		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}
