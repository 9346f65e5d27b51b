/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to lib/cli: the request being served (control thread only). */
#ifndef DPS_CLI_OUT_H
#define DPS_CLI_OUT_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>

struct cli_request {
	int fd;
	bool json;
	int rc;
	bool quit;
};

extern struct cli_request cli_req;

void cli_request_begin(int fd, bool json);

#endif /* DPS_CLI_OUT_H */
