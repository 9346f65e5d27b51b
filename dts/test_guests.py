"""Two Linux guests (QEMU TCG, real virtio-net drivers) on two vhost-user
ports ping each other through the switch. See docs/guest.md for the guest
image (scripts/build-guest.sh) and launcher (scripts/vm-launch.sh).
"""

import os
import re
import json
import signal
import socket
import time

import pytest

import dpsw
from dpsw import wait_until

GUEST_DIR = os.path.join(dpsw.BUILD, "guest")
SCRIPTS = os.path.join(dpsw.REPO, "scripts")
RESULT_RE = re.compile(r"DPS-PING-RESULT sent=(\d+) received=(\d+)")
GUESTS = [  # (port, mac, ip, ping target)
    ("v0", "52:54:00:00:00:01", "10.0.0.1/24", "10.0.0.2"),
    ("v1", "52:54:00:00:00:02", "10.0.0.2/24", "10.0.0.1"),
]


@pytest.fixture(scope="session")
def guest_image():
    """Build (or find up to date) the guest kernel + initramfs."""
    r = dpsw.run([os.path.join(SCRIPTS, "build-guest.sh"), GUEST_DIR], timeout=600)
    for f in ("vmlinuz", "initrd.gz"):
        assert os.path.isfile(os.path.join(GUEST_DIR, f)), r.stdout + r.stderr
    return GUEST_DIR


@pytest.fixture
def guests(workdir):
    """Factory: launch(sock, mac, ip, ping, count=5, qmp=None) -> (pid, log):
    a guest that pings `ping` `count` times (0.2 s apart), driven over QMP
    at `qmp` if given. Every QEMU is killed by pid at teardown."""
    launched = []

    def launch(sock, mac, ip, ping, count=5, qmp=None):
        name = dpsw.unique("vm")
        log = os.path.join(workdir, name + ".log")
        pidfile = os.path.join(workdir, name + ".pid")
        extra = ["--qmp", qmp] if qmp else []
        r = dpsw.run([os.path.join(SCRIPTS, "vm-launch.sh"), "--sock", sock, "--mac", mac,
                      "--ip", ip, "--ping", ping, "--count", str(count), "--log", log,
                      "--pidfile", pidfile, "--name", name, "--guest-dir", GUEST_DIR] + extra,
                     check=False)
        pid = None
        if os.path.exists(pidfile):
            pid = int(open(pidfile).read().strip())
        elif r.stdout.strip().isdigit():
            pid = int(r.stdout.strip())
        if pid:
            launched.append((pid, log))
        assert r.returncode == 0 and pid, "vm-launch failed: %s %s" % (r.stdout, r.stderr)
        return pid, log

    yield launch

    for pid, log in launched:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                continue
            break


def _results(log):
    try:
        text = open(log, errors="replace").read()
    except OSError:
        return None
    return RESULT_RE.search(text)


def test_two_guests_ping_each_other(guest_image, dpswitch, guests, workdir):
    socks = {port: os.path.join(workdir, port + ".sock") for port, *_ in GUESTS}
    d = dpswitch(ports=["%s vhost iface=%s" % (p, socks[p]) for p, *_ in GUESTS])
    logs = {}
    for port, mac, ip, target in GUESTS:
        _, logs[port] = guests(socks[port], mac, ip, target)
    for port, *_ in GUESTS:
        d.wait_link(port, timeout=90)

    # Each guest waits (up to ~60 s) for its peer, then pings 5 times.
    found = {}
    for port, *_ in GUESTS:
        found[port] = wait_until(lambda: _results(logs[port]), 150,
                                 "DPS-PING-RESULT from the guest on %s:\n%s"
                                 % (port, dpsw.tail(logs[port], 20)))
    for port, *_ in GUESTS:
        sent, received = int(found[port].group(1)), int(found[port].group(2))
        assert (sent, received) == (5, 5), \
            "guest on %s: %s\n%s" % (port, found[port].group(0), dpsw.tail(logs[port], 20))

    macs = d.mac_ports()
    for port, mac, *_ in GUESTS:
        assert macs.get(mac) == [(port, 1)], macs
    st = d.stats()
    # Each guest sent >= 5 echo requests and >= 5 replies (plus ARP), and
    # received as many from the other.
    for port, *_ in GUESTS:
        assert st[port]["rx_packets"] >= 10, st[port]
        assert st[port]["tx_packets"] >= 10, st[port]


# --------------------------------------------------------------------------
# The switch crashes, a guest reboots: nothing restarted but what crashed.

GUEST_RESTARTS = int(os.environ.get("DTS_GUEST_RESTARTS", "2"))
GUEST_REBOOTS = int(os.environ.get("DTS_GUEST_REBOOTS", "5"))
LONG_PINGS = 5000          # 0.2 s apart: longer than any of these tests


