# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""The source case of `make bench`: `iommu-plan lint arch/arm64/boot/dts`
over every arm64 board source of a kernel tree, against kbuild's own
`make ARCH=arm64 dtbs` building the same boards.

The tree is Debian's linux-source package unpacked whole
(Tests/Corpus/source-corpus-test.sh --full-tree). kbuild builds out of tree
(O= under --scratch), so the source tree holds no DTB for lint to prefer to
a source. Its configuration is `defconfig` with COMPILE_TEST and OF_ALL_DTBS
on, so that `make dtbs` builds every board of the Makefiles (a source no
Makefile lists is counted apart); its host dtc is built once, before the
runs. Each round deletes kbuild's DTB output, then runs `make -jN dtbs`
(N = cores) and `iommu-plan lint` (every core) alternately, after one
warm-up round; figures are medians. What each does per board: kbuild runs
gcc -E and its own scripts/dtc/dtc once, iommu-plan runs cpp, then the
host's dtc twice (the blob, and the annotated source for positions), then
its checks. Wall and CPU time (user + system, children included) and peak
RSS are each command's own, through bench.py's rss launcher. Standard
library only.

  python3 Tests/Bench/source_bench.py --binary .build/release/iommu-plan \\
    --tree FULL_TREE [--cache CACHE] [--scratch .build/bench] [--runs 3]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys

import bench
from bench import build_rss, launched

DTS = "arch/arm64/boot/dts"


def count(root, suffix):
    return sum(1 for _, _, names in os.walk(root) for name in names if name.endswith(suffix))


def configure(tree, out, say):
    """defconfig + COMPILE_TEST + OF_ALL_DTBS, and the host dtc, once."""
    config = os.path.join(out, ".config")
    make = ["make", "-s", "-C", tree, f"O={out}", "ARCH=arm64"]
    if not os.path.isfile(config) or "CONFIG_OF_ALL_DTBS=y" not in open(config).read():
        say("bench: make ARCH=arm64 defconfig, then COMPILE_TEST and OF_ALL_DTBS")
        os.makedirs(out, exist_ok=True)
        subprocess.run(make + ["defconfig"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([os.path.join(tree, "scripts", "config"), "--file", config,
                        "-e", "COMPILE_TEST", "-e", "OF_ALL_DTBS"], check=True)
        subprocess.run(make + ["olddefconfig"], check=True, stdout=subprocess.DEVNULL)
    with open(config) as handle:
        if "CONFIG_OF_ALL_DTBS=y" not in handle.read():
            say("bench: OF_ALL_DTBS did not stick: make dtbs builds defconfig's boards only")
    say("bench: building kbuild's host dtc (scripts_dtc)")
    subprocess.run(make + [f"-j{os.cpu_count()}", "scripts_dtc"], check=True,
                   stdout=subprocess.DEVNULL)
    dtc = os.path.join(out, "scripts", "dtc", "dtc")
    return dtc_version(dtc)


def dtc_version(dtc):
    said = subprocess.run([dtc, "--version"], capture_output=True, text=True).stdout.strip()
    return said.replace("Version: DTC ", "dtc ")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--tree", required=True, help="a whole kernel source tree")
    parser.add_argument("--cache", help="the corpus cache, to name the tree relative to it")
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tree, scratch = os.path.abspath(args.tree), os.path.abspath(args.scratch)
    out = os.path.join(scratch, "kbuild-arm64")
    where = os.path.basename(tree)
    if args.cache and not os.path.relpath(tree, args.cache).startswith(".."):
        where = os.path.relpath(tree, args.cache) + " in the corpus cache"

    def say(message):
        print(message.replace(scratch, "<scratch>").replace(tree, "<tree>"), file=sys.stderr)

    if count(os.path.join(tree, DTS), ".dtb"):
        say(f"bench: {DTS} holds DTBs: lint would read those, not their sources; remove them")
        return 1
    bench.RSS = build_rss(scratch)
    kbuild_dtc = configure(tree, out, say)
    host_dtc = dtc_version("dtc")
    jobs = os.cpu_count()
    make = ["make", "-s", "-C", tree, f"O={out}", "ARCH=arm64", f"-j{jobs}", "dtbs"]
    lint = [args.binary, "lint", DTS]
    built = os.path.join(out, DTS)
    rows = {"make": [], "lint": []}

    def once(name, command, before=None):
        if before:
            before()
        cwd = os.getcwd()
        os.chdir(tree)  # lint is given the relative path a kernel developer types
        try:
            code, wall, peak, cpu, lines = launched(command)
        finally:
            os.chdir(cwd)
        if code >= 2 or (name == "make" and code):
            raise SystemExit(f"bench: {name} exited {code}: {' '.join(lines[-3:])[:300]}")
        rows[name].append((wall, cpu, peak))

    def clean():
        shutil.rmtree(built, ignore_errors=True)

    for round_ in range(args.runs + 1):  # the first is the warm-up
        once("make", make, clean)
        if round_ == 0:
            dtbs, dtbos = count(built, ".dtb"), count(built, ".dtbo")
            sources = count(os.path.join(tree, DTS), ".dts")
            composites = sum(1 for directory, _, names in os.walk(built) for name in names
                             if name.endswith(".dtb") and not os.path.isfile(
                                 os.path.join(tree, os.path.relpath(directory, out), name[:-4] + ".dts")))
        once("lint", lint)
        if round_ == 0:
            rows = {"make": [], "lint": []}

    print(f"source bench: {where}: {sources} arm64 .dts; medians of {args.runs} alternating "
          f"runs after a warm-up; {jobs} cores")
    print(f"  make ARCH=arm64 -j{jobs} dtbs (defconfig + OF_ALL_DTBS, O= out of tree, "
          f"{kbuild_dtc or 'scripts/dtc'}): {dtbs - composites} .dtb from a .dts, {composites} "
          f"composite .dtb by fdtoverlay, {dtbos} .dtbo")
    print(f"  iommu-plan lint {DTS} (cpp, then {host_dtc or 'dtc'} twice per board): "
          f"{sources} .dts ({sources - (dtbs - composites)} more than kbuild builds: "
          "sources no Makefile lists)")
    header = f"{'command':<46}  {'median s':>9}  {'x make dtbs':>11}  {'CPU s':>7}  {'x make':>6}  {'peak RSS MiB':>12}"
    print(header)
    base_wall = statistics.median(r[0] for r in rows["make"])
    base_cpu = statistics.median(r[1] for r in rows["make"])
    for name, label in (("make", f"make ARCH=arm64 -j{jobs} dtbs (baseline)"),
                        ("lint", f"iommu-plan lint {DTS}")):
        wall = statistics.median(r[0] for r in rows[name])
        cpu = statistics.median(r[1] for r in rows[name])
        peak = max(r[2] for r in rows[name]) / (1024 * 1024)
        print(f"{label:<46}  {wall:9.2f}  {wall / base_wall:11.3f}  {cpu:7.1f}  "
              f"{cpu / base_cpu:6.3f}  {peak:12.1f}")
    print("per board: make %.1f ms, lint %.1f ms (wall, over %d and %d boards)" % (
        1000 * base_wall / max(dtbs, 1), 1000 * statistics.median(r[0] for r in rows["lint"]) / sources,
        dtbs, sources))
    print("load average after the runs: %.2f %.2f %.2f" % os.getloadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
