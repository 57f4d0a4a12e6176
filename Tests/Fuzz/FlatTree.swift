// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A tolerant model of a blob for the mutator, independent of libfdt and of
/// the code under test: nodes in pre-order with their depth, each with its
/// properties, plus the positions of the tokens it was read from.
///
/// Pre-order with depths (not nested structs) keeps every operation, parse
/// and serialisation iterative, so a deep tree cannot overflow the stack of
/// the mutator itself.
struct FlatTree {
  struct Entry {
    var depth: Int
    var name: [UInt8]
    var properties: [Property]
  }

  struct Property {
    var name: [UInt8]
    var value: [UInt8]
  }

  /// Where a token sits in the blob it was parsed from.
  struct Token {
    let offset: Int
    let tag: UInt32
  }

  static let beginNode: UInt32 = 1
  static let endNode: UInt32 = 2
  static let prop: UInt32 = 3
  static let nop: UInt32 = 4
  static let end: UInt32 = 9

  var entries: [Entry]
  var reservations: [(address: UInt64, size: UInt64)] = []
  var bootCPU: UInt32 = 0
  /// Tokens of the parsed blob, absolute offsets; empty for a built tree.
  var tokens: [Token] = []

  init(entries: [Entry]) { self.entries = entries }

  /// The subtree rooted at `index`: the node and every later entry deeper
  /// than it.
  func subtree(_ index: Int) -> Range<Int> {
    var end = index + 1
    while end < entries.count && entries[end].depth > entries[index].depth { end += 1 }
    return index..<end
  }

  /// The phandles carried by `phandle` properties, in pre-order.
  var phandles: [UInt32] {
    entries.compactMap { entry in
      entry.properties.first { $0.name == Array("phandle".utf8) }.flatMap { property in
        property.value.count == 4 ? Blob.word(property.value, 0) : nil
      }
    }
  }
}

// MARK: - Parsing

extension FlatTree {
  /// Reads a version 16 or 17 blob; nil when anything is out of place (the
  /// mutator then falls back to byte-level moves).
  static func parse(_ bytes: [UInt8]) -> FlatTree? {
    guard bytes.count >= 40, Blob.word(bytes, 0) == 0xd00d_feed else { return nil }
    let total = min(Int(Blob.word(bytes, 4)), bytes.count)
    let structStart = Int(Blob.word(bytes, 8))
    let stringsStart = Int(Blob.word(bytes, 12))
    let version = Blob.word(bytes, 20)
    let stringsEnd = stringsStart + Int(Blob.word(bytes, 32))
    let structEnd = version >= 17 ? structStart + Int(Blob.word(bytes, 36)) : total
    guard version >= 16, structEnd <= total, stringsEnd <= total, structStart <= structEnd
    else { return nil }
    var tree = FlatTree(entries: [])
    tree.bootCPU = Blob.word(bytes, 28)
    tree.reservations = reservations(bytes, at: Int(Blob.word(bytes, 16)), total: total)
    var offset = structStart
    var depth = 0
    while offset + 4 <= structEnd {
      let tag = Blob.word(bytes, offset)
      tree.tokens.append(Token(offset: offset, tag: tag))
      offset += 4
      switch tag {
      case beginNode:
        guard let end = bytes[offset..<structEnd].firstIndex(of: 0) else { return nil }
        tree.entries.append(Entry(depth: depth, name: Array(bytes[offset..<end]), properties: []))
        depth += 1
        offset = Blob.aligned(end + 1)
      case endNode:
        guard depth > 0 else { return nil }
        depth -= 1
      case prop:
        guard offset + 8 <= structEnd, !tree.entries.isEmpty else { return nil }
        let length = Int(Blob.word(bytes, offset))
        let nameStart = stringsStart + Int(Blob.word(bytes, offset + 4))
        guard offset + 8 + length <= structEnd, nameStart < stringsEnd,
          let nameEnd = bytes[nameStart..<stringsEnd].firstIndex(of: 0)
        else { return nil }
        let value = Array(bytes[offset + 8..<offset + 8 + length])
        tree.entries[tree.entries.count - 1].properties.append(
          Property(name: Array(bytes[nameStart..<nameEnd]), value: value))
        offset = Blob.aligned(offset + 8 + length)
      case nop:
        continue
      case end:
        return depth == 0 && !tree.entries.isEmpty ? tree : nil
      default:
        return nil
      }
    }
    return nil
  }

