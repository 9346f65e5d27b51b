/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * An event source of the control thread's epoll loop: epoll_event.data.ptr
 * points at one of these, and the loop calls its handler.
 */
#ifndef DPS_EVENT_H
#define DPS_EVENT_H

#include <stdint.h>

struct dps_event_source {
	int fd;
	void (*handler)(struct dps_event_source *src, uint32_t events);
};

#endif /* DPS_EVENT_H */
