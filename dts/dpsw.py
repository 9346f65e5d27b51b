"""Helpers for the dpswitch system tests (dts/).

Everything a test needs to drive real processes:

* Dpswitch   - the daemon: start, control-socket requests, clean stop.
* ctl_request - the control socket protocol, spoken directly (no dpswitch-ctl).
* TestPmd    - a dpdk-testpmd peer with a virtio-user port on a vhost-user
               socket of the switch, driven interactively over stdin.
* Netns      - a network namespace (IPv6 off, so the kernel stays quiet).
* ns_sendp   - scapy sendp of exact frames from inside a namespace.
* Pktgen     - a dpswitch-pktgen process on any DPDK vdevs (virtio-user on
               a vhost socket, af_packet, memif, net_dpsw, ...), with its
               JSON report.
* Hostile    - a dpsr-hostile process (tests/hostile: a raw shared-ring
               peer, good or malicious), with its JSON report.
* dpsw_vdev  - the net_dpsw vdev (peer PMD) for a shared-ring port's socket.
* expect_error - a command that must fail with one clear error line and
               change nothing.
* wait_until - poll a condition (tests never assert on durations).

Safety rules kept here, so tests cannot forget them: every DPDK process gets
--no-pci and its own --file-prefix; every process is stopped by pid; hugepage
files and runtime dirs of our prefixes are removed.
"""

import itertools
import json as jsonlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("DPSWITCH_BUILD", os.path.join(REPO, "build")))
# The daemon and its control client may come from another build than the
# peers: DPSWITCH_DAEMON_BUILD=build-asan tests a sanitized daemon against
# the plain build's pktgen, dpsr-hostile and net_dpsw plugin (an ASan .so
# cannot be loaded into the uninstrumented dpdk-testpmd).
DAEMON_BUILD = os.path.abspath(os.environ.get("DPSWITCH_DAEMON_BUILD", BUILD))
DPSWITCH_BIN = os.path.join(DAEMON_BUILD, "app", "dpswitch", "dpswitch")
CTL_BIN = os.path.join(DAEMON_BUILD, "app", "dpswitch-ctl", "dpswitch-ctl")
TESTPMD_BIN = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
PKTGEN_BIN = os.path.join(BUILD, "app", "dpswitch-pktgen", "dpswitch-pktgen")
HOSTILE_BIN = os.path.join(BUILD, "tests", "hostile", "dpsr-hostile")
# The peer PMD as a plugin (dpdk-testpmd -d PMD_SO); pktgen has it built in.
PMD_SO = os.path.join(BUILD, "drivers", "net", "dpsw", "librte_net_dpsw.so")
HUGEPAGE_DIR = "/dev/hugepages"
DPDK_RUN_DIR = "/var/run/dpdk"

_seq = itertools.count()


def unique(tag):
    """A name unique to this pytest process: 'dts<pid>-<tag><n>'."""
    return "dts%d-%s%d" % (os.getpid(), tag, next(_seq))


def short_ifname(tag):
    """An interface name unique to this process, at most 15 characters."""
    name = "d%s%d_%d" % (tag, os.getpid() % 100000, next(_seq))
    assert len(name) <= 15, name
    return name


def wait_until(cond, timeout, what, interval=0.05):
    """Poll cond() until it returns a true value; fail with 'what' on timeout.

    'what' may be a callable, called only on timeout: a message that shows
    the state at the failure, not at the start of the wait.
    The timeout is a safety net for a hung system, never a pass criterion.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = cond()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (
                timeout, what() if callable(what) else what))
        time.sleep(interval)


def run(cmd, check=True, timeout=60, **kw):
    """Run a command (list or shell string); return CompletedProcess (text)."""
    shell = isinstance(cmd, str)
    r = subprocess.run(cmd, shell=shell, capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("command failed (rc %d): %s\nstdout: %s\nstderr: %s"
                             % (r.returncode, cmd, r.stdout, r.stderr))
    return r


def quiet_iface(name):
    """No IPv6 (router solicitations, DAD) on an interface we inject into."""
    run(["sysctl", "-q", "-w", "net.ipv6.conf.%s.disable_ipv6=1" % name])


def remove_dpdk_files(prefix):
    """Remove hugepage files and the runtime dir of one DPDK file prefix."""
    assert prefix and "/" not in prefix
    try:
        names = os.listdir(HUGEPAGE_DIR)
    except OSError:
        names = []
    for n in names:
        if n.startswith(prefix + "map_") or n == prefix + "map":
            try:
                os.unlink(os.path.join(HUGEPAGE_DIR, n))
            except OSError:
                pass
    shutil.rmtree(os.path.join(DPDK_RUN_DIR, prefix), ignore_errors=True)


def kill_pid(proc, term_timeout=10):
    """SIGTERM (or nothing if gone), wait, then SIGKILL a Popen by its pid."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.kill(proc.pid, signal.SIGTERM)
        return proc.wait(term_timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(10)
    except ProcessLookupError:
        return proc.wait(10)


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode(errors="replace").splitlines()
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)
    return "\n".join(lines[-n:])


