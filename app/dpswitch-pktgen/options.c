/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command line of dpswitch-pktgen (the part after "--"). Every mistake is
 * one line naming the option and what would be right; main() exits 2.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dps_num.h"
#include "pg.h"

static const char *const mode_names[] = {
	[PG_TX] = "tx", [PG_RX] = "rx", [PG_TXRX] = "txrx",
	[PG_PING] = "ping", [PG_REFLECT] = "reflect",
};

const char *
pg_mode_name(enum pg_mode m)
{
	return mode_names[m];
}

void
pg_usage(void)
{
	printf("Usage: %s [EAL options] -- --mode tx|rx|txrx|ping|reflect [options]\n"
	       "\n"
	       "Traffic generator and sink for any DPDK port given as an EAL vdev\n"
	       "(net_virtio_user, net_memif, net_tap, net_null, net_ring). Runs on\n"
	       "the first worker lcore, or on the main lcore if EAL has only one.\n"
	       "Always give EAL --no-pci and a --file-prefix of your own.\n"
	       "\n"
	       "Modes:\n"
	       "  tx       transmit on --tx-port\n"
	       "  rx       receive on --rx-port and count (our frames vs foreign)\n"
	       "  txrx     transmit on --tx-port, receive on --rx-port, one loop\n"
	       "  ping     one timestamped frame at a time, wait for the reply: RTT\n"
	       "  reflect  send every frame received back out, MACs swapped\n"
	       "\n"
	       "Options:\n"
	       "  --tx-port N        port to send on (default 0)\n"
	       "  --rx-port N        port to receive on (default 1 for txrx, else\n"
	       "                     the tx port)\n"
	       "  --size N|MIN-MAX|imix  frame size without FCS, 60..1514; a range\n"
	       "                     picks sizes uniformly; imix is 7:4:1 of\n"
	       "                     60/590/1514 (default 60)\n"
	       "  --burst N          tx/rx burst, 1..512 (default 32)\n"
	       "  --rate PPS         packets/s, 0 = as fast as possible (default 0)\n"
	       "  --gap US|MIN-MAX   tx: before each burst, sleep US microseconds, or\n"
	       "                     a random time in MIN..MAX (bursty traffic)\n"
	       "  --flows N          flows, 1..65536 (default 1): flow i (from 1) goes\n"
	       "                     to MAC 02:00:00:00:<i hi>:<i lo>, from IP\n"
	       "                     10.0.0.0 + i (to 10.255.0.1, UDP 4000->4001)\n"
	       "  --src-mac MAC      source MAC (default 02:00:00:00:ff:01)\n"
	       "  --dst-mac MAC      destination MAC of flow 1; flow i uses it + i-1\n"
	       "                     (default 02:00:00:00:00:01)\n"
	       "  --learn            first send one broadcast per flow from the rx\n"
	       "                     port with the flow's destination MAC as source,\n"
	       "                     wait 200 ms, discard what arrives\n"
	       "  --duration S       seconds to run (after warm-up)\n"
	       "  --count N          packets to send (tx, txrx), pings to send (ping),\n"
	       "                     packets of ours to receive (rx: foreign ones\n"
	       "                     do not count), packets to receive (reflect)\n"
	       "  --warmup S         seconds to run before counting (default 0)\n"
	       "  --drain S          txrx: wait up to S seconds for frames still in flight\n"
	       "                     (default: stop after 0.2 s without one, at most 1 s)\n"
	       "  --linger S         seconds to keep the ports open after the report\n"
	       "                     (default 0.1): a frame sent last may still sit\n"
	       "                     in a shared ring, and a peer may want to stop\n"
	       "                     polling before we leave\n"
	       "  --json             final report as one JSON object on stdout\n"
	       "  --progress         one status line per second on stderr\n"
	       "  --ping-mode busy|block  wait for replies by polling (default) or\n"
	       "                     asleep on the rx queue interrupt (ping, reflect)\n"
	       "  --interval US|MIN-MAX  microseconds from one ping to the next, or a\n"
	       "                     random time in MIN..MAX (default 1000)\n"
	       "  --latency          rx: one-way latency of each of our frames, from\n"
	       "                     the sender's TSC in it (same host only)\n"
	       "  --timeout S        seconds to wait for one reply (default 1)\n"
	       "  -h, --help         this text\n"
	       "\n"
	       "Without --duration or --count the run lasts until SIGINT; SIGINT\n"
	       "always ends the run and prints the report. Exit status: 0, 1 on a\n"
	       "run-time error or a ping run without any reply, 2 on bad options.\n"
	       "See docs/pktgen.md.\n", PG_PROG);
}

