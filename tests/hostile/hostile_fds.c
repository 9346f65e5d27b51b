/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpsr-hostile: attacks on what the switch handed over besides the rings:
 * the region's memfd and the doorbells (docs/shm-protocol.md, "Threat
 * model"). Each does to its descriptors whatever the kernel allows a
 * holder of them, and reports what took effect, so a test can check
 * exactly that nothing did.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "hostile.h"

#define HUGEPAGE (2u << 20)

/* ---- resize: change the region's size, add seals ---- */

/*
 * Everything that would change the region under the switch: grow it (take
 * memory), shrink it (SIGBUS on the switch's side), allocate past its end,
 * seal it against writes (the switch's next mapping of it would fail).
 */
int
hostile_attack_resize(struct hostile *h)
{
	int fd = h->c.region_fd;
	off_t size = (off_t)h->c.size;
	int seals;

	hostile_report_bool(h, "grew", ftruncate(fd, size + HUGEPAGE) == 0);
	hostile_report_bool(h, "shrank", ftruncate(fd, size - HUGEPAGE) == 0);
	hostile_report_bool(h, "allocated_past_end", fallocate(fd, 0, size, HUGEPAGE) == 0);
	hostile_report_bool(h, "sealed_future_write",
			    fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0);
	hostile_report_bool(h, "sealed_write", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0);
	seals = fcntl(fd, F_GET_SEALS);
	hostile_report_u64(h, "seals", seals < 0 ? 0 : (uint64_t)seals);
	/* Still a peer the switch serves: what it sends arrives. */
	while (!hostile_over(h))
		if (hostile_rx_consume(h, UINT32_MAX) == 0)
			hostile_rx_sleep(h);
	hostile_report_u64(h, "received", h->received);
	return 0;
}

/* ---- punch: take the region's pages away ---- */

static uint64_t
free_hugepages(void)
{
	char line[128];
	uint64_t n = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %" SCNu64, &n) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return n;
}

/* Hold every free hugepage in a memfd of our own; its fd, or -1. */
static int
hog_hugepages(uint64_t *bytes)
{
	int fd = memfd_create("hostile-hog", MFD_CLOEXEC | MFD_HUGETLB);
	uint64_t n = free_hugepages();

	*bytes = 0;
	if (fd < 0)
		return -1;
	/* Page by page from the top: the pool may shrink while we ask. */
	for (; n > 0; n--) {
		off_t len = (off_t)(n * HUGEPAGE);

		if (ftruncate(fd, len) == 0 && fallocate(fd, 0, 0, len) == 0) {
			*bytes = (uint64_t)len;
			break;
		}
	}
	return fd;
}

