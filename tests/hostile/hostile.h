/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile: a deliberately malicious peer of a dpswitch shared-ring
 * port, for the attack tests (dts/test_shm_attack.py).
 *
 * It attaches like a good peer (docs/shm-protocol.md, "Attaching", one
 * queue pair) and then breaks the rules on its own two rings: ring 2b, on
 * which it produces for the switch, and ring 2b+1, on which it consumes
 * what the switch sends (b: the queue pair the welcome granted). Each
 * attack is one function in hostile_attacks[] and reports what it did as
 * one JSON object on stdout, so that a test can compare the switch's
 * counters with it exactly. tests/hostile/README.md says what each attack
 * does and what the switch must do about it.
 *
 * Hostile is not careless: whatever the switch writes is read once and
 * checked before it is used, as the protocol asks of any side, so a
 * misbehaving switch cannot crash this tool either.
 *
 * The files, by job:
 *   hostile.h          this: shared structures, limits, prototypes
 *   hostile_ring.c     frames, doorbells, producing on ring 2b, consuming 2b+1
 *   hostile_attacks.c  the descriptors of each attack, the ring attacks, the table
 *   hostile_fds.c      attacks on the region's memfd and the doorbells
 *   hostile_trusted.c  a trust group's member against the switch's decisions
 *   hostile_bags.c     a trust group's member lying about the buffers it holds
 *   hostile_main.c     options, the report, attaching, main()
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dpsr/dpsr_attach.h"
#include "dpsr/dpsr_bell.h"
#include "dpsr/dpsr_guest.h"

#define HOSTILE_EXIT_FAIL 1		/* attach failed, or the attack could not start */
#define HOSTILE_EXIT_USAGE 2
#define HOSTILE_COUNT_DEFAULT 1000
#define HOSTILE_SIZE_DEFAULT 60		/* --size: frame bytes, without FCS */
#define HOSTILE_SIZE_MIN 60
#define HOSTILE_SIZE_MAX 1514
#define HOSTILE_ETHERTYPE 0x88b5	/* IEEE 802 local experimental */
#define HOSTILE_SRC_MAC { 0x02, 0x66, 0x66, 0x66, 0x66 }	/* + the seq's low byte */
#define HOSTILE_TAG "HOSTILE"
#define HOSTILE_TAG_LEN 7
#define HOSTILE_PAYLOAD_OFF 14
#define HOSTILE_SEQ_OFF (HOSTILE_PAYLOAD_OFF + HOSTILE_TAG_LEN)
#define HOSTILE_CANARY_OFF (HOSTILE_SEQ_OFF + 4)
#define HOSTILE_CANARY_MAX 256
#define HOSTILE_BATCH 32		/* descriptors per publish, at most */
#define HOSTILE_OVERLAP_BATCH 8
#define HOSTILE_POLL_MS 10
#define HOSTILE_STALL_S 5.0		/* no room for this long: the switch stalled */
#define HOSTILE_DRAIN_S 1.0		/* at the end, for the switch to take the rest */
#define HOSTILE_PROD_LIE 0x80000000u
#define HOSTILE_WAIT_FLAGS_GAP_NS 100000
#define HOSTILE_SEED 0x9e3779b97f4a7c15ull
#define HOSTILE_CONNECT_TIMEOUT_S 2
#define HOSTILE_WELCOME_TIMEOUT_MS 2000
#define HOSTILE_KEYS_MAX 24

struct hostile_attack;

struct hostile_opts {
	const char *path;
	const char *secret;
	const struct hostile_attack *attack;
	uint64_t count;
	bool count_set;
	double duration;		/* seconds; < 0: the attack's default */
	const char *canary;
	size_t canary_len;
	uint8_t dst_mac[6];
	uint16_t size;			/* bytes of each frame sent */
	bool size_set;
	bool verify;			/* rx: check every frame byte for byte */
	const char *scan;		/* at the end, look for it in all our memory */
	size_t scan_len;
	bool json;
	bool ivshmem;			/* attach as a QEMU guest (transport=ivshmem) */
	const char *pci;		/* inside a guest: the ivshmem device's BDF */
	bool peer_bufs;			/* ask for DPSR_F_PEER_BUFS, whatever the attack */
};

