/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dps-ivshmem: look at a QEMU ivshmem-doorbell device (PCI 1af4:1110) from
 * inside a guest, through vfio-pci or through sysfs (uio_pci_generic), and
 * try its doorbells both ways. A probe for the guest image (docs/guest.md),
 * not a driver: it shows what a guest PMD can rely on.
 *
 *   dps-ivshmem BDF [--ring V[,V...]] [--msix N] [--timeout S] [--no-master]
 *
 * Prints key=value lines: the driver the device is bound to, its IOMMU
 * group, BAR sizes, IVPosition (the guest's id), the region's first bytes,
 * the number of MSI-X vectors vfio offers. --ring writes the doorbell for
 * vector V of peer 0 (the switch) once per V. --msix N (vfio only) sets
 * an eventfd on every MSI-X vector, prints "msix=armed", and waits until N
 * interrupts arrived (or --timeout, default 30 s), then prints how many
 * came on each vector. It sets Bus Master Enable first: QEMU delivers no
 * MSI-X message from a device without it, and vfio-pci leaves it to the
 * user (--no-master does not, to show it). Exit status 0, 1 on a failure
 * or fewer interrupts than asked for, 2 on bad usage.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "common/dps_pci_sysfs.h"

#define IVSHMEM_IVPOSITION 8
#define IVSHMEM_DOORBELL 12
#define MAX_VECTORS 64
#define PCI_COMMAND_REG 4
#define PCI_COMMAND_BUS_MASTER 0x4

/* --no-master: leave Bus Master Enable alone (to show what it changes). */
static int no_master;

struct dev {
	const char *bdf;
	char driver[64];
	int group;              /* IOMMU group, -1 if none */
	/* vfio */
	int container, group_fd, fd;
	uint64_t bar0_off, bar0_size, bar2_off, bar2_size;
	uint32_t msix_count;
	/* sysfs */
	volatile uint32_t *bar0;
	void *bar2;
};

/* "dps-ivshmem: WHAT: strerror(errno)", exit 1. */
static void die(const char *what)
{
	fprintf(stderr, "dps-ivshmem: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The last path component of the link at /sys/bus/pci/devices/BDF/NAME. */
static int sysfs_link(const char *bdf, const char *name, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, name);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	if (strlen(base) >= len)
		return -1;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

static void region(int fd, unsigned int index, uint64_t *off, uint64_t *size)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &info) < 0)
		die("VFIO_DEVICE_GET_REGION_INFO");
	*off = info.offset;
	*size = info.size;
}

static void open_vfio(struct dev *d)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	char path[64];
	void *p;

	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		die("open /dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%d", d->group);
	d->group_fd = open(path, O_RDWR);
	if (d->group_fd < 0)
		die(path);
	if (ioctl(d->group_fd, VFIO_GROUP_GET_STATUS, &status) < 0)
		die("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "dps-ivshmem: IOMMU group %d not viable: is every device "
			"in it on vfio-pci?\n", d->group);
		exit(1);
	}
	if (ioctl(d->group_fd, VFIO_GROUP_SET_CONTAINER, &d->container) < 0)
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0)
		die("VFIO_SET_IOMMU type1");
	d->fd = ioctl(d->group_fd, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	region(d->fd, VFIO_PCI_BAR0_REGION_INDEX, &d->bar0_off, &d->bar0_size);
	region(d->fd, VFIO_PCI_BAR2_REGION_INDEX, &d->bar2_off, &d->bar2_size);
	if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &irq) == 0)
		d->msix_count = irq.count;
	p = mmap(NULL, d->bar2_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		 (off_t)d->bar2_off);
	if (p == MAP_FAILED)
		die("mmap BAR2 through vfio");
	d->bar2 = p;
}

static void *map_resource(const char *bdf, int bar, uint64_t *size)
{
	struct dps_err err;
	void *p = NULL;

	if (dps_pci_map_bar(bdf, bar, &p, size, &err) != 0) {
		fprintf(stderr, "dps-ivshmem: %s\n", err.msg);
		exit(1);
	}
	return p;
}

static uint32_t reg_read(struct dev *d, unsigned int off)
{
	uint32_t v;

	if (d->bar0)
		return d->bar0[off / 4];
	if (pread(d->fd, &v, 4, (off_t)(d->bar0_off + off)) != 4)
		die("read BAR0");
	return v;
}

static void reg_write(struct dev *d, unsigned int off, uint32_t v)
{
	if (d->bar0) {
		d->bar0[off / 4] = v;
		return;
	}
	if (pwrite(d->fd, &v, 4, (off_t)(d->bar0_off + off)) != 4)
		die("write BAR0");
}

