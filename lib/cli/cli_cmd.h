/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Writing a command family for the dpswitch CLI: a NULL-terminated table of
 * DPDK cmdline instances with their usage lines, registered before
 * dps_cli_init() (lib/cli's own families, and drivers' commands such as
 * `shm show` in drivers/net/shm/shm_dpswitch.c), and what a command's
 * callback uses to answer in text or JSON.
 */
#ifndef DPS_CLI_CMD_H
#define DPS_CLI_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>

#include "common/dps_err.h"

/** One command: its cmdline instance and its usage line for errors/help. */
struct cli_cmd {
	cmdline_parse_inst_t *inst;
	const char *usage;
};

/**
 * Add a family of commands (a table ending with { NULL, NULL }) to those
 * dps_cli_init() builds. @p cmds must outlive the CLI. 0 or -ENOSPC.
 */
int dps_cli_register(const struct cli_cmd *cmds);

/*
 * cmdline_cirbuf.h (pulled in by cmdline.h) defines dprintf() as a debug
 * no-op, which would silently swallow our writes to sockets and files.
 */
#undef dprintf


/* Token helpers, so a command reads like its grammar. */
#define CLI_KW(res, field, word) \
	TOKEN_STRING_INITIALIZER(res, field, word)
#define CLI_STR(res, field) \
	TOKEN_STRING_INITIALIZER(res, field, NULL)
#define CLI_U16(res, field) \
	TOKEN_NUM_INITIALIZER(res, field, RTE_UINT16)
#define CLI_U32(res, field) \
	TOKEN_NUM_INITIALIZER(res, field, RTE_UINT32)

/**
 * Run @p fn on the port named @p name or, with NULL, on every port; in
 * JSON the results are a list under @p list_key, in text @p header (may
 * be NULL) comes first. An unknown name is the request's error.
 */
void cli_port_each(const char *name, const char *list_key, void (*header)(void),
		   int (*fn)(uint16_t, void *));

/* Output of the command being run. */
bool cli_json(void);
void cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Report a failure: "error: msg" (text) or {"error": "msg"} (JSON). */
void cli_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Report the result of a control call: nothing on success. */
void cli_result(int rc, const struct dps_err *err);
void cli_quit(void);

/* A minimal streaming JSON writer over cli_printf. */
void jw_obj(const char *key);		/* '{', key for members, NULL in arrays */
void jw_arr(const char *key);
void jw_end_obj(void);
void jw_end_arr(void);
void jw_str(const char *key, const char *val);
void jw_u64(const char *key, uint64_t val);
void jw_bool(const char *key, bool val);
void jw_done(void);			/* newline after the top level */

#endif /* DPS_CLI_CMD_H */
