// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The properties of one node, in blob order, indexed from 0.
public struct Properties: RandomAccessCollection, Sendable {
  let tree: DeviceTree
  /// Where they sit in the tree's property table.
  let range: Range<Int>

  public var startIndex: Int { 0 }
  public var endIndex: Int { range.count }

  public subscript(position: Int) -> Property {
    precondition(position >= 0 && position < range.count, "property index out of range")
    return tree.propertyTable.property(
      range.lowerBound + position, names: tree.propertyNames, blob: tree.blob)
  }

  /// The interned name of the property at `position`, without making it.
  public func name(at position: Int) -> PropertyName {
    precondition(position >= 0 && position < range.count, "property index out of range")
    return PropertyName(index: tree.propertyTable.names[range.lowerBound + position])
  }
}
