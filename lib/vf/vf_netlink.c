/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFs of a PF the kernel drives: what `ip link set IF vf N ...` and
 * `ip link show IF` do, in rtnetlink (RTM_SETLINK / RTM_GETLINK with
 * IFLA_VFINFO_LIST). The kernel's own refusal (extended ack, or errno)
 * becomes the one line.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vf_priv.h"

#define NL_BUF 65536

struct nl_req {
	struct nlmsghdr h;
	struct ifinfomsg ifi;
	char attrs[1024];
};

/* Append attribute @p type (@p len bytes of @p data) to @p h; NULL if full. */
static struct rtattr *
nl_put(struct nlmsghdr *h, size_t cap, unsigned short type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(h->nlmsg_len);
	struct rtattr *a;

	if (off + RTA_SPACE(len) > cap)
		return NULL;
	a = (struct rtattr *)((char *)h + off);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len != 0)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return a;
}

static void
nl_nest_end(struct nlmsghdr *h, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)nest);
}

static int
nl_open(void)
{
	int one = 1, fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	/* The kernel's reason in words, where the driver gives one. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

/* The extended ack's message of error @p e (in a message of @p len bytes), or NULL. */
static const char *
nl_ack_msg(struct nlmsghdr *h, const struct nlmsgerr *e)
{
	size_t off = sizeof(*e);
	struct rtattr *a;
	int rem;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (NLMSG_LENGTH(off) > h->nlmsg_len)
		return NULL;
	a = (struct rtattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(off));
	rem = (int)(h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(off)));
	for (; RTA_OK(a, rem); a = RTA_NEXT(a, rem))
		if (a->rta_type == NLMSGERR_ATTR_MSG && RTA_PAYLOAD(a) > 1)
			return RTA_DATA(a);
	return NULL;
}

/*
 * Send @p req on a fresh socket; the answer (RTM_NEWLINK for a GET) into
 * @p reply if non-NULL. 0 or -errno, with the kernel's reason in @p why.
 */
