/// The property names of one blob by offset in its strings block: each
/// distinct name becomes one String, shared by every property that uses it.
///
/// Every property looks its name up here, so offsets in the first 64 KiB of
/// the block (all of a real blob's: a few KiB) index an array, with no
/// hashing; offsets past that, which only a hostile blob has, go to a
/// dictionary, so that the array never grows with the block.
struct PropertyNames {
  static let directLimit = 1 << 16

  /// Index + 1 into `names` by offset; 0 when not seen yet.
  private var slots: [Int32]
  private var names: [String] = []
  private var byOffset: [Int: String] = [:]

  init(stringsSize: Int) {
    slots = Array(repeating: 0, count: min(max(stringsSize, 0), Self.directLimit))
  }

  /// The name at `offset`, made by `make` the first time it is asked for.
  mutating func name(at offset: Int, _ make: () -> String) -> String {
    if offset >= 0 && offset < slots.count {
      let slot = Int(slots[offset])
      if slot > 0 { return names[slot - 1] }
      let name = make()
      names.append(name)
      slots[offset] = Int32(names.count)
      return name
    }
    if let known = byOffset[offset] { return known }
    let name = make()
    byOffset[offset] = name
    return name
  }
}
