// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The nodes a report mentions, with what output needs of each: its path as
/// `fdt_get_path` prints it, whether a device would be created for it, and
/// its place in path order.
///
/// A report keeps this instead of the tree, so that `lint` holds hundreds of
/// reports without their blobs, and renderers name nodes without seeing the
/// tree. Identity stays the `NodeID`; a path is only ever printed or, across
/// two trees, matched. The paths share one byte array: a tree of 100,000
/// masters makes no String per path until one is asked for.
public struct NodeTable: Sendable {
  private struct Entry {
    var start: Int32
    var length: Int32
    var rank: Int32
    var enabled: Bool
  }

  private let pool: [UInt8]
  private let entries: [Entry]
  /// Entry index + 1 by node; 0 for a node the report does not mention.
  private let slots: [Int32]

  /// `nodes` may repeat; `enabled` says whether a device is created for one.
  init(tree: DeviceTree, nodes: some Sequence<NodeID>, enabled: (NodeID) -> Bool) {
    var slots = [Int32](repeating: 0, count: tree.nodes.count)
    var pool: [UInt8] = []
    var entries: [Entry] = []
    for node in nodes where slots[node.rawValue] == 0 {
      let start = pool.count
      tree.appendPath(of: node, to: &pool)
      entries.append(
        Entry(
          start: Int32(start), length: Int32(pool.count - start), rank: 0, enabled: enabled(node)))
      slots[node.rawValue] = Int32(entries.count)
    }
    Self.rank(&entries, pool)
    self.pool = pool
    self.entries = entries
    self.slots = slots
  }

  /// Path order (`PathOrder`: unit addresses as numbers).
  private static func rank(_ entries: inout [Entry], _ pool: [UInt8]) {
    var order = Array(entries.indices)
    pool.withUnsafeBufferPointer { bytes in
      func path(_ entry: Entry) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(entry.start)..<Int(entry.start + entry.length)])
      }
      order.sort { lhs, rhs in
        let compared = PathOrder.compare(path(entries[lhs]), path(entries[rhs]))
        return compared != 0 ? compared < 0 : lhs < rhs
      }
    }
    for (rank, index) in order.enumerated() { entries[index].rank = Int32(rank) }
  }

  private func entry(_ node: NodeID) -> Entry {
    let slot = node.rawValue < slots.count ? Int(slots[node.rawValue]) : 0
    precondition(slot > 0, "a report names only nodes it recorded")
    return entries[slot - 1]
  }

  public func contains(_ node: NodeID) -> Bool {
    node.rawValue >= 0 && node.rawValue < slots.count && slots[node.rawValue] > 0
  }

  public func path(_ node: NodeID) -> String {
    let entry = entry(node)
    return String(decoding: pool[Int(entry.start)..<Int(entry.start + entry.length)], as: UTF8.self)
  }

  /// The path's UTF-8 bytes, in place: renderers copy them into their output.
  public func withPathBytes<Result>(
    _ node: NodeID, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
  ) rethrows -> Result {
    let entry = entry(node)
    return try pool.withUnsafeBufferPointer { bytes in
      try body(
        UnsafeBufferPointer(rebasing: bytes[Int(entry.start)..<Int(entry.start + entry.length)]))
    }
  }

  /// The path's length in bytes.
  public func pathLength(_ node: NodeID) -> Int { Int(entry(node).length) }

  /// Whether a device is created for the node: it and every ancestor are
  /// available.
  public func isEnabled(_ node: NodeID) -> Bool { entry(node).enabled }

  /// The node's place in path order among the nodes of this table.
  public func rank(_ node: NodeID) -> Int { Int(entry(node).rank) }

  /// Path order, for sorting what a report lists.
  public func precedes(_ lhs: NodeID, _ rhs: NodeID) -> Bool { rank(lhs) < rank(rhs) }

  /// Every node the table holds, in path order.
  public var nodes: [NodeID] {
    var result = [NodeID](repeating: NodeID(0), count: entries.count)
    for (node, slot) in slots.enumerated() where slot > 0 {
      result[Int(entries[Int(slot) - 1].rank)] = NodeID(node)
    }
    return result
  }
}
