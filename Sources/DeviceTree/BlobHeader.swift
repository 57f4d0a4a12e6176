// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The FDT header, read and checked in Swift before libfdt sees the blob.
///
/// libfdt only says "truncated" or "bad offset"; a user wants to know which
/// block and by how much. This also refuses what libfdt 1.6.1 lets through
/// but no dtc or libfdt writer produces and readers disagree on: blocks that
/// overlap, and property names long enough to make libfdt's per-property
/// `memchr` quadratic.
struct BlobHeader {
  /// Size of a version 17 header, the smallest header `fdt_check_header` takes.
  static let size = 40
  static let magic: UInt32 = 0xd00d_feed
  /// Size of a version 1 header; no block may start inside it.
  static let minimumSize = 28

  let totalSize: Int
  let structOffset: Int
  let stringsOffset: Int
  let reservationsOffset: Int
  let version: UInt32
  let stringsSize: Int
  /// 0 before version 17, which has no such field.
  let structSize: Int

  /// Reads and checks the header of `blob`.
  init(_ blob: [UInt8], limits: LoadLimits) throws(BlobError) {
    if blob.count > limits.maximumInputSize {
      throw BlobError(
        "\(blob.count) bytes is larger than the \(limits.maximumInputSize)-byte limit")
    }
    guard blob.count >= 8 else {
      let size = blob.count == 1 ? "1 byte" : "\(blob.count) bytes"
      throw BlobError("truncated: \(size), too short for an FDT header", code: .truncated)
    }
    let magic = Self.word(blob, 0)
    guard magic == Self.magic else {
      throw BlobError("bad magic \(hex(magic)) (expected 0xd00dfeed)", code: .badMagic)
    }
    totalSize = Int(Self.word(blob, 4))
    guard blob.count >= Self.size else {
      throw BlobError(
        "truncated: \(blob.count) bytes, shorter than the FDT header", code: .truncated)
    }
    guard totalSize >= Self.size else {
      throw BlobError(
        "bad header: totalsize \(totalSize) is smaller than the header", code: .truncated)
    }
    guard totalSize <= blob.count else {
      throw BlobError(
        "truncated: header says \(totalSize) bytes, the file has \(blob.count)", code: .truncated)
    }
    version = Self.word(blob, 20)
    guard version >= 2, Self.word(blob, 24) <= 17 else {
      throw BlobError("unsupported FDT version \(version)", code: .badVersion)
    }
    structOffset = Int(Self.word(blob, 8))
    stringsOffset = Int(Self.word(blob, 12))
    reservationsOffset = Int(Self.word(blob, 16))
    stringsSize = Int(Self.word(blob, 32))
    structSize = version >= 17 ? Int(Self.word(blob, 36)) : 0
    try checkBlockBounds()
  }

  private func checkBlockBounds() throws(BlobError) {
    let blocks = [
      ("memory reservation", reservationsOffset, 0),
      ("structure", structOffset, structSize),
      ("strings", stringsOffset, stringsSize),
    ]
    for (block, offset, size) in blocks
    where offset < Self.minimumSize || offset > totalSize || size > totalSize - offset {
      throw BlobError(
        "bad \(block) block offset \(hex(offset)) (size \(size), totalsize \(totalSize))",
        code: .badOffset)
    }
  }

  /// Refuses blocks that share bytes. The reservation map runs to its
  /// all-zero terminator; before version 17 the structure block has no size,
  /// so only its first token counts.
  func checkLayout(_ blob: [UInt8]) throws(BlobError) {
    var reservationsEnd = reservationsOffset
    while reservationsEnd + 16 <= totalSize {
      reservationsEnd += 16
      if blob[reservationsEnd - 16..<reservationsEnd].allSatisfy({ $0 == 0 }) { break }
    }
    let blocks = [
      ("memory reservation", reservationsOffset, reservationsEnd),
      ("structure", structOffset, structOffset + max(structSize, 4)),
      ("strings", stringsOffset, stringsOffset + stringsSize),
    ].filter { $0.1 < $0.2 }
    for (index, first) in blocks.enumerated() {
      for second in blocks[(index + 1)...] where first.1 < second.2 && second.1 < first.2 {
        throw BlobError(
          "bad layout: the \(first.0) block (\(hex(first.1))..\(hex(first.2))) "
            + "overlaps the \(second.0) block (\(hex(second.1))..\(hex(second.2)))",
          code: .badLayout)
      }
    }
  }

  /// Refuses an old blob whose root name libfdt cannot read. Before version
  /// 16 names are full paths, and `fdt_get_name` returns NULL for one
  /// without a '/'; libfdt 1.6.1's `fdt_check_full` reads the root's name
  /// that way and dereferences the result unchecked (later libfdt checks).
  /// dtc writes the root first, as "/", so this refuses nothing real.
  func checkOldRootName(_ blob: [UInt8]) throws(BlobError) {
    guard version < 16 else { return }
    var offset = structOffset
    while offset + 4 <= totalSize && Self.word(blob, offset) == 4 { offset += 4 }  // FDT_NOP
    guard offset + 4 <= totalSize, Self.word(blob, offset) == 1 else {
      throw BlobError(
        "the structure block of this version \(version) blob does not start with the root node",
        code: .badStructure)
    }
    let name = blob[(offset + 4)..<totalSize].prefix { $0 != 0 }
    guard name.contains(UInt8(ascii: "/")) else {
      throw BlobError(
        "the root node of this version \(version) blob is named "
          + "\"\(printable(String(decoding: name.prefix(100), as: UTF8.self)))\", not a path "
          + "(before version 16 names are full paths)",
        code: .badStructure)
    }
  }

  /// Refuses a strings block holding a run of more than the limit's bytes
  /// without a NUL: one O(n) pass instead of libfdt's O(n) per property.
  func checkStrings(_ blob: [UInt8], limits: LoadLimits) throws(BlobError) {
    var run = 0
    for byte in blob[stringsOffset..<stringsOffset + stringsSize] {
      run = byte == 0 ? 0 : run + 1
      if run > limits.maximumPropertyNameLength {
        throw BlobError(
          "the strings block holds a property name longer than the "
            + "\(limits.maximumPropertyNameLength)-byte limit")
      }
    }
  }

  static func word(_ blob: [UInt8], _ offset: Int) -> UInt32 {
    guard offset + 4 <= blob.count else { return 0 }
    return blob[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
  }
}
