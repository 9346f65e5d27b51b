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
dps_unix_listen(const char *path, struct dps_err *err)
{
	return dps_unix_listen_type(path, SOCK_STREAM, err);
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
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc;

	if (fill_addr(&sa, path) != 0)
		return dps_err_set(err, -ENAMETOOLONG,
			"socket path '%s' is longer than %zu bytes", path,
			sizeof(sa.sun_path) - 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return dps_err_set(err, -EEXIST,
				"'%s' exists and is not a socket", path);
		fd = dps_unix_connect_type(path, type);
		/* A live socket of another type refuses us, yet is in use. */
		if (fd >= 0 || fd == -EPROTOTYPE) {
			if (fd >= 0)
				close(fd);
			return dps_err_set(err, -EADDRINUSE,
				"socket '%s' is in use by another process", path);
		}
		unlink(path);	/* stale: its owner is gone */
	}
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dps_err_set(err, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0) {
		rc = -errno;
		close(fd);
		return dps_err_set(err, rc, "cannot listen on '%s': %s", path,
				   strerror(-rc));
	}
	return fd;
}
