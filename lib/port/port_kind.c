/* SPDX-License-Identifier: BSD-3-Clause */
#include "port_kind.h"
#include "port_pci.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_pci.h>

#include "common/dps_log.h"
#include "common/dps_num.h"
#include "common/unix_socket.h"

#define KEY_IFACE "iface"
#define KEY_QUEUES "queues"
#define KEY_CLIENT "client"
#define KEY_QPAIRS "qpairs"

#define QUEUES_MAX 8

static const char *const vhost_keys[] = {
	KEY_IFACE, KEY_QUEUES, KEY_CLIENT, "iommu-support", "postcopy-support",
	"tso", "linear-buffer", "ext-buffer", "legacy-ol-flags", NULL };
static const char *const vhost_required[] = { KEY_IFACE, NULL };
static const char *const tap_keys[] = {
	KEY_IFACE, "mac", "remote", "persist", NULL };
static const char *const af_packet_keys[] = {
	KEY_IFACE, KEY_QPAIRS, "blocksz", "framesz", "framecnt", "qdisc_bypass",
	NULL };
static const char *const af_packet_required[] = { KEY_IFACE, NULL };
static const char *const pcap_keys[] = {
	"rx_pcap", "tx_pcap", "rx_iface", "rx_iface_in", "tx_iface", KEY_IFACE,
	"phy_mac", "infinite_rx", NULL };
static const char *const pcap_required[] = {
	"rx_pcap", "rx_iface", "rx_iface_in", KEY_IFACE, NULL };
static const char *const memif_keys[] = {
	"id", "role", "bsize", "rsize", "socket", "socket-abstract", "mac",
	"secret", "zero-copy", "owner-uid", "owner-gid", NULL };
static const char *const ring_keys[] = { NULL };
static const char *const null_keys[] = { "size", "copy", "no-rx", NULL };

/* Parse an unsigned decimal key; absent keys leave *out untouched. */
static int
kv_uint(struct rte_kvargs *kv, const char *key, uint32_t lo, uint32_t hi,
	uint32_t *out, const char *port, struct dps_err *err)
{
	const char *v = rte_kvargs_get(kv, key);

	if (v != NULL && dps_parse_u32(v, lo, hi, out) != 0)
		return dps_err_set(err, -EINVAL,
			"port '%s': %s=%s is not a number in %u..%u", port, key,
			v, lo, hi);
	return 0;
}

/* Queues a key asks for (checked already by the kind's check); 1 if absent. */
static uint16_t
kv_queues(struct rte_kvargs *kv, const char *key)
{
	uint32_t n = 1;

	kv_uint(kv, key, 1, QUEUES_MAX, &n, "", NULL);
	return (uint16_t)n;
}

static uint16_t
vhost_nb_rxq(struct rte_kvargs *kv)
{
	return kv_queues(kv, KEY_QUEUES);
}

static uint16_t
af_packet_nb_rxq(struct rte_kvargs *kv)
{
	return kv_queues(kv, KEY_QPAIRS);
}

/*
 * A file a devarg would create or replace must not be somebody else's:
 * a path that exists is refused (a live socket, a regular file, anything),
 * except a socket nobody listens on any more, which is left over from a
 * process that died and is removed. @p what names the key for messages.
 */
static int
check_new_file(const char *port, const char *what, const char *path, bool stale_socket_ok,
	       struct dps_err *err)
{
	struct dps_err why;
	struct stat st;
	int rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode) || !stale_socket_ok)
		return dps_err_set(err, -EEXIST, "port '%s': %s '%s' exists; it would be "
				   "replaced (remove it first, or give another path)", port, what,
				   path);
	rc = dps_unix_path_claim(path, &why);
	if (rc != 0)
		return dps_err_set(err, rc, "port '%s': %s: %s", port, what, why.msg);
	DPS_LOG(port, NOTICE, "removed stale socket %s", path);
	return 0;
}

/*
 * A vhost-user server socket path must be free: its directory exists, and
 * nothing is there but a stale socket (a live one belongs to a live switch
 * or guest).
 */
