"""Shared-ring ports (`shm`): the real daemon with real peers, each peer a
process of its own, attached over the port's socket.

* traffic between two raw peers (dpsr-hostile `good` -> `rx --verify`) in
  every trust mode and topology, 60 and 1514 bytes: every frame arrives
  byte for byte, the switch counts each one once, by the path the mode
  promises (zero copy between trusted ports, one copy otherwise), and a
  trust group's spare buffers are all back afterwards;
* the peer PMD: dpswitch-pktgen (built in) and dpdk-testpmd (loaded as a
  plugin with -d) send exact counts through the switch;
* a peer SIGKILLed mid-traffic: the port goes down, no buffer is lost, a new
  peer attaches and is served exactly;
* refusals (wrong secret, a second peer): one line to the peer, exit 1,
  counted exactly; 200 silent connections hold nobody up;
* idle: pinger, reflector and the switch all sleep between pings (woken by
  the rings' doorbells), and each uses under 10% of a core;
* bad `port add` arguments: one error line naming the problem, nothing
  changed.

Exactness without timing: a port the test drains has a ring deep enough to
hold every frame the test sends it (`ring=`), so a receiver that the
scheduler holds back loses nothing (the switch drops frames for a full ring,
as for any port).
"""

import os
import re
import signal
import socket
import time

import pytest

import dpsw
from dpsw import expect_error, wait_until
from test_parking import cpu_share, proc_cpu_s

COUNT = 20000
DEEP = "ring=32768"          # holds all COUNT frames: no receiver can fall behind
CANARY = "DTS-SHM"
TX_MAC = "02:00:00:00:ff:01"
RX_MAC = "02:00:00:00:00:01"


def sock(workdir, name):
    return os.path.join(workdir, "%s.sock" % name)


def wait_attached(d, *ports, up=True, timeout=20):
    """Wait for each port's peer to be attached (or gone) and its link to match."""
    for p in ports:
        wait_until(lambda: d.shm()[p]["attached"] == up and d.link_up(p) == up, timeout,
                   "port %s: peer %s, link %s" % (p, "attached" if up else "gone",
                                                  "up" if up else "down"))


def spares_whole(d, port):
    s = d.shm()[port]
    return s["spares_free"] == s["spares_total"] > 0


# --------------------------------------------------------------------------
# 1. Two raw peers, every mode, byte-exact.

# name: (port a's devargs, port b's devargs, xconnect?)
TOPOLOGIES = {
    "isolated-xconnect": ("", DEEP, True),
    "trusted-xconnect": ("group=g,group-ports=2," + DEEP, "group=g,group-ports=2," + DEEP, True),
    "trusted-bridge": ("group=g,group-ports=2," + DEEP, "group=g,group-ports=2," + DEEP, False),
    "isolated-bridge": ("", DEEP, False),
    "trusted-isolated-xconnect": ("group=g,group-ports=1", DEEP, True),
}


def shm_port(name, path, args):
    return "%s shm path=%s%s" % (name, path, "," + args if args else "")


