// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// An Android DT table image, the layout AOSP's `mkdtboimg.py` writes for
/// the dtbo partition (and `mkdtimg` for dtb images); every field is a
/// big-endian 32-bit word:
///
///     header   magic 0xd7b7ab1e, total_size, header_size, dt_entry_size,
///              dt_entry_count, dt_entries_offset, page_size, version
///     entries  dt_entry_count x dt_entry_size bytes at dt_entries_offset:
///              dt_size, dt_offset, id, rev, then custom[4] (version 0) or
///              flags, custom[3] (version 1)
///     blobs    each entry's dt_size bytes at dt_offset
///
/// Every field is attacker-controlled, so the arithmetic is done in
/// `UInt64`, where the sum or product of two 32-bit words cannot overflow,
/// and only offsets already checked against the data become `Int`.
///
/// Overlaps: `mkdtboimg.py` stores a file named twice (with the same
/// compression) once and gives both entries its dt_offset and dt_size, so
/// entries with exactly the same range are accepted and share one blob.
/// Any other overlap, between entries or with the header and entry table,
/// is refused: no writer produces it, and it would let one set of bytes
/// pass for two different trees. Bytes past total_size are ignored, since a
/// dump of a dtbo partition is padded to the partition's size.
struct TableImage {
  static let magic: UInt32 = 0xd7b7_ab1e
  /// The fields read from the header and from each entry.
  static let headerSize: UInt64 = 32
  static let entrySize: UInt64 = 32

  private let bytes: [UInt8]
  private let file: String

  static func trees(_ bytes: [UInt8], file: String) throws(LoadError) -> [ContainedTree] {
    try TableImage(bytes: bytes, file: file).trees()
  }

  private func word(_ offset: UInt64) -> UInt32 { BlobHeader.word(bytes, Int(offset)) }

  private func refuse(_ reason: String) -> LoadError { LoadError(file: file, reason: reason) }

  private func trees() throws(LoadError) -> [ContainedTree] {
    let available = UInt64(bytes.count)
    guard available >= Self.headerSize else {
      throw refuse(
        "truncated DT table image: \(bytes.count) bytes, shorter than its "
          + "\(Self.headerSize)-byte header")
    }
    let totalSize = UInt64(word(4))
    let headerSize = UInt64(word(8))
    let entrySize = UInt64(word(12))
    let count = UInt64(word(16))
    let entriesOffset = UInt64(word(20))
    let version = word(28)
    let bad = "bad DT table image header:"
    guard version <= 1 else {
      throw refuse("unsupported DT table image version \(version) (expected 0 or 1)")
    }
    guard headerSize >= Self.headerSize else {
      throw refuse(
        "\(bad) header_size \(headerSize) is smaller than the \(Self.headerSize)-byte header")
    }
    guard entrySize >= Self.entrySize else {
      throw refuse(
        "\(bad) dt_entry_size \(entrySize) is smaller than the \(Self.entrySize)-byte entry")
    }
    // The caller has held the whole input to the size limit already.
    guard totalSize <= available else {
      throw refuse(
        "truncated DT table image: total_size says \(totalSize) bytes, the file has "
          + "\(bytes.count)")
    }
    guard totalSize >= headerSize else {
      throw refuse("\(bad) total_size \(totalSize) is smaller than header_size \(headerSize)")
    }
    guard entriesOffset >= headerSize else {
      throw refuse(
        "\(bad) dt_entries_offset \(hex(entriesOffset)) is inside the \(headerSize)-byte header")
    }
    // Both products fit in 64 bits; checked before anything is allocated.
    let tableEnd = entriesOffset + count * entrySize
    guard tableEnd <= totalSize else {
      throw refuse(
        "\(bad) dt_entry_count \(count) entries of \(entrySize) bytes at offset "
          + "\(hex(entriesOffset)) run past total_size \(totalSize)")
    }
    guard count <= UInt64(TreeContainer.maximumTreeCount) else {
      throw refuse(
        "\(bad) dt_entry_count \(count) is over the \(TreeContainer.maximumTreeCount)-entry cap")
    }
    guard count > 0 else { throw refuse("empty DT table image: dt_entry_count is 0") }

    var entries: [Entry] = []
    entries.reserveCapacity(Int(count))
    for index in 0..<count {
      entries.append(
        try entry(
          Int(index), at: entriesOffset + index * entrySize, version: version,
          tableEnd: tableEnd, totalSize: totalSize))
    }
    try checkOverlaps(entries)
    // Entries that share a range share one array, as they share the bytes.
    var blobs: [UInt64: [UInt8]] = [:]
    return entries.map { entry in
      let blob =
        blobs[entry.offset]
        ?? Array(bytes[Int(entry.offset)..<Int(entry.offset + entry.treeSize)])
      blobs[entry.offset] = blob
      return ContainedTree(
        index: entry.index, id: entry.id, revision: entry.revision, custom: entry.custom,
        flags: entry.flags, blob: blob)
    }
  }

