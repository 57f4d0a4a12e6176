#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Packaging/iommu-plan-capture on a made-up root, under every POSIX shell at
# hand: sh, dash, mksh (Android's adb shell), posh, and busybox ash with
# busybox's own applets (tar, gzip, readlink, mktemp, cat).
#
#   Tests/E2E/capture-test.sh        # make capture-test runs it
#
# The tree has what a capture must copy, what it must leave (a device's
# subfolders, files behind links), links that climb out of the root, an
# absolute link, a link loop and a dangling link. Checks: the archive holds
# exactly the expected entries, links with their text, the device tree byte
# for byte, the notes, and the exit status and one-line message of each
# failure. Also `sh -n`, `dash -n` and checkbashisms when installed.
#
# Environment: BUSYBOX (a busybox binary; default `busybox` on PATH). A shell
# that is not installed is skipped with a note, except under CI=true, where
# it is a failure (make capture-deps installs mksh, posh and busybox-static).
set -euo pipefail

export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
capture=$here/../../Packaging/iommu-plan-capture
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
suite=capture-test
# shellcheck source=../checks.sh
. "$here/../checks.sh"

# --- the made-up root -------------------------------------------------------
root=$work/root
mk() { mkdir -p "$root/$1"; }
put() { mkdir -p "$(dirname "$root/$1")" && printf '%b' "$2" >"$root/$1"; }
lnk() { mkdir -p "$(dirname "$root/$2")" && ln -s "$1" "$root/$2"; }
put sys/firmware/fdt '\xd0\x0d\xfe\xed\x00\x00\x00\x48\n\x00\x00tail'
put sys/kernel/iommu_groups/0/type 'DMA\n'
lnk ../../../../devices/pci0000:00/0000:00:01.0 sys/kernel/iommu_groups/0/devices/0000:00:01.0
put sys/kernel/iommu_groups/1/type 'identity\n'
mk sys/kernel/iommu_groups/1/devices
dev=sys/devices/pci0000:00/0000:00:01.0
for f in uevent vendor device class; do put "$dev/$f" "$f of 01.0\n"; done
lnk ../../../kernel/iommu_groups/0 "$dev/iommu_group"
lnk ../../../bus/pci/drivers/virtio-pci "$dev/driver"
put "$dev/virtio0/uevent" 'DRIVER=virtio_net\n' # a subfolder: not copied
put "$dev/config" 'not asked for\n'
lnk ../../../devices/pci0000:00/0000:00:01.0 sys/bus/pci/devices/0000:00:01.0
dev2=sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0 # nested below 01.0
put "$dev2/uevent" 'PCI_SLOT_NAME=0000:01:00.0\n'
lnk ../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0 sys/bus/pci/devices/0000:01:00.0
put sys/devices/platform/a.0/uevent 'OF_NAME=a\n'
lnk ../../../firmware/devicetree/base/a "sys/devices/platform/a.0/of_node"
lnk /sys/devices/platform/a.0 sys/bus/platform/devices/a.0 # absolute: inside ROOT
lnk /etc/passwd sys/devices/platform/b.0/uevent             # a link, not a file
lnk ../../../devices/platform/b.0 sys/bus/platform/devices/b.0
lnk ../../../../../outside sys/bus/platform/devices/escape # the folder beside ROOT
lnk ../../../up/outside sys/bus/platform/devices/through
lnk ../.. sys/up # sys/up/outside climbs out of ROOT through a link
lnk loop2 sys/bus/platform/devices/loop1
lnk loop1 sys/bus/platform/devices/loop2
lnk ../../../devices/platform/gone sys/bus/platform/devices/dangling
mkdir -p "$work/outside" && echo SECRET=1 >"$work/outside/uevent"
put proc/cmdline 'console=ttyAMA0 quiet\n'
put proc/modules 'virtio_net 1 0 - Live 0x0\n'
put proc/sys/kernel/osrelease '6.12.0-test\n'

