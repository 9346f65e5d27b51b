"""Kernel tap ports in network namespaces: ping through the switch, MAC
learning, VLAN isolation, cross-connect, and deleting a port mid-ping.

Test bed: dpswitch with tap ports t0, t1; each tap interface moved into its own
namespace (IPv6 off) as 10.0.0.1/24 (ns1, behind t0) and 10.0.0.2/24 (ns2,
behind t1). Only those addresses are ever pinged.
"""

import signal
import subprocess

import pytest

import dpsw
from dpsw import wait_until

IP1, IP2 = "10.0.0.1", "10.0.0.2"


class TapNet:
    def __init__(self, d, ns1, ns2, if1, if2):
        self.d, self.ns1, self.ns2, self.if1, self.if2 = d, ns1, ns2, if1, if2
        self.mac1, self.mac2 = ns1.mac(if1), ns2.mac(if2)

    def diag(self):
        """Port state for failure messages."""
        ports, st = self.d.ports(), self.d.stats()
        return "; ".join("%s link_up=%s rx=%d tx=%d drops=%s" % (
            n, ports[n]["link_up"], st[n]["rx_packets"], st[n]["tx_packets"],
            {k: v for k, v in st[n]["drops"].items() if v}) for n in sorted(ports))


@pytest.fixture
def tapnet(dpswitch, netns):
    if1, if2 = dpsw.short_ifname("A"), dpsw.short_ifname("B")
    d = dpswitch(ports=["t0 tap iface=%s" % if1, "t1 tap iface=%s" % if2])
    ns1, ns2 = netns(), netns()
    ns1.adopt(if1, IP1 + "/24")
    ns2.adopt(if2, IP2 + "/24")
    d.ok("mac flush")
    return TapNet(d, ns1, ns2, if1, if2)


def test_tap_link_up_in_namespace(tapnet):
    """A tap whose interface was moved into a namespace and set up there is
    a working port: the switch must report its link up (down ports get no
    traffic)."""
    d = tapnet.d
    d.wait_link("t0", up=True, timeout=10)
    d.wait_link("t1", up=True, timeout=10)


def test_ping_between_namespaces_and_learning(tapnet):
    d = tapnet.d
    assert tapnet.ns1.ping(IP2, count=5) == (5, 5), tapnet.diag()
    assert tapnet.ns2.ping(IP1, count=5) == (5, 5), tapnet.diag()
    macs = d.mac_ports()
    assert macs.get(tapnet.mac1) == [("t0", 1)], macs
    assert macs.get(tapnet.mac2) == [("t1", 1)], macs
    st = d.stats()
    # 2 x 5 requests and 5 replies each way, plus ARP.
    for p in ("t0", "t1"):
        assert st[p]["rx_packets"] >= 10 and st[p]["tx_packets"] >= 10, st[p]


def test_vlan_isolation(tapnet):
    d, ns1 = tapnet.d, tapnet.ns1
    d.ok("vlan access t0 10")
    d.ok("vlan access t1 10")
    assert d.ports()["t0"]["vlan"] == "access 10"
    assert ns1.ping(IP2, count=3) == (3, 3), "same VLAN 10: ping must pass; " + tapnet.diag()
    assert d.mac_ports().get(tapnet.mac1) == [("t0", 10)]

    d.ok("vlan access t1 20")
    assert d.ports()["t1"]["vlan"] == "access 20"
    before = d.stats()
    sent, received = ns1.ping(IP2, count=3, wait=1)
    assert received == 0, "ping crossed from VLAN 10 to VLAN 20"
    after = d.stats()

    def delta(port, key, drop=False):
        a, b = (after[port]["drops"], before[port]["drops"]) if drop else (after[port], before[port])
        return a[key] - b[key]

    rx0 = delta("t0", "rx_packets")
    dropped0 = delta("t0", "no_route", True) + delta("t0", "filtered", True)
    assert rx0 > 0, "ns1's frames did not reach the switch"
    assert dropped0 == rx0, "every frame from VLAN 10 must be dropped (rx %d, dropped %d)" % (rx0, dropped0)
    assert delta("t1", "tx_packets") == 0, "a frame left t1 (VLAN 20)"

    d.ok("vlan access t1 10")
    assert ns1.ping(IP2, count=3) == (3, 3), "back in the same VLAN: " + tapnet.diag()


def test_xconnect(tapnet):
    d, ns1 = tapnet.d, tapnet.ns1
    d.ok("xconnect add t0 t1")
    ports = d.ports()
    assert ports["t0"]["role"] == "xconnect:t1"
    assert ports["t1"]["role"] == "xconnect:t0"
    d.ok("mac flush")
    d.ok("port clear")
    assert ns1.ping(IP2, count=5) == (5, 5), tapnet.diag()
    st = d.stats()
    assert st["t0"]["rx_packets"] == st["t1"]["tx_packets"] > 0
    assert st["t1"]["rx_packets"] == st["t0"]["tx_packets"] > 0
    assert d.ok("mac show", json=True)["count"] == 0, "a cross-connect does not learn"

    d.ok("xconnect del t0")
    ports = d.ports()
    assert ports["t0"]["role"] == "bridge" and ports["t1"]["role"] == "bridge"
    assert ns1.ping(IP2, count=3) == (3, 3), tapnet.diag()
    assert d.mac_ports().get(tapnet.mac1) == [("t0", 1)]


def test_port_del_mid_ping(tapnet):
    """Delete t1 while ns1 pings through it: the daemon survives, keeps
    switching, and a new t1 brings the path back."""
    d, ns1, ns2 = tapnet.d, tapnet.ns1, tapnet.ns2
    ping = ns1.popen(["ping", "-n", "-i", "0.05", "-c", "400", "-W", "1", IP2],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # Traffic really flows both ways before the delete.
        try:
            wait_until(lambda: d.stats()["t1"]["rx_packets"] >= 10, 20,
                       "ping replies through t1")
        except AssertionError as e:
            raise AssertionError("%s; %s" % (e, tapnet.diag()))
        d.ok("port del t1")
        assert d.alive()
        assert set(d.ports()) == {"t0"}
        # The worker still switches: ns1's frames keep arriving on t0.
        rx = d.stats()["t0"]["rx_packets"]
        wait_until(lambda: d.stats()["t0"]["rx_packets"] > rx + 5, 20,
                   "frames on t0 after the delete")
    finally:
        if ping.poll() is None:
            ping.send_signal(signal.SIGINT)
        ping.communicate(timeout=20)
    assert d.alive()

    # The deleted port's interface is gone from ns2.
    assert ns2.exec(["ip", "link", "show", tapnet.if2], check=False).returncode != 0
    # A new t1 on a new tap in ns2 restores the path (new MAC: forget the old).
    if3 = dpsw.short_ifname("C")
    d.ok("port add t1 tap iface=%s" % if3)
    ns2.adopt(if3, IP2 + "/24")
    ns1.exec(["ip", "neigh", "flush", "all"])
    assert ns1.ping(IP2, count=5) == (5, 5), tapnet.diag()
    assert d.mac_ports().get(ns2.mac(if3)) == [("t1", 1)]
