// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Every node of a tree in pre-order, as views: `nodes[i].id == NodeID(i)`.
public struct Nodes: RandomAccessCollection, Sendable {
  let tree: DeviceTree

  public var startIndex: Int { 0 }
  public var endIndex: Int { tree.nodeTable.count }

  public subscript(position: Int) -> Node {
    precondition(position >= 0 && position < endIndex, "node index out of range")
    return Node(tree: tree, id: NodeID(position))
  }
}