# What the archive must hold, and the notes.
cat >"$work/expected-entries" <<'EOF'
capture-notes.txt
capture-version
proc/cmdline
proc/modules
proc/sys/kernel/osrelease
sys/bus/pci/devices/0000:00:01.0 -> ../../../devices/pci0000:00/0000:00:01.0
sys/bus/pci/devices/0000:01:00.0 -> ../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0
sys/bus/platform/devices/a.0 -> /sys/devices/platform/a.0
sys/bus/platform/devices/b.0 -> ../../../devices/platform/b.0
sys/bus/platform/devices/dangling -> ../../../devices/platform/gone
sys/bus/platform/devices/escape -> ../../../../../outside
sys/bus/platform/devices/loop1 -> loop2
sys/bus/platform/devices/loop2 -> loop1
sys/bus/platform/devices/through -> ../../../up/outside
sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/uevent
sys/devices/pci0000:00/0000:00:01.0/class
sys/devices/pci0000:00/0000:00:01.0/device
sys/devices/pci0000:00/0000:00:01.0/driver -> ../../../bus/pci/drivers/virtio-pci
sys/devices/pci0000:00/0000:00:01.0/iommu_group -> ../../../kernel/iommu_groups/0
sys/devices/pci0000:00/0000:00:01.0/uevent
sys/devices/pci0000:00/0000:00:01.0/vendor
sys/devices/platform/a.0/of_node -> ../../../firmware/devicetree/base/a
sys/devices/platform/a.0/uevent
sys/firmware/fdt
sys/kernel/iommu_groups/0/devices/0000:00:01.0 -> ../../../../devices/pci0000:00/0000:00:01.0
sys/kernel/iommu_groups/0/type
sys/kernel/iommu_groups/1/type
EOF
cat >"$work/expected-notes" <<'EOF'
loop sys/bus/platform/devices/loop1
loop sys/bus/platform/devices/loop2
missing proc/config.gz
missing sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/class
missing sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/device
missing sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver
missing sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/iommu_group
missing sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/of_node
missing sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/vendor
missing sys/devices/pci0000:00/0000:00:01.0/of_node
missing sys/devices/platform/a.0/class
missing sys/devices/platform/a.0/device
missing sys/devices/platform/a.0/driver
missing sys/devices/platform/a.0/iommu_group
missing sys/devices/platform/a.0/vendor
missing sys/devices/platform/b.0/class
missing sys/devices/platform/b.0/device
missing sys/devices/platform/b.0/driver
missing sys/devices/platform/b.0/iommu_group
missing sys/devices/platform/b.0/of_node
missing sys/devices/platform/b.0/vendor
missing sys/devices/platform/gone
missing sys/kernel/debug/devices_deferred
not-a-file sys/devices/platform/b.0/uevent
outside-root sys/bus/platform/devices/escape
outside-root sys/bus/platform/devices/through
EOF

# --- the shells -------------------------------------------------------------
# sh and dash always; mksh (Android's shell), posh (strict POSIX) and busybox
# when installed, which under CI=true they must be (make capture-deps).
shells=(sh dash)
missing=()
for shell in mksh posh; do
  if command -v "$shell" >/dev/null; then shells+=("$shell"); else missing+=("$shell"); fi
done
bb=${BUSYBOX:-$(command -v busybox || true)}
if [[ -n $bb && -x $bb ]]; then
  mkdir -p "$work/bb"
  "$bb" --install -s "$work/bb"
  shells+=(busybox)
else
  missing+=(busybox)
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ ${CI:-} == true ]]; then
    echo "capture-test: FAIL: not installed: ${missing[*]} (CI=true; make capture-deps installs them)"
    exit 1
  fi
  echo "capture-test: note: not installed, not tried: ${missing[*]}"
fi
run_capture() {  # SHELL ARGS...: the script under SHELL, busybox with its applets
  local shell=$1
  shift
  case $shell in
    busybox) PATH=$work/bb "$bb" sh "$capture" "$@" ;;
    *) "$shell" "$capture" "$@" ;;
  esac
}

