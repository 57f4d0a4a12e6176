// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import TestSupport
import Testing

/// `iommu-plan diff OLD NEW` end to end: diff(1)'s exit codes and both formats.
@Suite struct DiffCLITests {
  private let directory: Fixtures.Scratch
  var scratch: URL { directory.url }

  init() throws { directory = try Fixtures.Scratch() }

  func diff(_ arguments: [String]) throws -> Fixtures.Result {
    try Fixtures.run(CLITests.binary, ["diff"] + arguments)
  }

  func dtb(_ sample: String, _ name: String) throws -> String {
    let file = scratch.appendingPathComponent(name)
    try Data(Fixtures.blob(dts: Fixtures.samples.appendingPathComponent(sample))).write(to: file)
    return file.path
  }

  @Test func aBlobAgainstItselfDecompiledAndRecompiledIsNoDifference() throws {
    let blob = try dtb("qcom-sdm845-like.dts", "a.dtb")
    let source = scratch.appendingPathComponent("a.dts").path
    let again = scratch.appendingPathComponent("b.dtb").path
    #expect(
      try Fixtures.run("dtc", ["-q", "-I", "dtb", "-O", "dts", "-o", source, blob]).status == 0)
    #expect(
      try Fixtures.run("dtc", ["-q", "-H", "both", "-I", "dts", "-O", "dtb", "-o", again, source])
        .status == 0)
    let result = try diff([blob, again])
    #expect(result.status == 0)
    #expect(result.stdout.isEmpty && result.stderr.isEmpty)
    let json = try diff(["--format", "json", blob, again])
    #expect(json.status == 0)
    #expect(json.stdout.contains("\"identical\": true"))
  }

  @Test func differentBoardsExitOneWithTheDifferences() throws {
    let old = try dtb("qcom-sdm845-like.dts", "old.dtb")
    let new = Fixtures.samples.appendingPathComponent("broken-board.dts").path
    let result = try diff([old, new])
    #expect(result.status == 1)
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.first == "--- \(old)")
    #expect(lines[1] == "+++ \(new)")
    #expect(lines.last?.hasPrefix("differences: ") == true)
    #expect(lines.contains { $0.hasPrefix("- iommu /soc@0/iommu@15000000 (") })
    // Sources lead each finding with the line it is written on.
    #expect(
      lines.contains {
        $0.hasPrefix("+ finding ") && $0.contains(": error [dependency_cycle] /iommu@4300000: ")
      })
    let json = try diff(["--format", "json", old, new])
    #expect(json.status == 1)
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect(object?["identical"] as? Bool == false)
  }

  @Test func unreadableInputsExitTwoAndUsageErrorsSixtyFour() throws {
    let good = try dtb("server-smmuv3.dts", "good.dtb")
    let missing = try diff([good, "/no/such.dtb"])
    #expect(missing.status == 2)
    #expect(missing.stderr == "iommu-plan: /no/such.dtb: no such file\n")
    #expect(missing.stdout.isEmpty)
    #expect(try diff([good]).status == 64)
    #expect(try diff(["--format", "dot", good, good]).status == 64)
  }
}
