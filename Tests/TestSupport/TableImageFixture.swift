// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Android DT table images laid out as AOSP's `mkdtboimg.py create` writes
/// them: the 32-byte header, the 32-byte entries, then each distinct blob
/// once, back to back, with entries for the same blob sharing its range.
/// Tests damage the result through `DamagedBlob`'s `setWord`.
public struct TableImageFixture {
  public struct Entry {
    public var blob: [UInt8]
    public var id: UInt32
    public var revision: UInt32
    /// custom[4] in version 0; flags and custom[3] in version 1.
    public var words: [UInt32]

    public init(
      blob: [UInt8], id: UInt32 = 0, revision: UInt32 = 0, words: [UInt32] = [0, 0, 0, 0]
    ) {
      self.blob = blob
      self.id = id
      self.revision = revision
      self.words = words
    }
  }

  public static let magic: UInt32 = 0xd7b7_ab1e
  public static let headerSize = 32
  public static let entrySize = 32

  public var entries: [Entry]
  public var version: UInt32

  public init(entries: [Entry], version: UInt32 = 0) {
    self.entries = entries
    self.version = version
  }

  /// Where entry `index` sits in the image.
  public static func entryOffset(_ index: Int) -> Int { headerSize + index * entrySize }

  public var bytes: [UInt8] {
    var blobs: [[UInt8]] = []
    var ranges: [(offset: Int, size: Int)] = []
    var next = Self.headerSize + entries.count * Self.entrySize
    for entry in entries {
      if let shared = blobs.firstIndex(of: entry.blob) {
        ranges.append(ranges[entries.firstIndex { $0.blob == blobs[shared] } ?? 0])
      } else {
        blobs.append(entry.blob)
        ranges.append((next, entry.blob.count))
        next += entry.blob.count
      }
    }
    var header: [UInt32] = [
      Self.magic, UInt32(next), UInt32(Self.headerSize), UInt32(Self.entrySize),
      UInt32(entries.count), UInt32(Self.headerSize), 2048, version,
    ]
    for (entry, range) in zip(entries, ranges) {
      header += [UInt32(range.size), UInt32(range.offset), entry.id, entry.revision] + entry.words
    }
    return DamagedBlob.cells(header) + blobs.flatMap { $0 }
  }
}
