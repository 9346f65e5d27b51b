"""The bridge's own holes, tried as an attacker would with scapy on tap
ports whose interfaces live in network namespaces of their own.

* VLAN hopping: a frame sent into an access port (VLAN 1) with a priority
  tag and, behind it, a VLAN 20 tag must not leave a trunk
  (`vlan trunk t1 20 native 1`) as a VLAN 20 frame; nor may a frame tagged
  with a trunk's native VID carry another tag through.
"""

import json
import sys
import time

import pytest

import dpsw
from dpsw import wait_until

# Send frames given as hex strings, exactly as they are.
SEND_CODE = r"""
import sys
from scapy.all import Ether, sendp, conf
conf.verb = 0
iface = sys.argv[1]
frames = [Ether(bytes.fromhex(h)) for h in sys.argv[2:]]
sendp(frames, iface=iface, verbose=False)
print("sent", len(frames))
"""

# Capture for a while; one JSON line: every frame's source and its VLAN
# tags (the kernel hands tags as metadata; scapy puts them back in front).
SNIFF_CODE = r"""
import json, sys
from scapy.all import sniff, Dot1Q, Ether, conf
conf.verb = 0
iface, seconds = sys.argv[1], float(sys.argv[2])
got = []
def note(p):
    tags, layer = [], p.getlayer(Dot1Q)
    while layer is not None:
        tags.append(layer.vlan)
        layer = layer.payload.getlayer(Dot1Q) if layer.payload else None
    got.append({"src": p[Ether].src, "tags": tags})
print("ready", flush=True)
sniff(iface=iface, timeout=seconds, prn=note, store=False)
print(json.dumps(got), flush=True)
"""

ATTACKER = "02:aa:00:00:00:01"


def frame(src, dst="ff:ff:ff:ff:ff:ff", tags=(), size=64):
    """Ethernet from src to dst, the 802.1Q tags given as (tpid, vid) with
    PCP 3, then IPv4-looking bytes up to size."""
    b = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", ""))
    for tpid, vid in tags:
        b += tpid.to_bytes(2, "big") + ((3 << 13) | vid).to_bytes(2, "big")
    b += b"\x08\x00" + b"\x45" + b"\x00" * 19
    return (b + b"\xa5" * size)[:size].hex()


def send(ns, ifname, frames):
    r = ns.exec([sys.executable, "-c", SEND_CODE, ifname] + frames)
    assert r.stdout.strip() == "sent %d" % len(frames), r.stdout + r.stderr


class Sniffer:
    def __init__(self, ns, ifname, seconds):
        import subprocess
        self.p = ns.popen([sys.executable, "-c", SNIFF_CODE, ifname, str(seconds)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready", self.p.stderr.read()
        time.sleep(0.3)       # the capture socket is open once sniff() runs

    def frames(self, timeout=30):
        out, err = self.p.communicate(timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def taps(dpswitch, netns):
    """Three tap ports a1, a2, t1, each behind an interface in a namespace
    of its own (no addresses: scapy speaks for the hosts)."""
    names = {p: dpsw.short_ifname(p) for p in ("a1", "a2", "t1")}
    d = dpswitch(ports=["%s tap iface=%s" % (p, i) for p, i in names.items()])
    ns = {}
    for p, i in names.items():
        ns[p] = netns()
        ns[p].adopt(i)
    for p in names:
        d.wait_link(p, up=True, timeout=10)
    return d, ns, names


def test_vlan_hop(taps):
    d, ns, ifn = taps
    d.ok("vlan trunk t1 20 native 1")
    d.ok("vlan access a2 20")
    sniff_t1 = Sniffer(ns["t1"], ifn["t1"], 4)
    sniff_a2 = Sniffer(ns["a2"], ifn["a2"], 4)
    hops = [frame(ATTACKER, tags=[(0x8100, 0), (0x8100, 20)]),      # priority, then VLAN 20
            frame(ATTACKER, tags=[(0x8100, 0), (0x88a8, 20)]),      # ... an S-tag behind
            frame(ATTACKER, tags=[(0x8100, 0), (0x8100, 20)], size=200)]
    legit = [frame(ATTACKER, tags=[(0x8100, 0)]) for _ in range(3)]  # a priority tag alone
    # The namespaces' kernels may say something of their own: count ours only.
    rx0 = d.stats()["a1"]["rx_packets"]
    send(ns["a1"], ifn["a1"], hops + legit)
    wait_until(lambda: d.stats()["a1"]["rx_packets"] >= rx0 + 6, 10, "a1 to receive the 6 frames")
    st = d.stats()
    assert st["a1"]["drops"]["vlan_hop"] == 3, st["a1"]
    # The trunk and VLAN 20 see the legitimate frames only, in VLAN 1 (untagged on t1).
    got = [f for f in sniff_t1.frames() if f["src"] == ATTACKER]
    assert len(got) == 3 and all(f["tags"] == [] for f in got), got
    assert not [f for f in sniff_a2.frames() if f["src"] == ATTACKER]

    # The trunk's native VLAN, by its VID, with a tag behind: dropped too;
    # a frame tagged in the trunk's VLAN 20 (QinQ inside it) passes.
    sniff_a1 = Sniffer(ns["a1"], ifn["a1"], 4)
    sniff_a2 = Sniffer(ns["a2"], ifn["a2"], 4)
    rx0 = d.stats()["t1"]["rx_packets"]
    send(ns["t1"], ifn["t1"], [frame(ATTACKER, tags=[(0x8100, 1), (0x8100, 20)]),
                               frame(ATTACKER, tags=[(0x8100, 20), (0x8100, 30)])])
    wait_until(lambda: d.stats()["t1"]["rx_packets"] >= rx0 + 2, 10, "t1 to receive the 2 frames")
    assert d.stats()["t1"]["drops"]["vlan_hop"] == 1, d.stats()["t1"]
    assert not [f for f in sniff_a1.frames() if f["src"] == ATTACKER]
    got = [f for f in sniff_a2.frames() if f["src"] == ATTACKER]
    assert len(got) == 1 and got[0]["tags"] == [30], got
