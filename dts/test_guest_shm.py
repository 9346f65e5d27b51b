"""Guests on the shared rings: QEMU TCG guests of the DPDK image
(dts/guest.py) whose ivshmem-doorbell devices are shm ports of dpswitch
(transport=ivshmem), driven by the guest PMD (net_dpsw_pci) in
dpswitch-pktgen inside the guests, and by dpsr-hostile --pci for the
byte-exact and hostile checks.

* two guests, each with a trusted port (one trust group) and an isolated
  one: frames both ways between the guests through each pair, counted once
  at every hop, zero copy in the switch between the trusted ports and one
  copy between the isolated ones; byte-exact guest to guest;
* a guest parked on its rx interrupt (vfio-pci, MSI-X) answers 20 pings
  sent half a second apart, rung by the switch for each; the switch parks
  too, and the guest's QEMU is mostly idle;
* a guest killed (QEMU SIGKILL): its port goes down, a new guest attaches
  and is served exactly; a guest whose application stops and which then
  reboots: the port goes down, comes back with the next start, exact;
* a hostile guest (dpsr-hostile --pci inside it) writes bad descriptors
  and floods its doorbell while two host peers pass frames: counted per
  reason, the others exact, and their canary never in the hostile
  guest's BAR2.

Guests here run under TCG: frame counts are small and timeouts generous.
"""

import json
import os
import re
import signal
import time

import pytest

import dpsw
import guest
from dpsw import wait_until
from test_parking import cpu_share, proc_cpu_s

IVSHMEM = "1af4:1110"
N = 2000                      # frames each way through a pair
DEEP = "ring=4096"            # holds all N
PINGS = 20


def sock(workdir, name):
    return os.path.join(workdir, "%s.sock" % name)


def last_json(out):
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("no JSON report in:\n%s" % out)


def bind_ivshmem(g, driver="vfio-pci"):
    """Bind every ivshmem device of guest g; their addresses, in the order
    of the guest's --shm options (QEMU gives them rising slots)."""
    bdfs = sorted(g.run("dps-bind %s %s" % (driver, IVSHMEM)).split())
    assert bdfs, "no ivshmem device in %s" % g.name
    return bdfs


def bar2_size(g, bdf):
    line = g.run("sed -n 3p /sys/bus/pci/devices/%s/resource" % bdf).split()
    return int(line[1], 16) - int(line[0], 16) + 1


def pktgen_cmd(g, prefix, bdf, args):
    """dpswitch-pktgen in guest g on its ivshmem device bdf (net_dpsw_pci
    is built into pktgen; the image's PMD directory has the mempool
    handler)."""
    return ("dpswitch-pktgen -l 0 -d %s %s -a %s -- %s --json"
            % (guest.G_PMDS, g.eal(prefix), bdf, args))


def wait_guest_up(d, port, up=True, timeout=60):
    wait_until(lambda: d.shm()[port].get("guest_up") == up and d.link_up(port) == up, timeout,
               lambda: "port %s: guest driver %s: %s" % (port, "up" if up else "down",
                                                         d.shm()[port]))


@pytest.fixture
def two_guests(dpswitch, dpdk_guests, workdir):
    """dpswitch with a trust group (ta, tb) and two isolated ports (ia, ib),
    each pair cross-connected; guest A has ta and ia, guest B tb and ib
    (vfio-pci, emulated IOMMU). Returns (d, A, B, {port: bdf in its guest})."""
    s = {p: sock(workdir, p) for p in ("ta", "tb", "ia", "ib")}
    # Rings deep enough for every frame a test sends: a receiver that TCG
    # (or a busy host) holds back loses nothing (the switch drops frames
    # for a full ring, as for any port).
    d = dpswitch(ports=["ta shm path=%s,group=g,group-ports=2,%s,transport=ivshmem"
                        % (s["ta"], DEEP),
                        "tb shm path=%s,group=g,transport=ivshmem" % s["tb"],
                        "ia shm path=%s,%s,transport=ivshmem" % (s["ia"], DEEP),
                        "ib shm path=%s,%s,transport=ivshmem" % (s["ib"], DEEP)],
                 execs=["xconnect add ta tb", "xconnect add ia ib"])
    a, b = dpdk_guests(dict(shm=[s["ta"], s["ia"]], iommu=True, qmp=True),
                       dict(shm=[s["tb"], s["ib"]], iommu=True, qmp=True))
    bdf = {}
    for g, (t, i) in ((a, ("ta", "ia")), (b, ("tb", "ib"))):
        bt, bi = bind_ivshmem(g)
        bdf[t], bdf[i] = bt, bi
        # BAR2 is the port's region: the group's for a member, its own otherwise.
        assert bar2_size(g, bt) == d.shm()[t]["region_size"]
        assert bar2_size(g, bi) == d.shm()[i]["region_size"]
    for p in ("ta", "tb", "ia", "ib"):
        assert d.shm()[p]["attached"] and not d.link_up(p), d.shm()[p]
    d.shm_socks = s
    return d, a, b, bdf