# --------------------------------------------------------------------------
# The log watch: a dpswitch log line is "LEVEL: logtype: message" when it
# comes through rte_log (the daemon prefixes the level: app/dpswitch/
# log_stream.c), so DPDK's own EAL, vhost and driver messages are watched
# as well as the switch's. Commands run at start-up (-p, -e, -c FILE) print
# their failures as "error: ..." or "FILE:LINE: error: ...".

LOG_BAD = re.compile(r"^(?:EMERG|ALERT|CRIT|ERR|WARNING): |^(?:\S+:\d+: )?error: ")

# Lines every daemon may log, each with its reason. Keep this short: what a
# single test expects, it allows itself (@pytest.mark.log_allow or
# Dpswitch.allow_log).
LOG_ALLOW_ALWAYS = (
    # DPDK's telemetry library, at every start: the app registered no
    # callback for the pre-20.05 "legacy" telemetry socket. The v2 socket
    # is there; nothing is missing.
    r"^WARNING: TELEMETRY: No legacy callbacks, legacy socket not created$",
    # net_tap, at every tap port on a kernel without the multiq qdisc
    # (CONFIG_NET_SCH_MULTIQ unset, as on the CI machine): the PMD then
    # leaves out its rte_flow support, which dpswitch does not use; the
    # port itself works (test_tap_netns.py).
    r"^ERR: tap_nl_dump_ext_ack\(\): Specified qdisc kind is unknown$",
    r"^ERR: qdisc_create_multiq\(\): Could not add multiq qdisc \(-?2\): No such file "
    r"or directory$",
    r"^ERR: eth_dev_tap_create\(\): \S+: failed to create multiq qdisc\.$",
    r"^ERR: eth_dev_tap_create\(\):  Disabling rte flow support: No such file or "
    r"directory\(2\)$",
)


def unexpected_log_lines(text, allow=()):
    """The warning and error lines of a dpswitch log's text (see LOG_BAD)
    that no regex of allow nor LOG_ALLOW_ALWAYS finds (re.search, on the
    whole line with its level)."""
    pats = [re.compile(a) for a in tuple(allow) + LOG_ALLOW_ALWAYS]
    return [l for l in text.splitlines()
            if LOG_BAD.search(l) and not any(p.search(l) for p in pats)]


def log_problems(path, allow=()):
    """unexpected_log_lines() of the log file path."""
    with open(path, "rb") as f:
        return unexpected_log_lines(f.read().decode(errors="replace"), allow)


# Sanitizers (a daemon from scripts/build.sh --sanitize): reports go to
# stderr, so into the daemon's log; an ASan or UBSan error stops the
# daemon (a crash for the fixture), LeakSanitizer reports at exit (exit
# status 1). No allowlist: any report fails the test.
SANITIZER_OPTIONS = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=0:detect_leaks=1:print_summary=1:"
                    "detect_stack_use_after_return=1:strict_string_checks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:print_summary=1",
    "LSAN_OPTIONS": "print_suppressions=0",
}
SANITIZER_REPORT = re.compile(r"^==\d+==(?:ERROR|WARNING): \w*Sanitizer|: runtime error: |"
                              r"^SUMMARY: \w*Sanitizer")