/* Has the switch hung up on us? */
static bool
switch_gone(const struct hostile *h)
{
	char c;

	return recv(h->c.sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/*
 * Publish a ring's worth of good descriptors whose buffers we never touch
 * (they are holes: touching one ourselves would fault here).
 */
static uint32_t
publish_into_holes(struct hostile *h)
{
	uint32_t cons = __atomic_load_n(&h->tx.shared->cons, __ATOMIC_ACQUIRE);
	uint32_t room = dpsr_room(h->tx.size, h->tx.idx, cons);

	for (uint32_t j = 0; j < room; j++) {
		uint32_t slot = dpsr_slot(h->tx.size, h->tx.idx + j);
		const struct dpsr_desc d = { .buf = hostile_tx_slot_buf(h, slot),
					     .off = DPSR_HEADROOM, .len = HOSTILE_SIZE_MIN };

		dpsr_desc_store(&h->tx.shared->desc[slot], &d);
	}
	h->tx.idx += room;
	__atomic_store_n(&h->tx.shared->prod, h->tx.idx, __ATOMIC_RELEASE);
	hostile_db_ring(h, DPSR_DB_SWITCH_RX);
	return room;
}

/* Punch the buffer pool [from, size) out of the region's memfd. */
static bool
punch_pool(struct hostile *h, uint64_t from)
{
	return from < h->c.size &&
	       fallocate(h->c.region_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)from, (off_t)(h->c.size - from)) == 0;
}

#define HOG_MAX 64

/* Take whatever hugepages came free since the last call, into one more memfd. */
static void
hog_more(int hogs[HOG_MAX], unsigned int *nb_hogs, uint64_t *hog_bytes)
{
	uint64_t bytes;
	int fd;

	if (*nb_hogs >= HOG_MAX || free_hugepages() == 0)
		return;
	fd = hog_hugepages(&bytes);
	if (fd >= 0 && bytes == 0)
		close(fd);
	else if (fd >= 0) {
		hogs[(*nb_hogs)++] = fd;
		*hog_bytes += bytes;
	}
}

/*
 * Punch the buffer pool out of the region's memfd, take every free
 * hugepage (those the punch freed too), then publish descriptors that
 * name the punched buffers: the switch's copy of them faults with no page
 * to fault in (SIGBUS, unless it guards its regions). Pages others free
 * later (a process that exits) would let a touch succeed, so the attack
 * keeps at it: punch again what the switch faulted in, take what came
 * free, publish again, until the switch hangs up. Hold the pages for the
 * duration, then give them back.
 */
int
hostile_attack_punch(struct hostile *h)
{
	uint64_t from = (h->v->bufs_off + HUGEPAGE - 1) & ~(uint64_t)(HUGEPAGE - 1);
	uint64_t hog_bytes = 0;
	bool punched = false;
	uint32_t published = 0;
	unsigned int nb_hogs = 0;
	int hogs[HOG_MAX];

	/*
	 * Pages in use, as under traffic: the kernel keeps a mapping's
	 * reservation for a page nobody ever touched, so only a punched page
	 * that was in use leaves the switch without one. Touched once only:
	 * afterwards a touch of our own could fault here.
	 */
	for (uint64_t off = from; off < h->c.size; off += HUGEPAGE)
		((volatile uint8_t *)h->c.base)[off] = 0;
	while (!hostile_over(h) && !switch_gone(h)) {
		bool now = punch_pool(h, from);

		punched |= now;
		hog_more(hogs, &nb_hogs, &hog_bytes);
		if (now)
			published += publish_into_holes(h);
		usleep(HOSTILE_POLL_MS * 1000);
	}
	hostile_report_bool(h, "punched", punched);
	hostile_report_u64(h, "published", published);
	hostile_report_u64(h, "hogged_mb", hog_bytes >> 20);
	hostile_report_bool(h, "detached", switch_gone(h));
	/* Keep the pool empty for the rest of the duration: no fresh region for anyone. */
	while (!hostile_over(h)) {
		hog_more(hogs, &nb_hogs, &hog_bytes);
		usleep(HOSTILE_POLL_MS * 1000);
	}
	while (nb_hogs > 0)
		close(hogs[--nb_hogs]);
	return 0;
}

/* ---- bells-block: make the switch's doorbells block ---- */

/*
 * With doorbells that both sides share (one file), a peer could make the
 * switch's side blocking and its counter full, so that the switch's next
 * ring blocks its worker for good. Try it all: write the largest eventfd
 * value into every doorbell we hold, clear O_NONBLOCK on each, then ask the
 * switch to ring us (wait flags up) and take its frames but never read a
 * doorbell, for the duration.
 */
int
hostile_attack_bells_block(struct hostile *h)
{
	const uint64_t full = UINT64_MAX - 1;
	uint64_t wrote = 0, blocked = 0;
	int pending = 0;

	for (unsigned int i = 0; i < h->c.nb_db; i++) {
		int fd = h->c.db[i], fl = fcntl(fd, F_GETFL);

		wrote += write(fd, &full, sizeof(full)) == sizeof(full);
		if (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0)
			blocked++;
	}
	h->keep_wait = true;
	__atomic_store_n(&h->rx.shared->cons_wait, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&h->tx.shared->prod_wait, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (!hostile_over(h))
		if (hostile_rx_consume(h, UINT32_MAX) == 0)
			usleep(100);
	ioctl(h->c.db[DPSR_DB_PEER_RX], FIONREAD, &pending);
	hostile_report_u64(h, "wrote", wrote);
	hostile_report_u64(h, "made_blocking", blocked);
	hostile_report_u64(h, "received", h->received);
	hostile_report_u64(h, "rings_unread", (uint64_t)pending);
	return 0;
}

/* ---- keep-bells: a departed peer's doorbells ---- */

/* Ring every doorbell we can write, read every one we can: what got through. */
static void
use_old_bells(const struct hostile *h, uint64_t *rang, uint64_t *stole)
{
	uint8_t buf[64];

	for (unsigned int i = 0; i < h->c.nb_db; i++) {
		const uint64_t one = 1;	/* a ring on a pipe or an eventfd alike */

		if (write(h->c.db[i], &one, sizeof(one)) == sizeof(one))
			(*rang)++;
		if (read(h->c.db[i], buf, sizeof(buf)) > 0)
			(*stole)++;
	}
}

/*
 * Attach, fork a child that keeps the doorbells (and the mapping), and
 * leave: the switch sees the peer go. For the second half of the duration
 * (a new peer has attached meanwhile) the child rings every old doorbell
 * it can and reads every one it can, as fast as it can: with doorbells
 * shared across attaches that would wake or rob the new peer. Reports
 * how many rings got through and how many reads found something.
 */
int
hostile_attack_keep_bells(struct hostile *h)
{
	double half = (h->t_end - hostile_now()) / 2;
	uint64_t got[2] = { 0, 0 };
	int p[2], status;
	pid_t child;

	if (pipe(p) != 0)
		return -errno;
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		uint64_t rang = 0, stole = 0;
		double start;

		signal(SIGPIPE, SIG_IGN);
		close(p[0]);
		close(h->c.sock);		/* the switch must see the peer go */
		usleep((useconds_t)(half * 1e6));
		for (start = hostile_now(); hostile_now() - start < half && !hostile_stop;)
			use_old_bells(h, &rang, &stole);
		got[0] = rang;
		got[1] = stole;
		_exit(write(p[1], got, sizeof(got)) == sizeof(got) ? 0 : 1);
	}
	close(p[1]);
	/* Leave: close the connection; the child holds the doorbells. */
	close(h->c.sock);
	h->c.sock = -1;
	if (read(p[0], got, sizeof(got)) != sizeof(got))
		got[0] = got[1] = UINT64_MAX;
	close(p[0]);
	waitpid(child, &status, 0);
	hostile_report_u64(h, "old_rings_delivered", got[0]);
	hostile_report_u64(h, "old_reads_with_data", got[1]);
	return 0;
}
