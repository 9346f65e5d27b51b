#!/bin/bash
# The README's second command: the whole test suite on a fresh machine.
# Installs what is missing, sets up hugepages, builds with -Werror, then
# runs the unit tests (meson, suite "fast"), the same unit tests built with
# AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/), the
# libFuzzer targets for 30 s each (shared-ring checks, daemon options,
# port devargs, the command language: tests/fuzz/README.md; about 3 min
# with their build) and the system tests (dts/).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

[[ $(id -u) -eq 0 ]] || { echo "test: run as root (hugepages, namespaces, QEMU)" >&2; exit 1; }

scripts/setup-deps.sh
scripts/setup-hugepages.sh
scripts/build.sh -Dwerror=true
scripts/build-guest.sh

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
