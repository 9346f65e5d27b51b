#!/bin/bash
# Launch a test guest (scripts/build-guest.sh) in the background under QEMU,
# attached to a vhost-user socket served by the switch. See docs/guest.md.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: vm-launch.sh --sock PATH --mac MAC --ip A.B.C.D/NN [options]

Starts qemu-system-x86_64 (TCG) in the background, detached in its own session,
with one virtio-net-pci NIC on the vhost-user socket PATH (QEMU is the client,
the switch is the server). QEMU retries the connection every second: if the
socket is not up yet, the guest boots once it is; after a switch restart the
guest reconnects. Prints the QEMU pid and exits; kill that pid to stop the guest.

  --sock PATH       vhost-user socket served by the switch (required)
  --mac MAC         guest NIC MAC address (required)
  --ip A.B.C.D/NN   guest eth0 address (required; kernel arg dps.ip)
  --ping TARGET     guest pings TARGET once up (kernel arg dps.ping)
  --count N         number of pings (kernel arg dps.count, guest default 5)
  --log FILE        serial console + QEMU messages (default /tmp/NAME.log)
  --mem MB          guest memory, shared memfd (default 256)
  --name NAME       QEMU guest name (default dpsvm-<pid of this script>)
  --pidfile FILE    also write the QEMU pid to FILE
  --guest-dir DIR   holds vmlinuz and initrd.gz (default <repo>/build/guest)
  --qmp PATH        QMP socket (QEMU listens) to drive the guest, e.g.
                    {"execute": "system_reset"} to reboot it; without
                    --qmp a guest that resets itself ends QEMU (-no-reboot)
  -h, --help        this text

The guest prints DPS-GUEST-READY, DPS-PING-RESULT sent=X received=Y (with
--ping) and DPS-GUEST-DONE on its console, then idles until killed.
EOF
}

die() { echo "vm-launch: $*" >&2; exit 1; }

SOCK='' MAC='' IP='' PING='' COUNT='' LOG='' MEM=256 NAME="dpsvm-$$" PIDFILE='' QMP=''
GUEST_DIR=$(dirname "$(readlink -f "$0")")/../build/guest
while [[ $# -gt 0 ]]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --sock | --mac | --ip | --ping | --count | --log | --mem | --name | --pidfile | --guest-dir | --qmp)
            [[ $# -ge 2 ]] || die "$1 needs a value"
            case $1 in
                --sock) SOCK=$2 ;; --mac) MAC=$2 ;; --ip) IP=$2 ;;
                --ping) PING=$2 ;; --count) COUNT=$2 ;; --log) LOG=$2 ;;
                --mem) MEM=$2 ;; --name) NAME=$2 ;; --pidfile) PIDFILE=$2 ;;
                --guest-dir) GUEST_DIR=$2 ;; --qmp) QMP=$2 ;;
            esac
            shift 2 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[[ -n $SOCK && -n $MAC && -n $IP ]] || die "--sock, --mac and --ip are required (see --help)"
[[ $MAC =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || die "--mac must be xx:xx:xx:xx:xx:xx"
[[ $IP =~ ^[0-9.]+/[0-9]+$ ]] || die "--ip must be A.B.C.D/NN"
[[ $MEM =~ ^[0-9]+$ ]] || die "--mem must be a number of MB"
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found; run scripts/setup-deps.sh"
for f in vmlinuz initrd.gz; do
    [[ -f $GUEST_DIR/$f ]] || die "$GUEST_DIR/$f missing; run scripts/build-guest.sh"
done
LOG=${LOG:-/tmp/$NAME.log}

APPEND="console=ttyS0 quiet panic=-1 dps.ip=$IP"
[[ -n $PING ]] && APPEND+=" dps.ping=$PING"
[[ -n $COUNT ]] && APPEND+=" dps.count=$COUNT"

# Client reconnect keeps the guest alive across switch restarts. QEMU 9.2
# renamed the option (reconnect=SECONDS -> reconnect-ms=MS).
ver=$("$QEMU" --version | sed -n '1s/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r vmaj vmin <<<"$ver"
if ((vmaj > 9 || (vmaj == 9 && vmin >= 2))); then RECONNECT=reconnect-ms=1000; else RECONNECT=reconnect=1; fi

# Driven over QMP, a reset is a reboot; otherwise it ends QEMU.
CONTROL=(-no-reboot)
[[ -n $QMP ]] && CONTROL=(-qmp "unix:$QMP,server=on,wait=off")

# -accel tcg: KVM guests die with "emulation failure" on these machines.
# vectors=0: QEMU 7.2 segfaults when a TCG guest enables MSI-X on a vhost-user
#   virtio-net-pci (msix_set_vector_notifiers); legacy INTx works.
# memfd share=on: the switch must map guest memory.
# -nodefaults: no implicit user-mode NIC, monitor or VGA.
setsid "$QEMU" -name "$NAME" -nodefaults "${CONTROL[@]}" -accel tcg -m "$MEM" \
    -object "memory-backend-memfd,id=mem,size=${MEM}M,share=on" -numa node,memdev=mem \
    -chardev "socket,id=c0,path=$SOCK,$RECONNECT" \
    -netdev vhost-user,id=n0,chardev=c0 \
    -device "virtio-net-pci,netdev=n0,mac=$MAC,vectors=0" \
    -kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initrd.gz" -append "$APPEND" \
    -display none -monitor none -serial stdio \
    </dev/null >"$LOG" 2>&1 &
PID=$!

# Catch immediate failures (bad option, missing file) instead of reporting a dead pid.
sleep 0.5
if ! kill -0 "$PID" 2>/dev/null; then
    tail -n 5 "$LOG" >&2
    die "qemu exited at once; see $LOG"
fi
[[ -n $PIDFILE ]] && echo "$PID" >"$PIDFILE"
echo "$PID"
