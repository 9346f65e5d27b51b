"""The NIC lab (docs/lab.md): a TCG guest (q35 with an emulated Intel
IOMMU) whose emulated Intel NICs (igb: the 82576 with SR-IOV) have host
taps for wires, each tap moved into a network namespace of its own, and
dpswitch running inside the guest on the NICs' PCI functions (vfio-pci).
Frames enter and leave the NICs from the host, where scapy sends and
captures them (scapy_frames.py); the switch is asked through dpswitch-ctl
in the guest.

Use through the `lab` fixture (conftest.py), which kills the guest (and
with it the switch and the taps) and deletes the namespaces whatever
happened.
"""

import json as jsonlib
import shlex

import dpsw
import guest
from dpsw import wait_until

G_SWITCH_PMDS = "/usr/lib/dpdk/switch-pmds"
SW_SOCK = "/tmp/dpswitch.sock"
SW_LOG = "/tmp/dpswitch.log"
PF_ID = "8086:10c9"                # igb (82576) physical function
VF_ID = "8086:10ca"                # ... and its virtual function


class Nic:
    """One emulated NIC: its tap (in namespace ns), MAC, and its PCI
    address in the guest (bdf, known once the guest is up)."""

    def __init__(self, index, model="igb"):
        self.index = index
        self.model = model
        self.tap = dpsw.short_ifname("lab%d" % index)
        self.mac = "52:54:00:1a:b0:%02x" % (index + 1)
        self.ns = None
        self.bdf = None

    def spec(self):
        return "%s,tap=%s,mac=%s" % (self.model, self.tap, self.mac)


class Lab:
    """The guest g and its NICs; the switch inside once start_switch()."""

    def __init__(self, g, nics):
        self.g = g
        self.nics = nics
        self.sw_pid = None

    # -- the guest's PCI functions ------------------------------------------
    def find_nics(self):
        """Each NIC's PCI address: the root ports are numbered in --nic
        order, so NIC i is the function on bus i + 1."""
        for n in self.nics:
            n.bdf = "0000:%02x:00.0" % (n.index + 1)
            dev = self.g.run("cat /sys/bus/pci/devices/%s/vendor /sys/bus/pci/devices/%s/device"
                             % (n.bdf, n.bdf)).split()
            assert dev == ["0x8086", "0x10c9"] or n.model != "igb", (n.bdf, dev)

    def create_vfs(self, nic, count):
        """count VFs on nic's PF (vfio-pci, enable_sriov=1: before any
        process opens the PF, which reads its VF count when probed), bound
        to vfio-pci; their PCI addresses."""
        self.g.run("echo %d > /sys/bus/pci/devices/%s/sriov_numvfs" % (count, nic.bdf))
        vfs = self.g.run("for v in /sys/bus/pci/devices/%s/virtfn*; do basename $(readlink $v);"
                         " done" % nic.bdf).split()
        assert len(vfs) == count, vfs
        self.bind("vfio-pci", *vfs)
        return vfs

    def bind(self, driver, *bdfs):
        out = self.g.run("dps-bind %s %s" % (driver, " ".join(bdfs)))
        assert out.split() == list(bdfs), out

    # -- the switch in the guest -------------------------------------------
    def start_switch(self, ports=(), execs=(), allow=None, extra_eal="", timeout=120,
                     lcores="0,1"):
        """dpswitch on `lcores` of the guest (the first one the control
        thread, the others workers), the PCI functions in
        `allow` (default: every NIC's) on EAL's allow-list, the ports and
        commands given at start-up; waits for its control socket."""
        allow = [n.bdf for n in self.nics] if allow is None else allow
        cmd = ["dpswitch", "-l", lcores, "-d", G_SWITCH_PMDS, "--in-memory", "-m", "256",
               "--file-prefix", "lab"] + ["-a%s" % a for a in allow] + extra_eal.split()
        cmd += ["--", "-s", SW_SOCK]
        for p in ports:
            cmd += ["-p", p]
        for e in execs:
            cmd += ["-e", e]
        line = " ".join(shlex.quote(c) for c in cmd)
        self.sw_pid = int(self.g.run("%s >%s 2>&1 & echo $!" % (line, SW_LOG)).split()[-1])

        def up():
            log = self.g.run("cat %s" % SW_LOG)
            if "control socket" in log:
                return True
            state = self.g.run("sed -n 's/^State:\\s*//p' /proc/%d/status 2>/dev/null; true"
                               % self.sw_pid).strip()
            assert state and not state.startswith("Z"), \
                "dpswitch in the guest exited:\n%s" % log
            return False
        wait_until(up, timeout, lambda: "dpswitch in the guest to start:\n%s" % self.switch_log())

    def switch_log(self):
        return self.g.run("cat %s" % SW_LOG, check=False)[1]

    def ctl(self, cmd, json=False):
        """(rc, output) of dpswitch-ctl in the guest; output parsed with json."""
        rc, out = self.g.run("dpswitch-ctl -s %s %s %s" % (SW_SOCK, "-j" if json else "",
                                                          shlex.quote(cmd)), check=False)
        if json and rc == 0:
            out = jsonlib.loads(out)
        return rc, out

    def ok(self, cmd, json=False):
        rc, out = self.ctl(cmd, json)
        assert rc == 0, "'%s' failed with rc %d: %s" % (cmd, rc, out)
        return out

    def stats(self):
        return {p["name"]: p for p in self.ok("port stats", json=True)["ports"]}

    def ports(self):
        return {p["name"]: p for p in self.ok("port show", json=True)["ports"]}

    def wait_link(self, port, up=True, timeout=30):
        wait_until(lambda: self.ports()[port]["link_up"] == up, timeout,
                   "link of port %s to be %s" % (port, "up" if up else "down"))

    def stop_switch(self):
        """quit over the socket; the daemon must exit by itself."""
        if self.sw_pid is None:
            return
        self.ctl("quit")
        # The shell that started it reaps it (a zombie still answers kill -0).
        rc, out = self.g.run("wait %d" % self.sw_pid, timeout=120, check=False)
        assert rc == 0, "dpswitch in the guest exited with %d:\n%s" % (rc, self.switch_log())
        self.sw_pid = None


