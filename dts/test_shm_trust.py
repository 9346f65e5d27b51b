"""The shared-ring trust boundary (docs/shm-protocol.md, "Threat model"):
whatever the switch hands a peer (the region's memfd, the doorbells, the
connection), nothing the peer does with it can stop, crash or reach past
the switch.

Each attack (dpsr-hostile, tests/hostile/hostile_fds.c) runs on the
isolated bridge port e1 of the bed of test_shm_attack.py while the
victims v1 -> v2 (cross-connected, the same worker) pass exactly
VICTIM_COUNT frames with no gap; afterwards the attacked port takes a good
peer whose frames reach e2 exactly.

* resize: grow, shrink, allocate past the end, add write seals: all refused.
* bells-block: the largest eventfd count written into every doorbell, each
  made blocking, wait flags up, never a doorbell read, while e3 floods the
  bridge: the switch keeps ringing on ends the peer cannot reach, never
  blocks, and answers its control socket throughout.
* punch: every free hugepage taken, then the whole region punched out of
  its memfd: the switch's next touch faults; the guard replaces the page,
  counts it and detaches the peer; while the pages are held no fresh
  region can be made and a new peer is refused with that reason; once they
  are back, a good peer is served.
* keep-bells: a peer leaves and a child it forked keeps its doorbells; a
  new peer attaches and sleeps on its own: the child's rings reach nobody
  and its reads find nothing.
* tag-flip (a trust group's member, t1): while its good broadcast frames
  cross the bridge, a thread keeps turning their ethertype into a VLAN 20
  tag and back, in every buffer of the group's region: a frame that leaves
  the group (to e2, isolated, an access port of VLAN 1) is exactly the one
  the bridge decided on, never a tagged one.
* A producer index far ahead (bad-prod) does not keep the worker awake.
"""

import time

import pytest

import dpsw
from dpsw import wait_until
from test_shm_attack import (VICTIM_COUNT, VICTIM_RATE, Bed, assert_alive, check_port_serves,
                             check_victims, drops, start_victims, wait_attached)
from test_parking import cpu_share, worker, worker_tid

SEALS = 1 | 2 | 4            # F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW


def hugepage_counts():
    """The kernel's hugepage pool, for messages: a test that starves it says so."""
    with open("/proc/meminfo") as f:
        return {k: int(v.split()[0]) for k, v in (l.split(":", 1) for l in f)
                if k.startswith("HugePages_")}


def test_resize(dpswitch, pktgen, hostile, workdir):
    bed = Bed(dpswitch, workdir, trusted=False, e3=False)
    d, s = bed.d, bed.sock
    vrx, vtx = start_victims(d, s, pktgen)
    r = hostile(["--path", s["e1"], "--attack", "resize", "--duration", "1"]).report(timeout=60)
    assert_alive(d, "after the resize attack")
    assert not any(r[k] for k in ("grew", "shrank", "allocated_past_end",
                                  "sealed_future_write", "sealed_write")), r
    assert r["seals"] == SEALS, "the region's memfd has seals %#x, not %#x: %s" % (
        r["seals"], SEALS, r)
    wait_attached(d, "e1", up=False)
    check_victims(d, vrx, vtx)
    check_port_serves(d, s, "e1", hostile)


def test_bells_block(dpswitch, pktgen, hostile, workdir):
    bed = Bed(dpswitch, workdir, trusted=False, e3=True)
    d, s = bed.d, bed.sock
    vrx, vtx = start_victims(d, s, pktgen)
    h = hostile(["--path", s["e1"], "--attack", "bells-block", "--duration", "3"])
    wait_attached(d, "e1")
    x0 = d.xstats("e1")
    # e3 floods the bridge: the switch publishes to e1 and, its wait flag
    # being up, rings it each time, on a doorbell e1 never reads.
    sender = hostile(["--path", s["e3"], "--attack", "good", "--count", "5000"])
    answered = 0
    while sender.alive():
        t0 = time.monotonic()
        d.ok("lcore show", json=True)
        assert time.monotonic() - t0 < 5, "the control socket took %.1f s to answer" % (
            time.monotonic() - t0)
        answered += 1
        time.sleep(0.1)
    g = sender.report(timeout=60)
    assert g["good"] == 5000 and g["unconsumed"] == 0, g
    r = h.report(timeout=60)
    assert_alive(d, "after the bells-block attack")
    assert r["made_blocking"] == 4, r
    x1 = d.xstats("e1")
    st = d.stats()
    assert st["e1"]["tx_packets"] + st["e1"]["drops"]["tx_full"] == 5000, st["e1"]
    assert r["received"] == st["e1"]["tx_packets"], (r, st["e1"])
    assert x1["tx_doorbells"] > x0["tx_doorbells"], (x0, x1)
    print("bells-block: %s; the switch rang e1 %d times, answered %d commands" % (
        r, x1["tx_doorbells"] - x0["tx_doorbells"], answered))
    wait_attached(d, "e1", up=False)
    check_victims(d, vrx, vtx)
    check_port_serves(d, s, "e1", hostile)


# The attack's effect, which the test checks: the peer of e1 punched its
# region, and while the attacker holds every free hugepage no port whose
# peer leaves (e1, and the victims' v1 and v2 once their traffic is done)
# can renew its region.
@pytest.mark.log_allow(r"^WARNING: net_shm: port net_shm_e1: its peer punched holes in its region ",
                       r"^WARNING: net_shm: port 'net_shm_(e1|v1|v2)': cannot renew its region: "
                       r"not enough free hugepages ")
