#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Real boots: Debian's arm64 6.12 kernel under QEMU (TCG), one boot per
# scenario, each captured with Packaging/iommu-plan-capture and checked
# against the kernel's rules (Tests/E2E/check_capture.py).
#
#   Tests/E2E/e2e.sh              # boot every scenario, check the captures
#   Tests/E2E/e2e.sh --record     # the same, then rewrite Tests/E2E/Captures
#   Tests/E2E/e2e.sh --committed  # check Tests/E2E/Captures only, no boot
#
# Fetches (never installs) the kernel image package and busybox-static for
# arm64 with apt's foreign-architecture options, as corpus-test does, into
# $CACHE/e2e; builds a busybox initramfs whose /init (guest-init.sh) loads
# the scenario's modules, captures, and sends the archive and the kernel log
# back over the serial console; makes each scenario's DTB from QEMU's own
# (dumpdtb, then fdtput); boots the scenarios one at a time. The scenarios,
# their QEMU arguments and what the kernel did are in
# Tests/E2E/Captures/README.md.
#
# Environment:
#   IOMMU_PLAN                 the binary: `$IOMMU_PLAN verify --root
#                              DIR` must exit 0 on every capture
#   IOMMU_PLAN_CACHE           cache dir (default ~/.cache/iommu-plan)
#   IOMMU_PLAN_E2E_PACKAGE     kernel package (default
#                              linux-image-6.12.118+deb12-arm64-unsigned; the
#                              newest 6.12 listed when that cannot be had)
#   IOMMU_PLAN_E2E_ONLY        comma-separated boots to run (default all)
#   IOMMU_PLAN_E2E_TIMEOUT     seconds one boot may take (default 120)
#   QEMU                       default qemu-system-aarch64
#   CI=true                    what cannot be fetched or run is a failure,
#                              not a skip
#
# Output: a line per boot, a FAIL line per failed check, then
# `e2e: N passed, M failed`. In $CACHE/e2e/run stay, per boot, BOOT.console
# (the serial console), BOOT.dmesg.txt (the kernel log), BOOT.dtb and
# BOOT.qemu-command, and per capture NAME.tar.gz, NAME/ (extracted) and
# NAME.facts.txt (what the kernel did, device by device).
set -euo pipefail

export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=boot
case "${1:-}" in
  "") ;;
  --record) mode=record ;;
  --committed) mode=committed ;;
  -h | --help)
    sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: $0 [--record | --committed]" >&2
    exit 64
    ;;
