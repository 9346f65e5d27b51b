/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile: what a member of a trust group can try against the
 * switch's decisions. Its frames are received without a copy (the switch
 * takes their buffers), so the member can still write a frame after the
 * switch looked at it; the switch must decide on a private copy of the
 * header and let out of the group only what it decided on.
 */
#include <errno.h>
#include <pthread.h>

#include "hostile.h"

/* A VLAN 20 tag, where a frame's ethertype would be (bytes 12..15). */
#define TAG_VID20 0x14000081u		/* 81 00 00 14, little-endian */

static void *
tag_flip_loop(void *arg)
{
	struct hostile *h = arg;
	uint8_t *bufs = (uint8_t *)h->c.base + h->v->bufs_off;
	uint32_t size = h->v->lim.buf_size, nb = h->v->lim.nb_bufs;
	uint64_t flips = 0;
	uint32_t own;

	/* What a frame of ours holds there: HOSTILE_ETHERTYPE, then "HO". */
	own = 0x88u | 0xb5u << 8 | (uint32_t)'H' << 16 | (uint32_t)'O' << 24;
	while (!__atomic_load_n(&h->flip_stop, __ATOMIC_RELAXED)) {
		uint32_t v = flips % 2 ? own : TAG_VID20;

		/* Every buffer of the region: ours, and those the switch took. */
		for (uint32_t b = 0; b < nb; b++)
			__atomic_store_n((uint32_t *)(bufs + (uint64_t)b * size + DPSR_HEADROOM + 12),
					 v, __ATOMIC_RELAXED);
		flips++;
	}
	h->flips = flips;
	return NULL;
}

/*
 * Send --count good broadcast frames while a thread turns, in every buffer
 * of the region, the frames' ethertype into a VLAN 20 tag and back, over
 * and over: a switch that decides on the region's memory and copies the
 * frame out later lets VLAN 20 frames out of an access port's VLAN.
 */
int
hostile_attack_tag_flip(struct hostile *h)
{
	pthread_t th;
	int rc = pthread_create(&th, NULL, tag_flip_loop, h);

	if (rc != 0)
		return -rc;
	hostile_tx_produce(h, h->o->count, HOSTILE_BATCH, false, hostile_make_good);
	hostile_tx_drain(h);
	__atomic_store_n(&h->flip_stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	hostile_report_u64(h, "sent", h->sent);
	hostile_report_u64(h, "flips", h->flips);
	hostile_report_bool(h, "stalled", h->stalled);
	return 0;
}
