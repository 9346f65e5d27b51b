"""vtap ports (docs/user-guide.md, "Offloads and the vtap port"): a kernel
tap with the virtio-net header, so TCP crosses the switch in frames of up
to 64 KB with partial checksums.

* between two vtap ports with offloads, a TCP transfer between two
  namespaces is byte-exact, and its large frames pass through untouched
  (as many large frames out as in, none segmented by the switch);
* toward a port that cannot take them (vtap with offloads=off, a plain
  tap), the worker cuts them into MTU-sized segments and completes the
  checksums: byte-exact, counted (gso_frames, gso_segments, csum_sw);
* bad devargs: one line each.
"""

import hashlib
import subprocess

import pytest

import dpsw

SIZE = 40 << 20            # bytes per transfer
SERVER = r"""
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(1); print("listening", flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    h.update(d); n += len(d)
print(n, h.hexdigest(), flush=True)
"""
CLIENT = r"""
import socket, sys
data = bytes(range(256)) * (int(sys.argv[2]) // 256)
s = socket.create_connection((sys.argv[1], 5001), timeout=60); s.sendall(data); s.close()
"""


def payload_digest():
    return hashlib.sha256(bytes(range(256)) * (SIZE // 256)).hexdigest()


def transfer(ns_a, ns_b, addr_b):
    """SIZE bytes of TCP from namespace a to b; (bytes, sha256) b received."""
    srv = ns_b.popen(["/usr/bin/python3", "-c", SERVER, addr_b], stdout=subprocess.PIPE,
                     text=True)
    try:
        assert srv.stdout.readline().strip() == "listening"
        ns_a.exec(["/usr/bin/python3", "-c", CLIENT, addr_b, str(SIZE)], timeout=120)
        out = srv.communicate(timeout=60)[0].split()
    finally:
        dpsw.kill_pid(srv)
    return int(out[0]), out[1]


@pytest.fixture
def pair(dpswitch, netns):
    """Factory pair(kind_b, execs=): port a (vtap, offloads) in namespace A
    as 10.77.0.1, port b (kind_b) in B as 10.77.0.2."""
    def make(kind_b, execs=()):
        ia, ib = dpsw.short_ifname("vta"), dpsw.short_ifname("vtb")
        d = dpswitch(ports=["a vtap iface=%s" % ia, "b %s" % (kind_b % ib)], execs=list(execs))
        na, nb = netns(), netns()
        na.adopt(ia, "10.77.0.1/24")
        nb.adopt(ib, "10.77.0.2/24")
        d.wait_link("a", up=True, timeout=10)
        d.wait_link("b", up=True, timeout=10)
        na.exec(["ping", "-c", "1", "-W", "5", "10.77.0.2"])
        return d, na, nb
    return make


def offload_stats(d, port):
    return d.stats()[port]["offloads_done"]


@pytest.mark.parametrize("role", ["xconnect", "bridge"])
def test_large_frames_pass_through(pair, role):
    d, na, nb = pair("vtap iface=%s", execs=["xconnect add a b"] if role == "xconnect" else [])
    assert d.ports()["b"]["tx_offloads"] == ["tso", "l4_csum"]
    assert transfer(na, nb, "10.77.0.2") == (SIZE, payload_digest())
    xa, xb = d.xstats("a"), d.xstats("b")
    assert xa["rx_gso_frames"] > SIZE // 65536 // 2, xa
    assert xb["tx_gso_frames"] == xa["rx_gso_frames"], (xa, xb)
    assert offload_stats(d, "b") == {"gso_frames": 0, "gso_segments": 0, "csum_sw": 0}
    assert d.stats()["b"]["drops"]["offload"] == 0


@pytest.mark.parametrize("kind_b", ["vtap iface=%s,offloads=off", "tap iface=%s"])
def test_segmented_for_ports_without_offloads(pair, kind_b):
    d, na, nb = pair(kind_b, execs=["xconnect add a b"])
    # What b's device is trusted with: the worker does the rest.
    assert d.ports()["b"]["tx_offloads"] == \
        (["l4_csum"] if kind_b.startswith("vtap") else ["l4_csum", "ipv4_csum"])
    assert transfer(na, nb, "10.77.0.2") == (SIZE, payload_digest())
    large = d.xstats("a")["rx_gso_frames"]
    done = offload_stats(d, "b")
    assert large > 0 and done["gso_frames"] == large, (large, done)
    # 64 KB cut at 1448 bytes of payload: tens of segments each.
    assert done["gso_segments"] >= 2 * done["gso_frames"], done
    assert done["csum_sw"] > 0 or kind_b.startswith("tap"), done
    assert d.stats()["b"]["drops"]["offload"] == 0


def test_bad_devargs(dpswitch):
    d = dpswitch()
    for args, msg in (("iface=%s" % ("x" * 16), "iface='%s' is not an interface name "
                       "(1..15 characters, no '/' or space)" % ("x" * 16)),
                      ("offloads=maybe", "offloads=maybe is not on or off"),
                      ("mac=01:00:00:00:00:01", "mac=01:00:00:00:00:01 is not a unicast MAC"),
                      ("colour=red", None)):
        rc, out = d.ctl("port add x vtap %s" % args)
        assert rc != 0 and len(out.strip().splitlines()) == 1, out
        if msg is not None:
            assert out.strip() == "error: port 'x': " + msg, out
    assert d.ports() == {}
