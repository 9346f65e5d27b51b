"""The harness's own checks: the log watch of the dpswitch fixture.

The scanner on made-up logs, then the real fixture in a pytest run of its
own (this directory's conftest.py, copied next to a test file written
here) against real daemons: a test whose switch logs an error it did not
allow fails at teardown, naming the lines; the same error allowed by
marker or by Dpswitch.allow_log passes.
"""

import os
import shutil
import subprocess
import sys

import dpsw

DTS = os.path.dirname(os.path.abspath(__file__))

FAKE_LOG = """\
INFO: EAL: Detected CPU lcores: 2
WARNING: TELEMETRY: No legacy callbacks, legacy socket not created
NOTICE: dpswitch.port: a notice
DEBUG: pmd.net.shm: a debug line
INFO: dpswitch.port: port v0 added: vhost iface=/tmp/x/WARNING: ERR: error: .sock
dpswitch: 1 worker(s), 1 port(s), control socket /tmp/x/c.sock
WARNING: dpswitch.ctl: refused a control connection from uid 65534 gid 65534
ERR: net_shm: cannot listen on '/nope/x.sock': No such file or directory
CRIT: EAL: critical
ALERT: EAL: alert
EMERG: EAL: emergency
error: port 'x0': vhost ports have no option 'foo'
/tmp/x/bad.conf:3: error: unknown command 'frobnicate' (try 'help')
 WARNING: not at the start of the line
"""


def test_scanner_finds_every_bad_level():
    bad = dpsw.unexpected_log_lines(FAKE_LOG)
    assert [l.split(":")[0] for l in bad] == [
        "WARNING", "ERR", "CRIT", "ALERT", "EMERG", "error", "/tmp/x/bad.conf"], bad


def test_scanner_allows_by_regex():
    bad = dpsw.unexpected_log_lines(FAKE_LOG, allow=[r"refused a control connection",
                                                     r"^(CRIT|ALERT|EMERG): EAL: ",
                                                     r"bad\.conf:3: error: "])
    assert bad == ["ERR: net_shm: cannot listen on '/nope/x.sock': No such file or directory",
                   "error: port 'x0': vhost ports have no option 'foo'"], bad


def test_scanner_reads_files(workdir):
    path = os.path.join(workdir, "fake.log")
    with open(path, "wb") as f:
        f.write(FAKE_LOG.encode() + b"ERR: bytes \xff that are not UTF-8\n")
    bad = dpsw.log_problems(path)
    assert len(bad) == 8 and bad[-1].startswith("ERR: bytes "), bad
    report = dpsw.log_report(path, bad, limit=3)
    assert report.startswith("8 unexpected warning/error line(s) in fake.log")
    assert "... and 5 more" in report and "log_allow" in report


ASAN_REPORT = """\
=================================================================
==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010
READ of size 4 at 0x602000000010 thread T3
    #0 0x55d0c0de in port_rx lib/port/port_fwd.c:42
    #1 0x55d0c0de in port_fwd lib/port/port_fwd.c:99
SUMMARY: AddressSanitizer: heap-use-after-free lib/port/port_fwd.c:42 in port_rx
"""

UBSAN_REPORT = """\
INFO: dpswitch.port: port v0 added
lib/l2/l2_table.c:120:9: runtime error: left shift of 1 by 31 places cannot be represented in type 'int'
    #0 0x55d0c0de in l2_hash lib/l2/l2_table.c:120
SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior lib/l2/l2_table.c:120:9
"""

LSAN_REPORT = """\
INFO: dpswitch.port: port v0 removed

=================================================================
==4242==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 77 byte(s) in 1 object(s) allocated from:
    #0 0x7f90902b89cf in __interceptor_malloc
    #1 0x55e361f9619a in dps_cli_exec lib/cli/cli.c:3
SUMMARY: AddressSanitizer: 77 byte(s) leaked in 1 allocation(s).
"""


