/* SPDX-License-Identifier: BSD-3-Clause */
/* Devargs of both transports: one validating callback per key (see dpsw.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_kvargs.h>
#include <rte_string_fns.h>

#include "common/dps_num.h"
#include "dpsw.h"

/* ---- devargs: one validating callback per key ---- */

static int
dpsw_arg_path(const char *key, const char *value, void *opaque)
{
	struct dpsw_args *a = opaque;

	if (value[0] == '\0' || strlen(value) >= sizeof(a->path)) {
		DPSW_LOG(ERR, "%s: %s= must be a unix socket path of 1..%zu bytes",
			 a->name, key, sizeof(a->path) - 1);
		return -EINVAL;
	}
	strlcpy(a->path, value, sizeof(a->path));
	return 0;
}

static int
dpsw_arg_secret(const char *key, const char *value, void *opaque)
{
	struct dpsw_args *a = opaque;

	/* Never echo the secret itself. */
	if (strlen(value) > DPSR_SECRET_MAX) {
		DPSW_LOG(ERR, "%s: %s= is longer than %d bytes", a->name, key, DPSR_SECRET_MAX);
		return -EINVAL;
	}
	strlcpy(a->secret, value, sizeof(a->secret));
	return 0;
}

static int
dpsw_arg_qpairs(const char *key, const char *value, void *opaque)
{
	struct dpsw_args *a = opaque;

	if (dps_parse_u32(value, 1, DPSW_QPAIRS_MAX, &a->qpairs) != 0) {
		DPSW_LOG(ERR, "%s: %s=%s is not valid: the queue pairs to ask for, 1..%d",
			 a->name, key, value, DPSW_QPAIRS_MAX);
		return -EINVAL;
	}
	return 0;
}

static int
dpsw_arg_mac(const char *key, const char *value, void *opaque)
{
	struct dpsw_args *a = opaque;

	if (rte_ether_unformat_addr(value, &a->mac) != 0 ||
	    !rte_is_valid_assigned_ether_addr(&a->mac)) {
		DPSW_LOG(ERR, "%s: %s=%s is not valid: a unicast MAC such as 02:00:00:00:00:01",
			 a->name, key, value);
		return -EINVAL;
	}
	a->has_mac = true;
	return 0;
}

static int
dpsw_arg_reconnect(const char *key, const char *value, void *opaque)
{
	struct dpsw_args *a = opaque;

	if (dps_parse_u32(value, 0, DPSW_RECONNECT_MS_MAX, &a->reconnect_ms) != 0) {
		DPSW_LOG(ERR, "%s: %s=%s is not valid: milliseconds between tries to attach "
			 "again after the switch went, 0..%d (0: never)", a->name, key, value,
			 DPSW_RECONNECT_MS_MAX);
		return -EINVAL;
	}
	return 0;
}

static int
dpsw_arg_zero_copy(const char *key, const char *value, void *opaque)
{
	struct dpsw_args *a = opaque;

	if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0) {
		DPSW_LOG(ERR, "%s: %s=%s is not valid: 1 to receive and send frames in place "
			 "on a trusted port (mbufs over the region: see the README), 0 to copy",
			 a->name, key, value);
		return -EINVAL;
	}
	a->zero_copy = value[0] == '1';
	return 0;
}

static int
dpsw_arg_copy_break(const char *key, const char *value, void *opaque)
{
	struct dpsw_args *a = opaque;

	if (dps_parse_u32(value, 0, DPSR_FRAME_MAX, &a->copy_break) != 0) {
		DPSW_LOG(ERR, "%s: %s=%s is not valid: with zero copy, the longest frame "
			 "received that is still copied, 0..%d (0: none)", a->name, key, value,
			 DPSR_FRAME_MAX);
		return -EINVAL;
	}
	return 0;
}

#define DPSW_VDEV (1u << DPSW_KIND_VDEV)
#define DPSW_PCI (1u << DPSW_KIND_PCI)

/* Every key, its check, and the transports that take it. */
static const struct {
	const char *key;
	arg_handler_t check;
	unsigned int kinds;
} dpsw_arg_checks[] = {
	{ DPSW_ARG_PATH, dpsw_arg_path, DPSW_VDEV },
	{ DPSW_ARG_SECRET, dpsw_arg_secret, DPSW_VDEV },
	{ DPSW_ARG_QPAIRS, dpsw_arg_qpairs, DPSW_VDEV | DPSW_PCI },
	{ DPSW_ARG_MAC, dpsw_arg_mac, DPSW_VDEV | DPSW_PCI },
	{ DPSW_ARG_RECONNECT, dpsw_arg_reconnect, DPSW_VDEV },
	{ DPSW_ARG_ZERO_COPY, dpsw_arg_zero_copy, DPSW_VDEV | DPSW_PCI },
	{ DPSW_ARG_COPY_BREAK, dpsw_arg_copy_break, DPSW_VDEV | DPSW_PCI },
};

