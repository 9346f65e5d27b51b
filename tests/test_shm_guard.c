/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fault guard of net_shm (drivers/net/shm/shm_guard.c), without
 * hugepages: a shared file mapping whose file is cut short faults
 * (SIGBUS) past the new end, just as a hugetlb mapping with a punched
 * hole does when no free hugepage is left. A guarded range survives with
 * zero pages, counted and signalled; a fault elsewhere still reaches the
 * handler that was there before.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm_guard.h"
#include "test_common.h"

static sigjmp_buf jump;
static volatile sig_atomic_t theirs;

/* The handler before ours: counts, and jumps over the faulting access. */
static void
their_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	theirs++;
	siglongjmp(jump, 1);
}

/* A shared mapping of @p pages pages, each filled with its number + 1. */
static uint8_t *
map_file(size_t page, unsigned int pages, int *fd)
{
	uint8_t *p;

	*fd = memfd_create("guard_ut", MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, (off_t)(page * pages)) != 0)
		return NULL;
	p = mmap(NULL, page * pages, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (unsigned int i = 0; i < pages; i++)
		memset(p + i * page, (int)i + 1, page);
	return p;
}

/* Read one byte; -1 if the read faulted into their handler. */
static int
peek(const volatile uint8_t *p)
{
	if (sigsetjmp(jump, 1) != 0)
		return -1;
	return *p;
}

int
main(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_sigaction = their_handler, .sa_flags = SA_SIGINFO };
	uint64_t ev = 0;
	uint8_t *g, *u;
	int gfd, ufd, efd;

	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGBUS, &sa, NULL), 0);
	g = map_file(page, 3, &gfd);
	u = map_file(page, 2, &ufd);
	CHECK(g != NULL && u != NULL);
	if (g == NULL || u == NULL)
		return test_report();
	CHECK_EQ(shm_guard_add(g, 3 * page, page), 0);
	efd = shm_guard_event_fd();
	CHECK(efd >= 0);

	/* The "peer" cuts the file to one page: pages 2 and 3 are gone. */
	CHECK_EQ(ftruncate(gfd, (off_t)page), 0);
	CHECK_EQ(peek(g), 1);				/* still there */
	CHECK_EQ(peek(g + page + 17), 0);		/* replaced, no SIGBUS */
	CHECK_EQ(theirs, 0);
	CHECK_EQ(shm_guard_faults(), 1);
	CHECK_EQ(read(efd, &ev, sizeof(ev)), (ssize_t)sizeof(ev));
	CHECK_EQ(ev, 1);
	CHECK_EQ(shm_guard_take_damage(g), 1);
	CHECK_EQ(shm_guard_take_damage(g), 0);		/* taken once */
	/* The replacement is writable and private now. */
	g[page + 1] = 0x5a;
	CHECK_EQ(peek(g + page + 1), 0x5a);
	CHECK_EQ(shm_guard_faults(), 1);
	CHECK_EQ(peek(g + 2 * page), 0);		/* the third page faults on its own */
	CHECK_EQ(shm_guard_faults(), 2);
	CHECK_EQ(shm_guard_take_damage(g), 1);

	/* Not guarded: the fault goes to the handler that was there first. */
	CHECK_EQ(ftruncate(ufd, 0), 0);
	CHECK_EQ(peek(u), -1);
	CHECK_EQ(theirs, 1);
	CHECK_EQ(shm_guard_faults(), 2);
	/* Nor once a range is let go. */
	shm_guard_del(g);
	CHECK_EQ(ftruncate(gfd, 0), 0);
	CHECK_EQ(peek(g), -1);
	CHECK_EQ(theirs, 2);
	CHECK_EQ(shm_guard_take_damage(g), 0);

	munmap(g, 3 * page);
	munmap(u, 2 * page);
	close(gfd);
	close(ufd);
	return test_report();
}
