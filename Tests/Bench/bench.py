"""The benchmark behind `make bench`: iommu-plan against dtc, side by side.

Every case pairs an iommu-plan command with a named baseline on the same
input and runs them alternately (baseline, iommu-plan, baseline, ...), so
that a machine that slows down mid-run slows both. It reports the median
wall time of each, their ratio, iommu-plan's peak resident memory and the
issue's memory budget for that input (3 x input + 20 MiB), and for the
synthetic families how the time grows with the work. It never fails on
timing: it is a measurement, not a test.

Cases:
  batch     `iommu-plan lint DIR` over every DTB of Debian's arm64 kernel,
            one process, every core; baseline: `dtc -I dtb -O dts`, one
            process per file, run one after another
  one file  `iommu-plan FILE` on a ~100 KB Qualcomm DTB; baseline: dtc on it
  scale     synthetic trees (Tests/Bench/synthetic.py, compiled by dtc):
            N masters on one SMMU, N masters over 100 SMMUs, a PCIe root
            complex with an N-entry iommu-map, N = 1,000 / 10,000 / 100,000;
            baseline: dtc decompiling the same blob

With --before BINARY an older build takes its turn in the same alternation
(its time and ratio get their own columns; a case it refuses shows nan).

Peak memory comes from wait4's rusage of each measured process (for the
dtc loop, the largest single dtc). Standard library only.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

MIB = 1024 * 1024


def run_once(command):
    """Runs one command with output discarded: (wall seconds, peak RSS bytes)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    # iommu-plan exits 1 for error findings and lint for any finding at the
    # default --fail-on; only 2 and up mean it could not do the job.
    if code >= 2 or (command[0] == "dtc" and code != 0):
        raise Refused(f"{os.path.basename(command[0])} exited {code}: {stderr.strip()[:100]}")
    return elapsed, usage.ru_maxrss * 1024


class Refused(Exception):
    """A command that could not do the job (an older build past its limits)."""


def run_many(commands):
    """A list of commands one after another, as one measurement."""
    total, peak = 0.0, 0
    for command in commands:
        elapsed, rss = run_once(command)
        total += elapsed
        peak = max(peak, rss)
    return total, peak


def measure(ours, baseline, runs, before=None):
    """Alternating runs; medians of each and iommu-plan's largest peak RSS.

    With `before` (the same case for an older build), it takes its turn in
    the alternation too; a build that refuses the case is left out."""
    run_many(ours)  # warm the page cache and the binary
    mine, theirs, old, peak = [], [], [], 0
    for _ in range(runs):
        theirs.append(run_many(baseline)[0])
        elapsed, rss = run_many(ours)
        mine.append(elapsed)
        peak = max(peak, rss)
        if before is not None:
            try:
                old.append(run_many(before)[0])
            except Refused:
                before = None
    older = statistics.median(old) if old and before is not None else float("nan")
    return statistics.median(mine), statistics.median(theirs), peak, older


def dtbs(root):
    return sorted(
        os.path.join(directory, name)
        for directory, _, names in os.walk(root)
        for name in names
        if name.endswith(".dtb"))


def synthetic(directory, shape, count, smmus=1):
    """Compiles (once) and returns a synthetic DTB."""
    name = f"{shape}-{count}" + (f"-over-{smmus}" if smmus > 1 else "")
    dtb = os.path.join(directory, name + ".dtb")
    if not os.path.exists(dtb):
        source = os.path.join(directory, name + ".dts")
        generator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "synthetic.py")
        with open(source, "w") as out:
            subprocess.run([sys.executable, generator, shape, str(count), "--smmus", str(smmus)],
                           stdout=out, check=True)
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb + ".tmp", source],
                       check=True)
        os.replace(dtb + ".tmp", dtb)
        os.remove(source)
    return dtb


def decompile(path):
    return ["dtc", "-q", "-I", "dtb", "-O", "dts", "-o", os.devnull, path]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True, help="the Debian kernel's DTB directory")
    parser.add_argument("--scratch", required=True, help="where the synthetic DTBs are kept")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one-file", default="qcom/sdm845-mtp.dtb")
    parser.add_argument("--before", help="an older build to time in the same alternation")
    args = parser.parse_args()
    os.makedirs(args.scratch, exist_ok=True)
    binary = args.binary

    files = dtbs(args.root)
    corpus_size = sum(os.path.getsize(f) for f in files)
    largest = max(os.path.getsize(f) for f in files)
    one = os.path.join(args.root, args.one_file)
    print(f"iommu-plan {binary}; {os.cpu_count()} cores; medians of {args.runs} alternating runs")
    print(f"corpus: {len(files)} DTBs, {corpus_size / 1e6:.1f} MB, under {args.root}")

    rows = []

    def case(label, size, ours, baseline, baseline_label, family=None, work=None):
        older = None
        if args.before:
            older = [[args.before, *command[1:]] for command in ours]
        try:
            mine, theirs, peak, old = measure(ours, baseline, args.runs, older)
        except Refused as refusal:
            print(f"  {label}: {refusal}", file=sys.stderr)
            mine, theirs, peak, old = float("nan"), float("nan"), 0, float("nan")
        rows.append(dict(label=label, size=size, mine=mine, theirs=theirs, peak=peak, old=old,
                         baseline=baseline_label, family=family, work=work))
        print(f"  measured {label}: {mine:.3f} s vs {theirs:.3f} s", file=sys.stderr)

    case(f"batch: lint over {len(files)} DTBs", largest, [[binary, "lint", args.root]],
         [decompile(f) for f in files], "dtc loop, one process per file")
    case(f"one file: {args.one_file}", os.path.getsize(one), [[binary, one]], [decompile(one)],
         "dtc on the file")
    families = (
        ("masters on 1 SMMU", "masters", 1),
        ("masters over 100 SMMUs", "masters", 100),
        ("iommu-map entries, 1 root complex", "pcie", 1),
    )
    for family, shape, smmus in families:
        for count in (1_000, 10_000, 100_000):
            dtb = synthetic(args.scratch, shape, count, smmus)
            case(f"{count:,} {family}", os.path.getsize(dtb), [[binary, dtb]], [decompile(dtb)],
                 "dtc on the file", family=family, work=count)

    width = max(len(r["label"]) for r in rows)
    print()
    before = "  before s  ratio" if args.before else ""
    print(f"{'case':<{width}}  {'input':>8}  {'iommu-plan s':>12}  {'baseline s':>10}  "
          f"{'ratio':>6}  {'peak RSS':>9}  {'budget':>8}{before}  baseline")
    for r in rows:
        budget = 3 * r["size"] + 20 * MIB
        old = (f"  {r['old']:8.3f}  {r['old'] / r['theirs']:5.2f}" if args.before else "")
        print(f"{r['label']:<{width}}  {r['size'] / 1e3:7.0f}K  {r['mine']:12.3f}  "
              f"{r['theirs']:10.3f}  {r['mine'] / r['theirs']:6.3f}  "
              f"{r['peak'] / MIB:8.1f}M  {budget / MIB:7.1f}M{old}  {r['baseline']}")
    print()
    print("growth (10x the work each step; linear is at most 11x the time):")
    for family, _, _ in families:
        times = [r["mine"] for r in rows if r["family"] == family]
        steps = ", ".join(f"{b / a:.1f}x" for a, b in zip(times, times[1:]))
        print(f"  {family}: 1k -> 10k -> 100k: {steps}")
    print("load average after the runs: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
