"""Churn with nothing lost that need not be lost and nothing leaked
(issue 12, item 5): ports added and removed, peers SIGKILLed, over and
over, while other ports carry counted traffic.

Each test measures the switch's resources (open fds, hugepage files of its
prefix, mbufs in use, DPDK heap bytes, RSS) after a warm-up round (the
first vhost, tap or shm port makes state that lives as long as the
process) and again after the churn, quiet: all but RSS must be exactly
back; RSS within RSS_SLACK_KB (malloc keeps freed memory). The bystanders'
frames are counted exactly: every one sent arrived, none dropped.

The suite runs short versions; scripts/soak runs the issue's numbers
(DTS_CHURN_PORTS=1000, DTS_PEER_KILLS=100) and longer.
"""

import os
import re
import signal

import dpsw
from dpsw import figures, wait_until

CHURN_PORTS = int(os.environ.get("DTS_CHURN_PORTS", "1000"))
PEER_KILLS = int(os.environ.get("DTS_PEER_KILLS", "100"))
RSS_SLACK_KB = 4096
TX_MAC, RX_MAC, SINK_MAC = "02:00:00:00:00:f1", "02:00:00:00:00:f2", "02:00:00:00:99:99"


def drops(st):
    return sum(st["drops"].values())


def wait_attached(d, port, up=True):
    wait_until(lambda: d.shm()[port]["attached"] == up and d.link_up(port) == up, 20,
               "port %s: peer %s" % (port, "attached" if up else "gone"))


def resources_back(d, base, what):
    """Wait (a peer's detach finishes on the control thread) until the
    resources are back to `base`; the snapshot that was."""
    seen = {}

    def back():
        seen["now"] = d.resources()
        return not same_resources_of(base, seen["now"])
    wait_until(back, 10, "resources back after %s: %s"
               % (what, same_resources_of(base, seen.get("now", base))))
    return seen["now"]


def same_resources_of(base, now):
    """What is not back to `base` (RSS: beyond the slack), as (base, now)."""
    diff = {k: (base[k], now[k]) for k in base if k != "rss_kb" and base[k] != now[k]}
    if now["rss_kb"] > base["rss_kb"] + RSS_SLACK_KB:
        diff["rss_kb"] = (base["rss_kb"], now["rss_kb"])
    return diff


def bystanders(d, pktgen, workdir, count, rate):
    """a -> b through the bridge, counted: (sender, receiver) pktgens. With
    count None the sender runs until check_bystanders() stops it."""
    rx = pktgen(None, ["--mode", "rx", "--progress"] +
                (["--count", str(count)] if count else []),
                vdevs=[dpsw.dpsw_vdev(0, os.path.join(workdir, "b.sock"))])
    wait_attached(d, "b")
    tx = pktgen(None, ["--mode", "tx", "--rate", str(rate), "--src-mac", TX_MAC,
                       "--dst-mac", RX_MAC] + (["--count", str(count)] if count else []),
                vdevs=[dpsw.dpsw_vdev(0, os.path.join(workdir, "a.sock"))])
    wait_until(lambda: d.stats()["a"]["rx_packets"] > 0, 30, "the bystanders' traffic")
    return tx, rx


def received_so_far(rx):
    """The receiver's own count, from its last --progress line."""
    lines = re.findall(r"rx\s+(\d+)", rx.stderr())
    return int(lines[-1]) if lines else 0


def check_bystanders(d, tx, rx, count=None):
    """Every frame a sent reached b, once, in order; b got nothing else but
    what the switch flooded from churned ports (a tap's kernel sends MLD
    reports when it comes up): those it counted as foreign, one for one.
    With count None the sender is stopped here, and the receiver once it
    has had every frame."""
    if count is None:
        t = tx.interrupt()
        count = t["tx_packets"]
        wait_until(lambda: d.stats()["b"]["tx_packets"] >= count, 30, "b to send them all")
        wait_until(lambda: received_so_far(rx) >= d.stats()["b"]["tx_packets"], 30,
                   "b's peer to take them all")
        r = rx.interrupt()
    else:
        t = tx.report(timeout=120)
        r = rx.report(timeout=60)
    st = d.stats()
    assert t["tx_packets"] == count > 0, t
    assert r["rx_packets"] - r["rx_foreign"] == count and r["rx_seq_gaps"] == 0, (r, st)
    assert r["rx_reordered"] == 0, r
    assert st["a"]["rx_packets"] == count, st["a"]
    assert st["b"]["tx_packets"] == count + r["rx_foreign"], (st["b"], r)
    assert drops(st["a"]) == drops(st["b"]) == 0, (st["a"], st["b"])


def switch_with_bystanders(dpswitch, workdir, extra_ports=()):
    ports = ["a shm path=%s" % os.path.join(workdir, "a.sock"),
             "b shm path=%s,ring=32768" % os.path.join(workdir, "b.sock")]
    return dpswitch(ports=ports + list(extra_ports),
                    execs=["mac add %s b" % RX_MAC])


