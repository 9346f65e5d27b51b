"""DPDK guests for the system tests: QEMU TCG guests of the DPDK image
(scripts/build-guest.sh --dpdk), launched by scripts/vm-launch.sh and
driven over their serial console (a root shell).

* build_image()  - build (or find current) the DPDK guest image.
* Guest          - one guest: launch, boot wait, run(cmd) -> output,
                   wait_for(text), kill by pid.
* IvshmemServer  - a minimal QEMU ivshmem server (a region and doorbells)
                   for a guest's --shm device when no switch serves one.
* EAL            - EAL options that make DPDK start quickly in a guest.

The conftest fixtures dpdk_guest_image and dpdk_guests use these; see
docs/guest.md for the image and the console.
"""

import itertools
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import threading
import time

import dpsw

GUEST_DPDK_DIR = os.path.join(dpsw.BUILD, "guest-dpdk")
VM_LAUNCH = os.path.join(dpsw.REPO, "scripts", "vm-launch.sh")
BUILD_GUEST = os.path.join(dpsw.REPO, "scripts", "build-guest.sh")

# In the guest (scripts/build-guest.sh --dpdk): DPDK PMDs no program is
# linked with (net_virtio), and our PMD plugins, for dpdk-testpmd only
# (dpswitch-pktgen has them built in).
G_PMDS = "/usr/lib/dpdk/pmds"
G_PLUGINS = "/usr/lib/dpdk/plugins"

# EAL in a TCG guest: no telemetry thread, no shared config and no
# hugepage files (--in-memory), a small heap (the guest has 64 hugepages);
# the caller adds -l, the device (-a) and the IOVA mode.
EAL = ["--no-telemetry", "--in-memory", "-m", "32"]


def build_image(outdir=GUEST_DPDK_DIR):
    """Build the DPDK guest image from dpsw.BUILD's binaries (a no-op when
    it is current); return its directory."""
    env = dict(os.environ, DPSWITCH_BUILD=dpsw.BUILD)
    r = dpsw.run([BUILD_GUEST, "--dpdk", outdir], timeout=900, env=env)
    for f in ("vmlinuz", "initrd.gz"):
        assert os.path.isfile(os.path.join(outdir, f)), r.stdout + r.stderr
    return outdir


class GuestError(AssertionError):
    pass


