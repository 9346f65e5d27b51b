/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the daemon's option parsing (app/dpswitch/options.c). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "options.h"
#include "test_common.h"

#define MAX_ARGS 200

static char *args[MAX_ARGS + 1];
static int nargs;
static char err_text[4096];	/* what the last parse wrote to stderr */

static void
args_reset(void)
{
	for (int i = 0; i < nargs; i++)
		free(args[i]);
	nargs = 0;
}

static void
args_add(const char *a)
{
	if (nargs < MAX_ARGS)
		args[nargs++] = strdup(a);
	args[nargs] = NULL;
}

/* Parse the argument list (the program name is prepended), capturing stderr. */
static int
parse_argv(struct dps_options *o)
{
	int mfd = memfd_create("stderr", 0), saved, rc;
	ssize_t n;

	/* No getopt reset here: dps_options_parse() must do it itself. */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(mfd, STDERR_FILENO);
	rc = dps_options_parse(nargs, args, o);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	lseek(mfd, 0, SEEK_SET);
	n = read(mfd, err_text, sizeof(err_text) - 1);
	err_text[n > 0 ? n : 0] = '\0';
	close(mfd);
	return rc;
}

static int
parse(struct dps_options *o, ...)
{
	va_list ap;
	const char *a;

	args_reset();
	args_add("dpswitch");
	va_start(ap, o);
	while ((a = va_arg(ap, const char *)) != NULL)
		args_add(a);
	va_end(ap);
	return parse_argv(o);
}

static unsigned int
lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* An error: -EINVAL and one line on stderr that starts "dpswitch: ". */
#define CHECK_PARSE_ERR(o, ...) do {					\
	int rc_ = parse(o, __VA_ARGS__, NULL);				\
	CHECK_EQ(rc_, -EINVAL);						\
	CHECK_MSG(lines(err_text) == 1 &&				\
		  strncmp(err_text, "dpswitch: ", 10) == 0,		\
		  "stderr: \"%s\"", err_text);				\
	dps_options_free(o);						\
} while (0)

static void
check_defaults(const struct dps_options *o)
{
	CHECK(o->config == NULL);
	CHECK(o->ctl_socket != NULL);
	CHECK_STREQ(o->ctl_socket, DPS_CTL_SOCKET_DEFAULT);
	CHECK(!o->interactive);
	CHECK_EQ(o->nb_mbufs, 32768);
	CHECK_EQ(o->mac_table_size, 65536);
	CHECK_EQ(o->mac_aging, 300);
	CHECK_EQ(o->mac_move_hold, 2);
	CHECK(o->ctl_group == NULL);
	CHECK_EQ(o->nb_cmds, 0);
}

static void
test_defaults(void)
{
	struct dps_options o;

	memset(&o, 0x5a, sizeof(o));
	CHECK_EQ(parse(&o, NULL), 0);
	CHECK_STREQ(err_text, "");
	check_defaults(&o);
	dps_options_free(&o);
}

static void
test_values(void)
{
	struct dps_options o;

	CHECK_EQ(parse(&o, "-c", "/etc/dps.conf", "-i", "-s", "/tmp/dps.sock",
		       "--mbufs", "4096", "--mac-table-size", "1024",
		       "--mac-aging", "60", NULL), 0);
	CHECK_STREQ(o.config, "/etc/dps.conf");
	CHECK(o.interactive);
	CHECK_STREQ(o.ctl_socket, "/tmp/dps.sock");
	CHECK_EQ(o.nb_mbufs, 4096);
	CHECK_EQ(o.mac_table_size, 1024);
	CHECK_EQ(o.mac_aging, 60);
	CHECK_EQ(o.nb_cmds, 0);
	dps_options_free(&o);

	CHECK_EQ(parse(&o, "--config=/x.conf", "--interactive", "--ctl-socket=/s",
		       "--mbufs=1024", "--mac-table-size=64", "--mac-aging=1", NULL), 0);
	CHECK_STREQ(o.config, "/x.conf");
	CHECK(o.interactive);
	CHECK_STREQ(o.ctl_socket, "/s");
	CHECK_EQ(o.nb_mbufs, 1024);
	CHECK_EQ(o.mac_table_size, 64);
	CHECK_EQ(o.mac_aging, 1);
	dps_options_free(&o);

	/* Range ends. */
	CHECK_EQ(parse(&o, "--mbufs", "16777216", "--mac-table-size", "16777216",
		       "--mac-aging", "1000000", NULL), 0);
	CHECK_EQ(o.nb_mbufs, 1u << 24);
	CHECK_EQ(o.mac_table_size, 1u << 24);
	CHECK_EQ(o.mac_aging, 1000000);
	dps_options_free(&o);

	/* The last of a repeated value option wins. */
	CHECK_EQ(parse(&o, "--mac-aging", "10", "--mac-aging", "20", NULL), 0);
	CHECK_EQ(o.mac_aging, 20);
	dps_options_free(&o);

	/* --rx-mode is the command "lcore mode all MODE", in order. */
	CHECK_EQ(parse(&o, "-p", "a null", "--rx-mode", "poll", "--rx-mode=interrupt", NULL), 0);
	CHECK_EQ(o.nb_cmds, 3);
	CHECK_STREQ(o.cmds[1], "lcore mode all poll");
	CHECK_STREQ(o.cmds[2], "lcore mode all interrupt");
	dps_options_free(&o);

	/* Each parse starts from the defaults. */
	CHECK_EQ(parse(&o, NULL), 0);
	check_defaults(&o);
	dps_options_free(&o);
}

