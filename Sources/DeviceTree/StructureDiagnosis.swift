// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Says what `fdt_check_full` refused, in terms a user can act on.
///
/// libfdt returns one code for a whole blob ("truncated", "bad offset"); this
/// walks the structure block again in Swift, bounds-checked at every step,
/// and names the first token it finds wrong and where. It runs only after
/// libfdt has refused the blob, and only explains: when it recognises
/// nothing, libfdt's code is the message.
enum StructureDiagnosis {
  static func explain(_ blob: [UInt8], _ header: BlobHeader) -> String? {
    if let problem = reservations(blob, header) { return problem }
    guard header.version >= 16 else { return nil }  // Older property alignment; leave it to libfdt.
    let start = header.structOffset
    let end = header.version >= 17 ? start + header.structSize : header.totalSize
    var offset = start
    var depth = 0
    var roots = 0
    while offset + 4 <= end {
      let tag = BlobHeader.word(blob, offset)
      let here = "at structure offset \(hex(offset - start))"
      switch tag {
      case 1:
        guard let nul = blob[(offset + 4)..<end].firstIndex(of: 0) else {
          return "the name of the node \(here) has no NUL before the end of the structure block"
        }
        if depth == 0 && roots > 0 { return "a second root node \(here)" }
        if depth == 0 && nul > offset + 4 { return "the root node \(here) has a name" }
        roots += depth == 0 ? 1 : 0
        depth += 1
        offset = aligned(nul + 1, from: start)
      case 2:
        if depth == 0 { return "an END_NODE token \(here) closes no node" }
        depth -= 1
        offset += 4
      case 3:
        if let problem = property(blob, header, at: offset, end: end, here) { return problem }
        offset = aligned(offset + 12 + Int(BlobHeader.word(blob, offset + 4)), from: start)
      case 4:
        offset += 4
      case 9:
        return depth == 0
          ? nil : "the structure block ends \(here) with \(depth) node(s) still open"
      default:
        return "unknown token \(hex(tag)) \(here)"
      }
    }
    return "the structure block has no FDT_END token"
  }

  /// Tokens are 4-byte aligned relative to the structure block, which need
  /// not itself be aligned in the file.
  private static func aligned(_ offset: Int, from start: Int) -> Int {
    start + ((offset - start + 3) & ~3)
  }

  private static func property(
    _ blob: [UInt8], _ header: BlobHeader, at offset: Int, end: Int, _ here: String
  ) -> String? {
    guard offset + 12 <= end else {
      return "the property \(here) runs past the end of the structure block"
    }
    let length = Int(BlobHeader.word(blob, offset + 4))
    if length > end - offset - 12 {
      return "the property \(here) says it holds \(length) bytes, past the end of the structure "
        + "block"
    }
    let nameOffset = Int(BlobHeader.word(blob, offset + 8))
    guard nameOffset < header.stringsSize else {
      return "the property \(here) names string offset \(hex(nameOffset)), outside the "
        + "\(header.stringsSize)-byte strings block"
    }
    let strings = header.stringsOffset
    if !blob[(strings + nameOffset)..<(strings + header.stringsSize)].contains(0) {
      return "the name of the property \(here) (string offset \(hex(nameOffset))) has no NUL "
        + "before the end of the strings block"
    }
    return nil
  }

  private static func reservations(_ blob: [UInt8], _ header: BlobHeader) -> String? {
    var offset = header.reservationsOffset
    while offset + 16 <= header.totalSize {
      if blob[offset..<offset + 16].allSatisfy({ $0 == 0 }) { return nil }
      offset += 16
    }
    return "the memory reservation block has no terminating entry"
  }
}