static int
nl_talk(struct nl_req *req, char *reply, size_t cap, char *why, size_t whylen)
{
	static char buf[NL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = nl_open(), rc = -EPROTO;
	ssize_t n;

	why[0] = '\0';
	if (fd < 0)
		return fd;
	req->h.nlmsg_seq = 1;
	if (sendto(fd, req, req->h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	if ((size_t)n > sizeof(buf)) {
		rc = -EMSGSIZE;
		goto out;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			const char *msg = nl_ack_msg(h, e);

			rc = e->error;
			if (msg != NULL)
				snprintf(why, whylen, "%s", msg);
			break;
		}
		if (h->nlmsg_type == RTM_NEWLINK && reply != NULL) {
			if (h->nlmsg_len > cap) {
				rc = -EMSGSIZE;
				break;
			}
			memcpy(reply, h, h->nlmsg_len);
			rc = 0;
			break;
		}
	}
out:
	close(fd);
	return rc;
}

static void
nl_req_init(struct nl_req *req, uint16_t type, uint16_t flags, int ifindex)
{
	memset(req, 0, sizeof(*req));
	req->h.nlmsg_len = NLMSG_LENGTH(sizeof(req->ifi));
	req->h.nlmsg_type = type;
	req->h.nlmsg_flags = NLM_F_REQUEST | flags;
	req->ifi.ifi_family = AF_UNSPEC;
	req->ifi.ifi_index = ifindex;
}

/* IFLA_VF_* attribute of @p s for VF @p vf into @p h. */
static int
nl_put_setting(struct nlmsghdr *h, size_t cap, unsigned int vf, const struct vf_setting *s)
{
	const void *data;
	size_t len;
	unsigned short type;
	struct ifla_vf_mac mac = { .vf = vf };
	struct ifla_vf_vlan vlan = { .vf = vf, .vlan = s->num };
	struct ifla_vf_spoofchk spoof = { .vf = vf, .setting = s->num };
	struct ifla_vf_trust trust = { .vf = vf, .setting = s->num };
	struct ifla_vf_link_state link = { .vf = vf, .link_state = s->num };
	struct ifla_vf_rate rate = { .vf = vf, .min_tx_rate = 0, .max_tx_rate = s->num };

	switch (s->attr) {
	case VF_ATTR_MAC:
		memcpy(mac.mac, s->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
		type = IFLA_VF_MAC, data = &mac, len = sizeof(mac);
		break;
	case VF_ATTR_VLAN:
		type = IFLA_VF_VLAN, data = &vlan, len = sizeof(vlan);
		break;
	case VF_ATTR_SPOOFCHK:
		type = IFLA_VF_SPOOFCHK, data = &spoof, len = sizeof(spoof);
		break;
	case VF_ATTR_TRUST:
		type = IFLA_VF_TRUST, data = &trust, len = sizeof(trust);
		break;
	case VF_ATTR_LINK:
		type = IFLA_VF_LINK_STATE, data = &link, len = sizeof(link);
		break;
	default:
		type = IFLA_VF_RATE, data = &rate, len = sizeof(rate);
		break;
	}
	return nl_put(h, cap, type, data, len) != NULL ? 0 : -ENOSPC;
}

int
vf_nl_set(const char *ifname, const char *dev, unsigned int vf, const struct vf_setting *s,
	  struct dps_err *err)
{
	struct nl_req req;
	struct rtattr *list, *info;
	char why[256];
	int rc, ifindex = (int)if_nametoindex(ifname);

	if (ifindex == 0)
		return dps_err_set(err, -ENODEV, "no network interface '%s'", ifname);
	nl_req_init(&req, RTM_SETLINK, NLM_F_ACK, ifindex);
	list = nl_put(&req.h, sizeof(req), IFLA_VFINFO_LIST, NULL, 0);
	info = nl_put(&req.h, sizeof(req), IFLA_VF_INFO, NULL, 0);
	rc = nl_put_setting(&req.h, sizeof(req), vf, s);
	nl_nest_end(&req.h, info);
	nl_nest_end(&req.h, list);
	if (rc == 0)
		rc = nl_talk(&req, NULL, 0, why, sizeof(why));
	if (rc == -EOPNOTSUPP)
		return dps_err_set(err, rc, "%s cannot set a VF's %s (the kernel driver does not "
				   "offer it)", dev, vf_attr_name(s->attr));
	if (rc != 0)
		return dps_err_set(err, rc, "%s: VF %u %s: %s%s%s", dev, vf, vf_attr_name(s->attr),
				   strerror(-rc), why[0] ? ": " : "", why);
	return 0;
}

/* The u64 counters of IFLA_VF_STATS @p nest into @p st. */
static void
nl_vf_stats(struct rtattr *nest, struct dps_vf_state *st)
{
	int rem = (int)RTA_PAYLOAD(nest);

	st->has_stats = true;
	st->stats_from = "pf";
	for (struct rtattr *a = RTA_DATA(nest); RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
		uint64_t v;

		if (RTA_PAYLOAD(a) < sizeof(v))
			continue;
		memcpy(&v, RTA_DATA(a), sizeof(v));
		switch (a->rta_type) {
		case IFLA_VF_STATS_RX_PACKETS: st->rx_packets = v; break;
		case IFLA_VF_STATS_TX_PACKETS: st->tx_packets = v; break;
		case IFLA_VF_STATS_RX_BYTES: st->rx_bytes = v; break;
		case IFLA_VF_STATS_TX_BYTES: st->tx_bytes = v; break;
		case IFLA_VF_STATS_RX_DROPPED: st->rx_dropped = v; break;
		case IFLA_VF_STATS_TX_DROPPED: st->tx_dropped = v; break;
		default: break;
		}
	}
}

/* Every IFLA_VF_* struct starts with the VF's index. */
static int
nl_vf_index(struct rtattr *a)
{
	uint32_t vf;

	if (RTA_PAYLOAD(a) < sizeof(vf))
		return -1;
	memcpy(&vf, RTA_DATA(a), sizeof(vf));
	return (int)vf;
}

/* One IFLA_VF_INFO into out->vf[]. */
static void
nl_vf_info(struct rtattr *info, struct dps_vf_list *out)
{
	int rem = (int)RTA_PAYLOAD(info);
	struct dps_vf_state tmp, *st = &tmp;
	struct rtattr *stats = NULL;

	for (struct rtattr *a = RTA_DATA(info); RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
		int vf = nl_vf_index(a);

		if (a->rta_type == IFLA_VF_STATS) {
			stats = a;
			continue;
		}
		if (vf < 0 || (unsigned int)vf >= out->nb || vf >= DPS_VF_MAX)
			continue;
		st = &out->vf[vf];
		if (a->rta_type == IFLA_VF_MAC && RTA_PAYLOAD(a) >= sizeof(struct ifla_vf_mac)) {
			const struct ifla_vf_mac *m = RTA_DATA(a);

			memcpy(st->mac.addr_bytes, m->mac, RTE_ETHER_ADDR_LEN);
			st->has_mac = true;
		} else if (a->rta_type == IFLA_VF_VLAN &&
			   RTA_PAYLOAD(a) >= sizeof(struct ifla_vf_vlan)) {
			const struct ifla_vf_vlan *v = RTA_DATA(a);

			st->vlan = (int)v->vlan;
			st->qos = (int)v->qos;
		} else if (a->rta_type == IFLA_VF_SPOOFCHK &&
			   RTA_PAYLOAD(a) >= sizeof(struct ifla_vf_spoofchk)) {
			st->spoofchk = (int)((const struct ifla_vf_spoofchk *)RTA_DATA(a))->setting;
		} else if (a->rta_type == IFLA_VF_TRUST &&
			   RTA_PAYLOAD(a) >= sizeof(struct ifla_vf_trust)) {
			st->trust = (int)((const struct ifla_vf_trust *)RTA_DATA(a))->setting;
		} else if (a->rta_type == IFLA_VF_LINK_STATE &&
			   RTA_PAYLOAD(a) >= sizeof(struct ifla_vf_link_state)) {
			st->link = (int)((const struct ifla_vf_link_state *)RTA_DATA(a))->link_state;
		} else if (a->rta_type == IFLA_VF_RATE &&
			   RTA_PAYLOAD(a) >= sizeof(struct ifla_vf_rate)) {
			st->max_rate = ((const struct ifla_vf_rate *)RTA_DATA(a))->max_tx_rate;
		}
	}
	if (stats != NULL && st != &tmp)
		nl_vf_stats(stats, st);
}

int
vf_nl_get(const char *ifname, struct dps_vf_list *out, struct dps_err *err)
{
	static char reply[NL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint32_t mask = RTEXT_FILTER_VF;
	struct nlmsghdr *h = (struct nlmsghdr *)reply;
	struct nl_req req;
	char why[256];
	int rc, rem, ifindex = (int)if_nametoindex(ifname);

	if (ifindex == 0)
		return dps_err_set(err, -ENODEV, "no network interface '%s'", ifname);
	nl_req_init(&req, RTM_GETLINK, 0, ifindex);
	nl_put(&req.h, sizeof(req), IFLA_EXT_MASK, &mask, sizeof(mask));
	rc = nl_talk(&req, reply, sizeof(reply), why, sizeof(why));
	if (rc != 0)
		return dps_err_set(err, rc, "%s: reading its VFs: %s", ifname, strerror(-rc));
	rem = (int)IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
		int lrem = (int)RTA_PAYLOAD(a);

		if (a->rta_type != IFLA_VFINFO_LIST)
			continue;
		for (struct rtattr *i = RTA_DATA(a); RTA_OK(i, lrem); i = RTA_NEXT(i, lrem))
			if (i->rta_type == IFLA_VF_INFO)
				nl_vf_info(i, out);
	}
	return 0;
}
