#!/bin/bash
# Build a tiny Linux guest: OUTDIR/vmlinuz + OUTDIR/initrd.gz (Debian cloud
# kernel + busybox-static initramfs). See docs/guest.md.
#
# Usage: scripts/build-guest.sh [OUTDIR]          default build/guest
#        scripts/build-guest.sh --dpdk [OUTDIR]   default build/guest-dpdk
#
# The default image brings its virtio-net NIC up, optionally pings, and
# reports on the serial console (dts/test_guests.py). The --dpdk image runs
# DPDK in the guest: the host's dpdk-testpmd, dpswitch-pktgen and dpswitch
# (with dpswitch-ctl) with their shared libraries, DPDK's virtio PMD, the
# PCI bus and igb PMDs for the switch (the SR-IOV lab), our PMD plugins,
# the vfio (with enable_sriov=1) and uio modules, hugetlbfs, and a root shell on the serial console (dts/guest.py).
# It takes the build from $DPSWITCH_BUILD (default <repo>/build) and is
# rebuilt whenever one of the files it carries changes.
set -euo pipefail

SELF=$(readlink -f "$0")
ROOT=$(dirname "$(dirname "$SELF")")
DPDK=0
# The default image boots Debian's cloud kernel (small, quick); the DPDK
# image the generic one, which also has the igb driver (a PF left to the
# kernel, its VFs set through netlink: the lab).
KMETA=linux-image-cloud-amd64
case ${1:-} in
    -h | --help) sed -n '2,14p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --dpdk) DPDK=1; KMETA=linux-image-amd64; shift ;;
esac
if ((DPDK)); then OUT=${1:-build/guest-dpdk}; else OUT=${1:-build/guest}; fi

need_pkg() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' ||
        { apt-get install -y -q "$1" >/dev/null ||
            { apt-get update -q >/dev/null && apt-get install -y -q "$1" >/dev/null; }; }
}