  private static func reservations(_ bytes: [UInt8], at start: Int, total: Int)
    -> [(address: UInt64, size: UInt64)]
  {
    var result: [(address: UInt64, size: UInt64)] = []
    var offset = start
    while offset + 16 <= total && result.count < 8 {
      let address = UInt64(Blob.word(bytes, offset)) << 32 | UInt64(Blob.word(bytes, offset + 4))
      let size = UInt64(Blob.word(bytes, offset + 8)) << 32 | UInt64(Blob.word(bytes, offset + 12))
      if address == 0 && size == 0 { break }
      result.append((address, size))
      offset += 16
    }
    return result
  }
}

// MARK: - Serialisation

extension FlatTree {
  /// A well-formed blob in dtc's layout (header, reservations, structure,
  /// strings), version 17 or 16. Depth jumps of more than one level are
  /// closed and reopened as the pre-order list says.
  func serialized(version: UInt32 = 17) -> [UInt8] {
    var structure: [UInt8] = []
    var strings: [UInt8] = []
    var stringOffsets: [[UInt8]: Int] = [:]
    var open = 0
    for entry in entries {
      while open > entry.depth {
        Blob.append(&structure, Self.endNode)
        open -= 1
      }
      Blob.append(&structure, Self.beginNode)
      structure += entry.name + [0]
      Blob.pad(&structure)
      open += 1
      for property in entry.properties {
        let nameOffset: Int
        if let known = stringOffsets[property.name] {
          nameOffset = known
        } else {
          nameOffset = strings.count
          strings += property.name + [0]
          stringOffsets[property.name] = nameOffset
        }
        Blob.append(&structure, Self.prop)
        Blob.append(&structure, UInt32(truncatingIfNeeded: property.value.count))
        Blob.append(&structure, UInt32(truncatingIfNeeded: nameOffset))
        structure += property.value
        Blob.pad(&structure)
      }
    }
    for _ in 0..<open { Blob.append(&structure, Self.endNode) }
    Blob.append(&structure, Self.end)

    let reservationsStart = 40
    let structStart = reservationsStart + 16 * (reservations.count + 1)
    let stringsStart = structStart + structure.count
    let total = stringsStart + strings.count
    var blob: [UInt8] = []
    blob.reserveCapacity(total)
    let header: [Int] = [
      0xd00d_feed, total, structStart, stringsStart, reservationsStart, Int(version), 16,
      Int(bootCPU), strings.count, structure.count,
    ]
    for word in header { Blob.append(&blob, UInt32(truncatingIfNeeded: word)) }
    for reservation in reservations + [(0, 0)] {
      Blob.append(&blob, UInt32(truncatingIfNeeded: reservation.address >> 32))
      Blob.append(&blob, UInt32(truncatingIfNeeded: reservation.address))
      Blob.append(&blob, UInt32(truncatingIfNeeded: reservation.size >> 32))
      Blob.append(&blob, UInt32(truncatingIfNeeded: reservation.size))
    }
    return blob + structure + strings
  }
}

/// Big-endian helpers over byte arrays.
enum Blob {
  static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
    return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
  }

  static func setWord(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
    guard offset >= 0, offset + 4 <= bytes.count else { return }
    for index in 0..<4 {
      bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(index)))
    }
  }

  static func append(_ bytes: inout [UInt8], _ value: UInt32) {
    bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
  }

  static func cells(_ values: [UInt32]) -> [UInt8] {
    var bytes: [UInt8] = []
    for value in values { append(&bytes, value) }
    return bytes
  }

  static func pad(_ bytes: inout [UInt8]) {
    while !bytes.count.isMultiple(of: 4) { bytes.append(0) }
  }

  static func aligned(_ offset: Int) -> Int { (offset + 3) & ~3 }
}
