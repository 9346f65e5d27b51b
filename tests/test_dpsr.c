/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the shared-ring protocol's arithmetic and checks
 * (lib/shm/dpsr.h): index wrap-around, descriptor validation on every field
 * and limit, region header validation. Plain C, no DPDK.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "shm/dpsr.h"
#include "test_common.h"

static void
test_indices(void)
{
	const uint32_t size = 256;

	CHECK_EQ(dpsr_used(10, 10), 0);
	CHECK_EQ(dpsr_used(20, 10), 10);
	CHECK_EQ(dpsr_room(size, 10, 10), size);
	CHECK_EQ(dpsr_room(size, 10 + size, 10), 0);
	CHECK_EQ(dpsr_room(size, 10 + size - 1, 10), 1);
	/* Free-running indices across 2^32. */
	CHECK_EQ(dpsr_used(5, UINT32_MAX - 4), 10);
	CHECK_EQ(dpsr_room(size, 5, UINT32_MAX - 4), size - 10);
	CHECK_EQ(dpsr_slot(size, UINT32_MAX), size - 1);
	CHECK_EQ(dpsr_slot(size, UINT32_MAX + 1u), 0);
	CHECK_EQ(dpsr_slot(size, 257), 1);
	/* A lying producer: more than size in flight gives no room, never wraps. */
	CHECK_EQ(dpsr_room(size, 10 + size + 7, 10), 0);
	CHECK_EQ(dpsr_room(size, 3, 10), 0);	/* prod behind cons: huge "used" */
	CHECK(dpsr_used(3, 10) > size);

	CHECK(dpsr_ring_size_ok(64));
	CHECK(dpsr_ring_size_ok(32768));
	CHECK(!dpsr_ring_size_ok(32));
	CHECK(!dpsr_ring_size_ok(65536));
	CHECK(!dpsr_ring_size_ok(100));
	CHECK(!dpsr_ring_size_ok(0));
	CHECK_EQ(dpsr_ring_bytes(64), 3 * 64 + 64 * 16);
	CHECK_EQ(dpsr_ring_bytes(64) % DPSR_CACHE_LINE, 0);
}

static const struct dpsr_limits LIM = { .nb_bufs = 1024, .buf_size = 2048 };

static struct dpsr_desc
desc(uint32_t buf, uint16_t off, uint16_t len)
{
	return (struct dpsr_desc){ .buf = buf, .off = off, .len = len };
}

static void
test_desc_check(void)
{
	struct dpsr_desc d;

	d = desc(0, 0, 60);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_OK);
	d = desc(1023, 2048 - 1514, 1514);		/* last buffer, flush to its end */
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_OK);

	/* buf: every index past the pool. */
	d = desc(1024, 0, 60);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_BUF);
	d = desc(UINT32_MAX, 0, 60);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_BUF);

	/* len: below a header, zero, above a jumbo frame, the u16 maximum. */
	d = desc(0, 0, DPSR_FRAME_MIN - 1);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_LEN);
	d = desc(0, 0, 0);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_LEN);
	d = desc(0, 0, DPSR_FRAME_MIN);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_OK);
	d = desc(0, 0, UINT16_MAX);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_LEN);
	{
		const struct dpsr_limits big = { .nb_bufs = 8, .buf_size = 16384 };

		d = desc(0, 0, DPSR_FRAME_MAX);
		CHECK_EQ(dpsr_desc_check(&d, &big), DPSR_OK);
		d = desc(0, 0, DPSR_FRAME_MAX + 1);
		CHECK_EQ(dpsr_desc_check(&d, &big), DPSR_BAD_LEN);
	}

	/* off + len: one past the end, offset alone past the end, u16 maxima. */
	d = desc(0, 2048 - 60 + 1, 60);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_RANGE);
	d = desc(0, 2048, 60);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_RANGE);
	d = desc(0, UINT16_MAX, 1514);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_RANGE);
	d = desc(0, 2048 - 60, 60);
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_OK);

	/* flags and reserved fields. */
	d = desc(0, 0, 60);
	d.flags = 1;
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_FLAGS);
	d = desc(0, 0, 60);
	d.rsvd0 = 0x8000;
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_FLAGS);
	d = desc(0, 0, 60);
	d.rsvd1 = 1;
	CHECK_EQ(dpsr_desc_check(&d, &LIM), DPSR_BAD_FLAGS);

	/* The fetch copies every field. */
	{
		struct dpsr_desc s = { .buf = 7, .off = 3, .len = 99, .flags = 2,
				       .rsvd0 = 4, .rsvd1 = 5 }, c;

		memset(&c, 0xaa, sizeof(c));
		dpsr_desc_fetch(&s, &c);
		CHECK(memcmp(&s, &c, sizeof(c)) == 0);
	}
	for (int b = 0; b <= DPSR_BAD_MAX; b++)
		CHECK(dpsr_bad_name((enum dpsr_bad)b) != NULL);
	CHECK_STREQ(dpsr_bad_name(DPSR_BAD_RANGE), "offset + length past the buffer");
}

