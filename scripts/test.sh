#!/bin/bash
# The README's second command: the whole test suite on a fresh machine.
# Installs what is missing, sets up hugepages, builds with -Werror, then
# runs the unit tests (meson, suite "fast"), the same unit tests built with
# AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/), the
# libFuzzer targets for 30 s each (shared-ring checks, daemon options,
# port devargs, the command language: tests/fuzz/README.md; about 3 min
# with their build), the system tests (dts/), and the system tests that
# feed the daemon hostile or broken input again with the daemon from
# build-asan/.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

[[ $(id -u) -eq 0 ]] || { echo "test: run as root (hugepages, namespaces, QEMU)" >&2; exit 1; }

scripts/setup-deps.sh
scripts/setup-hugepages.sh
scripts/build.sh -Dwerror=true
scripts/build-guest.sh
scripts/build-guest.sh --dpdk

echo "== unit tests"
meson test -C build --suite fast --print-errorlogs

echo "== unit tests under ASan + UBSan"
scripts/build.sh --sanitize -Dwerror=true
# Any undefined behaviour fails the test, as any ASan finding (and leak) does.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite fast --print-errorlogs

echo "== fuzzing (shared-ring checks, options, devargs, commands: 30 s each)"
scripts/fuzz.sh 30

echo "== system tests"
# Debian's python3 has scapy and pytest; a python3 earlier on PATH may not.
/usr/bin/python3 -m pytest -v -p no:cacheprovider dts/

echo "== system tests against the ASan + UBSan daemon"
# The daemon and dpswitch-ctl from build-asan/, the peers (pktgen,
# dpsr-hostile, the net_dpsw plugin in testpmd) from build/: any sanitizer
# report in the daemon's log, leaks at its exit included, fails the test.
# About 3 minutes here.
DPSWITCH_DAEMON_BUILD=build-asan /usr/bin/python3 -m pytest -v -p no:cacheprovider \
    dts/test_harness.py dts/test_lifecycle.py dts/test_bad_input.py dts/test_control_plane.py \
    dts/test_vhost.py dts/test_shm.py dts/test_shm_attack.py dts/test_shm_trust.py
