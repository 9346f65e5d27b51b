"""dpswitch-launch and the installed service (docs/launch.md), on the
host: what the launcher changes it gives back, whatever way the switch
ends; every bad configuration is one line; `meson install` puts the
launcher, its configuration and a systemd unit that systemd accepts.
(Binding NICs and creating VFs is the lab's: test_lab_nic.py
test_launch_lab.)
"""

import os
import shutil
import signal
import subprocess
import time

import pytest

import dpsw
from dpsw import wait_until

LAUNCH = os.path.join(dpsw.REPO, "scripts", "dpswitch-launch")
HP = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"


def hugepages():
    with open(HP) as f:
        return int(f.read())


@pytest.fixture
def launch(workdir):
    """(env, run(args...)) for the launcher with its state in workdir; the
    hugepage count is put back and any switch it started ended at teardown."""
    before = hugepages()
    env = dict(os.environ, DPSWITCH_LAUNCH_STATE=os.path.join(workdir, "state"),
               DPSWITCH=dpsw.DPSWITCH_BIN)

    def run(*args, timeout=120):
        return subprocess.run([LAUNCH] + list(args), env=env, capture_output=True, text=True,
                              timeout=timeout)
    yield env, run
    pidf = os.path.join(workdir, "state", "pid")
    if os.path.exists(pidf):
        run("stop")
    if hugepages() != before:
        with open(HP, "w") as f:
            f.write(str(before))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def config(workdir, extra=""):
    cmds = write(os.path.join(workdir, "start.cmds"), "port add n0 null\nport add n1 null\n"
                 "xconnect add n0 n1\n")
    return write(os.path.join(workdir, "launch.conf"),
                 "# a test\nhugepages %dM\nlcores 0,1\neal --in-memory -m 128\n"
                 "socket %s/sw.sock\ncommands %s\noption --mac-aging 60\n%s"
                 % ((hugepages() + 8) * 2, workdir, cmds, extra))


def hugepage_files():
    return sorted(os.listdir("/dev/hugepages")) if os.path.isdir("/dev/hugepages") else []


def test_start_stop_gives_back(launch, workdir):
    env, run = launch
    before, files = hugepages(), hugepage_files()
    conf = config(workdir)
    r = run("start", conf)
    assert r.returncode == 0, r.stderr
    assert hugepages() == before + 8
    state = os.path.join(workdir, "state")
    with open(os.path.join(state, "undo")) as f:
        assert f.read() == "hugepages %d\n" % before
    rc, ports = dpsw.ctl_request(os.path.join(workdir, "sw.sock"), "port show", json=True)
    assert [(p["name"], p["role"]) for p in ports["ports"]] == \
        [("n0", "xconnect:n1"), ("n1", "xconnect:n0")]
    pid = int(open(os.path.join(state, "pid")).read())
    # A second launch while this one is active is refused.
    r2 = run("start", conf)
    assert r2.returncode != 0 and r2.stderr.strip().endswith(
        "undo exists: a launch is active or was not undone (dpswitch-launch stop, or undo)"), \
        r2.stderr
    r = run("stop")
    assert r.returncode == 0, r.stderr
    assert hugepages() == before
    assert not os.path.exists("/proc/%d" % pid)
    assert not os.path.exists(os.path.join(workdir, "sw.sock"))
    assert sorted(os.listdir(state)) == ["dpswitch.log"]
    assert hugepage_files() == files
    # Nothing left to stop.
    r = run("stop")
    assert r.returncode != 0 and "nothing launched" in r.stderr


