#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# /init of the e2e initramfs (busybox ash; Tests/E2E/e2e.sh builds it and
# boots it). It takes its plan from the kernel command line:
#
#   e2e.load=M1,M2        modules loaded at once, after the mounts
#   e2e.before=NAME       a capture NAME once that has settled
#   e2e.late=M1,M2        modules loaded after that ...
#   e2e.late_after=timeout  ... once deferred_probe_timeout seconds (and one
#                         more) have passed since the last module load, so
#                         the kernel's deferred-probe timer has fired
#   e2e.capture=NAME      the capture at the end, once everything settled
#
# "Settled": the deferred list, every device's driver and IOMMU group did not
# change over two checks a second apart. Each module is a file list in
# /e2e/modules/M (its dependencies first, as modules.dep orders them), loaded
# with insmod, which may take 10 s before the next one starts. Each capture (Packaging/iommu-plan-capture, in /usr/bin) goes to
# the console as base64 between "@@e2e begin capture NAME" and "@@e2e end
# capture NAME", then the kernel log (gzip, base64) between "@@e2e begin dmesg"
# and "@@e2e end dmesg"; "@@e2e note" lines tell what was done when (seconds
# of uptime). Then it powers off, also after a failure ("@@e2e fatal").
# A shutdown that hangs (see finish) ends in a panic and reset instead.

/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin /e2e/out
/bin/busybox --install -s
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
export PATH=/usr/bin:/bin:/usr/sbin:/sbin

uptime_s() {
  read -r up _ </proc/uptime
  echo "$up"
}
note() { echo "@@e2e note $(uptime_s) $*"; }
emit() {  # NAME FILE: FILE to the console, base64
  echo "@@e2e begin $1"
  base64 "$2"
  echo "@@e2e end $1"
}
finish() {
  dmesg >/e2e/out/dmesg.txt 2>&1
  gzip -c /e2e/out/dmesg.txt >/e2e/out/dmesg.gz
  emit dmesg /e2e/out/dmesg.gz
  echo "@@e2e done"
  # No sync: nothing is written but to RAM, and sync waits for a disk whose
  # DMA the IOMMU blocks. The kernel's shutdown takes every device's lock,
  # and a probe that never returns holds one: if it has not powered off
  # after 5 s, a panic (panic=-1) resets the machine without a shutdown.
  poweroff -f &
  sleep 5
  echo "@@e2e note $(uptime_s) poweroff did not complete in 5 s: panic"
  echo c >/proc/sysrq-trigger
}
fatal() {
  echo "@@e2e fatal $*"
  finish
}

load=
late=
late_after=
before=
capture=
timeout=10
for word in $(cat /proc/cmdline); do
  case $word in
    e2e.load=*) load=${word#*=} ;;
    e2e.late=*) late=${word#*=} ;;
    e2e.late_after=*) late_after=${word#*=} ;;
    e2e.before=*) before=${word#*=} ;;
    e2e.capture=*) capture=${word#*=} ;;
    deferred_probe_timeout=*) timeout=${word#*=} ;;
  esac
done
kver=$(uname -r)
last_load=0
insmod_wait=10

load_modules() {  # M1,M2,...
  for module in $(echo "$1" | tr , ' '); do
    [ -f "/e2e/modules/$module" ] || fatal "no module list /e2e/modules/$module"
    while read -r ko; do
      name=${ko##*/}
      name=$(echo "${name%.ko}" | tr - _)
      [ -d "/sys/module/$name" ] && continue
      # In the background: a driver whose device cannot DMA (an SMMU that
      # aborts an unknown stream) never returns from its probe.
      insmod "/lib/modules/$kver/$ko" &
      pid=$!
      waited=0
      while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$insmod_wait" ]; do
        sleep 1
        waited=$((waited + 1))
      done
      if kill -0 "$pid" 2>/dev/null; then
        note "insmod $ko still running after $insmod_wait s, going on"
      else
        wait "$pid" || fatal "insmod $ko failed"
      fi
    done <"/e2e/modules/$module"
    last_load=$(uptime_s)
    note "loaded $module"
  done
}
state() {
  cat /sys/kernel/debug/devices_deferred 2>/dev/null
  for dev in /sys/bus/*/devices/*; do
    echo "$dev $(readlink "$dev/driver") $(readlink "$dev/iommu_group")"
  done
}
settle() {
  previous=$(state)
  same=0
  tries=0
  while [ "$same" -lt 2 ]; do
    tries=$((tries + 1))
    [ "$tries" -le 120 ] || fatal "probing did not settle in 120 s"
    sleep 1
    current=$(state)
    if [ "$current" = "$previous" ]; then same=$((same + 1)); else same=0; fi
    previous=$current
  done
  note "settled"
}
take() {  # NAME
  iommu-plan-capture -o "/e2e/out/$1.tar.gz" / || fatal "iommu-plan-capture failed"
  note "captured $1"
  emit "capture $1" "/e2e/out/$1.tar.gz"
}

note "init started, kernel $kver"
[ -z "$load" ] || load_modules "$load"
settle
[ -z "$before" ] || take "$before"
if [ -n "$late" ]; then
  if [ "$late_after" = timeout ]; then
    deadline=$(awk -v a="$last_load" -v t="$timeout" 'BEGIN { print int(a + t + 2) }')
    note "waiting until $deadline s: deferred_probe_timeout=$timeout after the last load"
    while :; do
      now=$(uptime_s)
      [ "${now%.*}" -lt "$deadline" ] || break
      sleep 1
    done
  fi
  load_modules "$late"
  settle
fi
[ -z "$capture" ] || take "$capture"
finish
