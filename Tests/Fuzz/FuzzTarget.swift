// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import Renderers

// Implementation notes
//
// The libFuzzer entry point: one input is one blob, taken through everything
// the command does with a file (load, limits, every binding, the system
// checks, both renderers, under both kernel generations) plus the phandle
// API the bindings are built on. Besides "no trap, no sanitizer report", it
// checks what a user relies on: a load error is one line, JSON output
// parses, and no finding or header line can be split or forged by control
// characters in the blob. A broken invariant is a `fatalError`, which
// libFuzzer records as a crash like any other.
//
// Built by `make fuzz` with `swiftc -sanitize=fuzzer,address` (not by
// SwiftPM); FDTMutator.swift supplies the structure-aware mutator.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let blob = data.map { [UInt8](UnsafeBufferPointer(start: $0, count: size)) } ?? []
  FuzzTarget.run(blob)
  return 0
}

enum FuzzTarget {
  static let kernels = [KernelVersion(6, 1), KernelVersion.newest]

  /// A few trees of a container are enough to reach every path through
  /// the reports; the container's own checks run over all of it.
  static let treesPerContainer = 4

  static func run(_ input: [UInt8]) {
    let kind = TreeContainer.kind(of: input)
    let whole =
      input.count >= 8
      && Int(
        UInt32(input[4]) << 24 | UInt32(input[5]) << 16
          | UInt32(input[6]) << 8 | UInt32(input[7])) >= input.count
    guard kind == .tableImage || (kind == .blob && !whole) else { return runTree(input) }
    let trees: [ContainedTree]
    do {
      trees = try TreeContainer.split(input, file: "fuzz.img", limits: .standard)
    } catch {
      expectOneLine(error.reason, "container error")
      return
    }
    for tree in trees.prefix(treesPerContainer) { runTree(tree.blob) }
  }

  static func runTree(_ blob: [UInt8]) {
    let tree: DeviceTree
    do {
      tree = try DeviceTree(blob: blob)
    } catch {
      expectOneLine(error.reason, "load error")
      return
    }
    do {
      try ReportLimits.check(tree)
    } catch {
      expectOneLine(error.reason, "limit error")
      return
    }
    exercisePhandleAPI(tree)
    for kernel in kernels {
      let report = Report(tree: tree, inputPath: "fuzz.dtb", kernel: kernel)
      checkText(report)
      // Parsing the JSON back is the costliest check; once per input will do.
      if kernel == .newest {
        checkJSON(report)
      } else {
        _ = JSONRenderer.render(report)
      }
    }
  }

  /// The kernel's own helpers on every list the bindings read, with the
  /// fallbacks the bindings never use.
  static func exercisePhandleAPI(_ tree: DeviceTree) {
    let lists = [("iommus", "#iommu-cells"), ("mmu-masters", "#stream-id-cells")]
    for node in tree.nodes.prefix(256) {
      for (list, cells) in lists where node.property(list) != nil {
        _ = try? tree.countPhandles(node: node.id, listName: list, cellsName: cells)
        _ = try? tree.countPhandles(node: node.id, listName: list, cellsName: nil)
        for index in [0, 1, 17] {
          _ = try? tree.parsePhandle(
            node: node.id, listName: list, cellsName: cells, cellCount: -1, index: index)
          _ = try? tree.parsePhandle(
            node: node.id, listName: list, cellsName: nil, cellCount: 1, index: index)
          _ = try? tree.parsePhandle(
            node: node.id, listName: list, cellsName: cells, cellCount: 0, index: index)
        }
      }
    }
  }

  /// Every line printable, and exactly one line per finding: a hostile
  /// name or string cannot split a finding or forge one. One pass over the
  /// UTF-8, as this runs for every input.
  static func checkText(_ report: Report) {
    let bytes = Array(TextRenderer.render(report).utf8)
    let marker = Array("\n  fuzz.dtb: ".utf8)
    var findings = 0
    for (index, byte) in bytes.enumerated() {
      let next = index + 1 < bytes.count ? bytes[index + 1] : 0
      let third = index + 2 < bytes.count ? bytes[index + 2] : 0
      let control =
        (byte < 0x20 && byte != 0x0a) || byte == 0x7f || (byte == 0xc2 && next < 0xa0)
        || (byte == 0xe2 && next == 0x80 && (third == 0xa8 || third == 0xa9))
      if control {
        fatalError("invariant: a control character at byte \(index) of the text report")
      }
      if byte == 0x0a && bytes[index...].starts(with: marker) { findings += 1 }
    }
    expect(findings == report.diagnostics.count, "\(findings) finding lines, not the report's")
    expect(bytes.last == 0x0a, "text ends without a newline")
  }

  static func checkJSON(_ report: Report) {
    let json = JSONRenderer.render(report)
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    else {
      fatalError("invariant: JSON output does not parse")
    }
    let links = object["links"] as? [Any]
    expect(links?.count == report.links.count, "JSON links differ from the report")
  }

  static func expectOneLine(_ text: String, _ what: String) {
    if text.unicodeScalars.contains(where: isControl) {
      fatalError("invariant: \(what) is not one printable line: \(text.debugDescription)")
    }
  }

  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value)
      || scalar == "\u{2028}" || scalar == "\u{2029}"
  }

  static func expect(_ condition: Bool, _ message: @autoclosure () -> String = "") {
    if !condition { fatalError("invariant: \(message())") }
  }
}