/* Set Bus Master Enable in the command register (config space). */
static void bus_master(struct dev *d)
{
	uint64_t off, size;
	uint16_t cmd;

	region(d->fd, VFIO_PCI_CONFIG_REGION_INDEX, &off, &size);
	if (pread(d->fd, &cmd, 2, (off_t)(off + PCI_COMMAND_REG)) != 2)
		die("read PCI command register");
	cmd |= PCI_COMMAND_BUS_MASTER;
	if (pwrite(d->fd, &cmd, 2, (off_t)(off + PCI_COMMAND_REG)) != 2)
		die("write PCI command register");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int msix_wait(struct dev *d, unsigned int want, double timeout)
{
	char buf[sizeof(struct vfio_irq_set) + MAX_VECTORS * sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)(void *)buf;
	struct pollfd pfd[MAX_VECTORS];
	unsigned long got[MAX_VECTORS] = { 0 };
	unsigned int n = d->msix_count, total = 0, v;
	double deadline;

	if (n == 0 || n > MAX_VECTORS) {
		fprintf(stderr, "dps-ivshmem: %u MSI-X vectors: cannot wait on them\n", n);
		return 1;
	}
	memset(buf, 0, sizeof(buf));
	set->argsz = (uint32_t)(sizeof(*set) + n * sizeof(int32_t));
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = 0;
	set->count = n;
	for (v = 0; v < n; v++) {
		int32_t efd = eventfd(0, EFD_NONBLOCK);

		if (efd < 0)
			die("eventfd");
		memcpy(set->data + v * sizeof(int32_t), &efd, sizeof(efd));
		pfd[v].fd = efd;
		pfd[v].events = POLLIN;
	}
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) < 0)
		die("VFIO_DEVICE_SET_IRQS MSI-X");
	/* An MSI-X message is a write by the device: QEMU drops it unless
	 * bus mastering is on, and vfio-pci leaves that to the user. */
	if (!no_master)
		bus_master(d);
	printf("msix=armed vectors=%u\n", n);
	fflush(stdout);

	deadline = now() + timeout;
	while (total < want) {
		double left = deadline - now();
		int r;

		if (left <= 0)
			break;
		r = poll(pfd, n, (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			die("poll");
		for (v = 0; r > 0 && v < n; v++) {
			uint64_t c;

			if ((pfd[v].revents & POLLIN) && read(pfd[v].fd, &c, sizeof(c)) == sizeof(c)) {
				got[v] += c;
				total += (unsigned int)c;
			}
		}
	}
	printf("msix_received=%u", total);
	for (v = 0; v < n; v++)
		printf(" v%u=%lu", v, got[v]);
	printf("\n");
	return total >= want ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: dps-ivshmem BDF [--ring V[,V...]] [--msix N] [--timeout S] "
		"[--no-master]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct dev d = { .group = -1, .container = -1, .group_fd = -1, .fd = -1 };
	const char *ring = NULL;
	unsigned int msix = 0;
	double timeout = 30;
	char buf[64];
	unsigned int i;
	int a;

	if (argc < 2 || argv[1][0] == '-')
		usage();
	d.bdf = argv[1];
	for (a = 2; a < argc; a++) {
		if (strcmp(argv[a], "--no-master") == 0) {
			no_master = 1;
			continue;
		}
		if (a + 1 >= argc)
			usage();
		if (strcmp(argv[a], "--ring") == 0)
			ring = argv[++a];
		else if (strcmp(argv[a], "--msix") == 0)
			msix = (unsigned int)strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--timeout") == 0)
			timeout = strtod(argv[++a], NULL);
		else
			usage();
	}

	if (sysfs_link(d.bdf, "driver", d.driver, sizeof(d.driver)) < 0)
		snprintf(d.driver, sizeof(d.driver), "none");
	if (sysfs_link(d.bdf, "iommu_group", buf, sizeof(buf)) == 0)
		d.group = atoi(buf);
	printf("device=%s driver=%s iommu_group=%d\n", d.bdf, d.driver, d.group);

	if (strcmp(d.driver, "vfio-pci") == 0) {
		open_vfio(&d);
	} else {
		if (msix) {
			fprintf(stderr, "dps-ivshmem: --msix needs the device on vfio-pci\n");
			return 2;
		}
		d.bar0 = map_resource(d.bdf, 0, &d.bar0_size);
		d.bar2 = map_resource(d.bdf, 2, &d.bar2_size);
	}
	printf("bar0_size=%" PRIu64 " bar2_size=%" PRIu64 " msix_vectors=%u\n",
	       d.bar0_size, d.bar2_size, d.msix_count);
	printf("ivposition=%" PRIu32 "\n", reg_read(&d, IVSHMEM_IVPOSITION));
	printf("region_head=");
	for (i = 0; i < 16; i++) {
		unsigned char c = ((unsigned char *)d.bar2)[i];

		putchar(c >= 0x20 && c < 0x7f ? c : '.');
	}
	printf("\n");
	fflush(stdout);

	if (ring) {
		char *copy = strdup(ring), *tok, *save = NULL;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			unsigned int v = (unsigned int)strtoul(tok, NULL, 10);

			/* Peer 0 (the switch), vector v. */
			reg_write(&d, IVSHMEM_DOORBELL, (0u << 16) | v);
			printf("rang=%u\n", v);
		}
		free(copy);
		fflush(stdout);
	}
	if (msix)
		return msix_wait(&d, msix, timeout);
	return 0;
}
