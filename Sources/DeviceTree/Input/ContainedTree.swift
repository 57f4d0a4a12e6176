// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// One device tree found in an input file.
public struct ContainedTree: Sendable, Hashable {
  /// 0-based position in the container.
  public let index: Int
  /// From an Android DT table image entry; nil otherwise.
  public let id: UInt32?
  public let revision: UInt32?
  /// The entry's custom words: 4 in a version 0 table image, 3 in version
  /// 1 (whose first word is `flags`); empty when not from a table image.
  public let custom: [UInt32]
  /// A version 1 table image entry's `flags` word (its low 4 bits, the
  /// compression, are always 0 here); nil otherwise.
  public let flags: UInt32?
  /// Exactly one DTB or DTBO (its header's totalsize bytes).
  public let blob: [UInt8]

  public init(
    index: Int, id: UInt32? = nil, revision: UInt32? = nil, custom: [UInt32] = [],
    flags: UInt32? = nil, blob: [UInt8]
  ) {
    self.index = index
    self.id = id
    self.revision = revision
    self.custom = custom
    self.flags = flags
    self.blob = blob
  }
}
