/* SPDX-License-Identifier: BSD-3-Clause */
/* Dispatch: one command line in, output and a return code out. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmdline_rdline.h>
#undef dprintf /* see cli_priv.h */
#include <rte_common.h>

#include "cli_out.h"
#include "cli_priv.h"
#include "cli_state.h"

#define CLI_FAMILIES_MAX 16

/* lib/cli's own families first, then those registered (misc, with help, last). */
static const struct cli_cmd *families[CLI_FAMILIES_MAX] = {
	cli_port_cmds, cli_mac_cmds, cli_vlan_cmds, cli_guard_cmds, cli_lcore_cmds, cli_vf_cmds,
};
static unsigned int nb_families = 6;

static struct {
	cmdline_parse_ctx_t *ctx;	/* NULL-terminated instance list */
	const struct cli_cmd **cmds;	/* same order, for usage lines */
	unsigned int nb;
	struct cmdline *parser;		/* no I/O of its own: output is ours */
} cli;

static struct l2_table *cli_mac_table;

struct l2_table *
cli_state_mac_table(void)
{
	return cli_mac_table;
}

int
dps_cli_register(const struct cli_cmd *cmds)
{
	for (unsigned int f = 0; f < nb_families; f++)
		if (families[f] == cmds)
			return 0;
	if (nb_families == CLI_FAMILIES_MAX - 1)	/* room for misc */
		return -ENOSPC;
	families[nb_families++] = cmds;
	return 0;
}

int
dps_cli_init(struct l2_table *mac_table)
{
	unsigned int n = 0;

	cli_mac_table = mac_table;
	families[nb_families] = cli_misc_cmds;
	for (size_t f = 0; f <= nb_families; f++)
		for (const struct cli_cmd *c = families[f]; c->inst; c++)
			n++;
	cli.ctx = calloc(n + 1, sizeof(*cli.ctx));
	cli.cmds = calloc(n, sizeof(*cli.cmds));
	if (cli.ctx == NULL || cli.cmds == NULL)
		goto fail;
	for (size_t f = 0; f <= nb_families; f++)
		for (const struct cli_cmd *c = families[f]; c->inst; c++) {
			cli.cmds[cli.nb] = c;
			cli.ctx[cli.nb++] = c->inst;
		}
	cli.parser = cmdline_new(cli.ctx, "", -1, -1);
	if (cli.parser == NULL)
		goto fail;
	return 0;
fail:
	free(cli.ctx);
	free(cli.cmds);
	return -ENOMEM;
}

void
dps_cli_fini(void)
{
	if (cli.parser != NULL)
		cmdline_free(cli.parser);
	free(cli.ctx);
	free(cli.cmds);
	memset(&cli, 0, sizeof(cli));
}

bool
dps_cli_quit_requested(void)
{
	return cli_req.quit;
}

/* Number of leading words two strings share ("port add x" vs "port add NAME"). */
static unsigned int
common_words(const char *a, const char *b)
{
	unsigned int n = 0;

	for (;;) {
		size_t la, lb;

		while (*a == ' ')
			a++;
		while (*b == ' ')
			b++;
		la = strcspn(a, " ");
		lb = strcspn(b, " ");
		if (la == 0 || la != lb || strncmp(a, b, la) != 0)
			return n;
		n++;
		a += la;
		b += lb;
	}
}

/* Bad arguments: show the usage of the commands the line most resembles. */
static void
cli_bad_args(const char *line)
{
	char usage[1024] = "";
	unsigned int best = 0;

	for (unsigned int i = 0; i < cli.nb; i++)
		best = RTE_MAX(best, common_words(line, cli.cmds[i]->usage));
	for (unsigned int i = 0; i < cli.nb && best > 0; i++)
		if (common_words(line, cli.cmds[i]->usage) == best &&
		    strstr(usage, cli.cmds[i]->usage) == NULL)
			snprintf(usage + strlen(usage), sizeof(usage) - strlen(usage),
				 "%s%s", usage[0] ? " | " : "", cli.cmds[i]->usage);
	cli_fail(-EINVAL, "bad arguments for '%.*s'; usage: %s",
		 (int)strcspn(line, " "), line, usage);
}

