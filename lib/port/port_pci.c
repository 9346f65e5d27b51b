/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci ports: what a PCI function must be before it is probed (present,
 * bound to vfio-pci or uio, in an IOMMU group under vfio), and what a
 * failed probe means when the kernel's answer says more than EAL's log
 * (another process holds its IOMMU group; a VF whose PF is on vfio-pci
 * without the VF token).
 */
#include "port_pci.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_kvargs.h>
#include <rte_pci.h>

#include "common/dps_num.h"
#include "port_kind.h"

#define SYSFS_PCI "/sys/bus/pci/devices"
/* The switch's own keys among a pci port's devargs, and the queue bound. */
#define PCI_KEY_QUEUES "queues"
#define PCI_KEY_RX_INTR "rx-intr"
#define PCI_QUEUES_MAX 16

/*
 * What sysfs link @p what of @p devname points to ("driver", "iommu_group",
 * "physfn"): its last component into @p base. 0, -ENOENT (no such link) or
 * -ENAMETOOLONG.
 */
static int
pci_link(const char *devname, const char *what, char *base, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *last;
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/%s", devname, what);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -ENOENT;
	link[n] = '\0';
	last = strrchr(link, '/') != NULL ? strrchr(link, '/') + 1 : link;
	if (strlen(last) >= size)
		return -ENAMETOOLONG;
	memcpy(base, last, strlen(last) + 1);
	return 0;
}

/* One of the switch's own keys: 1 if @p p is one (taken, or refused), 0 if not. */
static int
pci_own_key(const char *port, const struct rte_kvargs_pair *p, struct port_want *want,
	    int *rc, struct dps_err *err)
{
	const char *v = p->value ? p->value : "";
	uint32_t n;

	if (strcmp(p->key, PCI_KEY_QUEUES) == 0) {
		if (dps_parse_u32(v, 1, PCI_QUEUES_MAX, &n) != 0)
			*rc = dps_err_set(err, -EINVAL, "port '%s': queues=%s is not a number "
					  "in 1..%u", port, v, PCI_QUEUES_MAX);
		want->nb_rxq = (uint16_t)n;
		return 1;
	}
	if (strcmp(p->key, PCI_KEY_RX_INTR) == 0) {
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			*rc = dps_err_set(err, -EINVAL, "port '%s': rx-intr=%s is not on or off",
					  port, v);
		want->rx_intr = strcmp(v, "off") != 0;
		return 1;
	}
	return 0;
}

/*
 * The devargs after a pci port's address: queues= and rx-intr= are the
 * switch's, the rest the driver's, each given once. The string to probe,
 * "DEVNAME,driver's devargs", into @p dev.
 */
static int
pci_devargs_split(const char *port, const char *args, const char *devname, char *dev,
		  size_t devlen, struct port_want *want, struct dps_err *err)
{
	struct rte_kvargs *kv = rte_kvargs_parse(args, NULL);
	size_t len;
	int rc = 0;

	if (kv == NULL)
		return port_args_unparsable(port, args, "ADDR,key=value,...", err);
	len = (size_t)snprintf(dev, devlen, "%s", devname);
	for (unsigned int i = 0; i < kv->count && rc == 0; i++) {
		const struct rte_kvargs_pair *p = &kv->pairs[i];

		if (rte_kvargs_count(kv, p->key) > 1)
			rc = dps_err_set(err, -EINVAL, "port '%s': option '%s' is given more "
					 "than once", port, p->key);
		else if (!pci_own_key(port, p, want, &rc, err))
			len += (size_t)snprintf(dev + RTE_MIN(len, devlen),
						devlen - RTE_MIN(len, devlen), ",%s%s%s", p->key,
						p->value ? "=" : "", p->value ? p->value : "");
	}
	rte_kvargs_free(kv);
	if (rc == 0 && len >= devlen)
		rc = dps_err_set(err, -E2BIG, "port '%s': devargs too long", port);
	return rc;
}

