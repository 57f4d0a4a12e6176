#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# make bench: iommu-plan against the C floor (floor.c, built by bench.py) and
# dtc, on Debian's DTBs (the corpus test's cached download, fetched here when
# missing) and on synthetic trees; both kept in $BENCH_DIR (.build/bench).
# See bench.py for the cases and targets.
#
#   IOMMU_PLAN=.build/release/iommu-plan Tests/Bench/bench.sh [--runs N]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${IOMMU_PLAN_CACHE:-$HOME/.cache/iommu-plan}
bin=${IOMMU_PLAN:-.build/release/iommu-plan}
[[ -x $bin ]] || { echo "bench: no binary at $bin (make release)"; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

root=$(ls -d "$CACHE"/root-*/usr/lib/linux-image-* 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z $root ]]; then
  "$here/../Corpus/corpus-test.sh" --fdtget-only >/dev/null
  root=$(ls -d "$CACHE"/root-*/usr/lib/linux-image-* | sort -V | tail -n 1)
fi
exec python3 "$here/bench.py" --binary "$bin" --root "$root" --cache "$CACHE" \
  --scratch "${BENCH_DIR:-$here/../../.build/bench}" "$@"
