/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the shared-ring checks and copy paths: whatever a
 * hostile peer writes into a region (its header, its descriptors, its
 * indices), dpsr_view_init(), dpsr_recv_copy() and dpsr_send_copy() never
 * read or write outside the region or the caller's buffers; and whatever it
 * sends as a hello or welcome, the checks read only the message. Built and run
 * by scripts/fuzz.sh (clang -fsanitize=fuzzer,address,undefined); each
 * region is malloc'd at its exact size, so AddressSanitizer catches a
 * single byte out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpsr/dpsr.h"
#include "dpsr/dpsr_ctl.h"
#include "dpsr/dpsr_queue.h"

#define RING 64
#define NBUFS 16
#define BUFSZ 2048

static uint8_t out[RING][BUFSZ];

/* The whole input is the region, header included. */
static void
fuzz_region(const uint8_t *data, size_t size)
{
	uint8_t *base = malloc(size ? size : 1);
	uint8_t *dst[RING];
	uint16_t len[RING];
	struct dpsr_errors err = { 0 };
	struct dpsr_view v;
	struct dpsr_qring q;

	memcpy(base, data, size);
	if (dpsr_view_init(&v, base, size, NULL) == 0) {
		for (int i = 0; i < RING; i++)
			dst[i] = out[i];
		for (uint32_t r = 0; r < 2 * v.nb_qpairs && r < 4; r++) {
			dpsr_qring_init(&q, &v, r);
			dpsr_recv_copy(&v, &q, dst, len, RING, BUFSZ, &err);
		}
	}
	free(base);
}

/* A valid region; the input is ring 0's descriptors and both indices. */
static void
fuzz_ring(const uint8_t *data, size_t size)
{
	struct dpsr_region h = { 0 };
	uint8_t *base, *dst[RING];
	const uint8_t *src[RING];
	uint16_t len[RING], slen[RING];
	struct dpsr_errors err = { 0 };
	struct dpsr_view v;
	struct dpsr_qring rx, tx;
	size_t n;

	h.magic = DPSR_MAGIC;
	h.version = DPSR_VERSION;
	h.hdr_size = sizeof(h);
	h.nb_qpairs = 1;
	h.ring_size = RING;
	h.rings_off = 128;
	h.ring_stride = dpsr_ring_bytes(RING);
	h.buf_size = BUFSZ;
	h.nb_bufs = NBUFS;
	h.bufs_off = (h.rings_off + 2 * h.ring_stride + BUFSZ - 1) / BUFSZ * BUFSZ;
	h.region_size = h.bufs_off + (uint64_t)NBUFS * BUFSZ;
	base = calloc(1, h.region_size);
	memcpy(base, &h, sizeof(h));
	if (dpsr_view_init(&v, base, h.region_size, NULL) != 0)
		abort();			/* our own header must pass */
	dpsr_qring_init(&rx, &v, 0);
	dpsr_qring_init(&tx, &v, 1);
	/* Indices first, then descriptors: both rings' whole contents. */
	if (size >= 8) {
		memcpy(&rx.shared->prod, data, 4);
		memcpy(&rx.idx, data + 4, 4);
		data += 8;
		size -= 8;
	}
	n = size < RING * sizeof(struct dpsr_desc) ? size : RING * sizeof(struct dpsr_desc);
	memcpy(rx.shared->desc, data, n);
	memcpy(tx.shared->desc, data, n);	/* the consumer's slot buffers */
	for (int i = 0; i < RING; i++) {
		dst[i] = out[i];
		src[i] = out[i];
		slen[i] = (uint16_t)(60 + i * 23);
	}
	dpsr_recv_copy(&v, &rx, dst, len, RING, BUFSZ, &err);
	dpsr_send_copy(&v, &tx, src, slen, RING, &err);
	free(base);
}

/* The input is an attach message of any length. */
static void
fuzz_messages(const uint8_t *data, size_t size)
{
	struct dpsr_hello *h = malloc(size ? size : 1);
	const char *why = NULL;

	memcpy(h, data, size);
	/* A short message is refused on its length, before any field is read. */
	dpsr_hello_check(h, size, "secret", &why);
	dpsr_hello_check(h, size, NULL, &why);
	dpsr_welcome_check((const struct dpsr_welcome *)h, size, (unsigned int)(size % 300), &why);
	free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 1:
		fuzz_region(data + 1, size - 1);
		break;
	case 2:
		fuzz_messages(data + 1, size - 1);
		break;
	default:
		fuzz_ring(data + 1, size - 1);
	}
	return 0;
}
