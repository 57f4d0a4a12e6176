// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
internal import CLibFDT

// Implementation notes
//
// This file is the only place that reads blobs with libfdt (BlobWriter
// writes them). The header is checked in Swift first (BlobHeader); libfdt
// then reads the blob in place when the array's storage is 8-byte aligned,
// or an aligned copy (it refuses anything else with FDT_ERR_ALIGNMENT).
// The token stream is walked once, iteratively, with `fdt_next_tag`,
// `fdt_get_name` and `fdt_getprop_by_offset`, into the parallel arrays of
// NodeTable and PropertyTable: names and values are kept as offsets into
// the caller's array, never as pointers, and only property names become
// Strings, once per distinct name (PropertyNames). No pointer outlives
// `flatten`; a copy is freed before it returns.
//
// The walk makes every call `fdt_check_full` makes, token by token, and
// checks what it checks besides (header, reservation block, nesting, END at
// depth 0), so a blob the walk accepts is one fdt_check_full accepts; it is
// not run first, which would read every blob twice. When the walk fails,
// fdt_check_full runs then: if libfdt refuses the blob, its code and
// StructureDiagnosis name the problem, as they would have first; otherwise
// the walk's own message stands.
//
// libfdt 1.6.1's `fdt_check_full` lets through trees that the kernel reads
// differently or not at all: no root (FDT_END first), a property outside any
// node or after a subnode (libfdt's property iterator and the kernel never
// see it), an empty node name, a name with a '/' (two paths would look
// alike). The walk refuses each with its own message; it also refuses a
// second or named root, which this libfdt already does, because everything
// after it relies on one root at index 0. It enforces the kernel's depth
// limit and the node and path limits of `LoadLimits` as it goes, so nothing
// is built for a blob that is refused.

enum FlattenedTree {
  /// The tree as parallel arrays, in pre-order, with its interned property
  /// names.
  struct Flat {
    var nodes = NodeTable()
    var properties = PropertyTable()
    var names: PropertyNames
  }

  /// Token values from fdt.h (Swift imports them as Int32 macros).
  private static let beginNode: UInt32 = 1
  private static let endNode: UInt32 = 2
  private static let property: UInt32 = 3
  private static let nop: UInt32 = 4
  private static let end: UInt32 = 9

