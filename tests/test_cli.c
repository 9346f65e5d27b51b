/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the command language (lib/cli) over a real EAL with no
 * hugepages, no PCI bus and no NIC: ports are net_null vdevs. The workers
 * are initialised (one, on lcore 1) but only started at the very end, so
 * every command runs against a quiet dataplane.
 *
 * TEST_VERBOSE=1 in the environment echoes every command and its output.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "cli/cli.h"
#include "fwd/fwd.h"
#include "l2/l2_table.h"
#include "port/port.h"
#include "worker/worker.h"
#include "dps_shm.h"
#include "test_common.h"
#include "test_eal.h"

static int mfd;			/* commands write here */
static char out[1 << 16];	/* ... and it is read back here */
static int rc;			/* return code of the last command */
static struct l2_table *tbl;

static void
out_clear(void)
{
	if (ftruncate(mfd, 0) != 0 || lseek(mfd, 0, SEEK_SET) != 0)
		abort();
}

/* Read back into out[] what was written to mfd since out_clear(). */
static const char *
out_read(void)
{
	ssize_t n;

	lseek(mfd, 0, SEEK_SET);
	n = read(mfd, out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

/* Run one command line; its output is in out[], its return code in rc. */
static const char *
run_mode(const char *line, bool json)
{
	out_clear();
	rc = dps_cli_exec(line, mfd, json);
	out_read();
	if (getenv("TEST_VERBOSE") != NULL)
		fprintf(stderr, "> %s%s\n[rc %d]\n%s", json ? "(json) " : "", line,
			rc, out);
	return out;
}

static const char *
run(const char *line)
{
	return run_mode(line, false);
}

static const char *
run_json(const char *line)
{
	return run_mode(line, true);
}

static unsigned int
nlines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A command that must succeed silently. */
#define CHECK_OK(line) do {						\
	run(line);							\
	CHECK_MSG(rc == 0 && out[0] == '\0', "'%s': rc %d, output \"%s\"", \
		  line, rc, out);					\
} while (0)

/* A command that must fail with one "error: " line containing @needle. */
#define CHECK_ERR(line, needle) do {					\
	run(line);							\
	CHECK_MSG(rc < 0 && strncmp(out, "error: ", 7) == 0 &&		\
		  nlines(out) == 1 && strstr(out, needle) != NULL,	\
		  "'%s': rc %d, output \"%s\", expected an error with \"%s\"", \
		  line, rc, out, needle);				\
} while (0)

/* The line of `port show` that describes @name (text mode), or "". */
static const char *
port_line(const char *name)
{
	static char line[1024];
	const char *p = run("port show");
	size_t len = strlen(name);

	line[0] = '\0';
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (strncmp(p, name, len) == 0 && p[len] == ' ' && l < sizeof(line)) {
			memcpy(line, p, l);
			line[l] = '\0';
			break;
		}
		p += l + (nl != NULL);
	}
	return line;
}

static void
test_blank_and_comments(void)
{
	static const char *const lines[] = {
		"", "\n", "   ", " \t \n", "# a comment", "   # indented comment",
		"#port add x null", "\r\n",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		run(lines[i]);
		CHECK_MSG(rc == 0 && out[0] == '\0', "line \"%s\": rc %d, \"%s\"",
			  lines[i], rc, out);
	}
	CHECK_EQ(dps_port_count(), 0);
}