esac
[[ $# -le 1 ]] || { echo "usage: $0 [--record | --committed]" >&2; exit 64; }

CACHE=${IOMMU_PLAN_CACHE:-$HOME/.cache/iommu-plan}
PKG=${IOMMU_PLAN_E2E_PACKAGE:-linux-image-6.12.118+deb12-arm64-unsigned}
BOOT_TIMEOUT=${IOMMU_PLAN_E2E_TIMEOUT:-120}
QEMU=${QEMU:-qemu-system-aarch64}
captures=$here/Captures

note() { echo "e2e: note: $*"; }
die() { echo "e2e: FAIL: $*"; exit 1; }
skip() {
  if [[ ${CI:-} == true ]]; then
    echo "FAILED: e2e: $* (CI=true, not skipping)"
    exit 1
  fi
  echo "SKIPPED: e2e: $*"
  exit 0
}

# --- the scenarios ------------------------------------------------------------
# One boot each, in this order. BOOT: machine options | extra -device |
# kernel command line | captures as NAME:DRIVER, DRIVER being when the IOMMU's
# driver registered (check_capture.py --driver). The DT edit is edit_BOOT.
boots=(smmuv3 smmuv3-hole smmuv3-mask-fff8 smmuv3-mask-0 smmuv3-disabled viommu-late viommu)
declare -A machine extra cmdline plan
for b in smmuv3 smmuv3-hole smmuv3-mask-fff8 smmuv3-mask-0 smmuv3-disabled; do
  machine[$b]=virt,iommu=smmuv3
  extra[$b]=
  cmdline[$b]="e2e.load=virtio_net,virtio_blk e2e.capture=$b"
  plan[$b]="$b:ready"
done
# The virtio-iommu is a module. viommu-late loads it once the 5 s timeout has
# fired; viommu captures before loading it (no timeout: the consumers wait)
# and after.
machine[viommu-late]=virt
extra[viommu-late]=virtio-iommu-pci,addr=04.0
cmdline[viommu-late]="deferred_probe_timeout=5 e2e.load=virtio_net,virtio_blk e2e.late=virtio_iommu e2e.late_after=timeout e2e.capture=viommu-late"
plan[viommu-late]="viommu-late:late"
machine[viommu]=virt
extra[viommu]=virtio-iommu-pci,addr=04.0
cmdline[viommu]="deferred_probe_timeout=-1 e2e.load=virtio_net,virtio_blk e2e.before=viommu-pending e2e.late=virtio_iommu e2e.capture=viommu-loaded"
plan[viommu]="viommu-pending:pending viommu-loaded:ready"
# The same devices on every boot, so that QEMU's DT and the devices agree:
# 00:01.0 virtio-net; 00:02.0 virtio-blk and 00:02.1 virtio-rng, one
# multifunction slot; 00:03.0 a PCIe root port with 01:00.0 virtio-net
# behind it. Networks are hub ports that lead nowhere.
devices=(-netdev hubport,id=net0,hubid=0 -netdev hubport,id=net1,hubid=1
  -device virtio-net-pci,netdev=net0,addr=01.0
  -drive if=none,id=disk0,format=raw,file=disk.raw
  -device virtio-blk-pci,drive=disk0,addr=02.0,multifunction=on
  -device virtio-rng-pci,addr=02.1
  -device pcie-root-port,id=rp1,chassis=1,addr=03.0
  -device virtio-net-pci,netdev=net1,bus=rp1,addr=00.0)
base_cmdline="console=ttyAMA0 quiet loglevel=3 panic=-1"

# DT edits, on QEMU's own blob ($1). Nodes are found by compatible.
node_with() {  # DTB COMPATIBLE: the path of the first top-level node with it
  local n
  for n in $(fdtget -l "$1" /); do
    if fdtget "$1" "/$n" compatible 2>/dev/null | tr ' ' '\n' | grep -qx "$2"; then
      echo "/$n"
      return 0
    fi
  done
  return 1
}
smmu_pcie() {  # DTB: sets $smmu, $pcie, $smmu_ph
  smmu=$(node_with "$1" arm,smmu-v3) || die "no arm,smmu-v3 node in QEMU's DT"
  pcie=$(node_with "$1" pci-host-ecam-generic) || die "no PCI host in QEMU's DT"
  smmu_ph=$(fdtget -t x "$1" "$smmu" phandle)
}
edit_smmuv3() { :; }
# RIDs 0x10-0x17 (slot 2: 00:02.0, 00:02.1) in no entry; bus 1 first matches
# an entry naming a disabled SMMUv3, before a later entry that would map it.
edit_smmuv3_hole() {
  smmu_pcie "$1"
  local off=/iommu-disabled
  local ph=0 v
  for v in $(dtc -q -I dtb -O dts "$1" | sed -n 's/.*phandle = <\(0x[0-9a-f]*\)>.*/\1/p'); do
    ((v > ph)) && ph=$((v))
  done
  ph=$(printf '0x%x' $((ph + 1)))
  fdtput -c "$1" "$off"
  fdtput -t s "$1" "$off" compatible arm,smmu-v3
  fdtput -t x "$1" "$off" '#iommu-cells' 1
  fdtput -t s "$1" "$off" status disabled
  fdtput -t x "$1" "$off" phandle "$ph"
  fdtput -t x "$1" "$pcie" iommu-map 0x0 "$smmu_ph" 0x0 0x10 0x100 "$ph" 0x100 0x100 0x18 "$smmu_ph" 0x18 0xffe8
}
edit_smmuv3_mask_fff8() { smmu_pcie "$1" && fdtput -t x "$1" "$pcie" iommu-map-mask 0xfff8; }
edit_smmuv3_mask_0() { smmu_pcie "$1" && fdtput -t x "$1" "$pcie" iommu-map-mask 0x0; }
edit_smmuv3_disabled() { smmu_pcie "$1" && fdtput -t s "$1" "$smmu" status disabled; }
edit_viommu_late() { :; }
edit_viommu() { :; }

only=${IOMMU_PLAN_E2E_ONLY:-}
selected=()
for b in "${boots[@]}"; do
  [[ -z $only || ,$only, == *",$b,"* ]] && selected+=("$b")
done
[[ ${#selected[@]} -gt 0 ]] || die "IOMMU_PLAN_E2E_ONLY=$only names no boot (${boots[*]})"

# --- the checks -------------------------------------------------------------
command -v python3 >/dev/null || skip "python3 not installed"
suite=e2e
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=../checks.sh
. "$here/../checks.sh"

verify=${IOMMU_PLAN:-}
[[ -n $verify ]] || note "IOMMU_PLAN not set: captures not checked with iommu-plan verify"
# Every device as predicted: exit 0 and a summary with no mismatch.
verified() {  # DIR
  local out
  out=$("$verify" verify --root "$1") || { echo "$out" | grep -v '^  as predicted'; return 1; }
  [[ $out == *", 0 mismatches;"* ]] || { echo "$out"; return 1; }
}
verdict() { [[ $1 == pass ]] || { echo "$2"; return 1; }; }
host_paths() {  # DIR: nothing of this machine's paths in the files
  ! grep -r -l -a -E '(^|[^a-z])/(root|tmp|work|home)/' "$1" --exclude=cmdline
}
check_capture() {  # NAME DRIVER DIR [FED.dtb]
  local name=$1 driver=$2 dir=$3 fed=${4:-} verdict_ name detail
  local args=("$dir" --driver "$driver" --facts "$dir.facts.txt")
  [[ -z $fed ]] || args+=(--fed "$fed")
  python3 "$here/check_capture.py" "${args[@]}" >"$work/results" 2>&1 || true
  if ! grep -q '^pass' "$work/results"; then
    check "$1: check_capture.py runs" false
    sed 's/^/  /' "$work/results" | head -n 20
  fi
  while IFS=$'\t' read -r verdict_ name detail; do
    check "$1: $name" verdict "$verdict_" "$detail"
  done < <(grep -E '^(pass|fail)' "$work/results")
  local notes=$dir/capture-notes.txt
  capture_notes() {
    [[ -f $dir/capture-version && -f $notes ]] || { echo "no capture-version or capture-notes.txt"; return 1; }
    ! grep -E '^[a-z-]+ (sys/firmware/fdt|sys/kernel/debug/devices_deferred|proc/modules|proc/cmdline)$' "$notes"
  }
  check "$1: the capture has the device tree, deferred list, modules and cmdline" capture_notes
  check "$1: no path of the build machine in the capture" host_paths "$dir"
  if [[ -n $verify ]]; then
    check "$1: iommu-plan verify reports every device as predicted" verified "$dir"
  fi
}
extract() {  # ARCHIVE DIR (-m: the guest's clock may run ahead of ours)
  rm -rf "$2" && mkdir -p "$2" && tar -xzmf "$1" -C "$2"
}

if [[ $mode == committed ]]; then
  for b in "${selected[@]}"; do
    for c in ${plan[$b]}; do
      name=${c%%:*}
      [[ -f $captures/$name.tar.gz ]] || { check "$name: Tests/E2E/Captures/$name.tar.gz exists" false; continue; }
      extract "$captures/$name.tar.gz" "$work/$name"
      check_capture "$name" "${c#*:}" "$work/$name"
    done
  done
  checks_done
  exit
fi

# --- what the boots need ----------------------------------------------------
for tool in "$QEMU" fdtput fdtget dtc cpio xz dpkg-deb depmod base64; do
  command -v "$tool" >/dev/null || [[ -x /sbin/$tool ]] ||
    skip "$tool not installed (make e2e-deps installs qemu-system-arm, device-tree-compiler, cpio, xz-utils, kmod)"
done
depmod=$(command -v depmod || echo /sbin/depmod)

E2E=$CACHE/e2e
mkdir -p "$E2E" || skip "cannot create $E2E"
E2E=$(cd "$E2E" && pwd)
log=$E2E/apt.log
: >"$log"
o=(-oAPT::Architecture=arm64 -oAPT::Architectures=arm64
  "-oDir::State::Lists=$CACHE/lists" "-oDir::Cache=$CACHE/apt-cache")
newest() {  # the newest existing path among the arguments (sort -V)
  local f
  for f in "$@"; do [[ -e $f ]] && printf '%s\n' "$f"; done | sort -V | tail -n 1
}
updated=0
apt_update() {
  [[ $updated == 0 ]] || return 0
  command -v apt-get >/dev/null || return 1
  mkdir -p "$CACHE/lists/partial" "$CACHE/apt-cache/archives/partial"
  (cd "$E2E" && apt-get "${o[@]}" update) >>"$log" 2>&1 || return 1
  updated=1
}
cached_deb() {  # PACKAGE: a .deb of it anywhere in the cache (corpus-test's too)
  newest "$E2E/$1"_*_arm64.deb "$CACHE/$1"_*_arm64.deb "$CACHE"/*/"$1"_*_arm64.deb
}
fetch() {  # PACKAGE: prints the path of its .deb, downloading it when needed
  local deb
  deb=$(cached_deb "$1")
  if [[ -z $deb ]]; then
    apt_update || return 1
    (cd "$E2E" && apt-get "${o[@]}" download "$1") >>"$log" 2>&1 || return 1
    deb=$(cached_deb "$1")
  fi
  [[ -n $deb ]] && echo "$deb"
}
apt_newest() {  # REGEX: the newest package name apt lists
  apt_update || return 0
  apt-cache "${o[@]}" search --names-only "$1" 2>>"$log" | awk '{print $1}' | sort -V | tail -n 1
}
why() { grep -E '^(E|W):' "$log" | grep -v unsandboxed | head -n 1 || true; }

# The kernel: boot/ and lib/modules/ of the package, with depmod's files.
kernel_root() { echo "$E2E/kernel-${1#linux-image-}"; }
kroot=$(kernel_root "$PKG")
unpack() {  # PACKAGE DEB: boot/ and lib/modules/ into its kernel root, then depmod
  local root kv
  root=$(kernel_root "$1")
  rm -rf "$root" && mkdir -p "$root"
  dpkg-deb --fsys-tarfile "$2" | tar -x -C "$root" --wildcards './boot/*' './lib/modules/*' ||
    die "cannot extract boot/ and lib/modules/ from $2"
  kv=$(basename "$(ls -d "$root"/lib/modules/*/ | head -n 1)")
  "$depmod" -b "$root" "$kv" || die "depmod -b $root $kv failed"
  echo "$1 $(dpkg-deb -f "$2" Version)" >"$root/.ready"
}
if [[ ! -f $kroot/.ready ]]; then
  if deb=$(fetch "$PKG"); then
    unpack "$PKG" "$deb"
  else
    cand=$(apt_newest '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-arm64-unsigned$')
    if [[ -n $cand && -f $(kernel_root "$cand")/.ready ]]; then
      kroot=$(kernel_root "$cand")
    elif [[ -n $cand ]] && deb=$(fetch "$cand"); then
      note "cannot fetch $PKG, using the newest 6.12 listed, $cand"
      unpack "$cand" "$deb"
      kroot=$(kernel_root "$cand")
    else
      other=$(newest "$E2E"/kernel-*/.ready)
      [[ -n $other ]] || skip "cannot download $PKG: $(why)"
      kroot=$(dirname "$other")
      note "cannot fetch $PKG (see $log); reusing $kroot"
    fi
  fi
fi
read -r pkg version <"$kroot/.ready"
kver=$(basename "$(ls -d "$kroot"/lib/modules/*/ | head -n 1)")
kernel=$(ls "$kroot"/boot/vmlinuz-* | head -n 1)
config=$(ls "$kroot"/boot/config-* | head -n 1)
for want in CONFIG_ARM_SMMU_V3=y CONFIG_VIRTIO_IOMMU=m CONFIG_VIRTIO_PCI=y CONFIG_PCI_HOST_GENERIC=y CONFIG_DEBUG_FS=y; do
  grep -qx "$want" "$config" || die "$pkg: the scenarios need $want, $(basename "$config") has $(grep "^${want%=*}=" "$config" || echo none)"
done

bbdeb=$(fetch busybox-static) || skip "cannot download busybox-static for arm64: $(why)"
bbroot=$E2E/busybox
if [[ ! -x $bbroot/bin/busybox || $(cat "$bbroot/.from" 2>/dev/null) != "${bbdeb##*/}" ]]; then
  rm -rf "$bbroot" && dpkg -x "$bbdeb" "$bbroot" || die "cannot extract $bbdeb"
  echo "${bbdeb##*/}" >"$bbroot/.from"
fi

# --- the initramfs --------------------------------------------------------------
run=$E2E/run
rm -rf "$run" && mkdir -p "$run"
initrd=$run/initramfs
mkdir -p "$initrd"/{bin,e2e/modules,usr/bin}
cp "$bbroot/bin/busybox" "$initrd/bin/busybox"
ln -s busybox "$initrd/bin/sh"
install -m 755 "$here/guest-init.sh" "$initrd/init"
install -m 755 "$repo/Packaging/iommu-plan-capture" "$initrd/usr/bin/iommu-plan-capture"
moddir=$kroot/lib/modules/$kver
for module in virtio_net virtio_blk virtio_iommu; do
  # modules.dep: "path: deps", deps listed so that loading them in reverse
  # order loads each before what needs it.
  line=$(awk -v m="$module" '{ p = $1; sub(":$", "", p); n = p; sub(".*/", "", n); sub("\\.ko.*", "", n);
    gsub("-", "_", n); if (n == m) { print; exit } }' "$moddir/modules.dep")
  [[ -n $line ]] || die "$module is not in $pkg's modules.dep (built in?)"
  read -r -a files <<<"${line/:/}"
  order=("${files[0]}")
  for ((i = 1; i < ${#files[@]}; i++)); do order=("${files[i]}" "${order[@]}"); done
  for f in "${order[@]}"; do
    mkdir -p "$initrd/lib/modules/$kver/$(dirname "$f")"
    case $f in
      *.xz) xz -dc "$moddir/$f" >"$initrd/lib/modules/$kver/${f%.xz}" ;;
      *.ko) cp "$moddir/$f" "$initrd/lib/modules/$kver/$f" ;;
      *) die "$f: a compression this script does not know" ;;
    esac
    echo "${f%.xz}"
  done >"$initrd/e2e/modules/$module"
done
(cd "$initrd" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -9n) >"$run/initramfs.cpio.gz"
ln -s "$kernel" "$run/vmlinuz"
truncate -s 1M "$run/disk.raw"

# --- the boots ------------------------------------------------------------------
if [[ $mode == record ]]; then
  mkdir -p "$captures"
  [[ -n $only ]] || rm -f "$captures"/*.tar.gz "$captures"/*.dmesg.gz
fi
# QEMU runs in $run, with every file named relative to it, so that the command
# line it prints is the one the README gives.
summary=()
t_all=$SECONDS
for b in "${selected[@]}"; do
  mach=${machine[$b]}
  more=()
  [[ -z ${extra[$b]} ]] || more=(-device "${extra[$b]}")
  common=(-cpu cortex-a57 -smp 1 -m 1G -nographic -no-reboot "${devices[@]}" "${more[@]}")
  (cd "$run" && "$QEMU" -M "$mach,dumpdtb=$b.qemu.dtb" "${common[@]}") >"$run/$b.dumpdtb.log" 2>&1 ||
    { check "$b: QEMU dumps its DTB" false; cat "$run/$b.dumpdtb.log"; continue; }
  # QEMU 7.2 pads the blob to 1 MiB, and the kernel does not come up from
  # it (not even earlycon): dtc packs it again after the edits.
  cp "$run/$b.qemu.dtb" "$run/$b.edited.dtb"
  "edit_${b//-/_}" "$run/$b.edited.dtb"
  dtc -q -I dtb -O dtb -o "$run/$b.dtb" "$run/$b.edited.dtb" || die "dtc cannot pack $run/$b.edited.dtb"
  append="$base_cmdline ${cmdline[$b]}"
  qemu=(-M "$mach" "${common[@]}" -kernel vmlinuz -initrd initramfs.cpio.gz -dtb "$b.dtb" -append "$append")
  printf '%s\n' "$QEMU ${qemu[*]}" >"$run/$b.qemu-command"
  t0=$SECONDS
  rc=0
  (cd "$run" && timeout -k 10 "$BOOT_TIMEOUT" "$QEMU" "${qemu[@]}") </dev/null >"$run/$b.console" 2>"$run/$b.qemu.log" || rc=$?
  took=$((SECONDS - t0))
  tr -d '\r' <"$run/$b.console" >"$run/$b.console.txt"
  section() {  # NAME: the base64 between the markers, decoded
    awk -v b="@@e2e begin $1" -v e="@@e2e end $1" '$0 == e { f = 0 } f && /^[A-Za-z0-9+\/=]+$/ { print } $0 == b { f = 1 }' \
      "$run/$b.console.txt" | base64 -d
  }
  section dmesg 2>/dev/null | gzip -dc >"$run/$b.dmesg.txt" 2>/dev/null || true
  echo "e2e: $b: qemu exited $rc after $took s ($(grep -c '' "$run/$b.dmesg.txt") kernel log lines)"
  summary+=("$b ${took}s")
  booted() { [[ $rc -eq 0 ]] && grep -qx '@@e2e done' "$run/$b.console.txt" && ! grep '^@@e2e fatal' "$run/$b.console.txt"; }
  check "$b: boots, captures and powers off within $BOOT_TIMEOUT s" booted
  for c in ${plan[$b]}; do
    name=${c%%:*}
    if ! section "capture $name" >"$run/$name.tar.gz" 2>/dev/null || ! tar -tzf "$run/$name.tar.gz" >/dev/null 2>&1; then
      check "$name: the capture comes back whole over the console" false
      continue
    fi
    extract "$run/$name.tar.gz" "$run/$name"
    check_capture "$name" "${c#*:}" "$run/$name" "$run/$b.dtb"
    if [[ $mode == record ]]; then
      cp "$run/$name.tar.gz" "$captures/$name.tar.gz"
    fi
  done
  if [[ $mode == record ]]; then
    gzip -9nc "$run/$b.dmesg.txt" >"$captures/$b.dmesg.gz"
    check "$b: no path of the build machine in its kernel log" host_paths "$run/$b.dmesg.txt"
  fi
done
echo "e2e: $pkg $version ($kver), ${#selected[@]} boots in $((SECONDS - t_all)) s: ${summary[*]}"
checks_done
