/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the shared-ring protocol's arithmetic and checks
 * (lib/dpsr/dpsr.h): index wrap-around, descriptor validation on every field
 * and limit, region header validation. Plain C, no DPDK.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpsr/dpsr.h"
#include "dpsr/dpsr_bell.h"
#include "dpsr/dpsr_ctl.h"
#include "dpsr/dpsr_guest.h"
#include "dpsr/dpsr_queue.h"
#include "dpsr/dpsr_region.h"
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

/* A region in ordinary memory, laid out as good_region() says. */
static uint8_t *
make_region(struct dpsr_view *v)
{
	struct dpsr_region h = good_region();
	/* C11: the size must be a multiple of the alignment. */
	uint8_t *base = aligned_alloc(4096, (h.region_size + 4095) & ~(uint64_t)4095);
	const char *why = NULL;

	if (base == NULL)
		abort();
	memset(base, 0, h.region_size);
	memcpy(base, &h, sizeof(h));
	for (uint32_t i = 0; i < 2 * h.nb_qpairs; i++) {
		struct dpsr_ring *r = (struct dpsr_ring *)(base + dpsr_ring_off(&h, i));

		r->size = h.ring_size;
		/* Every slot owns a buffer: ring i's slots own buffers i*256 .. */
		for (uint32_t k = 0; k < h.ring_size; k++)
			r->desc[k].buf = i * h.ring_size + k;
	}
	CHECK_EQ(dpsr_view_init(v, base, h.region_size, &why), 0);
	return base;
}

static void
test_copy_paths(void)
{
	struct dpsr_view v;
	uint8_t *base = make_region(&v);
	struct dpsr_qring tx, rx;
	struct dpsr_errors err = { 0 };
	uint8_t frames[40][128], out[40][128];
	const uint8_t *src[40];
	uint8_t *dst[40];
	uint16_t len[40], got_len[40];

	for (int i = 0; i < 40; i++) {
		memset(frames[i], i + 1, sizeof(frames[i]));
		src[i] = frames[i];
		dst[i] = out[i];
		len[i] = (uint16_t)(60 + i);
	}
	/* Producer and consumer of ring 0, each with its own private index. */
	dpsr_qring_init(&tx, &v, 0);
	dpsr_qring_init(&rx, &v, 0);
	/* Start just below 2^32 so the batch wraps the indices. */
	tx.idx = rx.idx = UINT32_MAX - 10;
	tx.shared->prod = tx.shared->cons = UINT32_MAX - 10;

	CHECK_EQ(dpsr_send_copy(&v, &tx, src, len, 40, &err), 40);
	CHECK_EQ(tx.shared->prod, UINT32_MAX - 10 + 40);
	CHECK_EQ(dpsr_recv_copy(&v, &rx, dst, got_len, 40, 128, &err), 40);
	CHECK_EQ(rx.shared->cons, tx.shared->prod);
	for (int i = 0; i < 40; i++) {
		CHECK_EQ(got_len[i], len[i]);
		CHECK(memcmp(out[i], frames[i], len[i]) == 0);
	}
	CHECK_EQ(err.bad_index, 0);

	/* The ring holds at most size frames; the rest waits. */
	{
		uint8_t *const *d = dst;
		uint32_t sent = 0;

		for (int k = 0; k < 10; k++)
			sent += dpsr_send_copy(&v, &tx, src, len, 40, &err);
		CHECK_EQ(sent, 256);
		CHECK_EQ(dpsr_send_copy(&v, &tx, src, len, 40, &err), 0);
		CHECK_EQ(dpsr_recv_copy(&v, &rx, d, got_len, 40, 128, &err), 40);
		CHECK_EQ(dpsr_send_copy(&v, &tx, src, len, 40, &err), 40);
		while (dpsr_recv_copy(&v, &rx, d, got_len, 40, 128, &err) > 0)
			;
	}

	/* A hostile producer: bad descriptors are counted, skipped, released. */
	CHECK_EQ(dpsr_send_copy(&v, &tx, src, len, 4, &err), 4);
	tx.shared->desc[dpsr_slot(256, tx.idx - 4)].buf = 5000;		/* out of the pool */
	tx.shared->desc[dpsr_slot(256, tx.idx - 3)].off = 2040;		/* past the end */
	tx.shared->desc[dpsr_slot(256, tx.idx - 2)].len = 2;		/* runt */
	CHECK_EQ(dpsr_recv_copy(&v, &rx, dst, got_len, 40, 128, &err), 1);
	CHECK(memcmp(out[0], frames[3], len[3]) == 0);
	CHECK_EQ(err.bad_desc[DPSR_BAD_BUF], 1);
	CHECK_EQ(err.bad_desc[DPSR_BAD_RANGE], 1);
	CHECK_EQ(err.bad_desc[DPSR_BAD_LEN], 1);
	CHECK_EQ(rx.idx, tx.idx);				/* every slot released */

	/* A frame longer than the consumer's buffer is refused, not cut. */
	CHECK_EQ(dpsr_send_copy(&v, &tx, src, len, 1, &err), 1);
	CHECK_EQ(dpsr_recv_copy(&v, &rx, dst, got_len, 40, 59, &err), 0);
	CHECK_EQ(err.bad_desc[DPSR_BAD_LEN], 2);

	/* A producer index far ahead: nothing is taken, and it is counted. */
	{
		uint32_t before = rx.idx;

		tx.shared->prod = rx.idx + 256 + 1000;
		CHECK_EQ(dpsr_recv_copy(&v, &rx, dst, got_len, 40, 128, &err), 0);
		CHECK_EQ(err.bad_index, 1);
		CHECK_EQ(rx.idx, before);
		CHECK_EQ(rx.shared->cons, before);
		tx.shared->prod = before;		/* the producer makes sense again */
	}

	/* A consumer that puts a foreign buffer index in its slot: refused. */
	{
		struct dpsr_qring p;

		dpsr_qring_init(&p, &v, 1);
		p.shared->desc[0].buf = UINT32_MAX;
		CHECK_EQ(dpsr_send_copy(&v, &p, src, len, 4, &err), 0);
		CHECK_EQ(p.shared->prod, 0);
	}

	/* The header is read once: a view ignores later changes to it. */
	((struct dpsr_region *)base)->nb_bufs = UINT32_MAX;
	CHECK_EQ(v.lim.nb_bufs, 1024);
	free(base);
}