/* One entry of the report: a counter or a yes/no. */
struct hostile_key {
	const char *name;
	uint64_t value;
	bool is_bool;
};

struct hostile {
	const struct hostile_opts *o;
	struct dpsr_client c;
	bool attached;
	/* --ivshmem: vector 0 both ways (the control word's doorbells), our ID. */
	int ctl, ack;
	uint16_t guest_id;
	/* --pci: BAR0's registers (the doorbell), the port's queue pairs. */
	volatile uint32_t *regs;
	uint64_t regs_size;
	uint32_t port_qpairs;
	const struct dpsr_view *v;
	struct dpsr_qring tx;		/* ring 2b: we produce, the switch consumes */
	struct dpsr_qring rx;		/* ring 2b+1: the switch produces, we consume */
	/*
	 * Per slot of ring 2b: the buffer the switch gave it, as we last read
	 * it, and whether we have since written another index over it. The
	 * switch never rewrites the buf of a slot it refused, so a slot we
	 * dirtied is restored from own[] by its next good descriptor.
	 */
	uint32_t *own;
	bool *dirty;
	bool own_pinned;		/* flip: the flipper rewrites buf; own[] is the truth */
	bool keep_wait;			/* wait-flags: never lower our wait flags */
	double t_start, t_end;
	/* Ring 2b: what we published, and what the switch must count of it. */
	uint64_t sent;
	uint64_t verdicts[DPSR_BAD_MAX];
	uint64_t buf_out_of_range, buf_not_own;
	bool stalled;
	/* Ring 2b+1. */
	uint8_t *frame;			/* a private copy of one received frame */
	uint64_t taken, received, rx_bytes, canary_hits, bad_from_switch, rx_bad_index;
	uint64_t verified, corrupt;	/* rx --verify */
	uint32_t len_min, len_max;	/* of the frames received */
	uint64_t doorbells[DPSR_DB_PER_QPAIR];
	/* flip */
	int flip_stop;
	uint64_t flips;
	/* The report. */
	unsigned int nb_keys;
	struct hostile_key keys[HOSTILE_KEYS_MAX];
};

/* Descriptor number i of an attack, for a slot that owns buffer own. */
struct hostile_slot {
	uint64_t i;
	uint32_t j;			/* position in its batch */
	uint32_t own;
	uint32_t first;			/* the buffer of the batch's first slot */
};

typedef void (*hostile_make_fn)(struct hostile *h, const struct hostile_slot *s,
				struct dpsr_desc *d);

#define HOSTILE_HOLD_MAX 1000	/* silent-hold: connections at most */

struct hostile_attack {
	const char *name;
	int (*run)(struct hostile *h);
	bool attach;			/* false: talks to the socket only */
	bool sends;			/* builds frames: --size and --canary go into them */
	double duration;		/* default --duration; 0: none, --count decides */
	hostile_make_fn make;		/* attack_produce: the descriptors it writes */
	bool peer_bufs;			/* asks for DPSR_F_PEER_BUFS (a bag holder) */
};

/* hostile_attacks.c */
extern const struct hostile_attack hostile_attacks[];
extern const size_t hostile_nb_attacks;

/* hostile_fds.c: attacks on the region's memfd and the doorbells. */
int hostile_attack_resize(struct hostile *h);
int hostile_attack_punch(struct hostile *h);
int hostile_attack_bells_block(struct hostile *h);
int hostile_attack_keep_bells(struct hostile *h);

/* hostile_trusted.c: a trust group's member against the switch's decisions. */
int hostile_attack_tag_flip(struct hostile *h);
int hostile_attack_ctl_flood(struct hostile *h);
int hostile_attack_restart(struct hostile *h);

/* hostile_pci.c: --pci, inside a guest */
int hostile_attach_pci(struct hostile *h, struct dps_err *err);
void hostile_release_pci(struct hostile *h);
/* Ring the switch's doorbell @p which (DPSR_DB_*) through BAR0. 0 or -EINVAL. */
int hostile_pci_ring(struct hostile *h, unsigned int which);

/* hostile_bags.c: a trusted member that lies about the buffers it holds. */
int hostile_attack_bag_lie(struct hostile *h);

