// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// Writes JSON as it goes, in the one layout every iommu-plan document has:
/// two-space indentation, one member or element per line, arrays of scalars
/// on one line (`[1856, 0]`), empty containers as `{}` and `[]`, and keys in
/// the order written (the contract's order, which `JSONEncoder` cannot
/// keep). Strings are escaped as RFC 8259 requires and nothing more: `/`
/// stays as is, non-ASCII stays UTF-8.
///
/// Nothing is held but the open containers, so a document of any size
/// streams through `output`.
struct JSONWriter {
  var output: TextOutput

  private struct Container {
    let isObject: Bool
    let inline: Bool
    var empty = true
  }

  private var open: [Container] = []
  /// The last long string that needed no escape: a document repeats its
  /// reasons (one String each), and each is scanned once.
  private var lastPlain = ""

  init(_ output: TextOutput) { self.output = output }

  /// Writes into `output` in place, without copying its buffer.
  static func write(to output: inout TextOutput, _ body: (inout JSONWriter) -> Void) {
    var writer = JSONWriter(TextOutput())
    swap(&writer.output, &output)
    body(&writer)
    swap(&writer.output, &output)
  }

  mutating func beginObject() {
    separate()
    output.write(byte: UInt8(ascii: "{"))
    open.append(Container(isObject: true, inline: false))
  }

  mutating func endObject() { close(UInt8(ascii: "}")) }

  /// `inline`: an array of scalars, on one line.
  mutating func beginArray(inline: Bool = false) {
    separate()
    output.write(byte: UInt8(ascii: "["))
    open.append(Container(isObject: false, inline: inline))
  }

  mutating func endArray() { close(UInt8(ascii: "]")) }

  mutating func key(_ name: StaticString) {
    startMember()
    output.write(byte: UInt8(ascii: "\""))
    output.write(name)
    output.write("\": " as StaticString)
  }

  /// A key from data (an object keyed by names it did not choose); a
  /// literal goes to `key(_:)`, which needs no escaping.
  mutating func key(data name: String) {
    startMember()
    writeString(name)
    output.write(": " as StaticString)
  }

  mutating func string(_ value: String) {
    separate()
    writeString(value)
  }

  /// A node's path, copied from the report's table without making a String
  /// when it needs no escape (nearly always).
  mutating func path(_ node: NodeID, _ nodes: NodeTable) {
    separate()
    let plain = nodes.withPathBytes(node) { path in
      guard path.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) else { return false }
      output.write(byte: UInt8(ascii: "\""))
      output.write(bytes: path)
      output.write(byte: UInt8(ascii: "\""))
      return true
    }
    if !plain { writeString(nodes.path(node)) }
  }

  mutating func string(_ value: String?) {
    if let value { string(value) } else { null() }
  }

  mutating func number(_ value: some BinaryInteger) {
    separate()
    output.write(decimal: value)
  }

  mutating func number(_ value: UInt32?) {
    if let value { number(value) } else { null() }
  }

  mutating func bool(_ value: Bool) {
    separate()
    output.write(value ? "true" : "false" as StaticString)
  }

  mutating func null() {
    separate()
    output.write("null" as StaticString)
  }

  /// `"key": [a, b]` for strings.
  mutating func strings(_ name: StaticString, _ values: some Sequence<String>) {
    key(name)
    beginArray(inline: true)
    for value in values { string(value) }
    endArray()
  }

  /// `"key": [1, 2]` for numbers.
  mutating func numbers(_ name: StaticString, _ values: some Sequence<UInt32>) {
    key(name)
    beginArray(inline: true)
    for value in values { number(value) }
    endArray()
  }

  /// Before a member of an object: the line break and indentation.
  private mutating func startMember() {
    guard let last = open.indices.last else { return }
    output.write(open[last].empty ? "\n" : ",\n" as StaticString)
    open[last].empty = false
    output.write(spaces: 2 * open.count)
  }

  /// Before a value: nothing after a key; in an array, the separator.
  private mutating func separate() {
    guard let last = open.indices.last, !open[last].isObject else { return }
    if open[last].inline {
      if !open[last].empty { output.write(", " as StaticString) }
    } else {
      output.write(open[last].empty ? "\n" : ",\n" as StaticString)
      output.write(spaces: 2 * open.count)
    }
    open[last].empty = false
  }

  private mutating func close(_ bracket: UInt8) {
    guard let container = open.popLast() else { return }
    if !container.empty && !container.inline {
      output.write(byte: UInt8(ascii: "\n"))
      output.write(spaces: 2 * open.count)
    }
    output.write(byte: bracket)
  }

  /// Nearly every string (paths, names, messages) needs no escape and is
  /// copied whole; the rest go scalar by scalar.
  private mutating func writeString(_ value: String) {
    output.write(byte: UInt8(ascii: "\""))
    var value = value
    let known = value.utf8.count >= 64 && value == lastPlain
    let plain = value.withUTF8 { bytes in
      guard known || !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
        return false
      }
      output.write(bytes: bytes)
      return true
    }
    if plain && !known && value.utf8.count >= 64 { lastPlain = value }
    if !plain {
      for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": output.write("\\\"" as StaticString)
        case "\\": output.write("\\\\" as StaticString)
        case "\n": output.write("\\n" as StaticString)
        case "\r": output.write("\\r" as StaticString)
        case "\t": output.write("\\t" as StaticString)
        case _ where scalar.value < 0x20:
          let digits = String(scalar.value, radix: 16)
          output.write("\\u" + String(repeating: "0", count: 4 - digits.count) + digits)
        default: output.write(String(scalar))
        }
      }
    }
    output.write(byte: UInt8(ascii: "\""))
  }
}