static void
test_region_create(void)
{
	struct dpsr_geometry g = { .nb_qpairs = 2, .ring_size = 256, .buf_size = 2048,
				   .nb_spares = 100 };
	struct dpsr_region h;
	struct dpsr_mem mem;
	struct dpsr_view v;
	const char *why = NULL;
	uint8_t *seen;
	int rc;

	/* Geometry errors. */
	g.nb_qpairs = 0;
	CHECK_EQ(dpsr_layout(&g, &h, &why), -EINVAL);
	CHECK_CONTAINS(why, "queue pairs must be 1..64");
	g.nb_qpairs = 2;
	g.ring_size = 100;
	CHECK_EQ(dpsr_layout(&g, &h, &why), -EINVAL);
	CHECK_CONTAINS(why, "ring size");
	g.ring_size = 256;
	g.buf_size = 3000;
	CHECK_EQ(dpsr_layout(&g, &h, &why), -EINVAL);
	CHECK_CONTAINS(why, "buffer size");
	g.buf_size = 2048;
	g.nb_spares = UINT32_MAX;
	CHECK_EQ(dpsr_layout(&g, &h, &why), -EINVAL);
	CHECK_CONTAINS(why, "too large");
	g.nb_spares = 100;

	/* A layout passes its own checks, rounded to a hugepage. */
	CHECK_EQ(dpsr_layout(&g, &h, &why), 0);
	CHECK_EQ(dpsr_region_check(&h, h.region_size, &why), 0);
	CHECK_EQ(h.region_size % DPSR_HUGEPAGE, 0);
	CHECK_EQ(h.nb_bufs, 2 * 2 * 256 + 100);

	/* Ordinary memory (no hugepages needed): mapped, checked, initialised. */
	CHECK_EQ(dpsr_region_create(&g, true, &mem, &why), 0);
	CHECK(mem.fd >= 0 && mem.base != NULL && mem.size == h.region_size);
	CHECK(fcntl(mem.fd, F_GET_SEALS) & F_SEAL_SHRINK);
	CHECK_EQ(dpsr_view_init(&v, mem.base, mem.size, &why), 0);
	/* Every slot owns a buffer of its own; nothing is owned twice. */
	seen = calloc(v.lim.nb_bufs, 1);
	for (uint32_t i = 0; i < 2 * v.nb_qpairs; i++) {
		struct dpsr_qring q;

		dpsr_qring_init(&q, &v, i);
		CHECK_EQ(q.shared->prod, 0);
		CHECK_EQ(q.shared->size, 256);
		for (uint32_t k = 0; k < v.ring_size; k++) {
			uint32_t b = q.shared->desc[k].buf;

			CHECK(b < v.lim.nb_bufs);
			if (b < v.lim.nb_bufs) {
				CHECK_EQ(seen[b], 0);
				seen[b] = 1;
			}
		}
	}
	free(seen);
	dpsr_region_destroy(&mem);
	CHECK_EQ(mem.fd, -1);

	/* Hugepages: either a hugetlb region or a clear error, never a crash. */
	rc = dpsr_region_create(&g, false, &mem, &why);
	if (rc == 0) {
		CHECK(mem.huge);
		CHECK_EQ(dpsr_view_init(&v, mem.base, mem.size, &why), 0);
		dpsr_region_destroy(&mem);
	} else {
		CHECK_EQ(rc, -ENOMEM);
		CHECK_CONTAINS(why, "no hugepages");
	}
}

