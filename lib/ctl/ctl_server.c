/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_server.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "cli/cli.h"
#include "common/dps_event.h"
#include "common/dps_log.h"
#include "common/unix_socket.h"

RTE_LOG_REGISTER(dps_logtype_ctl, dpswitch.ctl, INFO);

struct ctl_client {
	struct dps_event_source ev;
	struct dps_ctl *ctl;
	size_t len;
	char buf[DPS_CTL_MAX_LINE];
};

struct dps_ctl {
	struct dps_event_source ev;	/* the listening socket */
	int epfd;
	char path[DPS_UNIX_PATH_MAX];
	gid_t group;			/* the control group, or (gid_t)-1 */
	uint64_t refused;		/* connections refused for their credentials */
	time_t refused_logged;		/* when a refusal was last logged */
	struct ctl_client *clients[DPS_CTL_MAX_CLIENTS];
};

/* The daemon has at most one control socket; `ctl show` reports on it. */
static struct dps_ctl *ctl_current;

static void
ctl_reply_end(int fd, int rc)
{
	char trailer[16];
	int n = snprintf(trailer, sizeof(trailer), "%c%d\n", '\0', rc);

	if (write(fd, trailer, n) != n)
		DPS_LOG(ctl, DEBUG, "client went away before the reply ended");
}

/*
 * Was @p gid among the groups of the process at the other end of @p fd
 * when it connected? SO_PEERGROUPS is the kernel's record of that moment
 * (a lookup in /proc by pid could meet another process reusing the pid).
 */
static bool
ctl_peer_in_group(int fd, gid_t gid)
{
	gid_t some[64], *gids = some;
	socklen_t len = sizeof(some);
	bool in = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids, &len) != 0) {
		if (errno != ERANGE || (gids = malloc(len)) == NULL)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids, &len) != 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t) && !in; i++)
		in = gids[i] == gid;
	if (gids != some)
		free(gids);
	return in;
}

/* May the process at the other end of @p fd run commands? */
static bool
ctl_peer_allowed(const struct dps_ctl *ctl, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	return ctl->group != (gid_t)-1 &&
	       (cred.gid == ctl->group || ctl_peer_in_group(fd, ctl->group));
}

/* Refused: one line to the peer; counted; logged the first time and then once a minute. */
static void
ctl_refuse(struct dps_ctl *ctl, int fd)
{
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	time_t now = time(NULL);

	ctl->refused++;
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	if (ctl->refused == 1 || now - ctl->refused_logged >= 60) {
		DPS_LOG(ctl, WARNING, "refused a control connection from uid %u gid %u pid %d "
			"(%" PRIu64 " refused so far): neither root, the daemon's user nor "
			"in its control group", cred.uid, cred.gid, (int)cred.pid, ctl->refused);
		ctl->refused_logged = now;
	}
	dprintf(fd, "error: permission denied: not root, the daemon's user, nor in its "
		"control group\n");
	ctl_reply_end(fd, -EACCES);
	close(fd);
}

int
dps_ctl_info(struct dps_ctl_info *info)
{
	const struct dps_ctl *ctl = ctl_current;

	memset(info, 0, sizeof(*info));
	if (ctl == NULL)
		return -ENOENT;
	snprintf(info->path, sizeof(info->path), "%s", ctl->path);
	info->group = ctl->group;
	info->refused = ctl->refused;
	for (int i = 0; i < DPS_CTL_MAX_CLIENTS; i++)
		info->clients += ctl->clients[i] != NULL;
	return 0;
}

static void
ctl_client_close(struct ctl_client *c)
{
	struct dps_ctl *ctl = c->ctl;

	for (int i = 0; i < DPS_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i] == c)
			ctl->clients[i] = NULL;
	epoll_ctl(ctl->epfd, EPOLL_CTL_DEL, c->ev.fd, NULL);
	close(c->ev.fd);
	free(c);
}

