/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the devargs of `port add NAME KIND DEVARGS`, for
 * every port kind (lib/port/port_kind.c, and net_shm's shm_args.c through
 * the shm kind the daemon registers): an input is "KIND DEVARGS", as the
 * last two words of that command (up to a NUL). port_kind_devargs() runs
 * whole, key lists, duplicates, numbers, PCI addresses and each kind's
 * check, and must return 0 or a negative errno with a message, and on
 * success a device string and 1..8 rx queues.
 *
 * The checks look at the file system and remove stale sockets: the
 * switch's code here is built inside a sandbox (fuzz_sandbox.h) where
 * nothing outside a private directory can be removed, created or
 * connected to. "%T" in an input stands for that directory, which holds a
 * stale socket (re-made whenever a check removed it), a live one, a
 * regular file and a directory.
 *
 * Secrets: port_args_redact() must hide the value of every "secret" key,
 * keys as the drivers read them, with rte_kvargs. This harness holds a
 * model of rte_kvargs' tokenizer (checked against rte_kvargs itself on
 * every input it accepts) and checks that the redacted devargs have the
 * same pairs with each secret's value "***", at any buffer size (a
 * truncated result is a prefix of the whole one). And "%S" stands for a
 * marker: when it appears in secret values only, no error message may
 * hold it.
 *
 * Built and run by scripts/fuzz.sh.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <rte_kvargs.h>
#include <rte_log.h>

#include "port/port.h"
#include "port/port_kind.h"
#include "dps_shm.h"
#include "fuzz_sandbox.h"

#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

#define MAX_IN 1024
#define ARGS_MAX (4 * MAX_IN)		/* after "%T" and "%S" are expanded */
#define RED_MAX (2 * ARGS_MAX + 16)	/* redacted */
#define SECRET_MARK "Zq7sekrit"

static char stale_path[DPS_UNIX_PATH_MAX];
static int live_fd = -1;

/* ---- a model of rte_kvargs' tokenizer (DPDK 22.11), with no pair limit ---- */

struct kv_model {
	unsigned int n;
	struct { const char *key, *val; } p[RED_MAX / 2 + 2];	/* "a,a,...", and one more */
	char buf[RED_MAX];
};

/*
 * rte_kvargs_tokenize() rewritten: '=' ends a key (a later '=' starts the
 * key again: "a=b=c" is b=c), ',' outside '[' ... ']' ends a pair, empty
 * pairs are dropped.
 */
static void
model_parse(const char *s, struct kv_model *m)
{
	char *str = m->buf, *start = str;
	bool in_list = false, end_key = false;

	snprintf(m->buf, sizeof(m->buf), "%s", s);
	m->n = 0;
	m->p[0].key = m->p[0].val = NULL;
	for (;; str++) {
		char c = *str;

		if (c == '[') {
			in_list = true;
		} else if (c == ']') {
			in_list = false;
		} else if (c == '=') {
			m->p[m->n].key = start;
			end_key = true;
			*str = '\0';
			start = str + 1;
		} else if (c == '\0' || (c == ',' && !in_list)) {
			if (end_key)
				m->p[m->n].val = start;
			else
				m->p[m->n].key = start;
			if (end_key || str != start) {
				m->n++;
				m->p[m->n].key = m->p[m->n].val = NULL;
			}
			end_key = false;
			*str = '\0';
			if (c == '\0')
				break;
			start = str + 1;
		}
	}
}

static bool
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
is_secret(const char *key, const char *val)
{
	return val != NULL && strcmp(key, "secret") == 0;
}

/* The model agrees with rte_kvargs wherever rte_kvargs takes the string. */
static void
model_check(const char *s, const struct kv_model *m)
{
	struct rte_kvargs *kv = rte_kvargs_parse(s, NULL);

	if (kv == NULL) {
		ASSERT(m->n > RTE_KVARGS_MAX - 1);	/* too many pairs: its only refusal */
		return;
	}
	ASSERT(kv->count == m->n);
	for (unsigned int i = 0; i < m->n; i++) {
		ASSERT(str_eq(kv->pairs[i].key, m->p[i].key));
		ASSERT(str_eq(kv->pairs[i].value, m->p[i].val));
	}
	rte_kvargs_free(kv);
}

static unsigned int
count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = hay; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Does the marker appear in the devargs only inside secrets' values? */
static bool
mark_only_in_secrets(const char *args, const struct kv_model *m)
{
	unsigned int in_secrets = 0, total = count(args, SECRET_MARK);

	for (unsigned int i = 0; i < m->n; i++)
		if (is_secret(m->p[i].key, m->p[i].val))
			in_secrets += count(m->p[i].val, SECRET_MARK);
	return total != 0 && in_secrets == total;
}

/* ---- port_args_redact() ---- */

static void
check_redact(const char *args, const struct kv_model *in)
{
	static struct kv_model red;
	static char full[RED_MAX], part[RED_MAX];
	size_t len = strlen(args), flen;
	const size_t sizes[] = { 1, 2, 7, 8, 10, 11, 17, len / 2 + 1, len, len + 1 };

	/* "secret=***" is at most 3 bytes longer than the pair it stands for. */
	port_args_redact(args, full, 2 * len + 16);
	flen = strlen(full);
	ASSERT(flen < 2 * len + 15);
	model_parse(full, &red);
	model_check(full, &red);
	ASSERT(red.n == in->n);
	for (unsigned int i = 0; i < in->n; i++) {
		ASSERT(str_eq(red.p[i].key, in->p[i].key));
		if (is_secret(in->p[i].key, in->p[i].val))
			ASSERT(strcmp(red.p[i].val, "***") == 0);
		else
			ASSERT(str_eq(red.p[i].val, in->p[i].val));
	}
	/* Cut short: a prefix of the whole, never more. */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t want;

		if (sizes[k] == 0)
			continue;
		want = sizes[k] - 1 < flen ? sizes[k] - 1 : flen;
		memset(part, 'X', sizes[k]);
		port_args_redact(args, part, sizes[k]);
		ASSERT(strlen(part) == want && memcmp(part, full, want) == 0);
	}
	part[0] = 'X';
	port_args_redact(args, part, 0);	/* size 0: nothing written */
	ASSERT(part[0] == 'X');
}