@pytest.mark.parametrize("pair", ["trusted", "isolated"])
def test_two_guests(pair, two_guests):
    """Guest A sends N frames to guest B's reflector, which sends each back
    (pktgen txrx / reflect on net_dpsw_pci): A gets every one, in order;
    each port counted each frame once each way, by the path its mode
    promises; then a byte-exact pass A -> B (dpsr-hostile --pci, every
    byte of every frame checked)."""
    d, a, b, bdf = two_guests
    pa, pb = ("ta", "tb") if pair == "trusted" else ("ia", "ib")
    refl = b.start(pktgen_cmd(b, "rf", bdf[pb], "--mode reflect"))
    wait_guest_up(d, pb)
    out = a.run(pktgen_cmd(a, "tx", bdf[pa], "--mode txrx --tx-port 0 --rx-port 0 "
                           "--count %d --rate 5000 --drain 10 --linger 1" % N), timeout=300)
    r = last_json(out)
    assert (r["tx_packets"], r["rx_packets"], r["rx_seq_gaps"], r["rx_reordered"],
            r["rx_foreign"], r["tx_dropped"]) == (N, N, 0, 0, 0, 0), r
    b.send(b"\x03")                                   # the reflector's SIGINT
    rr = last_json(b.finish(refl, timeout=120))
    assert rr["rx_packets"] == rr["tx_packets"] == N, rr
    # Both drivers stopped their ports on exit.
    wait_guest_up(d, pa, up=False)
    wait_guest_up(d, pb, up=False)

    st = d.stats()
    for p in (pa, pb):
        assert (st[p]["rx_packets"], st[p]["tx_packets"]) == (N, N), st[p]
        assert not any(st[p]["drops"].values()), st[p]
    how = "zero_copy" if pair == "trusted" else "copied"
    for p in (pa, pb):
        x = d.xstats(p)
        assert (x["rx_" + how], x["tx_" + how]) == (N, N), (p, x)
        assert (x["guest_starts"], x["guest_stops"], x["peer_attaches"]) == (1, 1, 1), (p, x)

    # Byte-exact, guest to guest: the attack tool's careful receiver in B,
    # its good sender in A, both on the BARs through sysfs.
    for g, p in ((a, pa), (b, pb)):
        g.run("dps-bind uio_pci_generic %s" % bdf[p])
    rx = b.start("dpsr-hostile --pci %s --attack rx --verify --count %d --duration 120 "
                 "--json" % (bdf[pb], N))
    wait_guest_up(d, pb)
    tx = last_json(a.run("dpsr-hostile --pci %s --attack good --count %d --json"
                         % (bdf[pa], N), timeout=120))
    assert tx["good"] == N and tx["unconsumed"] == 0, tx
    got = last_json(b.finish(rx, timeout=120))
    assert got["received"] == got["verified"] == N and got["corrupt"] == 0, got
    assert got["bad_from_switch"] == 0, got


