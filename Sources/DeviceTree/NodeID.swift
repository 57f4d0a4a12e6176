// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A node's position in `DeviceTree.nodes` (pre-order, root = 0).
///
/// Held in 32 bits: a tree has at most `LoadLimits.maximumNodeCount` nodes,
/// and reports keep a node id in every link and consumer, of which a tree
/// of masters has hundreds of thousands.
public struct NodeID: Hashable, Comparable, Sendable {
  private let value: UInt32

  public init(_ rawValue: Int) {
    precondition(rawValue >= 0 && rawValue <= Int(UInt32.max), "a node index fits in 32 bits")
    value = UInt32(truncatingIfNeeded: rawValue)
  }

  public var rawValue: Int { Int(value) }

  public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.value < rhs.value }
}
