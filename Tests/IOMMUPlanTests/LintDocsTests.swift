// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// docs/lint.md shows real output: the lint run over dts-samples, the
/// SDM845 diff and the corpus counts are the files the tests check, not
/// hand-edited text.
@Suite struct LintDocsTests {
  static let page = Docs.text("docs/lint.md")

  static func file(_ relative: String) throws -> String {
    try String(contentsOf: Fixtures.root.appendingPathComponent(relative), encoding: .utf8)
  }

  @Test func thePageHasItsSections() {
    let headings = Self.page.split(separator: "\n").filter { $0.hasPrefix("## ") }
    #expect(
      headings == [
        "## Running `lint`", "## Formats", "## Baseline", "## A GitHub Actions workflow",
        "## A kernel tree", "## What changed: `iommu-plan diff`", "## Over Debian's 576 arm64 DTBs",
      ])
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
    #expect(Self.page.contains(block), "docs/lint.md lacks:\n\(block)")
  }

  /// The corpus golden is what `make lint-test` compares `diff` against.
  @Test func theDiffExampleIsTheCorpusGolden() throws {
    let golden = try Self.file("Tests/Corpus/diff-sdm845-mtp-db845c.golden")
    let block = "```\n$ iommu-plan diff qcom/sdm845-mtp.dtb qcom/sdm845-db845c.dtb\n\(golden)```"
    #expect(Self.page.contains(block), "docs/lint.md lacks:\n\(block)")
  }

  @Test func theCorpusCountsAreTheGolden() throws {
    let golden = try Self.file("Tests/Corpus/lint-counts.golden")
    #expect(Self.page.contains("```\n\(golden)```"), "docs/lint.md lacks:\n\(golden)")
  }

  @Test func theAnnotationExampleIsTheGolden() throws {
    let lines = try Self.file("Tests/IOMMUPlanTests/Golden/lint.github").split(separator: "\n")
    for line in lines where line.hasPrefix("::") && Self.page.contains(line.prefix(30)) {
      #expect(Self.page.contains(line))
    }
    #expect(lines.filter { Self.page.contains($0) && $0.hasPrefix("::") }.count >= 2)
  }
}
