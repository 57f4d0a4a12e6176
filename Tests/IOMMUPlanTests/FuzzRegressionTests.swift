// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import TestSupport
import Testing

/// Every input in Tests/Fuzz/Regressions once crashed the fuzz target; each is
/// replayed here through what the target does (load, limits, report under
/// both kernel generations, both renderers) and must end in a one-line load
/// error or in output where every finding is one printable line. The bug
/// each one found has its own focused test, named in `bugs`.
@Suite struct FuzzRegressionTests {
  static let directory = Fixtures.root.appendingPathComponent("Tests/Fuzz/Regressions")

  /// Input file -> the focused test that pins the bug down.
  static let bugs: [String: String] = [
    "control-character-in-compatible": "HostileTreeTests.stringsFromTheBlobCannotBreakALine",
    "old-version-root-name-without-slash": "HostileBlobTests.anOldBlobWhoseRootNameIsNotAPath",
    "property-length-wraps-libfdt-offset": "HostileBlobTests.aPropertyLengthThatWrapsLibfdtsOffset",
  ]

  static var inputs: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
  }

  @Test func everyInputNamesItsBug() {
    #expect(Set(Self.inputs) == Set(Self.bugs.keys))
  }

  @Test(arguments: inputs)
  func replay(_ name: String) throws {
    let blob = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(name)))
    let tree: DeviceTree
    do {
      tree = try DeviceTree(blob: blob)
      try ReportLimits.check(tree)
    } catch {
      #expect(printable(error.reason) == error.reason)
      return
    }
    for kernel in [KernelVersion(6, 1), .newest] {
      let report = Report(tree: tree, inputPath: name, kernel: kernel)
      let lines = TextRenderer.render(report).split(separator: "\n")
      #expect(lines.allSatisfy { printable(String($0)) == String($0) })
      #expect(lines.filter { $0.hasPrefix("  \(name): ") }.count == report.diagnostics.count)
      let json = JSONRenderer.render(report)
      #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) is [String: Any])
    }
  }
}