syntax() { sh -n "$capture" && dash -n "$capture"; }
check "sh -n and dash -n" syntax
if command -v checkbashisms >/dev/null; then
  check "checkbashisms" checkbashisms --posix "$capture"
fi
spdx() { [[ $(sed -n 2p "$capture") == '# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause' ]]; }
check "the SPDX line follows the shebang" spdx

listing() {  # ARCHIVE: one line per entry, links with their text, no folders
  local x=$work/x
  rm -rf "$x" && mkdir -p "$x" && tar -xzf "$1" -C "$x"
  (cd "$x" && find . ! -type d | sed 's:^\./::' | sort | while IFS= read -r e; do
    if [[ -L $e ]]; then echo "$e -> $(readlink "$e")"; else echo "$e"; fi
  done)
}
for shell in "${shells[@]}"; do
  out=$work/$shell.tar.gz
  runs() { (cd "$work" && run_capture "$shell" -o "$out" "$root/") 2>"$work/stderr"; [[ ! -s $work/stderr ]]; }
  check "$shell: captures the made-up root, quietly" runs
  [[ -s $out ]] || continue
  entries() { listing "$out" | diff "$work/expected-entries" -; }
  check "$shell: the archive holds exactly the expected paths and link texts" entries
  fdt() { cmp "$root/sys/firmware/fdt" "$work/x/sys/firmware/fdt"; }
  check "$shell: the device tree is copied byte for byte" fdt
  notes() { sort "$work/x/capture-notes.txt" | diff "$work/expected-notes" -; }
  check "$shell: the notes list every path not copied, with its reason" notes
  version() { [[ $(cat "$work/x/capture-version") == "iommu-plan-capture 1" ]]; }
  check "$shell: capture-version" version
  nothing_outside() { ! grep -r -e SECRET -e 'root:' "$work/x"; }
  check "$shell: nothing from behind a link out of ROOT" nothing_outside
  stdout() { run_capture "$shell" -o - "$root" >"$work/stdout.tar.gz" && listing "$work/stdout.tar.gz" | diff "$work/expected-entries" -; }
  check "$shell: -o - writes the archive to standard output" stdout
  no_tmp() { ! ls "$work/tmp"/iommu-plan-capture.* 2>/dev/null; }
  mkdir -p "$work/tmp"
  cleaned() { TMPDIR=$work/tmp run_capture "$shell" -o "$work/t.tar.gz" "$root" && no_tmp; }
  check "$shell: the staging folder is removed" cleaned
  fails() {  # STATUS MESSAGE-PATTERN ARGS...: exit status and one line on stderr
    local want=$1 pattern=$2 rc=0
    shift 2
    TMPDIR=$work/tmp run_capture "$shell" "$@" >/dev/null 2>"$work/err" || rc=$?
    [[ $rc -eq $want ]] || { echo "exit $rc, expected $want"; cat "$work/err"; return 1; }
    [[ $(wc -l <"$work/err") -eq 1 ]] || { echo "not one line:"; cat "$work/err"; return 1; }
    grep -q -e "$pattern" "$work/err" || { echo "no '$pattern' in:"; cat "$work/err"; return 1; }
    no_tmp
  }
  check "$shell: a missing ROOT fails in one line" fails 1 'is not a directory' -o "$work/n.tar.gz" "$work/none"
  check "$shell: a ROOT without sys fails in one line" fails 1 'no sys directory' -o "$work/n.tar.gz" "$root/sys/firmware"
  check "$shell: an unwritable output fails in one line" fails 1 'cannot write' -o "$work/none/x.tar.gz" "$root"
  check "$shell: -m with another ROOT fails in one line" fails 1 'only with ROOT /' -m -o "$work/n.tar.gz" "$root"
  check "$shell: an unknown option is a usage error" fails 2 'usage:' -x "$root"
  check "$shell: two ROOTs are a usage error" fails 2 'usage:' "$root" "$root"
done

checks_done
