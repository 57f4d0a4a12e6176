// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The containers a device tree arrives in, told apart by content, never by
/// file name: a lone DTB, DTBs laid end to end (as Android's vendor_boot
/// and many bootloaders keep them), or an Android DT table image (AOSP
/// `mkdtboimg.py`, the dtbo partition).
public enum TreeContainer {
  public enum Kind: Sendable, Equatable { case blob, tableImage, other }

  /// The most trees one container may hold. Real ones hold one per board
  /// variant: dozens in a dtbo image, a few hundred in the largest
  /// multi-board kernels. Each tree is parsed and planned in full later, so
  /// the count multiplies all of that work, and within the default size
  /// limit a hostile file could otherwise list over a million minimal trees
  /// (or claim four billion table entries). 4096 is far above anything real.
  public static let maximumTreeCount = 4096

  /// What the first bytes say: FDT magic 0xd00dfeed, DT table magic
  /// 0xd7b7ab1e, or anything else (source text etc.).
  public static func kind(of bytes: [UInt8]) -> Kind {
    guard bytes.count >= 4 else { return .other }
    switch BlobHeader.word(bytes, 0) {
    case BlobHeader.magic: return .blob
    case TableImage.magic: return .tableImage
    default: return .other
    }
  }

  /// Splits bytes read from `file` into trees:
  /// - a single DTB -> one entry;
  /// - concatenated DTBs: each header's totalsize leads to the next;
  ///   trailing zero padding (any length) after the last is accepted, any
  ///   other trailing byte is an error naming its offset;
  /// - an Android DT table image (see `TableImage`).
  /// Each blob's header says how long it is; what is inside is left to
  /// `DeviceTree(blob:limits:)`.
  public static func split(_ bytes: [UInt8], file: String, limits: LoadLimits) throws(LoadError)
    -> [ContainedTree]
  {
    if bytes.count > limits.maximumInputSize {
      throw LoadError(
        file: file,
        reason: "\(bytes.count) bytes is larger than the \(limits.maximumInputSize)-byte limit")
    }
    switch kind(of: bytes) {
    case .blob: return try concatenated(bytes, file: file)
    case .tableImage: return try TableImage.trees(bytes, file: file)
    case .other:
      if bytes.isEmpty { throw LoadError(file: file, reason: "empty file") }
      let magic = bytes.count >= 4 ? hex(BlobHeader.word(bytes, 0)) : "\(bytes.count) bytes"
      throw LoadError(
        file: file,
        reason: "neither a DTB nor a DT table image (magic \(magic), expected 0xd00dfeed "
          + "or 0xd7b7ab1e)")
    }
  }

  /// DTBs end to end, starting with one at offset 0.
  private static func concatenated(_ bytes: [UInt8], file: String) throws(LoadError)
    -> [ContainedTree]
  {
    // The common case, one whole DTB, hands back the caller's array itself.
    if Int(BlobHeader.word(bytes, 4)) == bytes.count && bytes.count >= BlobHeader.size {
      return [ContainedTree(index: 0, blob: bytes)]
    }
    var trees: [ContainedTree] = []
    var offset = 0
    while offset < bytes.count {
      let left = bytes.count - offset
      if offset > 0 && bytes[offset...].allSatisfy({ $0 == 0 }) { break }
      guard left >= 4, BlobHeader.word(bytes, offset) == BlobHeader.magic else {
        throw LoadError(
          file: file,
          reason: "trailing bytes at offset \(hex(offset)) after \(trees.count) "
            + "\(trees.count == 1 ? "tree" : "trees") are neither a DTB header nor zero padding")
      }
      let index = trees.count
      let place = "tree \(index) at offset \(hex(offset))"
      if index == maximumTreeCount {
        throw LoadError(
          file: file, reason: "\(place): more than the \(maximumTreeCount)-tree cap")
      }
      guard left >= BlobHeader.size else {
        throw LoadError(
          file: file,
          reason: "\(place): \(left) bytes left, shorter than the \(BlobHeader.size)-byte header")
      }
      let size = Int(BlobHeader.word(bytes, offset + 4))
      guard size >= BlobHeader.size else {
        throw LoadError(
          file: file,
          reason: "\(place): totalsize \(size) is smaller than the \(BlobHeader.size)-byte header")
      }
      guard size <= left else {
        throw LoadError(
          file: file,
          reason: "\(place): totalsize \(size) runs past the end of the file (\(left) bytes left)")
      }
      trees.append(ContainedTree(index: index, blob: Array(bytes[offset..<offset + size])))
      offset += size
    }
    return trees
  }
}
