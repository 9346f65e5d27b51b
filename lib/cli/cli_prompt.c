/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interactive prompt: DPDK's rdline for editing, history and tab
 * completion, with our dispatcher behind it so that the prompt, the
 * control socket and the config file give the same errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cmdline_rdline.h>

#include "cli.h"
#include "cli_priv.h"

/* Completion needs the command table: borrow a parser for it. */

struct dps_cli_prompt {
	struct rdline *rdl;
	struct cmdline *completer;
	int in_fd;
	int out_fd;
	bool tty;
	struct termios saved;
	char prompt[32];
	/* Without a terminal, input is read as plain lines. */
	char line[4096];
	size_t len;
};

static int
prompt_write_char(struct rdline *rdl, char c)
{
	struct dps_cli_prompt *p = rdline_get_opaque(rdl);

	return write(p->out_fd, &c, 1) == 1 ? 0 : -1;
}

static void
prompt_validate(struct rdline *rdl, const char *buf, unsigned int size)
{
	struct dps_cli_prompt *p = rdline_get_opaque(rdl);
	char line[4096];

	snprintf(line, sizeof(line), "%.*s", (int)size, buf);
	dps_cli_exec(line, p->out_fd, false);
}

static int
prompt_complete(struct rdline *rdl, const char *buf, char *dst,
		unsigned int dstsize, int *state)
{
	struct dps_cli_prompt *p = rdline_get_opaque(rdl);

	return cmdline_complete(p->completer, buf, state, dst, dstsize);
}

struct dps_cli_prompt *
dps_cli_prompt_new(int in_fd, int out_fd, const char *prompt)
{
	struct dps_cli_prompt *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->in_fd = in_fd;
	p->out_fd = out_fd;
	snprintf(p->prompt, sizeof(p->prompt), "%s", prompt);
	p->tty = isatty(in_fd);
	if (!p->tty)
		return p;
	p->completer = cmdline_new(cli_ctx(), "", -1, -1);
	p->rdl = rdline_new(prompt_write_char, prompt_validate, prompt_complete, p);
	if (p->completer == NULL || p->rdl == NULL) {
		dps_cli_prompt_free(p);
		return NULL;
	}
	tcgetattr(in_fd, &p->saved);
	{
		struct termios raw = p->saved;

		raw.c_lflag &= ~(ICANON | ECHO | ISIG);
		tcsetattr(in_fd, TCSANOW, &raw);
	}
	rdline_newline(p->rdl, p->prompt);
	return p;
}

static int
prompt_plain_input(struct dps_cli_prompt *p, const char *buf, int len)
{
	for (int i = 0; i < len; i++) {
		if (buf[i] != '\n') {
			if (p->len < sizeof(p->line) - 1)
				p->line[p->len++] = buf[i];
			continue;
		}
		p->line[p->len] = '\0';
		dps_cli_exec(p->line, p->out_fd, false);
		p->len = 0;
		if (dps_cli_quit_requested())
			return -EPIPE;
	}
	return 0;
}

int
dps_cli_prompt_input(struct dps_cli_prompt *p, const char *buf, int len)
{
	if (len <= 0)
		return -EPIPE;
	if (!p->tty)
		return prompt_plain_input(p, buf, len);
	for (int i = 0; i < len; i++) {
		int rc = rdline_char_in(p->rdl, buf[i]);

		if (rc == RDLINE_RES_VALIDATED) {
			const char *h = rdline_get_buffer(p->rdl);

			if (h != NULL && h[0] != '\0' && h[0] != '\n')
				rdline_add_history(p->rdl, h);
			if (dps_cli_quit_requested())
				return -EPIPE;
			rdline_newline(p->rdl, p->prompt);
		} else if (rc == RDLINE_RES_EOF || rc == RDLINE_RES_EXITED) {
			return -EPIPE;
		}
	}
	return 0;
}

void
dps_cli_prompt_free(struct dps_cli_prompt *p)
{
	if (p == NULL)
		return;
	if (p->tty)
		tcsetattr(p->in_fd, TCSANOW, &p->saved);
	if (p->rdl != NULL)
		rdline_free(p->rdl);
	if (p->completer != NULL)
		cmdline_free(p->completer);
	free(p);
}
