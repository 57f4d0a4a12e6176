// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
// Implementation notes
//
// DeviceTree is the faithful, permissive layer (dtlib's role in Zephyr's
// python-devicetree): it reports what the blob holds and how the OF core
// would read it, and interprets no binding. It is the only module that sees
// libfdt, and only in FlattenedTree.swift (and Input/BlobWriter.swift, which
// writes blobs); everything here is plain values.
// Nodes are stored in pre-order, the order the kernel unflattens them and the
// order `of_find_node_by_phandle` searches, so "first in pre-order wins"
// falls out of index order.
//
// The tree is the blob plus parallel arrays of 32-bit integers (NodeTable,
// PropertyTable): a 100,000-node blob costs a few MB more than itself, and
// loading it allocates per distinct property name, not per node. `Node`
// and `Property` are views made on demand; names and paths are decoded from
// the blob when asked for, so code that loops over every node should ask
// by `NodeID` and `PropertyName` and leave strings to what it prints.

/// Two nodes that claim one phandle.
public struct DuplicatePhandle: Hashable, Sendable {
  public let phandle: UInt32
  /// The node lookups resolve to (first in pre-order).
  public let winner: NodeID
  public let loser: NodeID
}

/// A whole device tree: the blob and where its nodes and properties are.
///
/// Immutable, and a class so that the bindings, iterators, node views and
/// planner that each keep the tree at hand share it for one retain.
public final class DeviceTree: Sendable {
  /// A node with more properties than this gets a table of its names:
  /// lookups run for every ancestor of every consumer, so a linear search
  /// would make a hostile node with a million properties cost a million per
  /// look, while a real node (at most a few dozen) is quicker to scan.
  static let indexedPropertyCount = 32

  let blob: [UInt8]
  let nodeTable: NodeTable
  let propertyTable: PropertyTable
  /// Every distinct property name, by interned index, and its prefix key.
  let propertyNames: [String]
  private let propertyPrefixKeys: [UInt64]
  private let nameIndices: [PropertyNameKey: Int32]
  /// For nodes with many properties: interned name to first property.
  private let firstPropertyByName: [Int32: [Int32: Int32]]
  private let phandleIndex: [UInt32: Int32]
  public let duplicatePhandles: [DuplicatePhandle]
  private let labelsByNode: [NodeID: [String]]
  /// Names every node view asks for, interned once.
  let statusName: PropertyName?
  let compatibleName: PropertyName?

  /// Parses and validates a flattened device tree blob (any alignment),
  /// refusing one that exceeds `limits`.
  public init(blob: [UInt8], limits: LoadLimits = .standard) throws(BlobError) {
    let flat = try FlattenedTree.flatten(blob, limits: limits)
    let names = flat.names
    self.blob = blob
    self.nodeTable = flat.nodes
    self.propertyTable = flat.properties
    self.propertyNames = names.names
    self.propertyPrefixKeys = names.prefixKeys
    self.nameIndices = names.indices
    self.firstPropertyByName = Self.indexProperties(flat.nodes, flat.properties)
    (self.phandleIndex, self.duplicatePhandles) = Self.indexPhandles(flat.nodes)
    self.labelsByNode = Self.resolveLabels(flat.nodes, flat.properties, names.names, blob)
    self.statusName = names.indices[PropertyNameKey(text: "status")].map(PropertyName.init)
    self.compatibleName = names.indices[PropertyNameKey(text: "compatible")].map(PropertyName.init)
  }

  private static func indexProperties(_ nodes: NodeTable, _ properties: PropertyTable)
    -> [Int32: [Int32: Int32]]
  {
    var index: [Int32: [Int32: Int32]] = [:]
    for node in 0..<nodes.count {
      let range = Int(nodes.firstProperties[node])..<Int(nodes.firstProperties[node + 1])
      guard range.count > indexedPropertyCount else { continue }
      var table: [Int32: Int32] = [:]
      for position in range where table[properties.names[position]] == nil {
        table[properties.names[position]] = Int32(position)
      }
      index[Int32(node)] = table
    }
    return index
  }

