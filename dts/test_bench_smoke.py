"""The benchmarks' smoke run (scripts/bench/smoke): every benchmark in
scripts/bench/ runs its --quick mode against its real peers (dpswitch,
dpdk-testpmd, a private Open vSwitch with DPDK) and writes its CSV.

Asserts only that nothing crashed (exit status 0) and that every CSV has
rows; never asserts on the numbers. Open vSwitch with DPDK is installed
by scripts/setup-bench-deps.sh when missing (the smoke script runs it too).
Takes about 3-4 minutes.
"""

import csv
import os
import shutil
import subprocess
import tempfile

import dpsw

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHES = ["nullswitch", "batch", "pvp", "cpu", "rtt", "parking"]


def test_bench_smoke():
    if not os.path.exists("/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"):
        subprocess.run([os.path.join(REPO, "scripts/setup-bench-deps.sh")], check=True,
                       timeout=900)
    out = tempfile.mkdtemp(prefix="dts-bench-", dir="/tmp")
    try:
        env = dict(os.environ, DPSWITCH_BUILD=dpsw.BUILD)
        r = subprocess.run([os.path.join(REPO, "scripts/bench/smoke"), "--out", out],
                           capture_output=True, text=True, timeout=600, env=env)
        log = (r.stdout + r.stderr)[-6000:]
        assert r.returncode == 0, "scripts/bench/smoke failed (rc=%d):\n%s" % (r.returncode, log)
        for b in BENCHES:
            path = os.path.join(out, b, b + ".csv")
            assert os.path.exists(path), "%s missing:\n%s" % (path, log)
            with open(path) as f:
                rows = list(csv.DictReader(f))
            assert rows, "%s has no rows:\n%s" % (path, log)
            assert os.path.exists(os.path.join(out, b, "summary.md"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
