/* SPDX-License-Identifier: BSD-3-Clause */
/* A PCI device's BAR through sysfs (dps_pci_sysfs.h). */
#include "dps_pci_sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int
dps_pci_map_bar(const char *bdf, int bar, void **out, uint64_t *size, struct dps_err *err)
{
	char path[128];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", bdf, bar);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return dps_err_set(err, -errno, "cannot open %s: %s", path, strerror(errno));
	/* sysfs sizes a resource file as its BAR (lseek says 0). */
	if (fstat(fd, &st) != 0 || st.st_size <= 0) {
		close(fd);
		return dps_err_set(err, -ENODEV, "%s has no size: is BAR%d of %s a memory BAR?",
				   path, bar, bdf);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return dps_err_set(err, -errno, "cannot map %s: %s", path, strerror(errno));
	*out = p;
	*size = (uint64_t)st.st_size;
	return 0;
}

void
dps_pci_enable(const char *bdf)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", bdf);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			(void)0;	/* already enabled by a driver: fine */
		close(fd);
	}
}
