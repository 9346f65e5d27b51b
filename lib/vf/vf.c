/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VF management: which PF a name means (a pci port, or netdev:IFNAME),
 * the VF count through sysfs (sriov_numvfs), each VF's setting parsed
 * once and handed to the PF's way of applying it (vf_pmd.c, vf_netlink.c),
 * and `vf show` assembled from sysfs, the PF, and the switch's ports.
 */
#include "vf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_uuid.h>

#include "common/dps_log.h"
#include "common/dps_num.h"
#include "port/port.h"
#include "vf_priv.h"

RTE_LOG_REGISTER(dps_logtype_vf, dpswitch.vf, INFO);

/* A PF, resolved from its name. */
struct vf_pf {
	bool kernel;			/* netdev:IFNAME, else a pci port */
	char ifname[IF_NAMESIZE];
	uint16_t port_id;
	char sysfs[128];		/* its device's sysfs directory */
	char drv[64];			/* ethdev driver, or the kernel driver */
	char desc[160];			/* "net_e1000_igb 0000:01:00.0", "igb eth1 (...)" */
};

static const char *const attr_names[] = {
	[VF_ATTR_MAC] = "mac", [VF_ATTR_VLAN] = "vlan", [VF_ATTR_SPOOFCHK] = "spoofchk",
	[VF_ATTR_TRUST] = "trust", [VF_ATTR_LINK] = "link", [VF_ATTR_RATE] = "rate",
};

const char *
vf_attr_name(enum vf_attr attr)
{
	return attr_names[attr];
}

/* The last component of symlink @p path into @p out; "" if none. */
static void
link_base(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	b = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	if (strlen(b) < size)
		memcpy(out, b, strlen(b) + 1);
}

/* Unsigned number in sysfs file @p dir/@p file; -errno if unreadable. */
static long
sysfs_num(const char *dir, const char *file)
{
	char path[PATH_MAX + 32], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int
pf_kernel(const char *name, struct vf_pf *pf, struct dps_err *err)
{
	const char *ifname = name + strlen(DPS_VF_NETDEV_PREFIX);
	char path[PATH_MAX], pci[48];

	if (strlen(ifname) == 0 || strlen(ifname) >= IF_NAMESIZE ||
	    if_nametoindex(ifname) == 0)
		return dps_err_set(err, -ENODEV, "no network interface '%s'", ifname);
	pf->kernel = true;
	snprintf(pf->ifname, sizeof(pf->ifname), "%s", ifname);
	snprintf(pf->sysfs, sizeof(pf->sysfs), "/sys/class/net/%s/device", ifname);
	snprintf(path, sizeof(path), "%s/driver", pf->sysfs);
	link_base(path, pf->drv, sizeof(pf->drv));
	link_base(pf->sysfs, pci, sizeof(pci));
	if (pf->drv[0] == '\0')
		return dps_err_set(err, -ENODEV, "interface '%s' is not a device's (no "
				   "driver): it has no VFs", ifname);
	snprintf(pf->desc, sizeof(pf->desc), "%s %s (%s)", pf->drv, ifname, pci);
	return 0;
}

static int
pf_port(const char *name, struct vf_pf *pf, struct dps_err *err)
{
	struct dps_port_info pi;
	struct rte_eth_dev_info di;
	char path[PATH_MAX];
	int id = dps_port_id(name);

	if (id < 0)
		return dps_err_set(err, -ENOENT, "no port named '%s' (a PF its kernel driver "
				   "keeps is " DPS_VF_NETDEV_PREFIX "IFNAME)", name);
	dps_port_info((uint16_t)id, &pi);
	if (strcmp(pi.kind, "pci") != 0)
		return dps_err_set(err, -EINVAL, "port '%s' is a %s port, not a PCI function",
				   name, pi.kind);
	snprintf(pf->sysfs, sizeof(pf->sysfs), "/sys/bus/pci/devices/%s", pi.devname);
	snprintf(path, sizeof(path), "%s/physfn", pf->sysfs);
	if (access(path, F_OK) == 0)
		return dps_err_set(err, -EINVAL, "port '%s' (%s) is a VF, not a PF", name,
				   pi.devname);
	pf->port_id = (uint16_t)id;
	snprintf(pf->drv, sizeof(pf->drv), "?");
	if (rte_eth_dev_info_get((uint16_t)id, &di) == 0 && di.driver_name != NULL)
		snprintf(pf->drv, sizeof(pf->drv), "%s", di.driver_name);
	snprintf(pf->desc, sizeof(pf->desc), "%s %s", pf->drv, pi.devname);
	return 0;
}

/* Resolve @p name; the device must be able to have VFs. */
static int
pf_find(const char *name, struct vf_pf *pf, struct dps_err *err)
{
	int rc;

	memset(pf, 0, sizeof(*pf));
	if (strncmp(name, DPS_VF_NETDEV_PREFIX, strlen(DPS_VF_NETDEV_PREFIX)) == 0)
		rc = pf_kernel(name, pf, err);
	else
		rc = pf_port(name, pf, err);
	if (rc == 0 && sysfs_num(pf->sysfs, "sriov_totalvfs") < 0)
		rc = dps_err_set(err, -ENOTSUP, "%s has no SR-IOV (no sriov_totalvfs)",
				 pf->desc);
	return rc;
}

/* VF @p i's PCI address, and the switch port on it if any ("" none). */
static void
vf_addr(const struct vf_pf *pf, unsigned int i, char *pci, size_t size, char *port,
	size_t psize)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/virtfn%u", pf->sysfs, i);
	link_base(path, pci, size);
	port[0] = '\0';
	for (uint16_t id = 0; id < DPS_MAX_PORTS && pci[0] != '\0'; id++) {
		struct dps_port_info pi;

		if (dps_port_info(id, &pi) == 0 && strcmp(pi.devname, pci) == 0) {
			snprintf(port, psize, "%s", pi.name);
			return;
		}
	}
}

