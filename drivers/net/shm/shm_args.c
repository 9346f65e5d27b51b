/* SPDX-License-Identifier: BSD-3-Clause */
/* net_shm devargs (see shm_args.h). */
#include "shm_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dps_num.h"
#include "dps_shm.h"

#define KEY_PATH "path"
#define KEY_MODE "mode"
#define KEY_GROUP "group"
#define KEY_QPAIRS "qpairs"
#define KEY_RING "ring"
#define KEY_BUFSIZE "bufsize"
#define KEY_SECRET "secret"
#define KEY_GROUP_PORTS "group-ports"
#define KEY_SPARES "spares"
#define KEY_MAC "mac"
#define KEY_TRANSPORT "transport"

const char *const dps_shm_keys[] = {
	KEY_PATH, KEY_MODE, KEY_GROUP, KEY_QPAIRS, KEY_RING, KEY_BUFSIZE, KEY_SECRET,
	KEY_GROUP_PORTS, KEY_SPARES, KEY_MAC, KEY_TRANSPORT, NULL };

#define DEFAULT_GROUP "default"

/* A number key: where it goes, its default and its range. */
struct num_key {
	const char *key;
	size_t off;
	uint32_t def, lo, hi;
	bool pow2;
	uint32_t given;		/* its SHM_GIVEN_* bit */
};

static const struct num_key num_keys[] = {
	{ KEY_QPAIRS, offsetof(struct shm_args, qpairs), 1, 1, SHM_MAX_QPAIRS, false,
	  SHM_GIVEN_QPAIRS },
	{ KEY_RING, offsetof(struct shm_args, ring_size), 1024, DPSR_RING_SIZE_MIN,
	  DPSR_RING_SIZE_MAX, true, SHM_GIVEN_RING },
	/* An mbuf's buf_len is 16 bits: a trusted buffer is at most 32 KB. */
	{ KEY_BUFSIZE, offsetof(struct shm_args, buf_size), 2048, DPSR_BUF_SIZE_MIN, 32768,
	  true, SHM_GIVEN_BUFSIZE },
	{ KEY_GROUP_PORTS, offsetof(struct shm_args, group_ports), 8, 1, 64, false,
	  SHM_GIVEN_GROUP_PORTS },
	{ KEY_SPARES, offsetof(struct shm_args, spares), 8192, 1024, 1u << 20, false,
	  SHM_GIVEN_SPARES },
};

static int
parse_num(const char *port, struct rte_kvargs *kv, const struct num_key *k,
	  struct shm_args *a, struct dps_err *err)
{
	const char *v = rte_kvargs_get(kv, k->key);
	uint32_t *out = (uint32_t *)((uint8_t *)a + k->off);
	uint32_t n;

	*out = k->def;
	if (v == NULL)
		return 0;
	if (dps_parse_u32(v, k->lo, k->hi, &n) != 0 || (k->pow2 && (n & (n - 1)) != 0))
		return dps_err_set(err, -EINVAL, "port '%s': %s=%s is not %s in %u..%u", port,
				   k->key, v, k->pow2 ? "a power of 2" : "a number", k->lo,
				   k->hi);
	*out = n;
	a->given |= k->given;
	return 0;
}

static int
parse_strings(const char *port, struct rte_kvargs *kv, struct shm_args *a,
	      struct dps_err *err)
{
	const char *path = rte_kvargs_get(kv, KEY_PATH);
	const char *secret = rte_kvargs_get(kv, KEY_SECRET);
	const char *mode = rte_kvargs_get(kv, KEY_MODE);
	const char *group = rte_kvargs_get(kv, KEY_GROUP);
	const char *mac = rte_kvargs_get(kv, KEY_MAC);
	const char *transport = rte_kvargs_get(kv, KEY_TRANSPORT);

