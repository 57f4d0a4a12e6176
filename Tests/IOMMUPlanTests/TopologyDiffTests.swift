// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import TestSupport
import Testing

@testable import Renderers

/// `iommu-plan diff`: matching by node path, what counts as a change, and the
/// two formats.
@Suite struct TopologyDiffTests {
  static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Golden")

  /// A small SoC; `edit` rewrites the body (between the braces of the root).
  static func board(_ edit: (String) -> String = { $0 }) -> String {
    let body = """
        #address-cells = <1>;
        #size-cells = <1>;
        apps_smmu: iommu@15000000 {
          compatible = "qcom,sdm845-smmu-500", "arm,mmu-500";
          reg = <0x15000000 0x80000>;
          #iommu-cells = <2>;
        };
        gpu_smmu: iommu@5040000 {
          compatible = "qcom,adreno-smmu", "qcom,smmu-v2";
          reg = <0x5040000 0x10000>;
          #iommu-cells = <1>;
        };
        gpu@5000000 { iommus = <&gpu_smmu 0x0>; };
        usb@a600000 { iommus = <&apps_smmu 0x740 0x0>; };
        video@aa00000 { iommus = <&apps_smmu 0x10a0 0x8>, <&apps_smmu 0x10b0 0x0>; };
        pcie: pci@1c00000 {
          device_type = "pci";
          iommu-map = <0x0 &apps_smmu 0x1c00 0x1>, <0x100 &apps_smmu 0x1c01 0x1>;
          iommu-map-mask = <0xff00>;
          status = "disabled";
        };
      """
    return "/dts-v1/;\n/ {\n\(edit(body))\n};\n"
  }

  static func diff(_ old: String, _ new: String) throws -> TopologyDiff {
    TopologyDiff(
      old: Report(tree: try Fixtures.tree(source: old), inputPath: "old.dtb"),
      new: Report(tree: try Fixtures.tree(source: new), inputPath: "new.dtb"))
  }

  /// A changed link's consumer path, read in the report the link comes from
  /// (the new one unless it was removed).
  static func consumerPath(_ change: TopologyDiff.LinkChange, _ diff: TopologyDiff) -> String {
    if let link = change.new { return diff.new.consumerPath(link) }
    return change.old.map(diff.old.consumerPath) ?? ""
  }

  @Test func aTreeAgainstItselfWithRenumberedPhandlesIsNoDifference() throws {
    // dtc numbers labelled nodes in the order it meets references: a first
    // property naming new nodes moves every other phandle.
    let renumbered = Self.board {
      "  x-padding = <&pad_b &pad_a>;\n" + $0 + "\n  pad_a: pad-a { };\n  pad_b: pad-b { };"
    }
    let moved = Self.board { "  x = <&pad>;\n" + $0 } + "/ { pad: pad { }; };\n"
    let phandle = { (source: String) throws -> UInt32 in
      let tree = try Fixtures.tree(source: source)
      return try #require(tree.node(path: "/iommu@15000000").map { tree[$0].phandle })
    }
    #expect(try phandle(renumbered) != (try phandle(Self.board())))
    #expect(try phandle(moved) != (try phandle(Self.board())))
    for other in [renumbered, moved] {
      let diff = try Self.diff(Self.board(), other)
      #expect(diff.isEmpty)
      #expect(DiffTextRenderer.render(diff).isEmpty)
      #expect(DiffJSONRenderer.render(diff).contains("\"identical\": true"))
    }
  }

  @Test func reorderedEntriesAreNoDifference() throws {
    let swapped = Self.board {
      $0.replacingOccurrences(
        of: "<&apps_smmu 0x10a0 0x8>, <&apps_smmu 0x10b0 0x0>",
        with: "<&apps_smmu 0x10b0 0x0>, <&apps_smmu 0x10a0 0x8>")
    }
    #expect(try Self.diff(Self.board(), swapped).isEmpty)
  }

