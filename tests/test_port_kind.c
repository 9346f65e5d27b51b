/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the port kinds' devargs handling (lib/port/port_kind.c)
 * that need no DPDK runtime: what port_args_redact() shows of a secret,
 * and devargs refused before any check looks at the system. The rest is
 * fuzzed (tests/fuzz/fuzz_devargs.c) and tested through the command
 * language (test_cli.c) and the system tests.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "port/port.h"
#include "port/port_kind.h"
#include "test_common.h"

static const char *
redact(const char *args, size_t size)
{
	static char out[1024];

	memset(out, 'X', sizeof(out));
	port_args_redact(args, out, size);
	return out;
}

static void
test_redact(void)
{
	CHECK_STREQ(redact("", 64), "");
	CHECK_STREQ(redact("path=/run/a.sock,secret=hunter2,mode=isolated", 64),
		    "path=/run/a.sock,secret=***,mode=isolated");
	CHECK_STREQ(redact("secret=hunter2", 64), "secret=***");
	CHECK_STREQ(redact("secret=", 64), "secret=***");
	CHECK_STREQ(redact("secret", 64), "secret");		/* a key, no value */
	CHECK_STREQ(redact("secrets=a,asecret=b,id=secret", 64), "secrets=a,asecret=b,id=secret");
	CHECK_STREQ(redact(",,secret=x,,", 64), ",,secret=***,,");

	/*
	 * Pairs as rte_kvargs (the drivers) split them. A value in [brackets]
	 * holds commas: it was shown from its first one on.
	 */
	CHECK_STREQ(redact("secret=[hunter,2],id=1", 64), "secret=***,id=1");
	CHECK_STREQ(redact("id=1,secret=[a,b,c]", 64), "id=1,secret=***");
	CHECK_STREQ(redact("secret=[a,b", 64), "secret=***");	/* to the end */
	/* The key is what stands before the last '=': this one is a secret... */
	CHECK_STREQ(redact("id=1=secret=hunter2,role=server", 64), "secret=***,role=server");
	/* ... and in these "secret" is no key (the driver sees a=b, list=[x]). */
	CHECK_STREQ(redact("secret=a=b", 64), "secret=a=b");
	CHECK_STREQ(redact("list=[secret,x]", 64), "list=[secret,x]");

	/* Cut short: a prefix of the whole, never a byte of the secret. */
	CHECK_STREQ(redact("secret=hunter2,id=1", 8), "secret=");
	CHECK_STREQ(redact("secret=hunter2,id=1", 11), "secret=***");
	CHECK_STREQ(redact("secret=hunter2,id=1", 12), "secret=***,");
	CHECK_STREQ(redact("id=1,secret=hunter2", 4), "id=");
	CHECK_STREQ(redact("secret=hunter2", 1), "");
	CHECK(redact("secret=hunter2", 0)[0] == 'X');		/* size 0: untouched */
}

/* More pairs than rte_kvargs takes: the message quotes them, redacted. */
static void
test_unparsable_redacted(void)
{
	char args[DPS_PORT_ARGS_MAX], dev[1024], devname[64];
	struct dps_err err = { "" };
	struct port_want want;
	int rc;

	args[0] = '\0';
	for (int i = 0; i < 40; i++)
		snprintf(args + strlen(args), sizeof(args) - strlen(args), "k%d,", i);
	strcat(args, "secret=hunter2");
	rc = port_kind_devargs(port_kind_find("memif"), "m0", args, dev, sizeof(dev), devname,
			       sizeof(devname), &want, &err);
	CHECK_EQ(rc, -EINVAL);
	CHECK_CONTAINS(err.msg, "cannot parse devargs");
	CHECK_NOT_CONTAINS(err.msg, "hunter2");

	/* A PCI device's driver devargs: whichever check refuses them, no secret. */
	memmove(args + strlen("0000:03:00.0,"), args, strlen(args) + 1);
	memcpy(args, "0000:03:00.0,", strlen("0000:03:00.0,"));
	rc = port_kind_devargs(port_kind_find("pci"), "p0", args, dev, sizeof(dev), devname,
			       sizeof(devname), &want, &err);
	CHECK(rc < 0);
	CHECK_NOT_CONTAINS(err.msg, "hunter2");
}

int
main(void)
{
	test_redact();
	test_unparsable_redacted();
	return test_report();
}
