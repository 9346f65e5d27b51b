/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame templates. Every header of every flow is built here, once, so the
 * transmit path only copies one cache line and writes seq and timestamp
 * (plus two lengths and the IP checksum when sizes vary).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "pg.h"

#define PG_SRC_IP_BASE RTE_IPV4(10, 0, 0, 0)	/* + flow number (from 1) */
#define PG_DST_IP RTE_IPV4(10, 255, 0, 1)
#define PG_SRC_PORT 4000
#define PG_DST_PORT 4001
#define PG_RANGE_PATTERN 1024			/* sizes drawn for MIN-MAX */

/* The payload header must fit the payload of the smallest frame. */
_Static_assert(sizeof(struct pg_payload) == PG_MIN_SIZE - PG_HDR_LEN,
	      "payload header is 18 bytes");
_Static_assert(PG_MIN_SIZE <= PG_TMPL_LEN, "a template is one cache line");

/* 7:4:1 of 60/590/1514, interleaved so the mix holds over short spans. */
static const uint16_t imix_pattern[] = {
	60, 590, 60, 60, 590, 60, 1514, 60, 590, 60, 60, 590,
};

/* A MAC plus n, carrying across bytes like a 48-bit number. */
static void
mac_add(const struct rte_ether_addr *base, uint32_t n, struct rte_ether_addr *out)
{
	uint64_t v = 0;

	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v = v << 8 | base->addr_bytes[i];
	v += n;
	for (int i = RTE_ETHER_ADDR_LEN - 1; i >= 0; i--, v >>= 8)
		out->addr_bytes[i] = (uint8_t)v;
}

static void
build_one(uint8_t *t, const struct pg_options *o, uint32_t flow, uint16_t size)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)t;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct pg_payload *p = pg_payload_of(t);

	memset(t, 0, PG_TMPL_LEN);
	mac_add(&o->dst_mac, flow, &eth->dst_addr);
	rte_ether_addr_copy(&o->src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(PG_SRC_IP_BASE + flow + 1);
	ip->dst_addr = rte_cpu_to_be_32(PG_DST_IP);
	/* Variable sizes: the checksum is over a zero length; see set_len. */
	if (size != 0) {
		ip->total_length = rte_cpu_to_be_16(size - RTE_ETHER_HDR_LEN);
		udp->dgram_len = rte_cpu_to_be_16(size - RTE_ETHER_HDR_LEN -
						  sizeof(*ip));
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(PG_SRC_PORT);
	udp->dst_port = rte_cpu_to_be_16(PG_DST_PORT);
	p->magic = PG_MAGIC;
	p->flow = (uint16_t)flow;
}

/* A pre-learning frame: from the flow's destination MAC to broadcast. */
void
pg_frame_learn(uint8_t *frame, const struct pg_options *o, uint32_t flow)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;

	mac_add(&o->dst_mac, flow, &eth->src_addr);
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	pg_payload_of(frame)->magic = PG_MAGIC_LEARN;
}

/* Deterministic, so two runs with the same options send the same sizes. */
static int
build_sizes(struct pg_frames *f, const struct pg_options *o)
{
	uint32_t x = 2463534242u;

	switch (o->size_kind) {
	case PG_SIZE_FIXED:
		f->nb_sizes = 1;
		break;
	case PG_SIZE_IMIX:
		f->nb_sizes = RTE_DIM(imix_pattern);
		break;
	case PG_SIZE_RANGE:
		f->nb_sizes = PG_RANGE_PATTERN;
		break;
	}
	f->sizes = calloc(f->nb_sizes, sizeof(*f->sizes));
	if (f->sizes == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < f->nb_sizes; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (o->size_kind == PG_SIZE_FIXED)
			f->sizes[i] = o->size_min;
		else if (o->size_kind == PG_SIZE_IMIX)
			f->sizes[i] = imix_pattern[i];
		else
			f->sizes[i] = o->size_min + x % (o->size_max - o->size_min + 1);
	}
	return 0;
}

int
pg_frames_build(struct pg_frames *f, const struct pg_options *o)
{
	memset(f, 0, sizeof(*f));
	f->nb_flows = o->flows;
	f->var_size = o->size_kind != PG_SIZE_FIXED;
	f->tmpl = aligned_alloc(RTE_CACHE_LINE_SIZE, (size_t)o->flows * PG_TMPL_LEN);
	if (f->tmpl == NULL || build_sizes(f, o) != 0) {
		pg_frames_free(f);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < o->flows; i++)
		build_one(f->tmpl[i], o, i, f->var_size ? 0 : o->size_min);
	return 0;
}

void
pg_frames_free(struct pg_frames *f)
{
	free(f->tmpl);
	free(f->sizes);
	f->tmpl = NULL;
	f->sizes = NULL;
}