  private static func indexPhandles(_ nodes: NodeTable)
    -> ([UInt32: Int32], [DuplicatePhandle])
  {
    var phandles: [UInt32: Int32] = [:]
    var duplicates: [DuplicatePhandle] = []
    for (node, phandle) in nodes.phandles.enumerated() where phandle != 0 {
      if let winner = phandles[phandle] {
        duplicates.append(
          DuplicatePhandle(phandle: phandle, winner: NodeID(Int(winner)), loser: NodeID(node)))
      } else {
        phandles[phandle] = Int32(node)
      }
    }
    return (phandles, duplicates)
  }

  /// Labels from `/__symbols__`, by the node each names: the first in
  /// pre-order whose path equals the value, as `node(path:)` finds it. One
  /// walk over the tree with every wanted path at hand, stopping when all
  /// are found, rather than one `node(path:)` per label, which would cost
  /// labels times siblings on a wide tree.
  private static func resolveLabels(
    _ nodes: NodeTable, _ properties: PropertyTable, _ names: [String], _ blob: [UInt8]
  ) -> [NodeID: [String]] {
    let symbols = blob.withUnsafeBufferPointer { nodes.node(path: "/__symbols__", blob: $0) }
    guard let symbols else { return [:] }
    var wanted: [String: [String]] = [:]
    for index in Int(nodes.firstProperties[symbols])..<Int(nodes.firstProperties[symbols + 1]) {
      let property = properties.property(index, names: names, blob: blob)
      if let target = property.string { wanted[target, default: []].append(property.name) }
    }
    var labels: [NodeID: [String]] = [:]
    var path: [UInt8] = []
    blob.withUnsafeBufferPointer { blob in
      for node in 0..<nodes.count {
        if wanted.isEmpty { break }
        let length = nodes.rawPathLength(node)
        path.removeAll(keepingCapacity: true)
        path.append(contentsOf: repeatElement(0, count: length))
        path.withUnsafeMutableBufferPointer { nodes.writeRawPath(node, into: $0, blob: blob) }
        // Keyed by String, so that a value matches as a dictionary of paths
        // matched it: by canonical equivalence.
        if let found = wanted.removeValue(forKey: String(decoding: path, as: UTF8.self)) {
          labels[NodeID(node), default: []].append(contentsOf: found)
        }
      }
    }
    return labels.mapValues { $0.sorted() }
  }
}

// Nodes.
extension DeviceTree {
  /// Every node in pre-order; `nodes[id.rawValue]` is the node with that id.
  public var nodes: Nodes { Nodes(tree: self) }

  public var root: Node { Node(tree: self, id: NodeID(0)) }

  public subscript(id: NodeID) -> Node {
    precondition(id.rawValue >= 0 && id.rawValue < nodeTable.count, "node id out of range")
    return Node(tree: self, id: id)
  }

  /// The node a phandle resolves to, as `of_find_node_by_phandle` finds it:
  /// 0 resolves to nothing, any other value to the first node in pre-order.
  public func node(phandle: UInt32) -> NodeID? {
    phandle == 0 ? nil : phandleIndex[phandle].map { NodeID(Int($0)) }
  }

  /// The first node in pre-order whose path (as `path(of:)` spells it) is
  /// `path`, as `of_find_node_by_path` finds it; no aliases, no labels.
  public func node(path: String) -> NodeID? {
    blob.withUnsafeBufferPointer { nodeTable.node(path: path, blob: $0) }.map(NodeID.init)
  }

  /// Labels from `/__symbols__` (present when dtc ran with `-@`), sorted.
  public func labels(of id: NodeID) -> [String] { labelsByNode[id] ?? [] }

  public func parent(of id: NodeID) -> NodeID? {
    let parent = nodeTable.parents[id.rawValue]
    return parent < 0 ? nil : NodeID(Int(parent))
  }

  /// The ancestors of a node, nearest first.
  public func ancestors(of id: NodeID) -> [NodeID] {
    var result: [NodeID] = []
    var current = nodeTable.parents[id.rawValue]
    while current >= 0 {
      result.append(NodeID(Int(current)))
      current = nodeTable.parents[Int(current)]
    }
    return result
  }

  /// The subnodes, in blob order.
  public func children(of id: NodeID) -> [NodeID] {
    var result: [NodeID] = []
    var child = nodeTable.firstChild(id.rawValue)
    while child >= 0 {
      result.append(NodeID(child))
      child = Int(nodeTable.nextSiblings[child])
    }
    return result
  }