@pytest.mark.parametrize("transport", ["socket", "ivshmem"])
@pytest.mark.parametrize("size", [60, 1514])
@pytest.mark.parametrize("topo", list(TOPOLOGIES))
def test_two_peers(topo, size, transport, dpswitch, hostile, workdir):
    """COUNT frames of `size` bytes from a raw peer on a to a careful one on
    b: all arrive, every byte as sent; the switch counted each frame once on
    each side, zero copy between trusted ports and one copy otherwise; the
    group's spares are all free again. transport=ivshmem: both ports serve
    guests' ivshmem devices, both peers stand in for a guest (QEMU's
    greeting, BAR2 mapped, the driver's start acknowledged): the same rings,
    the same counts."""
    a_args, b_args, xconnect = TOPOLOGIES[topo]
    trusted_a, trusted_b = "group=" in a_args, "group=" in b_args
    guest = []
    if transport == "ivshmem":
        a_args += ",transport=ivshmem"
        b_args += ",transport=ivshmem"
        guest = ["--ivshmem"]
    sa, sb = sock(workdir, "a"), sock(workdir, "b")
    d = dpswitch(ports=[shm_port("a", sa, a_args.lstrip(",")),
                        shm_port("b", sb, b_args.lstrip(","))])
    if xconnect:
        d.ok("xconnect add a b")
    rx = hostile(["--path", sb, "--attack", "rx", "--verify", "--canary", CANARY,
                  "--count", str(COUNT), "--duration", "60", "--scan", CANARY] + guest)
    wait_attached(d, "b")
    tx = hostile(["--path", sa, "--attack", "good", "--count", str(COUNT), "--size", str(size),
                  "--canary", CANARY] + guest)
    t = tx.report()
    assert t["sent"] == t["good"] == COUNT and t["unconsumed"] == 0 and not t["stalled"], t
    r = rx.report()
    assert r["received"] == r["verified"] == COUNT and r["corrupt"] == 0, r
    assert r["canary_hits"] == COUNT and r["bytes"] == COUNT * size, r
    assert r["bad_from_switch"] == 0 and r["bad_index"] == 0, r
    assert r["len_min"] == r["len_max"] == size, r
    # What the attack tests rely on: --scan finds a canary that is there.
    assert r["region_hits"] > 0, r

    st = d.stats()
    assert (st["a"]["rx_packets"], st["a"]["rx_bytes"]) == (COUNT, COUNT * size), st["a"]
    assert (st["b"]["tx_packets"], st["b"]["tx_bytes"]) == (COUNT, COUNT * size), st["b"]
    for p in ("a", "b"):
        assert not any(st[p]["drops"].values()), (p, st[p])
    xa, xb = d.xstats("a"), d.xstats("b")
    if trusted_a and trusted_b:
        want_a = {"rx_zero_copy": COUNT, "rx_copied": 0}
        want_b = {"tx_zero_copy": COUNT, "tx_copied": 0}
    else:
        want_a = {"rx_zero_copy": COUNT, "rx_copied": 0} if trusted_a else \
                 {"rx_zero_copy": 0, "rx_copied": COUNT}
        want_b = {"tx_zero_copy": 0, "tx_copied": COUNT}
    want_a.update(rx_good_packets=COUNT, rx_spares_empty=0, rx_bad_buf=0, rx_bad_len=0,
                  rx_bad_range=0, rx_bad_flags=0, rx_bad_index=0)
    want_b.update(tx_good_packets=COUNT, tx_bad_len=0, tx_no_peer=0, tx_bad_index=0)
    assert {k: xa[k] for k in want_a} == want_a, xa
    assert {k: xb[k] for k in want_b} == want_b, xb
    for p, x in (("a", xa), ("b", xb)):
        assert (x["peer_attaches"], x["peer_refusals"]) == (1, 0), (p, x)
        assert (x["guest_starts"], x["guest_stops"]) == ((1, 0) if guest else (0, 0)), (p, x)
    for p in ("a", "b"):
        if d.shm()[p]["mode"] == "trusted":
            wait_until(lambda: spares_whole(d, p), 10,
                       "group spares all free: %s" % d.shm()[p])


def test_verify_catches_corruption(dpswitch, hostile, workdir):
    """The checker itself: frames whose bytes 25.. are not what the receiver
    expects (another canary) are all counted corrupt, none verified."""
    sa, sb = sock(workdir, "a"), sock(workdir, "b")
    d = dpswitch(ports=[shm_port("a", sa, ""), shm_port("b", sb, "ring=2048")])
    d.ok("xconnect add a b")
    rx = hostile(["--path", sb, "--attack", "rx", "--verify", "--canary", "QQQQ",
                  "--count", "1000", "--duration", "60"])
    wait_attached(d, "b")
    hostile(["--path", sa, "--attack", "good", "--count", "1000", "--canary", "ZZZZ"]).report()
    r = rx.report()
    assert r["received"] == r["corrupt"] == 1000 and r["verified"] == 0, r
    assert r["canary_hits"] == 0, r