int
dps_cli_exec(const char *line, int out_fd, bool json)
{
	char buf[CMDLINE_PARSE_RESULT_BUFSIZE];
	size_t len;
	int rc;

	while (isspace((unsigned char)*line))
		line++;
	len = strcspn(line, "\r\n");
	if (len == 0 || line[0] == '#')
		return 0;
	if (len >= sizeof(buf) - 1) {
		cli_request_begin(out_fd, json);
		cli_fail(-E2BIG, "command longer than %zu characters", sizeof(buf) - 2);
		return cli_req.rc;
	}
	memcpy(buf, line, len);
	/* cmdline_parse() ignores a line without its newline, returning 0. */
	buf[len] = '\n';
	buf[len + 1] = '\0';

	cli_request_begin(out_fd, json);
	rc = cmdline_parse(cli.parser, buf);
	buf[len] = '\0';
	if (rc == CMDLINE_PARSE_NOMATCH) {
		bool known = false;

		/* A known first word with wrong arguments is not "unknown". */
		for (unsigned int i = 0; i < cli.nb; i++)
			known |= common_words(buf, cli.cmds[i]->usage) > 0;
		if (known)
			cli_bad_args(buf);
		else
			cli_fail(-EINVAL, "unknown command '%.*s' (try 'help')",
				 (int)strcspn(buf, " "), buf);
	} else if (rc == CMDLINE_PARSE_BAD_ARGS) {
		cli_bad_args(buf);
	} else if (rc == CMDLINE_PARSE_AMBIGUOUS) {
		cli_fail(-EINVAL, "ambiguous command '%s'", buf);
	}
	return cli_req.rc;
}

/* Copy what a command wrote to @mfd onto @out_fd, each line prefixed. */
static void
relay_output(int mfd, int out_fd, const char *prefix)
{
	char buf[4096];
	off_t end = lseek(mfd, 0, SEEK_CUR);
	FILE *f;

	if (end <= 0)
		return;
	lseek(mfd, 0, SEEK_SET);
	f = fdopen(dup(mfd), "r");
	if (f == NULL)
		return;
	while (fgets(buf, sizeof(buf), f) != NULL)
		dprintf(out_fd, "%s%s", prefix, buf);
	fclose(f);
	lseek(mfd, 0, SEEK_SET);
	if (ftruncate(mfd, 0) != 0)
		return;
}

int
dps_cli_run_file(const char *path, int out_fd)
{
	char line[CMDLINE_PARSE_RESULT_BUFSIZE], prefix[320];
	unsigned int lineno = 0;
	int mfd, rc = 0;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		dprintf(out_fd, "error: cannot open config file '%s': %s\n", path,
			strerror(errno));
		return -ENOENT;
	}
	/* Run each line once into a buffer, so errors can carry FILE:LINE. */
	mfd = memfd_create("dps_cli_file", MFD_CLOEXEC);
	if (mfd < 0) {
		fclose(f);
		return -errno;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		int lrc;

		lineno++;
		lrc = dps_cli_exec(line, mfd, false);
		snprintf(prefix, sizeof(prefix), "%s:%u: ", path, lineno);
		relay_output(mfd, out_fd, lrc != 0 ? prefix : "");
		if (lrc != 0)
			rc = lrc;
		if (cli_req.quit)
			break;
	}
	close(mfd);
	fclose(f);
	return rc;
}

cmdline_parse_ctx_t *
cli_ctx(void)
{
	return cli.ctx;
}

const struct cli_cmd *const *
cli_all_cmds(unsigned int *nb)
{
	*nb = cli.nb;
	return cli.cmds;
}
