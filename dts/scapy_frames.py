"""Frames on kernel interfaces inside network namespaces, through scapy
in a child process (scapy needs the namespace's sockets): send frames
given as hex, exactly as they are, and capture what arrives with each
frame's source and VLAN tags. Shared by the tests that inject on taps
(test_bridge_guard.py, test_lab_nic.py)."""

import json
import sys
import time

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

# Capture for a while (or until `count` frames from `src` are in, when
# given); one JSON line: every frame's source, destination, length and its
# VLAN tags (the kernel hands tags as metadata; scapy puts them back).
SNIFF_CODE = r"""
import json, sys
from scapy.all import sniff, Dot1Q, Ether, conf
conf.verb = 0
iface, seconds = sys.argv[1], float(sys.argv[2])
src, count = (sys.argv[3], int(sys.argv[4])) if len(sys.argv) > 4 else (None, 0)
got = []
def note(p):
    tags, layer = [], p.getlayer(Dot1Q)
    while layer is not None:
        tags.append(layer.vlan)
        layer = layer.payload.getlayer(Dot1Q) if layer.payload else None
    got.append({"src": p[Ether].src, "dst": p[Ether].dst, "tags": tags, "len": len(p)})
print("ready", flush=True)
def enough(p):
    return count > 0 and sum(1 for g in got if g["src"] == src) >= count
# scapy asks for a 64 KB socket buffer: a burst of full-size frames (an
# emulated NIC hands them over in bursts) overflows it while Python
# catches up. 8 MB, forced (we are root), loses none.
import socket
sock = conf.L2listen(iface=iface)
sock.ins.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)   # SO_RCVBUFFORCE
sniff(opened_socket=sock, timeout=seconds, prn=note, store=False, stop_filter=enough)
print(json.dumps(got), flush=True)
"""

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
    """Captures on ifname in ns for `seconds`, or until `count` frames
    from `src` arrived (an emulated NIC may take its time: give a long
    window and the count)."""

    def __init__(self, ns, ifname, seconds, src=None, count=0):
        import subprocess
        extra = [src, str(count)] if src else []
        self.p = ns.popen([sys.executable, "-c", SNIFF_CODE, ifname, str(seconds)] + extra,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready", self.p.stderr.read()
        time.sleep(0.3)       # the capture socket is open once sniff() runs
        self.seconds = seconds

    def frames(self, timeout=None):
        timeout = timeout if timeout is not None else self.seconds + 30
        out, err = self.p.communicate(timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])
