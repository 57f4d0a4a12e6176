# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
"""Writes synthetic device trees for the scale benchmark, as DTS for dtc.

  synthetic.py masters COUNT [--smmus K]   COUNT DMA masters, each with one
                                           `iommus` entry, spread round-robin
                                           over K SMMUv3s (default 1)
  synthetic.py pcie COUNT                  one PCIe root complex whose
                                           `iommu-map` has COUNT one-RID entries

Masters sit in groups of 100 under simple-bus nodes: dtc's parser slows
down badly on tens of thousands of siblings. Stream IDs are unique per SMMU,
so the trees are clean apart from the shape being tested. Standard library
only; the output is deterministic.
"""

import argparse
import sys

GROUP = 100


def smmus(count):
    for index in range(count):
        yield (f"\tsmmu{index}: iommu@{0x10000000 + index * 0x100000:x} {{\n"
               f"\t\tcompatible = \"arm,smmu-v3\";\n"
               f"\t\treg = <0x0 {0x10000000 + index * 0x100000:#x} 0x0 0x100000>;\n"
               f"\t\t#iommu-cells = <1>;\n"
               f"\t}};\n")


def masters(count, smmu_count):
    lines = ["/dts-v1/;\n", "/ {\n", "\tcompatible = \"iommu-plan,synthetic\";\n",
             f"\tmodel = \"{count} masters on {smmu_count} SMMU(s)\";\n",
             "\t#address-cells = <2>;\n", "\t#size-cells = <2>;\n"]
    lines.extend(smmus(smmu_count))
    for group in range((count + GROUP - 1) // GROUP):
        lines.append(f"\tbus@{group:x} {{\n\t\tcompatible = \"simple-bus\";\n"
                     "\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n")
        for index in range(group * GROUP, min(count, (group + 1) * GROUP)):
            smmu = index % smmu_count
            sid = index // smmu_count
            lines.append(f"\t\tdma@{index:x} {{ compatible = \"iommu-plan,dma-master\"; "
                         f"reg = <{index:#x}>; iommus = <&smmu{smmu} {sid:#x}>; }};\n")
        lines.append("\t};\n")
    lines.append("};\n")
    return "".join(lines)


def pcie(count):
    entries = " ".join(f"{rid:#x} &smmu0 {rid:#x} 0x1" for rid in range(count))
    return ("/dts-v1/;\n/ {\n\tcompatible = \"iommu-plan,synthetic\";\n"
            f"\tmodel = \"one root complex, {count}-entry iommu-map\";\n"
            "\t#address-cells = <2>;\n\t#size-cells = <2>;\n" + "".join(smmus(1)) +
            "\tpcie@40000000 {\n\t\tcompatible = \"pci-host-ecam-generic\";\n"
            "\t\tdevice_type = \"pci\";\n\t\treg = <0x0 0x40000000 0x0 0x10000000>;\n"
            "\t\t#address-cells = <3>;\n\t\t#size-cells = <2>;\n"
            f"\t\tbus-range = <0x0 {max(0, (count - 1) >> 8):#x}>;\n"
            f"\t\tiommu-map = <{entries}>;\n\t}};\n}};\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("shape", choices=["masters", "pcie"])
    parser.add_argument("count", type=int)
    parser.add_argument("--smmus", type=int, default=1)
    args = parser.parse_args()
    if args.count < 1 or args.smmus < 1:
        parser.error("counts must be positive")
    text = masters(args.count, args.smmus) if args.shape == "masters" else pcie(args.count)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