def test_sanitizer_scanner():
    for text, first in ((ASAN_REPORT, "==4242==ERROR: AddressSanitizer: heap-use-after-free"),
                        (UBSAN_REPORT, "lib/l2/l2_table.c:120:9: runtime error: left shift"),
                        (LSAN_REPORT, "==4242==ERROR: LeakSanitizer: detected memory leaks")):
        reports = dpsw.sanitizer_reports(text)
        assert len(reports) == 1 and reports[0].startswith(first), reports
        assert "#0 0x" in reports[0] and "SUMMARY: " in reports[0], reports
    assert dpsw.sanitizer_reports(FAKE_LOG) == []


def test_sanitizer_options_reach_the_daemon(dpswitch):
    d = dpswitch()
    with open("/proc/%d/environ" % d.proc.pid, "rb") as f:
        env = dict(e.split("=", 1) for e in f.read().decode().split("\0") if "=" in e)
    for k, v in dpsw.SANITIZER_OPTIONS.items():
        assert env[k].startswith(v), (k, env.get(k))
    assert "halt_on_error=1" in env["ASAN_OPTIONS"] and "detect_leaks=1" in env["ASAN_OPTIONS"]


INNER = r'''
import pytest

ASAN_REPORT = %r

BAD = "port add x shm path=/nonexistent-dir/x.sock"
LINES = (r"^ERR: net_shm: cannot listen on '/nonexistent-dir/x\.sock'",
         r"^ERR: EAL: Driver cannot attach the device \(net_shm_x\)$",
         r"^ERR: EAL: Failed to attach device on primary process$")


def refused_port(dpswitch):
    d = dpswitch()
    rc, out = d.ctl(BAD)
    assert rc < 0 and "nonexistent-dir" in out, out
    return d


def test_not_allowed(dpswitch):
    refused_port(dpswitch)


@pytest.mark.log_allow(*LINES)
def test_allowed_by_marker(dpswitch):
    refused_port(dpswitch)


def test_allowed_by_method(dpswitch):
    refused_port(dpswitch).allow_log(*LINES)


@pytest.mark.log_allow(LINES[0])
def test_partly_allowed(dpswitch):
    refused_port(dpswitch)


# No allowlist hides a sanitizer report (written here as a sanitized
# daemon would write it: to its stderr, which is the log).
@pytest.mark.log_allow(r"Sanitizer", r"runtime error")
def test_sanitizer_report(dpswitch):
    d = dpswitch()
    with open(d.log, "a") as f:
        f.write(ASAN_REPORT)
'''


def test_fixture_fails_on_unexpected_lines(workdir):
    """The real dpswitch fixture, in a pytest run of its own: the daemon's
    errors (its own and EAL's, with their level) fail the test at teardown
    unless allowed."""
    inner = os.path.join(workdir, "inner")
    os.mkdir(inner)
    shutil.copy(os.path.join(DTS, "conftest.py"), inner)
    with open(os.path.join(inner, "test_inner.py"), "w") as f:
        f.write(INNER % ASAN_REPORT)
    env = dict(os.environ, PYTHONPATH=DTS, DPSWITCH_BUILD=dpsw.BUILD,
               DPSWITCH_DAEMON_BUILD=dpsw.DAEMON_BUILD)
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
                        "-o", "addopts=", "--rootdir", inner, inner],
                       capture_output=True, text=True, timeout=300, env=env, cwd=inner)
    out = r.stdout + r.stderr
    summary = {}
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) >= 2 and parts[0] in ("PASSED", "FAILED", "ERROR") and \
                "::" in parts[1]:
            summary.setdefault(parts[1].split("::")[1], []).append(parts[0])
    # A test with a teardown error is reported as PASSED (its call) and ERROR.
    assert summary == {"test_not_allowed": ["PASSED", "ERROR"],
                       "test_allowed_by_marker": ["PASSED"],
                       "test_allowed_by_method": ["PASSED"],
                       "test_partly_allowed": ["PASSED", "ERROR"],
                       "test_sanitizer_report": ["PASSED", "ERROR"]}, out
    assert r.returncode == 1, out
    # The failure names every line not allowed, EAL's too, with its level.
    assert "3 unexpected warning/error line(s)" in out, out
    assert "2 unexpected warning/error line(s)" in out, out
    assert "    ERR: EAL: Driver cannot attach the device (net_shm_x)" in out, out
    assert "sanitizer report in " in out and "#1 0x55d0c0de in port_fwd" in out, out