def test_two_guests_zero_copy(two_guests):
    """The guest PMD with zero-copy=1 on the trusted pair: A's pktgen
    writes its frames in buffers of BAR2 it holds and publishes them in
    place, the switch swaps them into B's ring, B's reflector gets each in
    place and sends it back in place, and A receives it in place: N frames,
    exact and in order, with no copy in either guest or in the switch (the
    PMDs' xstats and the switch's). The same devargs on the isolated pair
    are refused by the switch, and the guest copies."""
    d, a, b, bdf = two_guests
    zc = ",zero-copy=1"
    refl = b.start(pktgen_cmd(b, "rf", bdf["tb"] + zc, "--mode reflect"))
    wait_guest_up(d, "tb")
    wait_until(lambda: d.shm()["tb"]["peer_bufs"], 30, "tb's guest to hold a bag")
    r = last_json(a.run(pktgen_cmd(a, "tx", bdf["ta"] + zc, "--mode txrx --tx-port 0 "
                                   "--rx-port 0 --size 1000 --count %d --rate 5000 --drain 10 "
                                   "--linger 1" % N), timeout=300))
    assert (r["tx_packets"], r["rx_packets"], r["rx_seq_gaps"], r["rx_reordered"],
            r["tx_dropped"]) == (N, N, 0, 0, 0), r
    assert r["rx_bytes"] == N * 1000, r
    xa = r["tx_xstats"]
    assert (xa["tx_zero_copy"], xa["tx_copied"], xa["rx_zero_copy"], xa["rx_copied"]) == \
        (N, 0, N, 0), xa
    assert xa["tx_bag_empty"] == xa["tx_bag_bad"] == 0, xa
    b.send(b"\x03")
    rr = last_json(b.finish(refl, timeout=120))
    xb = rr["rx_xstats"]
    assert rr["rx_packets"] == rr["tx_packets"] == N, rr
    assert (xb["rx_zero_copy"], xb["rx_copied"], xb["tx_zero_copy"], xb["tx_copied"]) == \
        (N, 0, N, 0), xb
    wait_guest_up(d, "ta", up=False)
    wait_guest_up(d, "tb", up=False)
    for p in ("ta", "tb"):
        x = d.xstats(p)
        assert (x["rx_zero_copy"], x["tx_zero_copy"], x["rx_copied"], x["tx_copied"]) == \
            (N, N, 0, 0), (p, x)
        assert x["rx_bad_buf"] == x["tx_bad_buf"] == 0, (p, x)
    sh = d.shm()
    assert sh["ta"]["bag_bufs"] == sh["tb"]["bag_bufs"] == 0, sh

    # Isolated: asked, not granted; the guest says so and copies.
    refl = b.start(pktgen_cmd(b, "rf", bdf["ib"] + zc, "--mode reflect"))
    wait_guest_up(d, "ib")
    assert not d.shm()["ib"]["peer_bufs"], d.shm()["ib"]
    out = a.run(pktgen_cmd(a, "tx", bdf["ia"] + zc, "--mode txrx --tx-port 0 --rx-port 0 "
                           "--size 1000 --count %d --rate 5000 --drain 10 --linger 1" % N),
                timeout=300)
    assert "zero-copy=1, but the switch did not grant it" in out, out
    r = last_json(out)
    assert (r["tx_packets"], r["rx_packets"], r["rx_seq_gaps"]) == (N, N, 0), r
    xa = r["tx_xstats"]
    assert (xa["tx_zero_copy"], xa["rx_zero_copy"], xa["tx_copied"], xa["rx_copied"]) == \
        (0, 0, N, N), xa
    b.send(b"\x03")
    b.finish(refl, timeout=120)


def worker(d):
    return d.ok("lcore show", json=True)["workers"][0]


GUEST_IDLE_SHARE = 0.35       # of a core, for a whole TCG guest (QEMU) that parks