# The kernel ABI changes over time: resolve it from the meta package.
# (apt-cache exits 100 when the package lists are empty: tolerate, then update.)
kpkg() { { apt-cache depends $KMETA 2>/dev/null || true; } | awk '/Depends: linux-image-/ && !n++ {print $2}'; }
resolve_kernel() {
    KPKG=$(kpkg)
    if [[ -z $KPKG ]]; then
        apt-get update -q >/dev/null
        KPKG=$(kpkg)
    fi
    [[ -n $KPKG ]] || { echo "build-guest: cannot resolve $KMETA" >&2; exit 1; }
    KVER=${KPKG#linux-image-}
}

# Download and unpack the kernel package into $TMP/k; MODDIR is its modules.
# Sandbox user root: _apt cannot write into our private mktemp dir.
fetch_kernel() {
    (cd "$TMP" && apt-get download -q -o APT::Sandbox::User=root "$KPKG" >/dev/null)
    dpkg-deb -x "$TMP"/*.deb "$TMP/k"
    MODDIR=$TMP/k/lib/modules/$KVER
}

# The module file of $1 under MODDIR (.ko or .ko.xz; '-' and '_' are the
# same in module names), or nothing if the kernel has it built in.
mod_file() {
    local a=${1//_/-} b=${1//-/_}
    find "$MODDIR" \( -name "$a.ko" -o -name "$a.ko.xz" -o -name "$b.ko" -o -name "$b.ko.xz" \) \
        -print -quit
}

# Copy module $1 into $R/lib/modules/$1.ko, decompressed: busybox insmod
# cannot load compressed modules. Returns 1 if it is not a module.
copy_module() {
    local f
    f=$(mod_file "$1")
    if [[ -z $f ]]; then
        echo "build-guest: $1 not found as module (built in?)"
        return 1
    fi
    case $f in
        *.xz) xz -dc "$f" >"$R/lib/modules/$1.ko" ;;
        *) cp "$f" "$R/lib/modules/$1.ko" ;;
    esac
}

# The busybox root: /bin/busybox, /bin/sh, the usual mount points.
new_root() {
    R=$TMP/root
    mkdir -p "$R"/{bin,dev,proc,sys,lib/modules}
    cp /bin/busybox "$R/bin/busybox"
    ln -s busybox "$R/bin/sh"
}

# Build in TMP, then move into place, so a failed run never leaves "fresh" outputs.
pack() {
    (cd "$R" && find . | cpio -o -H newc --quiet) | gzip -9 >"$TMP/initrd.gz"
    mkdir -p "$OUT"
    cp "$TMP"/k/boot/vmlinuz-* "$OUT/vmlinuz"
    mv "$TMP/initrd.gz" "$OUT/initrd.gz"
}

need_pkg busybox-static
need_pkg cpio

# ==========================================================================
# The default image: virtio-net in the kernel, pings, console markers.
# ==========================================================================
build_net_image() {
    # Idempotent: outputs newer than this script (which contains /init) are current.
    if [[ $OUT/vmlinuz -nt $SELF && $OUT/initrd.gz -nt $SELF ]]; then
        echo "build-guest: $OUT is up to date"
        exit 0
    fi

    # Modules for virtio-net, in load order (no modules.dep in the guest).
    local MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"

    resolve_kernel
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT
    fetch_kernel
    new_root
    for m in $MODULES; do
        copy_module "$m" || true
    done

    cat >"$R/init" <<EOF
#!/bin/sh
# Guest init (PID 1). Config comes from the kernel command line:
#   dps.ip=A.B.C.D/NN  dps.ping=TARGET (optional)  dps.count=N (default 5)
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# No /dev/console in the cpio, so the kernel gave us no stdio: attach it now.
exec </dev/console >/dev/console 2>&1

for m in $MODULES; do
    [ -f /lib/modules/\$m.ko ] && insmod /lib/modules/\$m.ko
done
EOF
    cat >>"$R/init" <<'EOF'

IP= PING= COUNT=5
for kv in $(cat /proc/cmdline); do
    case $kv in
        dps.ip=*) IP=${kv#dps.ip=} ;;
        dps.ping=*) PING=${kv#dps.ping=} ;;
        dps.count=*) COUNT=${kv#dps.count=} ;;
    esac
done

# The driver probes asynchronously: wait for eth0 to appear.
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

ip link set lo up
ip link set eth0 up
[ -n "$IP" ] && ip addr add "$IP" dev eth0
echo "DPS-GUEST-READY ${IP:-none}"

if [ -n "$PING" ]; then
    # The peer may boot later: wait (up to ~60 s) for the first reply.
    i=0
    until ping -c 1 -W 1 "$PING" >/dev/null 2>&1 || [ $i -ge 60 ]; do i=$((i + 1)); done
    # busybox summary: "N packets transmitted, M packets received, ..."
    sum=$(ping -c "$COUNT" -i 0.2 "$PING" | grep 'packets transmitted')
    sent=$(echo "$sum" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
    recv=$(echo "$sum" | sed -n 's/.*, \([0-9]*\) packets received.*/\1/p')
    echo "DPS-PING-RESULT sent=${sent:-0} received=${recv:-0}"
fi
echo "DPS-GUEST-DONE"

# PID 1 must never exit (kernel panic); idle with no shell or getty. Host kills us.
while :; do sleep 3600; done
EOF
    chmod 755 "$R/init"
    pack
    echo "build-guest: $OUT/vmlinuz ($KVER) and $OUT/initrd.gz"
}

# ==========================================================================
# The DPDK image.
# ==========================================================================

# Modules the DPDK image loads at boot, each after its dependencies (found
# with modinfo in the kernel package: the guest has no modules.dep).
# vfio's own softdep (post: vfio_iommu_type1) is named here.
DPDK_MODULES="vfio vfio_iommu_type1 vfio-pci uio uio_pci_generic"
# The kernel's virtio-net stack (PCI transport and driver): loaded only
# when dps.ip= asks for a kernel NIC, so that by default a virtio NIC is
# left to DPDK.
NET_MODULES="virtio_pci virtio_net"
# Kernel NIC drivers, loaded on demand (dps-kmod igb): the lab leaves a PF
# to the kernel's igb and sets its VFs through the switch (netlink).
KNIC_MODULES="igb"
# Python and the stdlib modules DPDK's dpdk-devbind.py and
# dpdk-hugepages.py import (the launch script uses them), compiled.
PY_TOOLS="/usr/bin/dpdk-devbind.py /usr/bin/dpdk-hugepages.py"
# Drivers from the host's DPDK that neither dpdk-testpmd nor
# dpswitch-pktgen is linked with, for /usr/lib/dpdk/pmds in the guest: the
# virtio PMD, and the ring mempool handler (the default for every mbuf
# pool: without it rte_pktmbuf_pool_create fails with EINVAL). On the host
# EAL loads them from its default plugin directory.
DPDK_PMDS="librte_net_virtio librte_mempool_ring"
# The switch itself in the guest (the SR-IOV lab, docs/lab.md): what
# dpswitch is not linked with and needs for a NIC's PF or VF: the PCI bus,
# the igb/e1000e PMDs (net_e1000: PF and VF), and the ring mempool handler.
SWITCH_PMDS="librte_bus_pci librte_net_e1000 librte_mempool_ring"
# Where things go in the guest.
G_LIB=/lib/x86_64-linux-gnu
G_PMDS=/usr/lib/dpdk/pmds          # for every DPDK program: -d $G_PMDS
G_PLUGINS=/usr/lib/dpdk/plugins    # our PMD plugins, for testpmd only: -d $G_PLUGINS
G_SWITCH_PMDS=/usr/lib/dpdk/switch-pmds  # for dpswitch only: -d $G_SWITCH_PMDS

# Modules $@ and their dependencies, each once, dependencies first.
ordered_modules() {
    local seen=" " out=""
    visit() {
        local m=$1 f deps d
        case $seen in *" ${m//-/_} "*) return ;; esac
        seen+="${m//-/_} "
        f=$(mod_file "$m")
        [[ -n $f ]] || return 0    # built in
        deps=$(modinfo -F depends "$f" | tr ',' ' ')
        for d in $deps; do visit "$d"; done
        out+="$m "
    }
    for m in "$@"; do visit "$m"; done
    echo "$out"
}

