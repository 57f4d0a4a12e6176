#!/usr/bin/env bash
# Benchmark: iommu-plan over every DTB of the corpus in one process, against a
# named baseline measured in the same run: a loop of `dtc -I dtb -O dts` over
# the same files (decoding each blob once, which is the least any tool that
# reads them must do). Prints times, the ratio and peak memory.
#
#   IOMMU_PLAN=.build/release/iommu-plan Tests/Bench/bench.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IOMMU_PLAN_CACHE:-$HOME/.cache/iommu-plan}
bin=${IOMMU_PLAN:-.build/release/iommu-plan}
[[ -x $bin ]] || { echo "bench: no binary at $bin (make release)"; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

root=$(ls -d "$CACHE"/root-*/ 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z $root ]]; then
  "$here/../Corpus/corpus-test.sh" --fdtget-only >/dev/null
  root=$(ls -d "$CACHE"/root-*/ | sort -V | tail -n 1)
fi
exec python3 "$here/bench.py" --binary "$bin" --root "$root"
