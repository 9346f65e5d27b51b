/* SPDX-License-Identifier: BSD-3-Clause */
/* dpsr: checks of what a peer or a mapping says (see dpsr.h). */
#include "dpsr.h"

#include <errno.h>

#define DPSR_QPAIRS_MAX 64

static const char *const bad_names[DPSR_BAD_MAX] = {
	[DPSR_OK] = "ok",
	[DPSR_BAD_BUF] = "buffer index out of range",
	[DPSR_BAD_LEN] = "bad length",
	[DPSR_BAD_RANGE] = "offset + length past the buffer",
	[DPSR_BAD_FLAGS] = "unknown flags or reserved bits set",
};

const char *
dpsr_bad_name(enum dpsr_bad b)
{
	return (unsigned int)b < DPSR_BAD_MAX ? bad_names[b] : "?";
}

static int
fail(const char **why, const char *what)
{
	if (why != NULL)
		*why = what;
	return -EINVAL;
}

static bool
pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int
dpsr_region_check(const struct dpsr_region *h, uint64_t mapped, const char **why)
{
	uint64_t rings_end, bufs_end;

	if (mapped < sizeof(*h))
		return fail(why, "mapping smaller than the region header");
	if (h->magic != DPSR_MAGIC)
		return fail(why, "not a dpsr region (bad magic)");
	if (h->version != DPSR_VERSION)
		return fail(why, "unsupported protocol version");
	if (h->hdr_size != sizeof(*h))
		return fail(why, "bad header size");
	if (h->region_size > mapped || h->region_size < sizeof(*h))
		return fail(why, "region size larger than the mapping");
	if (h->features != 0)
		return fail(why, "unknown features");
	if (h->nb_qpairs == 0 || h->nb_qpairs > DPSR_QPAIRS_MAX)
		return fail(why, "bad number of queue pairs");
	if (h->port_qpairs != 0 && h->nb_qpairs % h->port_qpairs != 0)
		return fail(why, "bad number of queue pairs per port");
	if (!dpsr_ring_size_ok(h->ring_size))
		return fail(why, "bad ring size");
	if (h->ring_stride < dpsr_ring_bytes(h->ring_size) ||
	    h->ring_stride % DPSR_CACHE_LINE != 0 || h->ring_stride > h->region_size)
		return fail(why, "bad ring stride");
	if (h->rings_off < sizeof(*h) || h->rings_off % DPSR_CACHE_LINE != 0 ||
	    h->rings_off > h->region_size)
		return fail(why, "bad ring offset");
	/* Each factor is bounded by region_size (or 2 * 64), so no overflow. */
	rings_end = h->rings_off + 2ull * h->nb_qpairs * h->ring_stride;
	if (rings_end > h->region_size)
		return fail(why, "rings past the end of the region");
	if (!pow2(h->buf_size) || h->buf_size < DPSR_BUF_SIZE_MIN ||
	    h->buf_size > DPSR_BUF_SIZE_MAX)
		return fail(why, "bad buffer size");
	if (h->nb_bufs == 0)
		return fail(why, "no buffers");
	if (h->bufs_off % h->buf_size != 0 || h->bufs_off < rings_end ||
	    h->bufs_off > h->region_size)
		return fail(why, "bad buffer pool offset");
	bufs_end = h->bufs_off + (uint64_t)h->nb_bufs * h->buf_size;
	if (bufs_end > h->region_size)
		return fail(why, "buffers past the end of the region");
	return 0;
}
