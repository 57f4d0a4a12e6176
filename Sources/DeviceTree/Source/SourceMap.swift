// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The source position of every node and property of a tree compiled from
/// source, read from dtc's annotated output (`-O dts -T -T`), which follows
/// cpp's line markers into the `.dtsi` or header where each one is written.
///
/// dtc writes nodes in the order it writes them to a blob (pre-order), so
/// the n-th node of the annotated text is `NodeID(n)` of the tree compiled
/// from the same source. Each node's name is checked against the tree as it
/// is read: a text that disagrees (another dtc, another source) gives no map
/// at all rather than positions on the wrong nodes.
///
/// A node extended through a label has one position per place it is
/// written; the first is where it is defined, and is the one kept, as dtc's
/// own messages give it. A property keeps the position of its last
/// assignment, the one in effect, as dtc keeps it.
public struct SourceMap: Sendable {
  private var nodes: [SourcePosition?]
  private var properties: [NodeID: [String: SourcePosition]]

  init(nodes: [SourcePosition?], properties: [NodeID: [String: SourcePosition]]) {
    self.nodes = nodes
    self.properties = properties
  }

  /// Every property position of a node, by name.
  func propertyPositions(of node: NodeID) -> [String: SourcePosition] { properties[node] ?? [:] }

  public func position(of node: NodeID) -> SourcePosition? {
    node.rawValue < nodes.count ? nodes[node.rawValue] : nil
  }

  public func position(of property: String, in node: NodeID) -> SourcePosition? {
    properties[node]?[property]
  }

  /// Reads `text`, dtc's annotated output for `tree`; `file` turns each file
  /// name of an annotation into the one to report (or keeps it). Nil when the
  /// text does not describe the tree.
  public init?(annotated text: [UInt8], tree: DeviceTree, file: (String) -> String = { $0 }) {
    nodes = Array(repeating: nil, count: tree.nodes.count)
    properties = [:]
    var files: [Substring: String] = [:]
    func position(_ annotation: Substring) -> SourcePosition? {
      guard let parsed = Self.parse(annotation) else { return nil }
      let name: String
      if let known = files[parsed.file] {
        name = known
      } else {
        name = file(String(parsed.file))
        files[parsed.file] = name
      }
      return SourcePosition(
        file: name, line: parsed.line, column: parsed.column, endLine: parsed.endLine,
        endColumn: parsed.endColumn)
    }
    var stack: [NodeID] = []
    var next = 0
    var inBody = false
    for rawLine in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
      let line = Substring(decoding: rawLine, as: UTF8.self).drop { $0 == "\t" || $0 == " " }
      if !inBody {
        // Header lines (`/dts-v1/;`, `/plugin/;`, `/memreserve/ ...;`) come
        // before the root.
        guard line.hasPrefix("/ {") else { continue }
        inBody = true
      }
      if line.hasPrefix("};") {
        guard stack.popLast() != nil else { return nil }
        continue
      }
      let (statement, annotation) = Self.split(line)
      let words = Self.droppingLabels(statement)
      if words.hasSuffix(" {") {
        let name = words.dropLast(2)
        guard next < nodes.count else { return nil }
        let id = NodeID(next)
        let expected = next == 0 ? "/" : tree.name(of: id)
        guard name == expected, tree.parent(of: id) == stack.last else { return nil }
        nodes[next] = annotation.flatMap(position)
        stack.append(id)
        next += 1
      } else if let node = stack.last, let annotation {
        let end = words.firstIndex { $0 == " " || $0 == ";" } ?? words.endIndex
        if let found = position(annotation) {
          properties[node, default: [:]][String(words[..<end])] = found
        }
      }
    }
    guard stack.isEmpty, next == nodes.count else { return nil }
  }

  /// A line without its trailing `/* annotation */`, and the annotation's
  /// first position (the text before the first `, `). Values come before
  /// the annotation, so the last ` /* ` on the line is its start.
  private static func split(_ line: Substring) -> (Substring, Substring?) {
    guard line.hasSuffix(" */"), let start = line.ranges(of: " /* ").last else {
      return (line, nil)
    }
    let inside = line[start.upperBound..<line.index(line.endIndex, offsetBy: -3)]
    let first = inside.firstRange(of: ", ").map { inside[..<$0.lowerBound] } ?? inside
    return (line[..<start.lowerBound], first)
  }

  /// `label: other: name ...` -> `name ...`. Names of nodes and properties
  /// cannot hold a colon; labels end with one.
  private static func droppingLabels(_ statement: Substring) -> Substring {
    var rest = statement
    while let space = rest.firstIndex(of: " "), space > rest.startIndex,
      rest[rest.index(before: space)] == ":"
    {
      rest = rest[rest.index(after: space)...]
    }
    return rest
  }

  /// `file:1:2-3:4` (dtc's `srcpos_string_comment`). The file name may hold
  /// colons of its own, so the numbers are read from the end.
  static func parse(_ text: Substring)
    -> (file: Substring, line: Int, column: Int, endLine: Int, endColumn: Int)?
  {
    guard let dash = text.lastIndex(of: "-") else { return nil }
    let end = text[text.index(after: dash)...].split(separator: ":")
    let head = text[..<dash]
    guard end.count == 2, let endLine = Int(end[0]), let endColumn = Int(end[1]),
      let secondColon = head.lastIndex(of: ":"),
      let column = Int(head[head.index(after: secondColon)...])
    else { return nil }
    let fileAndLine = head[..<secondColon]
    guard let firstColon = fileAndLine.lastIndex(of: ":"),
      let line = Int(fileAndLine[fileAndLine.index(after: firstColon)...])
    else { return nil }
    return (fileAndLine[..<firstColon], line, column, endLine, endColumn)
  }
}

extension SourceMap {
  /// dtc's annotated output, held until the tree it describes is parsed.
  struct Text {
    let bytes: [UInt8]
    /// The preprocessor's input and the name the user gave it.
    let scratchFile: String
    let name: String
  }

  init?(_ text: Text, tree: DeviceTree) {
    let names = SourceFileName(input: text.scratchFile, name: text.name)
    self.init(annotated: text.bytes, tree: tree, file: names.callAsFunction)
  }
}
