#!/bin/bash
# Configure (once) and build dpswitch into build/. Extra arguments go to
# "meson setup", e.g. scripts/build.sh -Dwerror=true.
#
# With --sanitize first: the same into build-asan/, with AddressSanitizer
# and UndefinedBehaviorSanitizer and no optimisation (debugging, the
# suite's sanitizer run). DPDK's own libraries are not instrumented, hence
# b_lundef=false.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

dir=build
setup=()
if [[ ${1:-} == --sanitize ]]; then
    shift
    dir=build-asan
    setup=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
fi
if [[ ! -f $dir/build.ninja ]]; then
    meson setup "$dir" "${setup[@]}" "$@"
elif [[ $# -gt 0 ]]; then
    meson configure "$dir" "$@"
fi
ninja -C "$dir"