static void
test_unknown_and_bad_args(void)
{
	run("foo");
	CHECK_EQ(rc, -EINVAL);
	CHECK_STREQ(out, "error: unknown command 'foo' (try 'help')\n");
	CHECK_ERR("foo bar baz", "unknown command 'foo'");
	CHECK_ERR("  foo  ", "unknown command 'foo'");
	CHECK_ERR("portx show", "unknown command 'portx'");

	/* Known command, wrong arguments: the usage of what it resembles. */
	CHECK_ERR("port", "usage:");
	CHECK_ERR("port add", "usage: port add NAME KIND [DEVARGS]");
	CHECK_ERR("port add n0", "usage: port add NAME KIND [DEVARGS]");
	CHECK_ERR("port frobnicate", "usage:");
	CHECK_ERR("vlan access n0", "usage: vlan access PORT VID");
	CHECK_ERR("vlan access n0 abc", "usage: vlan access PORT VID");
	CHECK_ERR("vlan access n0 70000", "usage: vlan access PORT VID");
	CHECK_ERR("vlan trunk n0", "vlan trunk PORT VIDS [native VID]");
	CHECK_ERR("vlan trunk n0 10 native", "vlan trunk PORT VIDS [native VID]");
	CHECK_ERR("xconnect add n0", "xconnect add PORT1 PORT2");
	CHECK_ERR("set mac-aging", "set mac-aging|mac-move-hold|burst|park-polls|spin-polls|sleep-max VALUE");
	CHECK_ERR("set mac-aging -1", "set mac-aging|mac-move-hold|burst|park-polls|spin-polls|sleep-max VALUE");
	CHECK_ERR("set colour 5", "set mac-aging|mac-move-hold|burst|park-polls|spin-polls|sleep-max VALUE");
	CHECK_ERR("mac show a b", "usage: mac show [PORT]");
	CHECK_ERR("help me", "usage: help");
	CHECK_ERR("lcore assign n0", "usage: lcore assign PORT QUEUE LCORE");

	/* A line longer than the parser's buffer. */
	{
		static char big[10000];

		memset(big, 'a', sizeof(big) - 1);
		memcpy(big, "port add ", 9);
		run(big);
		CHECK_EQ(rc, -E2BIG);
		CHECK_CONTAINS(out, "error: command longer than");
		CHECK_EQ(nlines(out), 1);
	}

	/* Errors as JSON. */
	run_json("foo");
	CHECK_EQ(rc, -EINVAL);
	CHECK_STREQ(out, "{\"error\":\"unknown command 'foo' (try 'help')\"}\n");
	CHECK_JSON(out);
	run_json("port add");
	CHECK_EQ(rc, -EINVAL);
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "\"error\":");
	CHECK_CONTAINS(out, "usage:");
	/* Quotes and backslashes in a message are escaped. */
	run_json("port add a\"b\\c null");
	CHECK(rc < 0);
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "a\\\"b\\\\c");
	CHECK_EQ(dps_port_count(), 0);
}

static void
test_help(void)
{
	run("help");
	CHECK_EQ(rc, 0);
	CHECK_CONTAINS(out, "port add");
	CHECK_CONTAINS(out, "vlan trunk");
	CHECK_CONTAINS(out, "xconnect add");
	CHECK_CONTAINS(out, "mac show");
	CHECK_CONTAINS(out, "lcore assign");
	CHECK_CONTAINS(out, "quit");
	run_json("help");
	CHECK_EQ(rc, 0);
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "\"commands\":[");
	CHECK_CONTAINS(out, "{\"usage\":\"port add NAME KIND [DEVARGS]\",\"help\":\"create a port\"}");
}