def test_punch(dpswitch, pktgen, hostile, workdir):
    bed = Bed(dpswitch, workdir, trusted=False, e3=False)
    d, s = bed.d, bed.sock
    vrx, vtx = start_victims(d, s, pktgen)
    h = hostile(["--path", s["e1"], "--attack", "punch", "--duration", "6"])
    wait_until(lambda: d.xstats("e1")["peer_region_faults"] >= 1, 20,
               lambda: "the switch to touch the punched region: %s; hugepages %s" % (
                   d.xstats("e1"), hugepage_counts()))
    assert_alive(d, "when it touched the punched region")
    wait_attached(d, "e1", up=False)
    # Every free hugepage is the attacker's: no fresh region, so no peer.
    refused = hostile(["--path", s["e1"], "--attack", "good", "--count", "1"])
    rc, out, err = refused.wait(timeout=30)
    assert rc == 1 and "no fresh region" in err, (rc, out, err)
    assert d.xstats("e1")["peer_refused_no_region"] == 1, d.xstats("e1")
    r = h.report(timeout=60)
    assert r["punched"] and r["detached"] and r["hogged_mb"] > 0, r
    assert_alive(d, "after the punch attack")
    check_victims(d, vrx, vtx)
    # The pages are back: the next peer gets a fresh region.
    check_port_serves(d, s, "e1", hostile)
    assert d.xstats("e1")["peer_region_faults"] >= 1
    assert "punched holes in its region" in open(d.log).read()


def test_keep_bells(dpswitch, pktgen, hostile, workdir):
    bed = Bed(dpswitch, workdir, trusted=False, e3=True)
    d, s = bed.d, bed.sock
    vrx, vtx = start_victims(d, s, pktgen)
    h = hostile(["--path", s["e1"], "--attack", "keep-bells", "--duration", "6"])
    # It attaches and leaves at once (its child keeps the doorbells).
    wait_until(lambda: d.xstats("e1")["peer_detaches"] == 1, 20, "the attacker to leave")
    # The next peer of e1 sleeps on its doorbells between frames.
    rx = hostile(["--path", s["e1"], "--attack", "rx", "--verify", "--duration", "60"])
    wait_attached(d, "e1")
    g = hostile(["--path", s["e3"], "--attack", "good", "--count", "3000"]).report(timeout=60)
    assert g["good"] == 3000, g
    wait_until(lambda: d.stats()["e1"]["tx_packets"] + d.stats()["e1"]["drops"]["tx_full"]
               == 3000, 10, "every frame for e1 accounted for: %s" % d.stats()["e1"])
    a = rx.interrupt()
    # e1's ring is the default 1024 slots: what a slow receiver could not
    # take is dropped there and counted; all the rest arrived, whole.
    st = d.stats()["e1"]
    assert a["received"] == a["verified"] == st["tx_packets"] > 0, (a, st)
    r = h.report(timeout=60)
    assert r["old_rings_delivered"] == 0 and r["old_reads_with_data"] == 0, \
        "a departed peer's doorbells still reach the port: %s" % r
    assert_alive(d, "after the keep-bells attack")
    check_victims(d, vrx, vtx)


def test_lying_index_lets_the_worker_sleep(dpswitch, hostile, workdir):
    """A producer index half the index space ahead is no work: the worker,
    adaptive, parks with the lie in place and stays parked."""
    sock = "%s/e1.sock" % workdir
    d = dpswitch(ports=["e1 shm path=%s" % sock])
    h = hostile(["--path", sock, "--attack", "bad-prod", "--duration", "8"])
    wait_attached(d, "e1")
    wait_until(lambda: d.xstats("e1")["rx_bad_index"] >= 1, 10, "the lie to be seen")
    time.sleep(0.5)
    share = cpu_share(d.proc.pid, 2.0, worker_tid(d.proc.pid))
    asleep = 0
    for _ in range(10):
        asleep += worker(d)["state"] == "asleep"
        time.sleep(0.1)
    assert share < 0.2, "the worker used %.0f%% of a core with nothing to do" % (100 * share)
    assert asleep >= 8, "the worker was asleep at %d of 10 looks" % asleep
    assert h.alive()
    h.interrupt()


def test_trusted_edge_tag_flip(dpswitch, hostile, workdir):
    bed = Bed(dpswitch, workdir, trusted=True, e3=False)
    d, s = bed.d, bed.sock
    rx = hostile(["--path", s["e2"], "--attack", "rx", "--verify", "--duration", "120"])
    wait_attached(d, "e2")
    r = hostile(["--path", s["t1"], "--attack", "tag-flip", "--count", "20000"]).report(timeout=120)
    # The attack happened (how often the thread got to flip is the scheduler's).
    assert r["sent"] == 20000 and r["flips"] >= 1, r
    wait_attached(d, "t1", up=False)
    st = d.stats()
    assert st["t1"]["rx_packets"] == 20000, st["t1"]
    # Decided tagged (an access port: filtered) or untagged (flooded to e2, copied out).
    wait_until(lambda: d.stats()["e2"]["tx_packets"] + drops(d.stats()["e2"]) ==
               20000 - d.stats()["t1"]["drops"]["filtered"], 10,
               "every frame of t1 accounted for: %s" % d.stats())
    a = rx.interrupt()
    st = d.stats()
    assert a["corrupt"] == 0 and a["received"] == a["verified"] == st["e2"]["tx_packets"], \
        "frames that left the group were not those decided on: %s" % a
    assert st["t1"]["edge_copies"] == st["e2"]["tx_packets"] + drops(st["e2"]), st
    print("tag-flip: %d flips; t1 filtered %d, e2 got %d, all as decided" % (
        r["flips"], st["t1"]["drops"]["filtered"], a["received"]))