class Guest:
    """One QEMU guest of the DPDK image with its console on a unix socket.

    launch() starts it (vm-launch.sh) and connects to the console; booted()
    waits for the shell; run(cmd) runs one shell command line and returns
    its output; kill() stops QEMU by pid. Use through the dpdk_guests
    fixture, which kills every guest at teardown whatever happened.
    """

    READY = "DPS-GUEST-READY"

    def __init__(self, workdir, name=None, sock=None, mac=None, shm=(), iommu=False,
                 mem=None, hugepages=None, append=None, ip=None, image_dir=GUEST_DPDK_DIR,
                 qmp=False, nics=(), smp=None):
        self.name = name or dpsw.unique("gd")
        self.workdir = workdir
        self.console = os.path.join(workdir, self.name + ".con")
        self.log = os.path.join(workdir, self.name + ".log")
        self.pidfile = os.path.join(workdir, self.name + ".pid")
        args = [VM_LAUNCH, "--image", "dpdk", "--guest-dir", image_dir, "--name", self.name,
                "--console", self.console, "--log", self.log, "--pidfile", self.pidfile]
        if sock:
            args += ["--sock", sock, "--mac", mac]
        for s in shm:
            args += ["--shm", s]
        if iommu:
            args.append("--iommu")
        for n in nics:                    # "igb,tap=IF[,mac=MAC]"
            args += ["--nic", n]
        if smp:
            args += ["--smp", str(smp)]
        if mem:
            args += ["--mem", str(mem)]
        if hugepages:
            args += ["--hugepages", str(hugepages)]
        if append:
            args += ["--append", append]
        if ip:
            args += ["--ip", ip]
        # With QMP a reset reboots the guest (reboot()); without, it ends QEMU.
        self.qmp = os.path.join(workdir, self.name + ".qmp") if qmp else None
        if self.qmp:
            args += ["--qmp", self.qmp]
        self.args = args
        self.pid = None
        self.sock = None
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._reader = None
        self._closed = False
        self._seq = itertools.count(1)

    # -- life -------------------------------------------------------------
    def launch(self):
        r = dpsw.run(self.args, check=False, timeout=60)
        if os.path.exists(self.pidfile):
            self.pid = int(open(self.pidfile).read().strip())
        elif r.stdout.strip().isdigit():
            self.pid = int(r.stdout.strip())
        if r.returncode != 0 or not self.pid:
            raise GuestError("vm-launch failed (rc %d): %s %s" % (r.returncode, r.stdout, r.stderr))
        # QEMU listens on the console before the guest runs; the log has
        # whatever the guest printed before we are connected.
        deadline = time.monotonic() + 30
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.console)
                break
            except OSError:
                s.close()
                if time.monotonic() > deadline or not self.alive():
                    raise GuestError("no console at %s:\n%s" % (self.console, self.tail()))
                time.sleep(0.1)
        self.sock = s
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    self._closed = True
                    self._cond.notify_all()
                    return
                self._buf += data.replace(b"\r", b"")
                self._cond.notify_all()

    def alive(self):
        if not self.pid:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        # A zombie (our own child once) counts as gone.
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().split(") ")[-1][:1] != "Z"
        except OSError:
            return False

    def kill(self):
        """SIGTERM, then SIGKILL, QEMU by its pid; close the console."""
        if self.pid:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(self.pid, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and self.alive():
                    time.sleep(0.1)
                if not self.alive():
                    break
            self.pid = None
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            if self._reader:
                self._reader.join(5)
            self.sock = None

    def tail(self, n=40):
        return dpsw.tail(self.log, n)

    # -- console ----------------------------------------------------------
    def text(self, start=0):
        with self._cond:
            return self._buf[start:].decode(errors="replace")

    def mark(self):
        """A position in the console output, for wait_for(start=...)."""
        with self._cond:
            return len(self._buf)

    def wait_for(self, pattern, timeout=60, start=0):
        """Wait until regex pattern (a str) appears in the console output
        after position start; return the match."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern, re.S)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._buf, start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    break
                self._cond.wait(min(left, 1.0))
        raise GuestError("%s: %r not seen on the console within %ss (%s):\n%s"
                         % (self.name, pattern, timeout,
                            "console closed" if self._closed else "guest running",
                            self.text(max(0, self.mark() - 3000))))

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def booted(self, timeout=240):
        """Wait for the guest's init (DPS-GUEST-READY, in the log: it may
        have printed it before we connected), then for a shell that runs
        commands. Returns the READY line."""
        def ready():
            if not self.alive():
                raise GuestError("%s: QEMU exited while booting:\n%s" % (self.name, self.tail()))
            try:
                with open(self.log, errors="replace") as f:
                    return re.search(self.READY + r".*", f.read())
            except OSError:
                return None
        line = dpsw.wait_until(ready, timeout, lambda: "%s to boot:\n%s" % (self.name, self.tail()),
                               interval=0.5).group(0)
        self.run("stty -echo cols 1000", timeout=60)
        return line

    def reboot(self, timeout=240):
        """Reset the machine over QMP (launched with qmp=True), as a power
        cycle would, and wait for the new boot's shell."""
        assert self.qmp, "%s was launched without qmp=True" % self.name
        start = self.mark()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.qmp)
        f = s.makefile("rw")
        f.readline()
        for cmd in ({"execute": "qmp_capabilities"}, {"execute": "system_reset"}):
            f.write(json.dumps(cmd) + "\n")
            f.flush()
            while "return" not in json.loads(f.readline()):
                pass
        s.close()
        self.wait_for(self.READY, timeout, start)
        self.run("stty -echo cols 1000", timeout=60)

    def start(self, cmd):
        """Type one shell command line into the guest; return a handle for
        finish(). Meanwhile wait_for(..., start=handle[1]) sees its output."""
        assert "\n" not in cmd, "one command line"
        n = next(self._seq)
        start = self.mark()
        # The markers are made by printf from two parts, so that an echo of
        # the command line (should the tty echo it) never matches them.
        # eval: the command may end in '&' and still be one of three.
        quoted = "'" + cmd.replace("'", "'\\''") + "'"
        self.send("printf 'DPS<%%s>\\n' B%d; eval %s; printf 'DPS<%%s:%%s>\\n' E%d $?\n"
                  % (n, quoted, n))
        return (n, start, cmd)

    def finish(self, handle, timeout=60, check=True):
        """Wait for the command of start() to end; return its output
        (stdout and stderr, newline-terminated lines). A non-zero exit
        status fails (check=True) or is returned as (status, output).
        On timeout the command gets Ctrl-C and GuestError is raised."""
        n, start, cmd = handle
        try:
            m = self.wait_for(r"DPS<B%d>\n(.*?)DPS<E%d:(\d+)>" % (n, n), timeout, start)
        except GuestError:
            self.send(b"\x03")
            raise GuestError("%s: '%s' did not finish within %s s:\n%s"
                             % (self.name, cmd, timeout, self.text(start)[-3000:]))
        out, rc = m.group(1).decode(errors="replace"), int(m.group(2))
        if check:
            if rc != 0:
                raise GuestError("%s: '%s' exited with %d:\n%s" % (self.name, cmd, rc, out))
            return out
        return rc, out

    def converse(self, line, prompt, timeout=60):
        """Type a line to an interactive program in the foreground (run
        with start()); return its output up to its next prompt (a regex)."""
        start = self.mark()
        self.send(line + "\n")
        m = self.wait_for(prompt, timeout, start)
        return self.text(start)[:m.start() - start]

    def run(self, cmd, timeout=60, check=True):
        """Run one shell command line in the guest: start() and finish()."""
        return self.finish(self.start(cmd), timeout, check)

    def eal(self, prefix, *extra):
        """EAL options for a DPDK program in this guest (see EAL)."""
        return " ".join(EAL + ["--file-prefix", prefix] + list(extra))


