# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""The benchmark behind `make bench`: iommu-plan against its targets, side by side.

The targets are measured against a floor (Tests/Bench/floor.c, built here
with cc -O2): a C program on libfdt that reads each blob, checks it with
fdt_check_full, walks every node once, indexes the phandles and resolves every
`iommus` and `iommu-map` entry, printing only the number of links. Every case
runs its commands alternately (baselines first, then iommu-plan, then an older
build), so that a machine that slows down mid-run slows them all, after one
warm-up round, and reports medians. It never fails on timing: it is a
measurement, not a test.

Cases and targets:
  scale     synthetic trees (synthetic.py, compiled by dtc): 1,000 / 10,000 /
            100,000 masters on one SMMU, the same over 100 SMMUs, and one PCIe
            root complex with that many iommu-map entries; `iommu-plan FILE`
            and `iommu-plan --format json FILE` against `floor FILE`: time at
            most 3x the floor's, peak RSS at most 3 x input + 20 MiB; dtc's
            decompile of the same blob is timed for reference
  batch     `iommu-plan lint DIR` over Debian's arm64 DTBs (one process, every
            core) against `floor FILE...` over all of them (one process): at
            most 1x; the dtc loop (one process per file) is timed for reference
  one board `iommu-plan qcom/sdm845-mtp.dtb` against `dtc -I dtb -O dts` on
            it: at most 1x (the floor is shown too)
  growth    linear from 1,000 to 100,000: each 10x step at most 11x the time,
            for text and JSON
  start-up  `iommu-plan --version`: time and peak RSS, no target

With --before BINARY an older build takes its turn in the same alternation
(its time and its ratio to the baseline get their own columns; a case it
refuses shows nan). Peak RSS is iommu-plan's own (for a list of commands,
the largest), taken by Tests/Bench/rss.c, a small C launcher: wait4 from
this process could not see below the harness's own peak, which Linux
carries across exec into a child's ru_maxrss. Nothing printed names a path of this
machine: the corpus is named relative to the cache. Standard library only.
"""

import argparse
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))
SCALE_RATIO, BATCH_RATIO, ONE_BOARD_RATIO, GROWTH_STEP = 3.0, 1.0, 1.0, 11.0
COUNTS = (1_000, 10_000, 100_000)
FAMILIES = (  # label, synthetic.py shape, SMMUs
    ("masters on 1 SMMU", "masters", 1),
    ("masters over 100 SMMUs", "masters", 100),
    ("iommu-map entries, 1 root complex", "pcie", 1),
)
NAN = float("nan")


class Refused(Exception):
    """A command that could not do the job (an older build past its limits)."""


class Redactor:
    """Replaces this machine's directories in messages by short names."""

    def __init__(self, pairs):
        self.pairs = sorted(((path, name) for path, name in pairs if path),
                            key=lambda pair: -len(pair[0]))

    def __call__(self, text):
        for path, name in self.pairs:
            text = text.replace(path, name)
        return text


RSS = None  # the rss launcher, built by main()


def launched(command, stdout=subprocess.DEVNULL):
    """Runs one command through the rss launcher: (exit status, wall seconds,
    peak RSS bytes, CPU seconds, its standard error lines). Also used by
    lint_bench.py."""
    with tempfile.TemporaryFile() as errors:  # a pipe unread until exit could fill up
        start = time.perf_counter()
        code = subprocess.run([RSS, *command], stdout=stdout, stderr=errors).returncode
        elapsed = time.perf_counter() - start
        errors.seek(0)
        lines = errors.read().decode(errors="replace").strip().splitlines()
    peak, cpu = 0, 0.0
    if lines and lines[-1].startswith("rss-kb "):
        words = lines.pop().split()
        peak, cpu = int(words[1]) * 1024, int(words[3]) / 1e6
    return code, elapsed, peak, cpu, lines


def run_once(command, strict):
    """Runs one command with output discarded: (wall seconds, peak RSS bytes).

    iommu-plan exits 1 for error findings and lint for any finding at the
    default --fail-on; only 2 and up mean it could not do the job. A strict
    command (dtc, the floor) must exit 0. Every command goes through the rss
    launcher, so each pays its fork alike."""
    code, elapsed, peak, _, lines = launched(command)
    if code >= 2 or (strict and code != 0):
        first = lines[:1]
        raise Refused(f"{os.path.basename(command[0])} exited {code}: {''.join(first)[:120]}")
    return elapsed, peak


class Group:
    """Commands run one after another as one measurement."""

    def __init__(self, name, commands, strict=False):
        self.name, self.commands, self.strict = name, commands, strict
        self.times, self.peak, self.refusal = [], 0, None

    def run(self):
        if self.refusal:
            return
        total, peak = 0.0, 0
        try:
            for command in self.commands:
                elapsed, rss = run_once(command, self.strict)
                total += elapsed
                peak = max(peak, rss)
        except Refused as refusal:
            self.refusal = str(refusal)
            return
        self.times.append(total)
        self.peak = max(self.peak, peak)

    @property
    def median(self):
        return statistics.median(self.times) if self.times and not self.refusal else NAN