struct numvfs_change {
	const struct vf_pf *pf;
	unsigned int from, to;
};

static int
numvfs_write(const char *sysfs, unsigned int n)
{
	char path[PATH_MAX + 32], buf[16];
	int fd, len, rc = 0;

	snprintf(path, sizeof(path), "%s/sriov_numvfs", sysfs);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%u", n);
	if (write(fd, buf, (size_t)len) != len)
		rc = -errno;
	close(fd);
	return rc;
}

/* The kernel takes a new count only from 0. */
static int
numvfs_set(void *arg, struct dps_err *err)
{
	const struct numvfs_change *c = arg;
	int rc = 0;

	if (c->from != 0)
		rc = numvfs_write(c->pf->sysfs, 0);
	if (rc == 0 && c->to != 0)
		rc = numvfs_write(c->pf->sysfs, c->to);
	if (rc != 0)
		return dps_err_set(err, rc, "%s: writing %u to sriov_numvfs: %s", c->pf->desc,
				   rc == 0 ? c->to : (c->from != 0 ? 0 : c->to), strerror(-rc));
	return 0;
}

/* VFs in use as switch ports cannot go away under them. */
static int
vfs_unused(const struct vf_pf *pf, unsigned int nb, struct dps_err *err)
{
	for (unsigned int i = 0; i < nb; i++) {
		char pci[64], port[DPS_PORT_NAME_MAX];

		vf_addr(pf, i, pci, sizeof(pci), port, sizeof(port));
		if (port[0] != '\0')
			return dps_err_set(err, -EBUSY, "%s: VF %u (%s) is switch port '%s': "
					   "port del it first", pf->desc, i, pci, port);
	}
	return 0;
}

/* A VF of a PF on vfio-pci opens only with the VF token the PF's user set. */
static void
vf_token_note(const struct vf_pf *pf)
{
	char path[PATH_MAX + 32], kdrv[64];
	rte_uuid_t token;

	snprintf(path, sizeof(path), "%s/driver", pf->sysfs);
	link_base(path, kdrv, sizeof(kdrv));
	rte_eal_vfio_get_vf_token(token);
	if (strcmp(kdrv, "vfio-pci") == 0 && rte_uuid_is_null(token))
		DPS_LOG(vf, WARNING, "%s is on vfio-pci and this dpswitch has no VF token: its "
			"VFs cannot be opened (start it with --vfio-vf-token=UUID)", pf->desc);
}

