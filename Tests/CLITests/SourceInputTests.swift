// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import TestSupport
import Testing

/// Inputs as they are found: kernel sources that need the preprocessor, the
/// source line of each finding, overlays, multi-tree files and directories.
@Suite struct SourceInputTests {
  private let cli: CLITests
  private var scratch: URL { cli.scratch }

  init() throws { cli = try CLITests() }

  // MARK: - A kernel tree in miniature

  /// `scripts/dtc/include-prefixes` (with the links kbuild has), a
  /// dt-bindings header, a SoC `.dtsi` and two boards, one of which reaches
  /// the `.dtsi` through the prefixes. Line numbers are asserted below.
  func kernelTree() throws -> URL {
    let tree = scratch.appendingPathComponent("linux")
    let files: [String: String] = [
      "include/dt-bindings/vendor-sids.h": "#define VENDOR_UFS_SID 0x80\n",
      "arch/arm64/boot/dts/vendor/soc.dtsi": """
      // The SoC.
      #include <dt-bindings/vendor-sids.h>

      / {
      \t#address-cells = <1>;
      \t#size-cells = <1>;
      \tapps_smmu: iommu@1000 {
      \t\tcompatible = "arm,smmu-v3";
      \t\treg = <0x1000 0x1000>;
      \t\t#iommu-cells = <1>;
      \t};
      \tufs: ufs@2000 {
      \t\tcompatible = "vendor,ufs";
      \t\treg = <0x2000 0x100>;
      \t\tiommus = <&apps_smmu VENDOR_UFS_SID>;
      \t\tstatus = "disabled";
      \t};
      \tbad@4000 {
      \t\tcompatible = "vendor,dma";
      \t\treg = <0x4000 0x100>;
      \t\tiommus = <0xdead 1>;
      \t};
      };

      """,
      "arch/arm64/boot/dts/vendor/board.dts": """
      /dts-v1/;
      #include "soc.dtsi"

      / {
      \tmodel = "Vendor Board";
      \tcompatible = "vendor,board";
      };

      &ufs {
      \tstatus = "okay";
      \tiommus = <&apps_smmu VENDOR_UFS_SID 5>;
      };

      """,
      "arch/arm64/boot/dts/other/reuse.dts": """
      /dts-v1/;
      #include <arm64/vendor/soc.dtsi>

      / {
      \tmodel = "Another Board";
      };

      """,
    ]
    for (path, text) in files {
      let url = tree.appendingPathComponent(path)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
    let prefixes = tree.appendingPathComponent("scripts/dtc/include-prefixes")
    try FileManager.default.createDirectory(at: prefixes, withIntermediateDirectories: true)
    for (name, target) in [
      ("dt-bindings", "../../../include/dt-bindings"), ("arm64", "../../../arch/arm64/boot/dts"),
    ] {
      try FileManager.default.createSymbolicLink(
        atPath: prefixes.appendingPathComponent(name).path, withDestinationPath: target)
    }
    return tree
  }

  static let board = "arch/arm64/boot/dts/vendor/board.dts"
  static let soc = "arch/arm64/boot/dts/vendor/soc.dtsi"

  @Test func aKernelBoardWithIncludesIsReadInsideTheTreeWithNoFlags() throws {
    let tree = try kernelTree()
    let result = try cli.run([Self.board], in: tree)
    #expect(result.status == 1, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map { $0.trimmingPrefix("  ") }
    // A finding in the .dtsi names its line there, and the board.
    #expect(
      lines.contains {
        $0.hasPrefix(
          "\(Self.soc):21:3: \(Self.board): error [iommus_unknown_phandle] /bad@4000:iommus: ")
      }, "\(result.stdout)")
    // One in the board's own file names it once. The property in effect is
    // the board's (its last assignment), not the .dtsi's.
    #expect(
      lines.contains {
        $0.hasPrefix(
          "\(Self.board):11:2: error [iommus_unknown_phandle] /ufs@2000:iommus: entry 1: ")
      }, "\(result.stdout)")
    // The header came through the include path: the link has its stream ID.
    #expect(result.stdout.contains("/ufs@2000  iommus[0]  <0x80>"), "\(result.stdout)")
  }

  @Test func jsonLinksAndFindingsCarryTheirSource() throws {
    let tree = try kernelTree()
    let result = try cli.run([Self.board, "--format", "json"], in: tree)
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let links = try #require(document["links"] as? [[String: Any]])
    let ufs = try #require(links.first { $0["consumer"] as? String == "/ufs@2000" })
    let source = try #require(ufs["source"] as? [String: Any])
    #expect(source["file"] as? String == Self.board)
    #expect(source["line"] as? Int == 11)
    #expect(source["column"] as? Int == 2)
    let findings = try #require(document["diagnostics"] as? [[String: Any]])
    let bad = try #require(findings.first { $0["code"] as? String == "iommus_unknown_phandle" })
    let badSource = try #require(bad["source"] as? [String: Any])
    #expect(badSource["file"] as? String == Self.soc)
    #expect(badSource["line"] as? Int == 21)
  }

  @Test func aDtsiReachedThroughTheIncludePrefixesIsNamedWhereItLives() throws {
    let tree = try kernelTree()
    let result = try cli.run(["arch/arm64/boot/dts/other/reuse.dts"], in: tree)
    #expect(
      result.stdout.contains("  \(Self.soc):21:3: arch/arm64/boot/dts/other/reuse.dts: error"),
      "\(result.stdout)")
  }

  @Test func sarifAndGitHubPointAtTheSourceLine() throws {
    let tree = try kernelTree()
    let sarif = try cli.run(["lint", "--format", "sarif", Self.board], in: tree)
    let log = try #require(
      try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
    let runs = try #require(log["runs"] as? [[String: Any]])
    let results = try #require(runs.first?["results"] as? [[String: Any]])
    let bad = try #require(results.first { $0["ruleId"] as? String == "iommus_unknown_phandle" })
    let location = try #require((bad["locations"] as? [[String: Any]])?.first)
    let physical = try #require(location["physicalLocation"] as? [String: Any])
    #expect((physical["artifactLocation"] as? [String: Any])?["uri"] as? String == Self.soc)
    let region = try #require(physical["region"] as? [String: Any])
    #expect(region["startLine"] as? Int == 21)
    #expect(region["startColumn"] as? Int == 3)
    let related = try #require((bad["relatedLocations"] as? [[String: Any]])?.first)
    #expect("\(related)".contains(Self.board))

    let github = try cli.run(["lint", "--format", "github", Self.board], in: tree)
    let annotation = try #require(
      github.stdout.split(separator: "\n").first { $0.contains("[iommus_unknown_phandle]") })
    #expect(
      annotation.hasPrefix("::error file=\(Self.soc),line=21,endLine=21,col=3,endColumn="),
      "\(annotation)")
    #expect(
      annotation.contains(
        ",title=iommu-plan [iommus_unknown_phandle]::\(Self.board): /bad@4000:iommus: "))
  }

  @Test func lintOverASourceTreeChecksBoardsNotIncludes() throws {
    let tree = try kernelTree()
    let result = try cli.run(["lint", "arch/arm64/boot/dts"], in: tree)
    #expect(
      result.stdout.hasSuffix("checked 2 files (0 unreadable): 3 errors, 0 warnings, 0 notes\n"))
    #expect(!result.stdout.contains("soc.dtsi: "))
  }

  @Test func includeDirectoriesAndDefinesReachThePreprocessor() throws {
    let vendor = scratch.appendingPathComponent("bsp/include")
    try FileManager.default.createDirectory(at: vendor, withIntermediateDirectories: true)
    try "#define SMMU_CELLS 1\n".write(
      to: vendor.appendingPathComponent("bsp.h"), atomically: true, encoding: .utf8)
    let board = scratch.appendingPathComponent("bsp/board.dts")
    try """
    /dts-v1/;
    #include <bsp.h>
    / {
    \t#address-cells = <1>;
    \t#size-cells = <1>;
    \tsmmu: iommu@1000 { compatible = "arm,smmu-v3"; reg = <0x1000 0x100>; #iommu-cells = <SMMU_CELLS>; };
    \tdev@2000 { compatible = "x,dev"; reg = <0x2000 0x10>; iommus = <&smmu STREAM>; };
    };

    """.write(to: board, atomically: true, encoding: .utf8)
    let result = try cli.run(["-I", vendor.path, "-D", "STREAM=0x42", board.path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("/dev@2000  iommus[0]  <0x42>"), "\(result.stdout)")

    let missing = try cli.run(["-D", "STREAM=0x42", board.path])
    #expect(missing.status == 2)
    #expect(
      missing.stderr.hasPrefix(
        "iommu-plan: \(board.path): cpp failed (exit 1): \(board.path):2:10: ")
        && missing.stderr.contains("bsp.h"), "\(missing.stderr)")
  }

  @Test func sourceOnStandardInputUsesTheWorkingDirectoryForIncludes() throws {
    let tree = try kernelTree()
    let text = try Data(contentsOf: tree.appendingPathComponent(Self.board))
    let result = try cli.run(
      ["-"], stdin: text, in: tree.appendingPathComponent("arch/arm64/boot/dts/vendor"))
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.contains("  -:11:2: error [iommus_unknown_phandle]"), "\(result.stdout)")
    #expect(result.stdout.contains("  soc.dtsi:21:3: -: error [iommus_unknown_phandle]"))
  }

  // MARK: - Overlays

  func overlayFiles() throws -> (base: String, overlay: String, broken: String) {
    let base = scratch.appendingPathComponent("base.dts")
    try """
    /dts-v1/;
    / {
    \t#address-cells = <1>;
    \t#size-cells = <1>;
    \tsmmu: iommu@1000 { compatible = "arm,smmu-v3"; reg = <0x1000 0x100>; #iommu-cells = <1>; };
    };

    """.write(to: base, atomically: true, encoding: .utf8)
    let overlay = scratch.appendingPathComponent("add.dtso")
    try """
    /dts-v1/;
    /plugin/;
    &{/} { dev@5000 { compatible = "x,dev"; reg = <0x5000 0x10>; iommus = <&smmu 0x99>; }; };

    """.write(to: overlay, atomically: true, encoding: .utf8)
    let broken = scratch.appendingPathComponent("broken.dtso")
    try """
    /dts-v1/;
    /plugin/;
    &{/} { dev@6000 { compatible = "x,dev"; reg = <0x6000 0x10>; iommus = <&nosuch 1>; }; };

    """.write(to: broken, atomically: true, encoding: .utf8)
    return (base.path, overlay.path, broken.path)
  }

  func links(_ json: String) throws -> [String] {
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let links = try #require(document["links"] as? [[String: Any]])
    return links.map { "\($0["consumer"] ?? "") \($0["supplier"] ?? "") \($0["args"] ?? "")" }
  }

  @Test func anOverlayIsAppliedAsFdtoverlayAppliesIt() throws {
    let (base, overlay, _) = try overlayFiles()
    let applied = try cli.run([base, "--overlay", overlay, "--format", "json"])
    #expect(applied.status == 0, "\(applied.stderr)")
    let baseBlob = scratch.appendingPathComponent("base.dtb").path
    let overlayBlob = scratch.appendingPathComponent("add.dtbo").path
    let merged = scratch.appendingPathComponent("merged.dtb").path
    #expect(try Fixtures.run("dtc", ["-@", "-q", "-o", baseBlob, base]).status == 0)
    #expect(try Fixtures.run("dtc", ["-@", "-q", "-o", overlayBlob, overlay]).status == 0)
    #expect(
      try Fixtures.run("fdtoverlay", ["-i", baseBlob, "-o", merged, overlayBlob]).status == 0)
    let reference = try cli.run([merged, "--format", "json"])
    #expect(try links(applied.stdout) == links(reference.stdout))
    #expect(try links(applied.stdout) == ["/dev@5000 /iommu@1000 [153]"])
    #expect(applied.stdout.contains("\"overlays\": [\"\(overlay)\"]"))
    // The link the overlay source adds is placed in it.
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(applied.stdout.utf8)) as? [String: Any])
    let link = try #require((document["links"] as? [[String: Any]])?.first)
    let source = try #require(link["source"] as? [String: Any])
    #expect((source["file"] as? String)?.hasSuffix("/add.dtso") == true)
    #expect(source["line"] as? Int == 3)
    // The blob overlay gives the same.
    let fromBlob = try cli.run([base, "--overlay", overlayBlob, "--format", "json"])
    #expect(try links(fromBlob.stdout) == links(reference.stdout))
  }

  @Test func aFailedApplyNamesTheOverlayAndTheLabel() throws {
    let (base, _, broken) = try overlayFiles()
    let result = try cli.run([base, "--overlay", broken])
    #expect(result.status == 2)
    #expect(
      result.stderr
        == "iommu-plan: \(broken): cannot apply to \(base): label nosuch (used by "
        + "/fragment@0/__overlay__/dev@6000:iommus) is not resolved: the base has no such label\n")
    // A base without /__symbols__ is told apart.
    let plain = scratch.appendingPathComponent("plain.dtb").path
    #expect(try Fixtures.run("dtc", ["-q", "-o", plain, base]).status == 0)
    let (_, overlay, _) = try overlayFiles()
    let unlabelled = try cli.run([plain, "--overlay", overlay])
    #expect(unlabelled.status == 2)
    #expect(unlabelled.stderr.contains("the base has no /__symbols__ (compile it with dtc -@"))
  }

  @Test func anOverlayAloneHasNoErrorsAndListsItsFixups() throws {
    let (_, overlay, _) = try overlayFiles()
    let result = try cli.run([overlay, "--format", "json"])
    #expect(result.status == 0, "\(result.stdout)")
    let document = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let input = try #require(document["input"] as? [String: Any])
    let fixups = try #require(input["overlay_fixups"] as? [[String: Any]])
    #expect(fixups.count == 1)
    #expect(fixups.first?["label"] as? String == "smmu")
    #expect(fixups.first?["path"] as? String == "/fragment@0/__overlay__/dev@5000")
    let findings = try #require(document["diagnostics"] as? [[String: Any]])
    #expect(findings.map { $0["code"] as? String } == ["overlay_checked_alone"])
  }

  // MARK: - Several trees in one file

  func overlayImage() throws -> String {
    let (_, overlay, _) = try overlayFiles()
    let second = scratch.appendingPathComponent("second.dtso")
    try """
    /dts-v1/;
    /plugin/;
    &{/} { dev@7000 { compatible = "x,dev"; reg = <0x7000 0x10>; iommus = <&smmu 0x77>; }; };

    """.write(to: second, atomically: true, encoding: .utf8)
    let blobs = try [overlay, second.path].map { source in
      let out = source + ".dtbo"
      #expect(try Fixtures.run("dtc", ["-@", "-q", "-o", out, source]).status == 0)
      return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }
    let image = TableImageFixture(entries: [
      .init(blob: blobs[0], id: 0x10, revision: 1), .init(blob: blobs[1], id: 0x20, revision: 2),
    ])
    return try cli.write(image.bytes, "dtbo.img")
  }

  @Test func aDTTableImageIsReadEntryByEntryAndOneEntryIsApplied() throws {
    let image = try overlayImage()
    let alone = try cli.run([image])
    #expect(alone.status == 0, "\(alone.stderr)")
    #expect(alone.stdout.contains("\(image)#0: (no model)\n"))
    #expect(
      alone.stdout.contains(
        "\(image)#1: (no model)\n  compatible: \n  entry:      1 (id 0x20, rev 0x2"))

    let (base, _, _) = try overlayFiles()
    let second = try cli.run([base, "--overlay", image, "--dtbo-index", "1", "--format", "json"])
    #expect(try links(second.stdout) == ["/dev@7000 /iommu@1000 [119]"])
    let byID = try cli.run([base, "--overlay", image, "--dtbo-id", "0x10", "--format", "json"])
    #expect(try links(byID.stdout) == ["/dev@5000 /iommu@1000 [153]"])
    let unchosen = try cli.run([base, "--overlay", image])
    #expect(unchosen.status == 2)
    #expect(unchosen.stderr.contains("holds 2 trees: choose one with --dtbo-index or --dtbo-id"))
  }

  @Test func concatenatedBlobsAreReportedEachAndNamedByPosition() throws {
    let first = try cli.dtb("qcom-sdm845-like.dts")
    let second = try cli.dtb("server-smmuv3.dts")
    let joined =
      try [UInt8](Data(contentsOf: URL(fileURLWithPath: first)))
      + [UInt8](Data(contentsOf: URL(fileURLWithPath: second)))
    let path = try cli.write(joined, "both.dtb")
    let result = try cli.run([path, "--format", "json"])
    let array = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    #expect(
      array.compactMap { ($0["input"] as? [String: Any])?["path"] as? String } == [
        "\(path)#0", "\(path)#1",
      ])
    // The name a report gives a tree reads that tree back.
    let one = try cli.run([path + "#1", "--format", "json"])
    let alone = try cli.run([second, "--format", "json"])
    #expect(
      try links(one.stdout) == links(alone.stdout) && !(try links(one.stdout)).isEmpty)
    let explain = try cli.run(["explain", path, "/"])
    #expect(explain.status == 2)
    #expect(explain.stderr.contains("holds 2 trees: name one, as \(path)#0 or \(path)#1"))
  }

  // MARK: - A live system's tree

  @Test func aDirectoryLaidOutLikeProcDeviceTreeIsRead() throws {
    let root = scratch.appendingPathComponent("device-tree")
    func property(_ path: String, _ bytes: [UInt8]) throws {
      let url = root.appendingPathComponent(path)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(bytes).write(to: url)
    }
    func cells(_ values: UInt32...) -> [UInt8] {
      values.flatMap { withUnsafeBytes(of: $0.bigEndian, Array.init) }
    }
    func string(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }
    try property("compatible", string("vendor,board"))
    try property("#address-cells", cells(1))
    try property("#size-cells", cells(1))
    try property("iommu@1000/compatible", string("arm,smmu-v3"))
    try property("iommu@1000/#iommu-cells", cells(1))
    try property("iommu@1000/phandle", cells(7))
    try property("dma@2000/compatible", string("vendor,dma"))
    try property("dma@2000/iommus", cells(7, 0x31))
    let result = try cli.run([root.path, "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try links(result.stdout) == ["/dma@2000 /iommu@1000 [49]"])
  }
}