def pinging(d, least=6):
    """Both guests' echo requests and replies cross this switch instance."""
    st = d.stats()
    return all(st[p]["rx_packets"] >= least and st[p]["tx_packets"] >= least
               for p, *_ in GUESTS)


def qmp(path, command):
    """One QMP command; its reply (events before it are skipped)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rw")
    json.loads(f.readline())                       # the greeting
    for cmd in ({"execute": "qmp_capabilities"}, {"execute": command}):
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if "event" not in reply:
                break
        assert "return" in reply, reply
    s.close()
    return reply


def test_guests_survive_switch_restart(guest_image, dpswitch, guests, workdir):
    """kill -9 the switch while two guests ping each other through it and
    start it again: QEMU (a reconnecting vhost-user client) reconnects, the
    guests' virtio-net drivers go on, pings cross again. Neither guest is
    restarted."""
    socks = {port: os.path.join(workdir, port + ".sock") for port, *_ in GUESTS}
    d = dpswitch(ports=["%s vhost iface=%s" % (p, socks[p]) for p, *_ in GUESTS])
    pids = {}
    for port, mac, ip, target in GUESTS:
        pids[port], _ = guests(socks[port], mac, ip, target, count=LONG_PINGS)
    for port, *_ in GUESTS:
        d.wait_link(port, timeout=90)
    wait_until(lambda: pinging(d), 120, "the guests to ping each other: %s" % d.stats())
    for i in range(GUEST_RESTARTS):
        d.kill9()
        d.restart()
        for port, *_ in GUESTS:
            d.wait_link(port, timeout=60)
        wait_until(lambda: pinging(d), 60, "pings across the switch after restart %d: %s"
                   % (i + 1, d.stats()))
    for port, pid in pids.items():
        os.kill(pid, 0)                         # the same QEMU, never restarted
    dpsw.figures("guest_restart", {"restarts": GUEST_RESTARTS})
    macs = d.mac_ports()
    for port, mac, *_ in GUESTS:
        assert macs.get(mac) == [(port, 1)], macs


def test_guest_reboots(guest_image, dpswitch, guests, pktgen, workdir):
    """A guest reset GUEST_REBOOTS times (QMP system_reset: its virtio
    device resets, the kernel boots again, the driver sets the rings up
    anew) while bystanders' traffic crosses the switch: theirs is exact,
    the guest pings again after each boot, and the switch's fds, mbufs in
    use and DPDK heap are what they were after the first boot."""
    from test_churn import bystanders, check_bystanders, resources_back, wait_attached

    socks = {port: os.path.join(workdir, port + ".sock") for port, *_ in GUESTS}
    ports = ["%s vhost iface=%s" % (p, socks[p]) for p, *_ in GUESTS]
    ports += ["a shm path=%s" % os.path.join(workdir, "a.sock"),
              "b shm path=%s,ring=32768" % os.path.join(workdir, "b.sock")]
    d = dpswitch(ports=ports, execs=["mac add 02:00:00:00:00:f2 b"])
    ctl = os.path.join(workdir, "vm0.qmp")
    logs = {}
    for n, (port, mac, ip, target) in enumerate(GUESTS):
        _, logs[port] = guests(socks[port], mac, ip, target, count=LONG_PINGS,
                               qmp=ctl if n == 0 else None)
    for port, *_ in GUESTS:
        d.wait_link(port, timeout=90)
    wait_until(lambda: pinging(d), 120, "the guests to ping each other: %s" % d.stats())
    base = d.resources()
    tx, rx = bystanders(d, pktgen, workdir, None, 20000)    # until stopped
    rebooted = GUESTS[0][0]

    def boots():
        return open(logs[rebooted], errors="replace").read().count("DPS-GUEST-READY")

    for i in range(GUEST_REBOOTS):
        before, rx0 = boots(), d.stats()[rebooted]["rx_packets"]
        qmp(ctl, "system_reset")
        wait_until(lambda: boots() > before, 120, "guest boot %d:\n%s"
                   % (i + 2, dpsw.tail(logs[rebooted], 10)))
        d.wait_link(rebooted, timeout=60)
        wait_until(lambda: d.stats()[rebooted]["rx_packets"] >= rx0 + 6, 60,
                   "pings from the guest after boot %d: %s" % (i + 2, d.stats()))
    check_bystanders(d, tx, rx)
    wait_attached(d, "a", up=False)
    wait_attached(d, "b", up=False)
    after = resources_back(d, base, "%d guest reboots" % GUEST_REBOOTS)
    dpsw.figures("guest_reboots", {"reboots": GUEST_REBOOTS, "before": base, "after": after})
