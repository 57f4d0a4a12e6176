// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Where the nodes and properties a report mentions are written, for a tree
/// compiled from source: the positions the findings and links point at,
/// kept without the rest of the source map so that a run over a whole
/// kernel tree holds a few per board.
public struct SourceTable: Sendable {
  private struct PropertyKey: Hashable {
    let node: NodeID
    let property: String
  }

  private var nodes: [NodeID: SourcePosition] = [:]
  private var properties: [PropertyKey: SourcePosition] = [:]

  /// The positions of `nodes` and of the named properties in `map`.
  init(_ map: SourceMap, nodes: some Sequence<NodeID>, properties: [(NodeID, String)]) {
    for node in nodes where self.nodes[node] == nil {
      self.nodes[node] = map.position(of: node)
    }
    for (node, name) in properties {
      let key = PropertyKey(node: node, property: name)
      if self.properties[key] == nil, let found = map.position(of: name, in: node) {
        self.properties[key] = found
      }
    }
  }

  public func position(of node: NodeID) -> SourcePosition? { nodes[node] }

  /// The property's position, else its node's (a finding about a property
  /// that is missing points at the node that lacks it).
  public func position(of property: String, in node: NodeID) -> SourcePosition? {
    properties[PropertyKey(node: node, property: property)] ?? nodes[node]
  }

  /// Where a finding points: its property, else its node; nil for a finding
  /// about the whole file.
  public func position(of diagnostic: Diagnostic) -> SourcePosition? {
    guard let node = diagnostic.node else { return nil }
    guard let property = diagnostic.property else { return nodes[node] }
    return position(of: property, in: node)
  }

  /// Where a link is written: the consumer's `iommus` or `iommu-map`, or
  /// the SMMU's `mmu-masters` for a legacy master.
  public func position(of link: Link) -> SourcePosition? {
    position(of: link.property.rawValue, in: Self.holder(of: link))
  }

  static func holder(of link: Link) -> NodeID {
    link.property == .mmuMasters ? link.supplier : link.consumer
  }
}