def test_guest_parks_and_wakes(two_guests):
    """Guest B's reflector and guest A's pinger both block on their rx
    interrupts (vfio-pci: MSI-X vectors the switch rings): 20 pings half a
    second apart are all answered; the switch rang B's vector for each
    (it rings only a sleeper), its own worker slept between pings and was
    woken by A's doorbell; and over the pings both QEMUs, guest and all,
    used well under a core (a polling guest keeps its QEMU at 100%)."""
    d, a, b, bdf = two_guests
    refl = b.start(pktgen_cmd(b, "rf", bdf["tb"], "--mode reflect --ping-mode block"))
    wait_guest_up(d, "tb")
    x0, w0 = d.xstats("tb"), worker(d)
    ping = a.start(pktgen_cmd(a, "pi", bdf["ta"], "--mode ping --ping-mode block --count %d "
                              "--interval 500000 --timeout 2" % PINGS))
    wait_until(lambda: d.stats()["ta"]["rx_packets"] >= 3, 60, "the first pings")
    c0 = {g.name: proc_cpu_s(g.pid) for g in (a, b)}
    t0 = time.monotonic()
    time.sleep(4.0)
    shares = {g.name: (proc_cpu_s(g.pid) - c0[g.name]) / (time.monotonic() - t0)
              for g in (a, b)}
    r = last_json(a.finish(ping, timeout=120))
    assert r["tx_packets"] == r["rx_packets"] == PINGS and r["ping_timeouts"] == 0, r
    x1, w1 = d.xstats("tb"), worker(d)
    rang = x1["tx_doorbells"] - x0["tx_doorbells"]
    assert rang >= PINGS - 2, "the switch rang the parked guest %d times for %d pings" % (
        rang, PINGS)
    sleeps, woke_rx = w1["sleeps"] - w0["sleeps"], w1["wakeups"]["rx"] - w0["wakeups"]["rx"]
    assert sleeps >= PINGS - 5 and woke_rx >= PINGS - 5, \
        "worker: %d sleeps, %d rx wake-ups for %d pings" % (sleeps, woke_rx, PINGS)
    print("QEMU CPU, share of a core while parked: %s; switch rang B %d times"
          % (", ".join("%s %.0f%%" % (k, 100 * v) for k, v in shares.items()), rang))
    busy = {k: v for k, v in shares.items() if v >= GUEST_IDLE_SHARE}
    assert not busy, "a parked guest's QEMU over %d%% of a core: %s" % (
        100 * GUEST_IDLE_SHARE, busy)
    b.send(b"\x03")
    rr = last_json(b.finish(refl, timeout=120))
    assert rr["tx_packets"] == PINGS, rr


def pass_frames(d, a, b, bdf, pa, pb, n=N):
    """n frames A -> B's reflector -> A, exact; both drivers stopped after."""
    refl = b.start(pktgen_cmd(b, "rf", bdf[pb], "--mode reflect"))
    wait_guest_up(d, pb)
    r = last_json(a.run(pktgen_cmd(a, "tx", bdf[pa], "--mode txrx --tx-port 0 --rx-port 0 "
                                   "--count %d --rate 5000 --drain 10 --linger 1" % n), timeout=300))
    assert (r["tx_packets"], r["rx_packets"], r["rx_seq_gaps"]) == (n, n, 0), r
    b.send(b"\x03")
    assert last_json(b.finish(refl, timeout=120))["tx_packets"] == n
    wait_guest_up(d, pa, up=False)
    wait_guest_up(d, pb, up=False)


def test_guest_killed_and_rebooted(two_guests, dpdk_guests):
    """Guest A killed (QEMU SIGKILL): its ports detach (an isolated one's
    next guest gets a fresh region); a new guest on the same sockets is
    served exactly. Guest B's application stops (its port goes down), B
    reboots (a machine reset over QMP, QEMU staying connected: the port
    stays attached, the rings are reset by the next start), and is served
    exactly again."""
    d, a, b, bdf = two_guests
    pass_frames(d, a, b, bdf, "ta", "tb")
    x0 = {p: d.xstats(p) for p in ("ta", "ia", "tb")}

    os.kill(a.pid, signal.SIGKILL)
    for p in ("ta", "ia"):
        wait_until(lambda: not d.shm()[p]["attached"], 30, "port %s to see QEMU go" % p)
        assert not d.link_up(p) and d.xstats(p)["peer_detaches"] == x0[p]["peer_detaches"] + 1
    c, = dpdk_guests(dict(shm=[d.shm_socks["ta"], d.shm_socks["ia"]], iommu=True))
    bdf["ta"], bdf["ia"] = bind_ivshmem(c)
    pass_frames(d, c, b, bdf, "ta", "tb")
    assert d.xstats("ta")["peer_attaches"] == x0["ta"]["peer_attaches"] + 1

    xb = d.xstats("tb")
    b.reboot()
    assert d.shm()["tb"]["attached"] and not d.link_up("tb")
    bdf["tb"], bdf["ib"] = bind_ivshmem(b)
    pass_frames(d, c, b, bdf, "ta", "tb")
    x = d.xstats("tb")
    assert x["peer_attaches"] == xb["peer_attaches"] and x["peer_detaches"] == xb["peer_detaches"]
    assert x["guest_starts"] == xb["guest_starts"] + 1, x
    st = d.stats()
    assert st["tb"]["rx_packets"] == st["tb"]["tx_packets"] == 3 * N, st["tb"]