  /// Checks the header, then walks the blob once, copying the nodes out in
  /// pre-order.
  static func flatten(_ blob: [UInt8], limits: LoadLimits) throws(BlobError) -> Flat {
    let header = try BlobHeader(blob, limits: limits)
    try header.checkLayout(blob)
    try header.checkStrings(blob, limits: limits)
    try header.checkOldRootName(blob)
    // libfdt reads the array in place when its storage is 8-byte aligned
    // (malloc's, in practice); otherwise it reads an aligned copy.
    let result = blob.withUnsafeBytes { bytes -> Result<Flat, BlobError> in
      if let base = bytes.baseAddress, Int(bitPattern: base) % 8 == 0 {
        return Result { () throws(BlobError) in try walk(base, blob, header, limits) }
      }
      let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: blob.count, alignment: 8)
      defer { copy.deallocate() }
      copy.copyBytes(from: bytes)
      guard let base = UnsafeRawPointer(copy.baseAddress) else {
        return .failure(BlobError("empty blob"))
      }
      return Result { () throws(BlobError) in try walk(base, blob, header, limits) }
    }
    return try result.get()
  }

  /// The walk over the blob at `fdt` (8-byte aligned, `blob`'s bytes).
  private static func walk(
    _ fdt: UnsafeRawPointer, _ blob: [UInt8], _ header: BlobHeader, _ limits: LoadLimits
  ) throws(BlobError) -> Flat {
    do throws(BlobError) {
      let headerCheck = fdt_check_header(fdt)
      if headerCheck < 0 {
        throw BlobError("libfdt rejects the header", code: FDTError(rawValue: -headerCheck))
      }
      let reservations = fdt_num_mem_rsv(fdt)
      if reservations < 0 {
        throw BlobError(
          "libfdt rejects the reservation block", code: FDTError(rawValue: -reservations))
      }
      var walk = Walk(blob: blob, fdt: fdt, header: header, limits: limits)
      return try walk.run()
    } catch {
      try refuseIfLibfdtDoes(fdt, blob, header)
      throw error
    }
  }

  /// What `fdt_check_full` says of a blob the walk refused: libfdt's code,
  /// with StructureDiagnosis's account of it when it has one.
  private static func refuseIfLibfdtDoes(
    _ fdt: UnsafeRawPointer, _ blob: [UInt8], _ header: BlobHeader
  ) throws(BlobError) {
    let check = fdt_check_full(fdt, blob.count)
    guard check < 0 else { return }
    let code = FDTError(rawValue: -check)
    guard let problem = StructureDiagnosis.explain(blob, header) else {
      throw BlobError("libfdt rejects the blob: \(code)", code: code)
    }
    throw BlobError("\(problem) (\(code.name))", code: code)
  }

  /// One pass over the token stream; `open` is the stack of nodes whose
  /// END_NODE has not been seen yet, each with the length of its path and
  /// its last child so far.
  private struct Walk {
    /// The caller's blob, which property values are views of: `fdt` is its
    /// storage or a byte-for-byte copy, so offsets into one are offsets into
    /// the other.
    let blob: [UInt8]
    let fdt: UnsafeRawPointer
    let strings: UnsafeRawPointer
    let structure: UnsafeRawPointer
    let structureOffset: Int
    /// Before version 16: names and values are read through libfdt, which
    /// knows those versions' layouts.
    let legacy: Bool
    let limits: LoadLimits
    var flat: Flat
    var open: [(index: Int, pathLength: Int, hasChild: Bool, lastChild: Int32)] = []
    /// Whether the newest node has had its first `phandle` (and whether
    /// that one counts), and its first `linux,phandle`: `fdt_get_phandle`
    /// reads only the first of each.
    var phandleSeen = false
    var phandleTaken = false
    var linuxPhandleSeen = false

    init(blob: [UInt8], fdt: UnsafeRawPointer, header: BlobHeader, limits: LoadLimits) {
      self.blob = blob
      self.fdt = fdt
      self.structure = fdt + header.structOffset
      self.structureOffset = header.structOffset
      self.legacy = header.version < 16
      self.flat = Flat(names: PropertyNames(stringsSize: header.stringsSize))
      self.strings = fdt + header.stringsOffset
      self.limits = limits
      reserve(structureSize: header.version >= 17 ? header.structSize : header.totalSize)
    }

    /// Room in the tables for what a block of that size holds, so that
    /// they are not copied as they grow: a little more than real trees need
    /// (a node takes 90 bytes of the block or more, a property about 30).
    /// Room never written costs address space, not memory.
    private mutating func reserve(structureSize: Int) {
      let nodes = min(structureSize / 64, limits.maximumNodeCount) + 1
      let properties = structureSize / 24 + 1
      flat.nodes.parents.reserveCapacity(nodes)
      flat.nodes.firstProperties.reserveCapacity(nodes)
      flat.nodes.nextSiblings.reserveCapacity(nodes)
      flat.nodes.nameOffsets.reserveCapacity(nodes)
      flat.nodes.nameLengths.reserveCapacity(nodes)
      flat.nodes.phandles.reserveCapacity(nodes)
      flat.properties.names.reserveCapacity(properties)
      flat.properties.valueOffsets.reserveCapacity(properties)
      flat.properties.valueLengths.reserveCapacity(properties)
    }

    mutating func run() throws(BlobError) -> Flat {
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
        case FlattenedTree.endNode:
          guard open.popLast() != nil else {
            throw BlobError("an END_NODE token closes no node")
          }
        case FlattenedTree.property: try property(at: offset, end: next)
        case FlattenedTree.end: return try finish()
        default: break  // FDT_NOP; fdt_check_full refused any other tag.
        }
        offset = next
      }
    }

    private mutating func finish() throws(BlobError) -> Flat {
      if flat.nodes.count == 0 { throw BlobError("the structure block holds no root node") }
      if !open.isEmpty { throw BlobError("the structure block ends inside \(path())") }
      flat.nodes.firstProperties.append(Int32(flat.properties.count))
      return flat
    }

    private mutating func beginNode(at offset: Int32) throws(BlobError) {
      let bytes = try nameBytes(at: offset)
      let depth = open.count
      let index = flat.nodes.count
      if let parent = open.last {
        try checkName(bytes, depth: depth)
        let pathLength = parent.pathLength + (depth == 1 ? 0 : 1) + bytes.count
        if pathLength > limits.maximumPathLength {
          throw BlobError(
            "node \(path(adding: decoded(bytes))) has a path longer than the "
              + "\(limits.maximumPathLength)-byte limit")
        }
        if parent.lastChild >= 0 { flat.nodes.nextSiblings[Int(parent.lastChild)] = Int32(index) }
        open[depth - 1].hasChild = true
        open[depth - 1].lastChild = Int32(index)
        open.append((index, pathLength, false, -1))
      } else {
        if index > 0 { throw BlobError("the structure block holds a second root node") }
        if !bytes.isEmpty { throw BlobError("the root node has a name, \(quoted(decoded(bytes)))") }
        open.append((index, 1, false, -1))
      }
      if index == limits.maximumNodeCount {
        throw BlobError("more than the \(limits.maximumNodeCount)-node limit")
      }
      flat.nodes.parents.append(Int32(depth == 0 ? -1 : open[depth - 1].index))
      flat.nodes.nameOffsets.append(UInt32(UnsafeRawPointer(bytes.baseAddress ?? fdt) - fdt))
      flat.nodes.nameLengths.append(UInt32(bytes.count))
      flat.nodes.firstProperties.append(Int32(flat.properties.count))
      flat.nodes.nextSiblings.append(-1)
      flat.nodes.phandles.append(0)
      phandleSeen = false
      phandleTaken = false
      linuxPhandleSeen = false
    }

    /// The name of the node at `offset`, in place in the blob (or its copy).
    private func nameBytes(at offset: Int32) throws(BlobError) -> UnsafeRawBufferPointer {
      if legacy {
        var length: Int32 = 0
        guard let pointer = fdt_get_name(fdt, offset, &length), length >= 0 else {
          let code = FDTError(rawValue: -length)
          throw BlobError("libfdt cannot read a node name: \(code)", code: code)
        }
        return UnsafeRawBufferPointer(start: pointer, count: Int(length))
      }
      // fdt_next_tag found the name's NUL inside the structure block.
      let pointer = (structure + Int(offset) + 4).assumingMemoryBound(to: CChar.self)
      return UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))
    }

    /// Refuses a subnode name the kernel would read differently, or a node
    /// it would not unflatten; notes a name that is not ASCII.
    private mutating func checkName(_ bytes: UnsafeRawBufferPointer, depth: Int) throws(BlobError) {
      if bytes.isEmpty { throw BlobError("a node below \(path()) has an empty name") }
      var all: UInt8 = 0
      var slash = false
      for byte in bytes {
        all |= byte
        slash = slash || byte == UInt8(ascii: "/")
      }
      if slash {
        throw BlobError("node name \(quoted(decoded(bytes))) below \(path()) contains '/'")
      }
      if all >= 0x80 { flat.nodes.namesAreASCII = false }
      if depth > LoadLimits.maximumDepth {
        throw BlobError(
          "node \(path(adding: decoded(bytes))) is \(depth) levels below the root; Linux "
            + "unflattens \(LoadLimits.maximumDepth) (FDT_MAX_DEPTH 64) and drops deeper nodes")
      }
    }

    /// The property token from `offset` to `end` (the next token's offset).
    private mutating func property(at offset: Int32, end: Int32) throws(BlobError) {
      guard let node = open.last else {
        throw BlobError("the structure block holds a property outside any node")
      }
      let (name, value, length) = try legacy ? libfdtProperty(at: offset) : read(at: offset)
      if node.hasChild {
        throw BlobError(
          "property \(quoted(flat.names.names[Int(name)])) of \(path()) comes after a subnode; "
            + "libfdt and Linux never read it")
      }
      // libfdt 1.6.1 adds the length to an int: a length of 0xfffffff8 or
      // more wraps, and fdt_next_tag then finds the "next" token inside
      // this one and fdt_check_full passes the blob. The value must fit in
      // its token and in the blob.
      guard length >= 0, value + length <= min(structureOffset + Int(end), blob.count) else {
        throw BlobError(
          "the property \(quoted(flat.names.names[Int(name)])) of \(path()) at structure offset "
            + "\(hex(offset)) says it holds \(UInt32(truncatingIfNeeded: length)) bytes, past the "
            + "end of the structure block")
      }
      flat.properties.names.append(name)
      flat.properties.valueOffsets.append(UInt32(value))
      flat.properties.valueLengths.append(UInt32(length))
      notePhandle(name, value: value, length: length, node: node.index)
    }

    /// `fdt_get_phandle`'s answer: the first `phandle` when it is exactly
    /// one cell long, else the first `linux,phandle` when it is. A node's
    /// properties all come before the next node, so it is final by then.
    private mutating func notePhandle(_ name: Int32, value: Int, length: Int, node: Int) {
      if name == flat.names.phandle && !phandleSeen {
        phandleSeen = true
        phandleTaken = length == 4
        if phandleTaken { flat.nodes.phandles[node] = cell(at: value) }
      } else if name == flat.names.linuxPhandle && !linuxPhandleSeen {
        linuxPhandleSeen = true
        if length == 4 && !phandleTaken { flat.nodes.phandles[node] = cell(at: value) }
      }
    }

    private func cell(at offset: Int) -> UInt32 {
      UInt32(bigEndian: fdt.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A property's interned name, value offset in the blob and length,
    /// read from the token fdt_next_tag has just bounds-checked whole
    /// (header and value inside the structure block), as
    /// `fdt_getprop_by_offset` reads it from version 16 on; the name goes
    /// through `fdt_get_string` the first time its offset is seen.
    private mutating func read(at offset: Int32) throws(BlobError) -> (Int32, Int, Int) {
      let token = structure + Int(offset)
      let length = Int(UInt32(bigEndian: token.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
      let nameOffset = Int32(
        bitPattern: UInt32(bigEndian: token.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
      var failure: Int32 = 0
      let name = flat.names.index(at: Int(nameOffset)) {
        var nameLength: Int32 = 0
        guard let pointer = fdt_get_string(fdt, nameOffset, &nameLength) else {
          failure = nameLength
          return ""
        }
        return String(
          decoding: UnsafeRawBufferPointer(start: pointer, count: Int(nameLength)), as: UTF8.self)
      }
      if failure < 0 {
        let code = FDTError(rawValue: -failure)
        throw BlobError("libfdt cannot read a property name of \(path()): \(code)", code: code)
      }
      return (name, token + 12 - fdt, length)
    }

    /// The same through `fdt_getprop_by_offset`, for blobs before version
    /// 16, whose larger values are aligned to 8 bytes.
    private mutating func libfdtProperty(at offset: Int32) throws(BlobError) -> (Int32, Int, Int) {
      var length: Int32 = 0
      var namePointer: UnsafePointer<CChar>?
      guard let value = fdt_getprop_by_offset(fdt, offset, &namePointer, &length),
        let namePointer, length >= 0
      else {
        let code = FDTError(rawValue: -length)
        throw BlobError("libfdt cannot read a property of \(path()): \(code)", code: code)
      }
      let nameOffset = UnsafeRawPointer(namePointer) - strings
      let name = flat.names.index(at: nameOffset) { String(cString: namePointer) }
      return (name, value - fdt, Int(length))
    }

    private func decoded(_ bytes: UnsafeRawBufferPointer) -> String {
      String(decoding: bytes, as: UTF8.self)
    }

    /// The path of the innermost open node, plus `name` below it; shortened
    /// in the middle past 200 characters, for one-line messages.
    private func path(adding name: String? = nil) -> String {
      let parts =
        open.dropFirst().map { entry in
          let start = Int(flat.nodes.nameOffsets[entry.index])
          let bytes = blob[start..<start + Int(flat.nodes.nameLengths[entry.index])]
          return String(decoding: bytes, as: UTF8.self)
        } + (name.map { [$0] } ?? [])
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
