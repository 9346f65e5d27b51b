"""Launchers for the switches under test and the traffic generator.

Every switch exposes two vhost-user sockets (``peer.socks``) and says how a
generator attaches (``peer.gen_server``: True when the switch is the
vhost-user *client*, so the generator's virtio-user ports must be servers).

    with Dpswitch(mode='xconnect') as sw:          # or TestpmdIofwd(), OvsDpdk()
        res = Pktgen(sw).run('txrx', duration=5, size=64)
        print(res['rx_mpps'])

Safety (see LAB.md): every DPDK process gets --no-pci and a unique
--file-prefix; every process is stopped by pid (SIGTERM, then SIGKILL); its
hugepage files, /var/run/dpdk/<prefix>, sockets and the temporary directory
are removed, also on exceptions, SIGTERM/SIGINT and interpreter exit (atexit).
Nothing here touches eth0; OVS's netdev bridge creates two kernel tap
interfaces (the bridge's own, uniquely named, and 'ovs-netdev') which are
deleted at teardown.

Layout on 2 cores: switch worker on core 1 (dpswitch -l 0,1 main 0; testpmd
-l 0,1 --main-lcore 0; OVS pmd-cpu-mask=0x2), generator on core 0.
"""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DPSWITCH_BUILD", os.path.join(REPO, "build"))
DPSWITCH_BIN = os.path.join(BUILD, "app/dpswitch/dpswitch")
CTL_BIN = os.path.join(BUILD, "app/dpswitch-ctl/dpswitch-ctl")
PKTGEN_BIN = os.path.join(BUILD, "app/dpswitch-pktgen/dpswitch-pktgen")
XCORE_RTT_BIN = os.path.join(BUILD, "tools/xcore-rtt/xcore-rtt")
TESTPMD_BIN = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"

GEN_LCORE = "0"          # generator core
SWITCH_CORE_MASK = 0x2   # the switch's forwarding core (core 1)

_seq = [0]
_live = []               # objects with a .close() still to run


def unique(tag):
    _seq[0] += 1
    return "b%d%s%d" % (os.getpid() % 100000, tag, _seq[0])


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def _cleanup_all():
    while _live:
        obj = _live.pop()
        try:
            obj.close()
        except Exception as e:  # keep cleaning the rest
            log("cleanup: %s: %s" % (obj, e))


atexit.register(_cleanup_all)


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)  # unwinds every with/finally, then atexit


for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def remove_dpdk_files(prefix):
    for d in ("/dev/hugepages",):
        try:
            for f in os.listdir(d):
                if f.startswith(prefix):
                    try:
                        os.unlink(os.path.join(d, f))
                    except OSError:
                        pass
        except OSError:
            pass
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)


def stop_proc(proc, term_timeout=5):
    """SIGTERM then SIGKILL, by pid only. Returns the exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(term_timeout)
        except subprocess.TimeoutExpired:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
    return proc.returncode


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def wait_until(cond, timeout, what, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError("timed out (%ss) waiting for %s" % (timeout, what))


def cpu_of(pid, interval=1.0):
    """CPU used by process pid over `interval` seconds, in cores (1.0 = one
    core busy), from utime+stime in /proc/PID/stat (all threads)."""
    def ticks():
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        fields = s[s.rindex(")") + 2:].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    hz = os.sysconf("SC_CLK_TCK")
    t0, c0 = time.time(), ticks()
    time.sleep(interval)
    t1, c1 = time.time(), ticks()
    return (c1 - c0) / hz / (t1 - t0)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Workdir:
    """A private short directory (unix socket paths must stay < 108 bytes)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="bench-", dir="/tmp")
        _live.append(self)

    def __call__(self, name):
        return os.path.join(self.path, name)

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)
        if self in _live:
            _live.remove(self)