@pytest.mark.parametrize("attack, args", [("mixed", "--count 5000"),
                                          ("doorbell-flood", "--duration 3")])
def test_hostile_guest(attack, args, dpswitch, dpdk_guests, pktgen, hostile, workdir):
    """A guest attacks its own port from inside (dpsr-hostile --pci on its
    ivshmem device: bad descriptors of every kind, or its doorbells rung
    in a loop through BAR0) while two host peers pass VICTIM_COUNT frames
    carrying a canary through a cross-connect: every bad descriptor is
    counted by reason exactly as the attacker classified it, the victims'
    frames all arrive in order, the bridge hands a careful receiver nothing
    but the attacker's whole frames, and the canary is nowhere in the
    guest's BAR2."""
    from test_shm_attack import BAD_KEYS, VICTIM_CANARY, VICTIM_COUNT, VICTIM_RATE, Bed
    bed = Bed(dpswitch, workdir, trusted=False, e3=False, guest=True)
    d, s = bed.d, bed.sock
    h, = dpdk_guests(dict(shm=[s["e1"]]))
    bdf, = bind_ivshmem(h, "uio_pci_generic")
    x0 = d.xstats("e1")

    vrx = pktgen(None, ["--mode", "rx", "--count", str(VICTIM_COUNT)],
                 vdevs=[dpsw.dpsw_vdev(0, s["v2"])])
    canary = hostile(["--path", s["e2"], "--attack", "rx", "--canary", VICTIM_CANARY,
                      "--verify", "--duration", "120"])
    wait_until(lambda: d.link_up("v2") and d.link_up("e2"), 20, "v2 and e2 attached")
    vtx = pktgen(None, ["--mode", "tx", "--count", str(VICTIM_COUNT), "--rate", str(VICTIM_RATE)],
                 vdevs=[dpsw.dpsw_vdev(0, s["v1"])])
    wait_until(lambda: d.stats()["v1"]["rx_packets"] > 0, 30, "victim traffic to start")

    r = last_json(h.run("dpsr-hostile --pci %s --attack %s %s --scan %s --json"
                        % (bdf, attack, args, VICTIM_CANARY), timeout=180))
    assert r["attached"] and not r["interrupted"] and r["guest_id"] == 1, r
    assert r["region_hits"] == 0, "the victims' canary is in the guest's BAR2: %s" % r
    assert d.alive()

    t = vtx.report(timeout=60)
    assert t["tx_packets"] == VICTIM_COUNT, t
    v = vrx.report(timeout=60)
    assert (v["rx_packets"], v["rx_seq_gaps"], v["rx_foreign"], v["rx_reordered"]) == \
        (VICTIM_COUNT, 0, 0, 0), v
    st = d.stats()
    assert st["v1"]["rx_packets"] == st["v2"]["tx_packets"] == VICTIM_COUNT, st

    x1 = d.xstats("e1")
    if attack == "mixed":
        assert r["sent"] == 5000 and r["unconsumed"] == 0, r
        got = {k: x1["rx_" + k] - x0["rx_" + k] for k in BAD_KEYS}
        got["good"] = x1["rx_good_packets"] - x0["rx_good_packets"]
        assert got == {k: r[k] for k in BAD_KEYS + ("good",)}, (got, r)
    else:
        assert r["writes"] > 0 and x1["rx_good_packets"] == x0["rx_good_packets"], (r, x1)
    wait_until(lambda: d.stats()["e2"]["tx_packets"] == d.stats()["e1"]["rx_packets"], 20,
               "the attacker's good frames flooded to e2")
    c = canary.interrupt()
    assert c["canary_hits"] == 0 and c["corrupt"] == 0, c
    assert c["received"] == c["verified"] == d.stats()["e1"]["rx_packets"], c
