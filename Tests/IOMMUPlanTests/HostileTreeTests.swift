// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// Well-formed trees that are hostile to the analysis: reference counts past
/// the limit, cycles of every length, duplicate phandles, cell values at the
/// top of the 32-bit range, and strings that would break a line of output.
/// Each is compiled by dtc from generated DTS.
@Suite struct HostileTreeTests {
  func report(
    _ source: String, kernel: KernelVersion = .newest, limits: ReportLimits = .standard
  ) throws -> Report {
    let tree = try Fixtures.tree(source: source)
    try limits.check(tree)
    return Report(tree: tree, inputPath: "hostile.dtb", kernel: kernel)
  }

  func limitError(_ source: String, limits: ReportLimits = .standard) throws -> String? {
    let tree = try Fixtures.tree(source: source)
    do {
      try limits.check(tree)
      return nil
    } catch {
      return error.reason
    }
  }

  static func iommus(cells: Int) -> String {
    let list = Array(repeating: "1 0", count: cells / 2).joined(separator: " ")
    return """
      /dts-v1/;
      / {
        iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; phandle = <1>; };
        dev@2 { iommus = <\(list)>; };
      };
      """
  }

  // MARK: - The reference limit

  /// The limits are counted exactly; a small one keeps the test quick,
  /// the standard one is the same code with a larger number.
  static let small: ReportLimits = {
    var limits = ReportLimits()
    limits.maximumReferenceCells = 4096
    limits.maximumCompatibleStrings = 4096
    return limits
  }()