class Peer:
    """Base: a switch under test in its own temp dir. Use as a context manager."""

    name = "peer"
    gen_server = False  # generator's virtio-user ports: server=1 when True
    # How a generator attaches to self.socks: virtio-user (vhost), dpsr
    # (dpswitch shm ports), memif-client / memif-server (testpmd memif).
    gen_kind = "virtio"
    gen_devargs = ""        # more devargs for the generator's vdevs
    # net_memif needs DPDK's multi-process channel, which --in-memory turns
    # off: memif processes keep hugepage files (removed by prefix at close).
    gen_in_memory = True

    def __init__(self):
        self.wd = None
        self.procs = []
        self.prefixes = []
        self.socks = []

    # -- lifecycle -------------------------------------------------------
    def __enter__(self):
        _live.append(self)
        self.wd = Workdir()
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        raise NotImplementedError

    def _spawn(self, args, logname, stdin=subprocess.DEVNULL, env=None):
        logf = open(self.wd(logname), "wb")
        p = subprocess.Popen(args, stdin=stdin, stdout=logf, stderr=subprocess.STDOUT,
                             start_new_session=True, env=env)
        logf.close()
        p.logpath = self.wd(logname)
        self.procs.append(p)
        return p

    def alive(self):
        return all(p.poll() is None for p in self.procs)

    def check_alive(self):
        for p in self.procs:
            if p.poll() is not None:
                raise RuntimeError("%s: process %s exited with %s:\n%s" % (
                    self.name, p.args[0], p.returncode, tail(p.logpath)))

    def close(self):
        self.pre_close()
        for p in reversed(self.procs):
            stop_proc(p)
        self.procs = []
        for pre in self.prefixes:
            remove_dpdk_files(pre)
        self.post_close()
        if self.wd:
            self.wd.close()
        if self in _live:
            _live.remove(self)

    def pre_close(self):
        pass

    def post_close(self):
        pass

    @property
    def pid(self):
        """pid of the process doing the switching (for cpu_of)."""
        return self.procs[0].pid

    def gen_vdevs(self, n=2, which=None):
        """--vdev arguments for a generator attached to this switch's sockets
        (all, or the indexes in which, renumbered from 0)."""
        out = []
        socks = self.socks[:n] if which is None else [self.socks[i] for i in which]
        for i, s in enumerate(socks):
            v = gen_vdev(self.gen_kind, i, s, self.gen_server)
            out += ["--vdev", v + ("," + self.gen_devargs if self.gen_devargs else "")]
        return out

    def __repr__(self):
        return "<%s>" % self.name


def gen_vdev(kind, i, sock, server=False):
    """One generator-side vdev on a switch's socket."""
    if kind == "virtio":
        return "net_virtio_user%d,path=%s,queue_size=1024%s" % (i, sock,
                                                                  ",server=1" if server else "")
    if kind == "dpsr":
        return "net_dpsw%d,path=%s" % (i, sock)
    if kind in ("memif-client", "memif-server"):
        return "net_memif%d,role=%s,socket=%s,socket-abstract=no,id=0" % (
            i, kind.split("-")[1], sock)
    raise ValueError(kind)


def xcore_rtt(a=0, b=1):
    """Cache-line round trip in ns between CPUs a and b (tools/xcore-rtt),
    or None. Run it while nothing polls: it measures where the hypervisor
    placed the generator's and the switch's vCPUs."""
    try:
        r = subprocess.run([XCORE_RTT_BIN, str(a), str(b)], capture_output=True, text=True,
                           timeout=30)
        return json.loads(r.stdout)["rtt_ns"] if r.returncode == 0 else None
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return None


