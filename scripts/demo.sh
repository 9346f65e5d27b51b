#!/bin/bash
# The README's first command: install what is missing, build, and show
# dpswitch working: two Linux guests under QEMU on two vhost-user ports
# ping each other through the L2 bridge while dpswitch counts the frames.
# Everything it starts is stopped on exit.
set -euo pipefail

ROOT=$(dirname "$(readlink -f "$0")")/..
cd "$ROOT"
DEMO_DIR=$(mktemp -d /tmp/dpswitch-demo.XXXXXX)
PREFIX=dps-demo-$$
DPS_PID='' VM1_PID='' VM2_PID=''

cleanup() {
    set +e
    [[ -n $VM1_PID ]] && kill "$VM1_PID" 2>/dev/null
    [[ -n $VM2_PID ]] && kill "$VM2_PID" 2>/dev/null
    if [[ -n $DPS_PID ]] && kill -0 "$DPS_PID" 2>/dev/null; then
        build/app/dpswitch-ctl/dpswitch-ctl -s "$DEMO_DIR/ctl.sock" quit >/dev/null 2>&1
        for _ in $(seq 50); do kill -0 "$DPS_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$DPS_PID" 2>/dev/null
    fi
    rm -f /dev/hugepages/"$PREFIX"*
    rm -rf "$DEMO_DIR"
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (hugepages, QEMU)" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

step "installing missing packages"
scripts/setup-deps.sh
step "hugepages"
scripts/setup-hugepages.sh
step "building dpswitch"
scripts/build.sh >/dev/null
step "building the guest kernel and initramfs"
scripts/build-guest.sh

step "starting dpswitch (worker on lcore 1, two vhost-user ports)"
sed "s|DEMO_DIR|$DEMO_DIR|g" config/demo.conf > "$DEMO_DIR/demo.conf"
build/app/dpswitch/dpswitch -l 0,1 --no-pci --file-prefix "$PREFIX" \
    --log-level=lib.eal:warning -- -s "$DEMO_DIR/ctl.sock" \
    -c "$DEMO_DIR/demo.conf" > "$DEMO_DIR/dpswitch.log" 2>&1 &
DPS_PID=$!
CTL=(build/app/dpswitch-ctl/dpswitch-ctl -s "$DEMO_DIR/ctl.sock")
for _ in $(seq 100); do "${CTL[@]}" show config >/dev/null 2>&1 && break; sleep 0.1; done
"${CTL[@]}" port show

step "booting two guests under QEMU (TCG, about 10 s)"
VM1_PID=$(scripts/vm-launch.sh --sock "$DEMO_DIR/vm1.sock" --mac 52:54:00:00:00:01 \
    --ip 10.0.0.1/24 --ping 10.0.0.2 --name dps-demo-vm1 --log "$DEMO_DIR/vm1.log")
VM2_PID=$(scripts/vm-launch.sh --sock "$DEMO_DIR/vm2.sock" --mac 52:54:00:00:00:02 \
    --ip 10.0.0.2/24 --ping 10.0.0.1 --name dps-demo-vm2 --log "$DEMO_DIR/vm2.log")

ok=0
for _ in $(seq 180); do
    ok=0
    for vm in vm1 vm2; do grep -q DPS-GUEST-DONE "$DEMO_DIR/$vm.log" && ok=$((ok + 1)); done
    [[ $ok -eq 2 ]] && break
    sleep 1
done
for vm in vm1 vm2; do
    echo "$vm: $(grep -a -E 'DPS-GUEST-READY|DPS-PING-RESULT' "$DEMO_DIR/$vm.log" | tr -d '\r' | tr '\n' ' ')"
done

step "what dpswitch saw"
"${CTL[@]}" port stats
"${CTL[@]}" mac show
"${CTL[@]}" lcore show

results=$(grep -a -h 'DPS-PING-RESULT' "$DEMO_DIR"/vm*.log | tr -d '\r' || true)
good=$(echo "$results" | awk '{split($2,s,"="); split($3,r,"=");
                                 if (s[2] > 0 && s[2] == r[2]) n++} END {print n+0}')
if [[ $ok -ne 2 || $good -ne 2 ]]; then
    echo "demo: FAILED: the guests did not both get all their replies" >&2
    echo "demo: logs: dpswitch and guests were in $DEMO_DIR" >&2
    tail -5 "$DEMO_DIR"/*.log >&2
    exit 1
fi
step "demo passed: both guests pinged each other through dpswitch"
