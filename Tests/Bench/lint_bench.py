"""Times `iommu-plan lint` over the corpus against the dtc decode loop.

The baseline is bench.py's: `dtc -I dtb -O dts` once per file, one process
each (decoding every blob once, the least any tool reading them must do).
lint runs once over the directory, in one process, on every core and on one.
Median wall time of several runs, the ratio to the baseline, and peak RSS.

  python3 Tests/Bench/lint_bench.py --binary .build/release/iommu-plan --root DIR
"""

import argparse
import os

from bench import measure


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    files = sorted(
        os.path.join(directory, name)
        for directory, _, names in os.walk(args.root)
        for name in names
        if name.endswith(".dtb")
    )
    size = sum(os.path.getsize(f) for f in files)
    print(f"corpus: {len(files)} DTBs, {size / 1e6:.1f} MB, under {args.root}; "
          f"{os.cpu_count()} cores, {args.runs} runs each")

    dtc = [["dtc", "-q", "-I", "dtb", "-O", "dts", "-o", os.devnull, f] for f in files]
    dtc_time, dtc_peak = measure(dtc, args.runs)
    rows = [("dtc -I dtb -O dts, one process per file (baseline)", dtc_time, dtc_peak)]
    for label, extra in (("iommu-plan lint DIR (text, every core)", []),
                         ("iommu-plan lint --format sarif DIR", ["--format", "sarif"]),
                         ("iommu-plan lint --jobs 1 DIR", ["--jobs", "1"])):
        elapsed, peak = measure([[args.binary, "lint", *extra, args.root]], args.runs)
        rows.append((label, elapsed, peak))

    width = max(len(r[0]) for r in rows)
    print(f"{'command':<{width}}  {'median s':>9}  {'x baseline':>10}  {'peak RSS MiB':>12}")
    for label, elapsed, peak in rows:
        print(f"{label:<{width}}  {elapsed:9.3f}  {elapsed / dtc_time:10.3f}  {peak / 1024:12.1f}")


if __name__ == "__main__":
    main()