static int
vhost_check_server_path(const char *port, const char *path, struct dps_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path))
		return dps_err_set(err, -ENAMETOOLONG,
			"port '%s': iface path is longer than %zu bytes", port,
			sizeof(sa.sun_path) - 1);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			return dps_err_set(err, -ENOENT,
				"port '%s': directory '%s' of iface does not exist",
				port, dir);
	}
	/* The vhost library unlinks whatever is at its path before it binds. */
	return check_new_file(port, "iface", path, true, err);
}

static int
vhost_check(const char *port, struct rte_kvargs *kv, struct dps_err *err)
{
	uint32_t v = 0;
	int rc;

	rc = kv_uint(kv, KEY_QUEUES, 1, QUEUES_MAX, &v, port, err);
	if (rc == 0)
		rc = kv_uint(kv, KEY_CLIENT, 0, 1, &v, port, err);
	if (rc != 0)
		return rc;
	if (rte_kvargs_get(kv, KEY_CLIENT) != NULL &&
	    strcmp(rte_kvargs_get(kv, KEY_CLIENT), "1") == 0)
		return 0;
	return vhost_check_server_path(port, rte_kvargs_get(kv, KEY_IFACE), err);
}

/*
 * The pairs of @p args as rte_kvargs_parse() splits them, which is how
 * every driver reads its devargs (DPDK 22.11): at commas outside a
 * [list], and within a pair the key is what stands before its last '='
 * (after an earlier '=', if any), the value what follows it. So
 * "secret=[a,b]" is one pair, and so is "x=1=secret=s", whose key is
 * "secret". tests/fuzz/fuzz_devargs.c holds this to rte_kvargs itself.
 */
void
port_args_redact(const char *args, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	while (*args != '\0' && o + 1 < size) {
		const char *key = args, *eq = NULL;
		bool in_list = false;
		size_t len;

		for (len = 0; args[len] != '\0' && (in_list || args[len] != ','); len++) {
			if (args[len] == '[') {
				in_list = true;
			} else if (args[len] == ']') {
				in_list = false;
			} else if (args[len] == '=') {
				if (eq != NULL)
					key = eq + 1;
				eq = args + len;
			}
		}
		if (eq != NULL && eq - key == (ptrdiff_t)strlen("secret") &&
		    strncmp(key, "secret", strlen("secret")) == 0)
			o += (size_t)snprintf(out + o, size - o, "secret=***");
		else
			o += (size_t)snprintf(out + o, size - o, "%.*s", (int)len, args);
		if (o >= size)
			o = size - 1;
		args += len;
		if (*args == ',') {
			if (o + 1 < size)
				out[o++] = ',';
			args++;
		}
	}
	out[o] = '\0';
}

static int
check_ifname(const char *port, const char *ifname, bool must_exist,
	     struct dps_err *err)
{
	if (strlen(ifname) == 0 || strlen(ifname) >= IF_NAMESIZE)
		return dps_err_set(err, -EINVAL,
			"port '%s': interface name '%s' must be 1..%d characters",
			port, ifname, IF_NAMESIZE - 1);
	if (must_exist && if_nametoindex(ifname) == 0)
		return dps_err_set(err, -ENODEV, "port '%s': no interface '%s'",
				   port, ifname);
	if (!must_exist && if_nametoindex(ifname) != 0)
		return dps_err_set(err, -EEXIST,
			"port '%s': interface '%s' already exists", port, ifname);
	return 0;
}

static int
tap_check(const char *port, struct rte_kvargs *kv, struct dps_err *err)
{
	const char *ifname = rte_kvargs_get(kv, KEY_IFACE);

	return ifname == NULL ? 0 : check_ifname(port, ifname, false, err);
}

static int
af_packet_check(const char *port, struct rte_kvargs *kv, struct dps_err *err)
{
	uint32_t v;
	int rc = kv_uint(kv, KEY_QPAIRS, 1, QUEUES_MAX, &v, port, err);

	return rc != 0 ? rc :
		check_ifname(port, rte_kvargs_get(kv, KEY_IFACE), true, err);
}

static int
pcap_check(const char *port, struct rte_kvargs *kv, struct dps_err *err)
{
	const char *rx = rte_kvargs_get(kv, "rx_pcap");
	const char *tx = rte_kvargs_get(kv, "tx_pcap");

	if (rx != NULL && access(rx, R_OK) != 0)
		return dps_err_set(err, -ENOENT, "port '%s': cannot read rx_pcap '%s': %s",
				   port, rx, strerror(errno));
	/* net_pcap truncates its tx_pcap: never somebody's existing file. */
	return tx != NULL ? check_new_file(port, "tx_pcap", tx, false, err) : 0;
}

