"""Bad input never hurts the daemon: each mistake gets one clear error line
naming the problem, the daemon keeps running, and nothing else changes.
Also: a virtio-user peer killed mid-traffic, and hostile control clients.
"""

import os
import socket
import subprocess

import pytest

import dpsw
from dpsw import ctl_request, expect_error, read_reply, wait_until


@pytest.fixture
def sw(dpswitch, workdir):
    """A daemon with a vhost port (p1), a null port (n1) and a trunk."""
    d = dpswitch(ports=["p1 vhost iface=%s" % os.path.join(workdir, "p1.sock"),
                        "n1 null no-rx=1"],
                 execs=["vlan trunk n1 10,20 native 5"])
    d.workdir = workdir
    return d


def test_unknown_command(sw):
    expect_error(sw, "frobnicate the switch", "unknown command", "frobnicate")
    expect_error(sw, "portt show", "unknown command", "portt")


def test_bad_arguments(sw):
    expect_error(sw, "vlan access p1 abc", "vlan access PORT VID")
    expect_error(sw, "vlan access p1 5000", "4094")
    expect_error(sw, "vlan access nosuch 10", "nosuch")
    expect_error(sw, "vlan trunk p1 10-x", "10-x")
    expect_error(sw, "port del nosuch", "nosuch")
    expect_error(sw, "xconnect add p1 p1", "p1")
    expect_error(sw, "set burst 0", "burst")
    expect_error(sw, "lcore assign p1 0 7", "lcore 7")


def test_bad_devargs(sw):
    v1 = os.path.join(sw.workdir, "v1.sock")
    expect_error(sw, "port add v1 vhost foo=1", "foo")
    expect_error(sw, "port add v1 vhost queues=99,iface=%s" % v1, "queues=99")
    expect_error(sw, "port add v1 vhost queues=2", "iface")
    expect_error(sw, "port add v1 vhost iface=/nonexistent-dir/v1.sock", "/nonexistent-dir")
    assert not os.path.exists(v1), "a rejected vhost port left its socket behind"


def test_unknown_kind(sw):
    expect_error(sw, "port add x1 warpdrive", "warpdrive", "vhost")
    expect_error(sw, "port add x1 warpdrive iface=foo", "warpdrive")


def test_port_name_taken(sw):
    expect_error(sw, "port add p1 null", "p1", "taken")
    other = os.path.join(sw.workdir, "other.sock")
    expect_error(sw, "port add n1 vhost iface=%s" % other, "n1", "taken")
    assert not os.path.exists(other)
    expect_error(sw, "port add bad/name null", "bad/name")


def test_vhost_socket_in_use(sw):
    """A second vhost port on the socket path of an existing one is refused,
    and the existing socket keeps working."""
    p1 = os.path.join(sw.workdir, "p1.sock")
    expect_error(sw, "port add v2 vhost iface=%s" % p1, p1, "in use")
    assert os.path.exists(p1)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(p1)      # the original port still listens
    s.close()


def test_control_socket_in_use(sw, workdir):
    """A second daemon on a running daemon's control socket exits non-zero
    with one error line, and the first daemon's socket is untouched."""
    prefix = dpsw.unique("second")
    args = [dpsw.DPSWITCH_BIN, "-l", "0,1", "--no-pci", "--file-prefix", prefix,
            "--", "-s", sw.sock]
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL, env=dpsw.daemon_env())
    finally:
        dpsw.remove_dpdk_files(prefix)
    assert r.returncode != 0
    out = (r.stdout + r.stderr).splitlines()
    errors = [l for l in out if sw.sock in l]
    assert len(errors) == 1 and "in use" in errors[0], out
    assert not [l for l in out if l.startswith("dpswitch:") and l != errors[0]], out
    assert not dpsw.unexpected_log_lines(r.stdout + r.stderr), out
    assert not dpsw.sanitizer_reports(r.stdout + r.stderr), out
    assert sw.alive()
    assert os.path.exists(sw.sock)
    assert sw.ctl("show config")[0] == 0


# The three bad lines of the file, reported as the test wants them.
@pytest.mark.log_allow(r"/bad\.conf:[345]: error: ")
def test_config_file_errors(dpswitch, workdir):
    """Bad lines in -c FILE are reported as FILE:LINE: error..., one line
    each, and the lines after them are still applied."""
    cfg = os.path.join(workdir, "bad.conf")
    with open(cfg, "w") as f:
        f.write("# a comment\n"                  # 1
                "port add c1 null no-rx=1\n"     # 2
                "vlan access c1 abc\n"           # 3 bad
                "frobnicate\n"                   # 4 bad
                "port add c2 vhost foo=1\n"      # 5 bad
                "\n"                             # 6
                "port add c3 null no-rx=1\n"     # 7
                "vlan access c3 20\n")           # 8
    d = dpswitch(config=cfg)
    wait_until(lambda: "dpswitch: 1 worker" in open(d.log).read(), 10, "start-up done")
    log = open(d.log).read().splitlines()
    errs = [l for l in log if ": error: " in l]
    assert len(errs) == 3, errs
    assert errs[0].startswith("%s:3: error: " % cfg) and "vlan" in errs[0], errs
    assert errs[1].startswith("%s:4: error: " % cfg) and "frobnicate" in errs[1], errs
    assert errs[2].startswith("%s:5: error: " % cfg) and "foo" in errs[2], errs
    ports = d.ports()
    assert set(ports) == {"c1", "c3"}
    assert ports["c3"]["vlan"] == "access 20"
    assert ports["c1"]["vlan"] == "access 1"


