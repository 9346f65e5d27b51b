/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * dpsr doorbells (docs/shm-protocol.md, "Doorbells").
 *
 * A doorbell is a pipe: the side that rings holds its write end, the side
 * that sleeps its read end. The two ends are file descriptions of their
 * own, so neither side can change how the other's behaves: a peer that
 * clears O_NONBLOCK on its end (fcntl) or fills the pipe blocks only
 * itself; the switch's ends stay non-blocking and a ring that finds the
 * pipe full is simply one the sleeper will see anyway. Every attach makes
 * new doorbells, so a peer that has left (or a child it forked) keeps
 * nothing that reaches the next one.
 *
 * A sleeper that wants one fd for the life of a queue (what DPDK's rx
 * interrupt and a worker's epoll register) uses a waiter: a private epoll
 * set holding the current doorbell's read end and a private eventfd to
 * ring itself.
 */
#ifndef DPSR_BELL_H
#define DPSR_BELL_H

#include <stdbool.h>

/** A new doorbell: @p rd and @p wr, both non-blocking. 0 or -errno. */
int dpsr_bell_create(int *rd, int *wr);

/** Ring through write end @p wr: one byte; never blocks on a non-blocking end. */
bool dpsr_bell_ring(int wr);

/**
 * A read end of the doorbell whose write end is @p wr, for the ringer to
 * hold and never read: a pipe with no reader left (the sleeper's process
 * died) makes a ring raise SIGPIPE, which kills an application that has not
 * ignored it (a peer PMD cannot decide that for its application). With
 * this one held, such a ring fills a pipe nobody reads instead. It gives
 * the ringer nothing it could not take from /proc itself: draining its own
 * doorbell only delays the frames it rings for. fd, or -errno.
 */
int dpsr_bell_hold_reader(int wr);

/** Empty read end @p rd without blocking: what was rung is seen. */
void dpsr_bell_drain(int rd);

/** The stable fd a queue sleeps on. */
struct dpsr_waiter {
	int ep;			/**< epoll set: sleep on this (it is readable when rung) */
	int self;		/**< eventfd: rung by this side itself */
	int bell;		/**< the current doorbell's read end (not owned), or -1 */
};

/** Open a waiter with no doorbell yet. 0 or -errno; @p w is closed on failure. */
int dpsr_waiter_open(struct dpsr_waiter *w);

/**
 * Make @p rd (a doorbell's read end; its owner keeps it open meanwhile)
 * the one it waits on. 0 or -errno.
 */
int dpsr_waiter_attach(struct dpsr_waiter *w, int rd);

/** Stop waiting on the current doorbell (before its owner closes it). */
void dpsr_waiter_detach(struct dpsr_waiter *w);

void dpsr_waiter_close(struct dpsr_waiter *w);

/**
 * Empty the doorbell and the self-ring before arming: once empty, the set
 * turns readable again only on a new ring (edge-triggered waiters such as
 * DPDK's rx interrupts see every one).
 */
void dpsr_waiter_drain(struct dpsr_waiter *w);

/** Wake whoever sleeps on the waiter. */
void dpsr_waiter_ring_self(struct dpsr_waiter *w);

#endif /* DPSR_BELL_H */