/*
 * net_memif's server removes whatever sits at its socket path: check it
 * first. Its own default is an abstract socket, which no file permission
 * guards (any local user can connect) and which DPDK 22.11's driver leaves
 * listening, with its callback on freed memory, when the port is removed
 * (a connection then spins EAL's interrupt thread for ever). So dpswitch
 * makes memif servers' sockets files (socket-abstract=no, the kind's
 * default_arg) and refuses an abstract one.
 */
static int
memif_check(const char *port, struct rte_kvargs *kv, struct dps_err *err)
{
	const char *role = rte_kvargs_get(kv, "role");
	const char *sock = rte_kvargs_get(kv, "socket");
	const char *abstract = rte_kvargs_get(kv, "socket-abstract");

	if (role != NULL && strcmp(role, "server") != 0)
		return 0;
	if (abstract != NULL && strcmp(abstract, "no") != 0)
		return dps_err_set(err, -EINVAL, "port '%s': a memif server's socket must be a "
				   "file (socket-abstract=no, the default here): an abstract "
				   "socket has no permissions, and is not closed when the port "
				   "goes", port);
	return check_new_file(port, "socket", sock != NULL ? sock : "/run/memif.sock", true,
			      err);
}

static const struct dps_port_kind builtin[] = {
	{ .name = "vhost", .driver = "net_vhost", .keys = vhost_keys,
	  .required = vhost_required, .check = vhost_check, .nb_rxq = vhost_nb_rxq,
	  .rx_intr = true, .xstats_need_peer = true, .tx_distrust = DPS_TX_OFFLOADS },
	/* net_tap says TSO, but the large frames it is given never reach the kernel. */
	{ .name = "tap", .driver = "net_tap", .keys = tap_keys, .check = tap_check,
	  .link_always_up = true, .rx_intr = true, .tx_distrust = RTE_MBUF_F_TX_TCP_SEG },
	{ .name = "af_packet", .driver = "net_af_packet", .keys = af_packet_keys,
	  .required = af_packet_required, .check = af_packet_check,
	  .nb_rxq = af_packet_nb_rxq },
	{ .name = "pcap", .driver = "net_pcap", .keys = pcap_keys,
	  .required = pcap_required, .check = pcap_check, .link_always_up = true },
	{ .name = "memif", .driver = "net_memif", .keys = memif_keys, .check = memif_check,
	  .default_arg = "socket-abstract=no" },
	{ .name = "ring", .driver = "net_ring", .keys = ring_keys, .link_always_up = true },
	{ .name = "null", .driver = "net_null", .keys = null_keys, .link_always_up = true },
	{ .name = "pci", .driver = NULL, .rx_intr = true },
};

#define KINDS_REGISTERED_MAX 8

/* Kinds of this project's own drivers, in the order they registered. */
static const struct dps_port_kind *registered[KINDS_REGISTERED_MAX];
static unsigned int nb_registered;
static char kind_names[192];

const struct dps_port_kind *
port_kind_find(const char *name)
{
	for (size_t i = 0; i < RTE_DIM(builtin); i++)
		if (strcmp(builtin[i].name, name) == 0)
			return &builtin[i];
	for (unsigned int i = 0; i < nb_registered; i++)
		if (strcmp(registered[i]->name, name) == 0)
			return registered[i];
	return NULL;
}

int
dps_port_kind_register(const struct dps_port_kind *kind)
{
	if (port_kind_find(kind->name) != NULL)
		return -EEXIST;
	if (nb_registered == KINDS_REGISTERED_MAX)
		return -ENOSPC;
	registered[nb_registered++] = kind;
	kind_names[0] = '\0';		/* the list is rebuilt on next use */
	return 0;
}

const char *
port_kind_names(void)
{
	if (kind_names[0] != '\0')
		return kind_names;
	for (size_t i = 0; i < RTE_DIM(builtin); i++)
		snprintf(kind_names + strlen(kind_names), sizeof(kind_names) - strlen(kind_names),
			 "%s%s", i ? ", " : "", builtin[i].name);
	for (unsigned int i = 0; i < nb_registered; i++)
		snprintf(kind_names + strlen(kind_names), sizeof(kind_names) - strlen(kind_names),
			 ", %s", registered[i]->name);
	return kind_names;
}

