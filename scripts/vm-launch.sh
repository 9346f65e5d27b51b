#!/bin/bash
# Launch a test guest (scripts/build-guest.sh) in the background under QEMU,
# attached to a vhost-user socket and/or ivshmem servers (shm ports) of the
# switch. See docs/guest.md.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: vm-launch.sh --sock PATH --mac MAC --ip A.B.C.D/NN [options]
       vm-launch.sh --image dpdk [--sock PATH --mac MAC] [--shm PATH]... [options]

Starts qemu-system-x86_64 (TCG) in the background, detached in its own session.
Prints the QEMU pid and exits; kill that pid to stop the guest.

With --sock, the guest has one virtio-net-pci NIC on the vhost-user socket
PATH (QEMU is the client, the switch is the server). QEMU retries the
connection every second: if the socket is not up yet, the guest boots once
it is; after a switch restart the guest reconnects.

With --shm, the guest has an ivshmem-doorbell device (PCI 1af4:1110) on the
ivshmem server socket PATH (an shm port with transport=ivshmem): BAR2 is the
port's region, and 1 + 2 x qpairs MSI-X vectors. The server must be up
before the guest starts (QEMU reads its greeting while starting, and cannot
reconnect).

Images (--image):
  net   (default; build/guest) the NIC comes up with --ip in the kernel,
        pings --ping, reports on the console: needs --sock, --mac, --ip
  dpdk  (build/guest-dpdk, scripts/build-guest.sh --dpdk) DPDK in the
        guest, a root shell on the console (--console), hugepages; the
        virtio NIC is left to DPDK unless --ip is given

  --image net|dpdk  the guest image (default net)
  --sock PATH       vhost-user socket served by the switch
  --mac MAC         the vhost-user NIC's MAC address (required with --sock)
  --shm PATH[,qpairs=N]  an ivshmem-doorbell device on the ivshmem server
                    socket PATH with 1 + 2N MSI-X vectors (N queue pairs,
                    default 1: vectors=3); repeatable (dpdk image)
  --ip A.B.C.D/NN   guest eth0 address in the kernel (kernel arg dps.ip;
                    required for the net image)
  --ping TARGET     net image: ping TARGET once up (kernel arg dps.ping)
  --count N         net image: number of pings (kernel arg dps.count, default 5)
  --nic MODEL,tap=IF[,mac=MAC]
                    an emulated NIC (MODEL igb: Intel 82576 with SR-IOV,
                    up to 8 VFs; or e1000e), its wire a host tap IF that
                    QEMU creates (move it into a namespace afterwards, if
                    you like), behind its own PCIe root port (room for
                    VFs); needs --iommu and QEMU 10 (igb); repeatable
  --smp N           vCPUs (default 1)
  --iommu           q35 machine with an emulated Intel IOMMU (intel-iommu,
                    interrupt remapping, caching mode) and guest kernel
                    args intel_iommu=on iommu=pt: vfio-pci in the guest
  --hugepages N     2 MB hugepages on the guest kernel command line
                    (dpdk image; default 64)
  --append ARGS     more guest kernel command line arguments
  --console PATH    the serial console on a unix socket (QEMU listens; one
                    client at a time): the dpdk image's root shell, driven
                    by dts/guest.py; its output also goes into --log
  --log FILE        serial console output + QEMU messages (default /tmp/NAME.log)
  --mem MB          guest memory, shared memfd (default 256; dpdk image 512)
  --name NAME       QEMU guest name (default dpsvm-<pid of this script>)
  --pidfile FILE    also write the QEMU pid to FILE
  --guest-dir DIR   holds vmlinuz and initrd.gz (default <repo>/build/guest,
                    <repo>/build/guest-dpdk for the dpdk image)
  --qmp PATH        QMP socket (QEMU listens) to drive the guest, e.g.
                    {"execute": "system_reset"} to reboot it; without
                    --qmp a guest that resets itself ends QEMU (-no-reboot)
  -h, --help        this text

The net image prints DPS-GUEST-READY, DPS-PING-RESULT sent=X received=Y (with
--ping) and DPS-GUEST-DONE on its console, then idles until killed. The dpdk
image prints DPS-GUEST-READY, then runs a root shell on the console.
EOF
}

die() { echo "vm-launch: $*" >&2; exit 1; }

