// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A blob dtc produced, and the ways tests damage it: header words, tokens,
/// and splices that repeat dtc's own tokens where dtc cannot write the tree
/// itself (its parser stops at about 3,300 levels of nesting).
public struct DamagedBlob {
  public var bytes: [UInt8]

  public init(source: String) throws { bytes = try Fixtures.blob(source: source) }

  public init(bytes: [UInt8]) { self.bytes = bytes }

  public func word(at offset: Int) -> UInt32 {
    bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
  }

  public mutating func setWord(at offset: Int, to value: UInt32) {
    for index in 0..<4 {
      bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(index)))
    }
  }

  public var totalSize: Int { Int(word(at: 4)) }
  public var structureOffset: Int { Int(word(at: 8)) }
  public var stringsOffset: Int { Int(word(at: 12)) }
  public var reservationsOffset: Int { Int(word(at: 16)) }
  public var stringsSize: Int { Int(word(at: 32)) }
  public var structureSize: Int { Int(word(at: 36)) }

  public struct Token: Equatable, Sendable {
    /// Absolute offset in the blob.
    public let offset: Int
    public let tag: UInt32
    /// The token's bytes, name or value included, up to the next token.
    public let length: Int
  }

  /// The structure block's tokens, read the way `fdt_next_tag` reads a
  /// well-formed version 17 blob.
  public var tokens: [Token] {
    var result: [Token] = []
    var offset = structureOffset
    while offset < structureOffset + structureSize {
      let tag = word(at: offset)
      var next = offset + 4
      if tag == 1, let nul = bytes[next...].firstIndex(of: 0) { next = nul + 1 }
      if tag == 3 { next += 8 + Int(word(at: offset + 4)) }
      next = (next + 3) & ~3
      result.append(Token(offset: offset, tag: tag, length: next - offset))
      offset = next
    }
    return result
  }

  /// The bytes of a token.
  public func bytes(of token: Token) -> [UInt8] {
    Array(bytes[token.offset..<token.offset + token.length])
  }

  /// Inserts bytes into the structure block (at a token boundary) and moves
  /// the header's sizes and the strings offset so the rest stays readable.
  public mutating func insert(_ inserted: [UInt8], at offset: Int) {
    bytes.insert(contentsOf: inserted, at: offset)
    let grow = UInt32(inserted.count)
    setWord(at: 4, to: word(at: 4) + grow)
    setWord(at: 36, to: word(at: 36) + grow)
    if stringsOffset >= offset { setWord(at: 12, to: word(at: 12) + grow) }
  }

  /// Big-endian cells, for the few tokens a test writes itself.
  public static func cells(_ values: [UInt32]) -> [UInt8] {
    values.flatMap { value in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
  }
}