# --------------------------------------------------------------------------

class IvshmemServer:
    """A minimal QEMU ivshmem server (docs/specs/ivshmem-spec.rst in QEMU;
    docs/shm-protocol.md, "What QEMU is sent") for one guest: a memfd region
    of size bytes (a power of two) starting with `pattern`, and `vectors`
    eventfds each way. guest_rang(v) counts the guest's BAR0 doorbell writes
    for vector v; ring(v) raises the guest's MSI-X vector v.

    What dpswitch's shm ports do with transport=ivshmem, reduced to the
    greeting: for testing the guest's side (vm-launch.sh --shm, vfio, uio).
    """

    def __init__(self, path, size=1 << 20, vectors=3, guest_id=1, pattern=b"DPSIVSHM"):
        assert size & (size - 1) == 0
        self.path = path
        self.vectors = vectors
        self.guest_id = guest_id
        self.pattern = pattern
        self.mem = os.memfd_create("dts-ivshmem")
        os.ftruncate(self.mem, size)
        os.pwrite(self.mem, pattern, 0)
        self.peer = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(vectors)]   # guest rings
        self.guest = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(vectors)]  # we ring
        self.rings = [0] * vectors
        self.conn = None
        self._stop = False
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _msg(self, value, fd=None):
        data = struct.pack("<q", value)
        if fd is None:
            self.conn.sendall(data)
        else:
            socket.send_fds(self.conn, [data], [fd])

    def _serve(self):
        self.srv.settimeout(1)
        while not self._stop and self.conn is None:
            try:
                self.conn, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
        if self.conn is None:
            return
        self._msg(0)                        # protocol version
        self._msg(self.guest_id)            # the guest's id (IVPosition)
        self._msg(-1, self.mem)             # the region: BAR2
        for fd in self.peer:                # our vectors (id 0): the guest rings them
            self._msg(0, fd)
        for fd in self.guest:               # the guest's own: QEMU raises its MSI-X vectors
            self._msg(self.guest_id, fd)
        while not self._stop:
            r, _, _ = select.select(self.peer, [], [], 0.2)
            for fd in r:
                try:
                    n = os.eventfd_read(fd)
                except BlockingIOError:
                    continue
                with self._lock:
                    self.rings[self.peer.index(fd)] += n

    def connected(self):
        return self.conn is not None

    def guest_rang(self, v):
        with self._lock:
            return self.rings[v]

    def ring(self, v):
        os.eventfd_write(self.guest[v], 1)

    def read(self, off, n):
        return os.pread(self.mem, n, off)

    def close(self):
        self._stop = True
        self._thread.join(5)
        for s in (self.conn, self.srv):
            if s is not None:
                s.close()
        for fd in [self.mem] + self.peer + self.guest:
            os.close(fd)
        try:
            os.unlink(self.path)
        except OSError:
            pass