def test_peer_killed_mid_traffic(dpswitch, testpmd, workdir):
    """SIGKILL a virtio-user peer while it floods the switch: the daemon
    lives, the port goes down, a new peer reconnects and traffic flows again
    both ways with exact counts."""
    va, vb = os.path.join(workdir, "va.sock"), os.path.join(workdir, "vb.sock")
    mac_a, mac_a2, mac_b = "02:00:00:00:0a:01", "02:00:00:00:0a:02", "02:00:00:00:0b:01"
    d = dpswitch(ports=["va vhost iface=%s" % va, "vb vhost iface=%s" % vb,
                        "n0 null no-rx=1"])
    a = testpmd(va, mac_a)
    b = testpmd(vb, mac_b)
    d.wait_link("va")
    d.wait_link("vb")
    b.rx_start()
    a.txonly_start("02:00:00:00:ee:ee")
    wait_until(lambda: d.stats()["va"]["rx_packets"] > 10000, 30, "traffic from A")
    wait_until(lambda: b.rx() > 1000, 30, "traffic at B")
    a.kill9()
    d.wait_link("va", up=False)
    assert d.alive()
    # Let what is in flight drain: everything sent to vb has reached B.
    wait_until(lambda: d.stats()["vb"]["tx_packets"] == b.rx(), 30, "vb drained")

    a2 = testpmd(va, mac_a2)
    d.wait_link("va")
    a2.rx_start()
    d.ok("port clear")
    d.ok("mac flush")
    b0 = b.rx()
    a2.send(10, "02:00:00:00:ee:ee")           # unknown: flooded to vb and n0
    wait_until(lambda: b.rx() == b0 + 10, 20, "A2's frames at B")
    b.send(7, mac_a2)                          # learned: to va only
    wait_until(lambda: a2.rx() == 7, 20, "B's frames at A2")
    st = d.stats()
    assert (st["va"]["rx_packets"], st["va"]["tx_packets"]) == (10, 7), st["va"]
    assert (st["vb"]["rx_packets"], st["vb"]["tx_packets"]) == (7, 10), st["vb"]
    assert st["n0"]["tx_packets"] == 10
    assert d.mac_ports() == {mac_a2: [("va", 1)], mac_b: [("vb", 1)]}


def _client(d):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.sock)      # blocking: waits for room in the listen backlog
    s.settimeout(15)
    return s


def test_garbage_and_long_lines_on_control_socket(sw):
    before = dpsw.switch_state(sw)

    # Binary garbage (with a NUL and invalid UTF-8) in one request line.
    s = _client(sw)
    s.sendall(b"\xff\xfe\x01garbage\x00more\n")
    rc, out = read_reply(s)
    assert rc < 0 and out.startswith(b"error: ") and out.count(b"\n") == 1, (rc, out)
    # The same connection still works afterwards.
    s.sendall(b"show config\n")
    assert read_reply(s)[0] == 0
    s.close()

    # A long line that fits the buffer: an error, not a crash.
    rc, out = ctl_request(sw.sock, "port show " + "x" * 3000)
    assert rc < 0 and out.startswith("error: ") and out.count("\n") == 1, (rc, out[:200])

    # A line longer than the control buffer (4096): refused and disconnected.
    s = _client(sw)
    s.sendall(b"y" * 5000)
    rc, out = read_reply(s)
    assert rc < 0 and b"longer than" in out and out.count(b"\n") == 1, (rc, out)
    try:
        rest = s.recv(100)
    except ConnectionResetError:    # closed with our unread bytes pending
        rest = b""
    assert rest == b"", "the server should close an overlong request"
    s.close()

    # A client that sends half a command and vanishes.
    s = _client(sw)
    s.sendall(b"port sh")
    s.close()

    # Many clients at once: beyond the limit, a clean refusal.
    held = [_client(sw) for _ in range(40)]
    try:
        refused = 0
        for c in held:
            try:
                c.sendall(b"show config\n")
            except (BrokenPipeError, ConnectionResetError):
                pass    # refused: the server already answered and closed
        for c in held:
            rc, out = read_reply(c)
            if rc != 0:
                assert b"too many" in out, out
                refused += 1
        assert refused > 0 and refused < 40
    finally:
        for c in held:
            c.close()

    assert sw.alive()
    wait_until(lambda: sw.ctl("show config")[0] == 0, 10, "socket answers again")
    assert dpsw.switch_state(sw) == before