static bool
dpsw_arg_known(const char *key, enum dpsw_kind kind)
{
	for (unsigned int i = 0; i < RTE_DIM(dpsw_arg_checks); i++)
		if (strcmp(key, dpsw_arg_checks[i].key) == 0)
			return (dpsw_arg_checks[i].kinds & (1u << kind)) != 0;
	return false;
}

/* "path, secret, qpairs, mac, reconnect-ms": the keys of @p kind, for messages. */
static const char *
dpsw_arg_keys(enum dpsw_kind kind, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < RTE_DIM(dpsw_arg_checks); i++)
		if (dpsw_arg_checks[i].kinds & (1u << kind))
			n += (size_t)snprintf(buf + RTE_MIN(n, size), size - RTE_MIN(n, size),
					      "%s%s", n > 0 ? ", " : "", dpsw_arg_checks[i].key);
	return buf;
}

/*
 * Every key known, given once and with a value; then each key's check.
 * rte_kvargs_parse() with a list of valid keys would refuse an unknown one
 * without saying which, so the list is checked here.
 */
static int
dpsw_args_check(const struct rte_kvargs *kv, enum dpsw_kind kind, struct dpsw_args *a)
{
	char keys[96];

	for (unsigned int i = 0; i < kv->count; i++) {
		const char *key = kv->pairs[i].key;

		if (!dpsw_arg_known(key, kind)) {
			DPSW_LOG(ERR, "%s: unknown devarg '%s': valid keys are %s", a->name, key,
				 dpsw_arg_keys(kind, keys, sizeof(keys)));
			return -EINVAL;
		}
		if (kv->pairs[i].value == NULL) {
			DPSW_LOG(ERR, "%s: devarg '%s' needs a value: %s=...", a->name, key, key);
			return -EINVAL;
		}
		if (rte_kvargs_count(kv, key) > 1) {
			DPSW_LOG(ERR, "%s: devarg '%s' is given more than once", a->name, key);
			return -EINVAL;
		}
	}
	for (unsigned int i = 0; i < RTE_DIM(dpsw_arg_checks); i++)
		if (rte_kvargs_process(kv, dpsw_arg_checks[i].key,
				       dpsw_arg_checks[i].check, a) != 0)
			return -EINVAL;
	if (kind == DPSW_KIND_VDEV && a->path[0] == '\0') {
		DPSW_LOG(ERR, "%s: devarg '%s' is required: the unix socket of a dpswitch "
			 "shared-ring port, e.g. %s=/run/dpswitch/vm1.sock",
			 a->name, DPSW_ARG_PATH, DPSW_ARG_PATH);
		return -EINVAL;
	}
	return 0;
}

/*
 * A locally administered unicast MAC from the device name and the socket
 * path (FNV-1a): the same --vdev gives the same MAC on every run, so a
 * switch's MAC table stays valid across restarts, and peers of different
 * ports of one switch differ even when each process calls its device
 * net_dpsw0.
 */
static void
dpsw_default_mac(const char *name, const char *path, struct rte_ether_addr *mac)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *s = name; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ull;
	}
	h ^= '|';
	h *= 1099511628211ull;
	for (const char *s = path; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ull;
	}
	mac->addr_bytes[0] = 0x02;	/* locally administered, unicast */
	for (unsigned int i = 1; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(h >> (8 * (i - 1)));
}

int
dpsw_args_parse(const char *params, enum dpsw_kind kind, struct dpsw_args *a)
{
	struct rte_kvargs *kv;
	char keys[96];
	int rc;

	/* The secret may be in params: never log them. */
	kv = rte_kvargs_parse(params != NULL ? params : "", NULL);
	if (kv == NULL) {
		DPSW_LOG(ERR, "%s: cannot parse the devargs: expected key=value[,key=value...] "
			 "with keys %s", a->name, dpsw_arg_keys(kind, keys, sizeof(keys)));
		return -EINVAL;
	}
	rc = dpsw_args_check(kv, kind, a);
	rte_kvargs_free(kv);
	if (rc == 0 && kind == DPSW_KIND_VDEV && !a->has_mac)
		dpsw_default_mac(a->name, a->path, &a->mac);
	return rc;
}