static void
test_attach_messages(void)
{
	struct dpsr_hello h, hr;
	struct dpsr_welcome w, wr;
	const char *why = NULL;
	int sv[2], fds[1 + DPSR_DB_PER_QPAIR], got[DPSR_FDS_MAX];
	unsigned int nfds;
	int before = test_open_fds(), n;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);

	/* hello: built, sent, received and accepted; the secret matters. */
	CHECK_EQ(dpsr_hello_init(&h, 1, "s3cret"), 0);
	CHECK_EQ(dpsr_msg_send(sv[0], &h, sizeof(h), NULL, 0), 0);
	n = dpsr_msg_recv(sv[1], &hr, sizeof(hr), got, DPSR_FDS_MAX, &nfds, 1000);
	CHECK_EQ(n, (int)sizeof(hr));
	CHECK_EQ(nfds, 0);
	CHECK_EQ(dpsr_hello_check(&hr, (size_t)n, "s3cret", &why), 0);
	CHECK_EQ(dpsr_hello_check(&hr, (size_t)n, "s3cre", &why), -EACCES);
	CHECK_STREQ(why, "wrong secret");
	CHECK_EQ(dpsr_hello_check(&hr, (size_t)n, NULL, &why), -EACCES);
	CHECK_EQ(dpsr_hello_init(&h, 1, NULL), 0);
	CHECK_EQ(dpsr_hello_check(&h, sizeof(h), "", &why), 0);
	CHECK_EQ(dpsr_hello_check(&h, sizeof(h), "x", &why), -EACCES);
	{
		char longs[DPSR_SECRET_MAX + 2];

		memset(longs, 'a', sizeof(longs) - 1);
		longs[sizeof(longs) - 1] = '\0';
		CHECK_EQ(dpsr_hello_init(&h, 1, longs), -E2BIG);
	}
	/* Not a hello, another version, unknown features, short. */
	dpsr_hello_init(&h, 1, NULL);
	CHECK_EQ(dpsr_hello_check(&h, sizeof(h) - 1, NULL, &why), -EPROTO);
	h.magic = 0;
	CHECK_EQ(dpsr_hello_check(&h, sizeof(h), NULL, &why), -EPROTO);
	CHECK_STREQ(why, "not a dpsr hello");
	dpsr_hello_init(&h, 1, NULL);
	h.version = 9;
	CHECK_EQ(dpsr_hello_check(&h, sizeof(h), NULL, &why), -EPROTO);
	CHECK_CONTAINS(why, "version");
	dpsr_hello_init(&h, 1, NULL);
	h.features = 4;
	CHECK_EQ(dpsr_hello_check(&h, sizeof(h), NULL, &why), -EPROTO);
	/* A feature this version knows is asked for, not refused. */
	h.features = DPSR_F_PEER_BUFS;
	CHECK_EQ(dpsr_hello_check(&h, sizeof(h), NULL, &why), 0);
	dpsr_hello_init(&h, 65, NULL);
	CHECK_EQ(dpsr_hello_check(&h, sizeof(h), NULL, &why), -EPROTO);

	/* welcome with a memfd and 4 doorbells: all arrive, usable. */
	memset(&w, 0, sizeof(w));
	w.magic = DPSR_MAGIC;
	w.version = DPSR_VERSION;
	w.size = sizeof(w);
	w.nb_qpairs = 1;
	w.nb_fds = 1 + DPSR_DB_PER_QPAIR;
	fds[0] = memfd_create("t", MFD_CLOEXEC);
	for (int i = 1; i <= DPSR_DB_PER_QPAIR; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	CHECK_EQ(dpsr_msg_send(sv[1], &w, sizeof(w), fds, 1 + DPSR_DB_PER_QPAIR), 0);
	n = dpsr_msg_recv(sv[0], &wr, sizeof(wr), got, DPSR_FDS_MAX, &nfds, 1000);
	CHECK_EQ(n, (int)sizeof(wr));
	CHECK_EQ(nfds, 1 + DPSR_DB_PER_QPAIR);
	CHECK_EQ(dpsr_welcome_check(&wr, (size_t)n, nfds, &why), 0);
	{
		uint64_t one = 1, v = 0;

		/* The received doorbell is the same eventfd as the sent one. */
		CHECK_EQ(write(fds[1], &one, sizeof(one)), (ssize_t)sizeof(one));
		CHECK_EQ(read(got[1], &v, sizeof(v)), (ssize_t)sizeof(v));
		CHECK_EQ(v, 1);
	}
	for (unsigned int i = 0; i < nfds; i++)
		close(got[i]);
	CHECK_EQ(dpsr_welcome_check(&wr, (size_t)n, nfds - 1, &why), -EPROTO);
	wr.features = DPSR_F_PEER_BUFS;
	CHECK_EQ(dpsr_welcome_check(&wr, (size_t)n, nfds, &why), 0);
	wr.features = 2;
	CHECK_EQ(dpsr_welcome_check(&wr, (size_t)n, nfds, &why), -EPROTO);
	wr.features = 0;
	wr.status = -EACCES;
	CHECK_EQ(dpsr_welcome_check(&wr, (size_t)n, nfds, &why), -EACCES);
	wr.status = 12345;
	CHECK_EQ(dpsr_welcome_check(&wr, (size_t)n, nfds, &why), -EPROTO);

	/* More fds than the receiver takes: refused, and none leaks. */
	CHECK_EQ(dpsr_msg_send(sv[1], &w, sizeof(w), fds, 1 + DPSR_DB_PER_QPAIR), 0);
	CHECK_EQ(dpsr_msg_recv(sv[0], &wr, sizeof(wr), got, 2, &nfds, 1000), -EMSGSIZE);
	CHECK_EQ(nfds, 0);
	/* A message longer than the buffer: refused, fds closed. */
	CHECK_EQ(dpsr_msg_send(sv[1], &w, sizeof(w), fds, 1 + DPSR_DB_PER_QPAIR), 0);
	CHECK_EQ(dpsr_msg_recv(sv[0], &hr, 8, got, DPSR_FDS_MAX, &nfds, 1000), -EMSGSIZE);
	for (int i = 0; i <= DPSR_DB_PER_QPAIR; i++)
		close(fds[i]);

	/* Nothing sent: a timeout; the other side gone: a reset. */
	CHECK_EQ(dpsr_msg_recv(sv[0], &wr, sizeof(wr), got, DPSR_FDS_MAX, &nfds, 20),
		 -ETIMEDOUT);
	close(sv[1]);
	CHECK_EQ(dpsr_msg_recv(sv[0], &wr, sizeof(wr), got, DPSR_FDS_MAX, &nfds, 1000),
		 -ECONNRESET);
	close(sv[0]);
	CHECK_EQ(test_open_fds(), before);
}

