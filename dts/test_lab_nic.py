"""dpswitch owning NICs: the NIC lab (lab.py, docs/lab.md). A TCG guest
with two emulated igb NICs (Intel 82576, the PF 8086:10c9) on vfio-pci
runs dpswitch on both; each NIC's wire is a host tap in a namespace of
its own, where scapy sends and captures (no address, IPv6 off: nothing
but the test's frames crosses).

* the PFs bridge frames both ways, exactly: counted once per port and
  direction, learned on the right port, every frame's length intact;
* a PF EAL probed at start-up is adopted by its port, or probed again
  when the port gives driver devargs of its own;
* a VLAN trunk on a PF: tagged frames reach the access port untagged and
  come back tagged; a VLAN the access port is not in stays out;
* the worker parks on the NICs' MSI-X (through the emulated IOMMU) and
  wakes for each frame;
* VFs of a PF the switch owns (one process, with the VF token): a VF
  cross-connected to the other PF carries frames to and from its MAC
  exactly; a PF and its VF bridged in one VLAN do not loop a broadcast
  through the NIC's embedded switch (split horizon); without the token a
  VF is refused in one line;
* port add of a PCI function that is absent, unbound, or held by another
  DPDK process: one line each, and the switch keeps serving.
"""

import time
import uuid

import pytest

import lab as lablib
from dpsw import wait_until
from scapy_frames import Sniffer, frame, send

HOST_A = "02:1a:00:00:00:0a"   # behind NIC 0's wire
HOST_B = "02:1a:00:00:00:0b"   # behind NIC 1's wire
N = 200


@pytest.fixture
def two_pfs(lab):
    """The lab with dpswitch on both PFs as ports p0, p1, links up."""
    L = lab(nb_nics=2)
    n0, n1 = L.nics
    L.start_switch(ports=["p0 pci %s" % n0.bdf, "p1 pci %s" % n1.bdf])
    L.wait_link("p0")
    L.wait_link("p1")
    return L


def test_pf_devargs_probe_again(lab):
    """EAL probed the allow-listed PF at start-up; a port given driver
    devargs of its own probes it again with them (and is not refused as a
    device in use)."""
    L = lab(nb_nics=1)
    n0, = L.nics
    L.start_switch(ports=["p0 pci %s,dps-test=1" % n0.bdf], allow=[n0.bdf])
    L.wait_link("p0")
    assert L.ports()["p0"]["args"] == "%s,dps-test=1" % n0.bdf, L.ports()
    log = L.switch_log()
    # Probed by EAL at start-up, then again with the devargs.
    assert log.count("Probe PCI driver: net_e1000_igb (8086:10c9) device: %s" % n0.bdf) == 2, log
    assert "port p0 added" in log


def ours(frames, src):
    return [f for f in frames if f["src"] == src]


def test_pf_bridge_exact(two_pfs):
    L = two_pfs
    n0, n1 = L.nics
    # B speaks first (flooded to A): the bridge learns it on p1.
    sn0 = Sniffer(n0.ns, n0.tap, 60, src=HOST_B, count=1)
    send(n1.ns, n1.tap, [frame(HOST_B, size=100)])
    wait_until(lambda: L.stats()["p1"]["rx_packets"] >= 1, 30, "p1 to receive B's frame")
    got = ours(sn0.frames(), HOST_B)
    assert [f["len"] for f in got] == [100], got
    # N unicast frames A -> B of three sizes: all to p1 only, none lost.
    sizes = [60, 512, 1514]
    sn1 = Sniffer(n1.ns, n1.tap, 120, src=HOST_A, count=N)
    frames = [frame(HOST_A, HOST_B, size=sizes[i % 3]) for i in range(N)]
    send(n0.ns, n0.tap, frames)
    wait_until(lambda: L.stats()["p1"]["tx_packets"] >= N, 60, "p1 to send A's frames")
    got = ours(sn1.frames(), HOST_A)
    assert len(got) == N, (len(got), L.stats())
    assert sorted(f["len"] for f in got) == sorted(sizes[i % 3] for i in range(N))
    assert all(f["dst"] == HOST_B and f["tags"] == [] for f in got)
    st = L.stats()
    assert (st["p0"]["rx_packets"], st["p0"]["tx_packets"]) == (N, 1), st["p0"]
    assert (st["p1"]["rx_packets"], st["p1"]["tx_packets"]) == (1, N), st["p1"]
    assert st["p0"]["rx_bytes"] == sum(sizes[i % 3] for i in range(N)), st["p0"]
    for p in ("p0", "p1"):
        assert not any(st[p]["drops"].values()), st[p]
    macs = {m["mac"].lower(): m["port"] for m in L.ok("mac show", json=True)["macs"]}
    assert macs.get(HOST_A) == "p0" and macs.get(HOST_B) == "p1", macs
    L.stop_switch()               # quit: the daemon exits by itself, status 0


