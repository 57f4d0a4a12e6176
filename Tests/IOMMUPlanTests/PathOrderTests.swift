// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// Paths are listed with unit addresses compared as numbers, and the order
/// stays a total order on any bytes a blob can hold.
@Suite struct PathOrderTests {
  @Test func unitAddressesCompareAsNumbers() {
    let sorted = [
      "/soc@0/iommu@15000000/compute-cb@10",
      "/soc@0/iommu@15000000/compute-cb@2",
      "/soc@0/iommu@15000000",
      "/soc@0/iommu@5040000",
      "/memory@80000000",
      "/memory@9000000",
      "/pci@0,10",
      "/pci@0,2",
      "/pci@0",
      "/pci",
      "/soc@0/iommu@15000000/compute-cb@a",
    ].sorted(by: PathOrder.precedes)
    #expect(
      sorted == [
        "/memory@9000000",
        "/memory@80000000",
        "/pci",
        "/pci@0",
        "/pci@0,2",
        "/pci@0,10",
        "/soc@0/iommu@5040000",
        "/soc@0/iommu@15000000",
        "/soc@0/iommu@15000000/compute-cb@2",
        "/soc@0/iommu@15000000/compute-cb@a",
        "/soc@0/iommu@15000000/compute-cb@10",
      ])
  }

  @Test func leadingZerosCaseAndNonHexUnitsStayOrderedAndDistinct() {
    #expect(PathOrder.precedes("/a@0a", "/a@b"))
    #expect(PathOrder.precedes("/a@a", "/a@0a") != PathOrder.precedes("/a@0a", "/a@a"))
    #expect(PathOrder.precedes("/a@A", "/a@b"))
    #expect(PathOrder.precedes("/a@1", "/a@x"))  // hex against non-hex: by bytes
    #expect(!PathOrder.precedes("/a@1", "/a@1"))
  }

  /// Every string of up to three of the bytes that matter (separators, hex
  /// and non-hex digits, leading zeros): no two distinct strings tie, and
  /// once sorted every earlier string precedes every later one, so the
  /// order is total and transitive.
  @Test func theOrderIsTotalOverAnyBytes() {
    let alphabet = ["/", "@", ",", "0", "1", "a", "A", "g"]
    var strings = [""]
    var level = [""]
    for _ in 0..<3 {
      level = level.flatMap { prefix in alphabet.map { prefix + $0 } }
      strings += level
    }
    let sorted = strings.sorted(by: PathOrder.precedes)
    var failures: [String] = []
    for i in sorted.indices {
      for j in sorted.indices where j > i {
        if !PathOrder.precedes(sorted[i], sorted[j]) || PathOrder.precedes(sorted[j], sorted[i]) {
          failures.append("\(sorted[i]) / \(sorted[j])")
        }
      }
    }
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  /// What a report lists by path follows the same order.
  @Test func theTextReportListsIOMMUsAndDevicesInThatOrder() throws {
    let source = """
      /dts-v1/;
      / {
        smmu_big: iommu@15000000 { compatible = "arm,mmu-500"; #iommu-cells = <1>; };
        smmu_small: iommu@5040000 { compatible = "arm,mmu-500"; #iommu-cells = <1>; };
        cb@10 { iommus = <&smmu_big 0x10>; };
        cb@2 { iommus = <&smmu_big 0x2>; };
        gpu { iommus = <&smmu_small 0>; };
      };
      """
    let text = TextRenderer.render(
      Report(tree: try Fixtures.tree(source: source), inputPath: "t.dtb"))
    let small = try #require(text.range(of: "IOMMU /iommu@5040000"))
    let big = try #require(text.range(of: "IOMMU /iommu@15000000"))
    #expect(small.lowerBound < big.lowerBound)
    let two = try #require(text.range(of: "    /cb@2 "))
    let ten = try #require(text.range(of: "    /cb@10 "))
    #expect(two.lowerBound < ten.lowerBound)
  }
}
