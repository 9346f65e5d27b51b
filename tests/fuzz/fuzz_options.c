/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the daemon's command line (app/dpswitch/options.c):
 * the input is the argument list after "--", arguments separated by NUL
 * bytes (at most MAX_ARGS of them). Whatever the arguments,
 * dps_options_parse() returns 0, 1 (--help) or -EINVAL/-ENOMEM, never
 * reads outside them, leaves what it accepted in range, and
 * dps_options_free() frees every start-up command it made (the fuzzer
 * runs with LeakSanitizer). getopt's state lives between runs: the parser
 * must reset it itself (optind = 0), and this harness deliberately does
 * not. What it prints on stderr is caught: one line "dpswitch: ..." on
 * -EINVAL, naming the argument at fault (never the program's name),
 * nothing otherwise. Built and run by scripts/fuzz.sh.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "options.h"

/* Enough for more --port/--exec options than the parser takes (64). */
#define MAX_ARGS 160
/* The program's name, as EAL leaves it in argv[0]: no option. */
#define ARGV0 "dpswitch.argv0"

static int err_fd = -1;		/* stderr during a parse */
static char err_text[8192];

/* A broken invariant: crash, so that libFuzzer keeps the input. */
#define ASSERT(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Does @p s point into one of the arguments (a value the parser kept)? */
static int
in_args(const char *s, char *const *argv, int argc)
{
	for (int i = 0; i < argc; i++)
		if (s >= argv[i] && s <= argv[i] + strlen(argv[i]))
			return 1;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	err_fd = memfd_create("stderr", MFD_CLOEXEC);
	if (err_fd < 0)
		abort();
	/* Sanitizer reports while stderr is caught: to the real one. */
	__sanitizer_set_report_fd((void *)(intptr_t)dup(STDERR_FILENO));
	return 0;
}

/* dps_options_parse() with its stderr in err_text[]. */
static int
parse_caught(int argc, char **argv, struct dps_options *o)
{
	int saved, rc;
	ssize_t n;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	if (saved < 0 || ftruncate(err_fd, 0) != 0 || lseek(err_fd, 0, SEEK_SET) != 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		abort();
	rc = dps_options_parse(argc, argv, o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	lseek(err_fd, 0, SEEK_SET);
	n = read(err_fd, err_text, sizeof(err_text) - 1);
	err_text[n > 0 ? n : 0] = '\0';
	return rc;
}

static unsigned int
lines(const char *s)
{
	unsigned int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Does any argument after the program's name hold @p s? */
static int
any_arg_has(char *const *argv, int argc, const char *s)
{
	for (int i = 1; i < argc; i++)
		if (strstr(argv[i], s) != NULL)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *copy, *p, *end;
	char *orig[MAX_ARGS + 2];
	struct dps_options o;
	int argc = 0, rc;

	/* Each argument its own allocation: ASan sees a read past its end. */
	copy = malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = strdup(ARGV0);
	for (p = copy, end = copy + size; size > 0 && argc <= MAX_ARGS; p += strlen(p) + 1) {
		argv[argc++] = strdup(p);
		if (p + strlen(p) >= end)
			break;
	}
	argv[argc] = NULL;
	free(copy);
	memcpy(orig, argv, sizeof(argv));	/* getopt_long permutes argv */

	rc = parse_caught(argc, argv, &o);
	ASSERT(rc == 0 || rc == 1 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == -EINVAL) {
		size_t len = strlen(err_text);

		ASSERT(strncmp(err_text, "dpswitch: ", 10) == 0 && err_text[len - 1] == '\n');
		ASSERT(lines(err_text) == 1 || any_arg_has(orig, argc, "\n"));
		ASSERT(strstr(err_text, "'" ARGV0 "'") == NULL || any_arg_has(orig, argc, ARGV0));
	} else if (rc != -ENOMEM) {
		ASSERT(err_text[0] == '\0');
	}
	ASSERT(o.nb_cmds <= DPS_MAX_STARTUP_CMDS);
	for (unsigned int i = 0; i < o.nb_cmds; i++)
		ASSERT(o.cmds[i] != NULL);
	if (rc == 0) {
		ASSERT(o.nb_mbufs >= 1024 && o.nb_mbufs <= 1u << 24);
		ASSERT(o.mac_table_size >= 64 && o.mac_table_size <= 1u << 24);
		ASSERT(o.mac_aging >= 1 && o.mac_aging <= 1000000);
		ASSERT(o.mac_move_hold <= 3600);
		ASSERT(o.config == NULL || in_args(o.config, orig, argc));
		ASSERT(o.ctl_group == NULL || in_args(o.ctl_group, orig, argc));
		ASSERT(o.ctl_socket == NULL || in_args(o.ctl_socket, orig, argc) ||
		       strcmp(o.ctl_socket, DPS_CTL_SOCKET_DEFAULT) == 0);
	}
	dps_options_free(&o);
	ASSERT(o.nb_cmds == 0);
	for (int i = 0; i < argc; i++)
		free(orig[i]);
	return 0;
}
