"""Times `iommu-plan lint` over the corpus against the dtc decode loop.

The baseline is bench.py's: `dtc -I dtb -O dts` once per file, one process
each (decoding every blob once, the least any tool reading them must do).
lint runs once over the directory, in one process, on every core and on one.
Median wall time of several runs, the ratio to the baseline, the median CPU
time (user + system: what the work costs, whatever else the machine is doing;
wall time over CPU time shows the parallelism), and peak RSS.

  python3 Tests/Bench/lint_bench.py --binary .build/release/iommu-plan --root DIR
"""

import argparse
import os
import resource
import statistics
import subprocess
import time


def measure(commands, runs):
    """Runs the commands `runs` times: (median wall s, median CPU s, peak RSS KiB)."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        for command in commands:
            subprocess.run(command, stdout=subprocess.DEVNULL, check=command[0] == "dtc")
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return statistics.median(walls), statistics.median(cpus), peak


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
    dtc_time, dtc_cpu, dtc_peak = measure(dtc, args.runs)
    rows = [("dtc -I dtb -O dts, one process per file (baseline)", dtc_time, dtc_cpu, dtc_peak)]
    for label, extra in (("iommu-plan lint DIR (text, every core)", []),
                         ("iommu-plan lint --format sarif DIR", ["--format", "sarif"]),
                         ("iommu-plan lint --jobs 1 DIR", ["--jobs", "1"])):
        elapsed, cpu, peak = measure([[args.binary, "lint", *extra, args.root]], args.runs)
        rows.append((label, elapsed, cpu, peak))

    width = max(len(r[0]) for r in rows)
    print(f"{'command':<{width}}  {'median s':>9}  {'x baseline':>10}  {'CPU s':>6}  "
          f"{'peak RSS MiB':>12}")
    for label, elapsed, cpu, peak in rows:
        print(f"{label:<{width}}  {elapsed:9.3f}  {elapsed / dtc_time:10.3f}  {cpu:6.2f}  "
              f"{peak / 1024:12.1f}")
    print("load average during the runs: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
