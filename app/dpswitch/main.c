/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpswitch: EAL, the packet pool and MAC table, the workers, and the
 * control thread's event loop (prompt, control socket, housekeeping).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "cli/cli.h"
#include "common/dps_event.h"
#include "ctl/ctl_server.h"
#include "dps_shm.h"
#include "rte_pmd_vtap.h"
#include "l2/l2_table.h"
#include "log_stream.h"
#include "options.h"
#include "port/port.h"
#include "worker/worker.h"

#define HOUSEKEEPING_MS 200

static struct {
	int epfd;
	bool quit;
	struct l2_table *mac_table;
	struct dps_cli_prompt *prompt;
	struct dps_event_source sig, timer, stdin_src;
	unsigned int ticks;
} app;

static void
on_signal(struct dps_event_source *src, uint32_t events __rte_unused)
{
	struct signalfd_siginfo si;

	if (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		fprintf(stderr, "dpswitch: signal %u, shutting down\n", si.ssi_signo);
		app.quit = true;
	}
}

/* Link state is also pushed by LSC events; polling covers PMDs without. */
static void
on_timer(struct dps_event_source *src, uint32_t events __rte_unused)
{
	uint64_t n;

	if (read(src->fd, &n, sizeof(n)) != sizeof(n))
		return;
	dps_ports_poll_link();
	if (++app.ticks % (1000 / HOUSEKEEPING_MS) == 0)
		l2_table_age(app.mac_table, dps_now_s());
}

static void
on_stdin(struct dps_event_source *src, uint32_t events __rte_unused)
{
	char buf[512];
	ssize_t n;

	n = read(src->fd, buf, sizeof(buf));
	if (dps_cli_prompt_input(app.prompt, buf, (int)n) != 0) {
		epoll_ctl(app.epfd, EPOLL_CTL_DEL, src->fd, NULL);
		app.quit = true;
	}
}

