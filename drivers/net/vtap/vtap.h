/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vtap: a kernel tap interface with the virtio-net header
 * (IFF_VNET_HDR), so that TCP segments up to 64 KB and partial checksums
 * cross between the kernel and the switch as they are (DPDK's net_tap
 * carries no header: the kernel segments and checksums everything first).
 * Private to the driver; the switch knows it as the `vtap` port kind.
 */
#ifndef DPS_VTAP_H
#define DPS_VTAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#define VTAP_MAX_QUEUES 8
/* The longest frame the kernel hands a tap with TSO on: 64 KB of IP + L2. */
#define VTAP_FRAME_MAX (65535 + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN)
#define VTAP_MAX_SEGS 64

struct vtap_stats {
	uint64_t pkts, bytes, errors;
	uint64_t gso;			/* rx: large TCP frames in; tx: out */
	uint64_t csum;			/* partial checksums carried */
	uint64_t dropped;		/* tx: what the port could not send as asked */
};

struct vtap_rxq {
	int fd;
	uint16_t port_id, qid;
	bool offloads;
	struct rte_mempool *mp;
	uint16_t seg_room;		/* data room of one mbuf */
	uint16_t nb_spare;		/* segments ready for the next read */
	struct rte_mbuf *spare[VTAP_MAX_SEGS];
	struct vtap_stats st;
};

struct vtap_txq {
	int fd;
	bool offloads;
	struct vtap_stats st;
};

struct vtap_dev {
	char name[RTE_DEV_NAME_MAX_LEN];
	char ifname[IF_NAMESIZE];
	bool offloads;			/* virtio-net header offloads negotiated with the kernel */
	uint16_t nb_fds;
	int fds[VTAP_MAX_QUEUES];	/* queue pair q reads and writes fds[q] */
	struct rte_ether_addr mac;
	struct vtap_rxq rxq[VTAP_MAX_QUEUES];
	struct vtap_txq txq[VTAP_MAX_QUEUES];
};

uint16_t vtap_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t vtap_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n);
void vtap_rxq_release(struct vtap_rxq *rxq);

/* The virtio-net header of a frame the kernel gave us, as mbuf flags. */
int vtap_hdr_to_mbuf(const struct virtio_net_hdr *h, struct rte_mbuf *m);
/* ... and the header for a frame to give the kernel; 0, or -ENOTSUP. */
int vtap_mbuf_to_hdr(const struct rte_mbuf *m, struct virtio_net_hdr *h);

#endif /* DPS_VTAP_H */