static void
test_ports(void)
{
	char cmd[128];
	const char *l;
	int id;

	run("port show");
	CHECK_EQ(rc, 0);
	CHECK_EQ(nlines(out), 1);	/* the header */
	CHECK_CONTAINS(out, "NAME");
	run_json("port show");
	CHECK_EQ(rc, 0);
	CHECK_STREQ(out, "{\"ports\":[]}\n");

	CHECK_OK("port add n0 null");
	CHECK_EQ(dps_port_count(), 1);
	id = dps_port_id("n0");
	CHECK(id >= 0);
	l = port_line("n0");
	CHECK_CONTAINS(l, " null ");
	CHECK_CONTAINS(l, " up ");
	CHECK_CONTAINS(l, "bridge");
	CHECK_CONTAINS(l, "access 1");
	run("port show n0");
	CHECK_EQ(rc, 0);
	CHECK_EQ(nlines(out), 2);
	CHECK_CONTAINS(out, "\nn0 ");
	run_json("port show n0");
	CHECK_EQ(rc, 0);
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "{\"ports\":[{\"name\":\"n0\",\"kind\":\"null\"");
	CHECK_CONTAINS(out, "\"link_up\":true");
	CHECK_CONTAINS(out, "\"role\":\"bridge\"");
	CHECK_CONTAINS(out, "\"vlan\":\"access 1\"");
	/* The dataplane draft has the port in the bridge, VLAN 1. */
	if (id >= 0) {
		const struct fwd_config *f = &dps_dp_draft()->fwd;

		CHECK_EQ(f->port[id].role, FWD_ROLE_BRIDGE);
		CHECK((f->vlan_members[1] >> id) & 1);
		CHECK((dps_link_mask() >> id) & 1);
	}

	/* Name taken. */
	run("port add n0 null");
	CHECK(rc != 0);
	CHECK_EQ(rc, -EEXIST);
	CHECK_MSG(strncmp(out, "error: ", 7) == 0 && nlines(out) == 1, "\"%s\"", out);
	CHECK_CONTAINS(out, "n0");
	CHECK_EQ(dps_port_count(), 1);

	/* Unknown kind: the valid kinds are listed. */
	CHECK_ERR("port add n1 bogus", "unknown port kind 'bogus'");
	CHECK_CONTAINS(out, dps_port_kind_list());
	CHECK_CONTAINS(out, "vhost, tap, af_packet, pcap, memif, ring, null, pci, shm");
	CHECK_EQ(rc, -EINVAL);

	/* Unknown devargs key: the valid keys are listed. */
	CHECK_ERR("port add n1 null foo=1", "no option 'foo'");
	CHECK_CONTAINS(out, "size, copy, no-rx");
	CHECK_EQ(rc, -EINVAL);
	CHECK_ERR("port add n1 ring foo=1", "(valid: none)");
	CHECK_ERR("port add n1 null size=64,bar=2", "no option 'bar'");
	CHECK_ERR("port add n1 vhost", "iface");	/* required key */

	/* The driver rejects the devargs: nothing is left behind. */
	CHECK_ERR("port add p5 null no-rx=2", "driver rejected 'no-rx=2'");
	CHECK_EQ(dps_port_id("p5"), -ENOENT);
	CHECK_ERR("port add p5 null no-rx=2", "driver rejected 'no-rx=2'");
	CHECK_OK("port add p5 null");
	CHECK_OK("port del p5");

	/* Bad names. */
	CHECK_ERR("port add bad.name null", "bad.name");
	CHECK_CONTAINS(out, "letters, digits");
	CHECK_ERR("port add abcdefghijabcdefghijabcdefghijabc null", "1..31 characters");
	CHECK_EQ(dps_port_count(), 1);

	/* More ports; devargs are kept and shown. */
	CHECK_OK("port add n1 null size=128");
	CHECK_CONTAINS(port_line("n1"), "size=128");
	CHECK_OK("port add n2 null");
	CHECK_OK("port add n_3-x null");
	CHECK_EQ(dps_port_count(), 4);
	/* Listed in creation order. */
	run("port show");
	{
		const char *a = strstr(out, "\nn0 "), *b = strstr(out, "\nn1 "),
			   *c = strstr(out, "\nn2 "), *d = strstr(out, "\nn_3-x ");

		CHECK(a && b && c && d && a < b && b < c && c < d);
	}
	run_json("port show");
	CHECK_JSON(out);

	/* Unknown port. */
	CHECK_ERR("port show zz", "no port named 'zz'");
	run_json("port show zz");
	CHECK_STREQ(out, "{\"error\":\"no port named 'zz'\"}\n");

	/* Stats and clear. */
	run("port stats n0");
	CHECK_EQ(rc, 0);
	CHECK_CONTAINS(out, "port n0\n");
	CHECK_CONTAINS(out, "rx 0 packets 0 bytes");
	run("port stats");
	CHECK_EQ(rc, 0);
	CHECK_CONTAINS(out, "port n_3-x\n");
	run_json("port stats");
	CHECK_EQ(rc, 0);
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "\"drops\":{");
	run_json("port stats n1");
	CHECK_JSON(out);
	CHECK_ERR("port stats zz", "no port named 'zz'");
	CHECK_OK("port clear");
	CHECK_OK("port clear n0");
	CHECK_ERR("port clear zz", "no port named 'zz'");

	/* Delete, and the name and device are free again. */
	snprintf(cmd, sizeof(cmd), "port del n_3-x");
	CHECK_OK(cmd);
	CHECK_EQ(dps_port_count(), 3);
	CHECK_EQ(dps_port_id("n_3-x"), -ENOENT);
	CHECK_ERR("port show n_3-x", "no port named 'n_3-x'");
	CHECK_ERR("port del n_3-x", "n_3-x");
	CHECK_EQ(rc, -ENOENT);
	CHECK_OK("port add n_3-x null");
	CHECK_OK("port del n_3-x");
	CHECK_EQ(dps_port_count(), 3);
}

