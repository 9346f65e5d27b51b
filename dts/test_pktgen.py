"""dpswitch-pktgen through the real daemon: its counts agree exactly with the
switch's port counters, and ping gets an answer for every probe.

Test bed: dpswitch with two vhost ports v0, v1. The generator is one
dpswitch-pktgen process with a virtio-user port on each (tx on v0, rx on
v1, one loop on one lcore); for ping, a pinger on v0 and a reflector process
on v1. Every pktgen process gets --no-pci, its own --file-prefix and
--in-memory; each is stopped by pid at teardown, before the switch.
"""

import json
import os

import pytest

import dpsw
from dpsw import wait_until

COUNT = 10000
# Modest, so a shared core that deschedules the generator for a time slice
# cannot overflow the 1024-slot rings: nothing may be dropped.
RATE = 100000


@pytest.fixture
def bed(dpswitch, workdir):
    socks = [os.path.join(workdir, "v%d.sock" % i) for i in (0, 1)]
    d = dpswitch(ports=["v%d vhost iface=%s" % (i, s) for i, s in enumerate(socks)])
    d.ok("port clear")
    return d, socks


def test_txrx_counts_match_switch(bed, pktgen):
    """--learn, then exactly COUNT frames v0 -> v1 through the bridge: every
    one arrives, and the switch counted exactly what pktgen counted."""
    d, socks = bed
    r = pktgen(socks, ["--mode", "txrx", "--count", str(COUNT), "--learn",
                       "--rate", str(RATE), "--flows", "16"]).report()
    assert r["mode"] == "txrx"
    assert r["tx_packets"] == r["rx_packets"] == COUNT, \
        "pktgen %s\nswitch %s" % (json.dumps(r), json.dumps(d.stats()))
    assert r["loss_packets"] == 0 and r["rx_foreign"] == 0 and r["rx_early"] == 0, r
    assert r["tx_bytes"] == r["rx_bytes"] == COUNT * 60, r
    assert r["learn_tx_packets"] == 16, r

    # One broadcast per flow from v1; its floods come back out of v0 (if v0
    # was already up in the switch when they arrived: pktgen counts them).
    want = {"v0": (r["tx_packets"], r["tx_bytes"], r["learn_rx_packets"]),
            "v1": (r["learn_tx_packets"], r["learn_tx_packets"] * 60, r["rx_packets"])}

    def counters():
        st = d.stats()
        return {p: (st[p]["rx_packets"], st[p]["rx_bytes"], st[p]["tx_packets"])
                for p in ("v0", "v1")}
    wait_until(lambda: counters() == want, 10,
               "switch counters %s == pktgen's %s" % (counters(), want))
    # pktgen sees its own link up before the switch sees it: learning floods
    # that find v0 not yet up in the switch are dropped there as no_route.
    st = d.stats()
    want_drops = {"v0": {}, "v1": {"no_route": r["learn_tx_packets"] - r["learn_rx_packets"]}}
    for p in ("v0", "v1"):
        drops = {k: v for k, v in st[p]["drops"].items() if v}
        assert drops == {k: v for k, v in want_drops[p].items() if v}, (p, drops, r)
    macs = d.mac_ports()
    for i in range(1, 17):
        assert macs["02:00:00:00:00:%02x" % i] == [("v1", 1)], macs
    assert macs["02:00:00:00:ff:01"] == [("v0", 1)], macs


def test_ping_through_switch(bed, pktgen):
    """20 busy-polled pings from v0, a reflector on v1: 20 RTT samples."""
    d, socks = bed
    refl = pktgen([socks[1]], ["--mode", "reflect", "--ping-mode", "block"])
    d.wait_link("v1")
    # The warm-up pings let the switch see v0 up and learn both MACs; the
    # counted ones start after it.
    r = pktgen([socks[0]], ["--mode", "ping", "--ping-mode", "busy", "--count", "20",
                            "--interval", "2000", "--warmup", "0.5"]).report()
    rtt = r["rtt_us"]
    assert r["tx_packets"] == r["rx_packets"] == 20, r
    assert r["loss_packets"] == 0 and r["ping_timeouts"] == 0, r
    assert rtt["samples"] == 20, r
    assert 0 < rtt["min"] <= rtt["p50"] <= rtt["p99"] <= rtt["max"], rtt
    assert rtt["min"] <= rtt["avg"] <= rtt["max"], rtt
    rr = refl.interrupt()
    assert rr["mode"] == "reflect" and rr["tx_packets"] >= 20, rr


@pytest.mark.parametrize("args, message", [
    (["--mode", "rx", "--gap", "100"], "--gap applies to --mode tx, not rx"),
    (["--mode", "tx", "--gap", "5-2"], "--gap must be microseconds N or MIN-MAX"),
    (["--mode", "tx", "--gap", "-3"], "--gap must be microseconds"),
    (["--mode", "tx", "--latency"], "--latency applies to --mode rx, not tx"),
    (["--mode", "ping", "--interval", "300-100"], "--interval must be microseconds"),
    (["--mode", "ping", "--interval", "1-x"], "--interval must be microseconds"),
    (["--mode", "txrx", "--drain", "61"], "--drain must be at most 60 seconds"),
])
def test_bad_options(args, message):
    """Option mistakes are caught before EAL starts: exit 2, one line."""
    r = dpsw.run([dpsw.PKTGEN_BIN, "--"] + args, check=False)
    assert r.returncode == 2, r
    assert message in r.stderr and r.stderr.count("\n") == 1, r.stderr