/*
 * Doorbells under a race: a producer thread sends a burst of 1..8 frames,
 * waits until the consumer has all of it (an acknowledgement outside the
 * protocol), spins a random 0-20 us and sends the next. The consumer drains
 * and, once the ring is empty, spins a random while and sleeps on its
 * doorbell with the wait-flag protocol, so bursts keep arriving while it
 * prepares to sleep. A lost
 * wake-up leaves it asleep with a burst pending and nothing else coming:
 * its 2 s safety timeout fires, and that is counted; it must stay 0.
 */
#define RACE_BURSTS 20000

struct race {
	struct dpsr_view v;
	int data_fd, ack_fd;
	uint32_t consumer_sleeps;
	uint32_t lost, sent, received, in_order;
};

static void
doorbell(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

/* Sleep on fd; false if 2 s passed with no doorbell. */
static bool
wait_doorbell(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 2000) != 1)
		return false;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		abort();
	return true;
}

static void *
race_producer(void *arg)
{
	struct race *r = arg;
	struct dpsr_qring q;
	struct dpsr_errors err = { 0 };
	uint8_t frames[8][64];
	const uint8_t *src[8];
	uint16_t len[8];
	uint32_t seq = 0, rnd = 12345;

	dpsr_qring_init(&q, &r->v, 0);
	for (int i = 0; i < 8; i++) {
		src[i] = frames[i];
		len[i] = 64;
		memset(frames[i], 0, 64);
	}
	for (uint32_t b = 0; b < RACE_BURSTS; b++) {
		uint32_t k;

		rnd = rnd * 1103515245 + 12345;
		k = 1 + (rnd >> 16) % 8;
		for (uint32_t i = 0; i < k; i++)
			memcpy(frames[i], &(uint32_t){ seq + i }, sizeof(uint32_t));
		if (dpsr_send_copy(&r->v, &q, src, len, k, &err) != k)
			abort();		/* one burst in flight never fills 64 slots */
		seq += k;
		__atomic_store_n(&r->sent, seq, __ATOMIC_RELEASE);
		if (dpsr_cons_kick_needed(&q))
			doorbell(r->data_fd);
		if (!wait_doorbell(r->ack_fd) &&
		    __atomic_add_fetch(&r->lost, 1, __ATOMIC_RELAXED) > 3)
			break;		/* clearly broken: do not wait forever */
		for (volatile uint32_t spin = 0; spin < ((rnd >> 8) & 0x3fff); spin++)
			;
	}
	return NULL;
}