def boot(workdir, image_dir, nb_nics=2, model="igb", smp=2, mem=768, hugepages=192):
    """A lab guest with nb_nics NICs, booted, its taps each in a fresh
    namespace (IPv6 off, up, no address), its NICs on vfio-pci."""
    nics = [Nic(i, model) for i in range(nb_nics)]
    g = guest.Guest(workdir, image_dir=image_dir, iommu=True, smp=smp, mem=mem,
                    hugepages=hugepages, nics=[n.spec() for n in nics])
    return g, nics


def ready(g, nics, netns):
    """After g booted: taps into namespaces, NICs found and on vfio-pci."""
    for n in nics:
        n.ns = netns()
        n.ns.adopt(n.tap)
    lab = Lab(g, nics)
    lab.find_nics()
    lab.bind("vfio-pci", *[n.bdf for n in nics])
    return lab


def main(argv=None):
    """scripts/lab.sh: the lab by hand; see its --help."""
    import argparse
    import shutil
    import sys
    import tempfile

    ap = argparse.ArgumentParser(prog="lab", description="The NIC lab (docs/lab.md).")
    ap.add_argument("--nics", type=int, default=2, help="emulated igb NICs (default 2)")
    ap.add_argument("--smp", type=int, default=2, help="guest vCPUs (default 2)")
    ap.add_argument("-c", "--command", action="append", default=[],
                    help="run this in the guest and leave (repeatable)")
    args = ap.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="lab-", dir="/tmp")
    spaces = []

    def netns():
        ns = dpsw.Netns()
        spaces.append(ns)
        return ns
    g, nics = boot(workdir, guest.GUEST_DPDK_DIR, nb_nics=args.nics, smp=args.smp)
    status = 0
    try:
        g.launch()
        g.booted(300)
        ready(g, nics, netns)
        for n in nics:
            print("lab: NIC %d: %s in the guest (vfio-pci); its wire: tap %s in namespace %s"
                  % (n.index, n.bdf, n.tap, n.ns.name), file=sys.stderr)
        if args.command:
            for c in args.command:
                rc, out = g.run(c, check=False, timeout=600)
                sys.stdout.write(out)
                status = status or rc
        else:
            print("lab: the guest's shell: one command a line (no job control); "
                  "Ctrl-D leaves. In the guest, docs/lab.md has dpswitch's command line.",
                  file=sys.stderr)
            while True:
                try:
                    line = input("dps# ")
                except EOFError:
                    break
                if line.strip():
                    rc, out = g.run(line, check=False, timeout=600)
                    sys.stdout.write(out)
    finally:
        g.kill()
        for ns in spaces:
            ns.delete()
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
