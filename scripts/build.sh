#!/bin/bash
# Configure (once) and build dpswitch into build/. Extra arguments go to
# "meson setup", e.g. scripts/build.sh -Dwerror=true.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

if [[ ! -f build/build.ninja ]]; then
    meson setup build "$@"
elif [[ $# -gt 0 ]]; then
    meson configure build "$@"
fi
ninja -C build