/* A valid header: 2 queue pairs of 256-slot rings, 1024 buffers of 2 KiB. */
static struct dpsr_region
good_region(void)
{
	struct dpsr_region h = { 0 };
	uint64_t rings_end;

	h.magic = DPSR_MAGIC;
	h.version = DPSR_VERSION;
	h.hdr_size = sizeof(h);
	h.nb_qpairs = 2;
	h.ring_size = 256;
	h.rings_off = 4096;
	h.ring_stride = dpsr_ring_bytes(256);
	h.buf_size = 2048;
	h.nb_bufs = 1024;
	rings_end = h.rings_off + 4 * h.ring_stride;
	h.bufs_off = (rings_end + h.buf_size - 1) / h.buf_size * h.buf_size;
	h.region_size = h.bufs_off + (uint64_t)h.nb_bufs * h.buf_size;
	return h;
}

#define CHECK_REGION_BAD(field_edit, needle) do {				\
	struct dpsr_region h_ = good_region();					\
	const char *why_ = NULL;						\
	field_edit;								\
	CHECK_EQ(dpsr_region_check(&h_, h_.region_size, &why_), -EINVAL);	\
	CHECK_CONTAINS(why_, needle);						\
} while (0)

static void
test_region_check(void)
{
	struct dpsr_region h = good_region();
	const char *why = NULL;

	CHECK_EQ(dpsr_region_check(&h, h.region_size, &why), 0);
	CHECK_EQ(dpsr_region_check(&h, h.region_size - 1, &why), -EINVAL);
	CHECK_CONTAINS(why, "larger than the mapping");
	CHECK_EQ(dpsr_region_check(&h, 10, &why), -EINVAL);
	CHECK_CONTAINS(why, "smaller than the region header");

	CHECK_REGION_BAD(h_.magic = 0, "bad magic");
	CHECK_REGION_BAD(h_.version = 2, "version");
	CHECK_REGION_BAD(h_.hdr_size = 64, "header size");
	CHECK_REGION_BAD(h_.features = 1, "unknown features");
	CHECK_REGION_BAD(h_.nb_qpairs = 0, "queue pairs");
	CHECK_REGION_BAD(h_.nb_qpairs = 65, "queue pairs");
	CHECK_REGION_BAD(h_.ring_size = 100, "ring size");
	CHECK_REGION_BAD(h_.ring_stride = dpsr_ring_bytes(256) - 64, "ring stride");
	CHECK_REGION_BAD(h_.ring_stride = dpsr_ring_bytes(256) + 8, "ring stride");
	CHECK_REGION_BAD(h_.ring_stride = UINT64_MAX & ~63ull, "ring stride");
	CHECK_REGION_BAD(h_.rings_off = 8, "ring offset");
	CHECK_REGION_BAD(h_.rings_off = 4096 + 4, "ring offset");
	CHECK_REGION_BAD(h_.rings_off = UINT64_MAX & ~63ull, "ring offset");
	CHECK_REGION_BAD(h_.nb_qpairs = 64, "buffer pool offset");	/* rings overlap it */
	CHECK_REGION_BAD((h_.nb_qpairs = 4, h_.ring_size = 32768,
			  h_.ring_stride = dpsr_ring_bytes(32768)),
			 "rings past the end");
	CHECK_REGION_BAD(h_.buf_size = 3000, "buffer size");
	CHECK_REGION_BAD(h_.buf_size = 1024, "buffer size");
	CHECK_REGION_BAD(h_.buf_size = 131072, "buffer size");
	CHECK_REGION_BAD(h_.nb_bufs = 0, "no buffers");
	CHECK_REGION_BAD(h_.bufs_off += 64, "buffer pool offset");
	CHECK_REGION_BAD(h_.bufs_off = 4096, "buffer pool offset");	/* over the rings */
	CHECK_REGION_BAD(h_.nb_bufs += 1, "buffers past the end");
	CHECK_REGION_BAD(h_.nb_bufs = UINT32_MAX, "buffers past the end");
	/* A NULL why is allowed. */
	h.magic = 1;
	CHECK_EQ(dpsr_region_check(&h, h.region_size, NULL), -EINVAL);
}

int
main(void)
{
	test_indices();
	test_desc_check();
	test_region_check();
	return test_report();
}
