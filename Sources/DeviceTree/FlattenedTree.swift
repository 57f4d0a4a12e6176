internal import CLibFDT

// Implementation notes
//
// This file is the only place that touches libfdt. The blob is copied into an
// 8-byte-aligned buffer (libfdt refuses anything else with FDT_ERR_ALIGNMENT),
// validated with `fdt_check_full` before any other call, walked once with
// `fdt_next_node`, and every name and value is copied out into Swift values.
// No pointer outlives `flatten`; the buffer is freed before it returns.

/// The largest blob accepted: the FDT header's size fields are 32-bit, but real
/// trees are well under a megabyte, and this keeps hostile input bounded.
public let maximumBlobSize = 64 << 20

enum FlattenedTree {
  /// Size of a version 17 header, the smallest header `fdt_check_header` takes.
  static let headerSize = 40
  static let magic: UInt32 = 0xd00d_feed
  /// Size of a version 1 header; no block may start inside it.
  static let minimumHeaderSize = 28

  struct RawNode {
    var name: String
    var depth: Int
    var properties: [Property]
  }

  /// Checks the header with messages a user can act on, then lets libfdt check
  /// the whole blob, then copies the nodes out in pre-order.
  static func flatten(_ blob: [UInt8]) throws(BlobError) -> [RawNode] {
    try checkHeader(blob)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blob.count, alignment: 8)
    defer { buffer.deallocate() }
    buffer.copyBytes(from: blob)
    guard let fdt = UnsafeRawPointer(buffer.baseAddress) else {
      throw BlobError("empty blob")
    }
    let check = fdt_check_full(fdt, blob.count)
    if check < 0 {
      let code = FDTError(rawValue: -check)
      throw BlobError("libfdt rejects the blob: \(code)", code: code)
    }
    return try walk(fdt)
  }

  private static func walk(_ fdt: UnsafeRawPointer) throws(BlobError) -> [RawNode] {
    var nodes: [RawNode] = []
    // libfdt counts the root as depth 1 when the walk starts from -1 at 0.
    var depth: Int32 = 0
    var offset = fdt_next_node(fdt, -1, &depth)
    while offset >= 0 {
      nodes.append(
        RawNode(name: name(fdt, offset), depth: Int(depth) - 1, properties: properties(fdt, offset))
      )
      offset = fdt_next_node(fdt, offset, &depth)
    }
    if offset != -FDTError.notFound.rawValue {
      let code = FDTError(rawValue: -offset)
      throw BlobError("libfdt cannot walk the structure block: \(code)", code: code)
    }
    if nodes.isEmpty { throw BlobError("the structure block holds no root node") }
    return nodes
  }

  private static func name(_ fdt: UnsafeRawPointer, _ offset: Int32) -> String {
    var length: Int32 = 0
    guard let name = fdt_get_name(fdt, offset, &length), length >= 0 else { return "" }
    return String(
      decoding: UnsafeRawBufferPointer(start: name, count: Int(length)), as: UTF8.self)
  }

  private static func properties(_ fdt: UnsafeRawPointer, _ node: Int32) -> [Property] {
    var result: [Property] = []
    var offset = fdt_first_property_offset(fdt, node)
    while offset >= 0 {
      var length: Int32 = 0
      var namePointer: UnsafePointer<CChar>?
      if let value = fdt_getprop_by_offset(fdt, offset, &namePointer, &length),
        let namePointer, length >= 0
      {
        let bytes = [UInt8](UnsafeRawBufferPointer(start: value, count: Int(length)))
        result.append(Property(name: String(cString: namePointer), bytes: bytes))
      }
      offset = fdt_next_property_offset(fdt, offset)
    }
    return result
  }

  /// Reads the header fields ourselves first: libfdt only says "truncated",
  /// while a user wants to know which block and by how much.
  private static func checkHeader(_ blob: [UInt8]) throws(BlobError) {
    if blob.count > maximumBlobSize {
      throw BlobError("\(blob.count) bytes is larger than the \(maximumBlobSize)-byte limit")
    }
    guard blob.count >= 8 else {
      throw BlobError(
        "truncated: \(blob.count) bytes, too short for an FDT header", code: .truncated)
    }
    let word = { (offset: Int) -> UInt32 in
      guard offset + 4 <= blob.count else { return 0 }
      return blob[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
    let magic = word(0)
    guard magic == Self.magic else {
      throw BlobError("bad magic \(hex(magic)) (expected 0xd00dfeed)", code: .badMagic)
    }
    let total = Int(word(4))
    guard blob.count >= Self.headerSize else {
      throw BlobError(
        "truncated: \(blob.count) bytes, shorter than the FDT header", code: .truncated)
    }
    guard total >= Self.headerSize else {
      throw BlobError("bad header: totalsize \(total) is smaller than the header", code: .truncated)
    }
    guard total <= blob.count else {
      throw BlobError(
        "truncated: header says \(total) bytes, the file has \(blob.count)", code: .truncated)
    }
    let version = word(20)
    let lastCompatible = word(24)
    guard version >= 2, lastCompatible <= 17 else {
      throw BlobError("unsupported FDT version \(version)", code: .badVersion)
    }
    let blocks = [
      ("memory reservation", Int(word(16)), 0),
      ("structure", Int(word(8)), version >= 17 ? Int(word(36)) : 0),
      ("strings", Int(word(12)), Int(word(32))),
    ]
    for (block, offset, size) in blocks
    where offset < minimumHeaderSize || offset > total || size > total - offset {
      throw BlobError(
        "bad \(block) block offset \(hex(UInt32(offset))) (size \(size), totalsize \(total))",
        code: .badOffset)
    }
  }
}

func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
