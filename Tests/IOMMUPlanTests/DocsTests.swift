// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import Foundation
import IOMMUPlan
import TestSupport
import Testing

/// The user documentation: README.md and the Markdown files in docs/.
enum Docs {
  static func text(_ relative: String) -> String {
    (try? String(contentsOf: Fixtures.root.appendingPathComponent(relative), encoding: .utf8))
      ?? ""
  }

  /// README.md and every docs/*.md, as paths relative to the repository.
  static var files: [String] {
    let names =
      (try? FileManager.default.contentsOfDirectory(
        atPath: Fixtures.root.appendingPathComponent("docs").path)) ?? []
    return ["README.md"] + names.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
  }

  /// The lines of a Markdown text outside fenced code blocks.
  static func prose(_ text: String) -> [Substring] {
    var inFence = false
    var lines: [Substring] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("```") {
        inFence.toggle()
      } else if !inFence {
        lines.append(line)
      }
    }
    return lines
  }

  /// The targets of the inline links `[text](target)` outside code blocks.
  static func links(_ text: String) -> [String] {
    var targets: [String] = []
    for line in prose(text) {
      var rest = line[...]
      while let open = rest.range(of: "](") {
        let after = rest[open.upperBound...]
        guard let close = after.firstIndex(of: ")") else { break }
        targets.append(String(after[..<close]))
        rest = after[after.index(after: close)...]
      }
    }
    return targets
  }

  /// The anchors GitHub gives a file's headings: lower case, punctuation
  /// other than `-` and `_` dropped, spaces as `-`, repeats numbered.
  static func anchors(_ text: String) -> Set<String> {
    var seen: [String: Int] = [:]
    var result: Set<String> = []
    for line in prose(text) where line.hasPrefix("#") {
      let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
      let slug = String(
        title.lowercased().compactMap { character -> Character? in
          if character == " " { return "-" }
          let kept = character.isLetter || character.isNumber || character == "-"
          return kept || character == "_" ? character : nil
        })
      let count = seen[slug, default: 0]
      seen[slug] = count + 1
      result.insert(count == 0 ? slug : "\(slug)-\(count)")
    }
    return result
  }
}

/// docs/diagnostics.md is the user's reference for the finding codes: it
/// must list every code with its default severity, summary and remedy, and
/// nothing else.
@Suite struct DiagnosticsDocsTests {
  static let page = Docs.text("docs/diagnostics.md")

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
    #expect(Self.page.contains(Self.row(code)), "docs/diagnostics.md lacks: \(Self.row(code))")
  }

  @Test func theTableListsNoOtherCode() {
    let section =
      Self.page.components(separatedBy: "\n## The codes\n").dropFirst().first?
      .components(separatedBy: "\n## ").first ?? ""
    let listed = section.split(separator: "\n").filter { $0.hasPrefix("| `") }
      .compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) }
    #expect(Set(listed) == Set(DiagnosticCode.allCases.map(\.rawValue)))
    #expect(listed.count == DiagnosticCode.allCases.count, "a code is listed twice")
  }
}

/// docs/usage.md shows `make demo`'s run: it must be the reviewed golden.
@Suite struct UsageDocsTests {
  @Test func theDemoOutputIsTheGoldenFile() throws {
    let golden = try String(
      contentsOf: Fixtures.root.appendingPathComponent(
        "Tests/IOMMUPlanTests/Golden/qcom-sdm845-like.txt"), encoding: .utf8)
    let block =
      "```\n$ .build/debug/iommu-plan .build/samples/qcom-sdm845-like.dtb\n\(golden)```"
    #expect(Docs.text("docs/usage.md").contains(block), "docs/usage.md lacks:\n\(block)")
  }
}

/// README.md and docs/ must read the same in a fresh clone: every link
/// stays inside the repository and reaches a file (and heading) that
/// exists, and no path of a developer's machine or a team-only file is
/// named.
@Suite struct SelfContainedDocsTests {
  static let forbidden = [
    "shared/spec", "kernel-semantics", "/home/", "/root/", "/tmp/", "/work/", "/Users/",
  ]

  @Test func theDocsAreThere() {
    #expect(Docs.files.count > 1)
    for file in Docs.files { #expect(!Docs.text(file).isEmpty, "\(file) is empty") }
  }

  @Test(arguments: Docs.files)
  func namesNothingOutsideTheRepository(file: String) {
    let text = Docs.text(file)
    for needle in Self.forbidden {
      #expect(!text.contains(needle), "\(file) names \(needle)")
    }
    // docs/ may link ../README.md; nothing may climb out of the repository.
    #expect(!text.contains(file.contains("/") ? "../../" : "../"), "\(file) climbs out")
    #expect(
      text.range(of: #"\b[Ii]ssues? #?[0-9]+"#, options: .regularExpression) == nil,
      "\(file) names an internal issue number")
  }

  @Test(arguments: Docs.files)
  func everyRelativeLinkResolves(file: String) {
    let root = Fixtures.root.standardizedFileURL
    let directory = root.appendingPathComponent(file).deletingLastPathComponent()
    for link in Docs.links(Docs.text(file)) {
      if link.contains("://") || link.hasPrefix("mailto:") { continue }
      #expect(!link.hasPrefix("/"), "\(file): \(link) is an absolute path")
      let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
      let path = String(parts[0])
      let target =
        path.isEmpty
        ? root.appendingPathComponent(file)
        : directory.appendingPathComponent(path).standardizedFileURL
      guard target.path.hasPrefix(root.path + "/") else {
        Issue.record("\(file): \(link) leads outside the repository")
        continue
      }
      guard FileManager.default.fileExists(atPath: target.path) else {
        Issue.record("\(file): \(link) names no file in the repository")
        continue
      }
      if parts.count == 2, target.pathExtension == "md" {
        let text = (try? String(contentsOf: target, encoding: .utf8)) ?? ""
        #expect(
          Docs.anchors(text).contains(String(parts[1])),
          "\(file): \(link) names no heading of \(target.lastPathComponent)")
      }
    }
  }

  /// The README's Documentation section links every file in docs/.
  @Test func theReadmeLinksEveryDocsFile() {
    let links = Set(
      Docs.links(Docs.text("README.md")).map {
        $0.split(separator: "#", omittingEmptySubsequences: false)[0]
      })
    for file in Docs.files where file != "README.md" {
      #expect(links.contains(Substring(file)), "README.md does not link \(file)")
    }
  }

  /// The README keeps the order a new reader needs.
  @Test func theReadmeSectionsAreInOrder() {
    let headings = Docs.text("README.md").split(separator: "\n").filter { $0.hasPrefix("## ") }
    #expect(
      headings == [
        "## Install", "## Two commands", "## Usage", "## From kernel sources", "## On the target",
        "## Per PCI device", "## Checking a booted system", "## Performance", "## Documentation",
        "## Layout", "## Testing",
      ])
  }
}
