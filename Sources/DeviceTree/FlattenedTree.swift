internal import CLibFDT

// Implementation notes
//
// This file is the only place that touches libfdt. The header is checked in
// Swift first (BlobHeader), the blob is copied into an 8-byte-aligned buffer
// (libfdt refuses anything else with FDT_ERR_ALIGNMENT), validated with
// `fdt_check_full` before any other call, and its token stream is walked
// once, iteratively, with `fdt_next_tag`; every name and value is copied out
// into Swift values. No pointer outlives `flatten`; the buffer is freed
// before it returns.
//
// libfdt 1.6.1's `fdt_check_full` lets through trees that the kernel reads
// differently or not at all: no root (FDT_END first), a property outside any
// node or after a subnode (libfdt's property iterator and the kernel never
// see it), an empty node name, a name with a '/' (two paths would look
// alike). The walk refuses each with its own message; it also refuses a
// second or named root, which this libfdt already does, because everything
// after it relies on one root at index 0. It enforces the kernel's depth
// limit and the node and path limits of `LoadLimits` as it goes, so nothing
// is built for a blob that is refused. When libfdt refuses a blob,
// StructureDiagnosis says where.

enum FlattenedTree {
  struct RawNode {
    var name: String
    var depth: Int
    var properties: [Property]
  }

  /// Token values from fdt.h (Swift imports them as Int32 macros).
  private static let beginNode: UInt32 = 1
  private static let endNode: UInt32 = 2
  private static let property: UInt32 = 3
  private static let nop: UInt32 = 4
  private static let end: UInt32 = 9

