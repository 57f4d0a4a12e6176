# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Planner checks over the real corpus (docs/kernel-rules.md §2.7, §6.5 on real boards).

Runs iommu-plan twice over every DTB with the package's own kernel build
(`boot/config-*`, `lib/modules/<release>` after depmod):

1. as built (Debian builds arm-smmu and arm-smmu-v3 in): no consumer may wait
   for arm_smmu or arm_smmu_v3;
2. with `--module arm_smmu`: a consumer waits for arm_smmu exactly when the
   kernel's walk reaches an available arm-smmu instance (iommus in entry order
   up to the first disabled IOMMU; any iommu-map entry), computed here from
   the links and the IOMMU inventory of the JSON;
3. the known real case holds: on sdm845-mtp the GPU waits for gpucc_sdm845,
   the module that provides the GPU SMMU's power domain.

Prints one line per check and `plan-check: N passed, M failed`.
"""

import argparse
import json
import subprocess
import sys


def run(binary, base, files, extra):
    result = subprocess.run(
        [binary, "--format", "json", *extra, *files],
        cwd=base, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"plan-check: iommu-plan exited {result.returncode}: {result.stderr[:500]}")
    return json.loads(result.stdout)


def expects_arm_smmu(report, consumer):
    smmu = {i["path"]: i for i in report["iommus"]}
    links = sorted(
        (l for l in report["links"]
         if l["consumer"] == consumer["device"] and l["property"] == consumer["property"]),
        key=lambda l: l["index"])
    for link in links:
        iommu = smmu.get(link["supplier"])
        if iommu is None or link.get("length") == 0:
            continue  # a length-0 map entry matches no ID
        if not iommu["available"]:
            if consumer["property"] == "iommus":
                return False  # the walk ends here
            continue
        if iommu["driver"] and iommu["driver"]["name"] == "arm-smmu":
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--modules-dir", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    build = ["--config", args.config, "--modules-dir", args.modules_dir]
    passed = failed = 0

    def check(ok, text):
        nonlocal passed, failed
        print(f"plan-check: {'ok' if ok else 'FAIL'}: {text}")
        passed += ok
        failed += not ok

    as_built = run(args.binary, args.base, args.files, build)
    waiting = [(r["input"]["path"], c["device"]) for r in as_built
               for c in r["plan"]["consumers"]
               for w in c["waits_for"] if w["module"] in ("arm_smmu", "arm_smmu_v3")]
    outcomes = {}
    for r in as_built:
        for c in r["plan"]["consumers"]:
            outcomes[c["outcome"]] = outcomes.get(c["outcome"], 0) + 1
    check(not waiting, f"as built, nothing waits for arm_smmu(_v3) "
          f"({len(waiting)} do; outcomes {dict(sorted(outcomes.items()))})")

    modular = run(args.binary, args.base, args.files, build + ["--module", "arm_smmu"])
    wrong = []
    deferred = 0
    for report in modular:
        for consumer in report["plan"]["consumers"]:
            if consumer["property"] == "mmu-masters":
                continue
            waits = any(w["module"] == "arm_smmu" for w in consumer["waits_for"])
            deferred += waits
            if waits != expects_arm_smmu(report, consumer):
                wrong.append(f"{report['input']['path']}:{consumer['device']}")
    check(not wrong, f"--module arm_smmu: {deferred} consumers wait for arm_smmu, exactly those "
          f"whose walk reaches an available arm-smmu ({len(wrong)} differ: {wrong[:5]})")

    gpu = [c for r in as_built if r["input"]["path"].endswith("qcom/sdm845-mtp.dtb")
           for c in r["plan"]["consumers"] if c["device"] == "/soc@0/gpu@5000000"]
    check(bool(gpu) and gpu[0]["outcome"] == "deferred"
          and any(w["module"] == "gpucc_sdm845" for w in gpu[0]["waits_for"]),
          "sdm845-mtp: the GPU waits for gpucc_sdm845 (its SMMU's power domain)")

    print(f"plan-check: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