	if (path == NULL || path[0] == '\0')
		return dps_err_set(err, -EINVAL, "port '%s': shm ports need path=SOCKET", port);
	if (strlen(path) >= sizeof(a->path))
		return dps_err_set(err, -ENAMETOOLONG, "port '%s': path is longer than %zu bytes",
				   port, sizeof(a->path) - 1);
	snprintf(a->path, sizeof(a->path), "%s", path);
	if (secret != NULL && strlen(secret) > DPSR_SECRET_MAX)
		return dps_err_set(err, -EINVAL, "port '%s': secret is longer than %d bytes",
				   port, DPSR_SECRET_MAX);
	snprintf(a->secret, sizeof(a->secret), "%s", secret ? secret : "");
	if (transport != NULL && strcmp(transport, "socket") != 0 &&
	    strcmp(transport, "ivshmem") != 0)
		return dps_err_set(err, -EINVAL, "port '%s': transport=%s is not socket or "
				   "ivshmem", port, transport);
	a->guest = transport != NULL && strcmp(transport, "ivshmem") == 0;
	/* QEMU's ivshmem protocol has no hello: nothing could check a secret. */
	if (a->guest && secret != NULL)
		return dps_err_set(err, -EINVAL, "port '%s': transport=ivshmem takes no secret "
				   "(QEMU sends nothing; the socket's permissions are the gate)",
				   port);
	if (mode != NULL && strcmp(mode, "trusted") != 0 && strcmp(mode, "isolated") != 0)
		return dps_err_set(err, -EINVAL, "port '%s': mode=%s is not trusted or isolated",
				   port, mode);
	if (mode != NULL && strcmp(mode, "isolated") == 0 && group != NULL)
		return dps_err_set(err, -EINVAL, "port '%s': an isolated port has no group "
				   "(group= implies mode=trusted)", port);
	a->trusted = group != NULL || (mode != NULL && strcmp(mode, "trusted") == 0);
	if (group != NULL && (strlen(group) == 0 || strlen(group) >= SHM_GROUP_NAME_MAX))
		return dps_err_set(err, -EINVAL, "port '%s': group name must be 1..%d characters",
				   port, SHM_GROUP_NAME_MAX - 1);
	snprintf(a->group, sizeof(a->group), "%s", a->trusted ? (group ? group : DEFAULT_GROUP) : "");
	a->has_mac = mac != NULL;
	if (mac != NULL && rte_ether_unformat_addr(mac, &a->mac) != 0)
		return dps_err_set(err, -EINVAL, "port '%s': mac=%s is not a MAC address "
				   "(e.g. 02:00:00:00:00:01)", port, mac);
	return 0;
}

int
shm_args_parse(const char *port, struct rte_kvargs *kv, struct shm_args *a,
	       struct dps_err *err)
{
	int rc;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < RTE_DIM(num_keys); i++)
		if ((rc = parse_num(port, kv, &num_keys[i], a, err)) != 0)
			return rc;
	rc = parse_strings(port, kv, a, err);
	if (rc != 0)
		return rc;
	if (!a->trusted && (rte_kvargs_get(kv, KEY_GROUP_PORTS) || rte_kvargs_get(kv, KEY_SPARES)))
		return dps_err_set(err, -EINVAL, "port '%s': group-ports and spares are for "
				   "trusted ports (mode=trusted)", port);
	if (a->trusted && a->qpairs * a->group_ports > 64)
		return dps_err_set(err, -EINVAL, "port '%s': group-ports x qpairs = %u; a region "
				   "holds at most 64 queue pairs", port,
				   a->qpairs * a->group_ports);
	return 0;
}

void
shm_args_region_req(const struct shm_args *a, struct shm_region_req *req)
{
	*req = (struct shm_region_req){
		.group = a->trusted ? a->group : NULL,
		.qpairs = a->qpairs,
		.ring_size = a->ring_size,
		.buf_size = a->buf_size,
		.group_ports = a->group_ports,
		.spares = a->spares,
		.given = a->given,
	};
}