# The shared libraries binaries $@ need: "path" lines, the loader included.
lib_closure() {
    local b
    for b in "$@"; do
        ldd "$b" | awk -v b="$b" '/not found/ {print "build-guest: " b ": " $0 > "/dev/stderr"; bad = 1}
            /=> \// {print $3} /^\t\// {print $1} END {exit bad}'
    done | sort -u
}

sonames() { lib_closure "$@" | xargs -n1 basename | sort -u; }

# The files Debian's python3 needs to run scripts $@: the stdlib modules
# they import (statically, anywhere) and those python imports at start-up,
# each with its compiled .pyc (imports under TCG are slow enough already).
py_closure() {
    /usr/bin/python3 - "$@" <<'PY'
import importlib.util, modulefinder, os, sys
files = set()
def add(path):
    if not path or not path.startswith(sys.base_prefix + "/lib/python3"):
        return
    files.add(path)
    if path.endswith(".py"):
        pyc = importlib.util.cache_from_source(path)
        if os.path.exists(pyc):
            files.add(pyc)
for mod in list(sys.modules.values()):
    add(getattr(mod, "__file__", None))
for script in sys.argv[1:]:
    finder = modulefinder.ModuleFinder(excludes=["tkinter", "test", "unittest", "pydoc"])
    finder.run_script(script)
    for mod in finder.modules.values():
        add(mod.__file__)
print("\n".join(sorted(files)))
PY
}

