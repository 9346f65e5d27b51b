"""The switch crashes under traffic and comes back (issue 12, item 5).

kill -9 the daemon while traffic flows on every kind of port a peer keeps
across a restart, start it again with the same command line and start-up
file, and every peer resumes by itself, none restarted:

* virtio-user peers (dpswitch-pktgen) are vhost-user *servers* (server=1) and the
  switch's vhost ports are clients (client=1): DPDK's vhost library
  reconnects a client by itself, and virtio-user in server mode takes a
  new backend (a virtio-user client does not wait for one). QEMU guests
  are the other way round (test_guest_survives_restart): QEMU is a
  reconnecting client (reconnect=1) of the switch's server socket.
* net_dpsw peers (dpswitch-pktgen too) attach again by themselves
  (reconnect-ms), their link down meanwhile.

What the crash costs is what was in flight and what was sent while the
switch was away; the figures (frames lost per restart) are printed and,
with DTS_FIGURES=FILE, written for scripts/soak. Counts asserted: traffic
flows end to end after every restart; the peers' own counters agree with
what the last switch instance forwarded, no frame altered or reordered; the killed instances left no
hugepage files behind.
"""

import os

import pytest

import dpsw
from dpsw import figures, wait_until

RESTARTS = int(os.environ.get("DTS_RESTARTS", "8"))
MAC_A, MAC_B = "02:00:00:00:0a:01", "02:00:00:00:0b:01"
TX_MAC, RX_MAC = "02:00:00:00:00:f1", "02:00:00:00:00:f2"


def flowing(d, pairs, least):
    """Every (in, out) port pair forwarded at least `least` frames since this
    switch instance started."""
    st = d.stats()
    return all(st[i]["rx_packets"] >= least and st[o]["tx_packets"] >= least
               for i, o in pairs)


# A restarted vhost-user backend finds rings in use: the vhost library says
# so, as it does for the reconnect it retries until the peer's socket is up.
@pytest.mark.log_allow(r"WARNING: VHOST_CONFIG: \(.*\) last_used_idx \(0\) and vq->used->idx "
                       r"\(\d+\) mismatches",
                       r"WARNING: VHOST_CONFIG: \(.*\) some packets maybe resent for Tx and "
                       r"dropped for Rx",
                       r"WARNING: VHOST_CONFIG: \(.*\) failed to connect: No such file")
def test_kill9_restart_under_traffic(dpswitch, pktgen, workdir):
    ws = {n: os.path.join(workdir, n + ".sock") for n in ("va", "vb", "sa", "sb")}
    cfg = os.path.join(workdir, "switch.conf")
    with open(cfg, "w") as f:
        f.write("port add va vhost iface=%s,client=1\n" % ws["va"])
        f.write("port add vb vhost iface=%s,client=1\n" % ws["vb"])
        f.write("port add sa shm path=%s\n" % ws["sa"])
        f.write("port add sb shm path=%s\n" % ws["sb"])
        # Receivers never send: their addresses are static, as a start-up
        # file would have them, so the bridge need not flood.
        f.write("mac add %s vb\n" % MAC_B)
        f.write("mac add %s sb\n" % RX_MAC)
    d = dpswitch(config=cfg)
    # One generator per path, sending at a known rate from its first port
    # and receiving on its second.
    server = "net_virtio_user%d,path=%s,server=1,queues=1"
    pv = pktgen(None, ["--mode", "txrx", "--rate", "20000", "--src-mac", MAC_A,
                       "--dst-mac", MAC_B],
                vdevs=[server % (0, ws["va"]), server % (1, ws["vb"])])
    ps = pktgen(None, ["--mode", "txrx", "--rate", "20000", "--src-mac", TX_MAC,
                       "--dst-mac", RX_MAC],
                vdevs=[dpsw.dpsw_vdev(0, ws["sa"]), dpsw.dpsw_vdev(1, ws["sb"])])
    pairs = [("va", "vb"), ("sa", "sb")]
    for p in ("va", "vb", "sa", "sb"):
        d.wait_link(p)
    wait_until(lambda: flowing(d, pairs, 1000), 30, "traffic on both paths")
    base = d.resources()

    for i in range(RESTARTS):
        d.kill9()
        d.restart()
        for p in ("va", "vb", "sa", "sb"):
            d.wait_link(p, timeout=30)
        wait_until(lambda: flowing(d, pairs, 1000), 30,
                   "traffic on both paths after restart %d: %s" % (i + 1, d.stats()))
        assert pv.alive() and ps.alive(), "a peer died with the switch"

    # The books: each generator's own counts, and the last switch
    # instance's (the earlier ones died with their counters).
    rv, rs = pv.interrupt(), ps.interrupt()
    last = d.stats()
    for r, (i, o) in ((rv, pairs[0]), (rs, pairs[1])):
        assert r["rx_foreign"] == 0 and r["rx_reordered"] == 0, r
        # Every frame the last instance took in went out or was dropped
        # for a counted reason (the generators' ports close at the end).
        dropped = sum(last[i]["drops"].values()) + sum(last[o]["drops"].values())
        assert last[i]["rx_packets"] == last[o]["tx_packets"] + dropped, last
        assert last[o]["tx_packets"] > 0, last
        # What the last instance forwarded arrived (and more, before it).
        assert r["rx_packets"] >= last[o]["tx_packets"], (r, last)
        assert r["tx_packets"] >= r["rx_packets"], r
    # Nothing the killed instances had is left over: the hugepage files of
    # the prefix are the last instance's only, as many as the first had;
    # no mbuf is held once the traffic stopped.
    now = d.resources()
    assert now["hugepage_files"] == base["hugepage_files"], (base, now)
    wait_until(lambda: d.resources()["mbufs_in_use"] == 0, 10, "mbufs back in the pool")
    figures("kill9_restart", {
        "restarts": RESTARTS, "rate_pps": 20000,
        "vhost_sent": rv["tx_packets"], "vhost_received": rv["rx_packets"],
        "vhost_lost_per_restart": (rv["tx_packets"] - rv["rx_packets"]) / RESTARTS,
        "shm_sent": rs["tx_packets"], "shm_received": rs["rx_packets"],
        "shm_lost_per_restart": (rs["tx_packets"] - rs["rx_packets"]) / RESTARTS,
        "hugepage_files": now["hugepage_files"]})
