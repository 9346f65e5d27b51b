/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile: the command line, the report, attaching and main().
 */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "hostile.h"

volatile sig_atomic_t hostile_stop;

/* ---- the report ---- */

void
hostile_report_u64(struct hostile *h, const char *name, uint64_t value)
{
	if (h->nb_keys < HOSTILE_KEYS_MAX)
		h->keys[h->nb_keys++] = (struct hostile_key){ name, value, false };
}

void
hostile_report_bool(struct hostile *h, const char *name, bool value)
{
	if (h->nb_keys < HOSTILE_KEYS_MAX)
		h->keys[h->nb_keys++] = (struct hostile_key){ name, value, true };
}

/* ---- command line ---- */

static void
usage(FILE *f)
{
	fprintf(f, "usage: dpsr-hostile --path SOCK [--secret S] --attack NAME [--count N] "
		"[--duration SEC] [--canary STR] [--dst-mac MAC] [--size N] [--verify]\n"
		"       [--scan STR] [--json] [--ivshmem] [--peer-bufs]\n"
		"       dpsr-hostile --pci BDF --attack NAME [...]   (inside a guest)\n"
		"attacks:");
	for (size_t i = 0; i < hostile_nb_attacks; i++)
		fprintf(f, " %s", hostile_attacks[i].name);
	fprintf(f, "\n");
}

/* Each returns 0, or prints one line and returns -EINVAL. */
static int
bad_value(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "dpsr-hostile: --%s '%s' is not %s\n", opt, val, want);
	return -EINVAL;
}

static int
opt_path(struct hostile_opts *o, const char *v)
{
	if (v[0] == '\0' || strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return bad_value("path", v, "a socket path of 1..107 bytes");
	o->path = v;
	return 0;
}

static int
opt_secret(struct hostile_opts *o, const char *v)
{
	if (strlen(v) > DPSR_SECRET_MAX)
		return bad_value("secret", v, "a secret of at most 64 bytes");
	o->secret = v;
	return 0;
}

static int
opt_attack(struct hostile_opts *o, const char *v)
{
	for (size_t i = 0; i < hostile_nb_attacks; i++) {
		if (strcmp(hostile_attacks[i].name, v) == 0) {
			o->attack = &hostile_attacks[i];
			return 0;
		}
	}
	fprintf(stderr, "dpsr-hostile: --attack '%s' is unknown; one of", v);
	for (size_t i = 0; i < hostile_nb_attacks; i++)
		fprintf(stderr, "%s %s", i == 0 ? "" : ",", hostile_attacks[i].name);
	fprintf(stderr, "\n");
	return -EINVAL;
}

static int
opt_count(struct hostile_opts *o, const char *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n == 0 || n > UINT32_MAX)
		return bad_value("count", v, "a number in 1..4294967295");
	o->count = n;
	o->count_set = true;
	return 0;
}

static int
opt_duration(struct hostile_opts *o, const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(d > 0 && d <= 86400))
		return bad_value("duration", v, "a number of seconds in (0, 86400]");
	o->duration = d;
	return 0;
}

static int
opt_canary(struct hostile_opts *o, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > HOSTILE_CANARY_MAX)
		return bad_value("canary", v, "a string of 1..256 bytes");
	o->canary = v;
	o->canary_len = n;
	return 0;
}

static int
opt_dst_mac(struct hostile_opts *o, const char *v)
{
	unsigned int b[6];
	int used = -1;

	if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &used) != 6 || used < 0 || v[used] != '\0')
		return bad_value("dst-mac", v, "a MAC address like 02:00:00:00:00:01");
	for (int i = 0; i < 6; i++)
		o->dst_mac[i] = (uint8_t)b[i];
	return 0;
}

static int
opt_size(struct hostile_opts *o, const char *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n < HOSTILE_SIZE_MIN ||
	    n > HOSTILE_SIZE_MAX)
		return bad_value("size", v, "a frame size in 60..1514");
	o->size = (uint16_t)n;
	o->size_set = true;
	return 0;
}

static int
opt_scan(struct hostile_opts *o, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 256)
		return bad_value("scan", v, "a string of 1..256 bytes");
	o->scan = v;
	o->scan_len = n;
	return 0;
}

static int
opt_verify(struct hostile_opts *o, const char *v)
{
	(void)v;
	o->verify = true;
	return 0;
}

static int
opt_pci(struct hostile_opts *o, const char *v)
{
	if (strlen(v) == 0 || strlen(v) > 32 || strchr(v, '/') != NULL)
		return bad_value("pci", v, "a PCI address like 0000:00:04.0");
	o->pci = v;
	return 0;
}

static int
opt_ivshmem(struct hostile_opts *o, const char *v)
{
	(void)v;
	o->ivshmem = true;
	return 0;
}

static int
opt_peer_bufs(struct hostile_opts *o, const char *v)
{
	(void)v;
	o->peer_bufs = true;
	return 0;
}

