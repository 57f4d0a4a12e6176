// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// How each kind of link reads in the text report, including the edge cases
/// real boards have (Layerscape's length-0 fsl-mc map, Juno's mask of 0).
@Suite struct TextRendererTests {
  static let source = """
    /dts-v1/;
    / {
      smmu: iommu { compatible = "arm,mmu-500"; #iommu-cells = <1>; };
      smmu2: iommu2 { compatible = "arm,mmu-500"; #iommu-cells = <2>; };
      fsl-mc { iommu-map = <0 &smmu 0 0>; };
      juno-pcie { iommu-map-mask = <0>; iommu-map = <0 &smmu 0x7 1>; };
      server-pcie { iommu-map-mask = <0xfff8>; iommu-map = <0 &smmu 0x10000 0x10000>; };
      new-pcie { iommu-map = <0x100 &smmu2 0x1c01 0x5 1>; };
      usb { iommus = <&smmu2 0x740 0x0>; };
    };
    """

  let text: String

  init() throws {
    text = TextRenderer.render(
      Report(tree: try Fixtures.tree(source: Self.source), inputPath: "t.dtb"))
  }

  func row(_ consumer: String) -> String? {
    text.split(separator: "\n").first { $0.hasPrefix("    /\(consumer) ") }
      .map {
        $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).joined(
          separator: " ")
      }
  }

  @Test func eachLinkKind() {
    #expect(row("fsl-mc") == "no RIDs (length 0) -> 0x0")
    #expect(row("juno-pcie") == "every RID (mask 0x0) -> 0x7")
    #expect(row("server-pcie") == "RIDs 0x0-0xffff (mask 0xfff8) -> 0x10000-0x1ffff")
    #expect(row("new-pcie") == "RID 0x100 -> <0x1c01 0x5>")
    #expect(row("usb") == "<0x740 0x0>")
  }

  @Test func findingsUseTheFileSeverityCodePathForm() {
    #expect(
      text.contains(
        "  t.dtb: note [iommu_map_zero_length] /fsl-mc:iommu-map: entry 0 (rid-base 0x0, length 0x0)"
      ))
  }
}
