"""Daemon lifecycle: a signal shuts dpswitch down as cleanly as `quit`.

SIGTERM must reach the control thread's signalfd, not a worker or EAL
thread (whose default action would kill the process and leave its vhost
and control sockets behind).
"""

import os
import re
import signal
import subprocess

import dpsw


def test_sigterm_shuts_down_cleanly(workdir):
    prefix = dpsw.unique("term")
    ctl = os.path.join(workdir, "ctl.sock")
    vsock = os.path.join(workdir, "v0.sock")
    log = os.path.join(workdir, "dpswitch.log")
    args = [dpsw.DPSWITCH_BIN, "-l", "0,1", "--no-pci", "--file-prefix", prefix,
            "--log-level=lib.eal:error", "--", "-s", ctl,
            "-p", "v0 vhost iface=%s" % vsock]
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=dpsw.daemon_env())
    try:
        dpsw.wait_until(lambda: os.path.exists(ctl) and
                        dpsw.ctl_request(ctl, "show config", timeout=5)[0] == 0,
                        30, "dpswitch control socket")
        assert os.path.exists(vsock)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
        text = open(log).read()
        assert rc == 0, text
        assert "signal 15, shutting down" in text, text
        assert "port v0 removed" in text, text
        assert not dpsw.unexpected_log_lines(text), text
        assert not dpsw.sanitizer_reports(text), text
        assert not os.path.exists(ctl)
        assert not os.path.exists(vsock)
    finally:
        dpsw.kill_pid(proc)
        dpsw.remove_dpdk_files(prefix)


def test_help_names_every_port_kind(dpswitch):
    """--help lists the port kinds the daemon knows (those `port add` offers)."""
    d = dpswitch()
    rc, out = d.ctl("port add x nosuchkind")
    assert rc < 0 and "valid: " in out, out
    kinds = out.split("valid: ")[1].split(")")[0].split(", ")
    help_text = subprocess.run([dpsw.DPSWITCH_BIN, "--help"], capture_output=True,
                               text=True, timeout=30).stdout
    flat = " ".join(help_text.split())
    missing = [k for k in kinds if not re.search(r"\b%s\b" % re.escape(k), flat)]
    assert len(kinds) >= 9 and not missing, "--help misses kinds %s" % missing