static int
opt_json(struct hostile_opts *o, const char *v)
{
	(void)v;
	o->json = true;
	return 0;
}

static const struct hostile_option {
	const char *name;
	bool has_arg;
	int (*parse)(struct hostile_opts *o, const char *v);
} hostile_options[] = {
	{ "path", true, opt_path },
	{ "secret", true, opt_secret },
	{ "attack", true, opt_attack },
	{ "count", true, opt_count },
	{ "duration", true, opt_duration },
	{ "canary", true, opt_canary },
	{ "dst-mac", true, opt_dst_mac },
	{ "size", true, opt_size },
	{ "verify", false, opt_verify },
	{ "scan", true, opt_scan },
	{ "json", false, opt_json },
	{ "ivshmem", false, opt_ivshmem },
	{ "pci", true, opt_pci },
	{ "peer-bufs", false, opt_peer_bufs },
};
#define HOSTILE_NB_OPTIONS (sizeof(hostile_options) / sizeof(hostile_options[0]))
#define HOSTILE_OPT_HELP 0x1ff

/* 0: run; 1: --help printed; -EINVAL: a line on stderr said what is wrong. */
static int
parse_args(int argc, char **argv, struct hostile_opts *o)
{
	struct option longopts[HOSTILE_NB_OPTIONS + 2] = { { 0 } };
	int c;

	*o = (struct hostile_opts){ .count = HOSTILE_COUNT_DEFAULT, .duration = -1,
				    .size = HOSTILE_SIZE_DEFAULT,
				    .dst_mac = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	for (size_t i = 0; i < HOSTILE_NB_OPTIONS; i++)
		longopts[i] = (struct option){ hostile_options[i].name,
					       hostile_options[i].has_arg ? required_argument
									  : no_argument,
					       NULL, 0x100 + (int)i };
	longopts[HOSTILE_NB_OPTIONS] = (struct option){ "help", no_argument, NULL,
							HOSTILE_OPT_HELP };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == HOSTILE_OPT_HELP) {
			usage(stdout);
			return 1;
		}
		if (c == ':' || c == '?') {
			fprintf(stderr, "dpsr-hostile: %s '%s'; see --help\n",
				c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
			return -EINVAL;
		}
		if (hostile_options[c - 0x100].parse(o, optarg) != 0)
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "dpsr-hostile: unexpected argument '%s'; see --help\n", argv[optind]);
		return -EINVAL;
	}
	if (o->ivshmem && o->secret != NULL) {
		fprintf(stderr, "dpsr-hostile: --ivshmem takes no --secret (QEMU's protocol has "
			"none)\n");
		return -EINVAL;
	}
	if (o->pci != NULL && (o->path != NULL || o->ivshmem || o->secret != NULL)) {
		fprintf(stderr, "dpsr-hostile: --pci (inside a guest) takes no --path, --ivshmem "
			"or --secret\n");
		return -EINVAL;
	}
	if (o->pci != NULL && o->attack != NULL && !o->attack->attach) {
		fprintf(stderr, "dpsr-hostile: --attack %s needs a socket; not with --pci\n",
			o->attack->name);
		return -EINVAL;
	}
	if (o->pci != NULL)
		o->path = o->pci;	/* for messages */
	if (o->path == NULL || o->attack == NULL) {
		fprintf(stderr, "dpsr-hostile: --path and --attack are required; see --help\n");
		return -EINVAL;
	}
	if (o->size_set && !o->attack->sends) {
		fprintf(stderr, "dpsr-hostile: --size applies to the attacks that send frames, "
			"not %s\n", o->attack->name);
		return -EINVAL;
	}
	if (o->verify && strcmp(o->attack->name, "rx") != 0) {
		fprintf(stderr, "dpsr-hostile: --verify applies to --attack rx, not %s\n",
			o->attack->name);
		return -EINVAL;
	}
	if (o->attack->sends && o->canary_len > (size_t)o->size - HOSTILE_CANARY_OFF) {
		fprintf(stderr, "dpsr-hostile: --canary '%s' is not 1..%d bytes, as an attack "
			"that sends puts it in a %u-byte frame (--size)\n", o->canary,
			o->size - HOSTILE_CANARY_OFF, o->size);
		return -EINVAL;
	}
	return 0;
}

/* ---- main ---- */

static void
on_signal(int sig)
{
	(void)sig;
	hostile_stop = 1;
}

static void
signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal cuts a poll() short, and the loop sees the flag. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* As QEMU and a guest's driver: the greeting, then a start acknowledged. */
static int
hostile_attach_guest(struct hostile *h, struct dps_err *err)
{
	int rc = dpsr_guest_attach(&h->c, h->o->path, &h->ctl, &h->ack, &h->guest_id, err);

	if (rc != 0)
		return rc;
	/* Our one queue pair (the port may have more: the first is ours). */
	h->c.nb_qpairs = 1;
	rc = dpsr_guest_ctl(&h->c, h->ctl, true, h->o->attack->peer_bufs || h->o->peer_bufs,
			    HOSTILE_WELCOME_TIMEOUT_MS);
	if (rc != 0) {
		dpsr_client_detach(&h->c);
		return dps_err_set(err, rc, "the switch did not acknowledge the start");
	}
	return 0;
}