static void *
race_consumer(void *arg)
{
	struct race *r = arg;
	struct dpsr_qring q;
	struct dpsr_errors err = { 0 };
	uint8_t bufs[32][128], *dst[32];
	uint16_t len[32];
	uint32_t acked = 0, rnd = 777;

	dpsr_qring_init(&q, &r->v, 0);
	for (int i = 0; i < 32; i++)
		dst[i] = bufs[i];
	for (uint32_t b = 0; b < RACE_BURSTS; ) {
		uint32_t n = dpsr_recv_copy(&r->v, &q, dst, len, 32, 128, &err);

		for (uint32_t i = 0; i < n; i++) {
			uint32_t seq;

			memcpy(&seq, bufs[i], sizeof(seq));
			r->in_order += seq == r->received + i;
		}
		r->received += n;
		if (r->received != acked &&
		    r->received == __atomic_load_n(&r->sent, __ATOMIC_ACQUIRE)) {
			acked = r->received;
			b++;
			doorbell(r->ack_fd);
			continue;
		}
		if (n > 0)
			continue;
		/*
		 * Time between the last empty poll and raising the wait flag
		 * (a worker's spin before it parks): a burst that lands here is
		 * what the re-check in dpsr_cons_sleep_prepare() must catch.
		 */
		rnd = rnd * 1103515245 + 12345;
		for (volatile uint32_t spin = 0; spin < ((rnd >> 8) & 0xfff); spin++)
			;
		if (!dpsr_cons_sleep_prepare(&q))
			continue;
		r->consumer_sleeps++;
		if (!wait_doorbell(r->data_fd) &&
		    __atomic_add_fetch(&r->lost, 1, __ATOMIC_RELAXED) > 3)
			break;
		if (__atomic_load_n(&r->lost, __ATOMIC_RELAXED) > 3)
			break;
		dpsr_cons_sleep_done(&q);
	}
	return NULL;
}