# --------------------------------------------------------------------------
# 2. The peer PMD in dpswitch-pktgen, two processes.

N_PMD = 8000


@pytest.mark.parametrize("mode", ["isolated", "trusted"])
def test_pktgen_peers(mode, dpswitch, pktgen, workdir):
    """pktgen --mode tx on a (net_dpsw), --mode rx on b, separate processes:
    exactly N frames arrive, in order, none missing."""
    sa, sb = sock(workdir, "a"), sock(workdir, "b")
    args = "ring=8192" + (",group=g,group-ports=2" if mode == "trusted" else "")
    d = dpswitch(ports=[shm_port("a", sa, args), shm_port("b", sb, args)])
    d.ok("xconnect add a b")
    rx = pktgen(None, ["--mode", "rx", "--count", str(N_PMD)], vdevs=[dpsw.dpsw_vdev(0, sb)])
    wait_attached(d, "b")
    t = pktgen(None, ["--mode", "tx", "--count", str(N_PMD), "--src-mac", TX_MAC,
                      "--dst-mac", RX_MAC], vdevs=[dpsw.dpsw_vdev(0, sa)]).report()
    assert t["tx_packets"] == N_PMD, t
    r = rx.report()
    assert r["rx_packets"] == N_PMD and r["rx_seq_gaps"] == 0, r
    assert r["rx_foreign"] == 0 and r["rx_reordered"] == 0, r
    st = d.stats()
    assert st["a"]["rx_packets"] == st["b"]["tx_packets"] == N_PMD, st
    path = "zero_copy" if mode == "trusted" else "copied"
    assert d.xstats("a")["rx_" + path] == d.xstats("b")["tx_" + path] == N_PMD


def pmd_x(report, side):
    """A pktgen report's net_dpsw counters of its tx or rx port."""
    return report[side + "_xstats"]


@pytest.mark.parametrize("size, devargs", [(60, "zero-copy=1,copy-break=0"),
                                           (1514, "zero-copy=1")])
def test_pktgen_zero_copy(size, devargs, dpswitch, pktgen, workdir):
    """Trusted a <-> b cross-connected, pktgen peers with zero-copy=1 on
    both: the sender writes its frames in buffers it holds and publishes
    them in place, the switch swaps them into b's ring, the receiver gets
    them in place. Exact counts, and no copy anywhere: the peers' xstats
    and the switch's. (Short frames go in place with copy-break=0 only; by
    default the receiver copies frames up to 256 bytes, and pktgen then
    writes its own mbufs.)"""
    sa, sb = sock(workdir, "a"), sock(workdir, "b")
    args = "ring=8192,group=g,group-ports=2"
    d = dpswitch(ports=[shm_port("a", sa, args), shm_port("b", sb, args)])
    d.ok("xconnect add a b")
    rx = pktgen(None, ["--mode", "rx", "--count", str(N_PMD)],
                vdevs=[dpsw.dpsw_vdev(0, sb, devargs)])
    wait_attached(d, "b")
    t = pktgen(None, ["--mode", "tx", "--count", str(N_PMD), "--size", str(size),
                      "--src-mac", TX_MAC, "--dst-mac", RX_MAC],
               vdevs=[dpsw.dpsw_vdev(0, sa, devargs)]).report()
    assert t["tx_packets"] == N_PMD, t
    r = rx.report()
    assert r["rx_packets"] == N_PMD and r["rx_seq_gaps"] == 0, r
    assert r["rx_foreign"] == 0 and r["rx_reordered"] == 0, r
    assert r["rx_bytes"] == N_PMD * size, r
    tx, rxx = pmd_x(t, "tx"), pmd_x(r, "rx")
    assert tx["tx_zero_copy"] == N_PMD and tx["tx_copied"] == 0, tx
    assert tx["tx_bag_empty"] == 0 and tx["tx_bag_bad"] == 0, tx
    assert rxx["rx_zero_copy"] == N_PMD and rxx["rx_copied"] == 0, rxx
    st = d.stats()
    assert st["a"]["rx_packets"] == st["b"]["tx_packets"] == N_PMD, st
    xa, xb = d.xstats("a"), d.xstats("b")
    assert xa["rx_zero_copy"] == xb["tx_zero_copy"] == N_PMD, (xa, xb)
    assert xa["rx_copied"] == xb["tx_copied"] == 0, (xa, xb)
    assert xa["rx_bad_buf"] == xb["tx_bad_buf"] == 0, (xa, xb)
    # b's peer kept every buffer, leaving one of its bag in exchange; the
    # switch reads the exchanges back before it fills those slots again
    # (or when b's peer sends): here it sent nothing more, so some or all
    # are unread, and void at the reset (the bag back in b's rx slots).
    assert xb["tx_peer_swaps"] <= N_PMD, xb
    wait_attached(d, "a", "b", up=False)
    sh = d.shm()
    assert sh["a"]["bag_bufs"] == sh["b"]["bag_bufs"] == 0, sh
    wait_until(lambda: spares_whole(d, "a"), 10, "group spares all free: %s" % d.shm()["a"])


