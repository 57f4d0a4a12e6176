// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A property's value: a view of the bytes it occupies in the blob.
///
/// Every property of a tree shares the tree's one copy of the blob, so
/// loading a tree allocates nothing per property and a value costs one
/// reference to copy. Indices run from 0 like an array's.
public struct PropertyBytes: RandomAccessCollection, Hashable, Sendable {
  private let storage: [UInt8]
  private let offset: Int
  public let count: Int

  /// `count` bytes of `storage` from `offset`; the range must lie inside.
  init(_ storage: [UInt8], offset: Int, count: Int) {
    precondition(offset >= 0 && count >= 0 && offset <= storage.count - count)
    self.storage = storage
    self.offset = offset
    self.count = count
  }

  public init(_ bytes: [UInt8]) { self.init(bytes, offset: 0, count: bytes.count) }

  public var startIndex: Int { 0 }
  public var endIndex: Int { count }

  public subscript(position: Int) -> UInt8 {
    precondition(position >= 0 && position < count, "property byte index out of range")
    return storage[offset + position]
  }

  /// The big-endian cell at `index`, which must be below `count / 4`.
  public func cell(_ index: Int) -> UInt32 {
    precondition(index >= 0 && index < count / 4, "property cell index out of range")
    let base = offset + index * 4
    return UInt32(storage[base]) << 24 | UInt32(storage[base + 1]) << 16
      | UInt32(storage[base + 2]) << 8 | UInt32(storage[base + 3])
  }

  /// Calls `body` with the bytes in place.
  public func withUnsafeBytes<Result>(
    _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
  ) rethrows -> Result {
    try storage.withUnsafeBufferPointer { all in
      try body(UnsafeBufferPointer(rebasing: all[offset..<offset + count]))
    }
  }

  public static func == (lhs: PropertyBytes, rhs: PropertyBytes) -> Bool {
    lhs.count == rhs.count
      && lhs.withUnsafeBytes { left in rhs.withUnsafeBytes { left.elementsEqual($0) } }
  }

  public func hash(into hasher: inout Hasher) {
    withUnsafeBytes { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
  }
}