static void
test_doorbell_race(void)
{
	struct dpsr_geometry g = { .nb_qpairs = 1, .ring_size = 64, .buf_size = 2048 };
	struct dpsr_mem mem;
	struct race r = { 0 };
	pthread_t p, c;
	const char *why = NULL;

	CHECK_EQ(dpsr_region_create(&g, true, &mem, &why), 0);
	CHECK_EQ(dpsr_view_init(&r.v, mem.base, mem.size, &why), 0);
	r.data_fd = eventfd(0, EFD_CLOEXEC);
	r.ack_fd = eventfd(0, EFD_CLOEXEC);
	pthread_create(&c, NULL, race_consumer, &r);
	pthread_create(&p, NULL, race_producer, &r);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	CHECK_EQ(r.lost, 0);
	CHECK_EQ(r.received, r.sent);
	CHECK_EQ(r.in_order, r.sent);
	/* The race was run: the consumer slept over and over. */
	CHECK_MSG(r.consumer_sleeps > RACE_BURSTS / 10, "%u consumer sleeps in %u bursts",
		  r.consumer_sleeps, RACE_BURSTS);
	if (getenv("TEST_VERBOSE"))
		printf("race: %u frames in %u bursts, %u consumer sleeps\n", r.sent,
		       RACE_BURSTS, r.consumer_sleeps);
	close(r.data_fd);
	close(r.ack_fd);
	dpsr_region_destroy(&mem);
}

/*
 * Doorbells: whatever the other side does to its end (made blocking, the
 * pipe filled, gone), ours never blocks; a waiter wakes on a ring of the
 * current doorbell or a self-ring, and once emptied only on a new one.
 */
static void
test_bells(void)
{
	struct pollfd p = { .events = POLLIN };
	struct dpsr_waiter w;
	uint64_t rings = 0;
	int rd, wr, rd2, wr2;

	CHECK_EQ(dpsr_bell_create(&rd, &wr), 0);
	/* The sleeper makes its end blocking: the ringer's end is another file. */
	CHECK_EQ(fcntl(rd, F_SETFL, fcntl(rd, F_GETFL) & ~O_NONBLOCK), 0);
	CHECK(fcntl(wr, F_GETFL) & O_NONBLOCK);
	while (dpsr_bell_ring(wr) && rings < (1u << 20))
		rings++;
	CHECK(rings > 0 && rings < (1u << 20));		/* full, and the ring returned */
	/* Back to non-blocking: it is the sleeper's end in what follows. */
	CHECK_EQ(fcntl(rd, F_SETFL, fcntl(rd, F_GETFL) | O_NONBLOCK), 0);
	dpsr_bell_drain(rd);		/* 16 reads of 256 bytes at most: not all of it */
	CHECK(dpsr_bell_ring(wr));	/* room again */

	CHECK_EQ(dpsr_waiter_open(&w), 0);
	p.fd = w.ep;
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_EQ(dpsr_waiter_attach(&w, rd), 0);
	CHECK_EQ(poll(&p, 1, 0), 1);			/* rung before: seen */
	while (read(rd, &rings, sizeof(rings)) > 0)
		;
	CHECK_EQ(poll(&p, 1, 0), 0);
	dpsr_waiter_ring_self(&w);
	CHECK_EQ(poll(&p, 1, 0), 1);
	dpsr_waiter_drain(&w);
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK(dpsr_bell_ring(wr));
	CHECK_EQ(poll(&p, 1, 0), 1);
	dpsr_waiter_drain(&w);
	/* A new peer's doorbell: the old one reaches the waiter no more. */
	CHECK_EQ(dpsr_bell_create(&rd2, &wr2), 0);
	CHECK_EQ(dpsr_waiter_attach(&w, rd2), 0);
	CHECK(dpsr_bell_ring(wr));
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK(dpsr_bell_ring(wr2));
	CHECK_EQ(poll(&p, 1, 0), 1);
	/* Its ringer gone, a doorbell reads EOF for ever: detached, it is not seen. */
	dpsr_waiter_drain(&w);
	close(wr2);
	CHECK_EQ(poll(&p, 1, 0), 1);
	dpsr_waiter_detach(&w);
	CHECK_EQ(poll(&p, 1, 0), 0);
	dpsr_waiter_close(&w);
	close(rd);
	close(wr);
	close(rd2);
}