def test_run_stops_on_sigterm(launch, workdir):
    """As systemd stops the service (KillMode=mixed: SIGTERM to the
    launcher): the switch quits, then the launcher undoes and exits 0."""
    env, run = launch
    before = hugepages()
    p = subprocess.Popen([LAUNCH, "run", config(workdir)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        sock = os.path.join(workdir, "sw.sock")
        wait_until(lambda: os.path.exists(sock), 60, "the switch's socket")
        assert hugepages() == before + 8
        p.send_signal(signal.SIGTERM)
        out = p.communicate(timeout=60)[0]
    finally:
        dpsw.kill_pid(p)
    assert p.returncode == 0, out
    assert "shutting down" in out, out
    assert hugepages() == before
    assert not os.path.exists(os.path.join(workdir, "state", "undo"))


def test_failed_start_gives_back(launch, workdir):
    """A switch that does not start (an option it does not know): the
    launch fails in one line after the switch's log, and the pages are
    given back."""
    env, run = launch
    before = hugepages()
    conf = config(workdir, "option --no-such-option\n")
    r = run("start", conf)
    assert r.returncode != 0
    assert r.stderr.strip().splitlines()[-1] == \
        "dpswitch-launch: dpswitch did not start (its log is above)", r.stderr
    assert "no-such-option" in r.stderr
    assert hugepages() == before
    assert not os.path.exists(os.path.join(workdir, "state", "undo"))


def default_route_pci():
    """The PCI function of the interface with the default route, if any."""
    out = subprocess.run(["ip", "-o", "route", "show", "default"], capture_output=True,
                         text=True).stdout.split()
    if "dev" not in out:
        return None
    dev = os.path.realpath("/sys/class/net/%s/device" % out[out.index("dev") + 1])
    name = os.path.basename(dev)
    while not name.count(":") == 2 and dev != "/":
        dev = os.path.dirname(dev)
        name = os.path.basename(dev)
    return name if name.count(":") == 2 else None


def test_config_errors(launch, workdir):
    env, run = launch
    cmds = write(os.path.join(workdir, "c.cmds"), "")
    cases = [
        ("colour red", "%s:1: unknown setting 'colour' (hugepages, nic, vfs, vf-bind, lcores, "
                       "commands, socket, eal, option)"),
        ("hugepages lots", "%s:1: hugepages takes a size (512M, 1G)"),
        ("nic 1:2:3", "%s:1: '1:2:3' is not a PCI address (0000:03:00.0)"),
        ("nic 0000:7f:1f.7", "%s:1: no PCI device 0000:7f:1f.7"),
        ("nic", "%s:1: nic takes one PCI address"),
        ("vfs 0000:00:00.0 x", "%s:1: '0000:00:00.0' is not a VF count"),
        ("commands /nonexistent/x", "%s:1: cannot read command file /nonexistent/x"),
        ("# fine\ncommands %s\nvf-bind 0000:00:00.0" % cmds,
         "%s: vf-bind 0000:00:00.0 without a vfs 0000:00:00.0 line"),
    ]
    for text, msg in cases:
        conf = write(os.path.join(workdir, "bad.conf"), text + "\n")
        r = run("check", conf)
        want = "dpswitch-launch: " + (msg % conf if "%s" in msg else msg)
        if "not a VF count" in msg:
            want = "dpswitch-launch: %s:1: 'x' is not a VF count" % conf
        assert r.returncode != 0 and r.stderr.strip() == want, (text, r.stderr)
    r = run("check", os.path.join(workdir, "none.conf"))
    assert r.stderr.strip() == "dpswitch-launch: cannot read config %s/none.conf" % workdir
    # The machine's own NIC (addresses, the default route) is never taken.
    own = default_route_pci()
    if own is not None:
        conf = write(os.path.join(workdir, "own.conf"), "nic %s\n" % own)
        r = run("check", conf)
        assert r.returncode != 0 and "which has addresses or routes (in use); refusing to " \
            "take it" in r.stderr, r.stderr
        r = run("bind", own)
        assert r.returncode != 0 and "refusing to take it" in r.stderr, r.stderr
    # check says what run would do, and changes nothing.
    before = hugepages()
    r = run("check", config(workdir))
    assert r.returncode == 0, r.stderr
    assert "run: %s -l 0,1 --in-memory -m 128 --no-pci -- -s %s/sw.sock -c %s/start.cmds " \
        "--mac-aging 60" % (dpsw.DPSWITCH_BIN, workdir, workdir) in r.stdout, r.stdout
    assert hugepages() == before and not os.path.exists(os.path.join(workdir, "state", "undo"))


def test_install(workdir):
    """meson install: the programs, the launcher, its configuration, and a
    unit systemd-analyze accepts (its commands pointed into the tree)."""
    dest = os.path.join(workdir, "dest")
    dpsw.run(["meson", "install", "-C", dpsw.BUILD, "--destdir", dest, "--quiet"],
             timeout=300)
    found = {os.path.relpath(os.path.join(d, f), dest) for d, _, fs in os.walk(dest)
             for f in fs}
    for want in ("usr/local/bin/dpswitch", "usr/local/bin/dpswitch-ctl",
                 "usr/local/sbin/dpswitch-launch", "usr/local/etc/dpswitch/launch.conf",
                 "usr/local/etc/dpswitch/startup.cmds", "usr/local/share/doc/dpswitch/launch.md"):
        assert want in found, sorted(found)
    unit = [f for f in found if f.endswith("systemd/system/dpswitch.service")]
    assert len(unit) == 1, sorted(found)
    text = open(os.path.join(dest, unit[0])).read()
    assert "ExecStart=/usr/local/sbin/dpswitch-launch run /usr/local/etc/dpswitch/launch.conf" \
        in text, text
    assert shutil.which("systemd-analyze"), "scripts/setup-deps.sh installs systemd"
    local = write(os.path.join(workdir, "dpswitch.service"),
                  text.replace("/usr/local/", dest + "/usr/local/"))
    r = subprocess.run(["systemd-analyze", "verify", local], capture_output=True, text=True)
    bad = [ln for ln in (r.stdout + r.stderr).splitlines()
           if "dpswitch.service" in ln and "Documentation" not in ln]
    assert r.returncode == 0 and not bad, r.stdout + r.stderr
