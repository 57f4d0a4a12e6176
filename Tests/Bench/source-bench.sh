#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# make bench, the source case: `iommu-plan lint arch/arm64/boot/dts` over a
# whole kernel tree (Debian's linux-source package, which
# Tests/Corpus/source-corpus-test.sh --full-tree fetches and unpacks once
# into the cache) against kbuild's `make ARCH=arm64 dtbs` of the same boards.
# Needs gcc, make, flex and bison (make bench-deps). See source_bench.py.
#
#   IOMMU_PLAN=.build/release/iommu-plan Tests/Bench/source-bench.sh [--runs N]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IOMMU_PLAN_CACHE:-$HOME/.cache/iommu-plan}
bin=${IOMMU_PLAN:-.build/release/iommu-plan}
[[ -x $bin ]] || { echo "source-bench: no binary at $bin (make release)"; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
for tool in gcc make flex bison cpp dtc; do
  command -v "$tool" >/dev/null || { echo "source-bench: $tool not installed (make bench-deps)"; exit 1; }
done
tree=$("$here/../Corpus/source-corpus-test.sh" --full-tree | tail -n 1)
[[ -d $tree ]] || { echo "source-bench: no kernel tree ($tree)"; exit 1; }
exec python3 "$here/source_bench.py" --binary "$bin" --tree "$tree" --cache "$CACHE" \
  --scratch "${BENCH_DIR:-$here/../../.build/bench}" "$@"