  /// Checks the header, lets libfdt check the whole blob, then copies the
  /// nodes out in pre-order.
  static func flatten(_ blob: [UInt8], limits: LoadLimits) throws(BlobError) -> [RawNode] {
    let header = try BlobHeader(blob, limits: limits)
    try header.checkLayout(blob)
    try header.checkStrings(blob, limits: limits)
    try header.checkOldRootName(blob)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blob.count, alignment: 8)
    defer { buffer.deallocate() }
    buffer.copyBytes(from: blob)
    guard let fdt = UnsafeRawPointer(buffer.baseAddress) else {
      throw BlobError("empty blob")
    }
    let check = fdt_check_full(fdt, blob.count)
    if check < 0 {
      let code = FDTError(rawValue: -check)
      guard let problem = StructureDiagnosis.explain(blob, header) else {
        throw BlobError("libfdt rejects the blob: \(code)", code: code)
      }
      throw BlobError("\(problem) (\(code.name))", code: code)
    }
    var walk = Walk(fdt: fdt, strings: fdt + header.stringsOffset, limits: limits)
    return try walk.run()
  }

  /// One pass over the token stream; `open` is the stack of nodes whose
  /// END_NODE has not been seen yet.
  private struct Walk {
    let fdt: UnsafeRawPointer
    let strings: UnsafeRawPointer
    let limits: LoadLimits
    var nodes: [RawNode] = []
    var open: [(index: Int, pathLength: Int, hasChild: Bool)] = []
    /// Property names by string offset: each distinct name becomes one
    /// String, shared by every property that uses it.
    var names: [Int: String] = [:]

    init(fdt: UnsafeRawPointer, strings: UnsafeRawPointer, limits: LoadLimits) {
      self.fdt = fdt
      self.strings = strings
      self.limits = limits
    }

    mutating func run() throws(BlobError) -> [RawNode] {
      var offset: Int32 = 0
      var next: Int32 = 0
      while true {
        let tag = fdt_next_tag(fdt, offset, &next)
        guard next >= 0 else {
          let code = FDTError(rawValue: -next)
          throw BlobError("libfdt cannot walk the structure block: \(code)", code: code)
        }
        switch tag {
        case FlattenedTree.beginNode: try beginNode(at: offset)
        case FlattenedTree.endNode: _ = open.popLast()
        case FlattenedTree.property: try property(at: offset)
        case FlattenedTree.end: return try finish()
        default: break  // FDT_NOP; fdt_check_full refused any other tag.
        }
        offset = next
      }
    }

    private func finish() throws(BlobError) -> [RawNode] {
      if nodes.isEmpty { throw BlobError("the structure block holds no root node") }
      return nodes
    }

    private mutating func beginNode(at offset: Int32) throws(BlobError) {
      var length: Int32 = 0
      guard let pointer = fdt_get_name(fdt, offset, &length), length >= 0 else {
        let code = FDTError(rawValue: -length)
        throw BlobError("libfdt cannot read a node name: \(code)", code: code)
      }
      let bytes = UnsafeRawBufferPointer(start: pointer, count: Int(length))
      let name = String(decoding: bytes, as: UTF8.self)
      let depth = open.count
      if let parent = open.last {
        if bytes.isEmpty { throw BlobError("a node below \(path()) has an empty name") }
        if bytes.contains(UInt8(ascii: "/")) {
          throw BlobError("node name \(quoted(name)) below \(path()) contains '/'")
        }
        if depth > LoadLimits.maximumDepth {
          throw BlobError(
            "node \(path(adding: name)) is \(depth) levels below the root; Linux unflattens "
              + "\(LoadLimits.maximumDepth) (FDT_MAX_DEPTH 64) and drops deeper nodes")
        }
        open[open.count - 1].hasChild = true
        let pathLength = parent.pathLength + (depth == 1 ? 0 : 1) + bytes.count
        if pathLength > limits.maximumPathLength {
          throw BlobError(
            "node \(path(adding: name)) has a path longer than the "
              + "\(limits.maximumPathLength)-byte limit")
        }
        open.append((nodes.count, pathLength, false))
      } else {
        if !nodes.isEmpty { throw BlobError("the structure block holds a second root node") }
        if !bytes.isEmpty { throw BlobError("the root node has a name, \(quoted(name))") }
        open.append((nodes.count, 1, false))
      }
      if nodes.count == limits.maximumNodeCount {
        throw BlobError("more than the \(limits.maximumNodeCount)-node limit")
      }
      nodes.append(RawNode(name: name, depth: depth, properties: []))
    }

    private mutating func property(at offset: Int32) throws(BlobError) {
      guard let node = open.last else {
        throw BlobError("the structure block holds a property outside any node")
      }
      var length: Int32 = 0
      var namePointer: UnsafePointer<CChar>?
      guard let value = fdt_getprop_by_offset(fdt, offset, &namePointer, &length),
        let namePointer, length >= 0
      else {
        let code = FDTError(rawValue: -length)
        throw BlobError("libfdt cannot read a property of \(path()): \(code)", code: code)
      }
      let nameOffset = UnsafeRawPointer(namePointer) - strings
      let name = names[nameOffset] ?? String(cString: namePointer)
      names[nameOffset] = name
      if node.hasChild {
        throw BlobError(
          "property \(quoted(name)) of \(path()) comes after a subnode; libfdt and Linux never "
            + "read it")
      }
      let bytes = [UInt8](UnsafeRawBufferPointer(start: value, count: Int(length)))
      nodes[node.index].properties.append(Property(name: name, bytes: bytes))
    }

    /// The path of the innermost open node, plus `name` below it; shortened
    /// in the middle past 200 characters, for one-line messages.
    private func path(adding name: String? = nil) -> String {
      let parts = open.dropFirst().map { nodes[$0.index].name } + (name.map { [$0] } ?? [])
      let full = "/" + parts.joined(separator: "/")
      guard full.count > 200 else { return printable(full) }
      return printable(String(full.prefix(100)) + "/.../" + String(full.suffix(90)))
    }

    private func quoted(_ text: String) -> String {
      "\"" + printable(String(text.prefix(100))) + "\""
    }
  }
}

func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