N_REFLECT = 20000


def test_testpmd_reflects_in_place(dpswitch, pktgen, testpmd, pmd_plugin, workdir):
    """testpmd -d librte_net_dpsw.so, io forwarding on its one port (a
    trusted port r, zero-copy=1): every frame it receives goes back out of
    the same port in place. pktgen (zero copy too) on a, cross-connected to
    r, sends N and gets exactly N back; testpmd's net_dpsw moved all 2N
    without a copy."""
    sa, sr = sock(workdir, "a"), sock(workdir, "r")
    args = "ring=8192,group=g,group-ports=2"
    d = dpswitch(ports=[shm_port("a", sa, args), shm_port("r", sr, args)])
    d.ok("xconnect add a r")
    pmd = testpmd(None, TX_MAC, vdev=dpsw.dpsw_vdev(0, sr, "zero-copy=1,copy-break=0,mac=" +
                                                   TX_MAC),
                  eal_extra=["-d", pmd_plugin])
    wait_attached(d, "r")
    assert d.shm()["r"]["peer_bufs"], d.shm()["r"]
    pmd.cmd("set fwd io")
    pmd.cmd("start")
    t = pktgen(None, ["--mode", "txrx", "--rx-port", "0", "--count", str(N_REFLECT),
                      "--rate", "500000"],
               vdevs=[dpsw.dpsw_vdev(0, sa, "zero-copy=1,copy-break=0")]).report()
    assert t["tx_packets"] == t["rx_packets"] == N_REFLECT, t
    assert t["rx_seq_gaps"] == 0 and t["loss_packets"] == 0 and t["rx_foreign"] == 0, t
    px = pmd_x(t, "tx")
    assert px["tx_zero_copy"] == px["rx_zero_copy"] == N_REFLECT, px
    assert px["tx_copied"] == px["rx_copied"] == 0, px
    out = pmd.cmd("show port xstats 0")
    x = {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", out)}
    assert x["rx_zero_copy"] == x["tx_zero_copy"] == N_REFLECT, out
    assert x["rx_copied"] == x["tx_copied"] == 0, out
    xr = d.xstats("r")
    assert xr["rx_zero_copy"] == xr["tx_zero_copy"] == N_REFLECT, xr
    assert xr["rx_bad_buf"] == xr["tx_bad_buf"] == 0, xr


# --------------------------------------------------------------------------
# 3. dpdk-testpmd loads the PMD as a plugin.

def test_testpmd_plugin(dpswitch, testpmd, hostile, pmd_plugin, workdir):
    """testpmd -d librte_net_dpsw.so --vdev net_dpsw0,path=A sends exactly N
    frames (txonly bursts via start tx_first); a careful receiver on b gets
    exactly N, of testpmd's 64 bytes."""
    burst, rounds = 32, 128
    n = burst * rounds
    sa, sb = sock(workdir, "a"), sock(workdir, "b")
    d = dpswitch(ports=[shm_port("a", sa, "ring=8192"), shm_port("b", sb, "ring=8192")])
    d.ok("xconnect add a b")
    rx = hostile(["--path", sb, "--attack", "rx", "--count", str(n), "--duration", "60"])
    wait_attached(d, "b")
    pmd = testpmd(None, TX_MAC, vdev=dpsw.dpsw_vdev(0, sa, "mac=" + TX_MAC),
                  eal_extra=["-d", pmd_plugin])
    wait_attached(d, "a")
    pmd.send(n, RX_MAC, per_burst=burst)
    r = rx.report()
    assert r["received"] == n and r["bytes"] == n * 64, r
    assert r["len_min"] == r["len_max"] == 64 and r["bad_from_switch"] == 0, r
    assert pmd.tx() == n
    st = d.stats()
    assert st["a"]["rx_packets"] == st["b"]["tx_packets"] == n, st


# --------------------------------------------------------------------------
# 4. A peer crashes; another takes its place.

N_CRASH = 4096


def test_peer_crash_and_reattach(dpswitch, pktgen, testpmd, hostile, pmd_plugin, workdir):
    """Trusted a, b cross-connected. pktgen sends on a until SIGKILLed: the
    port goes down and its rings are reset with every buffer back in the
    group. A new peer (testpmd with the plugin) attaches to a and sends
    exactly N frames; a fresh receiver on b gets exactly those."""
    sa, sb = sock(workdir, "a"), sock(workdir, "b")
    args = "group=g,group-ports=2,ring=8192"
    d = dpswitch(ports=[shm_port("a", sa, args), shm_port("b", sb, args)])
    d.ok("xconnect add a b")
    rx1 = pktgen(None, ["--mode", "rx"], vdevs=[dpsw.dpsw_vdev(0, sb)])
    wait_attached(d, "b")
    tx1 = pktgen(None, ["--mode", "tx", "--rate", "100000"], vdevs=[dpsw.dpsw_vdev(0, sa)])
    wait_until(lambda: d.stats()["b"]["tx_packets"] >= 10000, 30, "traffic through a -> b")

    os.kill(tx1.proc.pid, signal.SIGKILL)
    tx1.proc.wait(10)
    wait_attached(d, "a", up=False)
    xa = d.xstats("a")
    assert (xa["peer_attaches"], xa["peer_detaches"]) == (1, 1), xa
    assert d.shm()["b"]["attached"], "the crash of a's peer touched b"
    # The receiver goes too (its count is not checked: the sender died
    # mid-run); with both peers gone every buffer of the group is back,
    # none lost with the rings the crash and the departure reset.
    r1 = rx1.interrupt()
    assert r1["rx_packets"] > 0 and r1["rx_foreign"] == 0, r1
    wait_attached(d, "b", up=False)
    wait_until(lambda: spares_whole(d, "a"), 10, "group spares all free: %s" % d.shm()["a"])

    # testpmd's frames are foreign to pktgen, whose --count counts its own:
    # a raw receiver takes them.
    rx2 = hostile(["--path", sb, "--attack", "rx", "--count", str(N_CRASH), "--duration", "60"])
    wait_attached(d, "b")
    b0 = d.stats()["b"]["tx_packets"]
    pmd = testpmd(None, TX_MAC, vdev=dpsw.dpsw_vdev(0, sa, "mac=" + TX_MAC),
                  eal_extra=["-d", pmd_plugin])
    wait_attached(d, "a")
    xa = d.xstats("a")
    assert (xa["peer_attaches"], xa["peer_detaches"]) == (2, 1), xa
    pmd.send(N_CRASH, RX_MAC, per_burst=32)
    r2 = rx2.report()
    assert r2["received"] == N_CRASH and r2["bad_from_switch"] == 0, r2
    assert d.stats()["b"]["tx_packets"] - b0 == N_CRASH
    assert pmd.tx() == N_CRASH
    wait_until(lambda: spares_whole(d, "a"), 10, "group spares all free: %s" % d.shm()["a"])


# --------------------------------------------------------------------------
# 5. Refusals.

def refused(rc, err, why):
    """Exit status 1 and exactly one line of the peer's output giving the reason."""
    lines = [l for l in err.splitlines() if why in l]
    return rc == 1 and len(lines) == 1


def test_refusals(dpswitch, hostile, pktgen, workdir):
    """A port with a secret refuses a wrong one (and none), from a raw peer
    and from the PMD; with a peer attached it refuses a second one. Each
    refused peer exits 1 with one line giving the reason; the port counts
    every refusal, once."""
    sa = sock(workdir, "a")
    d = dpswitch(ports=[shm_port("a", sa, "secret=s3cret")])

    def pg(secret):
        p = pktgen(None, ["--mode", "rx"], vdevs=[dpsw.dpsw_vdev(0, sa, "secret=" + secret)])
        rc, _, err = p.wait()
        return rc, err

    results = {}
    for secret in ("wrong", None):
        rc, out, err = hostile(["--path", sa, "--attack", "rx"] +
                               (["--secret", secret] if secret else [])).wait()
        results["hostile secret=%s" % secret] = (rc, err, "wrong secret")
        assert err.count("\n") == 1, err
    results["pktgen secret=wrong"] = pg("wrong") + ("wrong secret",)

    first = hostile(["--path", sa, "--secret", "s3cret", "--attack", "rx", "--duration", "60"])
    wait_attached(d, "a")
    rc, out, err = hostile(["--path", sa, "--secret", "s3cret", "--attack", "rx"]).wait()
    results["hostile second peer"] = (rc, err, "already attached")
    assert err.count("\n") == 1, err
    results["pktgen second peer"] = pg("s3cret") + ("already attached",)

    x = d.xstats("a")
    assert (x["peer_refusals"], x["peer_attaches"], x["peer_detaches"]) == (5, 1, 0), x
    assert d.shm()["a"]["refusals"] == 5
    # The attached peer was not disturbed by any of them.
    assert first.alive() and d.shm()["a"]["attached"]
    assert first.interrupt()["bad_index"] == 0
    wrong = {k: v for k, v in results.items() if not refused(*v)}
    assert not wrong, "\n".join("%s: exit %s, want 1 and one line with '%s':\n%s"
                                % (k, v[0], v[2], v[1]) for k, v in wrong.items())


def test_silent_connections_hold_nobody(dpswitch, hostile, workdir):
    """A client opens 200 connections to port a and says nothing on any,
    holding them for 60 s. Meanwhile good peers attach to a (the newest
    silent connections are only kept 4 at a time) and to b, and 1000
    frames go a -> b exactly, all while the holder still holds: a switch
    that waited for each hello in turn (1 s) would have kept both peers out
    for minutes. When the holder lets go, every silent connection has been
    counted as a refusal, once."""
    n = 200
    sa, sb = sock(workdir, "a"), sock(workdir, "b")
    d = dpswitch(ports=[shm_port("a", sa, ""), shm_port("b", sb, "")])
    d.ok("xconnect add a b")
    holder = hostile(["--path", sa, "--attack", "silent-hold", "--count", str(n),
                      "--duration", "60"])
    wait_until(lambda: d.xstats("a")["peer_refusals"] >= n - 4, 30,
               "the oldest silent connections dropped: %s" % d.xstats("a")["peer_refusals"])
    rx = hostile(["--path", sb, "--attack", "rx", "--verify", "--count", "1000",
                  "--duration", "60"])
    wait_attached(d, "b")
    t = hostile(["--path", sa, "--attack", "good", "--count", "1000"]).report()
    assert t["good"] == 1000 and t["unconsumed"] == 0, t
    r = rx.report()
    assert r["received"] == r["verified"] == 1000, r
    assert holder.alive(), "the holder ended before the good peers were served"
    h = holder.interrupt()
    assert h["connections"] == n and h["connect_failed"] == 0, h
    wait_until(lambda: d.xstats("a")["peer_refusals"] == n, 10,
               "every silent connection refused once: %s" % d.xstats("a"))
    x = d.xstats("a")
    assert (x["peer_attaches"], x["peer_detaches"]) == (1, 1), x
    assert d.alive()


# --------------------------------------------------------------------------
# 6. Everyone asleep between pings.

PINGS = 20
IDLE_SHARE = 0.10


def worker(d):
    return d.ok("lcore show", json=True)["workers"][0]


def test_asleep_and_woken(dpswitch, pktgen, workdir):
    """An adaptive switch, a reflector and a pinger that both block on their
    rx interrupts: every ping is answered; the worker went to sleep between
    pings and was woken by the ring's doorbell; and the switch, the
    reflector and the pinger each used under 10% of a core over a second of
    pings 200 ms apart, the switch and the reflector also over a quiet
    second afterwards (CPU time from /proc: what shows that they sleep)."""
    sa, sb = sock(workdir, "a"), sock(workdir, "b")
    d = dpswitch(ports=[shm_port("a", sa, ""), shm_port("b", sb, "")])
    d.ok("xconnect add a b")
    assert worker(d)["mode"] == "adaptive"
    refl = pktgen(None, ["--mode", "reflect", "--ping-mode", "block"],
                  vdevs=[dpsw.dpsw_vdev(0, sb)])
    wait_attached(d, "b")
    w0 = worker(d)
    ping = pktgen(None, ["--mode", "ping", "--ping-mode", "block", "--count", str(PINGS),
                         "--interval", "200000", "--timeout", "1"],
                  vdevs=[dpsw.dpsw_vdev(0, sa)])
    # A second in the middle of the run: the pinger is past its start-up.
    wait_until(lambda: d.stats()["a"]["rx_packets"] >= 3, 30, "the first pings")
    pids = {"dpswitch": d.proc.pid, "reflector": refl.proc.pid, "pinger": ping.proc.pid}
    c0, t0 = {n: proc_cpu_s(p) for n, p in pids.items()}, time.monotonic()
    time.sleep(1.0)
    shares = {n + " (pings)": (proc_cpu_s(p) - c0[n]) / (time.monotonic() - t0)
              for n, p in pids.items()}
    assert ping.alive(), "the pinger ended during the measurement: no CPU figure for it"

    r = ping.report(timeout=60)
    assert r["tx_packets"] == r["rx_packets"] == PINGS and r["ping_timeouts"] == 0, r
    w1 = worker(d)
    sleeps, woke_rx = w1["sleeps"] - w0["sleeps"], w1["wakeups"]["rx"] - w0["wakeups"]["rx"]
    assert sleeps >= PINGS - 5 and woke_rx >= PINGS - 5, \
        "worker: %d sleeps, %d rx wake-ups for %d pings" % (sleeps, woke_rx, PINGS)
    st = d.stats()
    assert st["a"]["rx_packets"] == st["b"]["tx_packets"] == PINGS, st
    assert st["b"]["rx_packets"] == st["a"]["tx_packets"] == PINGS, st

    shares["dpswitch (quiet)"] = cpu_share(d.proc.pid, 1.0)
    shares["reflector (quiet)"] = cpu_share(refl.proc.pid, 1.0)
    print("CPU, share of a core: " + ", ".join("%s %.1f%%" % (k, 100 * v)
                                               for k, v in shares.items()))
    busy = {k: v for k, v in shares.items() if v >= IDLE_SHARE}
    assert not busy, "over %d%% of a core: %s" % (100 * IDLE_SHARE, busy)
    assert refl.interrupt()["tx_packets"] == PINGS


# --------------------------------------------------------------------------
# 7. Bad port arguments.

# A socket in a directory that does not exist: net_shm cannot listen, so
# EAL cannot attach the device; the test wants exactly that refusal.
@pytest.mark.log_allow(r"^ERR: net_shm: cannot listen on '/nonexistent-dir/x\.sock': ",
                       r"^ERR: EAL: Driver cannot attach the device \(net_shm_x\)$",
                       r"^ERR: EAL: Failed to attach device on primary process$")
def test_bad_port_add(dpswitch, workdir):
    """Each mistake in `port add ... shm` is one error line naming it; the
    ports stay as they were (their counters too) and the daemon keeps
    running."""
    g1 = sock(workdir, "g1")
    d = dpswitch(ports=[shm_port("g1", g1, "group=g,ring=512")])
    x0 = d.xstats("g1")
    x = sock(workdir, "x")
    expect_error(d, "port add x shm", "path")
    expect_error(d, "port add x shm mode=trusted", "path")
    expect_error(d, "port add x shm path=%s,mode=bogus" % x, "mode=bogus", "trusted or isolated")
    expect_error(d, "port add x shm path=%s,mode=isolated,group=g" % x, "isolated", "group")
    expect_error(d, "port add x shm path=%s,qpairs=99" % x, "qpairs=99", "1..8")
    expect_error(d, "port add x shm path=%s,ring=1000" % x, "ring=1000", "power of 2")
    expect_error(d, "port add x shm path=%s,group=g,ring=1024" % x, "group 'g'", "ring=512",
                 "not 1024")
    expect_error(d, "port add x shm path=%s,transport=bogus" % x, "transport=bogus",
                 "socket or ivshmem")
    expect_error(d, "port add x shm path=%s,transport=ivshmem,secret=s" % x, "ivshmem",
                 "no secret")
    expect_error(d, "port add x shm path=/nonexistent-dir/x.sock", "/nonexistent-dir/x.sock")
    # A socket another process listens on.
    busy = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        busy.bind(x)
        busy.listen(1)
        expect_error(d, "port add x shm path=%s" % x, x, "in use")
    finally:
        busy.close()
        os.unlink(x)
    assert not os.path.exists(x), "a refused port left a socket behind"
    assert set(d.ports()) == {"g1"} and d.alive()
    assert d.xstats("g1") == x0


def test_port_add_on_own_socket(dpswitch, workdir):
    """`port add` on the socket of one of the switch's own shm ports is
    refused, naming the socket, and touches nothing: not even that port's
    counters (no peer tried to attach to it)."""
    g1 = sock(workdir, "g1")
    d = dpswitch(ports=[shm_port("g1", g1, "")])
    x0 = d.xstats("g1")
    expect_error(d, "port add x shm path=%s" % g1, g1, "in use")
    assert set(d.ports()) == {"g1"} and d.alive()
    x1 = d.xstats("g1")
    assert x1 == x0, "a refused 'port add' changed port g1's counters: %s" % {
        k: (x0[k], x1[k]) for k in x0 if x0[k] != x1[k]}


def test_group_geometry_advice(dpswitch, workdir):
    """A second port of a group that asks for another ring size is refused
    with advice: 'leave ring out or give 512'. Following the advice (leaving
    ring out) adds the port, with the group's ring size."""
    g1, g2 = sock(workdir, "g1"), sock(workdir, "g2")
    d = dpswitch(ports=[shm_port("g1", g1, "group=g,ring=512")])
    rc, out = d.ctl("port add g2 shm path=%s,group=g,ring=1024" % g2)
    assert rc < 0 and "leave ring out or give 512" in out, out
    rc, out = d.ctl("port add g2 shm path=%s,group=g" % g2)
    assert rc == 0, "following the advice failed: %s" % out.strip()
    assert d.shm()["g2"]["ring_size"] == 512
