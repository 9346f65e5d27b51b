/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpswitch-ctl: run dpswitch commands against a running daemon over its
 * control socket (protocol in lib/ctl/ctl_server.h).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/unix_socket.h"

#define DEFAULT_SOCKET "/run/dpswitch/dpswitch.sock"

static void
usage(const char *prog)
{
	printf("Usage: %s [-s SOCKET] [-j] [-t SECONDS] [COMMAND...]\n"
	       "\n"
	       "Runs a dpswitch command (e.g. 'port stats', 'mac show') on a running\n"
	       "daemon. With no COMMAND, runs one command per line from stdin.\n"
	       "\n"
	       "  -s, --socket PATH   control socket (default $DPSWITCH_SOCKET or %s)\n"
	       "  -j, --json          JSON output\n"
	       "  -t, --timeout SEC   give up waiting for a reply (default 30)\n"
	       "  -h, --help          this text\n"
	       "\n"
	       "Exit status: 0 if every command succeeded, 1 if one failed, 2 if the\n"
	       "daemon could not be reached.\n", prog, DEFAULT_SOCKET);
}

/* Send one command; copy the reply to stdout (stderr on failure). */
static int
run_one(int fd, const char *cmd, bool json, int timeout_ms)
{
	char buf[65536];
	size_t len = 0;
	char *nul;
	int rc;

	/*
	 * A daemon that refuses us replies and closes at once, perhaps before
	 * our command arrives: the write fails (EPIPE), the reply is still
	 * there to read.
	 */
	if (dprintf(fd, "%s%s\n", json ? "json " : "", cmd) < 0 && errno != EPIPE) {
		fprintf(stderr, "dpswitch-ctl: connection lost: %s\n", strerror(errno));
		return 2;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		nul = memchr(buf, '\0', len);
		if (nul != NULL && memchr(nul, '\n', len - (size_t)(nul - buf)) != NULL)
			break;
		if (poll(&pfd, 1, timeout_ms) <= 0) {
			fprintf(stderr, "dpswitch-ctl: no reply within %d s\n",
				timeout_ms / 1000);
			return 2;
		}
		if (len == sizeof(buf)) {
			/* Flush a long body, keeping nothing but its tail. */
			fwrite(buf, 1, len, stdout);
			len = 0;
		}
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n <= 0) {
			fprintf(stderr, "dpswitch-ctl: daemon closed the connection\n");
			return 2;
		}
		len += (size_t)n;
	}
	rc = atoi(nul + 1);
	fwrite(buf, 1, (size_t)(nul - buf), rc == 0 ? stdout : stderr);
	fflush(stdout);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("DPSWITCH_SOCKET");
	int timeout_ms = 30000, fd, c, rc = 0;
	bool json = false;

	if (path == NULL)
		path = DEFAULT_SOCKET;
	signal(SIGPIPE, SIG_IGN);	/* a lost connection is an error to report */
	/* '+': options end at the first word of the command. */
	while ((c = getopt_long(argc, argv, "+s:jt:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'j': json = true; break;
		case 't': timeout_ms = atoi(optarg) * 1000; break;
		case 'h': usage(argv[0]); return 0;
		default:
			fprintf(stderr, "dpswitch-ctl: see --help\n");
			return 2;
		}
	}
	if (timeout_ms <= 0) {
		fprintf(stderr, "dpswitch-ctl: --timeout must be a positive number\n");
		return 2;
	}
	fd = dps_unix_connect(path);
	if (fd < 0) {
		fprintf(stderr, "dpswitch-ctl: cannot connect to %s: %s (is dpswitch running?)\n",
			path, strerror(-fd));
		return 2;
	}
	if (optind < argc) {
		char cmd[4096] = "";

		for (int i = optind; i < argc; i++)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s",
				 i > optind ? " " : "", argv[i]);
		rc = run_one(fd, cmd, json, timeout_ms);
	} else {
		char line[4096];

		while (rc != 2 && fgets(line, sizeof(line), stdin) != NULL) {
			int r;

			line[strcspn(line, "\n")] = '\0';
			r = run_one(fd, line, json, timeout_ms);
			rc = r > rc ? r : rc;
		}
	}
	close(fd);
	return rc;
}
