"""pytest fixtures for the dpswitch system tests. See dts/README.md."""

import os
import shutil
import tempfile

import pytest

import dpsw
import guest
import lab as lablib


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "log_allow(*regexes): warning/error lines the test's dpswitch "
        "daemons may log (re.search on the line, level included); any other fails "
        "the test at teardown")
    for path in (dpsw.DPSWITCH_BIN, dpsw.CTL_BIN, dpsw.TESTPMD_BIN):
        if not os.access(path, os.X_OK):
            raise pytest.UsageError("%s not found: build first (ninja -C build) or set "
                                    "DPSWITCH_BUILD / DPSWITCH_DAEMON_BUILD" % path)
    if os.geteuid() != 0:
        raise pytest.UsageError("the dts suite needs root (DPDK, namespaces, taps)")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item, so fixtures know if it failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    rep = getattr(request.node, "rep_call", None)
    return rep is None or rep.failed


def log_allowed(node):
    """The regexes of every log_allow marker of a test (function, class,
    module)."""
    return [a for m in node.iter_markers("log_allow") for a in m.args]


@pytest.fixture(scope="session")
def pmd_plugin():
    """The net_dpsw plugin for `dpdk-testpmd -d`, copied under /run: EAL
    refuses a plugin in any directory below a world-writable one ("/tmp is
    world-writable and insecure"), and a CI clone may well be in /tmp."""
    d = tempfile.mkdtemp(prefix="dts-plugin-", dir="/run")
    so = os.path.join(d, os.path.basename(dpsw.PMD_SO))
    shutil.copy(dpsw.PMD_SO, so)
    yield so
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def workdir(request):
    """A short private directory (unix socket paths must stay < 108 bytes)."""
    d = tempfile.mkdtemp(prefix="dts-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def dpswitch(request, workdir):
    """Factory: dpswitch(ports=[...], execs=[...], config=FILE, extra=[...]).

    Starts the daemon (unique --file-prefix, control socket in workdir) and
    waits until the socket answers. At teardown every daemon must still be
    running (a crash fails the test), is stopped with 'quit' (SIGKILL by pid
    if it hangs, which also fails the test) and its hugepage files removed.
    Then its log is read: a warning or error line (dpsw.LOG_BAD) that the
    test did not allow (@pytest.mark.log_allow(regex, ...), d.allow_log(regex))
    fails the test too.
    """
    started = []

    def start(**kw):
        d = dpsw.Dpswitch(workdir, **kw)
        started.append(d)
        return d.start()

    yield start

    problems = []
    allow = log_allowed(request.node)
    for d in started:
        if _failed(request):
            print("---- dpswitch log %s (tail) ----\n%s" % (d.log, dpsw.tail(d.log, 60)))
        problems += d.stop()
        bad = d.log_problems(allow)
        if bad:
            problems.append(dpsw.log_report(d.log, bad))
        for report in d.sanitizer_reports():
            problems.append("sanitizer report in %s:\n%s" % (os.path.basename(d.log), report))
    if problems:
        pytest.fail("dpswitch teardown: " + "\n".join(problems), pytrace=False)


@pytest.fixture
def testpmd(request, dpswitch, workdir):
    """Factory: testpmd(sock_path, mac, queues=1, vdev=None, eal_extra=()) ->
    running dpsw.TestPmd (a virtio-user port on sock_path, or the vdev).

    Depends on the dpswitch fixture so the peers go away before the switch.
    """
    started = []

    def start(sock_path, mac, queues=1, vdev=None, eal_extra=()):
        p = dpsw.TestPmd(workdir, sock_path, mac, queues=queues, vdev=vdev,
                         eal_extra=eal_extra)
        started.append(p)
        return p.start()

    yield start

    for p in reversed(started):
        if _failed(request):
            print("---- testpmd log %s (tail) ----\n%s" % (p.log, dpsw.tail(p.log, 30)))
        p.stop()


@pytest.fixture
def pktgen(request, dpswitch, workdir):
    """Factory: pktgen(socks, args, vdevs=None, lcore="0") -> started
    dpsw.Pktgen, on virtio-user ports for the vhost sockets socks (or on the
    given vdevs); every one is stopped by pid before the switch."""
    started = []

    def start(socks, args, vdevs=None, lcore="0"):
        p = dpsw.Pktgen(workdir, vdevs or dpsw.virtio_vdevs(socks), args, lcore=lcore)
        started.append(p)
        return p.start()

    yield start

    for p in reversed(started):
        if _failed(request) and p.proc is not None:
            print("---- pktgen %s: stderr ----\n%s" % (p.prefix, dpsw.tail(p.log, 20)))
        p.stop()


@pytest.fixture
def hostile(request, dpswitch, workdir):
    """Factory: hostile(args) -> started dpsw.Hostile (dpsr-hostile with
    args, --json added); every one is stopped by pid before the switch."""
    started = []

    def start(args):
        h = dpsw.Hostile(workdir, args)
        started.append(h)
        return h.start()

    yield start

    for h in reversed(started):
        if _failed(request) and h.proc is not None:
            print("---- dpsr-hostile %s: stderr ----\n%s" % (" ".join(h.args[1:]),
                                                          dpsw.tail(h.log, 10)))
        h.stop()


@pytest.fixture
def netns():
    """Factory: netns() -> dpsw.Netns; every namespace is deleted at teardown."""
    made = []

    def make():
        ns = dpsw.Netns()
        made.append(ns)
        return ns

    yield make

    for ns in made:
        ns.delete()


@pytest.fixture
def veth():
    """Factory: veth() -> (a, b), a veth pair, up, IPv6 off; deleted at teardown."""
    made = []

    def make():
        a, b = dpsw.short_ifname("va"), dpsw.short_ifname("vb")
        dpsw.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
        made.append(a)
        for i in (a, b):
            dpsw.quiet_iface(i)
            dpsw.run(["ip", "link", "set", i, "up"])
        return a, b

    yield make
    for a in made:
        dpsw.run(["ip", "link", "del", a], check=False)


@pytest.fixture(scope="session")
def dpdk_guest_image():
    """The DPDK guest image (scripts/build-guest.sh --dpdk) of this build:
    built, or found current."""
    return guest.build_image()


@pytest.fixture
def dpdk_guests(request, dpswitch, workdir, dpdk_guest_image):
    """Factory: dpdk_guests(spec, ...) -> [guest.Guest], one booted guest of
    the DPDK image per spec, a dict of guest.Guest keyword arguments (sock,
    mac, shm, iommu, mem, append, ...). All are launched first, then waited
    for, so they boot in parallel; each has a root shell on its console
    (Guest.run). Every QEMU is killed by pid at teardown, whatever happened,
    before the switch stops (this fixture depends on dpswitch's)."""
    started = []

    def boot(*specs, timeout=300):
        gs = []
        for spec in specs:
            g = guest.Guest(workdir, image_dir=dpdk_guest_image, **spec)
            started.append(g)
            gs.append(g.launch())
        for g in gs:
            g.booted(timeout)
        return gs

    yield boot

    for g in reversed(started):
        if _failed(request):
            print("---- guest %s console (tail) ----\n%s" % (g.name, g.tail(40)))
        g.kill()


@pytest.fixture
def lab(request, workdir, netns, dpdk_guest_image):
    """Factory: lab(nb_nics=2, ...) -> lab.Lab: a booted NIC-lab guest
    (q35, emulated IOMMU, igb NICs whose taps are each in a namespace of
    their own, the NICs on vfio-pci in the guest; lab.py). QEMU is killed
    by pid at teardown, whatever happened (the switch in the guest and
    the taps go with it), before the namespaces are deleted."""
    started = []

    def make(**kw):
        g, nics = lablib.boot(workdir, dpdk_guest_image, **kw)
        started.append(g)
        g.launch()
        g.booted(300)
        return lablib.ready(g, nics, netns)

    yield make

    for g in reversed(started):
        try:
            if _failed(request):
                print("---- lab guest %s console (tail) ----\n%s" % (g.name, g.tail(60)))
                if g.alive() and g.sock:
                    print("---- dpswitch in the guest ----\n%s"
                          % g.run("tail -n 40 %s" % lablib.SW_LOG, check=False)[1])
        except guest.GuestError as e:
            # A guest that stopped answering: it is killed all the same.
            print("---- lab guest %s: no log (%s) ----" % (g.name, str(e).splitlines()[0]))
        finally:
            g.kill()