IMAGE=net SOCK='' MAC='' IP='' PING='' COUNT='' LOG='' MEM='' NAME="dpsvm-$$" PIDFILE=''
QMP='' GUEST_DIR='' IOMMU=0 HUGEPAGES=64 APPEND_EXTRA='' CONSOLE=''
SHMS=() CPU=() NICS=() SMP=1
while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --iommu) IOMMU=1; shift ;;
        --image | --sock | --mac | --ip | --ping | --count | --log | --mem | --name | --pidfile | \
            --guest-dir | --qmp | --shm | --hugepages | --append | --console | --nic | --smp)
            [[ $# -ge 2 ]] || die "$1 needs a value"
            case $1 in
                --image) IMAGE=$2 ;;
                --sock) SOCK=$2 ;; --mac) MAC=$2 ;; --ip) IP=$2 ;;
                --ping) PING=$2 ;; --count) COUNT=$2 ;; --log) LOG=$2 ;;
                --mem) MEM=$2 ;; --name) NAME=$2 ;; --pidfile) PIDFILE=$2 ;;
                --guest-dir) GUEST_DIR=$2 ;; --qmp) QMP=$2 ;;
                --shm) SHMS+=("$2") ;; --hugepages) HUGEPAGES=$2 ;;
                --append) APPEND_EXTRA=$2 ;; --console) CONSOLE=$2 ;;
                --nic) NICS+=("$2") ;; --smp) SMP=$2 ;;
            esac
            shift 2 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