def test_pf_vlan_trunk(two_pfs):
    """p0 a trunk for VLANs 10 and 20, p1 an access port of VLAN 10."""
    L = two_pfs
    n0, n1 = L.nics
    L.ok("vlan trunk p0 10,20")
    L.ok("vlan access p1 10")
    sn1 = Sniffer(n1.ns, n1.tap, 60, src=HOST_A, count=5)
    send(n0.ns, n0.tap, [frame(HOST_A, tags=[(0x8100, 10)], size=120) for _ in range(5)] +
         [frame(HOST_A, tags=[(0x8100, 20)], size=120) for _ in range(5)])
    wait_until(lambda: L.stats()["p0"]["rx_packets"] >= 10, 30, "p0 to receive the 10 frames")
    got = ours(sn1.frames(), HOST_A)
    # VLAN 10 only, untagged (the tag's 4 bytes gone); none of VLAN 20 left p1.
    assert len(got) == 5 and all(f["tags"] == [] and f["len"] == 116 for f in got), got
    assert L.stats()["p1"]["tx_packets"] == 5, L.stats()["p1"]
    sn0 = Sniffer(n0.ns, n0.tap, 60, src=HOST_B, count=3)
    send(n1.ns, n1.tap, [frame(HOST_B, size=100) for _ in range(3)])
    wait_until(lambda: L.stats()["p0"]["tx_packets"] >= 3, 30, "p0 to send B's frames")
    got = ours(sn0.frames(), HOST_B)
    assert len(got) == 3 and all(f["tags"] == [10] and f["len"] == 104 for f in got), got


def worker(L):
    return L.ok("lcore show", json=True)["workers"][0]


def test_pf_worker_parks(two_pfs):
    """Frames half a second apart: the worker sleeps between them and an
    rx interrupt (the NIC's MSI-X vector, remapped by the emulated IOMMU)
    wakes it for each."""
    L = two_pfs
    n0, _ = L.nics
    ports = L.ports()
    assert ports["p0"]["wake"] == ports["p1"]["wake"] == "interrupt", ports
    time.sleep(1)
    w0 = worker(L)
    for _ in range(8):
        send(n0.ns, n0.tap, [frame(HOST_A, size=64)])
        time.sleep(0.5)
    wait_until(lambda: L.stats()["p0"]["rx_packets"] >= 8, 30, "p0 to receive the 8 frames")
    w1 = worker(L)
    woke = w1["wakeups"]["rx"] - w0["wakeups"]["rx"]
    sleeps = w1["sleeps"] - w0["sleeps"]
    assert woke >= 7 and sleeps >= 7, (w0, w1)
    assert w1["state"] == "asleep", w1


