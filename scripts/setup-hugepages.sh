#!/bin/bash
# Reserve at least N 2 MB hugepages (default 1024) and mount hugetlbfs on
# /dev/hugepages, as DPDK processes need. Never lowers an existing reservation.
# Usage: scripts/setup-hugepages.sh [N]
set -euo pipefail

N=${1:-1024}
[[ $N =~ ^[0-9]+$ ]] || { echo "setup-hugepages: N must be a number" >&2; exit 1; }
NR=/proc/sys/vm/nr_hugepages  # default hugepage size, 2 MB on x86-64

if (($(cat "$NR") < N)); then
    echo "$N" >"$NR"
fi
if ! grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages
fi

total=$(cat "$NR")
free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
echo "setup-hugepages: $total reserved, $free free (2 MB pages)"
# The kernel may grant fewer pages than asked when memory is fragmented.
if ((total < N)); then
    echo "setup-hugepages: only got $total of $N hugepages (memory fragmented? try again or reboot)" >&2
    exit 1
fi
