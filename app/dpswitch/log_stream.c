/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's log stream: every line that goes through rte_log (the
 * switch's libraries, net_shm, and DPDK's own EAL, vhost and driver
 * messages) starts with the name of its level, "WARNING: pmd.net.shm: ...",
 * so that a reader (an operator's grep, the system tests' log watch) can
 * tell a warning from an information. DPDK 22.11's console stream prints
 * the message alone; this one writes the same bytes to stderr after the
 * level and, like DPDK's, copies them to syslog.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "log_stream.h"

/* Indexed by RTE_LOG_EMERG (1) .. RTE_LOG_DEBUG (8). */
static const char *const level_names[] = {
	NULL, "EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG",
};

/* The level's name; NULL for what is not a level (a stream written to
 * directly, not through rte_log, by a thread that never logged). */
static const char *
level_name(int level)
{
	return level >= 1 && level < (int)RTE_DIM(level_names) ? level_names[level] : NULL;
}

/* A message may end without a newline and go on in the next write. */
static bool at_line_start = true;

static void
write_all(const struct iovec *iov, int n)
{
	struct iovec v[2];
	ssize_t w;

	memcpy(v, iov, (size_t)n * sizeof(v[0]));
	while (n > 0) {
		w = writev(STDERR_FILENO, v, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;     /* nowhere to log to: drop, as stdio would */
		while (n > 0 && (size_t)w >= v[0].iov_len) {
			w -= (ssize_t)v[0].iov_len;
			v[0] = v[1];
			n--;
		}
		if (n > 0) {
			v[0].iov_base = (char *)v[0].iov_base + w;
			v[0].iov_len -= (size_t)w;
		}
	}
}

/*
 * Called with the stream's lock held, once per message: the stream is
 * unbuffered, so vfprintf hands over each message whole, in the thread
 * that logged it, whose rte_log_cur_msg_loglevel() is that message's.
 */
static ssize_t
log_write(void *cookie __rte_unused, const char *buf, size_t size)
{
	int level = rte_log_cur_msg_loglevel();
	const char *name = level_name(level);
	char prefix[16];
	size_t done = 0;
	int plen = snprintf(prefix, sizeof(prefix), "%s: ", name != NULL ? name : "LOG");

	while (done < size) {
		const char *nl = memchr(buf + done, '\n', size - done);
		size_t len = nl != NULL ? (size_t)(nl - buf) + 1 - done : size - done;
		struct iovec iov[2] = {
			{ prefix, (size_t)plen },
			{ (char *)(uintptr_t)(buf + done), len },
		};

		if (at_line_start)
			write_all(iov, 2);
		else
			write_all(iov + 1, 1);
		at_line_start = nl != NULL;
		done += len;
	}
	/* As DPDK's console stream: syslog levels are rte_log's minus one. */
	if (name != NULL)
		syslog(level - 1, "%.*s", (int)size, buf);
	return (ssize_t)size;
}

int
dps_log_stream_open(void)
{
	static const cookie_io_functions_t fns = { .write = log_write };
	FILE *f = fopencookie(NULL, "w", fns);

	if (f == NULL)
		return -errno;
	if (setvbuf(f, NULL, _IONBF, 0) != 0 || rte_openlog_stream(f) != 0) {
		fclose(f);
		return -EINVAL;
	}
	return 0;
}
