#!/bin/bash
# The NIC lab in one command (docs/lab.md): installs what is missing (QEMU
# 10 from bookworm-backports among it), builds dpswitch and the DPDK guest
# image, boots a TCG guest with emulated igb NICs (Intel 82576, SR-IOV)
# whose wires are host taps, each in a network namespace of its own, binds
# the NICs to vfio-pci in the guest, and gives you the guest's shell.
# QEMU, the taps and the namespaces go when you leave, whatever happened.
#
#   scripts/lab.sh [--nics N] [--smp N]     the guest's shell (one command a line)
#   scripts/lab.sh [--nics N] -c CMD ...    run CMDs in the guest, print, leave
#   scripts/lab.sh --test                   the lab's tests (dts/test_lab_*.py)
#
# Root (namespaces, taps, QEMU). The same code boots the lab for the tests
# (dts/lab.py, the `lab` fixture).
set -euo pipefail
ROOT=$(dirname "$(dirname "$(readlink -f "$0")")")
cd "$ROOT"
case ${1:-} in
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[[ $(id -u) -eq 0 ]] || { echo "lab: must run as root" >&2; exit 1; }
scripts/setup-deps.sh >&2
scripts/build.sh >/dev/null
scripts/build-guest.sh --dpdk >&2
if [[ ${1:-} == --test ]]; then
    exec /usr/bin/python3 -m pytest -q -p no:cacheprovider dts/test_lab_nic.py dts/test_lab_vf.py
fi
exec /usr/bin/python3 dts/lab.py "$@"