def measure(groups, runs, say):
    """One warm-up round (page cache, binaries), then `runs` rounds, each
    running every group in order. A group that refuses drops out (nan)."""
    for group in groups:
        group.run()
        group.times.clear()
        group.peak = 0
    for _ in range(runs):
        for group in groups:
            group.run()
    for group in groups:
        if group.refusal:
            say(f"  {group.name}: {group.refusal}")
    return {group.name: group for group in groups}


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
        with open(source, "w") as out:
            subprocess.run([sys.executable, os.path.join(HERE, "synthetic.py"), shape, str(count),
                            "--smmus", str(smmus)], stdout=out, check=True)
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb + ".tmp", source],
                       check=True)
        os.replace(dtb + ".tmp", dtb)
        os.remove(source)
    return dtb


def build_c(scratch, name, libraries=()):
    """Builds Tests/Bench/NAME.c into `scratch` when missing or older than
    the source; returns the binary."""
    source = os.path.join(HERE, name + ".c")
    binary = os.path.join(scratch, name)
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        os.makedirs(scratch, exist_ok=True)
        compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("clang") or "cc"
        print(f"bench: {os.path.basename(compiler)} -O2 Tests/Bench/{name}.c", file=sys.stderr)
        subprocess.run([compiler, "-O2", "-Wall", "-Wextra", "-o", binary + ".tmp", source,
                        *libraries], check=True)
        os.replace(binary + ".tmp", binary)
    return binary


def build_floor(scratch):
    """The floor (also used by lint_bench.py)."""
    return build_c(scratch, "floor", ["-lfdt"])


def build_rss(scratch):
    """The rss launcher (also used by lint_bench.py)."""
    return build_c(scratch, "rss")


def floor_says(floor, files):
    """The floor's one line for these files (its link counts), or why not."""
    result = subprocess.run([floor, *files], capture_output=True, text=True)
    return (result.stdout or result.stderr).strip()


def decompile(path):
    return ["dtc", "-q", "-I", "dtb", "-O", "dts", "-o", os.devnull, path]


def version(binary):
    result = subprocess.run([binary, "--version"], capture_output=True, text=True)
    return result.stdout.strip() or f"(--version exited {result.returncode})"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown model"


def loads():
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def ratio(a, b):
    return a / b if b and not math.isnan(a) and not math.isnan(b) else NAN


def verdict(value, limit):
    if limit is None:
        return "-"
    return "n/a" if math.isnan(value) else ("yes" if value <= limit else "no")


