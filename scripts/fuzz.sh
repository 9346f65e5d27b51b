#!/bin/bash
# Build the libFuzzer targets (tests/fuzz/) with clang's fuzzer, address and
# undefined-behaviour sanitizers, and run each for a bounded time (default
# 30 s each, one after the other, one process each). Exits non-zero on any
# finding; the reproducer is kept in build/fuzz/ (crash-*, leak-*, ...),
# the corpora grow in build/fuzz/corpus/TARGET/.
#
#   dpsr     the shared-ring checks and copy paths (lib/dpsr)
#   options  the daemon's command line (app/dpswitch/options.c)
#   devargs  `port add` devargs of every port kind and their redaction
#            (lib/port/port_kind.c, drivers/net/shm/shm_args.c)
#   cli      the command language, one line as the control socket gets it,
#            over a hugepage-less EAL with null ports (lib/cli)
#
# devargs and cli link the switch's code built here inside a file-system
# sandbox (tests/fuzz/fuzz_sandbox.h): nothing outside a private temporary
# directory can be removed, created or connected to.
#
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]   (default: all four)
# Reproduce a finding: build/fuzz/fuzz_TARGET build/fuzz/crash-...
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
SECS=${1:-30}
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(dpsr options devargs cli)
OUT=build/fuzz
mkdir -p "$OUT/obj"

# Warnings as the project's meson.build sets them (clang: DPDK-style
# "static inline __rte_always_inline" is a duplicate 'inline' to it).
WARN=(-Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-address-of-packed-member
      -Wno-duplicate-decl-specifier -Wcast-qual -Wformat-nonliteral -Wmissing-declarations
      -Wmissing-prototypes -Wnested-externs -Wold-style-definition -Wpointer-arith
      -Wstrict-prototypes -Wundef -Wwrite-strings)
SAN=(-g -O1 -fno-sanitize-recover=all)
# DPDK's headers as system headers: its warnings are not ours to fix.
read -r -a DPDK_CFLAGS <<< "$(pkg-config --cflags libdpdk | sed 's/-I/-isystem /g')"
read -r -a DPDK_LIBS <<< "$(pkg-config --libs libdpdk)"

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

# The switch (lib/, net_shm and its `shm` kind) once, for devargs and cli:
# instrumented, and sandboxed by the forced include.
# The sources come from meson's own lists (build/ must be configured:
# scripts/build.sh), so that a file added to the switch cannot be missed
# here: the static libraries the daemon is linked from, and the shm
# kind's glue that the daemon's executable compiles itself.
SWITCH_LIBS_MESON="dps_common dpsr dpswitch_core rte_net_shm"
[[ -f build/meson-info/intro-targets.json ]] ||
    { echo "fuzz: build/ is not configured: run scripts/build.sh first" >&2; exit 1; }
mapfile -t SWITCH_SRC < <(python3 - "$PWD" $SWITCH_LIBS_MESON <<'PY'
import json, os, sys
root, want = sys.argv[1], set(sys.argv[2:])
seen = set()
for t in json.load(open(os.path.join(root, "build/meson-info/intro-targets.json"))):
    if t["name"] in want and t["type"] == "static library":
        seen.add(t["name"])
        for g in t["target_sources"]:
            for s in g.get("sources", []):
                print(os.path.relpath(s, root))
missing = want - seen
if missing:
    sys.exit("fuzz: meson has no static library %s" % ", ".join(sorted(missing)))
PY
)
SWITCH_SRC+=(drivers/net/shm/shm_dpswitch.c)
SWITCH_CFLAGS=("${SAN[@]}" -fsanitize=fuzzer-no-link,address,undefined "${WARN[@]}"
    -D_GNU_SOURCE -DALLOW_EXPERIMENTAL_API -DALLOW_INTERNAL_API
    -DRTE_LOG_DEFAULT_LOGTYPE=pmd.net.shm
    -I lib -I drivers/sdk -I drivers/net/shm -I tests -I tests/fuzz "${DPDK_CFLAGS[@]}")