  @Test func theReferenceLimitIsExact() throws {
    let full = try report(Self.iommus(cells: 4096), limits: Self.small)
    #expect(full.links.count == 2048)
    #expect(!TextRenderer.render(full).isEmpty)
    let over = Self.iommus(cells: 4096)
      .replacingOccurrences(of: "phandle = <1>;", with: "phandle = <1>; mmu-masters = <0>;")
    #expect(
      try limitError(over, limits: Self.small)
        == "more than 4096 cells of iommus, iommu-map and mmu-masters (iommu-plan's limit); "
        + "/dev@2 reaches it with iommus")
  }

  /// Every compatible string is listed for the root and each IOMMU, so a
  /// compatible of millions of empty strings would be a memory bomb.
  @Test func theCompatibleStringLimitIsExact() throws {
    func source(_ count: Int) -> String {
      let bytes = Array(repeating: "00", count: count).joined(separator: " ")
      return "/dts-v1/;\n/ { compatible = [\(bytes)]; model = [\(bytes)]; };\n"
    }
    let full = try report(source(4096), limits: Self.small)
    #expect(full.input.compatible.count == 4096)
    #expect(full.input.model == "")
    #expect(
      try limitError(source(4097), limits: Self.small)
        == "more than 4096 compatible strings (iommu-plan's limit); / reaches it")
  }

  // MARK: - Cycles and phandles

  @Test func aSelfReferencingIOMMU() throws {
    let report = try report(
      """
      /dts-v1/;
      / { smmu: iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; iommus = <&smmu 7>; }; };
      """)
    let cycle = try #require(report.diagnostics.first { $0.code == .dependencyCycle })
    #expect(cycle.message == "/iommu@1 -> /iommu@1: it would wait for itself")
    #expect(report.links.count == 1)
  }

  @Test func twoIOMMUsThatReferenceEachOther() throws {
    let report = try report(
      """
      /dts-v1/;
      / {
        a: iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; iommus = <&b 1>; };
        b: iommu@2 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; iommus = <&a 2>; };
      };
      """)
    let cycles = report.diagnostics.filter { $0.code == .dependencyCycle }
    #expect(
      cycles.map(\.message) == [
        "/iommu@1 -> /iommu@2 -> /iommu@1: none of these can finish probing before the others"
      ])
  }

  /// Long chains and rings: the graph code is iterative, so their length
  /// is only a matter of time, never of stack.
  @Test(.timeLimit(.minutes(2)))
  func aRingOfFiveThousandIOMMUs() throws {
    let count = 5000
    let nodes = (0..<count).map { index in
      "i\(index): iommu@\(index) { #iommu-cells = <0>; iommus = <&i\((index + 1) % count)>; };"
    }
    let report = try report("/dts-v1/;\n/ {\n" + nodes.joined(separator: "\n") + "\n};\n")
    let cycles = report.diagnostics.filter { $0.code == .dependencyCycle }
    #expect(cycles.count == 1)
    #expect(cycles.first?.message.hasPrefix("/iommu@0 -> /iommu@1 -> /iommu@2 -> ") == true)
    #expect(cycles.first?.message.components(separatedBy: " -> ").count == count + 1)

    let chain = nodes.dropLast() + ["i\(count - 1): iommu@\(count - 1) { #iommu-cells = <0>; };"]
    let acyclic = try self.report("/dts-v1/;\n/ {\n" + chain.joined(separator: "\n") + "\n};\n")
    #expect(!acyclic.diagnostics.contains { $0.code == .dependencyCycle })
    #expect(acyclic.links.count == count - 1)
  }

  /// Two nodes with one phandle: every reference resolves to the first in
  /// pre-order, as the kernel's lookup does, and each later holder is named.
  @Test func threeNodesWithOnePhandle() throws {
    let report = try report(
      """
      /dts-v1/;
      / {
        iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; phandle = <5>; };
        iommu@2 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; phandle = <5>; };
        iommu@3 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; linux,phandle = <5>; };
        dev@4 { iommus = <5 0x10>; };
      };
      """)
    #expect(report.links.map(report.supplierPath) == ["/iommu@1"])
    let duplicates = report.diagnostics.filter { $0.code == .duplicatePhandle }
    #expect(duplicates.map(report.path(of:)) == ["/iommu@2", "/iommu@3"])
    #expect(duplicates.allSatisfy { $0.message.contains("also carried by /iommu@1") })
  }

  // MARK: - Cell values at the edges

  @Test func streamIDsAtTheTopOfTheRange() throws {
    let report = try report(
      """
      /dts-v1/;
      / {
        smmu: iommu@1 { compatible = "arm,mmu-500"; #iommu-cells = <2>; };
        dev@2 { iommus = <&smmu 0xffffffff 0xffffffff>, <&smmu 0xfffffffe 0x0>; };
      };
      """)
    #expect(report.links.map(\.arguments) == [[0xffff_ffff, 0xffff_ffff], [0xffff_fffe, 0]])
    let json = JSONRenderer.render(report)
    #expect(json.contains("\"args\": [4294967295, 4294967295]"))
    #expect(TextRenderer.render(report).contains("<0xffffffff 0xffffffff>"))
  }

  static let wrappingMap = """
    /dts-v1/;
    / {
      smmu: iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
      pci@2 {
        device_type = "pci";
        iommu-map = <0xffffff00 &smmu 0xfffffff0 0x200>, <0x0 &smmu 0x0 0xffffffff>;
        MASK
      };
    };
    """

  /// rid-base + length past 2^32: before 7.2 the u32 sum wraps and the entry
  /// matches nothing (so it overlaps nothing); 7.2 compares an offset and
  /// the entry runs to 0xffffffff. Output IDs wrap as the kernel's do.
  @Test func aMapEntryWhoseWindowWrapsPastTheTop() throws {
    let source = Self.wrappingMap.replacingOccurrences(of: "MASK", with: "")
    let old = try report(source, kernel: KernelVersion(6, 12))
    #expect(!old.diagnostics.contains { $0.code == .iommuMapOverlap })
    let new = try report(source)
    let overlap = try #require(new.diagnostics.first { $0.code == .iommuMapOverlap })
    #expect(overlap.message.hasPrefix("entries 0 and 1 both cover ID 0xffffff00"))
    let text = TextRenderer.render(new)
    #expect(text.contains("RIDs 0xffffff00-0xffffffff -> 0xfffffff0-0x1ef"))
    #expect(text.contains("RIDs 0x0-0xfffffffe -> 0x0-0xfffffffe"))
  }

  @Test(arguments: [
    ("iommu-map-mask = <0x0>;", "every RID (mask 0x0)"),
    ("iommu-map-mask = <0xffffffff>;", "RIDs 0x0-0xfffffffe (mask 0xffffffff)"),
    ("iommu-map-mask = <0x0 0x1>;", "every RID (mask 0x0)"),
    ("iommu-map-mask = [00];", "RIDs 0x0-0xfffffffe -> 0x0-0xfffffffe"),
  ])
  func maskEdges(mask: String, shown: String) throws {
    let report = try report(Self.wrappingMap.replacingOccurrences(of: "MASK", with: mask))
    #expect(TextRenderer.render(report).contains(shown))
    _ = JSONRenderer.render(report)
  }

  // MARK: - Output that stays one line per finding

  @Test func stringsFromTheBlobCannotBreakALine() throws {
    let report = try report(
      """
      /dts-v1/;
      / {
        model = "board\\n  forged.dtb: error [dependency_cycle] /: fake";
        compatible = "a\\tb";
        iommu@1 {
          compatible = "vendor,x\\n";
          #iommu-cells = <1>;
          status = "disabled\\r\\n";
          phandle = <1>;
        };
        dev@2 { iommus = <1 0>; };
      };
      """)
    let text = TextRenderer.render(report)
    #expect(!text.contains("\r"))
    #expect(!text.contains("\t"))
    #expect(
      text.hasPrefix("hostile.dtb: board\\u{a}  forged.dtb: error [dependency_cycle] /: fake\n"))
    let findingLines = text.split(separator: "\n").filter { $0.hasPrefix("  hostile.dtb: ") }
    #expect(findingLines.count == report.diagnostics.count)
    #expect(text.contains("compatible \"vendor,x\\u{a}\" matches no IOMMU driver"))
  }

  /// A status string is quoted once per consumer; a long one is cut so that
  /// the report does not grow with its length times the consumers.
  @Test func aLongStatusIsShortenedInFindings() throws {
    let status = String(repeating: "x", count: 100_000)
    let consumers = (0..<50).map { "dev@\($0 + 2) { iommus = <1 0>; };" }.joined(separator: "\n")
    let report = try report(
      """
      /dts-v1/;
      / {
        iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; status = "\(status)"; phandle = <1>; };
        \(consumers)
      };
      """)
    let disabled = report.diagnostics.filter { $0.code == .iommuDisabled }
    #expect(disabled.count == 50)
    #expect(disabled.allSatisfy { $0.message.count < 300 })
  }

  /// Lookups run for every ancestor of every consumer: a root with a
  /// hundred thousand properties must not make each one linear. (dtc checks
  /// property names pairwise, so the copies are spliced in after it.)
  @Test(.timeLimit(.minutes(2)))
  func aRootWithAHundredThousandProperties() throws {
    let consumers = (0..<2000).map { "dev@\($0 + 2) { iommus = <1 0>; };" }.joined(separator: "\n")
    var blob = try DamagedBlob(
      source: """
        /dts-v1/;
        / {
          p;
          iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; phandle = <1>; };
          \(consumers)
        };
        """)
    let property = try #require(blob.tokens.first { $0.tag == 3 })
    let copies = [[UInt8]](repeating: blob.bytes(of: property), count: 99_999)
    blob.insert(Array(copies.joined()), at: property.offset)
    let tree = try DeviceTree(blob: blob.bytes)
    #expect(tree.root.properties.count == 100_000)
    let clock = ContinuousClock()
    let start = clock.now
    let report = Report(tree: tree, inputPath: "wide.dtb")
    #expect(report.links.count == 2000)
    #expect(clock.now - start < .seconds(20))
  }
}
