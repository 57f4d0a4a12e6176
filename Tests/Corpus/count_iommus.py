#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Independent `iommus` link counter for the iommu-plan real-corpus test.

Reads device-tree blobs with `fdtget` only (Debian's device-tree-compiler), never
with libfdt bindings or iommu-plan itself, and counts the `iommus` links the Linux
kernel would parse (of_iommu_configure_dev -> of_parse_phandle_with_args(...,
"iommus", "#iommu-cells", idx), strict): for every node with an `iommus` property,
walk its cells -- phandle, then the target's `#iommu-cells` argument cells -- and
stop at the first empty entry (phandle 0) or the first malformed entry (unknown
phandle, target without a readable #iommu-cells, entry overrunning the property).

fdtget usage (a handful of processes per file, independent of the node count):
  * the tree is listed one depth level at a time with a single `fdtget -l` call per
    level; `-p` lists the properties of every node in one call;
  * values are read in one `fdtget -t bx` call for exactly the properties `-p`
    reported, so fdtget never hits a missing property;
  * fdtget prints nothing between the answers for consecutive nodes (and nothing
    at all for an empty property), so a separator item is queried after every
    item: a path that cannot resolve, for which `-d SEP` makes fdtget print the
    line SEP.  It is an alias name with spaces (no leading '/'), so libfdt fails
    at once in /aliases instead of scanning the whole tree for a missing node;
  * libfdt resolves `.../name` to an earlier sibling `name@unit` when both exist
    (real DTBs: /timer vs /timer@60005000, /soc/funnel vs /soc/funnel@...), so
    such a node is read from a copy of the blob without those siblings (fdtput -r).

With --tool-json it also compares the result with iommu-plan's JSON array and
prints the corpus summary and the final `corpus-test: N passed, M failed` line.
Python standard library only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

SEP = "-- iommu-plan separator --"  # printed by fdtget -d for the missing node
SEP_NODE = "iommu-plan separator"  # an alias no tree can define: fails fast
MAX_ARG_BYTES = 96 * 1024  # per fdtget invocation (well below ARG_MAX)
MAX_PHANDLE_ARGS = 16  # include/linux/of.h
MAX_REPORTED_FILES = 40  # failing files printed in detail
PHANDLE_PROPS = ("phandle", "linux,phandle", "ibm,phandle")
VALUE_PROPS = ("iommus", "#iommu-cells") + PHANDLE_PROPS


class FdtgetError(Exception):
    pass


def run_fdtget(args):
    proc = subprocess.run(["fdtget"] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise FdtgetError("fdtget %s: exit %d: %s" % (
            " ".join(args[:4]) + (" ..." if len(args) > 4 else ""),
            proc.returncode,
            proc.stderr.decode("utf-8", "replace").strip()))
    return proc.stdout.decode("utf-8", "surrogateescape")


def grouped_query(dtb, opts, items):
    """Run fdtget once per batch over `items` (each a list of 1 or 2 args: node or
    node+property), return one list of output lines per item."""
    per = len(items[0]) if items else 1
    sep_item = [SEP_NODE] if per == 1 else [SEP_NODE, "x"]
    results = []
    i = 0
    while i < len(items):
        args = opts + ["-d", SEP, dtb]
        size = 0
        start = i
        while i < len(items) and (i == start or size < MAX_ARG_BYTES):
            args += items[i] + sep_item
            size += sum(len(a) + 1 for a in items[i]) + 32
            i += 1
        out = run_fdtget(args)
        lines = out.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        groups = [[]]
        for line in lines:
            if line == SEP:
                groups.append([])
            else:
                groups[-1].append(line)
        # every item is followed by exactly one SEP line -> one empty trailing group
        if groups[-1] or len(groups) - 1 != i - start:
            raise FdtgetError("%s: fdtget %s: expected %d answers, got %d" % (
                dtb, " ".join(opts), i - start, len(groups) - 1))
        results += groups[:-1]
    return results


def child_path(parent, name):
    return ("/" + name) if parent == "/" else (parent + "/" + name)


def query_nodes(items, blob_of, opts):
    """grouped_query over items whose first element is a node path, each sent to
    the blob in which that path resolves to the right node."""
    by_blob = {}
    for k, item in enumerate(items):
        by_blob.setdefault(blob_of[item[0]], []).append(k)
    answers = [None] * len(items)
    for blob, idxs in by_blob.items():
        for k, ans in zip(idxs, grouped_query(blob, opts, [items[k] for k in idxs])):
            answers[k] = ans
    return answers


def read_tree(dtb, tmpdir, notes):
    """Return (preorder node list, {node: [property names]}, {node: blob}).

    libfdt's path lookup lets a name without a unit address match `name@unit`,
    and takes the first match: in a node with children `timer@60005000` and
    `timer` (in that order), the path .../timer names timer@60005000, and the
    real `timer` node cannot be addressed at all.  Real DTBs do this (Tegra210,
    Juno: /timer@...; hi3660: /soc/funnel).  For such a shadowed node, fdtput
    makes a copy of the blob without the shadowing siblings, and the node and
    its subtree are read from that copy."""
    children = {}
    blob_of = {"/": dtb}
    level = ["/"]
    while level:
        answers = query_nodes([[n] for n in level], blob_of, ["-l"])
        nxt = []
        for node, names in zip(level, answers):
            kids = []
            for i, name in enumerate(names):
                path = child_path(node, name)
                blob = blob_of[node]
                shadows = [] if "@" in name else [
                    s for s in names[:i] if s.startswith(name + "@")]
                if shadows:
                    copy = os.path.join(tmpdir, "view%d.dtb" % len(os.listdir(tmpdir)))
                    shutil.copyfile(blob, copy)
                    proc = subprocess.run(
                        ["fdtput", "-r", copy] + [child_path(node, s) for s in shadows],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    if proc.returncode != 0:
                        raise FdtgetError("fdtput -r failed: %s" % proc.stderr.decode(
                            "utf-8", "replace").strip())
                    notes.append("%s: path lookup finds %s first (shadowed node, read "
                                 "from a copy without it)" % (
                                     path, child_path(node, shadows[0])))
                    blob = copy
                blob_of[path] = blob
                kids.append(path)
            children[node] = kids
            nxt += kids
        level = nxt
    order = []
    stack = ["/"]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(children[node]))
    answers = query_nodes([[n] for n in order], blob_of, ["-p"])
    props = dict(zip(order, answers))
    return order, props, blob_of


def hex_bytes(lines):
    out = bytearray()
    for line in lines:
        out += bytes(int(tok, 16) for tok in line.split())
    return bytes(out)


def cells_of(data):
    n = len(data) // 4  # a trailing partial cell is ignored, like the kernel
    return [int.from_bytes(data[4 * k:4 * k + 4], "big") for k in range(n)]


def analyse(base, rel):
    """Count the iommus links of one DTB. Returns a JSON-able dict."""
    dtb = os.path.join(base, rel)
    t0 = time.monotonic()
    res = {"file": rel, "error": None, "nodes": 0, "iommus_links": 0,
           "links": [], "iommus_nodes": [], "iommu_map_nodes": [],
           "mmu_masters_nodes": [], "notes": []}
    notes = res["notes"]
    try:
        with tempfile.TemporaryDirectory(prefix="iommu-plan-corpus-") as tmpdir:
            order, props, blob_of = read_tree(dtb, tmpdir, notes)
            res["nodes"] = len(order)
            wanted = [[n, p] for n in order for p in props[n] if p in VALUE_PROPS]
            answers = query_nodes(wanted, blob_of, ["-t", "bx"])
        values = {}
        for (node, prop), lines in zip(wanted, answers):
            values[(node, prop)] = hex_bytes(lines)
    except (FdtgetError, ValueError, OSError) as exc:
        res["error"] = str(exc)
        return res

    # phandle resolution as unflatten (populate_properties) + of_find_node_by_phandle
    phandles = {}
    for node in order:
        ph = 0
        for prop in props[node]:
            if prop in ("phandle", "linux,phandle"):
                data = values[(node, prop)]
                if not ph and len(data) >= 4:
                    ph = int.from_bytes(data[:4], "big")
            elif prop == "ibm,phandle":
                data = values[(node, prop)]
                if len(data) >= 4:
                    ph = int.from_bytes(data[:4], "big")
        if ph:
            if ph in phandles:
                notes.append("duplicate phandle %#x: %s and %s (first wins)" % (
                    ph, phandles[ph], node))
            else:
                phandles[ph] = node

    def iommu_cells(node):
        if "#iommu-cells" not in props[node]:
            return None
        data = values[(node, "#iommu-cells")]
        return int.from_bytes(data[:4], "big") if len(data) >= 4 else None

    for node in order:
        if "iommu-map" in props[node]:
            res["iommu_map_nodes"].append(node)
        if "mmu-masters" in props[node]:
            res["mmu_masters_nodes"].append(node)
        if "iommus" not in props[node]:
            continue
        res["iommus_nodes"].append(node)
        data = values[(node, "iommus")]
        if len(data) % 4:
            notes.append("%s: iommus is %d bytes, trailing %d ignored" % (
                node, len(data), len(data) % 4))
        cells = cells_of(data)
        if not cells:
            notes.append("%s: empty iommus property" % node)
        pos = 0
        idx = 0
        while pos < len(cells):
            ph = cells[pos]
            pos += 1
            if ph == 0:
                rest = len(cells) - pos
                notes.append("%s: iommus entry %d is empty (phandle 0)%s" % (
                    node, idx, ", %d cells after it ignored" % rest if rest else ""))
                break
            target = phandles.get(ph)
            if target is None:
                notes.append("%s: iommus entry %d: unknown phandle %#x" % (node, idx, ph))
                break
            count = iommu_cells(target)
            if count is None:
                notes.append("%s: iommus entry %d: target %s has no #iommu-cells%s" % (
                    node, idx, target,
                    " (has #stream-id-cells/mmu-masters: legacy SMMU)" if (
                        "mmu-masters" in props[target]) else ""))
                break
            if pos + count > len(cells):
                notes.append("%s: iommus entry %d: %s needs %d cells, %d left" % (
                    node, idx, target, count, len(cells) - pos))
                break
            args = cells[pos:pos + count]
            pos += count
            if count > MAX_PHANDLE_ARGS:
                notes.append("%s: iommus entry %d has %d argument cells (>16)" % (
                    node, idx, count))
            res["links"].append([node, idx, target, args[:MAX_PHANDLE_ARGS]])
            idx += 1
    res["iommus_links"] = len(res["links"])
    res["time"] = round(time.monotonic() - t0, 3)
    return res


def count_all(base, files, jobs):
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda f: analyse(base, f), files))


def tool_links(obj, prop):
    return [l for l in obj.get("links") or [] if isinstance(l, dict)
            and l.get("property") == prop]


def compare(results, files, tool, tool_rc):
    """Return (per-file failure lists, global failure list, totals)."""
    failures = {f: [] for f in files}
    global_fail = []
    totals = {"reports": 0, "iommus": 0, "iommu-map": 0, "mmu-masters": 0,
              "errors": 0, "count_mismatches": 0}
    error_codes = {}
    if not isinstance(tool, list):
        global_fail.append("iommu-plan output is not a JSON array")
        for f in files:
            failures[f].append("no report")
        return failures, global_fail, totals, error_codes
    if len(tool) != len(files):
        global_fail.append("iommu-plan printed %d objects for %d files" % (
            len(tool), len(files)))
    by_file = {r["file"]: r for r in results}
    for i, f in enumerate(files):
        fail = failures[f]
        res = by_file[f]
        if res["error"]:
            fail.append("fdtget failed: %s" % res["error"])
        obj = tool[i] if i < len(tool) else None
        if not isinstance(obj, dict):
            fail.append("no report object at array index %d" % i)
            continue
        totals["reports"] += 1
        inp = obj.get("input") if isinstance(obj.get("input"), dict) else {}
        if inp.get("path") != f:
            fail.append("array index %d has input.path %r, expected %r" % (
                i, inp.get("path"), f))
        if obj.get("schema_version") != 1:
            fail.append("schema_version is %r" % obj.get("schema_version"))
        diags = obj.get("diagnostics") or []
        errs = [d for d in diags if isinstance(d, dict) and d.get("severity") == "error"]
        totals["errors"] += len(errs)
        for d in errs:
            error_codes[d.get("code")] = error_codes.get(d.get("code"), 0) + 1
        if errs:
            fail.append("%d error-level finding(s): %s" % (len(errs), "; ".join(
                "%s %s: %s" % (d.get("code"), d.get("path"), d.get("message"))
                for d in errs[:3])))
        links = tool_links(obj, "iommus")
        totals["iommus"] += len(links)
        totals["iommu-map"] += len(tool_links(obj, "iommu-map"))
        totals["mmu-masters"] += len(tool_links(obj, "mmu-masters"))
        if res["error"]:
            continue
        if len(links) != res["iommus_links"]:
            totals["count_mismatches"] += 1
            fail.append("iommus links: iommu-plan %d, fdtget %d" % (
                len(links), res["iommus_links"]))
        have_iommus = set(res["iommus_nodes"])
        for l in links:
            if l.get("consumer") not in have_iommus:
                fail.append("iommus link consumer %r has no iommus property (fdtget)"
                            % (l.get("consumer"),))
        for l in tool_links(obj, "iommu-map"):
            if l.get("consumer") not in res["iommu_map_nodes"]:
                fail.append("iommu-map link consumer %r has no iommu-map property"
                            % (l.get("consumer"),))
        for l in tool_links(obj, "mmu-masters"):
            if l.get("supplier") not in res["mmu_masters_nodes"]:
                fail.append("mmu-masters link supplier %r has no mmu-masters property"
                            % (l.get("supplier"),))
        # exact comparison: consumer, index, supplier, args
        mine = sorted((c, i_, s, a) for c, i_, s, a in
                      ((c, i_, s, tuple(a)) for c, i_, s, a in res["links"]))
        theirs = sorted((l.get("consumer"), l.get("index"), l.get("supplier"),
                         tuple(l.get("args") or [])) for l in links)
        if len(links) == res["iommus_links"] and mine != theirs:
            diff = [x for x in theirs if x not in mine][:2]
            want = [x for x in mine if x not in theirs][:2]
            fail.append("iommus links differ: iommu-plan has %s, fdtget has %s" % (
                diff, want))
    if tool_rc == 0 and totals["errors"]:
        global_fail.append("exit 0 but %d error-level findings" % totals["errors"])
    elif tool_rc == 1 and not totals["errors"]:
        global_fail.append("exit 1 but no error-level finding")
    if tool_rc != 0:
        global_fail.append("iommu-plan must exit 0 on the corpus, exited %d" % tool_rc)
    return failures, global_fail, totals, error_codes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="directory the DTB paths are relative to")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--tsv", help="write per-file counts here")
    ap.add_argument("--oddities", help="write per-file notes about unusual iommus/"
                    "iommu-map/mmu-masters usage here")
    ap.add_argument("--save", help="write the full fdtget result (JSON) here")
    ap.add_argument("--tool-json", help="iommu-plan --format json output to compare")
    ap.add_argument("--tool-rc", type=int, default=0)
    ap.add_argument("--tool-time", type=float, default=0.0)
    ap.add_argument("--label", default="corpus", help="package name and version")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("files", nargs="+")
    opts = ap.parse_args()

    t0 = time.monotonic()
    results = count_all(opts.base, opts.files, max(1, opts.jobs))
    fdt_time = time.monotonic() - t0
    total = sum(r["iommus_links"] for r in results)
    consumers = sum(len(r["iommus_nodes"]) for r in results)
    if opts.verbose:
        for r in results:
            print("%s\t%d\t%s" % (r["file"], r["iommus_links"], r.get("time")))
    if opts.save:
        with open(opts.save, "w") as fh:
            json.dump(results, fh, indent=1)
    if opts.oddities:
        with open(opts.oddities, "w") as fh:
            for r in results:
                for node in r["iommu_map_nodes"]:
                    fh.write("%s\tiommu-map user: %s\n" % (r["file"], node))
                for node in r["mmu_masters_nodes"]:
                    fh.write("%s\tmmu-masters (legacy SMMU): %s\n" % (r["file"], node))
                for n in r["notes"]:
                    fh.write("%s\t%s\n" % (r["file"], n))
                if r["error"]:
                    fh.write("%s\tfdtget error: %s\n" % (r["file"], r["error"]))

    fdt_errors = [r for r in results if r["error"]]
    for r in fdt_errors:
        print("corpus-test: %s: fdtget failed: %s" % (r["file"], r["error"]))

    if not opts.tool_json:
        if opts.tsv:
            with open(opts.tsv, "w") as fh:
                fh.write("file\tfdtget_iommus\tiommus_nodes\tiommu_map_nodes\t"
                         "mmu_masters_nodes\tnodes\n")
                for r in results:
                    fh.write("%s\t%d\t%d\t%d\t%d\t%d\n" % (
                        r["file"], r["iommus_links"], len(r["iommus_nodes"]),
                        len(r["iommu_map_nodes"]), len(r["mmu_masters_nodes"]),
                        r["nodes"]))
        print("fdtget-count: %d DTBs from %s: %d iommus links in %d nodes with iommus, "
              "%d files with iommu-map, %d with mmu-masters, %d fdtget errors, "
              "time %.1fs (%d jobs)" % (
                  len(results), opts.label, total, consumers,
                  sum(1 for r in results if r["iommu_map_nodes"]),
                  sum(1 for r in results if r["mmu_masters_nodes"]),
                  len(fdt_errors), fdt_time, opts.jobs))
        return 1 if fdt_errors else 0

    try:
        with open(opts.tool_json) as fh:
            tool = json.load(fh)
    except (OSError, ValueError) as exc:
        print("corpus-test: iommu-plan output is not valid JSON: %s" % exc)
        tool = None
    failures, global_fail, totals, error_codes = compare(
        results, opts.files, tool, opts.tool_rc)
    by_file = {r["file"]: r for r in results}
    if opts.tsv:
        objs = tool if isinstance(tool, list) else []
        with open(opts.tsv, "w") as fh:
            fh.write("file\tfdtget_iommus\tiommus\tiommu_map\tmmu_masters\terrors\tstatus\n")
            for i, f in enumerate(opts.files):
                obj = objs[i] if i < len(objs) and isinstance(objs[i], dict) else {}
                errs = sum(1 for d in obj.get("diagnostics") or []
                           if isinstance(d, dict) and d.get("severity") == "error")
                fh.write("%s\t%d\t%s\t%s\t%s\t%s\t%s\n" % (
                    f, by_file[f]["iommus_links"],
                    len(tool_links(obj, "iommus")) if obj else "-",
                    len(tool_links(obj, "iommu-map")) if obj else "-",
                    len(tool_links(obj, "mmu-masters")) if obj else "-",
                    errs if obj else "-",
                    "FAIL" if failures[f] else "ok"))
    failed = [f for f in opts.files if failures[f]]
    for f in failed[:MAX_REPORTED_FILES]:
        for msg in failures[f][:5]:
            print("corpus-test: FAIL %s: %s" % (f, msg))
        if len(failures[f]) > 5:
            print("corpus-test: FAIL %s: ... %d more" % (f, len(failures[f]) - 5))
    if len(failed) > MAX_REPORTED_FILES:
        print("corpus-test: FAIL ... and %d more files%s" % (
            len(failed) - MAX_REPORTED_FILES, " (see %s)" % opts.tsv if opts.tsv else ""))
    for msg in global_fail:
        print("corpus-test: FAIL: %s" % msg)
    if error_codes:
        print("corpus-test: error-level findings by code: %s" % ", ".join(
            "%s=%d" % kv for kv in sorted(error_codes.items(), key=str)))
    agrees = (isinstance(tool, list) and not fdt_errors and totals["reports"] == len(opts.files)
              and not totals["count_mismatches"])
    print("corpus: %d DTBs from %s: %d reports, %d iommus links (fdtget %s), "
          "%d iommu-map links, %d mmu-masters links, %d error-level findings, "
          "time %.1fs (fdtget count %.1fs)" % (
              len(opts.files), opts.label, totals["reports"], totals["iommus"],
              "agrees" if agrees else "counts %d" % total,
              totals["iommu-map"], totals["mmu-masters"], totals["errors"],
              opts.tool_time, fdt_time))
    print("corpus-test: %d passed, %d failed" % (len(opts.files) - len(failed), len(failed)))
    return 1 if failed or global_fail else 0


if __name__ == "__main__":
    sys.exit(main())
