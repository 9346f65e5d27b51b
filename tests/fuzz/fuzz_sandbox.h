/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A file-system sandbox for the fuzz targets that link the switch's own
 * code (fuzz_devargs, fuzz_cli). scripts/fuzz.sh force-includes this
 * header (clang -include) into every file of the switch it compiles for
 * them, so that there the calls that remove, create or change a file, or
 * connect to a socket, go through fuzz_sandbox_*(): they act only on paths
 * inside the target's private directory (fuzz_sandbox_init()) and fail
 * with EACCES anywhere else, as for a file that is not ours. So no input
 * can make a devargs check remove a "stale socket", or probe a live one,
 * outside that directory. Read-only calls (stat, lstat, access, readlink,
 * if_nametoindex) are left alone.
 *
 * Inputs reach the directory through the marker "%T", which
 * fuzz_sandbox_subst() replaces with its path (the seeds use it).
 *
 * DPDK's own code (its drivers) is not compiled here and is not
 * sandboxed: fuzz_devargs probes no device, fuzz_cli makes null ports
 * only (and one ring port), which touch no file.
 */
#ifndef DPS_FUZZ_SANDBOX_H
#define DPS_FUZZ_SANDBOX_H

/* The real declarations first, under their own names. */
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/** Make the private directory ($TMPDIR or /tmp, dps-fuzz-NAME.XXXXXX), removed at exit. */
void fuzz_sandbox_init(const char *name);

/** The private directory's path. */
const char *fuzz_sandbox_dir(void);

/** Is @p path inside the private directory (and free of ".." components)? */
int fuzz_sandbox_inside(const char *path);

/** @p in with every "%T" replaced by the private directory; truncated to @p size. */
void fuzz_sandbox_subst(const char *in, char *out, size_t size);

int fuzz_sandbox_unlink(const char *path);
int fuzz_sandbox_rmdir(const char *path);
int fuzz_sandbox_rename(const char *from, const char *to);
int fuzz_sandbox_mkdir(const char *path, mode_t mode);
int fuzz_sandbox_chmod(const char *path, mode_t mode);
int fuzz_sandbox_chown(const char *path, uid_t uid, gid_t gid);
int fuzz_sandbox_bind(int fd, const struct sockaddr *sa, socklen_t len);
int fuzz_sandbox_connect(int fd, const struct sockaddr *sa, socklen_t len);

#ifndef FUZZ_SANDBOX_IMPL
#define unlink(p) fuzz_sandbox_unlink(p)
#define rmdir(p) fuzz_sandbox_rmdir(p)
#define rename(a, b) fuzz_sandbox_rename(a, b)
#define mkdir(p, m) fuzz_sandbox_mkdir(p, m)
#define chmod(p, m) fuzz_sandbox_chmod(p, m)
#define chown(p, u, g) fuzz_sandbox_chown(p, u, g)
#define bind(fd, sa, len) fuzz_sandbox_bind(fd, sa, len)
#define connect(fd, sa, len) fuzz_sandbox_connect(fd, sa, len)
#endif

#endif /* DPS_FUZZ_SANDBOX_H */
