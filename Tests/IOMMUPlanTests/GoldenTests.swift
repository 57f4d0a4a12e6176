// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// The text and JSON of every sample board, compared byte for byte with the
/// reviewed files in Golden/. `make golden` re-records them (and fails).
@Suite struct GoldenTests {
  static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Golden")

  static let samples: [String] = (try? Fixtures.sampleNames()) ?? []

  static func report(_ sample: String) throws -> Report {
    let name = String(sample.dropLast(".dts".count))
    let tree = try DeviceTree(
      blob: Fixtures.blob(dts: Fixtures.samples.appendingPathComponent(sample)))
    return Report(tree: tree, inputPath: ".build/samples/\(name).dtb")
  }

  @Test func thereAreAtLeastSixSamples() {
    #expect(Self.samples.count >= 6)
  }

  @Test(arguments: samples)
  func text(sample: String) throws {
    let output = TextRenderer.render(try Self.report(sample))
    let file = Self.golden.appendingPathComponent(
      sample.replacingOccurrences(of: ".dts", with: ".txt"))
    if let difference = Golden.compare(output, file: file) { Issue.record("\(difference)") }
  }

  /// The document as `report` streams it (through a sink that takes it in
  /// pieces) is the reviewed golden, and the same bytes on every rendering;
  /// as an element of a several-file array it is that document, indented one
  /// level, and nothing else.
  @Test(arguments: samples)
  func streamedJSONIsTheGoldenDocument(sample: String) throws {
    let report = try Self.report(sample)
    var streamed: [UInt8] = []
    var output = TextOutput(flushingTo: { bytes in
      streamed += bytes
      bytes.removeAll(keepingCapacity: true)
    })
    JSONRenderer.render(report, to: &output)
    output.flush()
    let document = String(decoding: streamed, as: UTF8.self)
    let file = Self.golden.appendingPathComponent(
      sample.replacingOccurrences(of: ".dts", with: ".json"))
    if let difference = Golden.compare(document, file: file) { Issue.record("\(difference)") }
    #expect(JSONRenderer.render(report) == document)
    #expect(JSONRenderer.render(report) == JSONRenderer.render(report))
    let element = document.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
      .map { "  " + $0 }.joined(separator: "\n")
    #expect(
      JSONRenderer.render([FileReport(report), FileReport(report)])
        == "[\n\(element),\n\(element)\n]\n")
  }

  @Test(arguments: samples)
  func json(sample: String) throws {
    let output = JSONRenderer.render(try Self.report(sample))
    let file = Self.golden.appendingPathComponent(
      sample.replacingOccurrences(of: ".dts", with: ".json"))
    if let difference = Golden.compare(output, file: file) { Issue.record("\(difference)") }
    // The golden must also be valid JSON with the contract's top-level keys.
    let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
    #expect(object?["schema_version"] as? Int == 1)
    let plan = object?["plan"] as? [String: Any]
    #expect(plan?["assumptions"] is [String: Any])
    #expect(plan?["consumers"] is [Any])
    #expect(plan?["load_order"] is [Any])
    let keys = Set(object.map { Array($0.keys) } ?? [])
    #expect(keys.isSuperset(of: ["input", "iommus", "links", "diagnostics"]))
  }

  @Test(arguments: samples)
  func graphs(sample: String) throws {
    let report = try Self.report(sample)
    let name = sample.replacingOccurrences(of: ".dts", with: "")
    for (output, ext) in [
      (DOTRenderer.render(report), "dot"), (MermaidRenderer.render(report), "mmd"),
      (ModulesLoadRenderer.render(report), "modules.load"),
    ] {
      let file = Self.golden.appendingPathComponent("\(name).\(ext)")
      if let difference = Golden.compare(output, file: file) { Issue.record("\(difference)") }
    }
  }

  /// The DOT must be something Graphviz accepts (make test installs it).
  @Test(arguments: samples)
  func dotRendersWithGraphviz(sample: String) throws {
    let directory = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("graph.dot")
    try DOTRenderer.render(try Self.report(sample)).write(
      to: file, atomically: true, encoding: .utf8)
    let result = try Fixtures.run(
      "dot", ["-Tsvg", "-o", directory.appendingPathComponent("g.svg").path, file.path])
    #expect(result.status == 0, "dot -Tsvg failed (is graphviz installed?): \(result.stderr)")
  }

  @Test(arguments: samples)
  func outputIsDeterministic(sample: String) throws {
    let first = try Self.report(sample)
    let second = try Self.report(sample)
    #expect(TextRenderer.render(first) == TextRenderer.render(second))
    #expect(
      JSONRenderer.render(first) == JSONRenderer.render(second))
  }

  @Test func onlyTheBrokenBoardHasErrors() throws {
    for sample in Self.samples {
      let report = try Self.report(sample)
      let errors = report.diagnostics.filter { $0.severity == .error }
      if sample.contains("broken") {
        #expect(errors.count >= 10, "\(sample)")
      } else {
        #expect(errors.isEmpty, "\(sample): \(errors.map(\.message))")
      }
    }
  }
}
