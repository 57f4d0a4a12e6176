import DeviceTree
import Foundation
import IOMMUPlan
import TestSupport
import Testing

/// The planner's fixtures (`Fixtures/plan-*.dts`): each says on its first lines what the kernel
/// does with it and carries the `// build:` line it is planned for. A test may plan the same tree
/// for another build by giving other build tokens, which replace the fixture's line.
enum PlanFixture {
  /// Every planner fixture, by file name.
  static func all() throws -> [String] {
    let directory = Fixtures.url("plan-translated.dts").deletingLastPathComponent()
    return try FileManager.default.contentsOfDirectory(atPath: directory.path)
      .filter { $0.hasPrefix("plan-") && $0.hasSuffix(".dts") }.sorted()
  }

  /// The fixture's text, its `// build:` line replaced by `tokens` unless they are nil.
  static func source(_ name: String, build tokens: String? = nil) throws -> String {
    let text = try String(contentsOf: Fixtures.url(name), encoding: .utf8)
    guard let tokens else { return text }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.hasPrefix("// build: ") }
    return (["// build: \(tokens)"] + lines).joined(separator: "\n")
  }

  /// The tokens of the fixture's own `// build:` line ("" when it has none).
  static func buildLine(_ name: String) throws -> String {
    let marker = "// build: "
    let line = try source(name).split(separator: "\n").first { $0.hasPrefix(marker) }
    return line.map { String($0.dropFirst(marker.count)) } ?? ""
  }

  /// The tree, the build and the report, for `explain` and the renderers.
  static func plan(_ name: String, build tokens: String? = nil, kernel: KernelVersion = .newest)
    throws -> (tree: DeviceTree, build: KernelBuild, report: Report)
  {
    let (build, request) = FixtureBuild.parse(try source(name, build: tokens), kernel: kernel)
    let tree = try DeviceTree(blob: Fixtures.blob(dts: Fixtures.url(name)))
    return (tree, build, Report(tree: tree, inputPath: name, build: build, request: request))
  }

  static func report(_ name: String, build tokens: String? = nil, kernel: KernelVersion = .newest)
    throws -> Report
  {
    try plan(name, build: tokens, kernel: kernel).report
  }

  /// The plan's consumer for `device` through `property`.
  static func consumer(
    _ report: Report, _ device: String, _ property: LinkProperty = .iommus,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Plan.Consumer {
    try #require(
      report.plan.consumers.first { $0.device == device && $0.property == property },
      "no \(property.rawValue) consumer \(device) among \(report.plan.consumers.map(\.device))",
      sourceLocation: sourceLocation)
  }

  /// `waits_for` as "IOMMU module" lines.
  static func waits(_ consumer: Plan.Consumer) -> [String] {
    consumer.waitsFor.map { "\($0.iommu) \($0.module ?? "-")" }
  }

  /// Findings with `code`, as "path:property" (`-` for none).
  static func findings(_ report: Report, _ code: DiagnosticCode) -> [String] {
    report.diagnostics.filter { $0.code == code }.map { "\($0.path ?? "-"):\($0.property ?? "-")" }
  }

  static func messages(_ report: Report, _ code: DiagnosticCode) -> [String] {
    report.diagnostics.filter { $0.code == code }.map(\.message)
  }

  static func modules(_ loads: [Plan.ModuleLoad]?) -> [String] {
    (loads ?? []).map(\.module)
  }

  /// Every module's `needs` that are in `loads` come before it.
  static func needsComeFirst(_ loads: [Plan.ModuleLoad]) -> Bool {
    let position = Dictionary(
      loads.enumerated().map { ($0.element.module, $0.offset) }, uniquingKeysWith: { a, _ in a })
    return loads.enumerated().allSatisfy { index, load in
      load.needs.allSatisfy { (position[$0] ?? -1) < index }
    }
  }
}