static void
test_ctl_socket_none(void)
{
	struct dps_options o;

	CHECK_EQ(parse(&o, "-s", "none", NULL), 0);
	CHECK(o.ctl_socket == NULL);
	dps_options_free(&o);
	CHECK_EQ(parse(&o, "--ctl-socket", "none", NULL), 0);
	CHECK(o.ctl_socket == NULL);
	dps_options_free(&o);
	/* A path that merely contains "none" is a path. */
	CHECK_EQ(parse(&o, "-s", "/run/none", NULL), 0);
	CHECK_STREQ(o.ctl_socket, "/run/none");
	dps_options_free(&o);
	/* The group is looked up when the socket is made, not here. */
	CHECK_EQ(parse(&o, "--ctl-group", "dpswitch", "--mac-move-hold", "0", NULL), 0);
	CHECK_STREQ(o.ctl_group, "dpswitch");
	CHECK_EQ(o.mac_move_hold, 0);
	dps_options_free(&o);
}

static void
test_startup_cmds(void)
{
	struct dps_options o;
	char buf[32];

	CHECK_EQ(parse(&o, "-p", "n0 null", "-e", "vlan access n0 5",
		       "--port", "v0 vhost iface=/tmp/v0.sock,queues=2",
		       "--exec=mac show", "--port=t0 tap", NULL), 0);
	CHECK_EQ(o.nb_cmds, 5);
	if (o.nb_cmds == 5) {
		CHECK_STREQ(o.cmds[0], "port add n0 null");
		CHECK_STREQ(o.cmds[1], "vlan access n0 5");
		CHECK_STREQ(o.cmds[2], "port add v0 vhost iface=/tmp/v0.sock,queues=2");
		CHECK_STREQ(o.cmds[3], "mac show");
		CHECK_STREQ(o.cmds[4], "port add t0 tap");
	}
	dps_options_free(&o);
	CHECK_EQ(o.nb_cmds, 0);

	/* Up to DPS_MAX_STARTUP_CMDS, and no more. */
	args_reset();
	args_add("dpswitch");
	for (int i = 0; i < DPS_MAX_STARTUP_CMDS; i++) {
		snprintf(buf, sizeof(buf), "set burst %d", i + 1);
		args_add("-e");
		args_add(buf);
	}
	CHECK_EQ(parse_argv(&o), 0);
	CHECK_EQ(o.nb_cmds, DPS_MAX_STARTUP_CMDS);
	CHECK_STREQ(o.cmds[DPS_MAX_STARTUP_CMDS - 1], "set burst 64");
	dps_options_free(&o);
	args_add("-p");
	args_add("one too many");
	CHECK_EQ(parse_argv(&o), -EINVAL);
	CHECK_CONTAINS(err_text, "dpswitch: ");
	CHECK_EQ(lines(err_text), 1);
	CHECK(o.nb_cmds <= DPS_MAX_STARTUP_CMDS);
	dps_options_free(&o);
}