build_dpdk_image() {
    local BUILD=${DPSWITCH_BUILD:-$ROOT/build}
    BUILD=$(readlink -f "$BUILD")
    local TESTPMD PKTGEN SWITCH CTL plugins=() pmds=() swpmds=() tools=() f
    need_pkg kmod
    need_pkg pciutils
    TESTPMD=$(command -v dpdk-testpmd) || { echo "build-guest: dpdk-testpmd missing; run scripts/setup-deps.sh" >&2; exit 1; }
    PKTGEN=$BUILD/app/dpswitch-pktgen/dpswitch-pktgen
    [[ -x $PKTGEN ]] || { echo "build-guest: $PKTGEN missing; run scripts/build.sh" >&2; exit 1; }
    SWITCH=$BUILD/app/dpswitch/dpswitch CTL=$BUILD/app/dpswitch-ctl/dpswitch-ctl
    [[ -x $SWITCH && -x $CTL ]] || { echo "build-guest: $SWITCH missing; run scripts/build.sh" >&2; exit 1; }
    for f in "$BUILD"/drivers/net/*/librte_net_*.so; do
        [[ -f $f ]] && plugins+=("$f")
    done
    [[ ${#plugins[@]} -gt 0 ]] || { echo "build-guest: no PMD plugin in $BUILD/drivers/net" >&2; exit 1; }
    for f in "$BUILD"/tools/*/dps-*; do
        [[ -f $f && -x $f ]] && tools+=("$f")
    done
    # The attack tool, for a hostile guest (--pci: its ivshmem device's BARs).
    f=$BUILD/tests/hostile/dpsr-hostile
    [[ -x $f ]] && tools+=("$f")

    # The host's DPDK PMDs sit beside librte_eal, with its ABI number.
    local eal abi dir
    eal=$(lib_closure "$TESTPMD" | grep '/librte_eal\.so\.')
    abi=${eal##*.so.}
    dir=$(dirname "$eal")
    for f in $DPDK_PMDS; do
        [[ -f $dir/$f.so.$abi ]] || { echo "build-guest: $dir/$f.so.$abi missing (dpdk package?)" >&2; exit 1; }
        pmds+=("$dir/$f.so.$abi")
    done
    for f in $SWITCH_PMDS; do
        [[ -f $dir/$f.so.$abi ]] || { echo "build-guest: $dir/$f.so.$abi missing (dpdk package?)" >&2; exit 1; }
        swpmds+=("$dir/$f.so.$abi")
    done

    # A plugin directory must hold no library a program already has: a
    # second copy of a driver or bus (librte_bus_pci) panics in EAL.
    # plugins_not_linked WHO PATTERN PROGRAMS... -- PLUGINS...: no PLUGIN's
    # soname (PATTERN: "exact" or "prefix", for an unversioned .so) in
    # the PROGRAMS' closure.
    plugins_not_linked() {
        local who=$1 how=$2 linked p progs=() name
        shift 2
        while [[ $1 != -- ]]; do progs+=("$1"); shift; done
        shift
        linked=$(sonames "${progs[@]}")
        for p in "$@"; do
            if [[ $how == exact ]]; then name="$(basename "$p")"; else name="$(basename "$p" .so)\.so\..*"; fi
            if grep -qx "$name" <<<"$linked"; then
                echo "build-guest: $p is linked into $who: not a plugin for it" >&2
                exit 1
            fi
        done
    }
    plugins_not_linked "testpmd or pktgen" exact "$TESTPMD" "$PKTGEN" -- "${pmds[@]}"
    plugins_not_linked dpswitch exact "$SWITCH" -- "${swpmds[@]}"
    plugins_not_linked testpmd prefix "$TESTPMD" -- "${plugins[@]}"

    # What the image carries: "guest-path host-path" lines. The image is
    # current when the manifest of it (with every file's hash, this
    # script's and the kernel package's name) is the one it was built from.
    resolve_kernel
    local -a files=()
    local lib libs libc
    libs=$(lib_closure "$TESTPMD" "$PKTGEN" "$SWITCH" "$CTL" "${pmds[@]}" "${swpmds[@]}" \
        "${plugins[@]}" "${tools[@]}")
    libc=$(lib_closure /bin/true | grep '/libc\.so\.')
    # glibc loads libgcc_s.so.1 itself (thread cancellation, unwinding).
    for lib in $libs "$(dirname "$libc")/libgcc_s.so.1"; do
        case $lib in
            */ld-linux*) files+=("/lib64/$(basename "$lib") $lib") ;;
            *) files+=("$G_LIB/$(basename "$lib") $lib") ;;
        esac
    done
    files+=("/usr/bin/dpdk-testpmd $TESTPMD" "/usr/bin/dpswitch-pktgen $PKTGEN")
    files+=("/usr/bin/dpswitch $SWITCH" "/usr/bin/dpswitch-ctl $CTL")
    for p in "${swpmds[@]}"; do files+=("$G_SWITCH_PMDS/$(basename "$p" ".$abi") $p"); done
    for p in "${pmds[@]}"; do files+=("$G_PMDS/$(basename "$p" ".$abi") $p"); done
    for p in "${plugins[@]}"; do files+=("$G_PLUGINS/$(basename "$p") $p"); done
    for p in "${tools[@]}"; do files+=("/usr/bin/$(basename "$p") $p"); done
    # DPDK's python tools (the launch script): python, their modules, and
    # dpdk-devbind.py's lspci with the PCI names it parses.
    local py
    py=$(readlink -f /usr/bin/python3)
    for lib in $(lib_closure "$py" /usr/bin/lspci); do
        case $lib in */ld-linux*) ;; *) files+=("$G_LIB/$(basename "$lib") $lib") ;; esac
    done
    files+=("/usr/bin/python3 $py" "/usr/bin/lspci /usr/bin/lspci")
    files+=("/usr/share/misc/pci.ids /usr/share/misc/pci.ids")
    files+=("/usr/sbin/dpswitch-launch $ROOT/scripts/dpswitch-launch")
    # shellcheck disable=SC2086 # the list is words
    for f in $(py_closure $PY_TOOLS) $PY_TOOLS; do files+=("$f $f"); done
    files+=("/bin/busybox /bin/busybox")

    local manifest
    manifest=$( {
        echo "kernel $KPKG"
        echo "script $(sha256sum <"$SELF" | cut -d' ' -f1)"
        for f in "${files[@]}"; do
            echo "$(sha256sum <"${f#* }" | cut -d' ' -f1) ${f%% *}"
        done
    } | sort)
    if [[ -f $OUT/vmlinuz && -f $OUT/initrd.gz && -f $OUT/manifest ]] &&
       [[ $(cat "$OUT/manifest") == "$manifest" ]]; then
        echo "build-guest: $OUT is up to date"
        exit 0
    fi

    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT
    fetch_kernel
    new_root
    mkdir -p "$R"/{run,tmp,usr/bin,lib64,etc,root,mnt} "$R$G_LIB" "$R$G_PMDS" "$R$G_PLUGINS" \
        "$R$G_SWITCH_PMDS"
    mkdir -p "$R/var"
    ln -s /run "$R/var/run"
    chmod 1777 "$R/tmp"
    for f in "${files[@]}"; do
        [[ ${f%% *} == /bin/busybox ]] && continue
        mkdir -p "$R$(dirname "${f%% *}")"
        cp -L "${f#* }" "$R${f%% *}"
    done
    # Plugin directories: EAL refuses one below a world-writable directory.
    chmod 755 "$R/usr" "$R/usr/lib" "$R/usr/lib/dpdk" "$R$G_PMDS" "$R$G_PLUGINS" "$R$G_SWITCH_PMDS"

    local mods="" net=""
    # shellcheck disable=SC2086 # the lists are words
    for m in $(ordered_modules $DPDK_MODULES); do
        copy_module "$m" && mods+="$m "
    done
    # shellcheck disable=SC2086
    for m in $(ordered_modules $NET_MODULES); do
        copy_module "$m" && net+="$m "
    done
    local knic=""
    # shellcheck disable=SC2086
    for m in $(ordered_modules $KNIC_MODULES); do
        copy_module "$m" && knic+="$m "
    done
    cat >"$R/usr/bin/dps-kmod" <<EOF
#!/bin/sh
# dps-kmod: load the kernel NIC drivers this image carries ($KNIC_MODULES),
# dependencies first (the guest has no modprobe data).
for m in $knic; do
    insmod /lib/modules/\$m.ko 2>/dev/null  # loaded already: EEXIST
done
for m in $KNIC_MODULES; do
    grep -q "^\$m " /proc/modules || { echo "dps-kmod: \$m did not load" >&2; exit 1; }
done
EOF
    chmod 755 "$R/usr/bin/dps-kmod"
    # Empty module indices, so that lspci -k (dpdk-devbind.py) finds libkmod's files.
    mkdir -p "$R/lib/modules/$KVER"
    cp "$MODDIR"/modules.builtin "$MODDIR"/modules.builtin.modinfo "$MODDIR"/modules.order \
        "$R/lib/modules/$KVER/"
    depmod -b "$R" "$KVER"

    cat >"$R/usr/bin/dps-bind" <<'EOF'
#!/bin/sh
# dps-bind DRIVER DEVICE...: give PCI devices to DRIVER (vfio-pci,
# uio_pci_generic, or a kernel driver), whatever holds them now. A DEVICE
# is an address (0000:00:03.0) or vendor:device (1af4:1110: every such
# device). Prints the addresses bound, one a line.
[ $# -ge 2 ] || { echo "usage: dps-bind DRIVER DEVICE..." >&2; exit 2; }
drv=$1; shift
[ -d /sys/bus/pci/drivers/$drv ] || { echo "dps-bind: no driver $drv" >&2; exit 1; }
rc=0
for want in "$@"; do
    case $want in
        *:*:*) devs=/sys/bus/pci/devices/$want ;;
        *)
            devs=
            for d in /sys/bus/pci/devices/*; do
                [ "$(cat $d/vendor):$(cat $d/device)" = "0x${want%%:*}:0x${want#*:}" ] && devs="$devs $d"
            done ;;
    esac
    [ -n "$devs" ] || { echo "dps-bind: no device $want" >&2; rc=1; continue; }
    for d in $devs; do
        [ -e $d ] || { echo "dps-bind: no device $d" >&2; rc=1; continue; }
        a=$(basename $d)
        [ -e $d/driver ] && echo $a > $d/driver/unbind
        echo $drv > $d/driver_override
        echo $a > /sys/bus/pci/drivers_probe
        if [ "$(basename "$(readlink $d/driver)")" = "$drv" ]; then
            echo $a
        else
            echo "dps-bind: $a not bound to $drv" >&2; rc=1
        fi
    done
done
exit $rc
EOF
    chmod 755 "$R/usr/bin/dps-bind"

    cat >"$R/init" <<EOF
#!/bin/sh
# Guest init (PID 1) of the DPDK image. Kernel command line keys:
#   hugepages=N         2 MB hugepages (hugetlbfs is on /dev/hugepages)
#   dps.ip=A.B.C.D/NN   load the kernel's virtio-net and address eth0
#                       (without it a virtio NIC is left to DPDK)
# Then a root shell on the serial console, again whenever it exits.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o mode=755 run /run
mount -t tmpfs -o mode=1777 tmp /tmp
mkdir -p /dev/hugepages /dev/pts
mount -t hugetlbfs -o pagesize=2M hugetlbfs /dev/hugepages
mount -t devpts devpts /dev/pts
exec </dev/console >/dev/console 2>&1

for m in $mods; do
    # vfio-pci: a PF bound to it may create VFs (sriov_numvfs; the lab).
    case \$m in
        vfio-pci | vfio_pci) insmod /lib/modules/\$m.ko enable_sriov=1 ;;
        *) insmod /lib/modules/\$m.ko ;;
    esac
done
NETMODS="$net"
EOF
    cat >"$R/etc/profile" <<EOF
export PS1='dps# ' HOME=/root
# EAL plugin options: dpdk-testpmd takes both, dpswitch-pktgen (the
# dpswitch PMDs built in) only the first.
export DPS_PMDS='-d $G_PMDS' DPS_PLUGINS='-d $G_PLUGINS'
# dpswitch (the lab): the PCI bus and the NIC PMDs it is not linked with.
export DPS_SWITCH_PMDS='-d $G_SWITCH_PMDS'
EOF
    cat >>"$R/init" <<'EOF'

IP=
for kv in $(cat /proc/cmdline); do
    case $kv in
        dps.ip=*) IP=${kv#dps.ip=} ;;
    esac
done
ip link set lo up
if [ -n "$IP" ]; then
    for m in $NETMODS; do insmod /lib/modules/$m.ko; done
    i=0
    while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    ip link set eth0 up
    ip addr add "$IP" dev eth0
fi

echo "DPS-GUEST-READY ${IP:-none} hugepages=$(cat /proc/sys/vm/nr_hugepages) iommu_groups=$(ls /sys/kernel/iommu_groups | wc -l)"

# PID 1 must never exit (kernel panic): a shell on the console, forever.
cd /root
while :; do
    setsid cttyhack sh -l
    sleep 1
done
EOF
    chmod 755 "$R/init"
    pack
    echo "$manifest" >"$OUT/manifest"
    echo "build-guest: $OUT/vmlinuz ($KVER) and $OUT/initrd.gz ($(du -h "$OUT/initrd.gz" | cut -f1))"
}

if ((DPDK)); then build_dpdk_image; else build_net_image; fi
