/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The command language of dpswitch, shared by the interactive prompt, the
 * control socket and the start-up file. Commands are DPDK cmdline
 * instances, one file per family (cli_port.c, cli_mac.c, ...); this module
 * dispatches a line, turns parse failures into one-line errors with the
 * command's usage, and renders output as text or JSON.
 */
#ifndef DPS_CLI_H
#define DPS_CLI_H

#include <stdbool.h>

struct l2_table;

/** Build the command table; commands act on @p mac_table. 0 or -ENOMEM. */
int dps_cli_init(struct l2_table *mac_table);
void dps_cli_fini(void);

/**
 * Run one command line, writing its output to @p out_fd.
 * @return 0; -EINVAL (unknown command or bad arguments) or the command's
 *         own negative errno. Blank lines and '#' comments return 0.
 */
int dps_cli_exec(const char *line, int out_fd, bool json);

/**
 * Run every line of @p path; errors are reported as "FILE:LINE: error: ..."
 * and do not stop the remaining lines.
 * @return 0 if every line succeeded, else the last error (-ENOENT if the
 *         file cannot be opened).
 */
int dps_cli_run_file(const char *path, int out_fd);

/** True once a 'quit' command ran. */
bool dps_cli_quit_requested(void);

/** Interactive prompt with line editing and tab completion. */
struct dps_cli_prompt;
struct dps_cli_prompt *dps_cli_prompt_new(int in_fd, int out_fd, const char *prompt);
/** Feed input read from in_fd; returns -EPIPE at end of input. */
int dps_cli_prompt_input(struct dps_cli_prompt *p, const char *buf, int len);
void dps_cli_prompt_free(struct dps_cli_prompt *p);

#endif /* DPS_CLI_H */
