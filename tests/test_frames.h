/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet frames for the forwarding tests (test_fwd.c, test_worker.c). */
#ifndef DPS_TEST_FRAMES_H
#define DPS_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

/** No 802.1Q tag (for test_frame()'s @p vid). */
#define UNTAGGED -1

/**
 * Write into @p f (@p cap bytes) a frame of @p len bytes: @p dst, @p src,
 * an 802.1Q tag with VID @p vid and PCP @p pcp unless @p vid < 0 (so VID 0
 * is a priority tag), the IPv4 ethertype, then @p fill bytes. Returns @p len.
 */
static inline uint16_t
test_frame(uint8_t *f, size_t cap, const uint8_t dst[6], const uint8_t src[6], int vid,
	   uint8_t pcp, uint16_t len, uint8_t fill)
{
	size_t off = 12;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (vid >= 0) {
		f[off++] = 0x81;
		f[off++] = 0x00;
		f[off++] = (uint8_t)(pcp << 5 | ((vid >> 8) & 0x0f));
		f[off++] = (uint8_t)vid;
	}
	f[off++] = 0x08;
	f[off++] = 0x00;
	memset(f + off, fill, cap - off);
	return len;
}

#endif /* DPS_TEST_FRAMES_H */