REPO=$(dirname "$(readlink -f "$0")")/..
case $IMAGE in
    net)
        [[ -n $SOCK && -n $MAC && -n $IP ]] || die "--sock, --mac and --ip are required (see --help)"
        [[ ${#SHMS[@]} -eq 0 ]] || die "--shm needs --image dpdk (the net image has no driver for it)"
        GUEST_DIR=${GUEST_DIR:-$REPO/build/guest}
        MEM=${MEM:-256}
        BUILD_HINT="scripts/build-guest.sh" ;;
    dpdk)
        [[ -z $PING && -z $COUNT ]] || die "--ping and --count are for the net image"
        [[ -z $SOCK || -n $MAC ]] || die "--sock needs --mac (QEMU's default MAC is the same for every guest)"
        GUEST_DIR=${GUEST_DIR:-$REPO/build/guest-dpdk}
        MEM=${MEM:-512}
        # The host's DPDK is built for -march=corei7 (SSE4.2, POPCNT), which
        # TCG's default CPU (qemu64) lacks: "Illegal instruction".
        CPU=(-cpu max)
        BUILD_HINT="scripts/build-guest.sh --dpdk" ;;
    *) die "--image must be net or dpdk" ;;
esac
[[ -z $MAC || $MAC =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || die "--mac must be xx:xx:xx:xx:xx:xx"
[[ -z $IP || $IP =~ ^[0-9.]+/[0-9]+$ ]] || die "--ip must be A.B.C.D/NN"
[[ $MEM =~ ^[0-9]+$ ]] || die "--mem must be a number of MB"
[[ $HUGEPAGES =~ ^[0-9]+$ ]] || die "--hugepages must be a number"
# ivshmem-doorbell devices, one per --shm.
SHM_ARGS=()
n=0
for s in "${SHMS[@]}"; do
    path=${s%%,*} qpairs=1
    if [[ $s == *,* ]]; then
        opt=${s#*,}
        [[ $opt =~ ^qpairs=([1-9][0-9]*)$ ]] || die "--shm $s: want PATH or PATH,qpairs=N"
        qpairs=${BASH_REMATCH[1]}
    fi
    [[ -S $path ]] || die "--shm $path: no socket there (the ivshmem server must be up first)"
    # Vector 0: control; 1 + q: rx of queue pair q; 1 + N + q: room
    # (docs/shm-protocol.md, "Which queue pairs, which vectors").
    SHM_ARGS+=(-chardev "socket,id=iv$n,path=$path"
               -device "ivshmem-doorbell,chardev=iv$n,vectors=$((1 + 2 * qpairs))")
    n=$((n + 1))
done

QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found; run scripts/setup-deps.sh"
[[ $SMP =~ ^[1-9][0-9]?$ ]] || die "--smp must be a number of vCPUs, 1..99"
# Emulated NICs, one per --nic, each on a PCIe root port of its own.
NIC_ARGS=()
n=0
for s in "${NICS[@]}"; do
    [[ $IMAGE == dpdk ]] || die "--nic needs --image dpdk"
    ((IOMMU)) || die "--nic needs --iommu (q35, and vfio-pci in the guest)"
    IFS=, read -r model rest <<<"$s"
    [[ $model == igb || $model == e1000e ]] || die "--nic $s: the model must be igb or e1000e"
    tap='' nmac=''
    IFS=, read -ra kvs <<<"${rest:-}"
    for kv in "${kvs[@]}"; do
        case $kv in
            tap=?*) tap=${kv#tap=} ;;
            mac=?*) nmac=${kv#mac=} ;;
            *) die "--nic $s: unknown option '$kv' (tap=IF, mac=MAC)" ;;
        esac
    done
    [[ $tap =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "--nic $s: tap=IF, an interface name of 1..15 characters, is required"
    [[ -z $nmac || $nmac =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || die "--nic $s: mac must be xx:xx:xx:xx:xx:xx"
    "$QEMU" -device help 2>/dev/null | grep -q "name \"$model\"" ||
        die "--nic $model: this QEMU ($("$QEMU" --version | head -1)) has no $model; run scripts/setup-deps.sh (QEMU 10)"
    NIC_ARGS+=(-device "pcie-root-port,id=rp$n,chassis=$((n + 1)),slot=$((n + 1))"
               -netdev "tap,id=nic$n,ifname=$tap,script=no,downscript=no"
               -device "$model,bus=rp$n,netdev=nic$n${nmac:+,mac=$nmac}")
    n=$((n + 1))
done
for f in vmlinuz initrd.gz; do
    [[ -f $GUEST_DIR/$f ]] || die "$GUEST_DIR/$f missing; run $BUILD_HINT"
done
LOG=${LOG:-/tmp/$NAME.log}

APPEND="console=ttyS0 quiet panic=-1"
[[ -n $IP ]] && APPEND+=" dps.ip=$IP"
[[ -n $PING ]] && APPEND+=" dps.ping=$PING"
[[ -n $COUNT ]] && APPEND+=" dps.count=$COUNT"
[[ $IMAGE == dpdk ]] && APPEND+=" default_hugepagesz=2M hugepagesz=2M hugepages=$HUGEPAGES"

ARGS=()
# q35 for the emulated IOMMU, which must come before the devices it covers.
# kernel-irqchip=split: what interrupt remapping needs under KVM; TCG has
# no kernel irqchip and takes it as it is.
if ((IOMMU)); then
    ARGS+=(-M "q35,kernel-irqchip=split" -device "intel-iommu,intremap=on,caching-mode=on")
    APPEND+=" intel_iommu=on iommu=pt"
fi
[[ -n $APPEND_EXTRA ]] && APPEND+=" $APPEND_EXTRA"
ARGS+=("${SHM_ARGS[@]}" "${NIC_ARGS[@]}")

if [[ -n $SOCK ]]; then
    # Client reconnect keeps the guest alive across switch restarts. QEMU 9.2
    # renamed the option (reconnect=SECONDS -> reconnect-ms=MS).
    ver=$("$QEMU" --version | sed -n '1s/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
    read -r vmaj vmin <<<"$ver"
    if ((vmaj > 9 || (vmaj == 9 && vmin >= 2))); then RECONNECT=reconnect-ms=1000; else RECONNECT=reconnect=1; fi
    # vectors=0: QEMU 7.2 segfaults when a TCG guest enables MSI-X on a
    #   vhost-user virtio-net-pci (msix_set_vector_notifiers); legacy INTx works.
    ARGS+=(-chardev "socket,id=c0,path=$SOCK,$RECONNECT"
           -netdev "vhost-user,id=n0,chardev=c0"
           -device "virtio-net-pci,netdev=n0,mac=$MAC,vectors=0")
fi

# Driven over QMP, a reset is a reboot; otherwise it ends QEMU.
CONTROL=(-no-reboot)
[[ -n $QMP ]] && CONTROL=(-qmp "unix:$QMP,server=on,wait=off")

# The console: QEMU's stdout (into the log), or a unix socket server whose
# output QEMU also appends to the log.
: >"$LOG"
if [[ -n $CONSOLE ]]; then
    SERIAL=(-chardev "socket,id=ser0,path=$CONSOLE,server=on,wait=off,logfile=$LOG,logappend=on"
            -serial chardev:ser0)
else
    SERIAL=(-serial stdio)
fi

# -accel tcg: KVM guests die with "emulation failure" on these machines.
# memfd share=on: the switch must map guest memory.
# -nodefaults: no implicit user-mode NIC, monitor or VGA.
setsid "$QEMU" -name "$NAME" -nodefaults "${CONTROL[@]}" -accel tcg "${CPU[@]}" -smp "$SMP" -m "$MEM" \
    -object "memory-backend-memfd,id=mem,size=${MEM}M,share=on" -numa node,memdev=mem \
    "${ARGS[@]}" \
    -kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initrd.gz" -append "$APPEND" \
    -display none -monitor none "${SERIAL[@]}" \
    </dev/null >>"$LOG" 2>&1 &
PID=$!

# Catch immediate failures (bad option, missing file) instead of reporting a dead pid.
sleep 0.5
if ! kill -0 "$PID" 2>/dev/null; then
    tail -n 5 "$LOG" >&2
    die "qemu exited at once; see $LOG"
fi
[[ -n $PIDFILE ]] && echo "$PID" >"$PIDFILE"
echo "$PID"