# --------------------------------------------------------------------------

def churn_kinds(workdir, iface):
    """(kind, devargs) of the ports churned, one of each in turn."""
    # Not null: DPDK 22.11's net_null keeps the dummy packet of each of its
    # queues (384 bytes of DPDK heap per port, for ever); nor ring: net_ring
    # keeps its rings (and logs an error finding them there next time).
    return [("af_packet", "iface=%s" % iface),
            ("vhost", "iface=%s" % os.path.join(workdir, "c.sock")),
            ("shm", "path=%s" % os.path.join(workdir, "cs.sock")),
            ("shm", "path=%s,group=g,group-ports=1" % os.path.join(workdir, "ct.sock")),
            # Not memif: DPDK 22.11's net_memif keeps a server's listening
            # fd open when the port goes (one per port del; docs/user-guide.md).
            ("tap", "iface=dtsch%d" % os.getpid())]


def churn_once(d, kinds, i):
    kind, args = kinds[i % len(kinds)]
    d.ok(("port add c %s %s" % (kind, args)).strip())
    # The new port is in the bridge, where the bystanders' frames would
    # flood if b's address were not known: it must change nothing for them.
    d.ok("port del c")


def test_port_add_del_under_traffic(dpswitch, pktgen, workdir, veth):
    d = switch_with_bystanders(dpswitch, workdir)
    kinds = churn_kinds(workdir, veth()[0])
    for i in range(2 * len(kinds)):             # warm-up: each kind twice
        churn_once(d, kinds, i)
    base = d.resources()
    count = 40000 + 200 * CHURN_PORTS
    tx, rx = bystanders(d, pktgen, workdir, count, 20000)
    for i in range(CHURN_PORTS):
        churn_once(d, kinds, i)
        assert d.alive()
    check_bystanders(d, tx, rx, count)
    assert list(d.ports()) == ["a", "b"]
    # The generators are gone: their attaches' memory and fds with them.
    wait_attached(d, "a", up=False)
    wait_attached(d, "b", up=False)
    after = resources_back(d, base, "%d port add/del" % CHURN_PORTS)
    figures("port_churn", {"add_del": CHURN_PORTS, "bystander_frames": count,
                           "before": base, "after": after})


def test_peers_sigkilled(dpswitch, pktgen, hostile, testpmd, workdir):
    """A peer killed mid-traffic, PEER_KILLS times over, on an isolated shm
    port, a trusted one (its group's spare buffers all come back) and, one
    time in ten, a vhost port (virtio-user in testpmd)."""
    s = {p: os.path.join(workdir, p + ".sock") for p in ("ci", "ct", "cv")}
    d = switch_with_bystanders(dpswitch, workdir, [
        "ci shm path=%s" % s["ci"],
        "ct shm path=%s,group=g,group-ports=1" % s["ct"],
        "cv vhost iface=%s" % s["cv"],
        "sink null no-rx=1"])
    # The victims of the kills send to an address on a port of their own.
    d.ok("mac add %s sink" % SINK_MAC)
    base = d.resources()
    count = 40000 + 2000 * PEER_KILLS
    tx, rx = bystanders(d, pktgen, workdir, count, 20000)
    for i in range(PEER_KILLS):
        for port in ("ci", "ct"):
            rx0 = d.stats()[port]["rx_packets"]
            h = hostile(["--path", s[port], "--attack", "good", "--count", "100000000",
                         "--dst-mac", SINK_MAC])
            wait_until(lambda: d.stats()[port]["rx_packets"] > rx0 or not h.alive(), 20,
                       "frames from the peer on %s" % port)
            assert h.alive(), h.stderr()
            os.kill(h.proc.pid, signal.SIGKILL)
            h.proc.wait(10)
            wait_attached(d, port, up=False)
            h.stop()
        if i % 10 == 0:
            v = testpmd(s["cv"], "02:00:00:00:0c:01")
            rx0 = d.stats()["cv"]["rx_packets"]
            v.txonly_start(SINK_MAC)
            wait_until(lambda: d.stats()["cv"]["rx_packets"] > rx0, 20, "frames from cv")
            v.kill9()
            d.wait_link("cv", up=False)
            v.stop()
        assert d.alive()
    check_bystanders(d, tx, rx, count)
    wait_until(lambda: d.shm()["ct"]["spares_free"] == d.shm()["ct"]["spares_total"], 10,
               "group g's spares all back: %s" % d.shm()["ct"])
    wait_attached(d, "a", up=False)
    wait_attached(d, "b", up=False)
    after = resources_back(d, base, "%d peer kills" % PEER_KILLS)
    figures("peer_kills", {"kills": 2 * PEER_KILLS + (PEER_KILLS + 9) // 10,
                           "before": base, "after": after})
    for port in ("ci", "ct"):
        x = d.xstats(port)
        assert x["peer_attaches"] == x["peer_detaches"] == PEER_KILLS, x
        assert x["peer_refusals"] == 0, x
