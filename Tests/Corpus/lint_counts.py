#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Per-code counts of `iommu-plan lint --format json` over the corpus, against
a golden file reviewed like code (Tests/Corpus/lint-counts.golden).

  lint_counts.py --json LINT.json --golden FILE --label "PKG VERSION" --files N
      [--summary]   # print only the text summary line lint should end with

Checks that every file has an object and none was unreadable, then compares
the counts table with the golden. RECORD_GOLDEN=1 rewrites the golden and
fails, as the Swift goldens do. A golden recorded for another package is not
compared (the note says so): the counts belong to one kernel's DTBs.
"""

import argparse
import collections
import difflib
import json
import os
import sys


def table(files, label):
    findings = collections.Counter()
    per_file = collections.defaultdict(set)
    severity = {}
    for obj in files:
        for diagnostic in obj["diagnostics"]:
            code = diagnostic["code"]
            findings[code] += 1
            per_file[code].add(obj["input"]["path"])
            severity[code] = diagnostic["severity"]
    unreadable = sum(1 for obj in files if obj.get("error"))
    lines = [
        "# iommu-plan lint over the DTBs of %s" % label,
        "# %d files, %d unreadable" % (len(files), unreadable),
        "# %-34s %-8s %8s %6s" % ("code", "severity", "findings", "files"),
    ]
    for code in sorted(findings):
        lines.append("%-36s %-8s %8d %6d" % (code, severity[code], findings[code],
                                              len(per_file[code])))
    lines.append("%-36s %-8s %8d %6d" % ("total", "", sum(findings.values()),
                                          len({p for paths in per_file.values() for p in paths})))
    return "\n".join(lines) + "\n", findings, severity


def summary(files, findings, severity):
    def counted(n, noun):
        return "%d %s%s" % (n, noun, "" if n == 1 else "s")
    by = collections.Counter()
    for code, n in findings.items():
        by[severity[code]] += n
    unreadable = sum(1 for obj in files if obj.get("error"))
    return "checked %s (%d unreadable): %s" % (
        counted(len(files), "file"), unreadable,
        ", ".join(counted(by[s], s) for s in ("error", "warning", "note")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--summary", action="store_true")
    opts = ap.parse_args()
    with open(opts.json) as handle:
        files = json.load(handle)
    text, findings, severity = table(files, opts.label)
    if opts.summary:
        print(summary(files, findings, severity))
        return 0

    problems = []
    if len(files) != opts.files:
        problems.append("%d objects for %d files" % (len(files), opts.files))
    for obj in files:
        if obj.get("error"):
            problems.append("%s: unreadable: %s" % (obj["input"]["path"], obj["error"]))
    paths = [obj["input"]["path"] for obj in files]
    if paths != sorted(paths, key=lambda p: p.encode()):
        problems.append("files are not in sorted order")

    if os.environ.get("RECORD_GOLDEN") == "1":
        with open(opts.golden, "w") as handle:
            handle.write(text)
        problems.append("recorded %s; review with git diff and rerun without RECORD_GOLDEN"
                        % os.path.basename(opts.golden))
    else:
        try:
            with open(opts.golden) as handle:
                golden = handle.read()
        except OSError:
            golden = None
        if golden is None:
            problems.append("missing golden %s (record it with RECORD_GOLDEN=1)" % opts.golden)
        elif golden.splitlines()[0] != text.splitlines()[0]:
            print("lint-counts: note: the golden is for another corpus (%s); counts not compared"
                  % golden.splitlines()[0][2:])
        elif golden != text:
            problems.append("per-code counts differ from %s:\n%s" % (
                opts.golden, "".join(difflib.unified_diff(
                    golden.splitlines(True), text.splitlines(True), "golden", "now"))))
    sys.stdout.write(text)
    for problem in problems:
        print("lint-counts: FAIL: %s" % problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
