#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Real-corpus test for iommu-plan.
#
# Fetches Debian's arm64 kernel image package (without installing it), runs
# iommu-plan once over every DTB it ships, and checks the `iommus` links against
# an independent count made with fdtget (Tests/Corpus/count_iommus.py).
#
#   Tests/Corpus/corpus-test.sh                 # full test (needs the binary)
#   Tests/Corpus/corpus-test.sh --fdtget-only   # fetch + fdtget count only
#
# Environment:
#   IOMMU_PLAN                  binary (default .build/release/iommu-plan)
#   IOMMU_PLAN_CACHE            cache dir (default ~/.cache/iommu-plan)
#   IOMMU_PLAN_CORPUS_PACKAGE   package (default linux-image-6.1.0-50-arm64-unsigned)
#   IOMMU_PLAN_CORPUS_JOBS      parallel fdtget workers (default: nproc)
#   CI=true                     a corpus that cannot be fetched is a failure,
#                               not a skip
#
# Output: a summary line, then `corpus-test: N passed, M failed` (files).
# Per-file counts go to $CACHE/corpus-counts.tsv, unusual iommus / iommu-map /
# mmu-masters usage to $CACHE/corpus-oddities.tsv, the fdtget-derived links to
# $CACHE/corpus-fdtget.json, iommu-plan's output to $CACHE/corpus-output.json.
set -euo pipefail

export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=full
case "${1:-}" in
  "") ;;
  --fdtget-only) mode=fdtget ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--fdtget-only]" >&2; exit 64 ;;
esac

CACHE=${IOMMU_PLAN_CACHE:-$HOME/.cache/iommu-plan}
PKG=${IOMMU_PLAN_CORPUS_PACKAGE:-linux-image-6.1.0-50-arm64-unsigned}
JOBS=${IOMMU_PLAN_CORPUS_JOBS:-$(nproc 2>/dev/null || echo 2)}

note() { echo "corpus-test: note: $*"; }
fail() { echo "corpus-test: FAIL: $*"; exit 1; }
# The corpus cannot be obtained: skip, except in CI.
skip() {
  if [[ ${CI:-} == true ]]; then
    echo "FAILED: corpus-test: $* (CI=true, not skipping)"
    exit 1
  fi
  echo "SKIPPED: corpus-test: $*"
  exit 0
}

