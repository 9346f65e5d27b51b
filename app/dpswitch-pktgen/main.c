/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpswitch-pktgen: a traffic generator, sink, pinger and reflector for
 * DPDK ports, in the spirit of netmap's pkt-gen and testpmd's txonly and
 * rxonly. One lcore does all the work; see docs/pktgen.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "pg.h"

#define PG_EXIT_ERROR 1
#define PG_EXIT_USAGE 2

volatile sig_atomic_t pg_quit;

static int (*const run_mode[])(struct pg_ctx *) = {
	[PG_TX] = pg_run_tx,
	[PG_RX] = pg_run_rx,
	[PG_TXRX] = pg_run_txrx,
	[PG_PING] = pg_run_ping,
	[PG_REFLECT] = pg_run_reflect,
};

/* The first SIGINT ends the run gracefully; a second one kills. */
static void
on_signal(int sig __rte_unused)
{
	pg_quit = 1;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Index of "--" in argv, or argc if there is none. */
static int
find_dashdash(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}

/* Our options, argv[0] first, as getopt wants them; parsed before EAL. */
static int
parse_app_args(int argc, char **argv, int dd, struct pg_options *o)
{
	char **av = calloc((size_t)argc + 1, sizeof(*av));
	int ac = 0, rc;

	if (av == NULL)
		return -ENOMEM;
	av[ac++] = argv[0];
	for (int i = dd + 1; i < argc; i++)
		av[ac++] = argv[i];
	rc = pg_options_parse(ac, av, o);
	free(av);
	return rc;
}

/* Runs on the chosen lcore: prepare, run the mode, keep the result. */
static int
lcore_main(void *arg)
{
	struct pg_ctx *c = arg;
	const struct pg_options *o = c->opt;
	int rc;

	/* The interrupt joins this thread's epoll set: set up here. */
	if (o->ping_block && pg_rx_intr_setup(o->rx_port) != 0)
		return -ENOTSUP;
	if (o->learn) {
		rc = pg_learn(c);
		if (rc != 0)
			return rc;
	}
	pg_clock_start(c);
	return run_mode[o->mode](c);
}

/*
 * The first worker lcore if EAL gave us one, else the main lcore. The main
 * lcore then sleeps: rte_eal_wait_lcore() would spin on a shared core.
 */
static int
launch(struct pg_ctx *c)
{
	unsigned int w = rte_get_next_lcore(-1, 1, 0);

	if (w >= RTE_MAX_LCORE)
		return lcore_main(c);
	if (rte_eal_remote_launch(lcore_main, c, w) != 0)
		return -EBUSY;
	while (rte_eal_get_lcore_state(w) == RUNNING)
		usleep(10 * 1000);
	return rte_eal_wait_lcore(w);
}

static int
exit_code(const struct pg_ctx *c, int rc)
{
	if (rc == -ENOTSUP)
		return PG_EXIT_USAGE;
	if (rc != 0)
		return PG_EXIT_ERROR;
	if (c->opt->mode == PG_PING && c->rtt.nb_total == 0 && c->st.tx_pkts > 0)
		return PG_EXIT_ERROR;
	return 0;
}

static int
run(struct pg_options *o)
{
	static struct pg_ctx c;
	int rc;

	c.opt = o;
	c.hz = rte_get_tsc_hz();
	c.seq_filter = o->mode == PG_TXRX || o->mode == PG_PING;
	c.pool = pg_pool_create(o);
	if (c.pool == NULL || pg_frames_build(&c.fr, o) != 0)
		return PG_EXIT_ERROR;
	rc = pg_ports_setup(o, c.pool);
	if (rc != 0) {
		pg_ports_close(o);
		return rc == -ENODEV ? PG_EXIT_USAGE : PG_EXIT_ERROR;
	}
	rc = launch(&c);
	if (rc == 0 || rc == -EINTR)
		pg_report(&c);
	else if (rc != -ENOTSUP)
		fprintf(stderr, "%s: run failed: %s\n", PG_PROG, strerror(-rc));
	/*
	 * A transmitted frame may still sit in a shared ring (virtio, memif)
	 * that the peer has not read; closing now would lose it.
	 */
	if (o->mode != PG_RX && o->linger_s > 0)
		rte_delay_us_sleep((unsigned int)(o->linger_s * 1e6));
	pg_ports_close(o);
	pg_frames_free(&c.fr);
	free(c.rtt.cycles);
	return exit_code(&c, rc);
}

/* How many --vdev options the EAL part of the command line has. */
static unsigned int
count_vdev_args(int argc, char **argv)
{
	unsigned int n = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--vdev") || !strncmp(argv[i], "--vdev=", 7))
			n++;
	return n;
}

int
main(int argc, char **argv)
{
	struct pg_options opt;
	int dd = find_dashdash(argc, argv);
	unsigned int vdevs;
	int rc, eal;

	if (dd == argc && argc == 2 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		pg_usage();
		return 0;
	}
	rc = parse_app_args(argc, argv, dd, &opt);
	if (rc != 0)
		return rc == 1 ? 0 : PG_EXIT_USAGE;
	setup_signals();
	vdevs = count_vdev_args(dd, argv);
	eal = rte_eal_init(dd, argv);
	if (eal < 0) {
		fprintf(stderr, "%s: EAL initialisation failed (see the EAL messages "
			"above; --help for usage)\n", PG_PROG);
		return PG_EXIT_ERROR;
	}
	/* EAL logs a vdev that fails to probe and goes on without it. */
	if (rte_eth_dev_count_avail() < vdevs) {
		fprintf(stderr, "%s: %u of %u --vdev device(s) failed to start (the "
			"reason is above)\n", PG_PROG, vdevs - rte_eth_dev_count_avail(),
			vdevs);
		rte_eal_cleanup();
		return PG_EXIT_ERROR;
	}
	rc = run(&opt);
	rte_eal_cleanup();
	return rc;
}
