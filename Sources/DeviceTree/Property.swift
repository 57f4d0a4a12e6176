// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// One property of a node: its name and raw value, with the decodings the OF
/// core applies to it.
public struct Property: Hashable, Sendable {
  public let name: String
  /// The value exactly as stored in the blob.
  public let bytes: PropertyBytes

  public init(name: String, bytes: [UInt8]) {
    self.init(name: name, bytes: PropertyBytes(bytes))
  }

  init(name: String, bytes: PropertyBytes) {
    self.name = name
    self.bytes = bytes
  }

  /// The value as big-endian 32-bit cells. Like `of_phandle_iterator_init`,
  /// a trailing partial cell is dropped.
  public var cells: [UInt32] {
    (0..<cellCount).map { bytes.cell($0) }
  }

  /// Whole cells in the value.
  public var cellCount: Int { bytes.count / 4 }

  /// Whether the length leaves bytes that do not make a whole cell.
  public var hasPartialCell: Bool { !bytes.count.isMultiple(of: 4) }

  /// The first cell, as `of_property_read_u32` reads it: any property of at
  /// least four bytes gives its first cell; a shorter one gives nothing.
  public var firstCell: UInt32? { bytes.count >= 4 ? bytes.cell(0) : nil }

  /// The value as a NUL-separated string list. A final string without its
  /// NUL is still returned, as libfdt's `fdt_stringlist_get` does not.
  public var strings: [String] {
    bytes.withUnsafeBytes { value in
      guard !value.isEmpty else { return [] }
      var parts = value.split(separator: 0, omittingEmptySubsequences: false)
      if value.last == 0 { parts.removeLast() }
      return parts.map { String(decoding: $0, as: UTF8.self) }
    }
  }

  /// The first string of the list, as `strings.first` gives it, without
  /// splitting the rest (a hostile value can hold millions).
  public var firstString: String? {
    bytes.withUnsafeBytes { value in
      guard !value.isEmpty else { return nil }
      return String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }
  }

  /// The value as one NUL-terminated string, or nil when it has no NUL.
  public var string: String? {
    bytes.withUnsafeBytes { value in
      guard let end = value.firstIndex(of: 0) else { return nil }
      return String(decoding: UnsafeBufferPointer(rebasing: value[..<end]), as: UTF8.self)
    }
  }
}