static void
test_vlan(void)
{
	int id = dps_port_id("n0");

	CHECK_OK("vlan trunk n0 10,20 native 5");
	CHECK_CONTAINS(port_line("n0"), "trunk 10,20 native 5");
	run("port show n0");
	CHECK_CONTAINS(out, "trunk 10,20 native 5");
	run_json("port show n0");
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "\"vlan\":\"trunk 10,20 native 5\"");
	if (id >= 0) {
		const struct fwd_config *f = &dps_dp_draft()->fwd;

		CHECK_EQ(f->port[id].vlan_mode, FWD_VLAN_TRUNK);
		CHECK_EQ(f->port[id].native_vid, 5);
		CHECK((f->vlan_members[10] >> id) & 1);
		CHECK((f->vlan_members[20] >> id) & 1);
		CHECK((f->vlan_members[5] >> id) & 1);
		CHECK(!((f->vlan_members[1] >> id) & 1));
		CHECK(!((f->vlan_members[15] >> id) & 1));
	}

	CHECK_OK("vlan trunk n0 100-200,7");
	CHECK_CONTAINS(port_line("n0"), "trunk 7,100-200 ");
	CHECK_NOT_CONTAINS(port_line("n0"), "native");
	CHECK_OK("vlan trunk n0 all");
	CHECK_CONTAINS(port_line("n0"), "trunk 1-4094");
	CHECK_OK("vlan trunk n0 10,20 native 5");

	/* Bad lists and VIDs leave the port as it was. */
	CHECK_ERR("vlan trunk n0 0", "bad VLAN list '0'");
	CHECK_ERR("vlan trunk n0 4095", "bad VLAN list '4095'");
	CHECK_ERR("vlan trunk n0 10,,20", "bad VLAN list '10,,20'");
	CHECK_ERR("vlan trunk n0 20-10", "bad VLAN list");
	CHECK_ERR("vlan trunk n0 10, native 5", "bad VLAN list");
	CHECK_ERR("vlan trunk n0 abc", "bad VLAN list 'abc'");
	CHECK_ERR("vlan trunk n0 10 native 4095", "4095");
	CHECK_ERR("vlan trunk zz 10", "no port named 'zz'");
	CHECK_ERR("vlan access n0 0", "VLAN 0 out of range 1..4094");
	CHECK_ERR("vlan access n0 4095", "out of range");
	CHECK_ERR("vlan access zz 5", "no port named 'zz'");
	CHECK_CONTAINS(port_line("n0"), "trunk 10,20 native 5");

	CHECK_OK("vlan access n0 7");
	CHECK_CONTAINS(port_line("n0"), "access 7");
	if (id >= 0) {
		const struct fwd_config *f = &dps_dp_draft()->fwd;

		CHECK_EQ(f->port[id].vlan_mode, FWD_VLAN_ACCESS);
		CHECK_EQ(f->port[id].access_vid, 7);
		CHECK((f->vlan_members[7] >> id) & 1);
		CHECK(!((f->vlan_members[10] >> id) & 1));
	}
	/* A VLAN change forgets the port's MACs. */
	if (id >= 0) {
		const uint8_t m[6] = { 0x02, 0x11, 0, 0, 0, 1 };

		l2_table_learn(tbl, m, 7, (uint16_t)id, dps_now_s());
		CHECK_EQ(l2_table_count(tbl, dps_now_s()), 1);
		CHECK_OK("vlan access n0 1");
		CHECK_EQ(l2_table_count(tbl, dps_now_s()), 0);
	}
}

static void
test_xconnect(void)
{
	int n1 = dps_port_id("n1"), n2 = dps_port_id("n2");

	CHECK_ERR("xconnect add n1 n1", "itself");
	CHECK_ERR("xconnect add n1 zz", "no port named 'zz'");
	CHECK_ERR("xconnect add zz n1", "no port named 'zz'");
	CHECK_CONTAINS(port_line("n1"), "bridge");

	/* Cross-connecting forgets the MACs learned on both ports. */
	if (n1 >= 0 && n2 >= 0) {
		const uint8_t m1[6] = { 0x02, 0x21, 0, 0, 0, 1 };
		const uint8_t m2[6] = { 0x02, 0x22, 0, 0, 0, 2 };

		l2_table_learn(tbl, m1, 1, (uint16_t)n1, dps_now_s());
		l2_table_learn(tbl, m2, 1, (uint16_t)n2, dps_now_s());
	}
	CHECK_OK("xconnect add n1 n2");
	CHECK_EQ(l2_table_count(tbl, dps_now_s()), 0);
	CHECK_CONTAINS(port_line("n1"), "xconnect:n2");
	CHECK_CONTAINS(port_line("n2"), "xconnect:n1");
	run_json("port show n1");
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "\"role\":\"xconnect:n2\"");
	if (n1 >= 0 && n2 >= 0) {
		const struct fwd_config *f = &dps_dp_draft()->fwd;

		CHECK_EQ(f->port[n1].role, FWD_ROLE_XCONNECT);
		CHECK_EQ(f->port[n1].xc_peer, n2);
		CHECK_EQ(f->port[n2].xc_peer, n1);
		CHECK(!((f->vlan_members[1] >> n1) & 1));
	}

	/* Already cross-connected, either side. */
	CHECK_ERR("xconnect add n1 n0", "cross-connected");
	CHECK_EQ(rc, -EBUSY);
	CHECK_ERR("xconnect add n0 n2", "cross-connected");
	CHECK_ERR("xconnect add n2 n1", "cross-connected");
	/* No VLAN changes on a cross-connected port. */
	CHECK_ERR("vlan access n1 5", "cross-connected");
	CHECK_ERR("vlan trunk n2 5", "cross-connected");
	CHECK_CONTAINS(port_line("n0"), "bridge");

	/* Delete from either side returns both to the bridge. */
	CHECK_OK("xconnect del n2");
	CHECK_CONTAINS(port_line("n1"), "bridge");
	CHECK_CONTAINS(port_line("n2"), "bridge");
	CHECK_CONTAINS(port_line("n1"), "access 1");
	CHECK_ERR("xconnect del n1", "not cross-connected");
	CHECK_ERR("xconnect del zz", "no port named 'zz'");

	/* Deleting one side of a pair returns the other to the bridge. */
	CHECK_OK("port add n9 null");
	CHECK_OK("xconnect add n1 n9");
	CHECK_CONTAINS(port_line("n1"), "xconnect:n9");
	CHECK_OK("port del n9");
	CHECK_CONTAINS(port_line("n1"), "bridge");
	CHECK_OK("vlan access n1 1");
}

