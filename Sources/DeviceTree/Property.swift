/// One property of a node: its name and raw value, with the decodings the OF
/// core applies to it.
public struct Property: Hashable, Sendable {
  public let name: String
  /// The value exactly as stored in the blob.
  public let bytes: [UInt8]

  public init(name: String, bytes: [UInt8]) {
    self.name = name
    self.bytes = bytes
  }

  /// The value as big-endian 32-bit cells. Like `of_phandle_iterator_init`,
  /// a trailing partial cell is dropped.
  public var cells: [UInt32] {
    let count = bytes.count / 4
    var result = [UInt32](repeating: 0, count: count)
    for index in 0..<count {
      let base = index * 4
      result[index] =
        UInt32(bytes[base]) << 24 | UInt32(bytes[base + 1]) << 16
        | UInt32(bytes[base + 2]) << 8 | UInt32(bytes[base + 3])
    }
    return result
  }

  /// Whether the length leaves bytes that do not make a whole cell.
  public var hasPartialCell: Bool { !bytes.count.isMultiple(of: 4) }

  /// The first cell, as `of_property_read_u32` reads it: any property of at
  /// least four bytes gives its first cell; a shorter one gives nothing.
  public var firstCell: UInt32? { bytes.count >= 4 ? cells[0] : nil }

  /// The value as a NUL-separated string list. A final string without its
  /// NUL is still returned, as libfdt's `fdt_stringlist_get` does not.
  public var strings: [String] {
    guard !bytes.isEmpty else { return [] }
    var parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
    if bytes.last == 0 { parts.removeLast() }
    return parts.map { String(decoding: $0, as: UTF8.self) }
  }

  /// The first string of the list, as `strings.first` gives it, without
  /// splitting the rest (a hostile value can hold millions).
  public var firstString: String? {
    guard !bytes.isEmpty else { return nil }
    return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
  }

  /// The value as one NUL-terminated string, or nil when it has no NUL.
  public var string: String? {
    guard let end = bytes.firstIndex(of: 0) else { return nil }
    return String(decoding: bytes[..<end], as: UTF8.self)
  }
}
