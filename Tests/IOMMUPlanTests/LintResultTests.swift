// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// What a run makes of its files: which findings count, which the baseline
/// absorbs, what is fixed, and the exit code.
@Suite struct LintResultTests {
  /// A fixture checked under another name, as a file of a tree would be.
  static func linted(_ fixture: String, as name: String) throws -> FileReport {
    FileReport(
      path: name, outcome: .report(Report(tree: try Fixtures.tree(fixture), inputPath: name)))
  }

  /// a.dtb: one warning; b.dtb: two warnings of one key and a note; c.dtb: an error.
  static func files() throws -> [FileReport] {
    [
      try linted("iommus_too_many_args.dts", as: "b.dtb"),
      try linted("dependency_cycle.dts", as: "c.dtb"),
      try linted("iommu_disabled.dts", as: "a.dtb"),
    ]
  }

  @Test func filesAreSortedAndCountedAndErrorsFail() throws {
    let result = LintResult(try Self.files(), policy: LintPolicy())
    #expect(result.files.map(\.path) == ["a.dtb", "b.dtb", "c.dtb"])
    let counts: [Int] = Severity.allCases.reversed().map { result.count($0) }
    #expect(counts == [1, 3, 1])
    #expect(result.failingCount == 1)
    #expect(result.exitCode == 1)
  }

  @Test func theFailLevelAndStrictDecideTheExitCode() throws {
    let files = try Self.files().filter { $0.path != "c.dtb" }
    #expect(LintResult(files, policy: LintPolicy()).exitCode == 0)
    #expect(LintResult(files, policy: LintPolicy(failOn: .warning)).exitCode == 1)
    #expect(LintResult(files, policy: LintPolicy(strict: true)).exitCode == 1)
    let strict = LintResult(files, policy: LintPolicy(strict: true))
    let counts: [Int] = [strict.count(Severity.error), strict.count(Severity.warning)]
    #expect(counts == [3, 0])
    let quiet = LintPolicy(
      failOn: .note, disable: [.code(.iommusTooManyArgs), .code(.iommuDisabled)])
    #expect(LintResult(files, policy: quiet).exitCode == 1)  // the note is still there
  }

  @Test func anUnreadableFileExitsTwoEvenWithErrorsElsewhere() throws {
    let broken = FileReport(path: "0.dtb", outcome: .unreadable("bad magic"))
    let result = LintResult(try Self.files() + [broken], policy: LintPolicy())
    #expect(result.files.first?.failure == "bad magic")
    #expect(result.unreadableCount == 1)
    #expect(result.exitCode == 2)
  }

  @Test func aBaselineOfTheSameRunAbsorbsEverything() throws {
    let first = LintResult(try Self.files(), policy: LintPolicy())
    let again = LintResult(
      try Self.files(), policy: LintPolicy(failOn: .note), baseline: first.baseline)
    #expect(again.reported.isEmpty)
    #expect(again.unchangedCount == 5)
    #expect(again.fixedCount == 0)
    #expect(again.exitCode == 0)
    #expect(again.files.allSatisfy { $0.findings.allSatisfy { $0.baselineState == .unchanged } })
  }

  @Test func aFindingBeyondTheRecordedCountIsNewAndOneGoneIsFixed() throws {
    var counts = LintResult(try Self.files(), policy: LintPolicy()).baseline.counts
    let twice = BaselineKey(
      file: "b.dtb", path: "/dma-controller@4000000", code: .iommusTooManyArgs)
    #expect(counts[twice] == 2)
    counts[twice] = 1
    let cycle = try #require(counts.keys.first { $0.code == .dependencyCycle })
    counts[cycle] = nil
    let gone = BaselineKey(file: "a.dtb", path: "/gone", code: .iommuDisabled)
    counts[gone] = 2
    // None of these is "fixed": the code is off, the file unreadable, or not checked.
    counts[BaselineKey(file: "a.dtb", path: "/x", code: .iommuMapOverlap)] = 1
    counts[BaselineKey(file: "d.dtb", path: "/x", code: .iommuDisabled)] = 1
    counts[BaselineKey(file: "e.dtb", path: "/x", code: .iommuDisabled)] = 1
    let files = try Self.files() + [FileReport(path: "e.dtb", outcome: .unreadable("gone"))]
    // A code this version does not know (a newer iommu-plan's) comes only from a file.
    let text = BaselineRenderer.render(Baseline(counts: counts)).replacingOccurrences(
      of: "\"findings\": [\n",
      with: "\"findings\": [\n"
        + #"    {"file": "a.dtb", "path": "/x", "code": "no_such_code", "count": 1},"# + "\n")
    #expect(text.contains("no_such_code"))
    let result = LintResult(
      files, policy: LintPolicy(disable: [.code(.iommuMapOverlap)]),
      baseline: try Baseline(parsing: Array(text.utf8)))
    #expect(
      result.reported.map { "\($0.file.path) \($0.finding.diagnostic.code.rawValue)" }
        == ["b.dtb iommus_too_many_args", "c.dtb dependency_cycle"])
    #expect(result.files.flatMap(\.fixed).map(\.key) == [gone])
    #expect(result.fixedCount == 2)
    #expect(result.unchangedCount == 3)
    #expect(result.exitCode == 2)
  }

  @Test func baselineKeysIgnorePhandleValuesAndNodeOrder() throws {
    // The same mistake with other phandle numbers and the nodes swapped.
    let first = """
      /dts-v1/;
      / {
        smmu: iommu@1 { compatible = "arm,mmu-500"; #iommu-cells = <1>; status = "disabled"; };
        dev@2 { iommus = <&smmu 0x10>; };
      };
      """
    let second = """
      /dts-v1/;
      / {
        dev@2 { iommus = <&smmu 0x10>; };
        pad { phandle = <1>; };
        smmu: iommu@1 { compatible = "arm,mmu-500"; #iommu-cells = <1>; status = "disabled";
          phandle = <0x77>; };
      };
      """
    func baseline(_ source: String) throws -> Baseline {
      let report = Report(tree: try Fixtures.tree(source: source), inputPath: "x.dtb")
      return LintResult([FileReport(path: "x.dtb", outcome: .report(report))], policy: LintPolicy())
        .baseline
    }
    #expect(try baseline(first) == (try baseline(second)))
    #expect(try baseline(first).counts.count == 1)
  }
}
