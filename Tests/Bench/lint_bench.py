# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Times `iommu-plan lint` over the corpus against the dtc loop and the floor.

Two baselines: `dtc -I dtb -O dts` once per file, one process each (decoding
every blob), and bench.py's floor (floor.c, built into --scratch when missing
or stale) over every file in one process: check, walk, index phandles and
resolve every `iommus` and `iommu-map` entry, the least any such tool must do.
lint runs once over the directory, in one process, on every core and on one.
Median wall time of several runs, the ratio to the baseline, the median CPU
time (user + system: what the work costs, whatever else the machine is doing;
wall time over CPU time shows the parallelism), and peak RSS.

  python3 Tests/Bench/lint_bench.py --binary .build/release/iommu-plan --root DIR \
    [--cache CACHE] [--scratch .build/bench]
"""

import argparse
import os
import statistics
import subprocess
import time

import bench
from bench import build_floor, build_rss, launched

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def measure(label, commands, runs):
    """Runs the commands `runs` times: (label, median wall s, median CPU s,
    peak RSS KiB). CPU time and peak RSS are each process's own, taken by the
    rss launcher (bench.py says why)."""
    walls, cpus, peak = [], [], 0
    for _ in range(runs):
        wall, cpu = 0.0, 0.0
        for command in commands:
            code, elapsed, rss, used, _ = launched(command)
            # lint exits 1 for findings; dtc and the floor must exit 0.
            if code >= 2 or (code and os.path.basename(command[0]) in ("dtc", "floor")):
                raise subprocess.CalledProcessError(code, command[0])
            wall, cpu, peak = wall + elapsed, cpu + used, max(peak, rss // 1024)
        walls.append(wall)
        cpus.append(cpu)
    return label, statistics.median(walls), statistics.median(cpus), peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--cache", help="the corpus cache, to name the corpus relative to it")
    parser.add_argument("--scratch", default=os.path.join(REPO, ".build", "bench"),
                        help="where the floor is built")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bench.RSS = build_rss(args.scratch)
    floor = build_floor(args.scratch)

    files = sorted(
        os.path.join(directory, name)
        for directory, _, names in os.walk(args.root)
        for name in names
        if name.endswith(".dtb")
    )
    size = sum(os.path.getsize(f) for f in files)
    where = ""
    if args.cache and not os.path.relpath(args.root, args.cache).startswith(".."):
        where = f", {os.path.relpath(args.root, args.cache)} in the corpus cache"
    print(f"corpus: {len(files)} DTBs, {size / 1e6:.1f} MB{where}; "
          f"{os.cpu_count()} cores, {args.runs} runs each")

    dtc = [["dtc", "-q", "-I", "dtb", "-O", "dts", "-o", os.devnull, f] for f in files]
    rows = [measure("dtc -I dtb -O dts, one process per file (baseline)", dtc, args.runs),
            measure("floor FILE..., one process (second baseline)", [[floor, *files]], args.runs)]
    dtc_time, floor_time = rows[0][1], rows[1][1]
    for label, extra in (("iommu-plan lint DIR (text, every core)", []),
                         ("iommu-plan lint --format sarif DIR", ["--format", "sarif"]),
                         ("iommu-plan lint --jobs 1 DIR", ["--jobs", "1"])):
        rows.append(measure(label, [[args.binary, "lint", *extra, args.root]], args.runs))

    width = max(len(r[0]) for r in rows)
    print(f"{'command':<{width}}  {'median s':>9}  {'x dtc':>7}  {'x floor':>7}  {'CPU s':>6}  "
          f"{'peak RSS MiB':>12}")
    for label, elapsed, cpu, peak in rows:
        rss = f"{peak / 1024:.1f}"
        print(f"{label:<{width}}  {elapsed:9.3f}  {elapsed / dtc_time:7.3f}  "
              f"{elapsed / floor_time:7.3f}  {cpu:6.2f}  {rss:>12}")
    print("load average during the runs: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