/* ---- the sandbox's fixtures ---- */

static int
unix_socket_at(const char *path, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (listening && listen(fd, 4) != 0)) {
		perror(path);
		abort();
	}
	return fd;
}

static void
fixtures(void)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(stale_path, sizeof(stale_path), "%s/stale.sock", fuzz_sandbox_dir());
	close(unix_socket_at(stale_path, false));	/* nobody listens: stale */
	snprintf(path, sizeof(path), "%s/live.sock", fuzz_sandbox_dir());
	live_fd = unix_socket_at(path, true);
	snprintf(path, sizeof(path), "%s/file", fuzz_sandbox_dir());
	f = fopen(path, "w");
	if (f == NULL || fputs("not a socket\n", f) < 0 || fclose(f) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/dir", fuzz_sandbox_dir());
	if (mkdir(path, 0700) != 0)
		abort();
}

/* Between inputs: the stale socket back if a check removed it, no pending connections. */
static void
fixtures_renew(void)
{
	struct stat st;
	int fd;

	if (lstat(stale_path, &st) != 0)
		close(unix_socket_at(stale_path, false));
	while ((fd = accept4(live_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The checks log (a stale socket removed): not per input. */
	rte_log_set_global_level(RTE_LOG_ERR);
	fuzz_sandbox_init("devargs");
	fixtures();
	if (dps_shm_dpswitch_register() != 0)	/* the shm kind, as the daemon has it */
		abort();
	ASSERT(port_kind_find("shm") != NULL);
	return 0;
}

/* "%S": the marker; "%T": the sandbox directory. */
static void
expand(const char *in, char *out, size_t size)
{
	static char tmp[ARGS_MAX];
	size_t o = 0;

	for (; *in != '\0' && o + sizeof(SECRET_MARK) < sizeof(tmp); in++) {
		if (in[0] == '%' && in[1] == 'S') {
			memcpy(tmp + o, SECRET_MARK, strlen(SECRET_MARK));
			o += strlen(SECRET_MARK);
			in++;
		} else {
			tmp[o++] = *in;
		}
	}
	tmp[o] = '\0';
	fuzz_sandbox_subst(tmp, out, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char raw[MAX_IN + 1], args[ARGS_MAX];
	static char dev[DPS_PORT_ARGS_MAX + RTE_DEV_NAME_MAX_LEN];
	static char devname[RTE_DEV_NAME_MAX_LEN];
	static struct kv_model m;
	const struct dps_port_kind *kind;
	struct dps_err err = { "" };
	char *sp;
	struct port_want want = { 0, false };
	int rc;

	if (size > MAX_IN)
		return -1;
	memcpy(raw, data, size);
	raw[size] = '\0';
	/* "KIND DEVARGS", the last two words of `port add NAME KIND DEVARGS`. */
	sp = strchr(raw, ' ');
	if (sp != NULL)
		*sp = '\0';
	kind = port_kind_find(raw);
	if (kind == NULL)
		return -1;	/* not worth keeping: dps_port_add() stops there */
	expand(sp != NULL ? sp + 1 : "", args, sizeof(args));

	model_parse(args, &m);
	model_check(args, &m);
	check_redact(args, &m);

	/* As dps_port_add() takes them. */
	if (strlen(args) >= DPS_PORT_ARGS_MAX)
		return 0;
	fixtures_renew();
	rc = port_kind_devargs(kind, "fz", args, dev, sizeof(dev), devname, sizeof(devname),
			       &want, &err);
	ASSERT(rc <= 0 && rc >= -4095);
	if (rc == 0) {
		/* pci ports take up to 16 (queues=), the vdev kinds 8. */
		ASSERT(want.nb_rxq >= 1 && want.nb_rxq <= (kind->driver == NULL ? 16 : 8));
		/* The switch's own pci keys never reach the driver. */
		ASSERT(kind->driver != NULL || (strstr(dev, ",queues=") == NULL &&
						strstr(dev, ",rx-intr=") == NULL));
		ASSERT(devname[0] != '\0' && strncmp(dev, devname, strlen(devname)) == 0);
	} else {
		ASSERT(err.msg[0] != '\0');
	}
	/* PCI: "ADDR,driver devargs"; the address is no pair. */
	if (kind->driver == NULL) {
		const char *comma = strchr(args, ',');
		const char *drv_args = comma != NULL ? comma + 1 : "";

		model_parse(drv_args, &m);
		if (mark_only_in_secrets(drv_args, &m) &&
		    count(args, SECRET_MARK) == count(drv_args, SECRET_MARK))
			ASSERT(strstr(err.msg, SECRET_MARK) == NULL);
	} else if (mark_only_in_secrets(args, &m)) {
		ASSERT(strstr(err.msg, SECRET_MARK) == NULL);
	}
	return 0;
}
