"""Shared-ring ports that serve QEMU guests (`transport=ivshmem`), against
real QEMU: its `ivshmem-doorbell` device connects to the port's socket,
reads the greeting and maps the port's region as BAR2.

QEMU runs stopped (`-S`): no guest boots, so these tests take seconds. What
a guest's driver does (the start handshake, the rings) is played by
dpsr-hostile --ivshmem here and in test_shm.py / test_shm_attack.py, and by
the guest PMD inside booted guests in test_guest_shm.py.

* QEMU realizes the device: the port shows QEMU attached, link down (no
  driver yet), and QEMU's BAR2 is exactly the port's region;
* a second QEMU on the same port is refused and fails to start; the first
  is not disturbed;
* QEMU killed: the port detaches, and the next guest (a stand-in) is served
  exactly;
* a trust group's member port gives QEMU the group's whole region.
"""

import json
import os
import signal
import socket
import subprocess
import time

import pytest

import dpsw
from dpsw import wait_until

COUNT = 2000


def sock(workdir, name):
    return os.path.join(workdir, "%s.sock" % name)


class Qemu:
    """qemu-system-x86_64, stopped before the first instruction, with one
    ivshmem-doorbell device on `path`. Killed by pid at the end."""

    def __init__(self, workdir, path, vectors=3):
        self.name = dpsw.unique("ivs")
        self.qmp_path = os.path.join(workdir, self.name + ".qmp")
        self.log = os.path.join(workdir, self.name + ".log")
        cmd = ["qemu-system-x86_64", "-M", "q35", "-accel", "tcg", "-S", "-nodefaults",
               "-display", "none", "-m", "64",
               "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
               "-chardev", "socket,path=%s,id=iv" % path,
               "-device", "ivshmem-doorbell,chardev=iv,vectors=%d" % vectors]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)

    def alive(self):
        return self.proc.poll() is None

    def wait_qmp(self, timeout=30):
        wait_until(lambda: os.path.exists(self.qmp_path) or not self.alive(), timeout,
                   "QEMU's QMP socket")
        assert self.alive(), "QEMU exited: %s" % dpsw.tail(self.log, 10)

    def qmp(self, command):
        """One QMP command's "return" (or its "error")."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.qmp_path)
        f = s.makefile("rw")
        json.loads(f.readline())
        for cmd in ({"execute": "qmp_capabilities"}, {"execute": command}):
            f.write(json.dumps(cmd) + "\n")
            f.flush()
            while True:
                r = json.loads(f.readline())
                if "return" in r or "error" in r:
                    break
        s.close()
        return r.get("return", r)

    def bar_size(self, bar):
        """Size of the ivshmem device's BAR `bar`, from query-pci (which
        gives it whether or not the BAR is placed: under -S no firmware
        placed any)."""
        devs = [d for b in self.qmp("query-pci") for d in b["devices"]
                if (d["id"]["vendor"], d["id"]["device"]) == (0x1af4, 0x1110)]
        assert len(devs) == 1, "not one ivshmem device: %s" % devs
        sizes = [r["size"] for r in devs[0]["regions"] if r["bar"] == bar]
        assert sizes, "no BAR%d for the ivshmem device: %s" % (bar, devs[0]["regions"])
        return sizes[0]

    def kill(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def qemu(workdir):
    started = []

    def start(path, vectors=3):
        q = Qemu(workdir, path, vectors)
        started.append(q)
        return q

    yield start
    for q in started:
        q.kill()


def shm_state(d, port):
    s = d.shm()[port]
    return s["attached"], s.get("guest_up"), d.link_up(port)


@pytest.fixture(autouse=True)
def _need_qemu():
    if subprocess.run(["which", "qemu-system-x86_64"], capture_output=True).returncode != 0:
        pytest.fail("qemu-system-x86_64 is missing: run scripts/setup-deps.sh")


def stand_in_pass(d, hostile, tx_sock, rx_sock, tx_guest, rx_guest):
    """COUNT frames from a stand-in on tx_sock to a careful one on rx_sock."""
    rx = hostile(["--path", rx_sock, "--attack", "rx", "--verify", "--count", str(COUNT),
                  "--duration", "60"] + (["--ivshmem"] if rx_guest else []))
    tx = hostile(["--path", tx_sock, "--attack", "good", "--count", str(COUNT)] +
                 (["--ivshmem"] if tx_guest else []))
    t = tx.report()
    assert t["good"] == COUNT and t["unconsumed"] == 0, t
    r = rx.report()
    assert r["received"] == r["verified"] == COUNT, r
    return t, r


def test_qemu_maps_the_port(dpswitch, qemu, hostile, workdir):
    """QEMU's ivshmem-doorbell realizes on an isolated port: attached, the
    guest's driver not started (link down), BAR2 = the port's region; a
    second QEMU is refused and exits, the first keeps its port; QEMU killed
    detaches it; a guest stand-in is then served exactly."""
    g, h = sock(workdir, "g"), sock(workdir, "h")
    d = dpswitch(ports=["g shm path=%s,transport=ivshmem" % g, "h shm path=%s,ring=4096" % h])
    d.ok("xconnect add g h")
    assert d.shm()["g"]["transport"] == "ivshmem"
    q1 = qemu(g)
    q1.wait_qmp()
    wait_until(lambda: shm_state(d, "g") == (True, False, False), 30,
               "QEMU attached, no driver, link down: %s" % (d.shm()["g"],))
    region = d.shm()["g"]["region_size"]
    assert region & (region - 1) == 0, region
    assert q1.bar_size(2) == region, (q1.bar_size(2), region)
    assert q1.bar_size(0) == 256          # ivshmem's registers

    # A second QEMU on the same port: refused at its greeting, it exits.
    q2 = qemu(g)
    wait_until(lambda: not q2.alive(), 60, "the second QEMU to give up")
    assert q2.proc.returncode != 0
    assert q1.alive() and shm_state(d, "g") == (True, False, False)
    x = d.xstats("g")
    assert (x["peer_attaches"], x["peer_refusals"], x["peer_detaches"]) == (1, 1, 0), x

    # QEMU killed: detached; the next guest is served.
    q1.kill()
    wait_until(lambda: not d.shm()["g"]["attached"], 20, "QEMU's leaving to detach the port")
    x = d.xstats("g")
    assert (x["peer_detaches"], x["guest_starts"]) == (1, 0), x
    stand_in_pass(d, hostile, g, h, tx_guest=True, rx_guest=False)
    st = d.stats()
    assert st["g"]["rx_packets"] == st["h"]["tx_packets"] == COUNT, st
    assert d.xstats("g")["guest_starts"] == 1


def test_qemu_on_a_trusted_member(dpswitch, qemu, hostile, workdir):
    """A trust group's member port gives QEMU the group's whole region as
    BAR2; the other member's host peer and a guest stand-in on a third
    member exchange frames exactly while QEMU holds its port."""
    s = {p: sock(workdir, p) for p in ("t1", "t2", "t3")}
    d = dpswitch(ports=["t1 shm path=%s,group=g,group-ports=3,ring=4096,transport=ivshmem" % s["t1"],
                        "t2 shm path=%s,group=g" % s["t2"],
                        "t3 shm path=%s,group=g,transport=ivshmem" % s["t3"]])
    d.ok("xconnect add t3 t2")
    q = qemu(s["t1"])
    q.wait_qmp()
    wait_until(lambda: shm_state(d, "t1") == (True, False, False), 30, "QEMU attached")
    assert q.bar_size(2) == d.shm()["t1"]["region_size"] == d.shm()["t3"]["region_size"]
    t, r = stand_in_pass(d, hostile, s["t3"], s["t2"], tx_guest=True, rx_guest=False)
    assert t["guest_id"] == 3 and t["qpair_base"] == 2, t
    x3, x2 = d.xstats("t3"), d.xstats("t2")
    assert x3["rx_zero_copy"] == x2["tx_zero_copy"] == COUNT, (x3, x2)
    assert q.alive() and shm_state(d, "t1") == (True, False, False)


@pytest.mark.parametrize("mode", ["isolated", "trusted"])
def test_guest_driver_restarts(mode, dpswitch, hostile, workdir):
    """A guest's driver stops and starts twice on one QEMU connection (what
    an application restart or a reboot does): each start is acknowledged
    with fresh rings, and every frame it sent in the three rounds reaches a
    careful receiver exactly; the port counts 3 starts, 2 stops, 1 attach."""
    g, h = sock(workdir, "g"), sock(workdir, "h")
    args = ",group=g,group-ports=2,ring=4096" if mode == "trusted" else ""
    d = dpswitch(ports=["g shm path=%s,transport=ivshmem%s" % (g, args),
                        "h shm path=%s%s" % (h, args if mode == "trusted" else ",ring=4096")])
    d.ok("xconnect add g h")
    rx = hostile(["--path", h, "--attack", "rx", "--verify", "--count", str(3 * COUNT),
                  "--duration", "60"])
    r = hostile(["--path", g, "--attack", "restart", "--count", str(3 * COUNT),
                 "--ivshmem"]).report()
    assert r["restarts"] == 2 and r["good"] == 3 * COUNT and r["unconsumed"] == 0, r
    got = rx.report()
    assert got["received"] == got["verified"] == 3 * COUNT, got
    x = d.xstats("g")
    assert (x["guest_starts"], x["guest_stops"], x["peer_attaches"]) == (3, 2, 1), x
    assert x["rx_good_packets"] == 3 * COUNT, x


def test_no_frames_toward_a_stopped_guest(dpswitch, hostile, workdir):
    """While QEMU is connected but the guest's driver has not started, the
    port's link is down and frames toward it are dropped and counted
    (no_route at the ingress: the cross-connect's far side is down), never
    queued in its rings: a driver that starts later finds them empty."""
    g, h = sock(workdir, "g"), sock(workdir, "h")
    d = dpswitch(ports=["g shm path=%s,transport=ivshmem" % g, "h shm path=%s" % h])
    d.ok("xconnect add h g")
    q = Qemu(workdir, g)
    try:
        q.wait_qmp()
        wait_until(lambda: shm_state(d, "g") == (True, False, False), 30, "QEMU attached")
        r = hostile(["--path", h, "--attack", "good", "--count", str(COUNT)]).report()
        assert r["good"] == COUNT, r
        wait_until(lambda: d.stats()["h"]["rx_packets"] == COUNT, 10, "h to take every frame")
        st = d.stats()
        # A cross-connect whose far side is down drops at the ingress.
        assert st["g"]["tx_packets"] == 0 and st["h"]["drops"]["no_route"] == COUNT, st
    finally:
        q.kill()
    wait_until(lambda: not d.shm()["g"]["attached"], 20, "QEMU's leaving")
    rx = hostile(["--path", g, "--attack", "rx", "--count", "1", "--duration", "2",
                  "--ivshmem"]).report()
    assert rx["received"] == 0 and rx["bad_from_switch"] == 0, rx