# --- the binary -------------------------------------------------------------
bin=
if [[ $mode == full ]]; then
  bin=${IOMMU_PLAN:-.build/release/iommu-plan}
  if [[ -z ${IOMMU_PLAN:-} && ! -x $bin && -x $here/../../$bin ]]; then
    bin=$here/../../$bin  # default path, run from outside the repo root
  fi
  if [[ ! -x $bin && $bin != */* ]] && command -v "$bin" >/dev/null; then
    bin=$(command -v "$bin")  # a bare command name found in PATH
  fi
  [[ -x $bin ]] || fail "iommu-plan binary not found at '$bin' (build it first or set IOMMU_PLAN)"
  [[ $bin == /* ]] || bin=$PWD/$bin
fi

command -v python3 >/dev/null || skip "python3 not installed"
if ! command -v fdtget >/dev/null || ! command -v fdtput >/dev/null; then
  skip "fdtget/fdtput not installed (apt-get install device-tree-compiler)"
fi

# --- the corpus ---------------------------------------------------------------
mkdir -p "$CACHE" || skip "cannot create cache dir $CACHE"
CACHE=$(cd "$CACHE" && pwd)

abi_of() {  # linux-image-6.1.0-50-arm64-unsigned -> 6.1.0-50
  local a=${1#linux-image-}
  echo "${a%-arm64-unsigned}"
}
dtb_base() {  # directory the DTBs of an extracted tree live under
  local root=$1 d
  for d in "$root"/usr/lib/linux-image-*/ "$root"/boot/dtbs/*/ "$root"/usr/lib/firmware/*/device-tree/; do
    [[ -d $d ]] && find "$d" -name '*.dtb' -type f -print -quit | grep -q . && { echo "${d%/}"; return 0; }
  done
  if find "$root" -name '*.dtb' -type f -print -quit 2>/dev/null | grep -q .; then echo "$root"; return 0; fi
  return 1
}
has_dtbs() { [[ -d $1 ]] && dtb_base "$1" >/dev/null; }
newest() {  # newest existing path among the arguments (sort -V), or nothing
  local f
  for f in "$@"; do
    if [[ -e $f && $f != *.partial ]]; then printf '%s\n' "$f"; fi
  done | sort -V | tail -n 1
}

o=(-oAPT::Architecture=arm64 -oAPT::Architectures=arm64
   "-oDir::State::Lists=$CACHE/lists" "-oDir::Cache=$CACHE/apt-cache")
log=$CACHE/apt.log

apt_update() {
  command -v apt-get >/dev/null || return 1
  mkdir -p "$CACHE/lists/partial" "$CACHE/apt-cache/archives/partial"
  (cd "$CACHE" && apt-get "${o[@]}" update) >>"$log" 2>&1 || return 1
}
apt_download() {  # $1 = package; prints the .deb path on success
  local p=$1 deb
  (cd "$CACHE" && apt-get "${o[@]}" download "$p") >>"$log" 2>&1 || return 1
  deb=$(newest "$CACHE/${p}"_*_arm64.deb)
  [[ -n $deb ]] && echo "$deb"
}
apt_newest() {  # $1 = regex on package names; newest name, without -cloud-/-rt-
  apt-cache "${o[@]}" search --names-only "$1" 2>>"$log" | awk '{print $1}' |
    grep -v -e '-cloud-' -e '-rt-' | sort -V | tail -n 1
}

root=$CACHE/root-$(abi_of "$PKG")
pkg=$PKG
if ! has_dtbs "$root"; then
  : >"$log"
  # a .deb left by an earlier run needs no network
  deb=$(newest "$CACHE/${PKG}"_*_arm64.deb)
  if [[ -z $deb ]] && apt_update; then
    tried=" "
    for cand in "$PKG" \
        "$(apt_newest '^linux-image-6\.1\.0-[0-9]+-arm64-unsigned$')" \
        "$(apt_newest '^linux-image-[0-9].*-arm64-unsigned$')"; do
      [[ -n $cand && $tried != *" $cand "* ]] || continue
      tried+="$cand "
      if has_dtbs "$CACHE/root-$(abi_of "$cand")"; then pkg=$cand; break; fi
      [[ $cand == "$PKG" ]] || note "$PKG not downloadable, trying $cand"
      if deb=$(apt_download "$cand"); then pkg=$cand; break; fi
      deb=
    done
  fi
  root=$CACHE/root-$(abi_of "$pkg")
  if [[ -n $deb ]] && ! has_dtbs "$root"; then
    command -v dpkg >/dev/null || skip "dpkg not installed, cannot extract $deb"
    rm -rf "$root.partial"
    dpkg -x "$deb" "$root.partial" || fail "dpkg -x $deb failed"
    has_dtbs "$root.partial" || fail "$deb contains no DTBs"
    ver=$(dpkg-deb -f "$deb" Version 2>/dev/null || true)
    echo "$pkg ${ver:-unknown}" >"$root.partial/.iommu-plan-corpus"
    rm -rf "$root"
    mv "$root.partial" "$root"
  fi
  if ! has_dtbs "$root"; then
    # offline, but an earlier run extracted some other package: use the newest
    other=$(newest "$CACHE"/root-*)
    if [[ -n $other ]] && has_dtbs "$other"; then
      root=$other
      pkg=linux-image-${root##*/root-}-arm64-unsigned
      note "cannot fetch $PKG (see $log); reusing $root"
    else
      if command -v apt-get >/dev/null; then
        reason="cannot download $PKG: $(grep -E '^(E|W):' "$log" | head -n 1 || true)"
      else
        reason="apt-get not available"
      fi
      skip "$reason"
    fi
  fi
fi

# package version, for the summary
if [[ -f $root/.iommu-plan-corpus ]]; then
  read -r pkg ver <"$root/.iommu-plan-corpus"
else
  ver=
  deb=$(newest "$CACHE/${pkg}"_*_arm64.deb)
  [[ -n $deb ]] && ver=$(dpkg-deb -f "$deb" Version 2>/dev/null || true)
  if [[ -z $ver ]]; then
    cl=$(newest "$root"/usr/share/doc/*/changelog.Debian.gz)
    [[ -n $cl ]] && ver=$(gzip -dc "$cl" | head -n 1 | sed -n 's/^[^(]*(\([^)]*\)).*/\1/p')
  fi
  ver=${ver:-unknown}
  echo "$pkg $ver" >"$root/.iommu-plan-corpus" 2>/dev/null || true
fi

# optional: modules.alias for the planner work (cheap; skipped without kmod)
for moddir in "$root"/lib/modules/*/; do
  [[ -d $moddir ]] || continue
  kver=$(basename "$moddir")
  [[ -e $moddir/modules.alias ]] && continue
  depmod=$(command -v depmod || newest /usr/sbin/depmod /sbin/depmod)
  if [[ -n $depmod ]]; then
    "$depmod" -b "$root" "$kver" 2>>"$CACHE/depmod.log" ||
      note "depmod -b $root $kver failed (see $CACHE/depmod.log)"
  else
    note "depmod (kmod) not installed: no modules.alias for $kver"
  fi
done

base=$(dtb_base "$root")
mapfile -t files < <(cd "$base" && find . -name '*.dtb' -type f | sed 's:^\./::' | LC_ALL=C sort)
[[ ${#files[@]} -gt 0 ]] || fail "no DTBs under $base"

counter=(python3 "$here/count_iommus.py" --base "$base" --jobs "$JOBS" --label "$pkg $ver"
         --tsv "$CACHE/corpus-counts.tsv" --oddities "$CACHE/corpus-oddities.tsv"
         --save "$CACHE/corpus-fdtget.json")

if [[ $mode == fdtget ]]; then
  exec "${counter[@]}" "${files[@]}"
fi

# --- run iommu-plan over all DTBs in one process --------------------------------
out=$CACHE/corpus-output.json
err=$CACHE/corpus-stderr.txt
t0=${EPOCHREALTIME:-$(date +%s.%N)}
set +e
(cd "$base" && "$bin" --format json "${files[@]}") >"$out" 2>"$err"
rc=$?
set -e
t1=${EPOCHREALTIME:-$(date +%s.%N)}
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
# The text renderer must survive every real board too (same exit code).
set +e
(cd "$base" && "$bin" "${files[@]}") >"$CACHE/corpus-output.txt" 2>>"$err"
text_rc=$?
set -e
if [[ $text_rc -ne $rc ]]; then
  echo "corpus-test: FAIL: text report exited $text_rc, JSON exited $rc (see $err)"
  rc=$(( text_rc > rc ? text_rc : rc ))
fi
if [[ $rc -ne 0 ]]; then
  echo "corpus-test: iommu-plan exited $rc; stderr ($err):"
  head -n 20 "$err" | sed 's/^/  /'
fi

"${counter[@]}" --tool-json "$out" --tool-rc "$rc" --tool-time "$elapsed" "${files[@]}"

# The planner against the package's own kernel build (needs depmod's
# modules.alias; CI installs kmod, so a missing one is a failure there).
config=$(ls "$root"/boot/config-* 2>/dev/null | head -n 1)
moddir=$(ls -d "$root"/lib/modules/*/ 2>/dev/null | head -n 1)
if [[ -z $config || -z $moddir || ! -e ${moddir}modules.alias ]]; then
  skip "plan check needs boot/config-* and lib/modules/*/modules.alias (install kmod for depmod)"
fi
python3 "$here/plan_check.py" --binary "$bin" --base "$base" --config "$config" \
  --modules-dir "${moddir%/}" "${files[@]}"