/*
 * The sleeper's process dies (its read end closes): a ring must not raise
 * SIGPIPE, whose default action would end this test, when the ringer holds
 * a reader of its own; without one it would (EPIPE, with SIGPIPE ignored).
 */
static void
test_bell_sleeper_gone(void)
{
	void (*old)(int) = signal(SIGPIPE, SIG_DFL);
	int rd, wr, held;
	uint8_t b;

	CHECK_EQ(dpsr_bell_create(&rd, &wr), 0);
	held = dpsr_bell_hold_reader(wr);
	CHECK(held >= 0);
	CHECK(fcntl(held, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(fcntl(held, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(rd);				/* the sleeper is gone */
	CHECK(dpsr_bell_ring(wr));		/* alive: the ring went into the pipe */
	CHECK_EQ(read(held, &b, 1), 1);		/* the same pipe */
	close(held);
	signal(SIGPIPE, SIG_IGN);
	CHECK(!dpsr_bell_ring(wr));
	CHECK_EQ(errno, EPIPE);
	close(wr);
	signal(SIGPIPE, old);
}

/*
 * A guest's control word (docs/shm-protocol.md, "The control word"): bit
 * 31 of a start asks for DPSR_F_PEER_BUFS, kept in the ack only if
 * granted; a nonce of 0 is a stop.
 */
static void
test_guest_ctl_word(void)
{
	struct dpsr_ring r = { 0 };
	uint32_t want;
	bool granted = true;

	want = dpsr_guest_ctl_request(&r, true, false);
	CHECK_EQ(want, 1);
	CHECK(!dpsr_guest_ctl_acked(&r, want, &granted));
	r.ctl_ack = dpsr_guest_ctl_ack(r.peer_ctl, true);	/* nothing asked: nothing kept */
	CHECK_EQ(r.ctl_ack, 1);
	CHECK(dpsr_guest_ctl_acked(&r, want, &granted) && !granted);

	/* Asked, granted: the ack is the request. */
	want = dpsr_guest_ctl_request(&r, true, true);
	CHECK_EQ(want, DPSR_GUEST_CTL_PEER_BUFS | 2);
	r.ctl_ack = dpsr_guest_ctl_ack(r.peer_ctl, true);
	CHECK(dpsr_guest_ctl_acked(&r, want, &granted) && granted);
	/* Asked, not granted (an isolated port): the nonce alone. */
	want = dpsr_guest_ctl_request(&r, true, true);
	CHECK_EQ(want, DPSR_GUEST_CTL_PEER_BUFS | 3);
	r.ctl_ack = dpsr_guest_ctl_ack(r.peer_ctl, false);
	CHECK_EQ(r.ctl_ack, 3);
	CHECK(dpsr_guest_ctl_acked(&r, want, &granted) && !granted);
	/* A stale ack is no ack, whatever its bit 31. */
	want = dpsr_guest_ctl_request(&r, true, true);
	CHECK_EQ(want & DPSR_GUEST_CTL_NONCE, 4);
	CHECK(!dpsr_guest_ctl_acked(&r, want, &granted));
	/* The nonce wraps past 0 to 1, never to a stop. */
	r.ctl_ack = DPSR_GUEST_CTL_PEER_BUFS | DPSR_GUEST_CTL_NONCE;
	CHECK_EQ(dpsr_guest_ctl_request(&r, true, false), 1);
	/* A stop, and bit 31 alone: both stops, acked with 0. */
	CHECK_EQ(dpsr_guest_ctl_request(&r, false, true), 0);
	CHECK_EQ(dpsr_guest_ctl_ack(0, true), 0);
	CHECK_EQ(dpsr_guest_ctl_ack(DPSR_GUEST_CTL_PEER_BUFS, true), 0);
	r.ctl_ack = 0;
	CHECK(dpsr_guest_ctl_acked(&r, 0, NULL));
}

int
main(void)
{
	test_indices();
	test_desc_check();
	test_region_check();
	test_copy_paths();
	test_region_create();
	test_attach_messages();
	test_guest_ctl_word();
	test_doorbell_race();
	test_bells();
	test_bell_sleeper_gone();
	return test_report();
}
