#!/bin/bash
# Bind a NIC (or its SR-IOV VFs) to vfio-pci for dpswitch, refusing to touch
# the interface that carries the machine's default route.
#
#   devbind.sh status                 what is bound where
#   devbind.sh bind PCI_ADDR...       bind to vfio-pci (loads the module)
#   devbind.sh unbind PCI_ADDR DRIVER give a device back to a kernel driver
#   devbind.sh vfs PCI_ADDR N         create N VFs on a PF (kernel driver keeps the PF)
set -euo pipefail

die() { echo "devbind: $*" >&2; exit 1; }

# Kernel interfaces of a PCI device (virtio NICs hide theirs one level down).
pci_ifaces() {
    find "/sys/bus/pci/devices/$1/" -maxdepth 3 -path '*/net/*' -prune -printf '%f\n' 2>/dev/null
}

# Never take a device whose interface is in use: it has an address or a route.
guard() {
    for a in "$@"; do
        [[ -e /sys/bus/pci/devices/$a ]] || die "no PCI device $a"
        for ifc in $(pci_ifaces "$a"); do
            if [[ -n $(ip -o addr show dev "$ifc" 2>/dev/null) ]] ||
               [[ -n $(ip -o route show dev "$ifc" 2>/dev/null) ]]; then
                die "$a is $ifc, which has addresses or routes (in use); refusing"
            fi
        done
    done
}

case ${1:-} in
    status) dpdk-devbind.py --status-dev net ;;
    bind)
        shift; [[ $# -gt 0 ]] || die "bind needs PCI addresses"
        guard "$@"
        modprobe vfio-pci 2>/dev/null || true
        dpdk-devbind.py --bind=vfio-pci "$@" ;;
    unbind)
        [[ $# -eq 3 ]] || die "usage: devbind.sh unbind PCI_ADDR DRIVER"
        guard "$2"
        dpdk-devbind.py --bind="$3" "$2" ;;
    vfs)
        [[ $# -eq 3 ]] || die "usage: devbind.sh vfs PCI_ADDR N"
        guard "$2"
        f=/sys/bus/pci/devices/$2/sriov_numvfs
        [[ -w $f ]] || die "$2 does not support SR-IOV"
        echo 0 > "$f" && echo "$3" > "$f"
        ls -l /sys/bus/pci/devices/"$2"/virtfn* ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == -h || ${1:-} == --help ]] ;;
esac