static int
watch(struct dps_event_source *src, int fd,
      void (*handler)(struct dps_event_source *, uint32_t))
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	src->fd = fd;
	src->handler = handler;
	return epoll_ctl(app.epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void
shutdown_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

static int
setup_events(void)
{
	struct itimerspec its = {
		.it_interval = { 0, HOUSEKEEPING_MS * 1000000L },
		.it_value = { 0, HOUSEKEEPING_MS * 1000000L },
	};
	sigset_t set;
	int tfd, sfd;

	app.epfd = epoll_create1(EPOLL_CLOEXEC);
	shutdown_signals(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (app.epfd < 0 || sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL))
		return -errno;
	if (watch(&app.sig, sfd, on_signal) || watch(&app.timer, tfd, on_timer))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void
run_startup(const struct dps_options *o)
{
	for (unsigned int i = 0; i < o->nb_cmds; i++)
		dps_cli_exec(o->cmds[i], STDOUT_FILENO, false);
	if (o->config != NULL)
		dps_cli_run_file(o->config, STDOUT_FILENO);
}

static void
event_loop(void)
{
	struct epoll_event evs[16];

	while (!app.quit && !dps_cli_quit_requested()) {
		int n = epoll_wait(app.epfd, evs, RTE_DIM(evs), 1000);

		for (int i = 0; i < n; i++) {
			struct dps_event_source *src = evs[i].data.ptr;

			src->handler(src, evs[i].events);
		}
	}
}

/* --help must work without hugepages: answer it before EAL starts. */
static bool
wants_help(int argc, char **argv)
{
	bool after = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			after = true;
		else if ((after || i == 1) &&
			 (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")))
			return true;
	}
	return false;
}

/* One line naming the step that failed and why; true if it failed. */
static bool
init_failed(const char *step, int rc)
{
	if (rc == 0)
		return false;
	fprintf(stderr, "dpswitch: cannot %s: %s\n", step,
		rc < 0 ? strerror(-rc) : "unknown error");
	return true;
}

static struct rte_mempool *
create_pool(uint32_t n)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create("dps_mbufs", n, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());

	if (mp == NULL)
		fprintf(stderr, "dpswitch: cannot allocate %u mbufs: %s "
			"(are hugepages set up? see scripts/setup-hugepages.sh)\n",
			n, rte_strerror(rte_errno));
	return mp;
}

int
main(int argc, char **argv)
{
	struct dps_ctl *ctl = NULL;
	struct dps_options opt;
	struct dps_err err = { "" };
	struct rte_mempool *pool;
	sigset_t sigs;
	int rc, eal;

	if (wants_help(argc, argv)) {
		dps_options_usage(argv[0]);
		return 0;
	}
	/*
	 * Block the shutdown signals before EAL starts its threads, so that
	 * every thread inherits the mask and only the event loop's signalfd
	 * sees them; otherwise the kernel may hand SIGTERM to a worker, whose
	 * default action kills the process without cleanup.
	 */
	shutdown_signals(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	/* Before EAL, so that its own messages carry their level too. */
	rc = dps_log_stream_open();
	if (rc != 0)
		fprintf(stderr, "dpswitch: log lines will not name their level: %s\n",
			strerror(-rc));
	eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "dpswitch: EAL initialisation failed (see the EAL "
			"messages above; --help for usage)\n");
		return 1;
	}
	rc = dps_options_parse(argc - eal, argv + eal, &opt);
	if (rc == 1) {
		dps_options_usage(argv[0]);
		rc = 0;
		goto out_eal;
	}
	if (rc != 0)
		goto out_eal;
	rc = -ENOMEM;
	pool = create_pool(opt.nb_mbufs);
	app.mac_table = l2_table_create(opt.mac_table_size, opt.mac_aging);
	if (pool == NULL || app.mac_table == NULL)
		goto out_eal;
	l2_table_set_move_hold(app.mac_table, opt.mac_move_hold);
	rc = dps_workers_init(pool, app.mac_table);
	if (rc == -ENODEV) {
		fprintf(stderr, "dpswitch: no worker lcore: give EAL two or more lcores "
			"(e.g. -l 0,1)\n");
		goto out_eal;
	}
	if (init_failed("set up the workers", rc))
		goto out_eal;
	dps_ports_init(pool, app.mac_table);
	if (init_failed("register the shm port kind", dps_shm_dpswitch_register()) ||
	    init_failed("register the vtap port kind", dps_vtap_dpswitch_register()) ||
	    init_failed("register the control commands", dps_ctl_cli_register()) ||
	    init_failed("set up the command language", dps_cli_init(app.mac_table)) ||
	    init_failed("set up the event loop", setup_events())) {
		rc = -1;
		goto out_eal;
	}
	if (opt.ctl_socket != NULL) {
		if (strcmp(opt.ctl_socket, DPS_CTL_SOCKET_DEFAULT) == 0)
			mkdir("/run/dpswitch", 0755);
		ctl = dps_ctl_open(opt.ctl_socket, opt.ctl_group, app.epfd, &err);
		if (ctl == NULL) {
			fprintf(stderr, "dpswitch: control socket: %s\n", err.msg);
			rc = -EADDRINUSE;
			goto out_eal;
		}
	}
	rc = dps_workers_start();
	if (rc != 0)
		goto out_ctl;
	run_startup(&opt);
	printf("dpswitch: %u worker(s), %u port(s), control socket %s\n",
	       dps_worker_count(), dps_port_count(),
	       opt.ctl_socket ? opt.ctl_socket : "disabled");
	fflush(stdout);
	if (opt.interactive) {
		app.prompt = dps_cli_prompt_new(STDIN_FILENO, STDOUT_FILENO, "dpswitch> ");
		if (app.prompt != NULL)
			watch(&app.stdin_src, STDIN_FILENO, on_stdin);
	}
	event_loop();
	dps_cli_prompt_free(app.prompt);
	rc = 0;
	dps_ports_del_all();
	dps_workers_stop();
out_ctl:
	dps_ctl_close(ctl);
out_eal:
	dps_cli_fini();
	dps_options_free(&opt);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