static int
hostile_attach(struct hostile *h)
{
	struct dps_err err = { "" };
	uint32_t base;
	int rc;

	h->ctl = h->ack = -1;
	if (h->o->pci != NULL)
		rc = hostile_attach_pci(h, &err);
	else if (h->o->ivshmem)
		rc = hostile_attach_guest(h, &err);
	else
		rc = dpsr_client_attach_features(&h->c, h->o->path, h->o->secret, 1,
						 h->o->attack->peer_bufs || h->o->peer_bufs ?
						 DPSR_F_PEER_BUFS : 0,
						 &err);
	if (rc != 0) {
		fprintf(stderr, "dpsr-hostile: cannot attach: %s\n", err.msg);
		return rc;
	}
	h->attached = true;
	h->v = &h->c.view;
	base = h->c.qpair_base;
	dpsr_qring_init(&h->tx, h->v, 2 * base);
	dpsr_qring_init(&h->rx, h->v, 2 * base + 1);
	/* Our indices start where the switch left them: 0 after its reset. */
	h->tx.idx = __atomic_load_n(&h->tx.shared->prod, __ATOMIC_RELAXED);
	h->rx.idx = __atomic_load_n(&h->rx.shared->cons, __ATOMIC_RELAXED);
	h->own = calloc(h->tx.size, sizeof(*h->own));
	h->dirty = calloc(h->tx.size, sizeof(*h->dirty));
	h->frame = malloc(h->v->lim.buf_size);
	if (h->own == NULL || h->dirty == NULL || h->frame == NULL) {
		fprintf(stderr, "dpsr-hostile: out of memory\n");
		return -ENOMEM;
	}
	return 0;
}

static void
hostile_release(struct hostile *h)
{
	free(h->own);
	free(h->dirty);
	free(h->frame);
	if (h->o->pci != NULL)
		hostile_release_pci(h);
	else if (h->attached)
		dpsr_client_detach(&h->c);
	if (h->ctl >= 0)
		close(h->ctl);
	if (h->ack >= 0)
		close(h->ack);
}

/*
 * --scan: how often STR occurs anywhere in the region we mapped (rings and
 * every buffer), after the attack. Another tenant's data must never be
 * there: what the switch copied to us, or lent us, is all we can see.
 */
static uint64_t
region_scan(const struct hostile *h)
{
	const uint8_t *p = h->v->base, *end = h->v->base + h->v->size;
	uint64_t hits = 0;

	while ((p = memmem(p, (size_t)(end - p), h->o->scan, h->o->scan_len)) != NULL) {
		hits++;
		p++;
	}
	return hits;
}

static void
report_print(const struct hostile *h, const char *attack)
{
	const char *sep = h->o->json ? ", " : ",\n  ";

	printf("{%s\"attack\": \"%s\"%s\"attached\": %s", h->o->json ? "" : "\n  ", attack,
	       sep, h->attached ? "true" : "false");
	for (unsigned int i = 0; i < h->nb_keys; i++) {
		const struct hostile_key *k = &h->keys[i];

		if (k->is_bool)
			printf("%s\"%s\": %s", sep, k->name, k->value ? "true" : "false");
		else
			printf("%s\"%s\": %" PRIu64, sep, k->name, k->value);
	}
	printf("%s}\n", h->o->json ? "" : "\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static struct hostile h;
	struct hostile_opts o;
	const struct hostile_attack *a;
	double duration;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : HOSTILE_EXIT_USAGE;
	a = o.attack;
	signals_init();
	h.o = &o;
	if (a->attach && hostile_attach(&h) != 0) {
		hostile_release(&h);
		return HOSTILE_EXIT_FAIL;
	}
	duration = o.duration > 0 ? o.duration : a->duration;
	h.t_start = hostile_now();
	h.t_end = duration > 0 ? h.t_start + duration : DBL_MAX;
	rc = a->run(&h);
	if (rc != 0) {
		fprintf(stderr, "dpsr-hostile: attack %s on '%s' could not run: %s\n", a->name,
			o.path, strerror(-rc));
		hostile_release(&h);
		return HOSTILE_EXIT_FAIL;
	}
	if (h.attached)
		hostile_report_u64(&h, "qpair_base", h.c.qpair_base);
	if (h.attached && (o.ivshmem || o.pci != NULL))
		hostile_report_u64(&h, "guest_id", h.guest_id);
	if (h.attached && o.scan != NULL)
		hostile_report_u64(&h, "region_hits", region_scan(&h));
	hostile_report_u64(&h, "elapsed_ms", (uint64_t)((hostile_now() - h.t_start) * 1000));
	hostile_report_bool(&h, "interrupted", hostile_stop != 0);
	report_print(&h, a->name);
	hostile_release(&h);
	return 0;
}