static void
keys_join(const char *const *keys, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; keys[i] != NULL; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? ", " : "",
			 keys[i]);
	if (buf[0] == '\0')
		snprintf(buf, size, "none");
}

/* The kind's default_arg, unless its key was given. */
static bool
default_arg_needed(const struct dps_port_kind *kind, struct rte_kvargs *kv)
{
	char key[64];

	if (kind->default_arg == NULL)
		return false;
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(kind->default_arg, "="),
		 kind->default_arg);
	return rte_kvargs_get(kv, key) == NULL;
}

int
port_args_unparsable(const char *port, const char *args, const char *expected,
		struct dps_err *err)
{
	char shown[DPS_PORT_ARGS_MAX];

	port_args_redact(args, shown, sizeof(shown));
	return dps_err_set(err, -EINVAL, "port '%s': cannot parse devargs '%s' (expected %s, "
			   "at most %d pairs)", port, shown, expected, RTE_KVARGS_MAX - 1);
}

static int
vdev_devargs(const struct dps_port_kind *kind, const char *port, const char *args,
	     char *dev, size_t devlen, char *devname, size_t namelen,
	     struct port_want *want, struct dps_err *err)
{
	struct rte_kvargs *kv;
	char list[256];
	int rc = 0;

	kv = rte_kvargs_parse(args, NULL);
	if (kv == NULL)
		return port_args_unparsable(port, args, "key=value,...", err);
	for (unsigned int i = 0; i < kv->count; i++) {
		bool known = false;

		for (size_t k = 0; kind->keys[k] != NULL; k++)
			known |= strcmp(kv->pairs[i].key, kind->keys[k]) == 0;
		if (!known) {
			keys_join(kind->keys, list, sizeof(list));
			rc = dps_err_set(err, -EINVAL,
				"port '%s': %s ports have no option '%s' (valid: %s)",
				port, kind->name, kv->pairs[i].key, list);
			goto out;
		}
		if (kv->pairs[i].value == NULL || kv->pairs[i].value[0] == '\0') {
			rc = dps_err_set(err, -EINVAL,
				"port '%s': option '%s' needs a value (%s=...)",
				port, kv->pairs[i].key, kv->pairs[i].key);
			goto out;
		}
		/* Checked on one copy, the driver might use the other: one of each. */
		if (rte_kvargs_count(kv, kv->pairs[i].key) > 1) {
			rc = dps_err_set(err, -EINVAL, "port '%s': option '%s' is given more "
					 "than once", port, kv->pairs[i].key);
			goto out;
		}
	}
	if (kind->required != NULL) {
		bool any = false;

		for (size_t k = 0; kind->required[k] != NULL; k++)
			any |= rte_kvargs_get(kv, kind->required[k]) != NULL;
		if (!any) {
			keys_join(kind->required, list, sizeof(list));
			rc = dps_err_set(err, -EINVAL,
				"port '%s': %s ports need one of: %s", port,
				kind->name, list);
			goto out;
		}
	}
	if (kind->check != NULL && (rc = kind->check(port, kv, err)) != 0)
		goto out;
	want->nb_rxq = kind->nb_rxq != NULL ? kind->nb_rxq(kv) : 1;
	want->rx_intr = kind->rx_intr;
	snprintf(devname, namelen, "%s_%s", kind->driver, port);
	if ((size_t)snprintf(dev, devlen, "%s%s%s%s%s", devname, args[0] ? "," : "", args,
			     default_arg_needed(kind, kv) ? "," : "",
			     default_arg_needed(kind, kv) ? kind->default_arg : "") >= devlen)
		rc = dps_err_set(err, -E2BIG, "port '%s': devargs too long", port);
out:
	rte_kvargs_free(kv);
	return rc;
}

int
port_kind_devargs(const struct dps_port_kind *kind, const char *port,
		  const char *args, char *dev, size_t devlen, char *devname,
		  size_t namelen, struct port_want *want, struct dps_err *err)
{
	if (kind->driver == NULL)
		return port_pci_devargs(port, args, dev, devlen, devname, namelen, want, err);
	return vdev_devargs(kind, port, args, dev, devlen, devname, namelen,
			    want, err);
}