def daemon_env():
    """The environment for a dpswitch (or dpswitch-ctl) process: ours, with
    the sanitizer options set (anything the caller's own *SAN_OPTIONS say
    comes after, and wins). Harmless for a build without sanitizers."""
    env = dict(os.environ)
    for k, v in SANITIZER_OPTIONS.items():
        env[k] = v + (":" + env[k] if env.get(k) else "")
    return env


def sanitizer_reports(text, context=40):
    """Each sanitizer report in a log's text: from its first line, up to
    context lines (the stack). Empty if there is none."""
    lines = text.splitlines()
    out, i = [], 0
    while i < len(lines):
        if SANITIZER_REPORT.search(lines[i]):
            out.append("\n".join(lines[i:i + context]))
            i += context
        else:
            i += 1
    return out


def log_report(path, bad, limit=30):
    """The teardown's message for the unexpected lines bad of log path."""
    shown = "\n".join("    " + l for l in bad[:limit])
    more = "\n    ... and %d more" % (len(bad) - limit) if len(bad) > limit else ""
    return ("%d unexpected warning/error line(s) in %s (allow the expected ones "
            "with @pytest.mark.log_allow(regex) or d.allow_log(regex)):\n%s%s"
            % (len(bad), os.path.basename(path), shown, more))


# --------------------------------------------------------------------------
# Control socket protocol: request "[json ]COMMAND\n"; reply = output, NUL,
# rc in decimal, "\n".

class CtlError(Exception):
    pass


def read_reply(sock, timeout=15):
    """Read one reply; return (rc, output bytes)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        nul = data.find(b"\0")
        if nul >= 0:
            nl = data.find(b"\n", nul)
            if nl >= 0:
                return int(data[nul + 1:nl].decode()), data[:nul]
        chunk = sock.recv(65536)
        if not chunk:
            raise CtlError("connection closed before the reply ended: %r" % data[-200:])
        data += chunk


def ctl_request(path, cmd, json=False, timeout=15):
    """One request on a fresh connection. Returns (rc, text) or (rc, object)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall((("json " if json else "") + cmd + "\n").encode())
        rc, out = read_reply(s, timeout)
    finally:
        s.close()
    text = out.decode(errors="replace")
    if json:
        return rc, jsonlib.loads(text)
    return rc, text


# --------------------------------------------------------------------------

def figures(name, values):
    """A test's measurements (never a pass criterion): printed, and with
    DTS_FIGURES=FILE appended to FILE as one JSON line (scripts/soak)."""
    print("figures %s: %s" % (name, jsonlib.dumps(values)))
    path = os.environ.get("DTS_FIGURES")
    if path:
        with open(path, "a") as f:
            f.write(jsonlib.dumps(dict(values, test=name)) + "\n")


def switch_state(d):
    """Everything a bad command must leave alone."""
    return (d.ok("port show", json=True), d.ok("mac show", json=True)["count"],
            d.ok("show config", json=True))


def expect_error(d, cmd, *needles):
    """cmd fails with rc < 0 and exactly one line 'error: ...' holding every
    needle; the JSON form fails too, with {"error": ...}; nothing changed."""
    before = switch_state(d)
    rc, out = d.ctl(cmd)
    assert rc < 0, "'%s' should fail, got rc %d: %s" % (cmd, rc, out)
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), \
        "'%s': want one 'error:' line, got %r" % (cmd, out)
    for n in needles:
        assert n in lines[0], "'%s': error %r does not name %r" % (cmd, lines[0], n)
    rc_j, obj = d.ctl(cmd, json=True)
    assert rc_j < 0 and set(obj) == {"error"} and obj["error"], (rc_j, obj)
    assert d.alive(), "daemon died on '%s'" % cmd
    assert switch_state(d) == before, "'%s' changed the switch state" % cmd
    return lines[0]


