#!/bin/bash
# Install every Debian package the project needs (build, tests, guests, plots).
# Idempotent: does nothing, not even apt-get update, when all are installed.
set -euo pipefail

PKGS=(
    dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config python3-pyelftools
    libpcap-dev libnuma-dev gcc clang libclang-rt-14-dev
    python3-scapy python3-pytest python3-matplotlib
    busybox-static cpio kmod xz-utils qemu-system-x86 iproute2 iputils-ping
)

[[ $(id -u) -eq 0 ]] || { echo "setup-deps: must run as root" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "setup-deps: all ${#PKGS[@]} packages installed"
    exit 0
fi

echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
