#!/bin/bash
# Install what the benchmarks (scripts/bench/) need beyond scripts/setup-deps.sh:
# Open vSwitch with DPDK (a peer to measure against) and matplotlib for plots.
# Idempotent: does nothing, not even apt-get update, when all are installed.
#
# The Debian openvswitch-switch package normally starts the system OVS service
# (ovsdb-server + ovs-vswitchd) on install. The benchmarks run their own private
# OVS (own database, sockets and --file-prefix), so the system service is kept
# from starting during the install (policy-rc.d) and stopped and disabled
# afterwards if it runs anyway. No bridge or interface of the host is touched.
set -euo pipefail

PKGS=(openvswitch-switch-dpdk openvswitch-common python3-matplotlib dpdk)

[[ $(id -u) -eq 0 ]] || { echo "setup-bench-deps: must run as root" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done

stop_system_ovs() {
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
        systemctl disable --now openvswitch-switch.service ovs-vswitchd.service \
            ovsdb-server.service >/dev/null 2>&1 || true
    elif [[ -x /etc/init.d/openvswitch-switch ]]; then
        /etc/init.d/openvswitch-switch stop >/dev/null 2>&1 || true
    fi
}

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "setup-bench-deps: all ${#PKGS[@]} packages installed"
    exit 0
fi

echo "setup-bench-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
POLICY=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $POLICY ]]; then
    # Forbid service starts during the install; removed again below.
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    own_policy=1
fi
cleanup() { ((own_policy)) && rm -f "$POLICY"; return 0; }
trap cleanup EXIT

have_lists() { compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; }
if ! have_lists || ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
stop_system_ovs
# ovs-vswitchd is an alternative; the DPDK build is what the benchmarks run
# (they call /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk directly).
test -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
echo "setup-bench-deps: done"
