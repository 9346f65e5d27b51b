"""vhost-user ports with DPDK virtio-user peers: exact counters, learning,
flooding, MAC moves, multi-queue.

Test bed: dpswitch with
  v0, v1  vhost ports, each with a testpmd virtio-user peer (A on v0, B on v1)
          in rxonly mode; a peer sends exact frame counts with 'start tx_first'
  n0      a null port (no-rx=1): always up, counts what is forwarded to it
  t0      a tap port whose interface lives in a namespace with IPv6 off;
          scapy injects exact frames with any source MAC through it
Counters are zeroed ('port clear', 'mac flush') once the bed is quiet. Every
wait is for an exact count to be reached; the timeouts only catch a hang.
"""

import os

import pytest

import dpsw
from dpsw import ns_sendp, wait_until

MAC_A = "02:00:00:00:0a:0a"     # peer A, on v0
MAC_B = "02:00:00:00:0b:0b"     # peer B, on v1
MAC_T = "02:00:00:00:0c:01"     # a station behind the tap t0
MAC_UNK = "02:00:00:00:ee:ee"   # never a source: always unknown
BCAST = "ff:ff:ff:ff:ff:ff"
FRAME = 64                       # bytes, testpmd txonly and our scapy frames
DROPS = ("no_mbuf", "tx_full", "no_route", "filtered", "invalid", "vlan_hop", "mac_limit",
         "mac_move", "storm", "rx_missed", "offload")


class Bed:
    def __init__(self, d, a, b, ns, tapif):
        self.d, self.a, self.b, self.ns, self.tapif = d, a, b, ns, tapif
        self.peer_of = {"v0": a, "v1": b}

    def up_ports(self):
        return {n for n, p in self.d.ports().items() if p["link_up"]}

    def wait_peer_rx(self, peer, n, what):
        wait_until(lambda: peer.rx() == n, 20, "%s (peer rx %d)" % (what, n))

    def wait_stat(self, port, key, n):
        wait_until(lambda: self.d.stats()[port][key] == n, 20,
                   "%s %s == %d (now %s)" % (port, key, n, self.d.stats()[port]))

    def check(self, expected):
        """expected: {port: {key: value}}; keys rx/tx (packets, bytes derived
        for 64-byte frames) and drop names; unnamed drops must be 0."""
        st = self.d.stats()
        for port, exp in expected.items():
            s = st[port]
            got = {"rx": s["rx_packets"], "tx": s["tx_packets"],
                   "rx_bytes": s["rx_bytes"], "tx_bytes": s["tx_bytes"]}
            got.update(s["drops"])
            want = {"rx": exp.get("rx", 0), "tx": exp.get("tx", 0)}
            want["rx_bytes"] = want["rx"] * FRAME
            want["tx_bytes"] = want["tx"] * FRAME
            for k in DROPS:
                want[k] = exp.get(k, 0)
            assert got == want, "port %s counters: got %s, expected %s" % (port, got, want)


@pytest.fixture
def bed(dpswitch, testpmd, netns, workdir):
    tapif = dpsw.short_ifname("T")
    v0 = os.path.join(workdir, "v0.sock")
    v1 = os.path.join(workdir, "v1.sock")
    d = dpswitch(ports=["v0 vhost iface=%s" % v0, "v1 vhost iface=%s" % v1,
                        "n0 null no-rx=1", "t0 tap iface=%s" % tapif])
    ns = netns()
    ns.adopt(tapif)
    a = testpmd(v0, MAC_A)
    b = testpmd(v1, MAC_B)
    d.wait_link("v0")
    d.wait_link("v1")
    a.rx_start()
    b.rx_start()
    assert {"v0", "v1", "n0"} <= Bed(d, a, b, ns, tapif).up_ports()
    d.ok("port clear")
    d.ok("mac flush")
    bed = Bed(d, a, b, ns, tapif)
    bed.a0, bed.b0 = a.rx(), b.rx()
    assert (bed.a0, bed.b0) == (0, 0), "peers received frames before the test"
    return bed


def test_tap_frames_flooded_to_all_other_ports(bed):
    """Unknown unicast and broadcast from t0 reach every other up port exactly
    once, never t0 itself; the source MAC is learned on t0 only."""
    d = bed.d
    n_unk, n_bc = 32, 8
    ns_sendp(bed.ns, bed.tapif, MAC_T, MAC_UNK, n_unk)
    ns_sendp(bed.ns, bed.tapif, MAC_T, BCAST, n_bc)
    total = n_unk + n_bc
    bed.wait_stat("t0", "rx_packets", total)
    bed.wait_peer_rx(bed.a, total, "flood to v0")
    bed.wait_peer_rx(bed.b, total, "flood to v1")
    bed.wait_stat("n0", "tx_packets", total)
    bed.check({"t0": {"rx": total, "tx": 0},
               "v0": {"tx": total}, "v1": {"tx": total}, "n0": {"tx": total}})
    assert d.mac_ports() == {MAC_T: [("t0", 1)]}
    assert d.ok("mac show", json=True)["count"] == 1


def test_vhost_unknown_unicast_never_back_to_ingress(bed):
    """Frames from peer A with an unknown destination and broadcasts go to
    every other up port and never back out of v0."""
    d, a, b = bed.d, bed.a, bed.b
    up = bed.up_ports()
    a.send(16, MAC_UNK)
    a.send(8, BCAST)
    bed.wait_stat("v0", "rx_packets", 24)
    bed.wait_peer_rx(b, 24, "flood to v1")
    bed.wait_stat("n0", "tx_packets", 24)
    assert a.rx() == 0, "a frame came back out of its ingress port v0"
    bed.check({"v0": {"rx": 24, "tx": 0}, "v1": {"tx": 24}, "n0": {"tx": 24},
               "t0": {"tx": 24 if "t0" in up else 0}})
    assert d.mac_ports() == {MAC_A: [("v0", 1)]}


