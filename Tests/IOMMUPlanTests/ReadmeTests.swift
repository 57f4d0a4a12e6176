import Foundation
import IOMMUPlan
import TestSupport
import Testing

/// The README's diagnostic table is the user's reference: it must list every
/// code with its default severity, summary and remedy, and nothing else.
@Suite struct ReadmeTests {
  static let readme =
    (try? String(
      contentsOf: Fixtures.root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

  static func row(_ code: DiagnosticCode) -> String {
    "| `\(code.rawValue)` | \(code.defaultSeverity.rawValue) | \(code.summary) | \(code.remedy) |"
  }

  /// A remedy is one table cell: a single line, no pipe, not empty.
  @Test(arguments: DiagnosticCode.allCases)
  func everyRemedyFitsOneCell(code: DiagnosticCode) {
    #expect(!code.remedy.isEmpty)
    #expect(!code.remedy.contains("|") && !code.remedy.contains("\n"), "\(code.rawValue)")
  }

  @Test(arguments: DiagnosticCode.allCases)
  func everyCodeHasItsRow(code: DiagnosticCode) {
    #expect(Self.readme.contains(Self.row(code)), "README lacks: \(Self.row(code))")
  }

  /// The README's sample run is the real output: the reviewed golden file.
  @Test func theDemoOutputIsTheGoldenFile() throws {
    let golden = try String(
      contentsOf: Fixtures.root.appendingPathComponent(
        "Tests/IOMMUPlanTests/Golden/qcom-sdm845-like.txt"), encoding: .utf8)
    #expect(
      Self.readme.contains(
        "```\n$ .build/debug/iommu-plan .build/samples/qcom-sdm845-like.dtb\n\(golden)```"))
  }

  @Test func theTableListsNoOtherCode() {
    let section =
      Self.readme.components(separatedBy: "\n## Diagnostics\n").last?
      .components(separatedBy: "\n## ").first ?? ""
    let listed = section.split(separator: "\n").filter { $0.hasPrefix("| `") }
      .compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) }
    #expect(Set(listed) == Set(DiagnosticCode.allCases.map(\.rawValue)))
  }
}
