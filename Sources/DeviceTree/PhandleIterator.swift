// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A port of the kernel's `struct of_phandle_iterator` (drivers/of/base.c)
/// over a `DeviceTree`.
///
/// Semantics follow 6.1 and 6.12, which agree: a phandle of 0 is an empty
/// one-cell entry; with `cellsName` a target without that property falls back
/// to `cellCount` when it is >= 0 and is an error otherwise; without
/// `cellsName` every entry has `cellCount` arguments and an unknown phandle is
/// not an error. An error does not advance the iterator, so calling `next()`
/// again fails again, and nothing after a malformed entry is reachable.
public struct PhandleIterator: Sendable {
  public let consumer: NodeID
  public let listName: String
  public let cellsName: String?
  public let cellCount: Int

  /// The list property, read in place: cells are taken from its bytes as
  /// the walk reaches them.
  public let property: Property

  private let tree: DeviceTree
  /// `cellsName` interned; nil also when no property of the tree has it.
  private let cellsProperty: PropertyName?
  private let listCount: Int
  private var current = 0
  private var phandleEnd = 0

  /// The number of the current entry (0-based); -1 before the first `next()`.
  public private(set) var entry = -1
  /// The current entry's phandle; 0 for an empty entry.
  public private(set) var phandle: UInt32 = 0
  /// The current entry's target; nil for an empty entry or, without
  /// `cellsName`, a phandle that resolves to nothing.
  public private(set) var target: NodeID?
  /// The current entry's declared argument count (not clamped to 16).
  public private(set) var argumentCount = 0
  /// The cell offset of the current entry's phandle.
  public private(set) var cell = 0

  /// The corresponding kernel function is `of_phandle_iterator_init`. Throws
  /// `-EINVAL` when no way to size entries is given, `-ENOENT` when the
  /// property is missing. An empty property is fine and yields no entries.
  public init(
    tree: DeviceTree, node: NodeID, listName: String, cellsName: String?, cellCount: Int
  ) throws(PhandleError) {
    if cellCount < 0 && cellsName == nil { throw PhandleError(.noCellCount, errno: .invalid) }
    guard let property = tree[node].property(listName) else {
      throw PhandleError(.noProperty, errno: .noEntry)
    }
    self.tree = tree
    self.consumer = node
    self.listName = listName
    self.cellsName = cellsName
    self.cellCount = cellCount
    self.property = property
    self.listCount = property.cellCount
    self.cellsProperty = cellsName.flatMap { tree.propertyName($0) }
  }

  /// The property's cells (whole cells only), for messages. Made on each call.
  public var cells: [UInt32] { property.cells }

  /// The cell offset of the current entry's first argument.
  public var argumentStart: Int { cell + 1 }

  /// Moves to the next entry. Returns false at the end of the list (the
  /// kernel's `-ENOENT`) and throws `-EINVAL` for a malformed entry.
  /// The corresponding kernel function is `of_phandle_iterator_next`.
  public mutating func next() throws(PhandleError) -> Bool {
    target = nil
    guard phandleEnd < listCount else { return false }
    let nextEntry = entry + 1
    current = phandleEnd
    let start = current
    let value = property.bytes.cell(current)
    current += 1
    var count = 0
    var resolved: NodeID?
    if value != 0 {
      resolved = tree.node(phandle: value)
      if let cellsName {
        guard let node = resolved else {
          throw PhandleError(.unknownPhandle(value), errno: .invalid, entry: nextEntry, cell: start)
        }
        if let declared = cellsProperty.flatMap({ tree.property($0, of: node) })?.firstCell {
          count = Int(declared)
        } else if cellCount >= 0 {
          count = cellCount
        } else {
          throw PhandleError(
            .missingCellsProperty(target: node, cellsName: cellsName), errno: .invalid,
            entry: nextEntry, cell: start)
        }
      } else {
        count = cellCount
      }
      let remaining = listCount - current
      if count > remaining {
        throw PhandleError(
          .overrun(target: resolved, needed: count, found: remaining), errno: .invalid,
          entry: nextEntry, cell: start)
      }
    }
    entry = nextEntry
    cell = start
    phandle = value
    target = resolved
    argumentCount = count
    phandleEnd = current + count
    return true
  }

  /// The current entry's arguments, at most `limit` of them (the kernel warns
  /// and truncates; the position of later entries is unaffected).
  /// The corresponding kernel function is `of_phandle_iterator_args`.
  public func arguments(limit: Int = maximumPhandleArguments) -> [UInt32] {
    (0..<min(argumentCount, max(limit, 0))).map { property.bytes.cell(argumentStart + $0) }
  }
}

/// `MAX_PHANDLE_ARGS` in include/linux/of.h.
public let maximumPhandleArguments = 16

/// One parsed entry: what `struct of_phandle_args` holds.
public struct PhandleArguments: Hashable, Sendable {
  /// The resolved node; nil only for fixed-count parsing of an unknown phandle.
  public let target: NodeID?
  /// At most 16 cells, as the kernel copies them.
  public let arguments: [UInt32]
  /// The entry's declared argument count, which may exceed 16.
  public let declaredCount: Int
}

extension DeviceTree {
  /// Parses entry `index` of a phandle list.
  /// The corresponding kernel function is `__of_parse_phandle_with_args`;
  /// `of_parse_phandle_with_args` passes `cellCount` -1 (0 without
  /// `cellsName`), `_with_fixed_args` passes no `cellsName`, and
  /// `_with_optional_args` passes 0.
  public func parsePhandle(
    node: NodeID, listName: String, cellsName: String?, cellCount: Int, index: Int
  ) throws(PhandleError) -> PhandleArguments {
    if index < 0 { throw PhandleError(.negativeIndex, errno: .invalid) }
    // of_for_each_phandle ignores init's result: every init failure surfaces
    // as -ENOENT from the first next().
    var iterator: PhandleIterator
    do {
      iterator = try PhandleIterator(
        tree: self, node: node, listName: listName, cellsName: cellsName, cellCount: cellCount)
    } catch {
      throw PhandleError(error.kind, errno: .noEntry)
    }
    while try iterator.next() {
      guard iterator.entry == index else { continue }
      if iterator.phandle == 0 {
        throw PhandleError(.emptyEntry, errno: .noEntry, entry: index, cell: iterator.cell)
      }
      return PhandleArguments(
        target: iterator.target, arguments: iterator.arguments(),
        declaredCount: iterator.argumentCount)
    }
    throw PhandleError(.indexOutOfRange, errno: .noEntry, entry: index)
  }

  /// Counts the entries of a phandle list, empty ones included. Without
  /// `cellsName` every cell counts. A malformed entry anywhere makes the whole
  /// count fail.
  /// The corresponding kernel function is `of_count_phandle_with_args`.
  public func countPhandles(node: NodeID, listName: String, cellsName: String?) throws(PhandleError)
    -> Int
  {
    guard let cellsName else {
      guard let property = self[node].property(listName) else {
        throw PhandleError(.noProperty, errno: .noEntry)
      }
      return property.bytes.count / 4
    }
    var iterator = try PhandleIterator(
      tree: self, node: node, listName: listName, cellsName: cellsName, cellCount: -1)
    var count = 0
    while try iterator.next() { count += 1 }
    return count
  }
}