struct mac_fixture {
	uint8_t mac[6];
	uint16_t vid;
	const char *port;
};

static void
test_mac(void)
{
	static const struct mac_fixture fx[] = {
		{ { 0x02, 0x31, 0, 0, 0, 0x01 }, 1, "n0" },
		{ { 0x02, 0x32, 0, 0, 0, 0x02 }, 1, "n1" },
		{ { 0x02, 0x33, 0, 0, 0, 0x03 }, 1, "n1" },
	};

	run("mac show");
	CHECK_EQ(rc, 0);
	CHECK_CONTAINS(out, "0 entries");
	CHECK_CONTAINS(out, "aging 300 s");
	run_json("mac show");
	CHECK_EQ(rc, 0);
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "{\"macs\":[],\"count\":0,");
	CHECK_CONTAINS(out, "\"aging\":300");

	for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++)
		l2_table_learn(tbl, fx[i].mac, fx[i].vid,
			       (uint16_t)dps_port_id(fx[i].port), dps_now_s());
	run("mac show");
	CHECK_EQ(rc, 0);
	CHECK_CONTAINS(out, "3 entries");
	CHECK_CONTAINS(out, "02:31:00:00:00:01");
	CHECK_CONTAINS(out, "02:33:00:00:00:03");
	run("mac show n1");
	CHECK_EQ(rc, 0);
	CHECK_CONTAINS(out, "2 entries");
	CHECK_NOT_CONTAINS(out, "02:31:00:00:00:01");
	CHECK_CONTAINS(out, "02:32:00:00:00:02");
	run_json("mac show");
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "\"count\":3");
	CHECK_CONTAINS(out, "{\"mac\":\"02:31:00:00:00:01\",\"vlan\":1,\"port\":\"n0\",\"age\":");
	CHECK_ERR("mac show zz", "no port named 'zz'");
	CHECK_ERR("mac flush zz", "no port named 'zz'");

	run("mac flush n1");
	CHECK_EQ(rc, 0);
	CHECK_STREQ(out, "flushed 2 entries\n");
	run_json("mac flush");
	CHECK_EQ(rc, 0);
	CHECK_STREQ(out, "{\"flushed\":1}\n");
	run("mac show");
	CHECK_CONTAINS(out, "0 entries");

	/* Deleting a port forgets its MACs. */
	CHECK_OK("port add m0 null");
	l2_table_learn(tbl, fx[0].mac, 1, (uint16_t)dps_port_id("m0"), dps_now_s());
	CHECK_EQ(l2_table_count(tbl, dps_now_s()), 1);
	CHECK_OK("port del m0");
	CHECK_EQ(l2_table_count(tbl, dps_now_s()), 0);

	/* Static entries: added, shown as static, kept by flush, deleted. */
	CHECK_OK("mac add 02:00:00:00:aa:01 n1");
	CHECK_OK("mac add 02:00:00:00:aa:02 n0 10");
	run("mac show");
	CHECK_CONTAINS(out, "02:00:00:00:AA:01    1  n1           static");
	CHECK_CONTAINS(out, "2 entries");
	run_json("mac show n0");
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "\"vlan\":10,\"port\":\"n0\",\"age\":0,\"static\":true");
	run("mac flush");
	CHECK_STREQ(out, "flushed 0 entries\n");
	CHECK_ERR("mac add 01:00:5e:00:00:01 n0", "must be unicast");
	CHECK_ERR("mac add 02:00:00:00:aa:03 zz", "no port named 'zz'");
	CHECK_ERR("mac add 02:00:00:00:aa:03 n0 4095", "VLAN 4095 out of range");
	CHECK_ERR("mac add 02:00:00:00:aa:zz n0", "usage: mac add MAC PORT [VID]");
	CHECK_OK("mac del 02:00:00:00:aa:01");
	CHECK_ERR("mac del 02:00:00:00:aa:01", "no MAC entry");
	CHECK_OK("mac del 02:00:00:00:aa:02 10");
	run("mac show");
	CHECK_CONTAINS(out, "0 entries");
}

