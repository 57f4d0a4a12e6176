// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A name hashed and compared by its UTF-8 bytes, as libfdt and the kernel
/// compare names (`strcmp`); String compares by canonical equivalence, under
/// which two different names in a blob could be one.
struct PropertyNameKey: Hashable {
  let text: String

  static func == (lhs: PropertyNameKey, rhs: PropertyNameKey) -> Bool {
    lhs.text.utf8.count == rhs.text.utf8.count && lhs.text.utf8.elementsEqual(rhs.text.utf8)
  }

  func hash(into hasher: inout Hasher) {
    let hashed: Void? = text.utf8.withContiguousStorageIfAvailable {
      hasher.combine(bytes: UnsafeRawBufferPointer($0))
    }
    if hashed == nil {
      Array(text.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
    }
  }
}
