// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers
import Synchronization
import TestSupport
import Testing

/// Loading and analysing many files at once: one result per input, in input
/// order, whatever the number of threads.
@Suite struct LinterTests {
  @Test func resultsFollowTheInputOrderAtAnyWidth() throws {
    let scratch = try Fixtures.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    var files: [String] = []
    for sample in try Fixtures.sampleNames() {
      let blob = try Fixtures.blob(dts: Fixtures.samples.appendingPathComponent(sample))
      for copy in 0..<4 {
        let path = scratch.appendingPathComponent("\(copy)-\(sample).dtb").path
        try Data(blob).write(to: URL(fileURLWithPath: path))
        files.append(path)
      }
    }
    files.insert(scratch.appendingPathComponent("missing.dtb").path, at: 5)
    let serial = Linter.run(files, width: 1)
    let finished = Atomic<Int>(0)
    let parallel = Linter.run(files, width: 8) { _ in finished.add(1, ordering: .relaxed) }
    #expect(serial.map(\.path) == files)
    #expect(parallel.map(\.path) == files)
    #expect(finished.load(ordering: .relaxed) == files.count)
    #expect(parallel[5].failure == "no such file")
    let render = { (linted: [FileReport]) in
      JSONRenderer.render(linted.compactMap(\.report).map(FileReport.init))
    }
    #expect(render(serial) == render(parallel))
  }

  @Test func sourcesAreCompiledAndNothingIsAnEmptyList() {
    #expect(Linter.run([]).isEmpty)
    let source = Fixtures.samples.appendingPathComponent("server-smmuv3.dts").path
    let linted = Linter.run([source])
    #expect(linted.first?.report?.links.isEmpty == false)
  }
}