static void
test_set_and_config(void)
{
	CHECK_ERR("set mac-aging 0", "mac-aging must be 1..1000000");
	CHECK_EQ(rc, -EINVAL);
	CHECK_ERR("set mac-aging 1000001", "mac-aging must be 1..1000000");
	CHECK_EQ(l2_table_get_aging(tbl), 300);
	CHECK_OK("set mac-aging 60");
	CHECK_EQ(l2_table_get_aging(tbl), 60);
	CHECK_ERR("set burst 0", "burst must be 1..256");
	CHECK_ERR("set burst 257", "burst must be 1..256");
	CHECK_OK("set burst 64");
	CHECK_EQ(dps_dp_draft()->burst, 64);

	run("show config");
	CHECK_EQ(rc, 0);
	CHECK_STREQ(out, "burst 64\nmac-aging 60\nmac-move-hold 0\nworkers 1\n"
		    "park-polls 1024\nspin-polls 16\nsleep-max 1000\n");
	run_json("show config");
	CHECK_EQ(rc, 0);
	CHECK_STREQ(out, "{\"burst\":64,\"mac_aging\":60,\"mac_move_hold\":0,\"workers\":1,"
		    "\"park_polls\":1024,\"spin_polls\":16,\"sleep_max_us\":1000}\n");
	CHECK_JSON(out);
	CHECK_OK("set mac-aging 300");
	CHECK_OK("set burst 32");

	/* Parking thresholds. */
	CHECK_ERR("set park-polls 0", "park-polls must be 1..100000000 empty polls, not 0");
	CHECK_ERR("set spin-polls 100000001", "spin-polls must be 1..100000000");
	CHECK_ERR("set sleep-max 0", "sleep-max must be 1..100000 microseconds, not 0");
	CHECK_ERR("set sleep-max 100001", "sleep-max must be 1..100000");
	CHECK_EQ(dps_dp_draft()->park_polls, DPS_PARK_POLLS_DEFAULT);
	CHECK_OK("set park-polls 5000");
	CHECK_OK("set spin-polls 2");
	CHECK_OK("set sleep-max 200");
	CHECK_EQ(dps_dp_draft()->park_polls, 5000);
	CHECK_EQ(dps_dp_draft()->spin_polls, 2);
	CHECK_EQ(dps_dp_draft()->sleep_max_us, 200);
	CHECK_OK("set park-polls 1024");
	CHECK_OK("set spin-polls 16");
	CHECK_OK("set sleep-max 1000");
}

static void
test_lcore(void)
{
	run("lcore show");
	CHECK_EQ(rc, 0);
	CHECK_EQ(nlines(out), 3);	/* header, worker, how it sleeps */
	CHECK_CONTAINS(out, "adaptive");
	CHECK_CONTAINS(out, "timed sleep, up to 1000 us: no rx interrupt on n0/0 and 2 more queues");
	CHECK_CONTAINS(out, "n0/0");
	CHECK_CONTAINS(out, "n1/0");
	CHECK_CONTAINS(out, "\n1 ");	/* lcore 1 */
	run_json("lcore show");
	CHECK_EQ(rc, 0);
	CHECK_JSON(out);
	CHECK_CONTAINS(out, "\"lcore\":1");
	CHECK_CONTAINS(out, "{\"port\":\"n0\",\"queue\":0}");
	CHECK_CONTAINS(out, "\"mode\":\"adaptive\"");
	CHECK_CONTAINS(out, "\"sleep\":\"timed\"");
	CHECK_CONTAINS(out, "\"wakeups\":{\"rx\":0,\"control\":0,\"timer\":0}");
	CHECK_CONTAINS(out, "\"wake_latency_us\":{\"<1\":0,\"<2\":0,");
	CHECK_CONTAINS(out, "\">=1024\":0}");

	/* Rx modes, per worker and for all. */
	CHECK_OK("lcore mode 1 interrupt");
	CHECK_EQ(dps_dp_draft()->rx_mode[0], DPS_RX_INTERRUPT);
	CHECK_OK("lcore mode all poll");
	CHECK_EQ(dps_dp_draft()->rx_mode[0], DPS_RX_POLL);
	run("lcore show");
	CHECK_CONTAINS(out, "never sleeps (poll mode)");
	CHECK_ERR("lcore mode 5 poll", "lcore 5 is not a worker");
	CHECK_ERR("lcore mode 0 poll", "lcore 0 is not a worker");
	CHECK_ERR("lcore mode x1 poll", "lcore must be a number or 'all', not 'x1'");
	CHECK_ERR("lcore mode all sleepy",
		  "usage: lcore mode LCORE|all poll|interrupt|adaptive");
	CHECK_ERR("lcore mode all", "usage: lcore mode LCORE|all poll|interrupt|adaptive");
	CHECK_OK("lcore mode all adaptive");
	CHECK_EQ(dps_dp_draft()->rx_mode[0], DPS_RX_ADAPTIVE);

	CHECK_OK("lcore assign n0 0 1");
	CHECK_ERR("lcore assign n0 0 5", "lcore 5 is not a worker");
	CHECK_ERR("lcore assign n0 0 0", "lcore 0 is not a worker");
	CHECK_ERR("lcore assign n0 3 1", "rx queues 0..0, not 3");
	CHECK_ERR("lcore assign zz 0 1", "no port named 'zz'");
	/* Each queue is polled exactly once. */
	{
		const struct dps_dp_config *dp = dps_dp_draft();
		unsigned int polled = 0;
		int id = dps_port_id("n0");

		for (unsigned int w = 0; w < dps_worker_count(); w++)
			for (unsigned int i = 0; i < dp->nb_rxq[w]; i++)
				polled += dp->rxq[w][i].port == id;
		CHECK_EQ(polled, 1);
	}
}

