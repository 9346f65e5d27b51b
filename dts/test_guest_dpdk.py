"""DPDK inside QEMU TCG guests: the DPDK guest image (scripts/build-guest.sh
--dpdk), launched by scripts/vm-launch.sh and driven over its console
(dts/guest.py). See docs/guest.md.

* A DPDK guest on DPDK's own virtio PMD (net_virtio) over a vhost-user
  port of dpswitch, the usual way DPDK guests meet a DPDK switch: the
  guest's virtio NIC on uio_pci_generic (pc machine, no IOMMU), or on
  vfio-pci (q35 with an emulated Intel IOMMU, --iova-mode=pa: the
  vhost-user device does not translate through the IOMMU). dpswitch-pktgen
  in the guest sends exactly N frames through a cross-connect to a pktgen
  on the host, then receives exactly N from it, then dpdk-testpmd in the
  guest (with the image's PMD and plugin directories) receives exactly M;
  the two ends and dpswitch's port counters agree to the frame.
* The shm launch option (vm-launch.sh --shm, beside a vhost NIC; with and
  without an IOMMU) with a minimal ivshmem server standing in for the
  switch: what a guest PMD can rely on under QEMU 7.2 TCG, seen with
  dps-ivshmem in the guest.
* vm-launch.sh's refusals of --shm, --sock and --image mistakes.
"""

import json
import os
import re
import time

import pytest

import dpsw
import guest
from dpsw import wait_until

SCRIPTS = os.path.join(dpsw.REPO, "scripts")
GUEST_MAC = "52:54:00:00:00:11"
VIRTIO_NET = "1af4:1000"        # QEMU's virtio-net-pci (transitional)
IVSHMEM = "1af4:1110"
N = 1000                        # frames each way (pktgen)
M = 500                         # frames to testpmd
TESTPMD_PROMPT = r"testpmd> "


def rx_of_guest_testpmd(g):
    """RX-packets of port 0 in the guest's interactive testpmd."""
    out = g.converse("show port stats 0", TESTPMD_PROMPT)
    m = re.search(r"RX-packets:\s+(\d+)", out)
    assert m, out
    return int(m.group(1))


def last_json(out):
    """The JSON report: the last line of a pktgen run's output that is one."""
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("no JSON report in:\n%s" % out)


def guest_pktgen(g, bdf, iova, args):
    """dpswitch-pktgen in the guest on the PCI device bdf (the virtio PMD,
    from the image's PMD directory), its JSON report on the console."""
    return ("dpswitch-pktgen -l 0 -d %s %s -a %s -- %s --json"
            % (guest.G_PMDS, g.eal("pg", *([iova] if iova else [])), bdf, args))


# (id, launch with --iommu, guest driver, EAL IOVA option)
BINDINGS = [
    ("uio", False, "uio_pci_generic", None),
    # IOVA as VA would be the default with an IOMMU, and QEMU then fails
    # to start vhost on the guest's virtual addresses ("unable to start
    # vhost net: 12"): the device is not behind the IOMMU.
    ("vfio", True, "vfio-pci", "--iova-mode=pa"),
]