static int
bad(const char *opt, const char *what, const char *arg)
{
	fprintf(stderr, "%s: --%s %s, not '%s'\n", PG_PROG, opt, what, arg);
	return -EINVAL;
}

static int
parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char what[96];

	if (dps_parse_u64(s, lo, hi, out) != 0) {
		snprintf(what, sizeof(what), "must be a number in %llu..%llu",
			 (unsigned long long)lo, (unsigned long long)hi);
		return bad(opt, what, s);
	}
	return 0;
}

static int
parse_u16(const char *opt, const char *s, uint16_t lo, uint16_t hi, uint16_t *out)
{
	uint64_t v;

	if (parse_u64(opt, s, lo, hi, &v) != 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static int
parse_seconds(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *s == '\0' || *end != '\0' || !isfinite(v) || v < 0 || v > 1e7)
		return bad(opt, "must be a number of seconds (e.g. 2.5)", s);
	*out = v;
	return 0;
}

static int
parse_size(const char *s, struct pg_options *o)
{
	char lo[16], hi[16];
	const char *dash = strchr(s, '-');

	if (strcmp(s, "imix") == 0) {
		o->size_kind = PG_SIZE_IMIX;
		o->size_min = PG_MIN_SIZE;
		o->size_max = PG_MAX_SIZE;
		return 0;
	}
	if (dash == NULL) {
		o->size_kind = PG_SIZE_FIXED;
		if (parse_u16("size", s, PG_MIN_SIZE, PG_MAX_SIZE, &o->size_min))
			return -EINVAL;
		o->size_max = o->size_min;
		return 0;
	}
	if (dash - s >= (long)sizeof(lo) || strlen(dash + 1) >= sizeof(hi))
		return bad("size", "must be N, MIN-MAX (60..1514) or imix", s);
	memcpy(lo, s, dash - s);
	lo[dash - s] = '\0';
	strcpy(hi, dash + 1);
	if (parse_u16("size", lo, PG_MIN_SIZE, PG_MAX_SIZE, &o->size_min) ||
	    parse_u16("size", hi, PG_MIN_SIZE, PG_MAX_SIZE, &o->size_max))
		return -EINVAL;
	if (o->size_min > o->size_max)
		return bad("size", "range must be MIN-MAX with MIN <= MAX", s);
	o->size_kind = o->size_min == o->size_max ? PG_SIZE_FIXED : PG_SIZE_RANGE;
	return 0;
}

/* US or MIN-MAX, microseconds up to 60 s. */
static int
parse_us_range(const char *opt, const char *s, uint32_t *min, uint32_t *max)
{
	const char *what = "must be microseconds N or MIN-MAX (0..60000000, MIN <= MAX)";
	const char *dash = strchr(s, '-');
	uint32_t lo, hi;
	char first[16];

	if (dash == NULL) {
		if (dps_parse_u32(s, 0, 60000000, &lo) != 0)
			return bad(opt, what, s);
		hi = lo;
	} else {
		if (dash - s >= (long)sizeof(first))
			return bad(opt, what, s);
		memcpy(first, s, dash - s);
		first[dash - s] = '\0';
		if (dps_parse_u32(first, 0, 60000000, &lo) != 0 ||
		    dps_parse_u32(dash + 1, 0, 60000000, &hi) != 0 || lo > hi)
			return bad(opt, what, s);
	}
	*min = lo;
	*max = hi;
	return 0;
}

static int
parse_mode(const char *s, enum pg_mode *m)
{
	for (unsigned int i = 0; i < RTE_DIM(mode_names); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum pg_mode)i;
			return 0;
		}
	}
	return bad("mode", "must be tx, rx, txrx, ping or reflect", s);
}