int
dps_vf_create(const char *name, unsigned int n, struct dps_err *err)
{
	struct vf_pf pf;
	struct numvfs_change c;
	long total, cur;
	int rc = pf_find(name, &pf, err);

	if (rc != 0)
		return rc;
	total = sysfs_num(pf.sysfs, "sriov_totalvfs");
	cur = sysfs_num(pf.sysfs, "sriov_numvfs");
	if (n > (unsigned long)total)
		return dps_err_set(err, -ERANGE, "%s can have at most %ld VFs, not %u", pf.desc,
				   total, n);
	if (cur < 0)
		return dps_err_set(err, (int)cur, "%s: cannot read sriov_numvfs: %s", pf.desc,
				   strerror((int)-cur));
	if ((unsigned long)cur == n)
		return 0;
	rc = vfs_unused(&pf, (unsigned int)cur, err);
	if (rc != 0)
		return rc;
	c = (struct numvfs_change){ &pf, (unsigned int)cur, n };
	if (pf.kernel)
		return numvfs_set(&c, err);
	/* The PMD sets up its VF pools (VMDq) and mailbox at probe only. */
	rc = dps_port_reprobe(name, numvfs_set, &c, err);
	if (rc != 0)
		return rc;
	if (dps_port_id(name) >= 0)
		vf_pmd_created(pf.port_id, pf.drv, n);
	if (n != 0)
		vf_token_note(&pf);
	DPS_LOG(vf, INFO, "%s: %u VFs (were %ld)", pf.desc, n, cur);
	return 0;
}

