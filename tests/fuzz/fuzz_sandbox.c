/* SPDX-License-Identifier: BSD-3-Clause */
/* The fuzz targets' file-system sandbox (see fuzz_sandbox.h). */
#define FUZZ_SANDBOX_IMPL
#include "fuzz_sandbox.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static char dir[PATH_MAX];
static size_t dir_len;

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The directory and what the code under test left in it (only ever there). */
static void
remove_dir(void)
{
	if (dir_len != 0)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
fuzz_sandbox_init(const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/dps-fuzz-%s.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", name);
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_sandbox_init: mkdtemp");
		abort();
	}
	dir_len = strlen(dir);
	atexit(remove_dir);
}

const char *
fuzz_sandbox_dir(void)
{
	return dir;
}

int
fuzz_sandbox_inside(const char *path)
{
	const char *p;

	if (dir_len == 0 || strncmp(path, dir, dir_len) != 0 || path[dir_len] != '/')
		return 0;
	/* No way out through "..": no symbolic link is ever made in there. */
	for (p = path + dir_len; *p != '\0'; p++)
		if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))
			return 0;
	return 1;
}

void
fuzz_sandbox_subst(const char *in, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	while (*in != '\0' && o + 1 < size) {
		if (in[0] == '%' && in[1] == 'T') {
			o += (size_t)snprintf(out + o, size - o, "%s", dir);
			if (o >= size)
				o = size - 1;
			in += 2;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

#define GUARD(path) do {						\
	if (!fuzz_sandbox_inside(path)) {				\
		errno = EACCES;						\
		return -1;						\
	}								\
} while (0)

int
fuzz_sandbox_unlink(const char *path)
{
	GUARD(path);
	return unlink(path);
}

int
fuzz_sandbox_rmdir(const char *path)
{
	GUARD(path);
	return rmdir(path);
}

int
fuzz_sandbox_rename(const char *from, const char *to)
{
	GUARD(from);
	GUARD(to);
	return rename(from, to);
}

int
fuzz_sandbox_mkdir(const char *path, mode_t mode)
{
	GUARD(path);
	return mkdir(path, mode);
}

int
fuzz_sandbox_chmod(const char *path, mode_t mode)
{
	GUARD(path);
	return chmod(path, mode);
}

int
fuzz_sandbox_chown(const char *path, uid_t uid, gid_t gid)
{
	GUARD(path);
	return chown(path, uid, gid);
}

/* A unix socket address inside the directory (none other, abstract ones neither). */
static int
sa_inside(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
	char path[sizeof(un->sun_path) + 1];
	size_t n;

	if (sa == NULL || len <= offsetof(struct sockaddr_un, sun_path) ||
	    sa->sa_family != AF_UNIX)
		return 0;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(un->sun_path))
		n = sizeof(un->sun_path);
	memcpy(path, un->sun_path, n);
	path[n] = '\0';
	return fuzz_sandbox_inside(path);
}

int
fuzz_sandbox_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (!sa_inside(sa, len)) {
		errno = EACCES;
		return -1;
	}
	return bind(fd, sa, len);
}

int
fuzz_sandbox_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (!sa_inside(sa, len)) {
		errno = EACCES;
		return -1;
	}
	return connect(fd, sa, len);
}