static int
parse_mac(const char *opt, const char *s, struct rte_ether_addr *mac)
{
	if (rte_ether_unformat_addr(s, mac) != 0)
		return bad(opt, "must be a MAC address like 02:00:00:00:00:01", s);
	return 0;
}

static int
parse_ping_mode(const char *s, bool *block)
{
	if (strcmp(s, "busy") != 0 && strcmp(s, "block") != 0)
		return bad("ping-mode", "must be busy or block", s);
	*block = strcmp(s, "block") == 0;
	return 0;
}

enum {
	OPT_MODE = 256, OPT_TX_PORT, OPT_RX_PORT, OPT_SIZE, OPT_BURST, OPT_RATE,
	OPT_FLOWS, OPT_SRC_MAC, OPT_DST_MAC, OPT_LEARN, OPT_DURATION, OPT_COUNT,
	OPT_WARMUP, OPT_JSON, OPT_PROGRESS, OPT_PING_MODE, OPT_INTERVAL,
	OPT_TIMEOUT, OPT_GAP, OPT_LATENCY, OPT_LINGER, OPT_DRAIN,
};

static const struct option longopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "tx-port", required_argument, NULL, OPT_TX_PORT },
	{ "rx-port", required_argument, NULL, OPT_RX_PORT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "learn", no_argument, NULL, OPT_LEARN },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "drain", required_argument, NULL, OPT_DRAIN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "ping-mode", required_argument, NULL, OPT_PING_MODE },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "gap", required_argument, NULL, OPT_GAP },
	{ "latency", no_argument, NULL, OPT_LATENCY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
set_defaults(struct pg_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = (enum pg_mode)-1;
	o->size_kind = PG_SIZE_FIXED;
	o->size_min = o->size_max = PG_MIN_SIZE;
	o->burst = 32;
	o->flows = 1;
	o->interval_us = o->interval_max_us = 1000;
	o->timeout_s = 1.0;
	o->linger_s = PG_LINGER_S;
	rte_ether_unformat_addr("02:00:00:00:ff:01", &o->src_mac);
	rte_ether_unformat_addr("02:00:00:00:00:01", &o->dst_mac);
}

static int
parse_one(int c, const char *arg, struct pg_options *o, bool *rx_set)
{
	uint64_t v;

	switch (c) {
	case OPT_MODE: return parse_mode(arg, &o->mode);
	case OPT_TX_PORT: return parse_u16("tx-port", arg, 0, RTE_MAX_ETHPORTS - 1, &o->tx_port);
	case OPT_RX_PORT:
		*rx_set = true;
		return parse_u16("rx-port", arg, 0, RTE_MAX_ETHPORTS - 1, &o->rx_port);
	case OPT_SIZE: return parse_size(arg, o);
	case OPT_BURST: return parse_u16("burst", arg, 1, PG_MAX_BURST, &o->burst);
	case OPT_RATE: return parse_u64("rate", arg, 0, 1000000000, &o->rate);
	case OPT_FLOWS:
		if (parse_u64("flows", arg, 1, PG_MAX_FLOWS, &v))
			return -EINVAL;
		o->flows = (uint32_t)v;
		return 0;
	case OPT_SRC_MAC: return parse_mac("src-mac", arg, &o->src_mac);
	case OPT_DST_MAC: return parse_mac("dst-mac", arg, &o->dst_mac);
	case OPT_LEARN: o->learn = true; return 0;
	case OPT_DURATION: return parse_seconds("duration", arg, &o->duration_s);
	case OPT_COUNT: return parse_u64("count", arg, 1, UINT64_MAX >> 1, &o->count);
	case OPT_WARMUP: return parse_seconds("warmup", arg, &o->warmup_s);
	case OPT_LINGER:
		if (parse_seconds("linger", arg, &o->linger_s))
			return -EINVAL;
		return o->linger_s <= 60 ? 0 : bad("linger", "must be at most 60 seconds", arg);
	case OPT_DRAIN:
		if (parse_seconds("drain", arg, &o->drain_s))
			return -EINVAL;
		return o->drain_s <= 60 ? 0 : bad("drain", "must be at most 60 seconds", arg);
	case OPT_JSON: o->json = true; return 0;
	case OPT_PROGRESS: o->progress = true; return 0;
	case OPT_PING_MODE: return parse_ping_mode(arg, &o->ping_block);
	case OPT_INTERVAL:
		return parse_us_range("interval", arg, &o->interval_us, &o->interval_max_us);
	case OPT_GAP: return parse_us_range("gap", arg, &o->gap_min_us, &o->gap_max_us);
	case OPT_LATENCY: o->latency = true; return 0;
	case OPT_TIMEOUT:
		if (parse_seconds("timeout", arg, &o->timeout_s))
			return -EINVAL;
		if (o->timeout_s < 0.001)
			return bad("timeout", "must be at least 0.001 seconds", arg);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Checks that need all options: combinations and mode-dependent defaults. */
static int
finish(struct pg_options *o, bool rx_set)
{
	if ((int)o->mode < 0) {
		fprintf(stderr, "%s: --mode is required (tx, rx, txrx, ping or reflect)\n",
			PG_PROG);
		return -EINVAL;
	}
	if (!rx_set)
		o->rx_port = o->mode == PG_TXRX ? 1 : o->tx_port;
	if (o->learn && o->rx_port == o->tx_port) {
		fprintf(stderr, "%s: --learn needs an --rx-port other than the tx port "
			"(both are %u)\n", PG_PROG, o->tx_port);
		return -EINVAL;
	}
	if (o->learn && (o->mode == PG_RX || o->mode == PG_REFLECT)) {
		fprintf(stderr, "%s: --learn works with --mode tx, txrx or ping, not %s\n",
			PG_PROG, pg_mode_name(o->mode));
		return -EINVAL;
	}
	if (o->gap_max_us && o->mode != PG_TX) {
		fprintf(stderr, "%s: --gap applies to --mode tx, not %s\n", PG_PROG,
			pg_mode_name(o->mode));
		return -EINVAL;
	}
	if (o->latency && o->mode != PG_RX) {
		fprintf(stderr, "%s: --latency applies to --mode rx, not %s\n", PG_PROG,
			pg_mode_name(o->mode));
		return -EINVAL;
	}
	if (o->ping_block && o->mode != PG_PING && o->mode != PG_REFLECT) {
		fprintf(stderr, "%s: --ping-mode applies to --mode ping or reflect, not %s\n",
			PG_PROG, pg_mode_name(o->mode));
		return -EINVAL;
	}
	return 0;
}

/* 0 = run, 1 = --help shown, -EINVAL = bad options (one line printed). */
int
pg_options_parse(int argc, char **argv, struct pg_options *o)
{
	bool rx_set = false;
	int c;

	set_defaults(o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			pg_usage();
			return 1;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, "%s: %s '%s' (--help lists the options)\n", PG_PROG,
				c == '?' ? "unknown option" : "missing value for",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (parse_one(c, optarg, o, &rx_set) != 0)
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (--help lists the options)\n",
			PG_PROG, argv[optind]);
		return -EINVAL;
	}
	return finish(o, rx_set);
}
