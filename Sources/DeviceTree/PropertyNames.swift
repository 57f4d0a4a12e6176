// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The property names of one blob, interned: each distinct name is one
/// String in `names`, and a property keeps its index there.
///
/// Every property looks its name up by its offset in the strings block, so
/// offsets in the first 64 KiB of the block (all of a real blob's: a few
/// KiB) index an array, with no hashing; offsets past that, which only a
/// hostile blob has, go to a dictionary, so that the array never grows with
/// the block. Two offsets can hold the same text (dtc shares one copy; a
/// hand-made blob need not), so a new offset's text is looked up as well:
/// one name, one index, whatever its offsets.
struct PropertyNames {
  static let directLimit = 1 << 16

  /// Index + 1 into `names` by offset; 0 when not seen yet.
  private var slots: [Int32]
  private var byOffset: [Int: Int32] = [:]
  private(set) var names: [String] = []
  private(set) var indices: [PropertyNameKey: Int32] = [:]
  /// `prefixKey` of each name, by index.
  private(set) var prefixKeys: [UInt64] = []
  /// The indices of the names `fdt_get_phandle` reads; -1 while unseen.
  private(set) var phandle: Int32 = -1
  private(set) var linuxPhandle: Int32 = -1

  init(stringsSize: Int) {
    slots = Array(repeating: 0, count: min(max(stringsSize, 0), Self.directLimit))
  }

  /// The index of the name at `offset`, made by `make` the first time the
  /// offset is asked for.
  mutating func index(at offset: Int, _ make: () -> String) -> Int32 {
    if offset >= 0 && offset < slots.count {
      let slot = slots[offset]
      if slot > 0 { return slot - 1 }
      let index = intern(make())
      slots[offset] = index + 1
      return index
    }
    if let known = byOffset[offset] { return known }
    let index = intern(make())
    byOffset[offset] = index
    return index
  }

  private mutating func intern(_ name: String) -> Int32 {
    let key = PropertyNameKey(text: name)
    if let known = indices[key] { return known }
    let index = Int32(names.count)
    names.append(name)
    indices[key] = index
    prefixKeys.append(Self.prefixKey(name))
    if name.utf8.elementsEqual("phandle".utf8) { phandle = index }
    if name.utf8.elementsEqual("linux,phandle".utf8) { linuxPhandle = index }
    return index
  }
}

extension PropertyNames {
  /// A name's length and first seven bytes in one integer, to rule out most
  /// names with one comparison: names with different keys differ, and names
  /// of at most seven bytes with one key are the same name.
  static func prefixKey(_ name: String) -> UInt64 {
    name.utf8.withContiguousStorageIfAvailable(prefixKey)
      ?? Array(name.utf8).withUnsafeBufferPointer(prefixKey)
  }

  private static func prefixKey(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var key = UInt64(min(bytes.count, 0xff))
    for position in 0..<min(bytes.count, 7) {
      key |= UInt64(bytes[position]) << (8 * UInt64(position + 1))
    }
    return key
  }
}
