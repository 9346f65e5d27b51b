/* SPDX-License-Identifier: BSD-3-Clause */
/* The fault guard (see shm_guard.h). */
#include "shm_guard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD_RANGES 256

/*
 * Read by the signal handler, on whichever thread faulted: plain words
 * published with release stores, a range's base last (0: free).
 */
struct guard_range {
	uintptr_t base;
	size_t size;
	size_t page;
	uint32_t damaged;		/* pages replaced since the last look */
};

static struct guard_range ranges[GUARD_RANGES];
static struct sigaction old_action;
static int event_fd = -1;
static uint64_t faults;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_rc;

/* Not ours: whatever handled SIGBUS before, or the default (the process dies). */
static void
guard_pass_on(int sig, siginfo_t *si, void *uc)
{
	if (old_action.sa_flags & SA_SIGINFO) {
		if (old_action.sa_sigaction != NULL) {
			old_action.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old_action.sa_handler != SIG_DFL && old_action.sa_handler != SIG_IGN) {
		old_action.sa_handler(sig);
		return;
	}
	/* Back to the default: returning re-runs the access, which faults again. */
	signal(SIGBUS, SIG_DFL);
}

/* Async-signal-safe: loads, mmap, an atomic add and write(). */
static void
guard_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	uint64_t one = 1;

	for (unsigned int i = 0; i < GUARD_RANGES; i++) {
		struct guard_range *r = &ranges[i];
		uintptr_t base = __atomic_load_n(&r->base, __ATOMIC_ACQUIRE), page;

		if (base == 0 || addr < base || addr - base >= r->size)
			continue;
		page = addr & ~(uintptr_t)(r->page - 1);
		if (mmap((void *)page, r->page, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			break;
		__atomic_fetch_add(&r->damaged, 1, __ATOMIC_RELEASE);
		__atomic_fetch_add(&faults, 1, __ATOMIC_RELAXED);
		if (write(event_fd, &one, sizeof(one)) != sizeof(one))
			return;		/* the counter is non-zero already */
		return;
	}
	guard_pass_on(sig, si, uc);
}

static void
guard_install(void)
{
	struct sigaction sa;

	event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (event_fd < 0) {
		install_rc = -errno;
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old_action) != 0)
		install_rc = -errno;
}

int
shm_guard_add(void *base, size_t size, size_t page)
{
	pthread_once(&once, guard_install);
	if (install_rc != 0)
		return install_rc;
	for (unsigned int i = 0; i < GUARD_RANGES; i++) {
		struct guard_range *r = &ranges[i];

		if (__atomic_load_n(&r->base, __ATOMIC_RELAXED) != 0)
			continue;
		r->size = size;
		r->page = page;
		r->damaged = 0;
		__atomic_store_n(&r->base, (uintptr_t)base, __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOSPC;
}

void
shm_guard_del(void *base)
{
	for (unsigned int i = 0; i < GUARD_RANGES; i++)
		if (__atomic_load_n(&ranges[i].base, __ATOMIC_RELAXED) == (uintptr_t)base)
			__atomic_store_n(&ranges[i].base, 0, __ATOMIC_RELEASE);
}

uint32_t
shm_guard_take_damage(void *base)
{
	for (unsigned int i = 0; i < GUARD_RANGES; i++)
		if (__atomic_load_n(&ranges[i].base, __ATOMIC_ACQUIRE) == (uintptr_t)base)
			return __atomic_exchange_n(&ranges[i].damaged, 0, __ATOMIC_ACQ_REL);
	return 0;
}

int
shm_guard_event_fd(void)
{
	pthread_once(&once, guard_install);
	return event_fd;
}

uint64_t
shm_guard_faults(void)
{
	return __atomic_load_n(&faults, __ATOMIC_RELAXED);
}