class Dpswitch:
    """One dpswitch daemon. Use through the conftest fixture, which stops it."""

    def __init__(self, workdir, ports=(), execs=(), config=None, extra=(),
                 eal_extra=(), sock=None):
        self.workdir = workdir
        self.prefix = unique("sw")
        self.sock = sock or os.path.join(workdir, "%s.sock" % self.prefix)
        self.log = os.path.join(workdir, "%s.log" % self.prefix)
        args = [DPSWITCH_BIN, "-l", "0,1", "--no-pci", "--file-prefix", self.prefix]
        args += list(eal_extra)
        args += ["--", "-s", self.sock]
        for p in ports:
            args += ["-p", p]
        for e in execs:
            args += ["-e", e]
        if config:
            args += ["-c", config]
        args += list(extra)
        self.args = args
        self.proc = None
        self.log_allow = []

    def allow_log(self, *regexes):
        """Warning/error lines this daemon may log (see log_problems)."""
        self.log_allow.extend(regexes)
        return self

    def log_problems(self, allow=()):
        """This daemon's unexpected warning/error lines (after stop())."""
        return log_problems(self.log, tuple(allow) + tuple(self.log_allow))

    def sanitizer_reports(self):
        """The sanitizer reports in this daemon's log (after stop())."""
        with open(self.log, "rb") as f:
            return sanitizer_reports(f.read().decode(errors="replace"))

    def start(self, timeout=30):
        # O_APPEND: whoever else writes to the log (test_harness.py does, a
        # restart after kill9() does) adds to it rather than writing over
        # the daemon's lines.
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     env=daemon_env())
        wait_until(self._answers, timeout, "dpswitch control socket %s" % self.sock)
        return self

    def kill9(self):
        """Crash it: SIGKILL, nothing cleaned up (its sockets, hugepage
        files and peers' connections are left as a crash leaves them)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._logf.close()

    def restart(self, timeout=30):
        """After kill9(): the same command line (prefix, socket, start-up
        commands) again, its log appended to the same file."""
        assert self.proc.poll() is not None, "restart() of a running dpswitch"
        return self.start(timeout)

    def resources(self):
        """What a leak would show: open fds, RSS, hugepage files of its
        prefix, mbufs in use and DPDK heap bytes allocated."""
        pid = self.proc.pid
        with open("/proc/%d/status" % pid) as f:
            rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        mem = self.ok("show memory", json=True)
        return {"fds": len(os.listdir("/proc/%d/fd" % pid)), "rss_kb": rss,
                "hugepage_files": len([f for f in os.listdir(HUGEPAGE_DIR)
                                       if f.startswith(self.prefix)]),
                "mbufs_in_use": mem["mbufs"]["in_use"],
                "heap_bytes": mem["heap"]["allocated_bytes"]}

    def _answers(self):
        if self.proc.poll() is not None:
            raise AssertionError("dpswitch exited with %s during start-up:\n%s"
                                 % (self.proc.returncode, tail(self.log)))
        try:
            rc, _ = ctl_request(self.sock, "show config", timeout=5)
            return rc == 0
        except (OSError, CtlError, ValueError):
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # -- control ----------------------------------------------------------
    def ctl(self, cmd, json=False, timeout=15):
        """(rc, text) or, with json=True, (rc, parsed object)."""
        return ctl_request(self.sock, cmd, json=json, timeout=timeout)

    def ok(self, cmd, json=False):
        """Run a command that must succeed; return its text or object."""
        rc, out = self.ctl(cmd, json=json)
        assert rc == 0, "'%s' failed with rc %d: %s" % (cmd, rc, out)
        return out

    def ports(self):
        return {p["name"]: p for p in self.ok("port show", json=True)["ports"]}

    def stats(self):
        return {p["name"]: p for p in self.ok("port stats", json=True)["ports"]}

    def xstats(self, port):
        """{name: value} of one port's extended counters (all, zeros too)."""
        return self.ok("port xstats %s" % port, json=True)["ports"][0]["xstats"]

    def shm(self):
        """{port: `shm show` object} of every shared-ring port."""
        return {p["name"]: p for p in self.ok("shm show", json=True)["ports"]}

    def macs(self):
        return self.ok("mac show", json=True)["macs"]

    def mac_ports(self):
        """{mac(lowercase): [(port, vlan), ...]} from 'mac show'."""
        out = {}
        for m in self.macs():
            out.setdefault(m["mac"].lower(), []).append((m["port"], m["vlan"]))
        return out

    def link_up(self, port):
        return self.ports()[port]["link_up"]

    def wait_link(self, port, up=True, timeout=20):
        wait_until(lambda: self.ports()[port]["link_up"] == up, timeout,
                   "link of port %s to be %s" % (port, "up" if up else "down"))

    # -- stop -------------------------------------------------------------
    def stop(self):
        """quit over the socket, wait, SIGKILL if needed. Returns a list of
        problems (empty when the daemon was alive and exited cleanly)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None:
            problems.append("dpswitch was not running at teardown (exit status %s): "
                            "it crashed or exited\n%s" % (self.proc.returncode, tail(self.log)))
        else:
            try:
                rc, _ = self.ctl("quit", timeout=10)
                if rc != 0:
                    problems.append("'quit' returned rc %d" % rc)
            except (OSError, CtlError, ValueError) as e:
                problems.append("'quit' failed: %s" % e)
            try:
                code = self.proc.wait(15)
                if code != 0:
                    problems.append("dpswitch exited with status %d after 'quit'\n%s"
                                    % (code, tail(self.log)))
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
                problems.append("dpswitch did not exit within 15 s of 'quit'; killed\n%s"
                                % tail(self.log))
        self._logf.close()
        remove_dpdk_files(self.prefix)
        try:
            if os.path.exists(self.sock):
                os.unlink(self.sock)
        except OSError:
            pass
        self.proc = None
        return problems


# --------------------------------------------------------------------------

class TestPmd:
    """dpdk-testpmd with one port: by default a virtio-user port on a
    vhost-user socket, or any vdev given (vdev=..., with eal_extra=["-d",
    plugin] for a plugin PMD such as net_dpsw; see conftest's pmd_plugin).

    Driven interactively: cmd() writes a line and returns the output up to the
    next prompt. stdbuf -oL makes testpmd's printf output line-buffered, so a
    command's output precedes the next prompt. Memory is --in-memory with
    --single-file-segments (shared with the switch, no hugepage files left).
    """

    PROMPT = b"testpmd> "
    __test__ = False  # not a pytest test class

    def __init__(self, workdir, sock_path, mac, queues=1, name="pmd", vdev=None,
                 eal_extra=()):
        self.prefix = unique(name)
        self.mac = mac.lower()
        self.queues = queues
        self.log = os.path.join(workdir, "%s.log" % self.prefix)
        if vdev is None:
            vdev = "net_virtio_user0,path=%s,queues=%d,mac=%s" % (sock_path, queues, mac)
        self.args = ["stdbuf", "-oL", TESTPMD_BIN, "-l", "0,1", "--main-lcore", "1",
                     "--no-pci", "--in-memory", "--single-file-segments", "-m", "64",
                     "--file-prefix", self.prefix] + list(eal_extra) + ["--vdev", vdev, "--",
                     "-i", "--total-num-mbufs=2048",
                     "--rxq=%d" % queues, "--txq=%d" % queues]
        self.buf = bytearray()
        self.lock = threading.Lock()
        self.proc = None
        self.started = False

    def start(self, timeout=60):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._wait_prompt(0, timeout)
        out = self.output()
        for bad in ("Failed to start device", "EAL: Error", "Fail to start port"):
            assert bad not in out, "testpmd failed to start:\n%s" % out[-3000:]
        return self

    def _read(self):
        fd = self.proc.stdout.fileno()
        with open(self.log, "ab") as logf:
            while True:
                try:
                    d = os.read(fd, 65536)
                except OSError:
                    break
                if not d:
                    break
                logf.write(d)
                logf.flush()
                with self.lock:
                    self.buf.extend(d)

    def output(self, start=0):
        with self.lock:
            return bytes(self.buf[start:]).decode(errors="replace")

    def _wait_prompt(self, start, timeout):
        def seen():
            if self.proc.poll() is not None:
                raise AssertionError("testpmd exited (%s):\n%s"
                                     % (self.proc.returncode, self.output()[-3000:]))
            with self.lock:
                return self.PROMPT in self.buf[start:]
        wait_until(seen, timeout, "testpmd prompt")

    def cmd(self, line, timeout=30):
        with self.lock:
            start = len(self.buf)
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        self._wait_prompt(start, timeout)
        return self.output(start)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # -- traffic ----------------------------------------------------------
    def rx_start(self):
        """Forward in rxonly mode: count everything that arrives."""
        self.cmd("stop")
        self.cmd("set fwd rxonly")
        self.cmd("start")
        self.started = True

    def send(self, n, dst, per_burst=None):
        """Send exactly n 64-byte UDP frames src=own MAC, dst=dst (testpmd
        txonly bursts through 'start tx_first'), then keep receiving (rxonly).

        With q queues, each tx_first round sends one burst per queue."""
        per_burst = per_burst or n
        rounds, rest = divmod(n, per_burst * self.queues)
        assert rest == 0 and rounds >= 1, "n must be a multiple of burst*queues"
        self.cmd("stop")
        self.cmd("set fwd rxonly")
        self.cmd("set eth-peer 0 %s" % dst)
        self.cmd("set burst %d" % per_burst)
        out = self.cmd("start tx_first %d" % rounds)
        self.started = True
        assert "Packet forwarding already started" not in out, out
        return out

    def txonly_start(self, dst):
        """Continuous traffic (no count): txonly forwarding."""
        self.cmd("stop")
        self.cmd("set eth-peer 0 %s" % dst)
        self.cmd("set burst 32")
        self.cmd("set fwd txonly")
        self.cmd("start")
        self.started = True

    def port_stats(self):
        out = self.cmd("show port stats 0")
        rx = re.search(r"RX-packets:\s+(\d+)", out)
        tx = re.search(r"TX-packets:\s+(\d+)", out)
        rxb = re.search(r"RX-bytes:\s+(\d+)", out)
        assert rx and tx, "cannot parse testpmd stats:\n%s" % out
        return {"rx": int(rx.group(1)), "tx": int(tx.group(1)),
                "rx_bytes": int(rxb.group(1))}

    def rx(self):
        return self.port_stats()["rx"]

    def tx(self):
        return self.port_stats()["tx"]

    # -- stop -------------------------------------------------------------
    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"stop\nquit\n")
                self.proc.stdin.flush()
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        remove_dpdk_files(self.prefix)
        self.proc = None


# --------------------------------------------------------------------------

class Netns:
    """A network namespace with IPv6 disabled (no RS/DAD/MLD noise) and lo up."""

    def __init__(self):
        self.name = unique("ns")
        run(["ip", "netns", "add", self.name])
        self.exec(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                   "net.ipv6.conf.default.disable_ipv6=1"])
        self.exec(["ip", "link", "set", "lo", "up"])

    def exec(self, cmd, check=True, timeout=60):
        if isinstance(cmd, str):
            cmd = shlex.split(cmd)
        return run(["ip", "netns", "exec", self.name] + list(cmd), check=check,
                   timeout=timeout)

    def popen(self, cmd, **kw):
        return subprocess.Popen(["ip", "netns", "exec", self.name] + list(cmd), **kw)

    def adopt(self, ifname, addr=None):
        """Move interface ifname (created in our namespace) in, address it, up."""
        assert ifname != "eth0"
        run(["ip", "link", "set", ifname, "netns", self.name])
        self.exec(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % ifname])
        if addr:
            self.exec(["ip", "addr", "add", addr, "dev", ifname])
        self.exec(["ip", "link", "set", ifname, "up"])

    def mac(self, ifname):
        info = jsonlib.loads(self.exec(["ip", "-j", "link", "show", ifname]).stdout)
        return info[0]["address"].lower()

    def ping(self, target, count=5, interval=0.2, wait=2):
        """Return (sent, received) from iputils ping."""
        r = self.exec(["ping", "-n", "-c", str(count), "-i", str(interval),
                       "-W", str(wait), target], check=False,
                      timeout=count * (interval + wait) + 30)
        m = re.search(r"(\d+) packets transmitted, (\d+) received", r.stdout)
        assert m, "cannot parse ping output:\n%s\n%s" % (r.stdout, r.stderr)
        return int(m.group(1)), int(m.group(2))

    def delete(self):
        run(["ip", "netns", "del", self.name], check=False)


SENDP_CODE = r"""
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp, conf
conf.verb = 0
iface, src, dst, count, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
frames = []
for i in range(count):
    f = Ether(src=src, dst=dst) / IP(src="10.9.0.1", dst="10.9.0.2", id=i) / UDP(sport=4000, dport=4001)
    f = f / Raw(b"d" * (size - len(f)))
    assert len(f) == size
    frames.append(f)
sendp(frames, iface=iface, verbose=False)
print("sent", len(frames))
"""


def ns_sendp(ns, ifname, src, dst, count, size=64):
    """Send exactly count frames of size bytes (no FCS) with scapy inside ns."""
    r = ns.exec([sys.executable, "-c", SENDP_CODE, ifname, src, dst,
                 str(count), str(size)])
    assert r.stdout.strip() == "sent %d" % count, r.stdout + r.stderr


# --------------------------------------------------------------------------

def virtio_vdevs(socks):
    """One virtio-user vdev per vhost-user socket: ports 0, 1, ..."""
    return ["net_virtio_user%d,path=%s,queue_size=1024" % (i, s)
            for i, s in enumerate(socks)]


class ReportingProcess:
    """A tool that runs, prints one JSON report on stdout and exits 0
    (dpswitch-pktgen, dpsr-hostile). Subclasses set self.args, self.log and
    self.what, and may clean up more in _cleanup()."""

    what = "process"
    proc = None

    def start(self):
        self._err = open(self.log, "wb")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._err)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def wait(self, timeout=30):
        """Wait for the end of the run; return (exit status, stdout, stderr)."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError("%s %s did not finish within %s s\n%s"
                                 % (self.what, " ".join(self.args[1:]), timeout,
                                    tail(self.log)))
        return self.proc.returncode, out.decode(errors="replace"), self.stderr()

    def report(self, timeout=30):
        """Wait for the end of the run (exit status 0); return the JSON report."""
        rc, out, err = self.wait(timeout)
        assert rc == 0, "%s %s exited with %d\nstdout: %s\nstderr: %s" % (
            self.what, " ".join(self.args[1:]), rc, out, tail(self.log))
        return jsonlib.loads(out)

    def interrupt(self, timeout=15):
        """SIGINT ends the run early; the report is printed all the same."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.report(timeout)

    def _cleanup(self):
        pass

    def stop(self):
        if self.proc is not None:
            kill_pid(self.proc)
            self._err.close()
            self._cleanup()
            self.proc = None


class Pktgen(ReportingProcess):
    """One dpswitch-pktgen process on the given vdevs (ports 0, 1, ...).

    Memory is --in-memory with --single-file-segments, so nothing is left in
    /dev/hugepages and a vhost-user switch can map it. Use through the
    conftest fixture, which stops it by pid before the switch.
    """

    what = "pktgen"

    def __init__(self, workdir, vdevs, args, lcore="0"):
        self.prefix = unique("pg")
        self.log = os.path.join(workdir, "%s.log" % self.prefix)
        eal = []
        for v in vdevs:
            eal += ["--vdev", v]
        # The switch's worker polls on lcore 1; the generator takes lcore 0.
        self.args = [PKTGEN_BIN, "-l", lcore, "--no-pci", "--in-memory",
                     "--single-file-segments", "-m", "128", "--file-prefix", self.prefix,
                     "--log-level", "lib.eal:warning"] + eal + ["--"] + list(args) + ["--json"]

    def _cleanup(self):
        remove_dpdk_files(self.prefix)


# --------------------------------------------------------------------------

def dpsw_vdev(i, sock, extra=""):
    """The net_dpsw (peer PMD) vdev number i on a shared-ring port's socket;
    extra: more devargs, e.g. "secret=s3cret,mac=02:00:00:00:00:01"."""
    return "net_dpsw%d,path=%s%s" % (i, sock, "," + extra if extra else "")


class Hostile(ReportingProcess):
    """One dpsr-hostile process (tests/hostile/README.md): a raw peer of a
    shared-ring port that attacks it, sends good frames or receives
    carefully. No DPDK, so nothing to clean up but the process. Use through
    the conftest fixture, which stops it by pid before the switch.
    """

    what = "dpsr-hostile"

    def __init__(self, workdir, args):
        self.log = os.path.join(workdir, "%s.log" % unique("ho"))
        self.args = [HOSTILE_BIN] + list(args) + ["--json"]
