/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch stand-in for test_dpsw.c (see dpsw_standin.h), and
 * the captured log its checks read.
 */
#include "dpsw_standin.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

struct dpsr_server srv;
struct dpsr_view view;
struct dpsr_qring s_rx[QPAIRS];
struct dpsr_qring s_tx[QPAIRS];
struct dpsr_errors sw_err;
char path[64];
uint8_t sw_out[SW_OUT][DPSR_FRAME_MAX];
int req_detach, req_send = -1;
uint64_t sw_kicks;

static struct dpsr_mem mem;
static int stop;
static pthread_t thread;
static uint8_t sw_frame[DPSR_FRAME_MAX];

uint8_t
pat(uint8_t seed, uint32_t k)
{
	return (uint8_t)(seed + k * 31 + (k >> 8));
}

bool
frame_ok(const uint8_t *p, uint32_t len, uint8_t seed)
{
	for (uint32_t k = 0; k < len; k++)
		if (p[k] != pat(seed, k))
			return false;
	return true;
}

void
sw_rings_init(void)
{
	memset(&sw_err, 0, sizeof(sw_err));
	for (uint32_t q = 0; q < QPAIRS; q++) {
		dpsr_qring_init(&s_rx[q], &view, 2 * (BASE + q));
		dpsr_qring_init(&s_tx[q], &view, 2 * (BASE + q) + 1);
	}
}

int
sw_db(uint32_t q, int which)
{
	return srv.db[q * DPSR_DB_PER_QPAIR + which];
}

/* Send n frames of len bytes (seeds seed, seed+1, ...); ring if the peer sleeps. */
uint32_t
sw_send(uint32_t q, uint16_t len, uint32_t n, uint8_t seed)
{
	const uint8_t *src[1] = { sw_frame };
	uint32_t sent = 0;

	for (; sent < n; sent++) {
		for (uint32_t k = 0; k < len; k++)
			sw_frame[k] = pat((uint8_t)(seed + sent), k);
		if (dpsr_send_copy(&view, &s_tx[q], src, &len, 1, &sw_err) != 1)
			break;
	}
	if (dpsr_cons_kick_needed(&s_tx[q])) {
		uint64_t one = 1;

		if (write(sw_db(q, DPSR_DB_PEER_RX), &one, 8) == 8)
			__atomic_fetch_add(&sw_kicks, 1, __ATOMIC_RELAXED);
	}
	return sent;
}

uint32_t
sw_recv(uint32_t q, uint16_t *len)
{
	uint8_t *dst[SW_OUT];

	for (int i = 0; i < SW_OUT; i++)
		dst[i] = sw_out[i];
	return dpsr_recv_copy(&view, &s_rx[q], dst, len, SW_OUT, DPSR_FRAME_MAX, &sw_err);
}

/* The switch's control side: attach, detach on hang-up or on request. */
static void *
standin_loop(void *arg)
{
	struct dps_err err;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p[2] = { { .fd = srv.listen_fd, .events = POLLIN },
				       { .fd = srv.peer_fd, .events = POLLIN } };
		int q = __atomic_load_n(&req_send, __ATOMIC_ACQUIRE);

		if (q >= 0) {
			usleep(50 * 1000);	/* let the main thread fall asleep */
			sw_send((uint32_t)q, 60, 1, 0xa5);
			__atomic_store_n(&req_send, -1, __ATOMIC_RELEASE);
		}
		if (__atomic_exchange_n(&req_detach, 0, __ATOMIC_ACQ_REL) && srv.peer_fd >= 0) {
			dpsr_server_detach(&srv);
			dpsr_rings_reset(&view);
			continue;
		}
		if (poll(p, srv.peer_fd >= 0 ? 2 : 1, 10) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			dpsr_server_accept(&srv, &err);
		/* The peer says nothing after its hello: readable means gone. */
		if (p[1].fd >= 0 && p[1].fd == srv.peer_fd && (p[1].revents & (POLLIN | POLLHUP))) {
			dpsr_server_detach(&srv);
			dpsr_rings_reset(&view);
		}
	}
	return NULL;
}

bool
wait_peer(bool attached)
{
	for (int i = 0; i < 300; i++) {
		if ((__atomic_load_n(&srv.peer_fd, __ATOMIC_ACQUIRE) >= 0) == attached)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

bool
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

void
drain(int fd)
{
	uint64_t v;

	while (readable(fd, 0) && read(fd, &v, 8) == 8)
		;
}

/* ---- the log, captured to check the one-line messages ---- */

static FILE *log_stream;
static char *logbuf;
static size_t logsize;

int
log_capture_start(void)
{
	log_stream = open_memstream(&logbuf, &logsize);
	return log_stream != NULL && rte_openlog_stream(log_stream) == 0 ? 0 : -1;
}

void
log_capture_end(bool show)
{
	if (log_stream == NULL)
		return;
	if (show) {
		fflush(log_stream);
		fprintf(stderr, "---- captured log ----\n%s---- end ----\n", logbuf);
	}
	rte_openlog_stream(NULL);
	fclose(log_stream);
	free(logbuf);
	log_stream = NULL;
}

size_t
log_mark(void)
{
	size_t n;

	flockfile(log_stream);
	fflush(log_stream);
	n = logsize;
	funlockfile(log_stream);
	return n;
}

/* Lines since @p mark that contain @p needle. The lock keeps writers (other threads) out. */
int
log_count(size_t mark, const char *needle)
{
	int n = 0;

	flockfile(log_stream);
	fflush(log_stream);
	for (const char *s = logbuf + mark; (s = strstr(s, needle)) != NULL; s++)
		n++;
	funlockfile(log_stream);
	return n;
}


/* ---- start and stop ---- */

int
standin_start(void)
{
	struct dpsr_geometry g = { .nb_qpairs = BASE + QPAIRS, .ring_size = RING,
				   .buf_size = BUF_SIZE, .nb_spares = 16 };
	struct dps_err err = { "" };

	snprintf(path, sizeof(path), "/tmp/dpsr-pmd-test-%d.sock", (int)getpid());
	if (dpsr_region_create(&g, true, &mem, NULL) != 0 ||
	    dpsr_view_init(&view, mem.base, mem.size, NULL) != 0)
		return -1;
	if (dpsr_server_open(&srv, path, SECRET, mem.fd, mem.size, BASE, QPAIRS, &err) != 0) {
		fprintf(stderr, "stand-in: %s\n", err.msg);
		dpsr_region_destroy(&mem);
		return -1;
	}
	if (pthread_create(&thread, NULL, standin_loop, NULL) != 0) {
		dpsr_server_close(&srv);
		dpsr_region_destroy(&mem);
		return -1;
	}
	return 0;
}

void
standin_stop(void)
{
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	dpsr_server_close(&srv);
	dpsr_region_destroy(&mem);
}
