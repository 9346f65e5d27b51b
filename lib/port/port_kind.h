/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port kinds (private to lib/port): the table of kinds (DPDK's built in,
 * others registered) and how a kind turns "port add NAME KIND ARGS" into a
 * DPDK device string, after validating ARGS.
 */
#ifndef DPS_PORT_KIND_H
#define DPS_PORT_KIND_H

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include "port.h"

/**
 * @p args as it may be shown or logged: the value of every key that holds
 * a secret ("secret") replaced by "***".
 */
void port_args_redact(const char *args, char *out, size_t size);

/**
 * rte_kvargs_parse() refused @p args of port @p port (more pairs than it
 * takes, or no key=value form): one line in @p err, the args redacted,
 * saying what was @p expected. -EINVAL.
 */
int port_args_unparsable(const char *port, const char *args, const char *expected,
			 struct dps_err *err);

/** Find a kind by name, or NULL. */
const struct dps_port_kind *port_kind_find(const char *name);

/** Comma-separated kind names. */
const char *port_kind_names(void);

/** What a port's devargs ask of its queues. */
struct port_want {
	uint16_t nb_rxq;		/* rx queues to configure */
	bool rx_intr;			/* try rx interrupts (the kind's, or rx-intr=) */
};

/**
 * Validate @p args for @p kind and build the device string to probe:
 * "net_<driver>_<port>,args" for a vdev, "ADDR[,args]" for PCI.
 * On success @p want says what the port's queues should be.
 */
int port_kind_devargs(const struct dps_port_kind *kind, const char *port,
		      const char *args, char *dev, size_t devlen,
		      char *devname, size_t namelen, struct port_want *want,
		      struct dps_err *err);

#endif /* DPS_PORT_KIND_H */
