#!/bin/bash
# Build the libFuzzer targets (tests/fuzz/) with clang's fuzzer, address and
# undefined-behaviour sanitizers, and run each for a bounded time (default
# 30 s each, one after the other, one process each). Exits non-zero on any
# finding; the reproducer is kept in build/fuzz/ (crash-*, leak-*, ...),
# the corpora grow in build/fuzz/corpus/TARGET/.
#
#   dpsr     the shared-ring checks and copy paths (lib/dpsr)
#   options  the daemon's command line (app/dpswitch/options.c)
#
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]   (default: both)
# Reproduce a finding: build/fuzz/fuzz_TARGET build/fuzz/crash-...
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
SECS=${1:-30}
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(dpsr options)
OUT=build/fuzz
mkdir -p "$OUT"

# Warnings as the project's meson.build sets them.
WARN=(-Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-address-of-packed-member
      -Wcast-qual -Wformat-nonliteral -Wmissing-declarations
      -Wmissing-prototypes -Wnested-externs -Wold-style-definition -Wpointer-arith
      -Wstrict-prototypes -Wundef -Wwrite-strings)
SAN=(-g -O1 -fno-sanitize-recover=all)

build_dpsr() {
    clang "${SAN[@]}" -fsanitize=fuzzer,address,undefined "${WARN[@]}" -I lib \
          tests/fuzz/fuzz_dpsr.c lib/dpsr/dpsr.c lib/dpsr/dpsr_queue.c lib/dpsr/dpsr_ctl.c \
          -o "$OUT/fuzz_dpsr"
}

build_options() {
    clang "${SAN[@]}" -fsanitize=fuzzer,address,undefined "${WARN[@]}" -D_GNU_SOURCE \
          -I lib -I app/dpswitch \
          tests/fuzz/fuzz_options.c app/dpswitch/options.c lib/common/dps_num.c \
          -o "$OUT/fuzz_options"
}

# Seeds from tests/fuzz/seeds/TARGET.txt, one per line ('#' lines skipped);
# options: a line is a command line, split as the shell would, arguments
# NUL-separated.
seed() {
    local t=$1
    /usr/bin/python3 - "tests/fuzz/seeds/$t.txt" "$OUT/corpus/$t" "$t" <<'PY'
import os, shlex, sys
src, dst, target = sys.argv[1:]
for n, line in enumerate(l.rstrip("\n") for l in open(src)):
    if not line.strip() or line.startswith("#"):
        continue
    data = "\0".join(shlex.split(line)) if target == "options" else line
    open(os.path.join(dst, "seed-%03d" % n), "wb").write(data.encode())
PY
}

seed_dpsr() {
    # A valid region (first byte 1: the whole input is the region), so the
    # fuzzer starts from headers that pass and mutates from there.
    /usr/bin/python3 - "$OUT/corpus/dpsr/seed-region" <<'PY'
import struct, sys
ring, stride, bufsz, nbufs = 64, 3 * 64 + 64 * 16, 2048, 16
bufs_off = (128 + 2 * stride + bufsz - 1) // bufsz * bufsz
size = bufs_off + nbufs * bufsz
hdr = struct.pack("<IHHQIIQQIIQQ8x", 0x52535044, 1, 72, size, 1, ring, 128, stride,
                  bufsz, nbufs, bufs_off, 0)
region = bytearray(size)
region[:len(hdr)] = hdr
struct.pack_into("<I", region, 128, 8)          # ring 0: prod = 8
for k in range(ring):                            # descriptors: buffer k % 16, 60 bytes
    struct.pack_into("<IHH", region, 128 + 192 + 16 * k, k % nbufs, 0, 60)
open(sys.argv[1], "wb").write(b"\x01" + bytes(region))
PY
}

# Per target: libFuzzer's own flags. Output of the code under test is
# closed (-close_fd_mask); findings still show.
declare -A FLAGS=(
    [dpsr]="-max_len=40000"
    [options]="-max_len=2048 -close_fd_mask=3"
)

rc=0
for t in "${TARGETS[@]}"; do
    [[ -n ${FLAGS[$t]:-} ]] || { echo "fuzz: no target '$t'" >&2; exit 2; }
    "build_$t"
    mkdir -p "$OUT/corpus/$t"
    if [[ $t == dpsr ]]; then seed_dpsr; else seed "$t"; fi
    echo "fuzz: $t for ${SECS} s"
    # shellcheck disable=SC2086
    if ! "$OUT/fuzz_$t" -max_total_time="$SECS" -print_final_stats=1 \
            ${FLAGS[$t]} -artifact_prefix="$OUT/" "$OUT/corpus/$t" > "$OUT/$t.log" 2>&1; then
        echo "fuzz: $t FAILED (build/fuzz/$t.log):" >&2
        grep -A30 -m1 -E "ERROR|runtime error|deadly signal|Sanitizer" "$OUT/$t.log" >&2 || \
            tail -n 30 "$OUT/$t.log" >&2
        rc=1
        continue
    fi
    grep -E "DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" \
        "$OUT/$t.log"
done
exit $rc
