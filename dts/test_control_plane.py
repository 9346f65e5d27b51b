"""The control plane as an attacker on the same host sees it (issue 12):

* the control socket is mode 0660, root's and the daemon's (and a
  --ctl-group's); a process of another user that reaches it anyway (a
  socket made world-writable, a directory bind-mounted into a container)
  is refused on its credentials (SO_PEERCRED), counted, logged once;
* devargs given twice are refused for every kind (one copy would be
  checked, the driver might use the other);
* secrets are never printed or logged;
* devargs that create files (pcap tx files, vhost and memif server
  sockets) never replace a file that is somebody else's: a regular file,
  a socket a live process listens on.
"""

import os
import socket
import stat
import subprocess

import pytest
from scapy.all import Ether, wrpcap

import dpsw
from dpsw import expect_error

NOBODY = 65534
NOGROUP = 65534
DAEMON_GID = 1


def ctl_as(sock, cmd, uid, gid, groups=()):
    """dpswitch-ctl run as another user: (exit status, output)."""
    r = subprocess.run([dpsw.CTL_BIN, "-s", sock, "-t", "10", cmd], user=uid, group=gid,
                       extra_groups=list(groups), capture_output=True, text=True, timeout=30,
                       env=dpsw.daemon_env())
    assert not dpsw.sanitizer_reports(r.stderr), r.stderr
    return r.returncode, r.stdout + r.stderr


def open_dir(path):
    """Let other users reach the sockets in the test's private directory."""
    os.chmod(path, 0o755)


def log_lines(d, needle):
    with open(d.log, errors="replace") as f:
        return [l for l in f if needle in l]


def test_socket_mode_and_owner(dpswitch):
    d = dpswitch()
    st = os.stat(d.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode)
    assert st.st_uid == os.geteuid() and st.st_gid == os.getegid()
    info = d.ok("ctl show", json=True)
    assert info == {"path": d.sock, "mode": "0660", "group": "-", "clients": 1,
                    "refused": 0}, info


# The refusal of user nobody, logged once: what the test checks.
@pytest.mark.log_allow(r"^WARNING: dpswitch\.ctl: refused a control connection from uid 65534 ")
def test_other_users_are_refused(dpswitch, workdir):
    """Another user: the kernel refuses it at the socket's mode; with the
    mode opened (0666), the daemon refuses it on its credentials: one error
    line, counted, one WARNING in the log however many tries."""
    d = dpswitch(ports=["n1 null no-rx=1"])
    open_dir(workdir)
    rc, out = ctl_as(d.sock, "port show", NOBODY, NOGROUP)
    assert rc == 2 and "Permission denied" in out, (rc, out)
    assert d.ok("ctl show", json=True)["refused"] == 0   # never reached the daemon

    os.chmod(d.sock, 0o666)
    for _ in range(3):
        rc, out = ctl_as(d.sock, "port del n1", NOBODY, NOGROUP)
        assert rc == 1, (rc, out)
        assert out.strip().splitlines() == [
            "error: permission denied: not root, the daemon's user, nor in its control group"
        ], out
    assert d.ok("ctl show", json=True)["refused"] == 3
    assert list(d.ports()) == ["n1"], "a refused client changed the switch"
    warned = log_lines(d, "refused a control connection")
    assert len(warned) == 1 and "uid %d" % NOBODY in warned[0], warned
    assert d.alive()


# nobody outside the control group is refused, on purpose.
@pytest.mark.log_allow(r"^WARNING: dpswitch\.ctl: refused a control connection from uid 65534 ")
def test_ctl_group(dpswitch, workdir):
    """--ctl-group GROUP: the socket's group is GROUP; a member (primary or
    supplementary group) may run commands, another user may not."""
    d = dpswitch(ports=["n1 null no-rx=1"], extra=["--ctl-group", "nogroup"])
    open_dir(workdir)
    st = os.stat(d.sock)
    assert st.st_gid == NOGROUP and stat.S_IMODE(st.st_mode) == 0o660
    assert d.ok("ctl show", json=True)["group"] == "nogroup"

    rc, out = ctl_as(d.sock, "port show", NOBODY, NOGROUP)
    assert rc == 0 and "n1" in out, (rc, out)
    rc, out = ctl_as(d.sock, "port show", NOBODY, DAEMON_GID, groups=[NOGROUP])
    assert rc == 0 and "n1" in out, (rc, out)
    # Not a member; the socket opened to everybody so that only the
    # daemon's own check stands in the way.
    os.chmod(d.sock, 0o666)
    rc, out = ctl_as(d.sock, "port show", NOBODY, DAEMON_GID)
    assert rc == 1 and "permission denied" in out, (rc, out)
    assert d.ok("ctl show", json=True)["refused"] == 1