@pytest.mark.parametrize("bind", BINDINGS, ids=[b[0] for b in BINDINGS])
def test_virtio_pmd_over_vhost(dpswitch, pktgen, dpdk_guests, workdir, bind):
    name, iommu, driver, iova = bind
    sg, sh = os.path.join(workdir, "g0.sock"), os.path.join(workdir, "h0.sock")
    d = dpswitch(ports=["g0 vhost iface=%s" % sg, "h0 vhost iface=%s" % sh],
                 execs=["xconnect add g0 h0"])
    t0 = time.monotonic()
    g, = dpdk_guests(dict(sock=sg, mac=GUEST_MAC, iommu=iommu))
    boot_s = time.monotonic() - t0

    bdfs = g.run("dps-bind %s %s" % (driver, VIRTIO_NET)).split()
    assert len(bdfs) == 1, bdfs
    bdf = bdfs[0]
    if iommu:
        group = g.run("basename $(readlink /sys/bus/pci/devices/%s/iommu_group)" % bdf).strip()
        assert g.run("ls /dev/vfio").split() == [group, "vfio"]
    assert not d.link_up("g0"), "the guest's NIC has no driver yet"

    # Guest -> host: the guest's pktgen sends N; --linger keeps its device
    # up until the switch has taken the last frame off the ring.
    rx = pktgen([sh], ["--mode", "rx", "--count", str(N)])
    d.wait_link("h0")
    t1 = time.monotonic()
    out = g.run(guest_pktgen(g, bdf, iova, "--mode tx --count %d --linger 2" % N), timeout=240)
    tx_s = time.monotonic() - t1
    assert "Probe PCI driver: net_virtio (%s) device: %s" % (VIRTIO_NET, bdf) in out, out
    gtx = last_json(out)
    assert gtx["tx_packets"] == N and gtx["tx_dropped"] == 0, gtx
    hrx = rx.report(60)
    assert (hrx["rx_packets"], hrx["rx_foreign"], hrx["rx_seq_gaps"],
            hrx["rx_reordered"]) == (N, 0, 0, 0), hrx
    # The guest's PMD stopped its device on exit: the vhost port is down.
    d.wait_link("g0", up=False, timeout=60)
    st = d.stats()
    assert (st["g0"]["rx_packets"], st["h0"]["tx_packets"]) == (N, N), st
    assert (st["h0"]["rx_packets"], st["g0"]["tx_packets"]) == (0, 0), st

    # Host -> guest: the guest's pktgen receives N. Its PMD brings the
    # vhost port up when it starts the device, rx ring filled.
    h = g.start(guest_pktgen(g, bdf, iova, "--mode rx --count %d" % N))
    d.wait_link("g0", timeout=120)
    # Paced: the guest's rx ring has 256 slots, and TCG polls slowly.
    tx = pktgen([sh], ["--mode", "tx", "--count", str(N), "--rate", "2000", "--linger", "1"])
    htx = tx.report(60)
    assert htx["tx_packets"] == N and htx["tx_dropped"] == 0, htx
    out = g.finish(h, timeout=240)
    grx = last_json(out)
    assert (grx["rx_packets"], grx["rx_foreign"], grx["rx_seq_gaps"],
            grx["rx_reordered"]) == (N, 0, 0, 0), grx

    d.wait_link("g0", up=False, timeout=60)

    # dpdk-testpmd in the guest, interactive on the console, with both
    # plugin directories (the virtio PMD and mempool handler; our
    # net_dpsw): rxonly counts exactly M frames from the host.
    h = g.start("dpdk-testpmd --lcores 0@0,1@0 --main-lcore 0 -d %s -d %s %s "
                "--log-level lib.eal:debug %s -a %s -- -i --forward-mode=rxonly "
                "--total-num-mbufs=2048" % (guest.G_PMDS, guest.G_PLUGINS, g.eal("tp"),
                                           iova or "", bdf))
    g.wait_for(TESTPMD_PROMPT, 120, h[1])
    out = g.text(h[1])
    for so in ("pmds/librte_net_virtio.so", "pmds/librte_mempool_ring.so",
               "plugins/librte_net_dpsw.so"):
        assert "EAL: open shared lib /usr/lib/dpdk/%s" % so in out, out
    g.converse("start", TESTPMD_PROMPT)
    d.wait_link("g0", timeout=120)
    tx = pktgen([sh], ["--mode", "tx", "--count", str(M), "--rate", "2000", "--linger", "1"])
    assert tx.report(60)["tx_packets"] == M
    wait_until(lambda: rx_of_guest_testpmd(g) == M, 60,
               lambda: "testpmd in the guest to count %d: %s" % (M, rx_of_guest_testpmd(g)))
    g.converse("quit", r"Bye\.\.\.")
    g.finish(h, timeout=60)

    st = d.stats()
    for port, (rxp, txp) in {"g0": (N, N + M), "h0": (N + M, N)}.items():
        assert (st[port]["rx_packets"], st[port]["tx_packets"]) == (rxp, txp), st
        assert (st[port]["rx_bytes"], st[port]["tx_bytes"]) == (60 * rxp, 60 * txp), st
        assert not any(st[port]["drops"].values()), st
    # Never a pass criterion; the guest's rx rate is the host's pacing.
    dpsw.figures("guest_dpdk_virtio_" + name, {
        "boot_s": round(boot_s, 1), "guest_tx_run_s": round(tx_s, 1),
        "guest_tx_mpps": gtx["tx_mpps"]})