  /// The name with its unit address, e.g. `iommu@15000000`; empty for the root.
  public func name(of id: NodeID) -> String {
    let range = nodeTable.nameRange(id.rawValue)
    return blob.withUnsafeBufferPointer {
      String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self)
    }
  }

  /// The phandle libfdt's `fdt_get_phandle` reports: `phandle`, then
  /// `linux,phandle`, each only when exactly one cell long; 0 when neither.
  public func phandle(of id: NodeID) -> UInt32 { nodeTable.phandles[id.rawValue] }
}

// Paths.
extension DeviceTree {
  /// The full path as libfdt's `fdt_get_path` prints it. Made on each call.
  public func path(of id: NodeID) -> String {
    let length = nodeTable.rawPathLength(id.rawValue)
    return blob.withUnsafeBufferPointer { blob in
      // Repairs a name that is not UTF-8 as String(decoding:) does.
      String(unsafeUninitializedCapacity: length) { buffer in
        nodeTable.writeRawPath(id.rawValue, into: buffer, blob: blob)
        return length
      }
    }
  }

  /// Appends the UTF-8 of `path(of:)` to `bytes`, without making a String.
  public func appendPath(of id: NodeID, to bytes: inout [UInt8]) {
    guard nodeTable.namesAreASCII else {
      bytes.append(contentsOf: path(of: id).utf8)
      return
    }
    let length = nodeTable.rawPathLength(id.rawValue)
    let start = bytes.count
    bytes.append(contentsOf: repeatElement(0, count: length))
    blob.withUnsafeBufferPointer { blob in
      bytes.withUnsafeMutableBufferPointer { all in
        nodeTable.writeRawPath(
          id.rawValue, into: UnsafeMutableBufferPointer(rebasing: all[start...]), blob: blob)
      }
    }
  }

  /// `path(of: id).utf8.count`, without making the path.
  public func pathLength(of id: NodeID) -> Int {
    nodeTable.namesAreASCII
      ? nodeTable.rawPathLength(id.rawValue) : path(of: id).utf8.count
  }
}

// Properties.
extension DeviceTree {
  /// The interned name, or nil when no property of this tree has it (then
  /// every lookup by it would find nothing). Names compare by their bytes,
  /// as libfdt's do.
  public func propertyName(_ name: String) -> PropertyName? {
    nameIndices[PropertyNameKey(text: name)].map(PropertyName.init)
  }

  /// The node's properties, in blob order.
  public func properties(of id: NodeID) -> Properties {
    Properties(tree: self, range: propertyRange(id.rawValue))
  }

  /// The first property of that name in the node, as libfdt's
  /// `fdt_getprop` finds it.
  public func property(_ name: PropertyName, of id: NodeID) -> Property? {
    propertyIndex(name, id.rawValue).map {
      propertyTable.property($0, names: propertyNames, blob: blob)
    }
  }

  /// The same by name. The bindings ask every node for names nearly all
  /// lack, so a node of a few properties is scanned comparing prefix keys
  /// (one integer each) rather than hashing the name.
  public func property(_ name: String, of id: NodeID) -> Property? {
    let range = propertyRange(id.rawValue)
    guard range.count <= Self.indexedPropertyCount else {
      return propertyName(name).flatMap { property($0, of: id) }
    }
    let key = PropertyNames.prefixKey(name)
    let short = name.utf8.count <= 7
    for position in range {
      let index = Int(propertyTable.names[position])
      if propertyPrefixKeys[index] == key
        && (short || propertyNames[index].utf8.elementsEqual(name.utf8))
      {
        return propertyTable.property(position, names: propertyNames, blob: blob)
      }
    }
    return nil
  }

  public func hasProperty(_ name: PropertyName, _ id: NodeID) -> Bool {
    propertyIndex(name, id.rawValue) != nil
  }

  func propertyRange(_ node: Int) -> Range<Int> {
    Int(nodeTable.firstProperties[node])..<Int(nodeTable.firstProperties[node + 1])
  }

  /// The index in `propertyTable` of the node's first property named `name`.
  private func propertyIndex(_ name: PropertyName, _ node: Int) -> Int? {
    let range = propertyRange(node)
    if range.count > Self.indexedPropertyCount {
      return firstPropertyByName[Int32(node)]?[name.index].map { Int($0) }
    }
    return propertyTable.names.withUnsafeBufferPointer { names in
      range.first { names[$0] == name.index }
    }
  }
}
