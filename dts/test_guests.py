"""Two Linux guests (QEMU TCG, real virtio-net drivers) on two vhost-user
ports ping each other through the switch. See docs/guest.md for the guest
image (scripts/build-guest.sh) and launcher (scripts/vm-launch.sh).
"""

import os
import re
import signal
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
    """Factory: launch(sock, mac, ip, ping) -> (pid, log). Every QEMU is
    killed by pid at teardown."""
    launched = []

    def launch(sock, mac, ip, ping):
        name = dpsw.unique("vm")
        log = os.path.join(workdir, name + ".log")
        pidfile = os.path.join(workdir, name + ".pid")
        r = dpsw.run([os.path.join(SCRIPTS, "vm-launch.sh"), "--sock", sock, "--mac", mac,
                      "--ip", ip, "--ping", ping, "--count", "5", "--log", log,
                      "--pidfile", pidfile, "--name", name, "--guest-dir", GUEST_DIR],
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
