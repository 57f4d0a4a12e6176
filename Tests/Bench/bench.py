"""Times iommu-plan against the dtc decode loop on the same DTBs, in one run.

Each command runs several times; the median wall time is reported with the
ratio to the baseline and the peak resident memory of the measured process
(for the loop, the largest single dtc). Standard library only.
"""

import argparse
import os
import resource
import statistics
import subprocess
import time


def measure(commands, runs):
    """Runs a list of commands `runs` times; returns (median seconds, max RSS KiB)."""
    times = []
    peak = 0
    for _ in range(runs):
        start = time.perf_counter()
        for command in commands:
            result = subprocess.run(command, stdout=subprocess.DEVNULL)
            if result.returncode != 0:
                raise SystemExit(f"bench: {command[0]} exited {result.returncode}")
        times.append(time.perf_counter() - start)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return statistics.median(times), peak


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
    print(f"corpus: {len(files)} DTBs, {size / 1e6:.1f} MB, under {args.root}")

    # The baseline first, so the RUSAGE_CHILDREN peak it leaves is dtc's own.
    dtc_time, dtc_peak = measure([["dtc", "-q", "-I", "dtb", "-O", "dts", "-o", os.devnull, f] for f in files], max(1, args.runs // 2))
    rows = [("dtc -I dtb -O dts, one process per file (baseline)", dtc_time, dtc_peak)]
    for label, extra in (("iommu-plan --format json, one process", ["--format", "json"]),
                         ("iommu-plan (text), one process", [])):
        elapsed, peak = measure([[args.binary, *extra, *files]], args.runs)
        rows.append((label, elapsed, peak))

    width = max(len(r[0]) for r in rows)
    print(f"{'command':<{width}}  {'median s':>9}  {'x baseline':>10}  {'peak RSS MiB':>12}")
    for label, elapsed, peak in rows:
        print(f"{label:<{width}}  {elapsed:9.3f}  {elapsed / dtc_time:10.3f}  {peak / 1024:12.1f}")
    print(f"iommu-plan json takes {rows[1][1] / dtc_time:.3f} of the dtc loop's time "
          f"({dtc_time / rows[1][1]:.0f}x faster)")


if __name__ == "__main__":
    main()
