// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The properties of one tree as parallel arrays, in blob order: 12 bytes
/// each. Values stay in the blob.
struct PropertyTable {
  /// Index into the tree's interned names (`PropertyNames`).
  var names: [Int32] = []
  var valueOffsets: [UInt32] = []
  var valueLengths: [UInt32] = []

  var count: Int { names.count }
}

extension PropertyTable {
  /// Property `index` as a value: its interned name and a view of the blob.
  func property(_ index: Int, names: [String], blob: [UInt8]) -> Property {
    Property(
      name: names[Int(self.names[index])],
      bytes: PropertyBytes(
        blob, offset: Int(valueOffsets[index]), count: Int(valueLengths[index])))
  }
}
