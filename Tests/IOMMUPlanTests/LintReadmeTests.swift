import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// The README's "Linting in CI" section shows real output: the lint run over
/// dts-samples, the SDM845 diff and the corpus counts are the files the
/// tests check, not hand-edited text.
@Suite struct LintReadmeTests {
  static let readme =
    (try? String(
      contentsOf: Fixtures.root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

  static func file(_ relative: String) throws -> String {
    try String(contentsOf: Fixtures.root.appendingPathComponent(relative), encoding: .utf8)
  }

  @Test func theSectionSitsJustBeforeLayout() {
    #expect(Self.readme.contains("\n## Linting in CI\n"))
    let headings = Self.readme.split(separator: "\n").filter { $0.hasPrefix("## ") }
    let index = headings.firstIndex(of: "## Linting in CI")
    #expect(index.map { headings[$0 + 1] } == "## Layout")
  }

  @Test func theLintExampleIsTheRealOutputOverTheSamples() throws {
    let names = try Fixtures.sampleNames()
    let linted = Linter.run(names.map { Fixtures.samples.appendingPathComponent($0).path })
    let named = zip(names, linted).map { name, file in
      FileReport(path: "dts-samples/" + name, kernel: file.kernel, outcome: file.outcome)
    }
    let result = LintResult(named, policy: LintPolicy())
    let block =
      "```\n$ iommu-plan lint dts-samples\n\(LintTextRenderer.render(result))$ echo $?\n"
      + "\(result.exitCode)\n```"
    #expect(Self.readme.contains(block), "README lacks:\n\(block)")
  }

  @Test func theDiffExampleIsTheCorpusGolden() throws {
    let golden = try Self.file("Tests/Corpus/diff-sdm845-mtp-db845c.golden")
    #expect(
      Self.readme.contains(
        "```\n$ iommu-plan diff qcom/sdm845-mtp.dtb qcom/sdm845-db845c.dtb\n\(golden)```"))
  }

  @Test func theCorpusCountsAreTheGolden() throws {
    let golden = try Self.file("Tests/Corpus/lint-counts.golden")
    #expect(Self.readme.contains("```\n\(golden)```"))
  }

  @Test func theAnnotationExampleIsTheGolden() throws {
    let lines = try Self.file("Tests/IOMMUPlanTests/Golden/lint.github").split(separator: "\n")
    for line in lines where line.hasPrefix("::") && Self.readme.contains(line.prefix(30)) {
      #expect(Self.readme.contains(line))
    }
    #expect(lines.filter { Self.readme.contains($0) && $0.hasPrefix("::") }.count >= 2)
  }
}
