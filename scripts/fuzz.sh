#!/bin/bash
# Build the libFuzzer target over the shared-ring checks (tests/fuzz/) with
# clang's fuzzer, address and undefined-behaviour sanitizers, and run it for
# a bounded time (default 30 s). Exits non-zero on any finding; the
# reproducer is kept in build/fuzz/.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
SECS=${1:-30}
OUT=build/fuzz
mkdir -p "$OUT/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
      -Wall -Wextra -Werror -I lib \
      tests/fuzz/fuzz_dpsr.c lib/dpsr/dpsr.c lib/dpsr/dpsr_queue.c lib/dpsr/dpsr_ctl.c \
      -o "$OUT/fuzz_dpsr"
# Seed: a valid region (first byte 1: the whole input is the region), so
# the fuzzer starts from headers that pass and mutates from there.
/usr/bin/python3 - "$OUT/corpus/seed-region" <<'PY'
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
echo "fuzz: dpsr for ${SECS} s"
"$OUT/fuzz_dpsr" -max_total_time="$SECS" -max_len=40000 -print_final_stats=1 \
      -artifact_prefix="$OUT/" "$OUT/corpus" 2>&1 | tail -6
