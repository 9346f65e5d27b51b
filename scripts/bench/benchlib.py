"""Shared plumbing for the benchmarks: options, output files, machine info.

Each benchmark writes docs/perf/<name>/<name>.csv, one or more PNGs and
summary.md (or into --out DIR). A measurement point that fails (a crash, a
peer that dies, a generator error) is recorded and the run goes on; the
benchmark then exits 1. Timing numbers never decide the exit status.
"""

import argparse
import csv
import os
import platform
import re
import subprocess
import sys
import time
import traceback

import peers

HERE = os.path.dirname(os.path.abspath(__file__))
PERF_DIR = os.path.join(peers.REPO, "docs", "perf")


def parse_args(name, doc, extra=None):
    ap = argparse.ArgumentParser(prog=name, description=doc)
    ap.add_argument("--quick", action="store_true", help="seconds-long smoke run")
    ap.add_argument("--out", default=None, help="output directory (default docs/perf/%s)" % name)
    if extra:
        extra(ap)
    a = ap.parse_args()
    a.out = a.out or os.path.join(PERF_DIR, name)
    os.makedirs(a.out, exist_ok=True)
    return a


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except Exception:
        return ""


def machine():
    cpu = ""
    flags = ""
    mhz = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and not cpu:
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("cpu MHz") and not mhz:
                mhz = line.split(":", 1)[1].strip()
    return {
        "cpu": cpu,
        "cpu_mhz": mhz,
        "nproc": sh("nproc"),
        "kernel": platform.release(),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "dpdk": sh("pkg-config --modversion libdpdk") or sh("dpkg-query -W -f='${Version}' dpdk"),
        "ovs": sh("dpkg-query -W -f='${Version}' openvswitch-switch-dpdk"),
        "dpswitch": sh("git -C %s describe --always --dirty" % peers.REPO),
        "hugepages": sh("cat /proc/sys/vm/nr_hugepages"),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def machine_md(m):
    return ("Machine: %s, %s CPUs (cpu MHz %s), %s, kernel %s; DPDK %s, OVS %s, "
            "dpswitch %s; %s." % (m["cpu"], m["nproc"], m["cpu_mhz"], m["os"], m["kernel"],
                                 m["dpdk"], m["ovs"] or "not installed", m["dpswitch"],
                                 m["date"]))


class Bench:
    """Collects rows and errors; writes CSV and summary.md."""

    def __init__(self, name, args, fields):
        self.name = name
        self.args = args
        self.fields = fields
        self.rows = []
        self.errors = []
        self.notes = []
        self.t0 = time.time()
        self.machine = machine()

    def path(self, fname):
        return os.path.join(self.args.out, fname)

    def add(self, **row):
        self.rows.append(row)
        print("  " + ", ".join("%s=%s" % (k, fmt(row.get(k))) for k in self.fields
                               if row.get(k) not in (None, "")), flush=True)

    def attempt(self, what, fn, *a, **kw):
        """Run one measurement; on failure record it and return None."""
        try:
            return fn(*a, **kw)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:
            msg = "%s: %s" % (what, e)
            self.errors.append(msg)
            print("ERROR " + msg, file=sys.stderr, flush=True)
            traceback.print_exc(file=sys.stderr)
            return None

    def note(self, text):
        self.notes.append(text)
        print("note: " + text, flush=True)

    def write_csv(self):
        with open(self.path(self.name + ".csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self.fields, extrasaction="ignore")
            w.writeheader()
            for r in self.rows:
                w.writerow({k: fmt(r.get(k)) for k in self.fields})

    def write_summary(self, title, body_md, pngs=()):
        mode = "quick (--quick smoke run: short intervals, numbers are rough)" \
            if self.args.quick else "full"
        lines = ["# %s" % title, "",
                 "Run: %s, %.0f s. %s" % (mode, time.time() - self.t0, machine_md(self.machine)),
                 "", "Reproduce: `sudo scripts/bench/%s%s`" % (
                     self.name, " --quick" if self.args.quick else ""), ""]
        lines += [body_md, ""]
        for p in pngs:
            lines += ["![%s](%s)" % (p, p), ""]
        if self.notes:
            lines += ["## Notes", ""] + ["* " + n for n in self.notes] + [""]
        if self.errors:
            lines += ["## Errors", ""] + ["* `%s`" % e.replace("`", "'")[:500]
                                          for e in self.errors] + [""]
        lines += ["Data: [%s.csv](%s.csv)" % (self.name, self.name), ""]
        with open(self.path("summary.md"), "w") as f:
            f.write("\n".join(lines))

    def finish(self):
        self.write_csv()
        print("%s: wrote %s (%d rows, %d errors, %.0f s)" % (
            self.name, self.args.out, len(self.rows), len(self.errors), time.time() - self.t0))
        return 1 if self.errors else 0


def dps_measure(sw, interval):
    time.sleep(0.3)
    s0, l0, t0 = sw.port_stats(), sw.lcore(), time.time()
    time.sleep(interval)
    s1, l1, t1 = sw.port_stats(), sw.lcore(), time.time()
    sw.check_alive()
    dt = t1 - t0
    tx = sum(s1[p]["tx_packets"] - s0[p]["tx_packets"] for p in s1)
    rx = sum(s1[p]["rx_packets"] - s0[p]["rx_packets"] for p in s1)
    drops = {}
    for p in s1:
        for k, v in s1[p]["drops"].items():
            d = v - s0[p]["drops"][k]
            if d:
                drops["%s.%s" % (p, k)] = d
    busy = sum(w["busy_cycles"] for w in l1) - sum(w["busy_cycles"] for w in l0)
    # asleep counts as idle: the worker's TSC time is busy + spin + asleep
    idle = sum(w["idle_cycles"] + w.get("sleep_cycles", 0) for w in l1) - \
        sum(w["idle_cycles"] + w.get("sleep_cycles", 0) for w in l0)
    return {"fwd_mpps": tx / dt / 1e6, "rx_mpps": rx / dt / 1e6,
            "cycles_per_pkt": busy / tx if tx else None,
            "cycles_per_rx_pkt": busy / rx if rx else None,
            "tsc_mhz": (busy + idle) / dt / 1e6, "interval_s": dt,
            "drops": " ".join("%s=%d" % kv for kv in sorted(drops.items()))}



def fmt(v):
    if isinstance(v, float):
        if v != v:
            return "nan"
        return "%.4g" % v if abs(v) < 1e4 else "%.0f" % v
    return "" if v is None else str(v)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(fmt(x) for x in r) + " |")
    return "\n".join(out)


def ratio(a, b):
    try:
        if a is None or b is None or b == 0:
            return None
        return a / b
    except TypeError:
        return None


def plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as p
    return p


def wire_gbps(mpps, size):
    """Gbit/s of frame bytes (size includes the 4-byte FCS? no: as generated)."""
    return mpps * size * 8 / 1e3