def test_learned_unicast_goes_to_one_port(bed):
    """Once both peers' MACs are learned, unicast goes only to the port the
    destination was learned on: exact counts on every port."""
    d, a, b = bed.d, bed.a, bed.b
    up = bed.up_ports()
    b.send(1, MAC_UNK)              # flood; learns MAC_B on v1
    bed.wait_peer_rx(a, 1, "B's flood at A")
    bed.wait_stat("n0", "tx_packets", 1)
    assert d.mac_ports() == {MAC_B: [("v1", 1)]}

    a.send(10, MAC_B)               # known: v1 only; learns MAC_A on v0
    bed.wait_peer_rx(b, 10, "A->B unicast")
    b.send(6, MAC_A)                # known: v0 only
    bed.wait_peer_rx(a, 7, "B->A unicast")
    bed.wait_stat("v1", "rx_packets", 7)
    bed.check({"v0": {"rx": 10, "tx": 7}, "v1": {"rx": 7, "tx": 10},
               "n0": {"tx": 1}, "t0": {"tx": 1 if "t0" in up else 0}})
    assert d.mac_ports() == {MAC_A: [("v0", 1)], MAC_B: [("v1", 1)]}
    assert d.ok("mac show v0", json=True)["count"] == 1
    assert d.ok("mac show v1", json=True)["count"] == 1


def test_mac_move_is_relearned(bed):
    """A MAC first seen on t0 and then on v1 moves to v1 (one entry), and
    unicast to it follows; moving back to t0 works too."""
    d, a, b = bed.d, bed.a, bed.b
    # Relearning, not the move hold (test_bridge_guard.py has that): moves at once.
    d.ok("set mac-move-hold 0")
    # MAC_B shows up behind the tap first.
    ns_sendp(bed.ns, bed.tapif, MAC_B, BCAST, 4)
    bed.wait_peer_rx(a, 4, "tap broadcast at A")
    bed.wait_peer_rx(b, 4, "tap broadcast at B")
    assert d.mac_ports() == {MAC_B: [("t0", 1)]}

    # Peer B (MAC_B) speaks on v1: the entry moves.
    b.send(2, MAC_UNK)
    bed.wait_stat("v1", "rx_packets", 2)
    bed.wait_peer_rx(a, 6, "B's unknown unicast at A")
    assert d.mac_ports() == {MAC_B: [("v1", 1)]}

    # Unicast to MAC_B now goes to v1 only.
    a.send(5, MAC_B)
    bed.wait_peer_rx(b, 9, "A->B after the move")
    st = d.stats()
    assert st["v1"]["tx_packets"] == 9
    assert st["n0"]["tx_packets"] == 4 + 2, "unicast to a learned MAC was flooded"
    assert st["v0"]["drops"]["no_route"] == 0

    # And back behind the tap.
    ns_sendp(bed.ns, bed.tapif, MAC_B, MAC_A, 3)   # MAC_A is known on v0
    bed.wait_peer_rx(a, 6 + 3, "tap->A unicast")
    assert d.mac_ports() == {MAC_A: [("v0", 1)], MAC_B: [("t0", 1)]}
    b_before = b.rx()
    t0_before = d.stats()["t0"]["tx_packets"]
    a.send(4, MAC_B)
    bed.wait_stat("v0", "rx_packets", 5 + 4)
    st = d.stats()
    # Delivered to t0 (a tap port is always up), never to v1.
    assert st["t0"]["tx_packets"] - t0_before == 4, st
    assert st["v0"]["drops"]["no_route"] == 0
    assert st["v1"]["tx_packets"] == 9
    assert b.rx() == b_before


def test_multiqueue_vhost_port(dpswitch, testpmd, workdir):
    """queues=2 gives a port with 2 rx queues, both polled: a 2-queue peer's
    frames on both queues all arrive."""
    sock = os.path.join(workdir, "vq.sock")
    d = dpswitch(ports=["n0 null no-rx=1"])
    d.ok("port add vq vhost iface=%s,queues=2" % sock)
    port = d.ok("port show vq", json=True)["ports"][0]
    assert port["rx_queues"] == 2
    queues = {(q["port"], q["queue"]) for w in d.ok("lcore show", json=True)["workers"]
              for q in w["rx_queues"]}
    assert {("vq", 0), ("vq", 1)} <= queues
    assert ("vq", 2) not in queues

    peer = testpmd(sock, MAC_A, queues=2)
    d.wait_link("vq")
    d.ok("port clear")
    # One tx_first round = one burst of 4 per queue: 8 frames over 2 queues.
    peer.send(8, MAC_UNK, per_burst=4)
    wait_until(lambda: d.stats()["vq"]["rx_packets"] == 8, 20, "8 frames on vq")
    assert peer.tx() == 8
    st = d.stats()
    assert st["n0"]["tx_packets"] == 8
    assert st["vq"]["rx_bytes"] == 8 * FRAME


def test_counters_of_a_port_without_peer(dpswitch, workdir):
    """`port xstats` and `port clear` on a vhost port nobody has attached to
    yet: no extended counters, no error (DPDK 22.11's net_vhost would ask the
    vhost library about device -1 and log an ERR, which the log watch fails
    on)."""
    sock = os.path.join(workdir, "p.sock")
    d = dpswitch(ports=["p vhost iface=%s" % sock])
    assert d.xstats("p") == {}
    d.ok("port clear")
    d.ok("port clear p")
    assert d.stats()["p"]["rx_packets"] == 0