# ----------------------------------------------------------------------------
class Dpswitch(Peer):
    """dpswitch with two vhost-user ports (server side), bridge or xconnect.

    ports: list of 'NAME KIND [DEVARGS]' to use instead of the two vhost ports
    (e.g. null ports); execs: extra start-up commands; burst: 'set burst N';
    rx_mode: --rx-mode (poll, interrupt, adaptive; default: the daemon's).
    """

    def __init__(self, mode="bridge", ports=None, execs=(), burst=None, mbufs=None,
                 rx_mode=None, shm=None, gen_devargs=""):
        """shm: None (vhost ports), or the devargs of two shared-ring ports
        after path= (e.g. 'group=g' for trusted, '' for isolated); their
        generator attaches with net_dpsw, with gen_devargs added (e.g.
        'zero-copy=1')."""
        super().__init__()
        self.shm = shm
        self.gen_devargs = gen_devargs
        assert mode in ("bridge", "xconnect")
        self.mode = mode
        self.rx_mode = rx_mode
        self.name = "dpswitch-" + mode + ("-" + rx_mode if rx_mode else "")
        self.ports_arg = ports
        self.execs = list(execs)
        self.burst = burst
        self.mbufs = mbufs

    def start(self):
        if not os.access(DPSWITCH_BIN, os.X_OK):
            raise RuntimeError("%s not built (ninja -C build)" % DPSWITCH_BIN)
        self.prefix = unique("d")
        self.prefixes.append(self.prefix)
        self.sock = self.wd("ctl.sock")
        if self.shm is not None:
            self.gen_kind = "dpsr"
            self.socks = [self.wd("s0.sock"), self.wd("s1.sock")]
            ports = ["s%d shm path=%s%s" % (i, s, "," + self.shm if self.shm else "")
                     for i, s in enumerate(self.socks)]
        elif self.ports_arg is None:
            self.socks = [self.wd("v0.sock"), self.wd("v1.sock")]
            ports = ["v0 vhost iface=%s" % self.socks[0], "v1 vhost iface=%s" % self.socks[1]]
        else:
            ports = list(self.ports_arg)
        self.port_names = [p.split()[0] for p in ports]
        args = [DPSWITCH_BIN, "-l", "0,1", "--main-lcore", "0", "--no-pci",
                "--file-prefix", self.prefix, "--log-level=lib.eal:error", "--", "-s", self.sock]
        if self.mbufs:
            args += ["--mbufs", str(self.mbufs)]
        if self.rx_mode:
            args += ["--rx-mode", self.rx_mode]
        for p in ports:
            args += ["-p", p]
        execs = []
        if self.mode == "xconnect":
            execs.append("xconnect add %s %s" % tuple(self.port_names[:2]))
        if self.burst:
            execs.append("set burst %d" % self.burst)
        for e in execs + self.execs:
            args += ["-e", e]
        self.proc = self._spawn(args, "dpswitch.log")

        def ready():
            self.check_alive()
            if not os.path.exists(self.sock):
                return False
            r = subprocess.run([CTL_BIN, "-s", self.sock, "show", "config"],
                               capture_output=True, timeout=10)
            return r.returncode == 0
        wait_until(ready, 30, "dpswitch control socket")
        for s in self.socks:
            wait_until(lambda: os.path.exists(s), 10, "socket " + s)

    def ctl(self, *cmd, json_out=True, check=True):
        args = [CTL_BIN, "-s", self.sock] + (["-j"] if json_out else []) + list(cmd)
        r = subprocess.run(args, capture_output=True, text=True, timeout=15)
        if check and r.returncode != 0:
            raise RuntimeError("dpswitch-ctl %s: rc=%d %s%s" % (" ".join(cmd), r.returncode,
                                                               r.stdout, r.stderr))
        return json.loads(r.stdout) if json_out and r.stdout.strip() else r.stdout

    def has_command(self, words):
        return words in self.ctl("help", json_out=False)

    def port_stats(self):
        return {p["name"]: p for p in self.ctl("port", "stats")["ports"]}

    def lcore(self):
        return self.ctl("lcore", "show")["workers"]

    def wait_links(self, timeout=20, ports=None):
        """Wait until the links of ports (indexes into port_names; default
        all) are up, i.e. their peers are connected."""
        names = [self.port_names[i] for i in ports] if ports is not None else None

        def up():
            self.check_alive()
            ps = self.ctl("port", "show")["ports"]
            return all(p["link_up"] for p in ps if names is None or p["name"] in names)
        wait_until(up, timeout, "dpswitch links up")

    def pre_close(self):
        # graceful quit first (removes its vhost sockets); then by pid
        if getattr(self, "proc", None) is not None and self.proc.poll() is None:
            subprocess.run([CTL_BIN, "-s", self.sock, "quit"], capture_output=True, timeout=15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass


# ----------------------------------------------------------------------------
class TestpmdIofwd(Peer):
    """dpdk-testpmd io-fwd between two ports, forwarding on core 1.

    Default ports: two net_vhost (server) ports; ports='null' gives two
    net_null ports (copy=0) for the no-I/O comparison; 'memif': two memif
    servers (copy mode; the generator is the client); 'memif-zc': two memif
    clients with zero-copy=yes (the generator is the server). Interactive:
    commands through stdin, output in the log.
    """

    name = "testpmd-iofwd"
    __test__ = False

    def __init__(self, ports="vhost", burst=None, extra=()):
        super().__init__()
        self.kind = ports
        self.burst = burst
        self.extra = list(extra)

    def start(self):
        self.prefix = unique("t")
        vdevs = []
        if self.kind == "vhost":
            self.socks = [self.wd("v0.sock"), self.wd("v1.sock")]
            for i, s in enumerate(self.socks):
                vdevs += ["--vdev", "net_vhost%d,iface=%s,queues=1" % (i, s)]
        elif self.kind == "null":
            vdevs += ["--vdev", "net_null0", "--vdev", "net_null1"]
        elif self.kind in ("memif", "memif-zc"):
            self.socks = [self.wd("m0.sock"), self.wd("m1.sock")]
            role = "server" if self.kind == "memif" else "client"
            self.gen_kind = "memif-" + ("client" if role == "server" else "server")
            for i, s in enumerate(self.socks):
                v = "net_memif%d,role=%s,socket=%s,socket-abstract=no,id=0" % (i, role, s)
                vdevs += ["--vdev", v + (",zero-copy=yes" if self.kind == "memif-zc" else "")]
        else:
            raise ValueError(self.kind)
        if self.kind.startswith("memif"):
            self.gen_in_memory = False
            self.prefixes.append(self.prefix)
            mem = ["--single-file-segments"]
        else:
            mem = ["--in-memory"]
        args = ["stdbuf", "-oL", TESTPMD_BIN, "-l", "0,1", "--main-lcore", "0", "--no-pci"] + \
            mem + ["-m", "256", "--file-prefix", self.prefix,
                "--log-level=lib.eal:error"] + vdevs + [
                "--", "-i", "--nb-cores=1", "--forward-mode=io", "--total-num-mbufs=16384",
                "--record-core-cycles"]
        if self.burst:
            args.append("--burst=%d" % self.burst)
        args += self.extra
        self.proc = self._spawn(args, "testpmd.log", stdin=subprocess.PIPE)
        wait_until(lambda: self.check_alive() or "testpmd> " in self.output(), 30,
                   "testpmd prompt")
        if self.kind in ("vhost", "memif"):   # servers: their sockets must appear
            for s in self.socks:
                wait_until(lambda: os.path.exists(s), 10, "socket " + s)
        self.cmd("start")

    def output(self):
        with open(self.proc.logpath, errors="replace") as f:
            return f.read()

    def cmd(self, line, timeout=20):
        start = len(self.output())
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

        def done():
            self.check_alive()
            out = self.output()[start:]
            return out if out.count("testpmd> ") >= 1 else None
        return wait_until(done, timeout, "testpmd '%s'" % line)

    def port_stats(self):
        """{port: {'rx_packets', 'tx_packets'}} from 'show port stats all'."""
        out = self.cmd("show port stats all")
        res = {}
        for m in re.finditer(r"statistics for port (\d+).*?RX-packets:\s*(\d+).*?"
                             r"TX-packets:\s*(\d+)", out, re.S):
            res[int(m.group(1))] = {"rx_packets": int(m.group(2)),
                                    "tx_packets": int(m.group(3))}
        return res

    def pre_close(self):
        p = getattr(self, "proc", None)
        if p is not None and p.poll() is None:
            try:
                p.stdin.write(b"stop\nquit\n")
                p.stdin.flush()
                p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass


# ----------------------------------------------------------------------------
def _iface_exists(name):
    return os.path.exists("/sys/class/net/" + name)


class OvsDpdk(Peer):
    """A private Open vSwitch 3.1 with DPDK (own ovsdb, run dir, file prefix).

    netdev bridge with two dpdkvhostuserclient ports (OVS is the vhost-user
    client: the generator's virtio-user ports are servers). flows='p2p':
    in_port=1,actions=output:2 and back; flows='normal': one actions=NORMAL
    flow (MAC learning, like dpswitch's bridge). pmd_sleep_max (us): OVS's
    PMD load-based sleep (3.1 calls it other_config:pmd-maxsleep).
    """

    gen_server = True

    def __init__(self, flows="p2p", pmd_sleep_max=None):
        super().__init__()
        assert flows in ("p2p", "normal")
        self.flows = flows
        self.name = "ovs-dpdk-" + flows
        self.pmd_sleep_max = pmd_sleep_max
        self.created_ifaces = []

    def _env(self):
        env = dict(os.environ)
        env.update(OVS_RUNDIR=self.wd.path, OVS_DBDIR=self.wd.path, OVS_LOGDIR=self.wd.path,
                   OVS_SYSCONFDIR=self.wd.path)
        return env

    def vsctl(self, *args, no_wait=False):
        cmd = ["ovs-vsctl", "--db=unix:" + self.db, "--timeout=20"]
        if no_wait:
            cmd.append("--no-wait")
        r = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=30,
                           env=self._env())
        if r.returncode:
            raise RuntimeError("ovs-vsctl %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def ofctl(self, *args):
        r = subprocess.run(["ovs-ofctl"] + [args[0], "unix:" + self.mgmt] + list(args[1:]),
                           capture_output=True, text=True, timeout=30, env=self._env())
        if r.returncode:
            raise RuntimeError("ovs-ofctl %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def appctl(self, *args):
        r = subprocess.run(["ovs-appctl", "-t", self.wd("vswitchd.ctl")] + list(args),
                           capture_output=True, text=True, timeout=30, env=self._env())
        return r.stdout

    def start(self):
        for f in (OVS_VSWITCHD, OVS_SCHEMA):
            if not os.path.exists(f):
                raise RuntimeError("%s missing: run scripts/setup-bench-deps.sh" % f)
        if _iface_exists("ovs-netdev"):
            raise RuntimeError("another OVS netdev datapath runs here ('ovs-netdev' exists); "
                               "refusing to start a second one")
        self.prefix = unique("o")
        self.prefixes.append(self.prefix)
        self.br = "dpsb%d" % (os.getpid() % 100000)  # kernel tap name, <= 15 chars
        if _iface_exists(self.br):
            raise RuntimeError("interface %s exists" % self.br)
        self.db = self.wd("db.sock")
        self.mgmt = self.wd(self.br + ".mgmt")
        self.socks = [self.wd("v0.sock"), self.wd("v1.sock")]
        env = self._env()
        subprocess.run(["ovsdb-tool", "create", self.wd("conf.db"), OVS_SCHEMA], check=True,
                       env=env, capture_output=True)
        self.dbproc = self._spawn(["ovsdb-server", self.wd("conf.db"),
                                   "--remote=punix:" + self.db,
                                   "--unixctl=" + self.wd("ovsdb.ctl"),
                                   "--pidfile=" + self.wd("ovsdb.pid"),
                                   "--log-file=" + self.wd("ovsdb-file.log")],
                                  "ovsdb.log", env=env)
        wait_until(lambda: self.check_alive() or os.path.exists(self.db), 20, "ovsdb socket")
        self.vsctl("init", no_wait=True)
        cfg = ["other_config:dpdk-init=true",
               "other_config:pmd-cpu-mask=0x%x" % SWITCH_CORE_MASK,
               "other_config:dpdk-lcore-mask=0x1",
               "other_config:dpdk-socket-mem=256",
               "other_config:dpdk-extra=--no-pci --file-prefix=%s" % self.prefix]
        if self.pmd_sleep_max is not None:
            cfg += ["other_config:pmd-maxsleep=%d" % self.pmd_sleep_max,
                    "other_config:pmd-sleep-max=%d" % self.pmd_sleep_max]
        self.vsctl("set", "Open_vSwitch", ".", *cfg, no_wait=True)
        self.vproc = self._spawn([OVS_VSWITCHD, "unix:" + self.db,
                                  "--unixctl=" + self.wd("vswitchd.ctl"),
                                  "--pidfile=" + self.wd("vswitchd.pid"),
                                  "--log-file=" + self.wd("vswitchd-file.log")],
                                 "vswitchd.log", env=env)
        wait_until(lambda: self.check_alive() or os.path.exists(self.wd("vswitchd.ctl")), 60,
                   "ovs-vswitchd control socket")
        self.created_ifaces = [self.br, "ovs-netdev"]
        self.vsctl("add-br", self.br, "--", "set", "bridge", self.br, "datapath_type=netdev")
        for i, s in enumerate(self.socks):
            self.vsctl("add-port", self.br, "vu%d" % i, "--", "set", "Interface", "vu%d" % i,
                       "type=dpdkvhostuserclient", "options:vhost-server-path=" + s,
                       "ofport_request=%d" % (i + 1))
        self.ofctl("del-flows")
        if self.flows == "p2p":
            self.ofctl("add-flow", "in_port=1,actions=output:2")
            self.ofctl("add-flow", "in_port=2,actions=output:1")
        else:
            self.ofctl("add-flow", "actions=NORMAL")
        self.check_alive()

    @property
    def pid(self):
        return self.vproc.pid

    def wait_links(self, timeout=20, ports=(0, 1)):
        """OVS reconnects to a vhost-user server about once a second."""
        def up():
            self.check_alive()
            return all(self.vsctl("get", "Interface", "vu%d" % i, "link_state").strip() == "up"
                       for i in ports)
        wait_until(up, timeout, "OVS vhost-user links up")

    def pre_close(self):
        if getattr(self, "vproc", None) is not None and self.vproc.poll() is None:
            try:
                self.vsctl("--if-exists", "del-br", self.br)
            except Exception:
                pass

    def post_close(self):
        # OVS makes its netdev taps persistent; delete what this instance made.
        for ifc in self.created_ifaces:
            if _iface_exists(ifc):
                subprocess.run(["ip", "link", "del", ifc], capture_output=True)
        self.created_ifaces = []


# ----------------------------------------------------------------------------
class Pktgen:
    """Runs build/app/dpswitch-pktgen attached to a peer; returns its JSON."""

    def __init__(self, peer, lcores=GEN_LCORE):
        self.peer = peer
        self.lcores = lcores

    @staticmethod
    def available():
        return os.access(PKTGEN_BIN, os.X_OK)

    def eal(self, ports=None):
        prefix = unique("g")
        vd = self.peer.gen_vdevs(which=ports)
        mem = ["--in-memory"] if self.peer.gen_in_memory else []
        return prefix, ["-l", self.lcores, "--no-pci"] + mem + ["--single-file-segments",
                        "-m", "512", "--file-prefix", prefix, "--log-level=lib.eal:error"] + vd

    def args(self, mode, **opts):
        a = ["--mode", mode, "--json"]
        for k, v in opts.items():
            if v is None or v is False:
                continue
            flag = "--" + k.replace("_", "-")
            a += [flag] if v is True else [flag, str(v)]
        return a

    def start(self, mode, ports=None, **opts):
        """Start in the background (for reflectors); returns the Popen."""
        prefix, eal = self.eal(ports)
        logpath = self.peer.wd("pktgen-%s-%s.log" % (mode, prefix))
        logf = open(logpath, "wb")
        p = subprocess.Popen([PKTGEN_BIN] + eal + ["--"] + self.args(mode, **opts),
                             stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        logf.close()
        p.logpath, p.prefix = logpath, prefix
        return p

    def run(self, mode="txrx", timeout=None, ports=None, during=None, during_delay=0.0,
            **opts):
        """Run to completion; returns the parsed JSON. during: a callable run
        (once, after during_delay seconds) while the generator runs; its
        result is stored as result['_during']."""
        if not self.available():
            raise RuntimeError("%s not built" % PKTGEN_BIN)
        prefix, eal = self.eal(ports)
        dur = float(opts.get("duration") or 0) + float(opts.get("warmup") or 0)
        timeout = timeout or dur + 60
        cmd = [PKTGEN_BIN] + eal + ["--"] + self.args(mode, **opts)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, start_new_session=True, text=True)
        _live.append(_ProcCloser(p, prefix))
        during_val = None
        try:
            if during is not None:
                time.sleep(during_delay)
                if p.poll() is None:
                    during_val = during()
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_proc(p)
            out, err = p.communicate()
            raise RuntimeError("pktgen timed out after %ss: %s\n%s" % (timeout, " ".join(cmd),
                                                                     err[-2000:]))
        finally:
            stop_proc(p)
            remove_dpdk_files(prefix)
        self.peer.check_alive()
        if p.returncode != 0:
            raise RuntimeError("pktgen rc=%s: %s\n%s%s" % (p.returncode, " ".join(cmd),
                                                          out[-2000:], err[-2000:]))
        res = parse_json_tail(out)
        if during is not None:
            res["_during"] = during_val
        return res


class _ProcCloser:
    def __init__(self, p, prefix):
        self.p, self.prefix = p, prefix

    def close(self):
        stop_proc(self.p)
        remove_dpdk_files(self.prefix)


def parse_json_tail(out):
    """The last JSON object in a program's output."""
    dec = json.JSONDecoder()
    last = None
    i = out.find("{")
    while i >= 0:
        try:
            obj, end = dec.raw_decode(out, i)
            last = obj
            i = out.find("{", end)
        except ValueError:
            i = out.find("{", i + 1)
    if last is None:
        raise RuntimeError("no JSON in output:\n%s" % out[-2000:])
    return last


# ----------------------------------------------------------------------------
class TestpmdLoopGen:
    """testpmd as a generator (before/without dpswitch-pktgen): two virtio-user
    ports on the peer's sockets, io-fwd with --tx-first, so a burst circulates
    generator -> switch -> generator. Forwarding on core 0. Measures the
    generator's rx rate over `duration` seconds (PVP loopback, 64 bytes)."""

    __test__ = False

    def __init__(self, peer):
        self.peer = peer

    def run(self, duration=3, warmup=1):
        prefix = unique("l")
        vd = self.peer.gen_vdevs()
        logpath = self.peer.wd("loopgen-%s.log" % prefix)
        args = ["stdbuf", "-oL", TESTPMD_BIN, "-l", "0,1", "--main-lcore", "1", "--no-pci",
                "--in-memory", "--single-file-segments", "-m", "256", "--file-prefix", prefix,
                "--log-level=lib.eal:error"] + vd + [
                "--", "-i", "--nb-cores=1", "--forward-mode=io", "--total-num-mbufs=8192"]
        logf = open(logpath, "wb")
        p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=logf, stderr=subprocess.STDOUT,
                             start_new_session=True)
        logf.close()
        closer = _ProcCloser(p, prefix)
        _live.append(closer)

        def out():
            with open(logpath, errors="replace") as f:
                return f.read()

        def cmd(line):
            n = len(out())
            p.stdin.write((line + "\n").encode())
            p.stdin.flush()
            return wait_until(lambda: (p.poll() is None or _raise(out())) and
                              out()[n:].count("testpmd> ") and out()[n:], 30, line)

        def rx():
            o = cmd("show port stats all")
            return sum(int(x) for x in re.findall(r"RX-packets:\s*(\d+)", o))
        try:
            wait_until(lambda: (p.poll() is None or _raise(out())) and "testpmd> " in out(), 60,
                       "testpmd generator prompt")
            if isinstance(self.peer, Dpswitch):
                self.peer.wait_links()
            time.sleep(0.5)
            cmd("start tx_first 16")
            time.sleep(warmup)
            r0, t0 = rx(), time.time()
            time.sleep(duration)
            r1, t1 = rx(), time.time()
            cmd("stop")
            self.peer.check_alive()
            mpps = (r1 - r0) / (t1 - t0) / 1e6
            return {"mode": "loopback", "duration_s": t1 - t0, "rx_packets": r1 - r0,
                    "rx_mpps": mpps, "rx_gbps": mpps * 84 * 8 / 1e3}
        finally:
            try:
                p.stdin.write(b"quit\n")
                p.stdin.flush()
                p.wait(5)
            except Exception:
                pass
            closer.close()
            if closer in _live:
                _live.remove(closer)


def _raise(text):
    raise RuntimeError("process exited:\n" + text[-2000:])


if __name__ == "__main__":
    # Self-test: prove every launcher forwards, with testpmd as the generator.
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=3)
    ap.add_argument("peers", nargs="*", default=["dpswitch-bridge", "dpswitch-xconnect",
                                                 "testpmd", "ovs-p2p", "ovs-normal"])
    a = ap.parse_args()
    make = {"dpswitch-bridge": lambda: Dpswitch("bridge"),
            "dpswitch-xconnect": lambda: Dpswitch("xconnect"),
            "testpmd": TestpmdIofwd,
            "ovs-p2p": lambda: OvsDpdk("p2p"),
            "ovs-normal": lambda: OvsDpdk("normal")}
    for name in a.peers:
        with make[name]() as sw:
            r = TestpmdLoopGen(sw).run(duration=a.duration)
            print("%-20s %6.2f Mpps loopback (testpmd generator)" % (name, r["rx_mpps"]))