/* hostile_attacks.c: a good descriptor, for slot s. */
void hostile_make_good(struct hostile *h, const struct hostile_slot *s, struct dpsr_desc *d);

/* hostile_main.c: SIGINT or SIGTERM seen. */
extern volatile sig_atomic_t hostile_stop;

/* ---- small helpers ---- */

static inline uint64_t
hostile_min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline double
hostile_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Told to stop, or out of time. */
static inline bool
hostile_over(const struct hostile *h)
{
	return hostile_stop || hostile_now() >= h->t_end;
}

static inline uint64_t
hostile_xorshift64(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* hostile_main.c: add a key to the report (at most HOSTILE_KEYS_MAX). */
void hostile_report_u64(struct hostile *h, const char *name, uint64_t value);
void hostile_report_bool(struct hostile *h, const char *name, bool value);

/* ---- hostile_ring.c: frames ---- */

/*
 * Byte @p off of the pattern that fills frame @p seq after its header, tag,
 * sequence number and canary: a hash of both, with the top bit set, so that
 * a frame never holds an ASCII canary by chance and a stale or misplaced
 * byte (another frame's, another offset's) shows.
 */
static inline uint8_t
hostile_pattern(uint32_t seq, uint32_t off)
{
	uint32_t x = seq * 0x9e3779b1u + off;

	x ^= x >> 16;
	x *= 0x45d9f3bu;
	x ^= x >> 16;
	return (uint8_t)(0x80 | (x & 0x7f));
}

/*
 * Write frame @p seq of @p size bytes to @p dst: Ethernet to @p dst_mac
 * from 02:66:66:66:66:<seq>, HOSTILE_ETHERTYPE, "HOSTILE", seq (u32,
 * big-endian), the canary (@p canary_len bytes, may be 0), the pattern.
 */
void hostile_frame_write(uint8_t *dst, uint32_t size, uint32_t seq, const uint8_t dst_mac[6],
			 const char *canary, size_t canary_len);

/*
 * Is @p f (@p len bytes) exactly a frame hostile_frame_write() makes for
 * the seq it carries, to @p dst_mac, with @p canary or without one?
 */
bool hostile_frame_ok(const uint8_t *f, uint32_t len, const uint8_t dst_mac[6],
		      const char *canary, size_t canary_len);

/* ---- hostile_ring.c: doorbells ---- */

/* Wait up to @p ms on one of our queue pair's doorbells; count what rang. */
void hostile_db_wait(struct hostile *h, unsigned int which, int ms);
/* 0 or -errno. */
int hostile_db_ring(struct hostile *h, unsigned int which);

/* ---- hostile_ring.c: ring 2b, producing ---- */

/* The buffer a slot of ring 2b owns: read once from the slot, unless we dirtied it. */
uint32_t hostile_tx_slot_buf(struct hostile *h, uint32_t slot);
/*
 * Write @p d into @p slot, which owns buffer @p own (frame @p seq into it
 * when @p d points there), and count what the switch must make of it.
 */
void hostile_tx_fill(struct hostile *h, uint32_t slot, uint32_t own, const struct dpsr_desc *d,
		     uint32_t seq);
/* Publish @p k filled slots, and ring the switch if it said it sleeps. */
void hostile_tx_publish(struct hostile *h, uint32_t k);
/*
 * Produce until @p until descriptors were sent in all, in batches of up to
 * @p batch (exactly @p batch, or what is left, if @p whole), each built by
 * @p make. Returns how many it sent.
 */
uint64_t hostile_tx_produce(struct hostile *h, uint64_t until, uint32_t batch, bool whole,
			    hostile_make_fn make);
/* Let the switch take what we published (bounded): a detach drops the rest. */
void hostile_tx_drain(struct hostile *h);

/* ---- hostile_ring.c: ring 2b+1, consuming carefully ---- */

/* Take up to @p max descriptors the switch queued; returns how many. */
uint32_t hostile_rx_consume(struct hostile *h, uint32_t max);
/* Nothing to take: sleep as the protocol says (flag, fence, re-check, poll, clear). */
void hostile_rx_sleep(struct hostile *h);

#endif /* HOSTILE_H */