static int
write_file(char *path, const char *text)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
test_run_file(void)
{
	char path[] = "/tmp/dps_test_cli_XXXXXX";
	char expect[512];
	int frc;

	if (write_file(path,
		       "# start-up file\n"
		       "port add f0 null\n"
		       "port add f0 null\n"		/* 3: name taken */
		       "\n"
		       "bogus command\n"		/* 5: unknown */
		       "vlan access f0 42\n"
		       "show config\n"
		       "vlan trunk f0 0\n"		/* 8: bad VLAN list */
		       "port add f1 null") != 0) {	/* no final newline */
		CHECK_MSG(0, "cannot write %s", path);
		return;
	}
	out_clear();
	frc = dps_cli_run_file(path, mfd);
	out_read();
	unlink(path);

	CHECK(frc < 0);
	snprintf(expect, sizeof(expect), "%s:3: error: port name 'f0' is already taken", path);
	CHECK_CONTAINS(out, expect);
	snprintf(expect, sizeof(expect), "%s:5: error: unknown command 'bogus'", path);
	CHECK_CONTAINS(out, expect);
	snprintf(expect, sizeof(expect), "%s:8: error: bad VLAN list '0'", path);
	CHECK_CONTAINS(out, expect);
	/* Output of good lines is not prefixed. */
	CHECK_CONTAINS(out, "\nburst 32\nmac-aging 300\nmac-move-hold 0\nworkers 1\n");
	CHECK_EQ(nlines(out), 10);
	/* Lines after the errors were applied. */
	CHECK_CONTAINS(port_line("f0"), "access 42");
	CHECK(dps_port_id("f1") >= 0);
	CHECK_OK("port del f0");
	CHECK_OK("port del f1");

	/* A clean file returns 0. */
	{
		char p2[] = "/tmp/dps_test_cli_XXXXXX";

		if (write_file(p2, "port add g0 null\nvlan access g0 3\n# done\n") == 0) {
			CHECK_EQ(dps_cli_run_file(p2, mfd), 0);
			unlink(p2);
			CHECK_CONTAINS(port_line("g0"), "access 3");
			CHECK_OK("port del g0");
		}
	}

	/* A missing file. */
	out_clear();
	frc = dps_cli_run_file("/nonexistent/dps.conf", mfd);
	CHECK_EQ(frc, -ENOENT);
	out_read();
	CHECK_CONTAINS(out, "error: cannot open config file '/nonexistent/dps.conf'");
}

/* First unsigned number after "KEY": in JSON text, or ~0 if absent. */
static uint64_t
json_u64(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : UINT64_MAX;
}

/* A snapshot of worker 0's parking figures. */
struct park_fig {
	uint64_t sleeps, rx, control, timer;
};

static struct park_fig
park_fig(void)
{
	struct park_fig f;

	run_json("lcore show");
	f.sleeps = json_u64(out, "sleeps");
	f.rx = json_u64(out, "rx");
	f.control = json_u64(out, "control");
	f.timer = json_u64(out, "timer");
	return f;
}

/*
 * Commits while a worker runs: each waits until the worker acknowledges
 * the new configuration, parked or not.
 */