def seconds(value):
    return "-" if value is None else f"{value:.3f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True, help="the Debian kernel's DTB directory")
    parser.add_argument("--cache", help="the corpus cache, to name the corpus relative to it")
    parser.add_argument("--scratch", required=True, help="where the synthetic DTBs and the floor are kept")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one-file", default="qcom/sdm845-mtp.dtb")
    parser.add_argument("--before", help="an older build to time in the same alternation")
    args = parser.parse_args()
    os.makedirs(args.scratch, exist_ok=True)
    binary, before = args.binary, args.before
    redact = Redactor([(args.root, "<corpus>"), (args.scratch, "<scratch>"), (args.cache, "<cache>"),
                       (before and os.path.dirname(os.path.abspath(before)), "<before>"),
                       (os.path.dirname(os.path.abspath(binary)), "<bin>"),
                       (os.path.expanduser("~"), "~")])

    def say(message):
        print(redact(message), file=sys.stderr)

    global RSS
    RSS = build_rss(args.scratch)
    floor = build_floor(args.scratch)
    files = dtbs(args.root)
    corpus_size = sum(os.path.getsize(f) for f in files)
    largest = max(os.path.getsize(f) for f in files)
    one = os.path.join(args.root, args.one_file)
    where = ""
    if args.cache and not os.path.relpath(args.root, args.cache).startswith(".."):
        where = f", {os.path.relpath(args.root, args.cache)} in the corpus cache"
    loads_before = loads()
    print(f"iommu-plan {version(binary)}" + (f" (before: {version(before)})" if before else "")
          + f"; medians of {args.runs} alternating runs after a warm-up")
    print(f"corpus: {len(files)} DTBs, {corpus_size / 1e6:.1f} MB{where}")
    print(f"floor over the corpus: {redact(floor_says(floor, files))}")

    rows = []

    def row(label, size, mine, base, target, ratio_limit, group, budget, floor_s=None, dtc_s=None,
            old=None, **extra):
        rows.append(dict(label=label, size=size, mine=mine, base=base, target=target,
                         limit=ratio_limit, peak=group.peak, budget=budget,
                         floor=floor_s, dtc=dtc_s, old=old, **extra))
        say(f"  measured {label}: {mine:.3f} s" + ("" if base is None else f" vs {base:.3f} s"))

    def ours(name, command):
        groups = [Group(name, [[binary, *command]])]
        if before:
            groups.append(Group("before " + name, [[before, *command]]))
        return groups

    # Scale: one alternation per blob: floor, dtc, text, JSON (and before).
    for family, shape, smmus in FAMILIES:
        for count in COUNTS:
            dtb = synthetic(args.scratch, shape, count, smmus)
            links = floor_says(floor, [dtb])
            if f" {count} links" not in f" {links}":
                say(f"  {count:,} {family}: the floor says \"{links}\", not {count} links")
            size = os.path.getsize(dtb)
            result = measure([Group("floor", [[floor, dtb]], strict=True),
                              Group("dtc", [decompile(dtb)], strict=True),
                              *ours("text", [dtb]), *ours("json", ["--format", "json", dtb])],
                             args.runs, say)
            for form in ("text", "json"):
                row(f"{count:,} {family}, {form}", size, result[form].median,
                    result["floor"].median, f"{SCALE_RATIO:g}x floor", SCALE_RATIO,
                    result[form], 3 * size + 20 * MIB, result["floor"].median,
                    result["dtc"].median,
                    result["before " + form].median if before else None,
                    family=family, form=form, count=count)

    # Batch: lint over the corpus against the floor over it, one process each.
    result = measure([Group("floor", [[floor, *files]], strict=True),
                      Group("dtc", [decompile(f) for f in files], strict=True),
                      *ours("lint", ["lint", args.root])], args.runs, say)
    row(f"batch: lint over {len(files)} DTBs", largest, result["lint"].median,
        result["floor"].median, f"{BATCH_RATIO:g}x floor", BATCH_RATIO, result["lint"],
        3 * largest + 20 * MIB, result["floor"].median, result["dtc"].median,
        result["before lint"].median if before else None)

    # One board against dtc (and the floor).
    result = measure([Group("dtc", [decompile(one)], strict=True),
                      Group("floor", [[floor, one]], strict=True), *ours("one", [one])],
                     args.runs, say)
    size = os.path.getsize(one)
    row(f"one board: {args.one_file}", size, result["one"].median, result["dtc"].median,
        f"{ONE_BOARD_RATIO:g}x dtc", ONE_BOARD_RATIO, result["one"], 3 * size + 20 * MIB,
        result["floor"].median, result["dtc"].median,
        result["before one"].median if before else None)

    # Start-up: reported, no target.
    result = measure(ours("version", ["--version"]), args.runs, say)
    row("start-up: --version", None, result["version"].median, None, "-", None,
        result["version"], None, old=result["before version"].median if before else None)

    header = ["case", "input", "iommu-plan s", "baseline s", "ratio", "target", "met", "peak RSS",
              "RSS budget", "RSS met", "floor s", "dtc s"]
    if before:
        header += ["before s", "ratio"]
    table = []
    for r in rows:
        measured = r["base"] is not None
        cells = [r["label"], "-" if r["size"] is None else f"{r['size'] / 1e3:.0f}K",
                 f"{r['mine']:.3f}", seconds(r["base"]),
                 f"{ratio(r['mine'], r['base']):.3f}" if measured else "-", r["target"],
                 verdict(ratio(r["mine"], r["base"]), r["limit"]) if measured else "-",
                 f"{r['peak'] / MIB:.1f}M",
                 "-" if r["budget"] is None else f"{r['budget'] / MIB:.1f}M",
                 "-" if r["budget"] is None else
                 "n/a" if math.isnan(r["mine"]) else ("yes" if r["peak"] <= r["budget"] else "no"),
                 seconds(r["floor"]), seconds(r["dtc"])]
        if before:
            cells += [f"{r['old']:.3f}",
                      f"{ratio(r['old'], r['base']):.2f}" if measured else "-"]
        table.append(cells)
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]
    print()
    for line in [header, *table]:
        print("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                        for i, (cell, width) in enumerate(zip(line, widths))).rstrip())
    print("batch: input and budget are the largest DTB's (one tree per worker at a time)")

    print()
    print(f"growth (10x the work each step; linear is at most {GROWTH_STEP:g}x the time):")
    for family, _, _ in FAMILIES:
        for form in ("text", "json"):
            times = [r["mine"] for r in rows if r.get("family") == family and r["form"] == form]
            floors = [r["floor"] for r in rows if r.get("family") == family and r["form"] == form]
            steps = [ratio(b, a) for a, b in zip(times, times[1:])]
            linear = "n/a" if any(map(math.isnan, steps)) else (
                "yes" if all(step <= GROWTH_STEP for step in steps) else "no")
            print(f"  {family}, {form}: 1k -> 10k -> 100k: "
                  + ", ".join(f"{step:.1f}x" for step in steps) + f"; linear: {linear}"
                  + " (floor: " + ", ".join(f"{ratio(b, a):.1f}x"
                                             for a, b in zip(floors, floors[1:])) + ")")
    print()
    print(f"machine: {os.cpu_count()} cores, {cpu_model()} ({platform.machine()}); "
          f"load average before the runs {loads_before}, after {loads()}")


if __name__ == "__main__":
    main()