def test_pf_rss(lab):
    """queues=2 on a PF: the NIC spreads flows over both rx queues by RSS,
    each queue on a worker of its own; every frame counted once."""
    from scapy.all import IP, UDP, Ether
    L = lab(nb_nics=2, smp=3)
    n0, n1 = L.nics
    L.start_switch(ports=["p0 pci %s,queues=2" % n0.bdf, "p1 pci %s" % n1.bdf],
                   lcores="0,1,2")
    L.wait_link("p0")
    L.wait_link("p1")
    assert L.ports()["p0"]["rx_queues"] == 2
    lc = L.ok("lcore show", json=True)
    placed = {(q["port"], q["queue"]): w["lcore"] for w in lc["workers"] for q in w["rx_queues"]}
    assert placed[("p0", 0)] != placed[("p0", 1)], lc
    flows = [bytes(Ether(src=HOST_A, dst=HOST_B) / IP(src="10.0.%d.%d" % (i // 200, i % 200 + 1),
                                                      dst="10.9.0.1") /
                   UDP(sport=1000 + i, dport=4789) / (b"\x00" * 40)).hex() for i in range(64)]
    sn1 = Sniffer(n1.ns, n1.tap, 120, src=HOST_A, count=len(flows))
    send(n0.ns, n0.tap, flows)
    assert len(ours(sn1.frames(), HOST_A)) == len(flows)
    st = L.stats()
    assert (st["p0"]["rx_packets"], st["p1"]["tx_packets"]) == (64, 64), st
    rx = {w["lcore"]: w["rx_packets"] for w in L.ok("lcore show", json=True)["workers"]}
    q1 = rx[placed[("p0", 1)]]
    assert 0 < q1 < 64 and sum(rx.values()) == 64, (rx, placed)
    # igb has no RSS with SR-IOV on: with VFs the PF comes back with one
    # queue (said in the log), without them with two again.
    L.ok("vf create p0 1")
    L.wait_link("p0")
    assert L.ports()["p0"]["rx_queues"] == 1
    assert "port p0: the device refused 2 rx queues spread by RSS and 2 tx queues " \
        "(Invalid argument): 1 of each" in L.switch_log()
    assert L.ports()["p0"]["tx_queues"] == 1
    L.ok("vf remove p0")
    L.wait_link("p0")
    assert (L.ports()["p0"]["rx_queues"], L.ports()["p0"]["tx_queues"]) == (2, 2)


def test_pci_port_errors(lab):
    """Every mistake with a PCI function is one line, and the switch keeps
    serving its PF port."""
    L = lab(nb_nics=2)
    n0, n1 = L.nics
    L.start_switch(ports=["p0 pci %s" % n0.bdf], allow=[n0.bdf])
    L.wait_link("p0")

    def refused(args):
        rc, out = L.ctl("port add x pci %s" % args)
        assert rc != 0, out
        lines = [ln for ln in out.splitlines() if ln.strip()]
        assert len(lines) == 1, out
        return lines[0]

    assert "no PCI device 0000:09:00.0" in refused("0000:09:00.0")
    assert "'1:2:3' is not a PCI address" in refused("1:2:3")
    assert "is already switch port 'p0'" in refused(n0.bdf)
    L.g.run("echo %s > /sys/bus/pci/devices/%s/driver/unbind" % (n1.bdf, n1.bdf))
    assert "PCI device %s has no driver, not vfio-pci or uio (bind it: dpdk-devbind.py -b " \
        "vfio-pci %s)" % (n1.bdf, n1.bdf) in refused(n1.bdf)
    # The switch's own devargs of a pci port.
    L.bind("vfio-pci", n1.bdf)
    assert "port 'x': queues=0 is not a number in 1..16" in refused(n1.bdf + ",queues=0")
    assert "port 'x': rx-intr=maybe is not on or off" in refused(n1.bdf + ",rx-intr=maybe")
    assert "port 'x': option 'queues' is given more than once" in \
        refused(n1.bdf + ",queues=2,queues=2")
    # Bound to the wrong driver: the kernel's igb.
    L.g.run("dps-kmod")
    L.bind("igb", n1.bdf)
    assert "PCI device %s is bound to 'igb', not vfio-pci or uio (bind it: dpdk-devbind.py " \
        "-b vfio-pci %s)" % (n1.bdf, n1.bdf) in refused(n1.bdf)
    # Another DPDK process (a second switch) holds NIC 1.
    L.bind("vfio-pci", n1.bdf)
    other = L.g.run("dpswitch -l 0,1 -d %s --in-memory -m 64 --file-prefix other -a %s -- "
                    "-s /tmp/other.sock -p 'q pci %s' > /tmp/other.log 2>&1 & echo $!"
                    % (lablib.G_SWITCH_PMDS, n1.bdf, n1.bdf)).split()[-1]
    wait_until(lambda: "control socket" in L.g.run("cat /tmp/other.log"), 60,
               "the other switch to start")
    assert "is in use by another process (its IOMMU group" in refused(n1.bdf)
    # SIGTERM, and reaped by the shell that started it (a zombie still
    # answers kill -0).
    L.g.run("kill %s; wait %s" % (other, other), timeout=120)
    # Free again: the same command adds it.
    L.ok("port add x pci %s" % n1.bdf)
    L.wait_link("x")
    assert L.ports()["p0"]["link_up"]


def test_vf(lab):
    L = lab(nb_nics=2)
    n0, n1 = L.nics
    token = str(uuid.uuid4())
    L.start_switch(ports=["p0 pci %s" % n0.bdf, "p1 pci %s" % n1.bdf],
                   extra_eal="--vfio-vf-token=%s" % token)
    # VFs through the switch: p0 is probed again (igb reads the VF count at
    # probe) and comes back under its name; vfio-pci takes the VFs.
    L.ok("vf create p0 2")
    L.wait_link("p0")
    vfs = L.g.run("for v in /sys/bus/pci/devices/%s/virtfn*; do basename $(readlink $v);"
                  " done" % n0.bdf).split()
    shown = L.ok("vf show p0", json=True)
    assert (shown["device"], shown["total_vfs"]) == ("net_e1000_igb %s" % n0.bdf, 8), shown
    assert [(v["vf"], v["pci"], v["driver"], v["port"]) for v in shown["vfs"]] == \
        [(0, vfs[0], "vfio-pci", ""), (1, vfs[1], "vfio-pci", "")], shown
    # DPDK 22.11's igb PF has no per-VF calls: every setting is refused in one line.
    for what, value in (("mac", "02:00:00:00:00:10"), ("vlan", "100"), ("spoofchk", "on"),
                        ("trust", "on"), ("link", "off"), ("rate", "100")):
        rc, out = L.ctl("vf set p0 0 %s %s" % (what, value))
        assert rc != 0 and out.strip() == (
            "error: net_e1000_igb %s cannot set a VF's %s: its DPDK driver has no per-VF "
            "calls (leave the PF to its kernel driver and use 'vf set netdev:IFNAME')"
            % (n0.bdf, what)), out
    L.ok("port add v0 pci %s" % vfs[0])
    L.ok("xconnect add v0 p1")
    for p in ("p0", "p1", "v0"):
        L.wait_link(p)
    vmac = L.ports()["v0"]["mac"].lower()
    # To the VF's MAC: the NIC hands them to the VF only; cross-connected to p1.
    sn1 = Sniffer(n1.ns, n1.tap, 60, src=HOST_A, count=20)
    send(n0.ns, n0.tap, [frame(HOST_A, vmac, size=100 + i) for i in range(20)])
    wait_until(lambda: L.stats()["p1"]["tx_packets"] >= 20, 30, "p1 to send the VF's frames")
    got = ours(sn1.frames(), HOST_A)
    assert sorted(f["len"] for f in got) == list(range(100, 120)), got
    st = L.stats()
    assert (st["v0"]["rx_packets"], st["p0"]["rx_packets"]) == (20, 0), st
    # Back through the VF onto the wire.
    sn0 = Sniffer(n0.ns, n0.tap, 60, src=HOST_B, count=10)
    send(n1.ns, n1.tap, [frame(HOST_B, HOST_A, size=200) for _ in range(10)])
    wait_until(lambda: L.stats()["v0"]["tx_packets"] >= 10, 30, "v0 to send B's frames")
    got = ours(sn0.frames(), HOST_B)
    assert len(got) == 10 and all(f["dst"] == HOST_A and f["len"] == 200 for f in got), got

    # The PF and its VF in one VLAN of the bridge: broadcasts from the
    # wire reach both functions, and nothing loops.
    L.ok("xconnect del v0")
    before = L.stats()
    send(n0.ns, n0.tap, [frame(HOST_A, size=90) for _ in range(5)])
    wait_until(lambda: L.stats()["p1"]["tx_packets"] >= before["p1"]["tx_packets"] + 5, 30,
               "p1 to flood A's broadcasts")
    time.sleep(2)
    st = L.stats()
    rx = {p: st[p]["rx_packets"] - before[p]["rx_packets"] for p in ("p0", "v0")}
    assert rx == {"p0": 5, "v0": 5}, (rx, st)
    # Each function's copy goes to p1 only, never back into the NIC; the
    # second copy of a source is a move the bridge holds (dropped, counted)
    # unless the hold is off or has passed: 5 to 10 on p1, all accounted.
    held = sum(st[p]["drops"]["mac_move"] - before[p]["drops"]["mac_move"] for p in ("p0", "v0"))
    out = st["p1"]["tx_packets"] - before["p1"]["tx_packets"]
    assert 5 <= out <= 10 and out + held == 10, (out, held, st)
    assert st["p0"]["tx_packets"] == before["p0"]["tx_packets"], st
    assert st["v0"]["tx_packets"] == before["v0"]["tx_packets"], st
    assert "a function of the same NIC as port p0" in L.switch_log()

    # VFs a port drives stay; once it is gone they go, and p0 comes back.
    vmac_shown = L.ok("vf show p0", json=True)["vfs"][0]
    assert (vmac_shown["port"], vmac_shown["mac"].lower()) == ("v0", vmac), vmac_shown
    rc, out = L.ctl("vf remove p0")
    assert rc != 0 and out.strip() == (
        "error: net_e1000_igb %s: VF 0 (%s) is switch port 'v0': port del it first"
        % (n0.bdf, vfs[0])), out
    L.ok("port del v0")
    L.ok("vf remove p0")
    assert L.g.run("cat /sys/bus/pci/devices/%s/sriov_numvfs" % n0.bdf).strip() == "0"
    L.wait_link("p0")
    before = L.stats()
    sn1 = Sniffer(n1.ns, n1.tap, 60, src=HOST_A, count=5)
    send(n0.ns, n0.tap, [frame(HOST_A, size=80) for _ in range(5)])
    assert len(ours(sn1.frames(), HOST_A)) == 5
    assert L.stats()["p0"]["rx_packets"] - before["p0"]["rx_packets"] == 5


def test_vf_without_token(lab):
    """A VF of a PF on vfio-pci opens only with the PF owner's VF token:
    without it, one line that says what to do."""
    L = lab(nb_nics=1)
    n0, = L.nics
    vfs = L.create_vfs(n0, 1)
    L.start_switch(ports=["p0 pci %s" % n0.bdf], allow=[n0.bdf])
    L.wait_link("p0")
    rc, out = L.ctl("port add v0 pci %s" % vfs[0])
    assert rc != 0 and out.strip() == (
        "error: port 'v0': PCI device %s is a VF of %s, which vfio-pci drives: start "
        "dpswitch with the PF owner's --vfio-vf-token=UUID" % (vfs[0], n0.bdf)), out
    assert L.ports()["p0"]["link_up"]


def test_launch_lab(lab):
    """dpswitch-launch in the lab guest (docs/launch.md): from one config
    it binds both NICs to vfio-pci (one from the kernel's igb, one from no
    driver), gives NIC 0 two VFs on vfio-pci, reserves more hugepages and
    starts the switch with its ports and a cross-connect; a frame crosses;
    stop gives everything back as it was."""
    L = lab(nb_nics=2)
    n0, n1 = L.nics
    g = L.g
    g.run("dps-kmod")
    L.bind("igb", n0.bdf)
    g.run("echo %s > /sys/bus/pci/devices/%s/driver/unbind" % (n1.bdf, n1.bdf))
    pages = int(g.run("cat /proc/sys/vm/nr_hugepages"))
    vf0 = n0.bdf[:-4] + "10.0"
    g.run("printf '%%s\\n' 'port add p0 pci %s' 'port add p1 pci %s' 'port add v0 pci %s' "
          "'xconnect add v0 p1' > /tmp/lab.cmds" % (n0.bdf, n1.bdf, vf0))
    g.run("printf '%%s\\n' 'hugepages %dM' 'nic %s' 'nic %s' 'vfs %s 2' 'vf-bind %s' "
          "'lcores 0,1' 'eal -d %s --in-memory -m 256' 'commands /tmp/lab.cmds' "
          "'socket %s' > /tmp/launch.conf"
          % ((pages + 16) * 2, n0.bdf, n1.bdf, n0.bdf, n0.bdf, lablib.G_SWITCH_PMDS,
             lablib.SW_SOCK))
    out = g.run("dpswitch-launch start /tmp/launch.conf 2>&1", timeout=180)
    assert "running, pid" in out, out

    def drv(bdf):
        return g.run("basename $(readlink /sys/bus/pci/devices/%s/driver) 2>/dev/null; true"
                     % bdf).strip()
    assert (drv(n0.bdf), drv(n1.bdf), drv(vf0)) == ("vfio-pci",) * 3
    assert int(g.run("cat /proc/sys/vm/nr_hugepages")) == pages + 16
    for p in ("p0", "p1", "v0"):
        L.wait_link(p)
    vmac = L.ports()["v0"]["mac"].lower()
    sn1 = Sniffer(n1.ns, n1.tap, 60, src=HOST_A, count=10)
    send(n0.ns, n0.tap, [frame(HOST_A, vmac, size=90) for _ in range(10)])
    assert len(ours(sn1.frames(), HOST_A)) == 10
    assert L.stats()["v0"]["rx_packets"] == 10

    out = g.run("dpswitch-launch stop 2>&1", timeout=180)
    assert (drv(n0.bdf), drv(n1.bdf)) == ("igb", ""), out
    assert g.run("cat /sys/bus/pci/devices/%s/sriov_numvfs" % n0.bdf).strip() == "0"
    assert int(g.run("cat /proc/sys/vm/nr_hugepages")) == pages
    assert g.run("pidof dpswitch; true").strip() == ""
    assert g.run("ls /run/dpswitch-launch").split() == ["dpswitch.log"]
    assert g.run("[ -e %s ] && echo left; true" % lablib.SW_SOCK).strip() == ""


def test_lab_script():
    """scripts/lab.sh: the lab from one command (here with -c), and nothing
    of it left after: no QEMU, no namespace, no tap."""
    import os
    import subprocess

    def qemus():
        """QEMU processes alive (zombies left to an init that does not reap excluded)."""
        out = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True).stdout
        return sum(1 for ln in out.splitlines()
                   if "qemu-system" in ln and not ln.lstrip().startswith("Z"))

    def spaces():
        return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    before = (qemus(), spaces())
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "scripts", "lab.sh")
    r = subprocess.run([script, "--nics", "1", "-c", "cat /sys/bus/pci/devices/0000:01:00.0/device",
                        "-c", "basename $(readlink /sys/bus/pci/devices/0000:01:00.0/driver)"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == ["0x10c9", "vfio-pci"], r.stdout
    assert "lab: NIC 0: 0000:01:00.0 in the guest (vfio-pci)" in r.stderr
    assert (qemus(), spaces()) == before