SWITCH_LIBS=("$OUT/libswitch.a" "${DPDK_LIBS[@]}" -lrte_bus_vdev -lpthread)

build_switch() {
    # Again whenever a source, a header or this script is newer than it, or
    # it was built from other files or flags.
    local stamp="${SWITCH_SRC[*]} ${SWITCH_CFLAGS[*]}" objs=() o
    if [[ -f $OUT/libswitch.a && $(cat "$OUT/libswitch.stamp" 2>/dev/null) == "$stamp" ]] &&
            [[ -z $(find lib drivers tests/fuzz scripts/fuzz.sh -newer "$OUT/libswitch.a" \
                    -print -quit) ]]; then
        return
    fi
    echo "fuzz: building the switch (sandboxed, instrumented)"
    for f in "${SWITCH_SRC[@]}"; do
        o=$OUT/obj/$(echo "${f%.c}" | tr / _).o
        clang -c "${SWITCH_CFLAGS[@]}" -include tests/fuzz/fuzz_sandbox.h "$f" -o "$o"
        objs+=("$o")
    done
    clang -c "${SWITCH_CFLAGS[@]}" tests/fuzz/fuzz_sandbox.c -o "$OUT/obj/fuzz_sandbox.o"
    rm -f "$OUT/libswitch.a"
    ar rcs "$OUT/libswitch.a" "${objs[@]}" "$OUT/obj/fuzz_sandbox.o"
    echo "$stamp" > "$OUT/libswitch.stamp"
}

build_devargs() {
    build_switch
    clang "${SWITCH_CFLAGS[@]/fuzzer-no-link/fuzzer}" tests/fuzz/fuzz_devargs.c \
          "${SWITCH_LIBS[@]}" -o "$OUT/fuzz_devargs"
}

build_cli() {
    build_switch
    # -Wl,--wrap: fuzz_cli.c lets `port add` make null ports only.
    clang "${SWITCH_CFLAGS[@]/fuzzer-no-link/fuzzer}" tests/fuzz/fuzz_cli.c tests/test_eal.c \
          -Wl,--wrap=dps_port_add,--wrap=dps_port_del "${SWITCH_LIBS[@]}" -o "$OUT/fuzz_cli"
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

# Per target: libFuzzer's own flags. Output of the code under test
# (error lines, DPDK's log) is closed (-close_fd_mask); findings still show.
declare -A FLAGS=(
    [dpsr]="-max_len=40000"
    [options]="-max_len=2048 -close_fd_mask=3"
    [devargs]="-max_len=1024 -close_fd_mask=3"
    [cli]="-max_len=1024 -close_fd_mask=3"
)

# Private temporary files (the sandbox directories), gone when we are.
FUZZ_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dps-fuzz.XXXXXX")
trap 'rm -rf "$FUZZ_TMP"' EXIT

rc=0
for t in "${TARGETS[@]}"; do
    [[ -n ${FLAGS[$t]:-} ]] || { echo "fuzz: no target '$t'" >&2; exit 2; }
    "build_$t"
    mkdir -p "$OUT/corpus/$t"
    if [[ $t == dpsr ]]; then seed_dpsr; else seed "$t"; fi
    echo "fuzz: $t for ${SECS} s"
    frc=0
    # shellcheck disable=SC2086
    TMPDIR=$FUZZ_TMP "$OUT/fuzz_$t" -max_total_time="$SECS" -print_final_stats=1 \
        ${FLAGS[$t]} -artifact_prefix="$OUT/" "$OUT/corpus/$t" > "$OUT/$t.log" 2>&1 &
    pid=$!
    wait $pid || frc=$?
    # A target that crashed ran no exit handler: fuzz_cli's (empty) EAL
    # runtime directory (tests/test_eal.c names it after the pid) stays.
    for d in /var/run/dpdk "${XDG_RUNTIME_DIR:-/tmp}/dpdk"; do
        rmdir "$d/dps_ut_fuzz_${t}_$pid" 2>/dev/null || true
    done
    if [[ $frc -ne 0 ]]; then
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