static void
ctl_serve_line(struct ctl_client *c, char *line)
{
	bool json = false;
	int rc;

	if (strncmp(line, "json ", 5) == 0) {
		json = true;
		line += 5;
	}
	rc = dps_cli_exec(line, c->ev.fd, json);
	ctl_reply_end(c->ev.fd, rc);
}

static void
ctl_client_event(struct dps_event_source *src, uint32_t events)
{
	struct ctl_client *c = container_of(src, struct ctl_client, ev);
	ssize_t n;
	char *nl;

	if (!(events & EPOLLIN)) {
		ctl_client_close(c);
		return;
	}
	n = read(c->ev.fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n <= 0) {
		ctl_client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t used = (size_t)(nl - c->buf) + 1;

		*nl = '\0';
		ctl_serve_line(c, c->buf);
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof(c->buf) - 1) {
		dprintf(c->ev.fd, "error: command longer than %d bytes\n",
			DPS_CTL_MAX_LINE - 2);
		ctl_reply_end(c->ev.fd, -E2BIG);
		ctl_client_close(c);
	}
}

static void
ctl_accept_event(struct dps_event_source *src, uint32_t events __rte_unused)
{
	struct dps_ctl *ctl = container_of(src, struct dps_ctl, ev);
	/* A client that stops reading must not stall the control thread. */
	struct timeval tmo = { .tv_sec = 2 };
	struct epoll_event ev = { .events = EPOLLIN };
	struct ctl_client *c;
	int fd, slot = -1;

	fd = accept4(ctl->ev.fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	if (!ctl_peer_allowed(ctl, fd)) {
		ctl_refuse(ctl, fd);
		return;
	}
	for (int i = 0; i < DPS_CTL_MAX_CLIENTS && slot < 0; i++)
		if (ctl->clients[i] == NULL)
			slot = i;
	c = slot < 0 ? NULL : calloc(1, sizeof(*c));
	if (c == NULL) {
		dprintf(fd, "error: too many control connections (max %d)\n",
			DPS_CTL_MAX_CLIENTS);
		ctl_reply_end(fd, -EBUSY);
		close(fd);
		return;
	}
	c->ev.fd = fd;
	c->ev.handler = ctl_client_event;
	c->ctl = ctl;
	ev.data.ptr = &c->ev;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return;
	}
	ctl->clients[slot] = c;
}

struct dps_ctl *
dps_ctl_open(const char *path, const char *group, int epfd, struct dps_err *err)
{
	struct epoll_event ev = { .events = EPOLLIN };
	gid_t gid = (gid_t)-1;
	struct dps_ctl *ctl;
	int fd;

	if (group != NULL) {
		struct group *g = getgrnam(group);

		if (g == NULL) {
			dps_err_set(err, -ENOENT, "no group named '%s' (--ctl-group)", group);
			errno = ENOENT;
			return NULL;
		}
		gid = g->gr_gid;
	}
	fd = dps_unix_listen_mode(path, SOCK_STREAM, 0660, gid, err);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL) {
		close(fd);
		dps_err_set(err, -ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ctl->ev.fd = fd;
	ctl->group = gid;
	ctl->ev.handler = ctl_accept_event;
	ctl->epfd = epfd;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ev.data.ptr = &ctl->ev;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		dps_err_set(err, -errno, "epoll: %s", strerror(errno));
		dps_ctl_close(ctl);
		return NULL;
	}
	ctl_current = ctl;
	return ctl;
}

void
dps_ctl_close(struct dps_ctl *ctl)
{
	if (ctl == NULL)
		return;
	for (int i = 0; i < DPS_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i] != NULL)
			ctl_client_close(ctl->clients[i]);
	epoll_ctl(ctl->epfd, EPOLL_CTL_DEL, ctl->ev.fd, NULL);
	close(ctl->ev.fd);
	unlink(ctl->path);
	if (ctl_current == ctl)
		ctl_current = NULL;
	free(ctl);
}