def test_ctl_group_unknown(workdir):
    prefix = dpsw.unique("nogrp")
    args = [dpsw.DPSWITCH_BIN, "-l", "0,1", "--no-pci", "--file-prefix", prefix, "--",
            "-s", os.path.join(workdir, "x.sock"), "--ctl-group", "no-such-group"]
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL, env=dpsw.daemon_env())
    finally:
        dpsw.remove_dpdk_files(prefix)
    assert r.returncode == 1
    errors = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("dpswitch:")]
    assert errors == ["dpswitch: control socket: no group named 'no-such-group' "
                      "(--ctl-group)"], r.stdout + r.stderr
    assert not dpsw.unexpected_log_lines(r.stdout + r.stderr), r.stdout + r.stderr
    assert not dpsw.sanitizer_reports(r.stdout + r.stderr), r.stdout + r.stderr
    assert not os.path.exists(os.path.join(workdir, "x.sock"))


def test_duplicate_devargs(dpswitch, workdir):
    """Every kind refuses a key given twice, naming it."""
    d = dpswitch()
    v = os.path.join(workdir, "v.sock")
    s = os.path.join(workdir, "s.sock")
    expect_error(d, "port add x null no-rx=1,no-rx=0", "no-rx", "more than once")
    expect_error(d, "port add x vhost iface=%s,iface=%s" % (v, "/tmp/other.sock"),
                 "iface", "more than once")
    expect_error(d, "port add x shm path=%s,mode=isolated,mode=trusted" % s, "mode",
                 "more than once")
    expect_error(d, "port add x memif role=server,role=client", "role", "more than once")
    for path in (v, s, "/tmp/other.sock"):
        assert not os.path.exists(path), path


def test_secret_never_shown(dpswitch, workdir):
    s = os.path.join(workdir, "s.sock")
    d = dpswitch(ports=["s1 shm path=%s,secret=hunter2,mode=isolated" % s])
    text = d.ok("port show")
    assert "secret=***" in text and "hunter2" not in text, text
    js = d.ok("port show", json=True)
    assert js["ports"][0]["args"] == "path=%s,secret=***,mode=isolated" % s, js
    # An error about the port does not echo it either.
    line = expect_error(d, "port add s2 shm path=%s,secret=hunter2" % s, "in use")
    assert "hunter2" not in line
    d.ok("port del s1")
    with open(d.log, errors="replace") as f:
        log = f.read()
    assert "hunter2" not in log
    assert "secret=***" in log      # the 'port added' line, redacted


def test_files_that_are_not_ours(dpswitch, workdir):
    """tx_pcap, vhost iface and memif server socket paths that would replace
    a regular file or a live socket are refused; the file is untouched."""
    d = dpswitch()
    precious = os.path.join(workdir, "precious")
    with open(precious, "w") as f:
        f.write("keep me\n")
    rx = os.path.join(workdir, "rx.pcap")
    wrpcap(rx, [Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")])

    expect_error(d, "port add c1 pcap rx_pcap=%s,tx_pcap=%s" % (rx, precious),
                 precious, "exists")
    expect_error(d, "port add v1 vhost iface=%s" % precious, precious, "exists")
    expect_error(d, "port add m1 memif role=server,socket-abstract=no,socket=%s" % precious, precious)
    with open(precious) as f:
        assert f.read() == "keep me\n"

    # A live socket of another type than the kind's (SEQPACKET for vhost's
    # STREAM) is still somebody's; so is one whose backlog is full (a
    # process that never accepts: asking it must not hang the switch).
    live = os.path.join(workdir, "live.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(live)
    srv.listen(0)
    ino = os.stat(live).st_ino
    try:
        expect_error(d, "port add v1 vhost iface=%s" % live, live, "in use")
        expect_error(d, "port add m1 memif role=server,socket-abstract=no,socket=%s" % live, live, "in use")
        expect_error(d, "port add s1 shm path=%s" % live, live, "in use")
        assert os.stat(live).st_ino == ino, "the live socket was replaced"
    finally:
        srv.close()

    # Left behind by a process that died: replaced.
    stale = os.path.join(workdir, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(stale)
    s.close()
    d.ok("port add m1 memif role=server,socket-abstract=no,socket=%s" % stale)
    assert stat.S_ISSOCK(os.stat(stale).st_mode)
    tx = os.path.join(workdir, "tx.pcap")
    d.ok("port add c1 pcap rx_pcap=%s,tx_pcap=%s" % (rx, tx))
    assert list(d.ports()) == ["m1", "c1"]
    d.ok("port del m1")
    d.ok("port del c1")
    assert d.alive()


def test_memif_server_socket_is_a_file(dpswitch, workdir):
    """A memif server's socket is a file with permissions, never an abstract
    one (DPDK 22.11's driver leaves an abstract listener open, its callback
    on freed memory, after the port goes: a connection then spins the
    interrupt thread). Removed with the port; nobody can reach it after."""
    d = dpswitch()
    m = os.path.join(workdir, "m.sock")
    expect_error(d, "port add m memif role=server,socket-abstract=yes,socket=%s" % m,
                 "socket-abstract=no")
    d.ok("port add m memif role=server,socket=%s" % m)
    assert stat.S_ISSOCK(os.stat(m).st_mode)
    d.ok("port del m")
    assert not os.path.exists(m)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        c.connect("\0" + m)            # what an abstract listener would be
        connected = True
    except OSError:
        connected = False
    finally:
        c.close()
    assert not connected, "an abstract memif listener outlived its port"
    assert d.ok("show config", json=True)["workers"] == 1     # answers at once
