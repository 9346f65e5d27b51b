/* SPDX-License-Identifier: BSD-3-Clause */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dps_num.h"

void
dps_options_usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [options]\n"
	       "\n"
	       "An L2 switch over DPDK ports. EAL needs at least two lcores: the\n"
	       "main lcore runs the control plane, every other lcore is a worker\n"
	       "(e.g. -l 0,1 --file-prefix dps --no-pci).\n"
	       "\n"
	       "Options:\n"
	       "  -c, --config FILE        run the commands in FILE at start-up\n"
	       "  -p, --port 'NAME KIND [DEVARGS]'\n"
	       "                           add a port at start-up (repeatable);\n"
	       "                           same as the command 'port add ...'\n"
	       "  -e, --exec 'COMMAND'     run a command at start-up (repeatable)\n"
	       "  -s, --ctl-socket PATH    control socket for dpswitch-ctl\n"
	       "                           (default %s; 'none' disables it);\n"
	       "                           mode 0660: root and the daemon's user\n"
	       "      --ctl-group GROUP    members of GROUP may use the control socket too\n"
	       "  -i, --interactive        command prompt on the terminal\n"
	       "      --mbufs N            mbufs in the packet pool (default 32768)\n"
	       "      --mac-table-size N   MAC table capacity (default 65536)\n"
	       "      --mac-aging SECONDS  MAC aging time (default 300)\n"
	       "      --mac-move-hold SECONDS  an address seen on a port in the last\n"
	       "                           SECONDS does not move to another port;\n"
	       "                           frames claiming it there are dropped\n"
	       "                           (default 2; 0: moves at once)\n"
	       "      --rx-mode MODE       how idle workers wait: adaptive (default:\n"
	       "                           poll under load, sleep on rx interrupts\n"
	       "                           when idle), interrupt (sleep at once) or\n"
	       "                           poll (never sleep); same as the command\n"
	       "                           'lcore mode all MODE'\n"
	       "  -h, --help               this text\n"
	       "\n"
	       "Start-up commands run in order: --port and --exec as given, then\n"
	       "--config. Port kinds: vhost, tap, af_packet, pcap, memif, ring,\n"
	       "null, pci, shm, vtap. See docs/user-guide.md.\n",
	       prog, DPS_CTL_SOCKET_DEFAULT);
}

static int
parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	if (dps_parse_u32(s, lo, hi, out) != 0) {
		fprintf(stderr, "dpswitch: --%s must be a number in %u..%u, not '%s'\n",
			opt, lo, hi, s);
		return -EINVAL;
	}
	return 0;
}

static int
add_cmd(struct dps_options *o, const char *prefix, const char *cmd)
{
	size_t len = strlen(prefix) + strlen(cmd) + 1;

	if (o->nb_cmds == DPS_MAX_STARTUP_CMDS) {
		fprintf(stderr, "dpswitch: at most %d --port/--exec options\n",
			DPS_MAX_STARTUP_CMDS);
		return -EINVAL;
	}
	o->cmds[o->nb_cmds] = malloc(len);
	if (o->cmds[o->nb_cmds] == NULL)
		return -ENOMEM;
	snprintf(o->cmds[o->nb_cmds++], len, "%s%s", prefix, cmd);
	return 0;
}

static int
parse_rx_mode(struct dps_options *o, const char *mode)
{
	if (strcmp(mode, "poll") != 0 && strcmp(mode, "interrupt") != 0 &&
	    strcmp(mode, "adaptive") != 0) {
		fprintf(stderr, "dpswitch: --rx-mode must be poll, interrupt or adaptive, "
			"not '%s'\n", mode);
		return -EINVAL;
	}
	return add_cmd(o, "lcore mode all ", mode);
}

int
dps_options_parse(int argc, char **argv, struct dps_options *o)
{
	enum { OPT_MBUFS = 256, OPT_MAC_SIZE, OPT_MAC_AGING, OPT_MAC_MOVE_HOLD, OPT_RX_MODE,
	       OPT_CTL_GROUP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "exec", required_argument, NULL, 'e' },
		{ "ctl-socket", required_argument, NULL, 's' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "mbufs", required_argument, NULL, OPT_MBUFS },
		{ "mac-table-size", required_argument, NULL, OPT_MAC_SIZE },
		{ "mac-aging", required_argument, NULL, OPT_MAC_AGING },
		{ "mac-move-hold", required_argument, NULL, OPT_MAC_MOVE_HOLD },
		{ "ctl-group", required_argument, NULL, OPT_CTL_GROUP },
		{ "rx-mode", required_argument, NULL, OPT_RX_MODE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	o->ctl_socket = DPS_CTL_SOCKET_DEFAULT;
	o->nb_mbufs = 32768;
	o->mac_table_size = 65536;
	o->mac_aging = 300;
	o->mac_move_hold = 2;
	optind = 0;	/* 0, not 1: also resets glibc's state inside argv */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, ":c:p:e:s:ih", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'p': rc = add_cmd(o, "port add ", optarg); break;
		case 'e': rc = add_cmd(o, "", optarg); break;
		case 's': o->ctl_socket = strcmp(optarg, "none") ? optarg : NULL; break;
		case 'i': o->interactive = true; break;
		case OPT_MBUFS: rc = parse_u32("mbufs", optarg, 1024, 1u << 24, &o->nb_mbufs); break;
		case OPT_MAC_SIZE:
			rc = parse_u32("mac-table-size", optarg, 64, 1u << 24, &o->mac_table_size);
			break;
		case OPT_CTL_GROUP: o->ctl_group = optarg; break;
		case OPT_MAC_MOVE_HOLD:
			rc = parse_u32("mac-move-hold", optarg, 0, 3600, &o->mac_move_hold);
			break;
		case OPT_MAC_AGING:
			rc = parse_u32("mac-aging", optarg, 1, 1000000, &o->mac_aging);
			break;
		case OPT_RX_MODE:
			rc = parse_rx_mode(o, optarg);
			break;
		case 'h': return 1;
		case ':':
			fprintf(stderr, "dpswitch: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			/*
			 * Which argument: getopt_long() sets optopt to 0 for a long
			 * option it does not know (or an ambiguous abbreviation), to
			 * the option's value for a long one given a value it takes
			 * none of (--help, --interactive: their letters are known
			 * short options, so never an unknown one's), and else to the
			 * unknown short option, which may stand in a group ("-xi")
			 * that optind has not left yet: argv[optind - 1] is the
			 * argument before it then, or the program's name.
			 */
			if (optopt == 0)
				fprintf(stderr, "dpswitch: unknown option '%s' (see --help)\n",
					argv[optind - 1]);
			else if (optopt == 'h' || optopt == 'i')
				fprintf(stderr, "dpswitch: option '%s' takes no value (see --help)\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "dpswitch: unknown option '-%c' (see --help)\n",
					optopt);
			return -EINVAL;
		}
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "dpswitch: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		rc = -EINVAL;
	}
	return rc;
}

void
dps_options_free(struct dps_options *o)
{
	for (unsigned int i = 0; i < o->nb_cmds; i++)
		free(o->cmds[i]);
	o->nb_cmds = 0;
}
