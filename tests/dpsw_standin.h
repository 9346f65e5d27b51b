/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A switch stand-in for the peer PMD's unit tests (test_dpsw.c). It
 * serves queue pairs BASE..BASE+QPAIRS-1 of a region on small pages at
 * `path`: a thread runs lib/dpsr's server end (accept, detach on hang-up or
 * on request, reset the rings), while the test plays the switch's datapath
 * on `view` with sw_send()/sw_recv(), or writes descriptors by hand. The
 * DPDK log is captured, so that the tests can check the driver's messages.
 */
#ifndef DPS_TEST_DPSW_STANDIN_H
#define DPS_TEST_DPSW_STANDIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dpsr/dpsr_attach.h"

#define RING 64
#define BUF_SIZE 16384
#define BASE 1			/* the port's first queue pair in the region */
#define QPAIRS 2
#define SECRET "k3y"
#define SW_OUT 16

extern struct dpsr_server srv;
extern struct dpsr_view view;		/* the switch's mapping */
extern struct dpsr_qring s_rx[QPAIRS];	/* ring 2(BASE+q): the switch consumes */
extern struct dpsr_qring s_tx[QPAIRS];	/* ring 2(BASE+q)+1: the switch produces */
extern struct dpsr_errors sw_err;
extern char path[64];			/* the port's socket */
extern uint8_t sw_out[SW_OUT][DPSR_FRAME_MAX];	/* what sw_recv() took */
/* Requests to the stand-in's thread: detach the peer; send one 60-byte
 * frame (seed 0xa5) on queue pair req_send after 50 ms, then set it to -1. */
extern int req_detach, req_send;
extern uint64_t sw_kicks;		/* doorbells the stand-in rang (cons_wait was up) */

/** Region, server and thread; 0, or -1 with a line on stderr. */
int standin_start(void);
void standin_stop(void);

/** Byte k of a test frame with seed @p seed, and a check of a whole frame. */
uint8_t pat(uint8_t seed, uint32_t k);
bool frame_ok(const uint8_t *p, uint32_t len, uint8_t seed);

/** The stand-in's rings afresh (after the peer attached), errors zeroed. */
void sw_rings_init(void);
/** The eventfd of doorbell @p which (DPSR_DB_*) of queue pair @p q. */
int sw_db(uint32_t q, int which);
/** Send n frames of len bytes (seeds seed, seed+1, ...); ring if the peer sleeps. */
uint32_t sw_send(uint32_t q, uint16_t len, uint32_t n, uint8_t seed);
/** Take up to SW_OUT frames into sw_out, their lengths into @p len. */
uint32_t sw_recv(uint32_t q, uint16_t *len);

bool wait_peer(bool attached);
bool readable(int fd, int ms);
void drain(int fd);

/** Capture the DPDK log in memory (0), or -1. */
int log_capture_start(void);
/** Stop capturing; print what was captured if @p show. */
void log_capture_end(bool show);
/** Where the log is now, and the lines since @p mark holding @p needle. */
size_t log_mark(void);
int log_count(size_t mark, const char *needle);

#define CHECK_LOG(mark, needle) \
	CHECK_MSG(log_count(mark, needle) >= 1, "no log line with \"%s\"", needle)

#endif /* DPS_TEST_DPSW_STANDIN_H */
