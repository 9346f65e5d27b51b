#!/bin/bash
# Build a tiny Linux guest for vhost-user tests: OUTDIR/vmlinuz + OUTDIR/initrd.gz
# (Debian cloud kernel + busybox-static initramfs). See docs/guest.md.
# Usage: scripts/build-guest.sh [OUTDIR]   (default: build/guest)
set -euo pipefail

OUT=${1:-build/guest}
SELF=$(readlink -f "$0")

# Idempotent: outputs newer than this script (which contains /init) are current.
if [[ $OUT/vmlinuz -nt $SELF && $OUT/initrd.gz -nt $SELF ]]; then
    echo "build-guest: $OUT is up to date"
    exit 0
fi

# Modules for virtio-net, in load order (no modules.dep in the guest).
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"

need_pkg() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' ||
        { apt-get install -y -q "$1" >/dev/null ||
            { apt-get update -q >/dev/null && apt-get install -y -q "$1" >/dev/null; }; }
}
need_pkg busybox-static
need_pkg cpio

# The kernel ABI changes over time: resolve it from the meta package.
# (apt-cache exits 100 when the package lists are empty: tolerate, then update.)
kpkg() { { apt-cache depends linux-image-cloud-amd64 2>/dev/null || true; } | awk '/Depends: linux-image-/ && !n++ {print $2}'; }
KPKG=$(kpkg)
if [[ -z $KPKG ]]; then
    apt-get update -q >/dev/null
    KPKG=$(kpkg)
fi
[[ -n $KPKG ]] || { echo "build-guest: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Sandbox user root: _apt cannot write into our private mktemp dir.
(cd "$TMP" && apt-get download -q -o APT::Sandbox::User=root "$KPKG" >/dev/null)
dpkg-deb -x "$TMP"/*.deb "$TMP/k"
KVER=${KPKG#linux-image-}
MODDIR=$TMP/k/lib/modules/$KVER

R=$TMP/root
mkdir -p "$R"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/sh"

# Copy each module if it exists (.ko or .ko.xz); absent ones are assumed built in.
# busybox insmod cannot load compressed modules, so decompress.
for m in $MODULES; do
    f=$(find "$MODDIR" \( -name "$m.ko" -o -name "$m.ko.xz" \) -print -quit)
    if [[ -z $f ]]; then
        echo "build-guest: $m not found as module (built in?)"
        continue
    fi
    case $f in
        *.xz) xz -dc "$f" >"$R/lib/modules/$m.ko" ;;
        *) cp "$f" "$R/lib/modules/$m.ko" ;;
    esac
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

# Build in TMP, then move into place, so a failed run never leaves "fresh" outputs.
(cd "$R" && find . | cpio -o -H newc --quiet) | gzip -9 >"$TMP/initrd.gz"
mkdir -p "$OUT"
cp "$TMP"/k/boot/vmlinuz-* "$OUT/vmlinuz"
mv "$TMP/initrd.gz" "$OUT/initrd.gz"
echo "build-guest: $OUT/vmlinuz ($KVER) and $OUT/initrd.gz"
