/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/cli: what command families need to register themselves
 * and to write their output.
 */
#ifndef DPS_CLI_PRIV_H
#define DPS_CLI_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>

#include "common/dps_err.h"

/*
 * cmdline_cirbuf.h (pulled in by cmdline.h) defines dprintf() as a debug
 * no-op, which would silently swallow our writes to sockets and files.
 */
#undef dprintf

/** One command: its cmdline instance and its usage line for errors/help. */
struct cli_cmd {
	cmdline_parse_inst_t *inst;
	const char *usage;
};

/* Each family file defines a NULL-terminated table. */
extern const struct cli_cmd cli_port_cmds[];
extern const struct cli_cmd cli_mac_cmds[];
extern const struct cli_cmd cli_vlan_cmds[];
extern const struct cli_cmd cli_shm_cmds[];

/**
 * Run @p fn on the port named @p name or, with NULL, on every port; in
 * JSON the results are a list under @p list_key, in text @p header (may
 * be NULL) comes first. An unknown name is the request's error.
 */
void cli_port_each(const char *name, const char *list_key, void (*header)(void),
		   int (*fn)(uint16_t, void *));
extern const struct cli_cmd cli_lcore_cmds[];
extern const struct cli_cmd cli_misc_cmds[];

/* Token helpers, so a command reads like its grammar. */
#define CLI_KW(res, field, word) \
	TOKEN_STRING_INITIALIZER(res, field, word)
#define CLI_STR(res, field) \
	TOKEN_STRING_INITIALIZER(res, field, NULL)
#define CLI_U16(res, field) \
	TOKEN_NUM_INITIALIZER(res, field, RTE_UINT16)
#define CLI_U32(res, field) \
	TOKEN_NUM_INITIALIZER(res, field, RTE_UINT32)

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

#endif /* DPS_CLI_PRIV_H */