static int
parse_onoff(const char *v, uint32_t *out)
{
	if (strcmp(v, "on") == 0)
		*out = 1;
	else if (strcmp(v, "off") == 0)
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

/* "what value" of `vf set` into @p s, or one line saying what is wanted. */
static int
setting_parse(const char *what, const char *v, struct vf_setting *s, struct dps_err *err)
{
	static const char *const links[] = { "auto", "on", "off" };

	memset(s, 0, sizeof(*s));
	for (s->attr = VF_ATTR_MAC; s->attr <= VF_ATTR_RATE; s->attr++)
		if (strcmp(what, attr_names[s->attr]) == 0)
			break;
	switch (s->attr) {
	case VF_ATTR_MAC:
		if (rte_ether_unformat_addr(v, &s->mac) != 0 || !rte_is_unicast_ether_addr(&s->mac))
			return dps_err_set(err, -EINVAL, "vf mac: '%s' is not a unicast MAC", v);
		return 0;
	case VF_ATTR_VLAN:
		if (dps_parse_u32(v, 0, 4094, &s->num) != 0)
			return dps_err_set(err, -EINVAL, "vf vlan: '%s' is not a VLAN in 1..4094 "
					   "(0: none)", v);
		return 0;
	case VF_ATTR_SPOOFCHK:
	case VF_ATTR_TRUST:
		if (parse_onoff(v, &s->num) != 0)
			return dps_err_set(err, -EINVAL, "vf %s: '%s' is not on or off", what, v);
		return 0;
	case VF_ATTR_LINK:
		for (s->num = 0; s->num < RTE_DIM(links); s->num++)
			if (strcmp(v, links[s->num]) == 0)
				return 0;
		return dps_err_set(err, -EINVAL, "vf link: '%s' is not auto, on or off", v);
	case VF_ATTR_RATE:
		if (dps_parse_u32(v, 0, UINT32_MAX, &s->num) != 0)
			return dps_err_set(err, -EINVAL, "vf rate: '%s' is not Mbit/s (0: "
					   "unlimited)", v);
		return 0;
	default:
		return dps_err_set(err, -EINVAL, "vf set: unknown setting '%s' (mac, vlan, "
				   "spoofchk, trust, link, rate)", what);
	}
}

static int
nothing(void *arg __rte_unused, struct dps_err *err __rte_unused)
{
	return 0;
}

/*
 * A VF learns its MAC from its PF when its driver starts (the mailbox's
 * reset): a VF the switch drives is probed again to take a new one, as
 * `ip link set ... vf N mac` tells users of a kernel VF driver to reload it.
 */
static int
vf_port_renew(const struct vf_pf *pf, unsigned int vf, struct dps_err *err)
{
	char pci[64], port[DPS_PORT_NAME_MAX];
	int rc;

	vf_addr(pf, vf, pci, sizeof(pci), port, sizeof(port));
	if (port[0] == '\0')
		return 0;
	rc = dps_port_reprobe(port, nothing, NULL, err);
	if (rc == 0 && dps_port_id(port) >= 0)
		DPS_LOG(vf, NOTICE, "port %s: %s gave VF %u a new MAC: the port was probed again "
			"to take it", port, pf->desc, vf);
	return rc;
}

int
dps_vf_set(const char *name, unsigned int vf, const char *what, const char *value,
	   struct dps_err *err)
{
	struct vf_setting s;
	struct vf_pf pf;
	long nb;
	int rc = setting_parse(what, value, &s, err);

	if (rc == 0)
		rc = pf_find(name, &pf, err);
	if (rc != 0)
		return rc;
	nb = sysfs_num(pf.sysfs, "sriov_numvfs");
	if (nb <= 0 || vf >= (unsigned long)nb)
		return dps_err_set(err, -ENOENT, "%s has %ld VFs: no VF %u", pf.desc,
				   nb < 0 ? 0 : nb, vf);
	if (pf.kernel)
		rc = vf_nl_set(pf.ifname, pf.desc, vf, &s, err);
	else
		rc = vf_pmd_set(pf.port_id, pf.drv, pf.desc, vf, &s, err);
	if (rc == 0 && s.attr == VF_ATTR_MAC)
		rc = vf_port_renew(&pf, vf, err);
	return rc;
}

/* What the switch port driving a VF knows that its PF did not say. */
static void
vf_port_fill(struct dps_vf_state *st)
{
	struct dps_port_stats ps;
	struct dps_port_info pi;
	int id = dps_port_id(st->port);

	if (id < 0)
		return;
	if (!st->has_mac && dps_port_info((uint16_t)id, &pi) == 0)
		st->mac = pi.mac, st->has_mac = true;
	if ((st->has_stats && st->rx_packets + st->tx_packets != 0) ||
	    dps_port_stats((uint16_t)id, &ps) != 0)
		return;
	st->has_stats = true;
	st->stats_from = "port";
	st->rx_packets = ps.c.rx_pkts, st->rx_bytes = ps.c.rx_bytes;
	st->tx_packets = ps.c.tx_pkts, st->tx_bytes = ps.c.tx_bytes;
	st->rx_dropped = ps.rx_missed, st->tx_dropped = ps.c.drop_tx_full;
}

int
dps_vf_show(const char *name, struct dps_vf_list *out, struct dps_err *err)
{
	struct vf_pf pf;
	long nb;
	int rc = pf_find(name, &pf, err);

	if (rc != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	snprintf(out->pf, sizeof(out->pf), "%s", name);
	snprintf(out->device, sizeof(out->device), "%s", pf.desc);
	out->total = (unsigned int)RTE_MAX(sysfs_num(pf.sysfs, "sriov_totalvfs"), 0L);
	nb = sysfs_num(pf.sysfs, "sriov_numvfs");
	out->nb = (unsigned int)RTE_MIN(RTE_MAX(nb, 0L), (long)DPS_VF_MAX);
	for (unsigned int i = 0; i < out->nb; i++) {
		struct dps_vf_state *st = &out->vf[i];
		char path[PATH_MAX + 32];

		st->index = i;
		st->vlan = st->qos = st->spoofchk = st->trust = st->link = -1;
		st->max_rate = -1;
		vf_addr(&pf, i, st->pci, sizeof(st->pci), st->port, sizeof(st->port));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", st->pci);
		link_base(path, st->driver, sizeof(st->driver));
	}
	if (pf.kernel)
		rc = vf_nl_get(pf.ifname, out, err);
	else
		vf_pmd_get(pf.port_id, pf.drv, out);
	/* A VF the switch drives: its port's MAC and counters, where the PF has none. */
	for (unsigned int i = 0; i < out->nb; i++)
		if (out->vf[i].port[0] != '\0')
			vf_port_fill(&out->vf[i]);
	return rc;
}
