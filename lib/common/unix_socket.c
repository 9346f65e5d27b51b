/* SPDX-License-Identifier: BSD-3-Clause */
#include "unix_socket.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int
fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

int
dps_unix_connect(const char *path)
{
	return dps_unix_connect_type(path, SOCK_STREAM);
}

int
dps_unix_connect_type(const char *path, int type)
{
	struct sockaddr_un sa;
	int fd, rc;

	rc = fill_addr(&sa, path);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int
dps_unix_listen_type(const char *path, int type, struct dps_err *err)
{
	return dps_unix_listen_mode(path, type, 0, (gid_t)-1, err);
}

/* Does anybody listen on @p path with a socket of @p type? 1, 0 or -errno. */
static int
probe_type(const struct sockaddr_un *sa, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), rc;

	if (fd < 0)
		return -errno;
	/* Non-blocking: a listener with a full backlog must not hang us. */
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 0 : -errno;
	close(fd);
	switch (rc) {
	case 0:
	case -EAGAIN:		/* backlog full: alive, just busy (or hostile) */
	case -EPROTOTYPE:	/* alive, of another type */
		return 1;
	case -ECONNREFUSED:
	case -ENOENT:
		return 0;
	default:
		return rc;
	}
}

int
dps_unix_probe(const char *path)
{
	struct sockaddr_un sa;
	int rc = fill_addr(&sa, path);

	if (rc != 0)
		return rc;
	rc = probe_type(&sa, SOCK_STREAM);
	return rc == 1 ? 1 : probe_type(&sa, SOCK_SEQPACKET);
}

int
dps_unix_path_claim(const char *path, struct dps_err *err)
{
	struct stat st;
	int rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return dps_err_set(err, -EEXIST, "'%s' exists and is not a socket", path);
	rc = dps_unix_probe(path);
	if (rc == 1)
		return dps_err_set(err, -EADDRINUSE, "socket '%s' is in use by another process",
				   path);
	if (rc < 0)
		return dps_err_set(err, rc, "cannot tell whether socket '%s' is in use: %s",
				   path, strerror(-rc));
	if (unlink(path) != 0 && errno != ENOENT)	/* stale: its owner is gone */
		return dps_err_set(err, -errno, "cannot remove stale socket '%s': %s", path,
				   strerror(errno));
	return 0;
}

int
dps_unix_listen_mode(const char *path, int type, mode_t mode, gid_t gid, struct dps_err *err)
{
	struct sockaddr_un sa;
	int fd, rc;

	if (fill_addr(&sa, path) != 0)
		return dps_err_set(err, -ENAMETOOLONG,
			"socket path '%s' is longer than %zu bytes", path,
			sizeof(sa.sun_path) - 1);
	rc = dps_unix_path_claim(path, err);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dps_err_set(err, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		close(fd);
		return dps_err_set(err, rc, "cannot listen on '%s': %s", path,
				   strerror(-rc));
	}
	/* Before listen(): until then a connect is refused, so none slips in. */
	if ((mode != 0 && chmod(path, mode) != 0) ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) != 0) || listen(fd, 16) != 0) {
		rc = -errno;
		close(fd);
		unlink(path);
		return dps_err_set(err, rc, "cannot set up '%s': %s", path, strerror(-rc));
	}
	return fd;
}
