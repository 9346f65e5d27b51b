#!/bin/bash
# Install every Debian package the project needs (build, tests, guests, plots).
# Idempotent: does nothing, not even apt-get update, when all are installed.
# QEMU comes from bookworm-backports (10.x): bookworm's 7.2 has no igb
# (the SR-IOV NIC of the lab, docs/lab.md) and segfaults on MSI-X of a
# vhost-user NIC; the suite is added to apt's sources when QEMU is older.
set -euo pipefail

PKGS=(
    dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config python3-pyelftools
    libpcap-dev libnuma-dev gcc clang libclang-rt-14-dev
    python3-scapy python3-pytest python3-matplotlib
    busybox-static cpio kmod xz-utils iproute2 iputils-ping pciutils
    systemd  # systemd-analyze checks the service unit (dts/test_launch.py)
)
QEMU_MIN=1:10
BACKPORTS=/etc/apt/sources.list.d/bookworm-backports.list

[[ $(id -u) -eq 0 ]] || { echo "setup-deps: must run as root" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
qemu=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
old_qemu=0
[[ -n $qemu ]] && dpkg --compare-versions "$qemu" ge "$QEMU_MIN" || old_qemu=1
if [[ ${#missing[@]} -eq 0 && $old_qemu -eq 0 ]]; then
    echo "setup-deps: all ${#PKGS[@]} packages and QEMU $qemu installed"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [[ $old_qemu -eq 1 && ! -f $BACKPORTS ]]; then
    echo "setup-deps: adding bookworm-backports for QEMU 10 ($BACKPORTS)"
    echo "deb http://deb.debian.org/debian bookworm-backports main" >"$BACKPORTS"
fi
apt-get update -q
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "setup-deps: installing ${missing[*]}"
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [[ $old_qemu -eq 1 ]]; then
    echo "setup-deps: installing qemu-system-x86 from bookworm-backports (have: ${qemu:-none})"
    apt-get install -y -q --no-install-recommends -t bookworm-backports qemu-system-x86
fi