  @Test func streamIDsMasksAndSuppliersChangeInPlace() throws {
    let edited = Self.board {
      $0.replacingOccurrences(of: "<&apps_smmu 0x740 0x0>", with: "<&apps_smmu 0x741 0x0>")
        .replacingOccurrences(of: "<0xff00>", with: "<0xfff8>")
        .replacingOccurrences(of: "<&gpu_smmu 0x0>", with: "<&gpu_smmu 0x0>, <&gpu_smmu 0x1>")
        .replacingOccurrences(of: ", <&apps_smmu 0x10b0 0x0>", with: "")
    }
    let diff = try Self.diff(Self.board(), edited)
    let lines = diff.links.map {
      let link = $0.new ?? $0.old
      return "\($0.change) \(Self.consumerPath($0, diff)) "
        + "\(link?.property.rawValue ?? "")[\(link?.index ?? -1)]"
    }
    #expect(
      lines == [
        "added /gpu@5000000 iommus[1]",
        "changed /pci@1c00000 iommu-map[0]",
        "changed /pci@1c00000 iommu-map[1]",
        "changed /usb@a600000 iommus[0]",
        "removed /video@aa00000 iommus[1]",
      ])
    let usb = try #require(diff.links.first { Self.consumerPath($0, diff) == "/usb@a600000" })
    #expect(usb.old?.arguments == [0x740, 0] && usb.new?.arguments == [0x741, 0])
    #expect(diff.iommus.isEmpty && diff.devices.isEmpty)
  }

  @Test func iommusAndDevicesEnabledOrDisabledOrGoneAreReported() throws {
    let edited = Self.board { body in
      body.replacingOccurrences(of: "status = \"disabled\";", with: "status = \"okay\";")
        .replacingOccurrences(
          of: "reg = <0x5040000 0x10000>;",
          with: "reg = <0x5040000 0x10000>; status = \"disabled\";"
        )
        .replacingOccurrences(of: "\"qcom,sdm845-smmu-500\", ", with: "")
        + "\n  smmu3: iommu@9000000 { compatible = \"arm,smmu-v3\"; #iommu-cells = <1>; };"
    }
    let diff = try Self.diff(Self.board(), edited)
    #expect(
      diff.iommus.map {
        "\($0.change) \($0.path): "
          + $0.differences.map(DiffTextRenderer.describe).joined(separator: "; ")
      } == [
        #"changed /iommu@5040000: status absent -> "disabled""#,
        "added /iommu@9000000: ",
        #"changed /iommu@15000000: compatible "qcom,sdm845-smmu-500", "arm,mmu-500" -> "arm,mmu-500""#,
      ])
    #expect(diff.devices.map(\.path) == ["/pci@1c00000"])
    #expect(diff.devices.first?.wasEnabled == false)
    #expect(
      diff.findings.map { "\($0.change) \($0.diagnostic.code.rawValue)" } == [
        "added iommu_disabled"
      ])
    #expect(diff.links.isEmpty)
  }

  @Test func goldenTextAndJSON() throws {
    let edited = Self.board {
      $0.replacingOccurrences(of: "<&apps_smmu 0x740 0x0>", with: "<&gpu_smmu 0x740>")
        .replacingOccurrences(of: "status = \"disabled\";", with: "status = \"okay\";")
        .replacingOccurrences(of: "gpu@5000000 { iommus = <&gpu_smmu 0x0>; };", with: "")
        + "\n  dsp@1000 { iommus = <&apps_smmu 0x1801 0x0>, <0xdead 0x1>; };"
    }
    let diff = try Self.diff(Self.board(), edited)
    for (output, name) in [
      (DiffTextRenderer.render(diff), "diff.txt"), (DiffJSONRenderer.render(diff), "diff.json"),
    ] {
      if let difference = Golden.compare(output, file: Self.golden.appendingPathComponent(name)) {
        Issue.record("\(difference)")
      }
    }
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(DiffJSONRenderer.render(diff).utf8))
        as? [String: Any])
    #expect(object["identical"] as? Bool == false)
    let link = try #require((object["links"] as? [[String: Any]])?.first?["new"] as? [String: Any])
    #expect(Set(link.keys).isSuperset(of: ["consumer", "supplier", "property", "index", "args"]))
  }
}