static void
test_running_workers(void)
{
	struct park_fig a, b;

	CHECK_OK("port del n0");
	CHECK_OK("port del n1");
	CHECK_OK("port del n2");
	CHECK_EQ(dps_port_count(), 0);
	CHECK_EQ(dps_workers_start(), 0);

	/* No queues: the worker sleeps until a control event. */
	usleep(100 * 1000);
	a = park_fig();
	CHECK_CONTAINS(out, "\"state\":\"asleep\"");
	CHECK_CONTAINS(out, "\"sleep\":\"interrupt\"");
	CHECK(a.sleeps >= 1);
	CHECK_OK("set burst 16");	/* a commit wakes it ... */
	usleep(100 * 1000);
	b = park_fig();
	CHECK_EQ(b.control, a.control + 1);	/* ... exactly once */
	CHECK_EQ(b.timer, 0);
	CHECK_CONTAINS(out, "\"state\":\"asleep\"");

	/* Null ports have no rx interrupt: timed sleeps, growing to sleep-max. */
	CHECK_OK("port add w0 null no-rx=1");
	CHECK_OK("port add w1 null no-rx=1");
	CHECK_OK("set sleep-max 2000");
	a = park_fig();
	usleep(300 * 1000);
	b = park_fig();
	CHECK_CONTAINS(out, "\"sleep\":\"timed\"");
	/* At most 2 ms a sleep once ramped: about 150 in 300 ms, not thousands. */
	CHECK_MSG(b.timer - a.timer >= 50 && b.timer - a.timer <= 400,
		  "%" PRIu64 " timed wake-ups in 300 ms", b.timer - a.timer);
	CHECK(json_u64(out, "sleep_cycles") > 0);

	/* Poll mode: no more sleeping. */
	CHECK_OK("lcore mode all poll");
	usleep(50 * 1000);
	a = park_fig();
	CHECK_CONTAINS(out, "\"state\":\"polling\"");
	usleep(100 * 1000);
	b = park_fig();
	CHECK_EQ(b.sleeps, a.sleeps);
	CHECK_OK("lcore mode all adaptive");
	CHECK_OK("set sleep-max 1000");

	CHECK_OK("vlan trunk w0 10,20 native 1");
	CHECK_OK("xconnect add w0 w1");
	CHECK_OK("xconnect del w0");
	CHECK_OK("lcore assign w0 0 1");
	CHECK_OK("port del w0");
	CHECK_OK("port del w1");
	dps_workers_stop();
	run("lcore show");
	CHECK_EQ(rc, 0);
}

static void
test_quit(void)
{
	char path[] = "/tmp/dps_test_cli_XXXXXX";

	CHECK(!dps_cli_quit_requested());
	CHECK_OK("quit");
	CHECK(dps_cli_quit_requested());

	/* A start-up file stops at quit. */
	if (write_file(path, "exit\nport add q1 null\n") == 0) {
		CHECK_EQ(dps_cli_run_file(path, mfd), 0);
		unlink(path);
		CHECK_EQ(dps_port_id("q1"), -ENOENT);
	}
}

int
main(void)
{
	static const char *const logs[] = {
		"--log-level=dpswitch.*:warning", "--log-level=pmd.net.shm:warning", NULL,
	};
	struct rte_mempool *pool;

	/* EAL needs lcores 0 and 1 (the worker). */
	if (!test_cpus_0_1()) {
		printf("SKIP: CPUs 0 and 1 are needed for -l 0,1\n");
		return TEST_SKIP;
	}
	if (test_eal_start("cli", "0,1", 256, logs) != 0) {
		CHECK_MSG(0, "%s", "EAL initialisation");
		return test_report();
	}
	pool = rte_pktmbuf_pool_create("ut_mbufs", 2047, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	tbl = l2_table_create(1024, 300);
	mfd = memfd_create("cli_out", MFD_CLOEXEC);
	CHECK(pool != NULL && tbl != NULL && mfd >= 0);
	if (pool == NULL || tbl == NULL || mfd < 0)
		return test_report();
	CHECK_EQ(dps_workers_init(pool, tbl), 0);
	CHECK_EQ(dps_worker_count(), 1);
	CHECK_EQ(dps_worker_of_lcore(1), 0);
	dps_ports_init(pool, tbl);
	CHECK_EQ(dps_shm_dpswitch_register(), 0);	/* as the daemon does */
	CHECK_EQ(dps_cli_init(tbl), 0);

	test_blank_and_comments();
	test_unknown_and_bad_args();
	test_help();
	test_ports();
	test_vlan();
	test_xconnect();
	test_mac();
	test_set_and_config();
	test_lcore();
	test_run_file();
	test_running_workers();
	test_quit();

	dps_ports_del_all();
	CHECK_EQ(dps_port_count(), 0);
	dps_cli_fini();
	close(mfd);
	l2_table_free(tbl);
	rte_mempool_free(pool);
	test_eal_stop();
	return test_report();
}