int
port_pci_devargs(const char *port, const char *args, char *dev, size_t devlen,
		 char *devname, size_t namelen, struct port_want *want, struct dps_err *err)
{
	char addr[64], path[PATH_MAX], drv[64], group[32];
	struct rte_pci_addr pa;
	const char *comma = strchr(args, ',');
	size_t alen = comma ? (size_t)(comma - args) : strlen(args);

	if (alen == 0 || alen >= sizeof(addr))
		return dps_err_set(err, -EINVAL,
			"port '%s': pci ports need a PCI address (e.g. 0000:03:00.0)", port);
	memcpy(addr, args, alen);
	addr[alen] = '\0';
	if (rte_pci_addr_parse(addr, &pa) != 0)
		return dps_err_set(err, -EINVAL,
			"port '%s': '%s' is not a PCI address (e.g. 0000:03:00.0)",
			port, addr);
	rte_pci_device_name(&pa, devname, namelen);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", devname);
	if (access(path, F_OK) != 0)
		return dps_err_set(err, -ENODEV, "port '%s': no PCI device %s",
				   port, devname);
	if (pci_link(devname, "driver", drv, sizeof(drv)) != 0)
		return dps_err_set(err, -ENODEV,
			"port '%s': PCI device %s has no driver, not vfio-pci or uio "
			"(bind it: dpdk-devbind.py -b vfio-pci %s)", port, devname, devname);
	if (strcmp(drv, "vfio-pci") != 0 && strstr(drv, "uio") == NULL)
		return dps_err_set(err, -EBUSY,
			"port '%s': PCI device %s is bound to '%s', not vfio-pci or uio "
			"(bind it: dpdk-devbind.py -b vfio-pci %s)", port, devname, drv, devname);
	if (strcmp(drv, "vfio-pci") == 0 && pci_link(devname, "iommu_group", group,
						    sizeof(group)) != 0)
		return dps_err_set(err, -ENOENT, "port '%s': PCI device %s is bound to vfio-pci "
				   "but has no IOMMU group: turn the IOMMU on (intel_iommu=on, "
				   "amd_iommu=on) or vfio's no-IOMMU mode", port, devname);
	want->nb_rxq = 1;
	want->rx_intr = true;
	if (comma == NULL) {
		snprintf(dev, devlen, "%s", devname);
		return 0;
	}
	return pci_devargs_split(port, comma + 1, devname, dev, devlen, want, err);
}

int
port_pci_probe_failed(const char *port, const char *devname, struct dps_err *err)
{
	char drv[64], group[32], path[PATH_MAX], pf[64], pfdrv[64];
	int fd;

	if (pci_link(devname, "driver", drv, sizeof(drv)) != 0 || strcmp(drv, "vfio-pci") != 0 ||
	    pci_link(devname, "iommu_group", group, sizeof(group)) != 0)
		return 0;
	/* A vfio group opens once: busy is another process's (EAL's log says only EBUSY). */
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY)
		return dps_err_set(err, -EBUSY, "port '%s': PCI device %s is in use by another "
				   "process (its IOMMU group %s, %s, is open elsewhere)", port,
				   devname, group, path);
	if (fd >= 0)
		close(fd);
	/* A VF of a PF that vfio-pci drives: vfio wants the VF token. */
	if (pci_link(devname, "physfn", pf, sizeof(pf)) == 0 &&
	    pci_link(pf, "driver", pfdrv, sizeof(pfdrv)) == 0 && strcmp(pfdrv, "vfio-pci") == 0)
		return dps_err_set(err, -EPERM, "port '%s': PCI device %s is a VF of %s, which "
				   "vfio-pci drives: start dpswitch with the PF owner's "
				   "--vfio-vf-token=UUID", port, devname, pf);
	return 0;
}

uint64_t
port_pci_nic(const char *devname)
{
	char pf[64];
	const char *name = pci_link(devname, "physfn", pf, sizeof(pf)) == 0 ? pf : devname;
	struct rte_pci_addr a;

	if (rte_pci_addr_parse(name, &a) != 0)
		return 0;
	return ((uint64_t)a.domain << 16 | (uint64_t)a.bus << 8 | (uint64_t)a.devid << 3 |
		a.function) + 1;
}