  private struct Entry {
    let index: Int
    let offset: UInt64
    let size: UInt64
    /// The DTB's own totalsize, at most `size`.
    let treeSize: UInt64
    let id: UInt32
    let revision: UInt32
    let flags: UInt32?
    let custom: [UInt32]
  }

  private func entry(
    _ index: Int, at position: UInt64, version: UInt32, tableEnd: UInt64, totalSize: UInt64
  ) throws(LoadError) -> Entry {
    let size = UInt64(word(position))
    let offset = UInt64(word(position + 4))
    let words = (2..<8).map { word(position + 4 * $0) }
    let bad = "bad DT table entry \(index):"
    guard offset + size <= totalSize else {
      throw refuse(
        "\(bad) dt_offset \(hex(offset)) + dt_size \(size) runs past total_size \(totalSize)")
    }
    guard offset >= tableEnd else {
      throw refuse(
        "\(bad) dt_offset \(hex(offset)) is inside the header or entry table "
          + "(which end at \(hex(tableEnd)))")
    }
    // Version 1 moved custom[0] to flags, whose low 4 bits say how the
    // blob is compressed (mkdtboimg.py: 0 none, 1 zlib, 2 gzip).
    let flags = version == 1 ? words[2] : nil
    if let flags, flags & 0xf != 0 {
      let method = [1: "zlib", 2: "gzip"][flags & 0xf]
      throw refuse(
        "compressed DT table entry \(index): \(method ?? "unknown compression \(flags & 0xf)") "
          + "(flags \(hex(flags))) is not supported; extract it uncompressed first "
          + "(mkdtboimg.py dump --dtb FILE --decompress)")
    }
    let magic = size >= 4 ? word(offset) : 0
    guard size >= 4, magic == BlobHeader.magic else {
      throw refuse(
        "\(bad) not a DTB (\(size < 4 ? "dt_size \(size)" : "magic \(hex(magic))") at offset "
          + "\(hex(offset)))")
    }
    let treeSize = size >= 8 ? UInt64(word(offset + 4)) : 0
    guard treeSize >= UInt64(BlobHeader.size) else {
      throw refuse(
        "\(bad) its DTB's totalsize \(treeSize) is smaller than the \(BlobHeader.size)-byte "
          + "FDT header")
    }
    guard treeSize <= size else {
      throw refuse("\(bad) its DTB's totalsize \(treeSize) does not fit in dt_size \(size)")
    }
    return Entry(
      index: index, offset: offset, size: size, treeSize: treeSize, id: words[0],
      revision: words[1], flags: flags, custom: Array(words[(flags == nil ? 2 : 3)...]))
  }

  /// Sorted by start, each range must begin at or after the end of the one
  /// before it, unless it is that very range again.
  private func checkOverlaps(_ entries: [Entry]) throws(LoadError) {
    let sorted = entries.sorted { ($0.offset, $0.size, $0.index) < ($1.offset, $1.size, $1.index) }
    for (previous, next) in zip(sorted, sorted.dropFirst()) {
      if previous.offset == next.offset && previous.size == next.size { continue }
      if next.offset < previous.offset + previous.size {
        let (first, second) = previous.index < next.index ? (previous, next) : (next, previous)
        throw refuse(
          "overlapping DT table entries \(first.index) (\(range(first))) and \(second.index) "
            + "(\(range(second))): entries may share only an identical range")
      }
    }
  }

  private func range(_ entry: Entry) -> String {
    "\(hex(entry.offset))..\(hex(entry.offset + entry.size))"
  }
}
