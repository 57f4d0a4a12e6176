// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Damage in the places a reader of the format looks: header fields, tokens,
/// property lengths and name offsets, terminators, block placement, and the
/// end of the file. Offsets come from a tolerant parse when there is one, so
/// most moves hit a real token rather than the middle of a value.
enum LayoutMutations {
  /// Header word offsets: magic, totalsize, off_dt_struct, off_dt_strings,
  /// off_mem_rsvmap, version, last_comp_version, boot_cpuid_phys,
  /// size_dt_strings, size_dt_struct.
  static let headerFields = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36]

  static func apply(_ input: [UInt8], _ random: inout SplitMix) -> [UInt8]? {
    guard input.count >= 40 else { return nil }
    var blob = input
    let tokens = FlatTree.parse(input)?.tokens ?? []
    let properties = tokens.filter { $0.tag == FlatTree.prop }
    let nodes = tokens.filter { $0.tag == FlatTree.beginNode }
    switch random.below(10) {
    case 0, 1:
      header(&blob, &random)
    case 2:
      guard let token = tokens.randomElement(using: &random) else { return nil }
      Blob.setWord(&blob, token.offset, random.pick([1, 2, 3, 4, 9, 0, 5], or: 4))
    case 3:
      guard let token = properties.randomElement(using: &random) else { return nil }
      let length = Blob.word(blob, token.offset + 4)
      let lengths: [UInt32] = [
        0, 1, 3, length &+ 1, length &+ 4, length &- 1, length &- 4, 0x7fff_ffff, 0xffff_fffc,
        0xffff_ffff, Blob.word(blob, 36),
      ]
      Blob.setWord(&blob, token.offset + 4, random.pick(lengths, or: 0))
    case 4:
      guard let token = properties.randomElement(using: &random) else { return nil }
      let size = Blob.word(blob, 32)
      let offsets: [UInt32] = [size, size &- 1, size &+ 1, 0xffff_ffff, 0x7fff_ffff, 0x8000_0000]
      let other = properties.randomElement(using: &random).map { Blob.word(blob, $0.offset + 8) }
      Blob.setWord(&blob, token.offset + 8, random.pick(offsets + [other ?? 0], or: 0))
    case 5:
      // An unterminated name: the node's NUL, or the strings block's last.
      if let token = nodes.randomElement(using: &random), random.chance(60),
        let nul = blob[(token.offset + 4)...].firstIndex(of: 0)
      {
        blob[nul] = 0x61
      } else {
        let end = Int(Blob.word(blob, 12)) + Int(Blob.word(blob, 32)) - 1
        if end >= 0 && end < blob.count { blob[end] = 0x61 }
      }
    case 6:
      overlap(&blob, &random)
    case 7:
      let cut = random.below(blob.count)
      blob.removeLast(blob.count - max(cut, 1))
    case 8:
      insertToken(&blob, tokens, &random)
    default:
      blob += [UInt8](
        repeating: UInt8(truncatingIfNeeded: random.next()), count: 1 + random.below(64))
    }
    return blob
  }

  static func header(_ blob: inout [UInt8], _ random: inout SplitMix) {
    let field = random.chance(5) ? 0 : random.pick(Array(headerFields.dropFirst()), or: 4)
    let current = Blob.word(blob, field)
    let other = Blob.word(blob, random.pick(headerFields, or: 4))
    let size = UInt32(truncatingIfNeeded: blob.count)
    let values: [UInt32] = [
      random.interesting(), current &+ 4, current &- 4, current &+ 1, other, size, size &+ 8,
      size &- 8, 0, 1, 16, 17, 18,
    ]
    Blob.setWord(&blob, field, random.pick(values, or: 0))
  }

  /// Moves one block onto another: strings into the structure block, the
  /// reservation map onto either, or the structure block onto the header.
  static func overlap(_ blob: inout [UInt8], _ random: inout SplitMix) {
    let structure = Blob.word(blob, 8)
    let strings = Blob.word(blob, 12)
    switch random.below(4) {
    case 0: Blob.setWord(&blob, 12, structure &+ UInt32(4 * random.below(8)))
    case 1: Blob.setWord(&blob, 16, random.chance(50) ? structure : strings)
    case 2: Blob.setWord(&blob, 8, UInt32(28 + 4 * random.below(3)))
    default: Blob.setWord(&blob, 8, strings &- UInt32(4 * random.below(4)))
    }
  }

  /// Inserts a token at a token boundary and fixes the header up, so the
  /// rest of the blob stays where the header says it is: a second root, an
  /// early end, a stray END_NODE, a property outside any node.
  static func insertToken(
    _ blob: inout [UInt8], _ tokens: [FlatTree.Token], _ random: inout SplitMix
  ) {
    guard let token = tokens.randomElement(using: &random) else { return }
    let inserted: [UInt8] =
      switch random.below(5) {
      case 0: Blob.cells([FlatTree.endNode])
      case 1: Blob.cells([FlatTree.beginNode, 0])
      case 2: Blob.cells([FlatTree.end])
      case 3: Blob.cells([FlatTree.prop, 4, 0, 1])
      default: Blob.cells([FlatTree.nop])
      }
    blob.insert(contentsOf: inserted, at: token.offset)
    let grow = UInt32(inserted.count)
    Blob.setWord(&blob, 4, Blob.word(blob, 4) &+ grow)
    Blob.setWord(&blob, 36, Blob.word(blob, 36) &+ grow)
    if Int(Blob.word(blob, 12)) >= token.offset {
      Blob.setWord(&blob, 12, Blob.word(blob, 12) &+ grow)
    }
  }
}

extension Array {
  func randomElement(using random: inout SplitMix) -> Element? {
    isEmpty ? nil : self[random.below(count)]
  }
}