static void
test_errors(void)
{
	struct dps_options o;

	/* Bad numbers. */
	CHECK_PARSE_ERR(&o, "--mbufs", "abc");
	CHECK_PARSE_ERR(&o, "--mbufs", "");
	CHECK_PARSE_ERR(&o, "--mbufs", "4096x");
	CHECK_PARSE_ERR(&o, "--mbufs", "1023");
	CHECK_PARSE_ERR(&o, "--mbufs", "16777217");
	CHECK_PARSE_ERR(&o, "--mbufs", "-1");
	CHECK_PARSE_ERR(&o, "--mbufs", "99999999999999999999999");
	CHECK_PARSE_ERR(&o, "--mbufs=");
	CHECK_PARSE_ERR(&o, "--mac-aging", "0");
	CHECK_PARSE_ERR(&o, "--mac-aging", "1000001");
	CHECK_PARSE_ERR(&o, "--mac-aging", "ten");
	CHECK_PARSE_ERR(&o, "--mac-aging", "4294967296");
	CHECK_PARSE_ERR(&o, "--rx-mode", "sleepy");
	CHECK_CONTAINS(err_text, "--rx-mode must be poll, interrupt or adaptive, not 'sleepy'");
	CHECK_PARSE_ERR(&o, "--rx-mode", "");
	CHECK_PARSE_ERR(&o, "--mac-table-size", "63");
	CHECK_PARSE_ERR(&o, "--mac-table-size", "1e6");
	CHECK_CONTAINS(err_text, "--mac-table-size");

	/* The message names the option and the range. */
	CHECK_EQ(parse(&o, "--mac-aging", "0", NULL), -EINVAL);
	CHECK_CONTAINS(err_text, "--mac-aging");
	CHECK_CONTAINS(err_text, "1..1000000");
	dps_options_free(&o);

	/* Unknown options. */
	CHECK_PARSE_ERR(&o, "--bogus");
	CHECK_CONTAINS(err_text, "--bogus");
	CHECK_PARSE_ERR(&o, "-x");
	CHECK_CONTAINS(err_text, "-x");
	CHECK_PARSE_ERR(&o, "--bogus=1");
	CHECK_PARSE_ERR(&o, "-i", "--no-such-option", "-c", "f");
	CHECK_CONTAINS(err_text, "'--no-such-option'");
	/* In a group of short options: that one, not the argument before. */
	CHECK_PARSE_ERR(&o, "-xi");
	CHECK_CONTAINS(err_text, "unknown option '-x'");
	CHECK_PARSE_ERR(&o, "-i", "-xc", "f");
	CHECK_CONTAINS(err_text, "unknown option '-x'");
	CHECK_PARSE_ERR(&o, "-iz");
	CHECK_CONTAINS(err_text, "unknown option '-z'");
	/* An option that takes no value, given one; an ambiguous abbreviation. */
	CHECK_PARSE_ERR(&o, "--help=3");
	CHECK_CONTAINS(err_text, "'--help=3' takes no value");
	CHECK_PARSE_ERR(&o, "--interactive=yes");
	CHECK_CONTAINS(err_text, "'--interactive=yes' takes no value");
	CHECK_PARSE_ERR(&o, "--ma", "5");
	CHECK_CONTAINS(err_text, "'--ma'");

	/* Missing values. */
	CHECK_PARSE_ERR(&o, "-p");
	CHECK_PARSE_ERR(&o, "-c");
	CHECK_PARSE_ERR(&o, "--mbufs");
	CHECK_PARSE_ERR(&o, "--exec");

	/* Stray arguments. */
	CHECK_PARSE_ERR(&o, "extra");
	CHECK_CONTAINS(err_text, "extra");
	CHECK_PARSE_ERR(&o, "-i", "stray", "-c", "f");

	/* After errors, a clean parse still gets the defaults. */
	CHECK_EQ(parse(&o, NULL), 0);
	check_defaults(&o);
	dps_options_free(&o);
}

static void
test_help(void)
{
	struct dps_options o;

	CHECK_EQ(parse(&o, "--help", NULL), 1);
	dps_options_free(&o);
	CHECK_EQ(parse(&o, "-h", NULL), 1);
	dps_options_free(&o);
	CHECK_EQ(parse(&o, "-i", "-h", NULL), 1);
	dps_options_free(&o);
	CHECK_EQ(parse(&o, "-e", "port show", "--help", NULL), 1);
	dps_options_free(&o);
	CHECK_EQ(o.nb_cmds, 0);
}

/*
 * A parse that stopped inside a cluster of short options ("-hi" returns at
 * 'h') must not leak into the next one: dps_options_parse() resets getopt
 * fully (optind = 0), and with optind = 1 the next parse would resume at
 * 'i' in the freed argv.
 */
static void
test_reparse(void)
{
	struct dps_options o;

	CHECK_EQ(parse(&o, "-hi", NULL), 1);
	dps_options_free(&o);
	CHECK_EQ(parse(&o, NULL), 0);
	CHECK(!o.interactive);
	CHECK_STREQ(err_text, "");
	dps_options_free(&o);
}

/* The usage text (stdout) mentions every option and the default socket. */
static void
test_usage(void)
{
	static const char *const opts[] = {
		"--config", "--port", "--exec", "--ctl-socket", "--interactive",
		"--mbufs", "--mac-table-size", "--mac-aging", "--help",
		DPS_CTL_SOCKET_DEFAULT,
	};
	int mfd = memfd_create("usage", 0), saved = dup(STDOUT_FILENO);
	char buf[8192];
	ssize_t n;

	fflush(stdout);
	dup2(mfd, STDOUT_FILENO);
	dps_options_usage("dpswitch");
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	lseek(mfd, 0, SEEK_SET);
	n = read(mfd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(mfd);
	CHECK_CONTAINS(buf, "Usage: dpswitch");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		CHECK_CONTAINS(buf, opts[i]);
}

int
main(void)
{
	test_defaults();
	test_values();
	test_ctl_socket_none();
	test_startup_cmds();
	test_errors();
	test_help();
	test_reparse();
	test_usage();
	args_reset();
	return test_report();
}