# --------------------------------------------------------------------------
# --shm: an ivshmem-doorbell device on an ivshmem server.

@pytest.fixture
def ivshmem_servers(workdir):
    """Factory: ivshmem_servers(name, **kw) -> guest.IvshmemServer on
    workdir/name; every one is closed at teardown (after the guests,
    which come later in the test's arguments)."""
    made = []

    def make(name, **kw):
        s = guest.IvshmemServer(os.path.join(workdir, name), **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def probe(g, bdf, args=""):
    """dps-ivshmem's key=value lines as a dict (check=False: (rc, dict))."""
    rc, out = g.run("dps-ivshmem %s %s" % (bdf, args), check=False, timeout=120)
    kv = dict(re.findall(r"(\w+)=(\S+)", out))
    return rc, kv, out


def test_shm_device_in_guest(dpswitch, ivshmem_servers, dpdk_guests, workdir):
    """A guest with a vhost NIC and two ivshmem-doorbell devices (1 and 2
    queue pairs: 3 and 5 vectors) on a q35 machine with an Intel IOMMU:

    * vfio-pci binds each ivshmem device, each in an IOMMU group of its
      own; BAR2 is the server's region, IVPosition its guest id, MSI-X has
      1 + 2 x qpairs vectors;
    * doorbells: the guest's BAR0 writes for vectors 0..V-1 reach the
      server's eventfds, once each; the server's eventfds raise MSI-X
      vectors 0..V-1 in the guest, once each, but only when the guest set
      Bus Master Enable (QEMU drops a device's MSI-X writes without it);
    * uio_pci_generic binds it too, without an IRQ (the device has no
      INTx): BAR0 and BAR2 through sysfs, doorbells to the server work, no
      interrupts, a uio guest PMD polls.
    """
    sv = os.path.join(workdir, "v.sock")
    d = dpswitch(ports=["g0 vhost iface=%s" % sv])
    s1 = ivshmem_servers("iv1.sock", size=1 << 20, vectors=3, pattern=b"DPSIVSHM-one")
    s2 = ivshmem_servers("iv2.sock", size=2 << 20, vectors=5, pattern=b"DPSIVSHM-two")
    g, = dpdk_guests(dict(sock=sv, mac=GUEST_MAC, iommu=True,
                          shm=[s1.path, s2.path + ",qpairs=2"]))
    assert s1.connected() and s2.connected()
    pci = g.run("for d in /sys/bus/pci/devices/*; do echo ${d##*/} $(cat $d/vendor $d/device); done")
    assert "0x1af4 0x1000" in pci, pci          # the vhost NIC is there too
    bdfs = g.run("dps-bind vfio-pci %s" % IVSHMEM).split()
    assert len(bdfs) == 2, bdfs

    groups = []
    for bdf, srv, size in zip(bdfs, (s1, s2), (1 << 20, 2 << 20)):
        # The devices come in command-line order: s1's first.
        rc, kv, out = probe(g, bdf)
        assert rc == 0, out
        assert kv["driver"] == "vfio-pci" and int(kv["iommu_group"]) >= 0, out
        assert int(kv["bar2_size"]) == size and int(kv["ivposition"]) == 1, out
        assert kv["region_head"].startswith(srv.pattern.decode()), out
        assert int(kv["msix_vectors"]) == srv.vectors, out
        groups.append(kv["iommu_group"])
        assert g.run("ls /dev/vfio/%s" % kv["iommu_group"]).strip()

        vs = list(range(srv.vectors))
        # Without Bus Master Enable, nothing arrives.
        h = g.start("dps-ivshmem %s --no-master --msix 1 --timeout 3" % bdf)
        g.wait_for("msix=armed", 60, h[1])
        srv.ring(0)
        rc, out = g.finish(h, 120, check=False)
        assert rc == 1 and "msix_received=0 " in out, out
        # Guest -> server: one doorbell per vector.
        rc, kv, out = probe(g, bdf, "--ring " + ",".join(map(str, vs)))
        assert rc == 0, out
        wait_until(lambda: [srv.guest_rang(v) for v in vs] == [1] * len(vs), 30,
                   lambda: "the server to see one ring per vector: %s" % srv.rings)
        # Server -> guest: one MSI-X interrupt per vector.
        h = g.start("dps-ivshmem %s --msix %d --timeout 60" % (bdf, len(vs)))
        g.wait_for("msix=armed", 60, h[1])
        for v in vs:
            srv.ring(v)
        out = g.finish(h, 120)
        want = "msix_received=%d " % len(vs) + " ".join("v%d=1" % v for v in vs)
        assert want in out, out
    assert groups[0] != groups[1], groups

    # uio_pci_generic: bound, no IRQ, doorbells out still work.
    assert g.run("dps-bind uio_pci_generic %s" % IVSHMEM).split() == bdfs
    assert "uio_pci_generic %s: No IRQ assigned to device" % bdfs[0] in g.run("dmesg")
    before = s1.guest_rang(1)
    rc, kv, out = probe(g, bdfs[0], "--ring 1")
    assert rc == 0 and kv["driver"] == "uio_pci_generic", out
    assert kv["region_head"].startswith(s1.pattern.decode()), out
    wait_until(lambda: s1.guest_rang(1) == before + 1, 30, "the doorbell through uio")
    rc, kv, out = probe(g, bdfs[0], "--msix 1")
    assert rc == 2 and "needs the device on vfio-pci" in out, out


def test_shm_device_without_iommu(dpswitch, ivshmem_servers, dpdk_guests):
    """On QEMU's default machine (pc, no IOMMU) vfio-pci cannot take the
    ivshmem device (the cloud kernel has no vfio no-IOMMU mode); on
    uio_pci_generic its region and doorbells work, with no interrupt."""
    s = ivshmem_servers("iv.sock", vectors=3, pattern=b"DPSIVSHM-pc")
    g, = dpdk_guests(dict(shm=[s.path]))
    rc, out = g.run("dps-bind vfio-pci %s" % IVSHMEM, check=False)
    assert rc == 1 and "not bound to vfio-pci" in out, out
    assert re.search(r"vfio-pci: probe of \S+ failed with error -22", g.run("dmesg")), \
        g.run("dmesg | tail")
    bdf, = g.run("dps-bind uio_pci_generic %s" % IVSHMEM).split()
    rc, kv, out = probe(g, bdf, "--ring 1,2")
    assert rc == 0 and kv["driver"] == "uio_pci_generic" and kv["iommu_group"] == "-1", out
    assert kv["region_head"].startswith("DPSIVSHM-pc") and kv["ivposition"] == "1", out
    wait_until(lambda: s.rings == [0, 1, 1], 30, lambda: "doorbells 1 and 2: %s" % s.rings)


# --------------------------------------------------------------------------

def launch(*args):
    return dpsw.run([os.path.join(SCRIPTS, "vm-launch.sh")] + list(args), check=False)


def test_vm_launch_refusals(workdir):
    """Mistakes with the new options: one line naming the problem, exit 1,
    no QEMU started."""
    nosock = os.path.join(workdir, "none.sock")
    for args, needle in [
        (["--image", "dpdk", "--shm", nosock], "no socket there"),
        (["--image", "dpdk", "--shm", nosock + ",qpairs=0"], "want PATH or PATH,qpairs=N"),
        (["--image", "dpdk", "--shm", nosock + ",vectors=3"], "want PATH or PATH,qpairs=N"),
        (["--image", "dpdk", "--sock", nosock], "--sock needs --mac"),
        (["--image", "dpdk", "--ping", "10.0.0.1"], "are for the net image"),
        (["--image", "windows"], "--image must be net or dpdk"),
        (["--sock", nosock, "--mac", GUEST_MAC, "--ip", "10.0.0.1/24", "--shm", nosock],
         "--shm needs --image dpdk"),
    ]:
        r = launch(*args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert r.stdout == "" and len(r.stderr.splitlines()) == 1, (args, r.stderr)
        assert needle in r.stderr, (args, r.stderr)
    r = launch("--help")
    assert r.returncode == 0 and "--shm PATH[,qpairs=N]" in r.stdout and "--iommu" in r.stdout
