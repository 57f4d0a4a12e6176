// Implementation notes
//
// DeviceTree is the faithful, permissive layer (dtlib's role in Zephyr's
// python-devicetree): it reports what the blob holds and how the OF core
// would read it, and interprets no binding. It is the only module that sees
// C, and only in FlattenedTree.swift; everything here is plain values.
// Nodes are stored in pre-order, the order the kernel unflattens them and the
// order `of_find_node_by_phandle` searches, so "first in pre-order wins"
// falls out of index order.

/// Two nodes that claim one phandle.
public struct DuplicatePhandle: Hashable, Sendable {
  public let phandle: UInt32
  /// The node lookups resolve to (first in pre-order).
  public let winner: NodeID
  public let loser: NodeID
}

/// A whole device tree as Swift values.
///
/// Immutable, and a class so that the bindings, iterators and planner that
/// each keep the tree at hand share it for one retain.
public final class DeviceTree: Sendable {
  /// Every node in pre-order; `nodes[id.rawValue]` is the node with that id.
  public let nodes: [Node]
  public let duplicatePhandles: [DuplicatePhandle]
  private let phandles: [UInt32: NodeID]
  private let paths: [String: NodeID]
  private let labelsByNode: [NodeID: [String]]

  /// Parses and validates a flattened device tree blob (any alignment),
  /// refusing one that exceeds `limits`.
  public init(blob: [UInt8], limits: LoadLimits = .standard) throws(BlobError) {
    let flat = try FlattenedTree.flatten(blob, limits: limits)
    let raw = flat.nodes
    // Parents and children first, so that each node is built once, whole.
    var parents: [NodeID?] = []
    var children: [[NodeID]] = Array(repeating: [], count: raw.count)
    parents.reserveCapacity(raw.count)
    var stack: [NodeID] = []
    for (index, entry) in raw.enumerated() {
      stack.removeSubrange(min(entry.depth, stack.count)...)
      let parent = stack.last
      parents.append(parent)
      if let parent { children[parent.rawValue].append(NodeID(index)) }
      stack.append(NodeID(index))
    }
    var nodes: [Node] = []
    nodes.reserveCapacity(raw.count)
    var paths: [String: NodeID] = [:]
    paths.reserveCapacity(raw.count)
    for (index, entry) in raw.enumerated() {
      var path = "/"
      if let parent = parents[index] {
        let parentPath = nodes[parent.rawValue].path
        if parentPath != "/" {
          path = ""
          path.reserveCapacity(parentPath.utf8.count + 1 + entry.name.utf8.count)
          path.append(parentPath)
          path.append("/")
        }
        path.append(entry.name)
      }
      let node = Node(
        id: NodeID(index), name: entry.name, path: path, parent: parents[index],
        children: children[index], properties: flat.properties[entry.properties])
      nodes.append(node)
      // The first node with a path wins, as `of_find_node_by_path` finds it.
      if let first = paths.updateValue(node.id, forKey: path) { paths[path] = first }
    }
    self.nodes = nodes
    self.paths = paths

    var phandles: [UInt32: NodeID] = [:]
    var duplicates: [DuplicatePhandle] = []
    for node in nodes where node.phandle != 0 {
      if let winner = phandles[node.phandle] {
        duplicates.append(DuplicatePhandle(phandle: node.phandle, winner: winner, loser: node.id))
      } else {
        phandles[node.phandle] = node.id
      }
    }
    self.phandles = phandles
    self.duplicatePhandles = duplicates

    var labels: [NodeID: [String]] = [:]
    if let symbols = paths["/__symbols__"] {
      for property in nodes[symbols.rawValue].properties {
        if let target = property.string.flatMap({ paths[$0] }) {
          labels[target, default: []].append(property.name)
        }
      }
    }
    self.labelsByNode = labels.mapValues { $0.sorted() }
  }

  public var root: Node { nodes[0] }

  public subscript(id: NodeID) -> Node { nodes[id.rawValue] }

  /// The node a phandle resolves to, as `of_find_node_by_phandle` finds it:
  /// 0 resolves to nothing, any other value to the first node in pre-order.
  public func node(phandle: UInt32) -> NodeID? {
    phandle == 0 ? nil : phandles[phandle]
  }

  public func node(path: String) -> NodeID? { paths[path] }

  /// Labels from `/__symbols__` (present when dtc ran with `-@`), sorted.
  public func labels(of id: NodeID) -> [String] { labelsByNode[id] ?? [] }

  /// The ancestors of a node, nearest first.
  public func ancestors(of id: NodeID) -> [NodeID] {
    var result: [NodeID] = []
    var current = self[id].parent
    while let node = current {
      result.append(node)
      current = self[node].parent
    }
    return result
  }
}
