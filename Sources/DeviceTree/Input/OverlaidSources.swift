// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The source positions of a tree that overlays were applied to: each
/// property where it was last written (the base's source, or the overlay
/// source that set it), each node where it was defined.
///
/// A node of the base keeps its path when overlays are applied, and a node
/// an overlay adds sits at its fragment's target path plus its path below
/// `__overlay__`, so positions carry over by path. A part that came from a
/// blob (a `.dtbo`, or a base `.dtb`) has no position.
enum OverlaidSources {
  struct Part {
    let tree: DeviceTree
    let sources: SourceMap?
  }

  static func map(merged: DeviceTree, base: Part, overlays: [Part]) -> SourceMap? {
    guard base.sources != nil || overlays.contains(where: { $0.sources != nil }) else {
      return nil
    }
    var nodes = [SourcePosition?](repeating: nil, count: merged.nodes.count)
    var properties: [NodeID: [String: SourcePosition]] = [:]
    if let sources = base.sources {
      for index in 0..<base.tree.nodes.count {
        let node = NodeID(index)
        guard let target = merged.node(path: base.tree.path(of: node)) else { continue }
        nodes[target.rawValue] = sources.position(of: node)
        let positions = sources.propertyPositions(of: node)
        if !positions.isEmpty { properties[target] = positions }
      }
    }
    for overlay in overlays {
      guard let sources = overlay.sources else { continue }
      for (fragment, target) in fragments(of: overlay.tree, in: merged) {
        guard
          let body = overlay.tree.children(of: fragment).first(where: {
            overlay.tree.name(of: $0) == "__overlay__"
          })
        else { continue }
        var pending = [(body, target)]
        while let (node, path) = pending.popLast() {
          guard let target = merged.node(path: path) else { continue }
          if nodes[target.rawValue] == nil { nodes[target.rawValue] = sources.position(of: node) }
          properties[target, default: [:]].merge(sources.propertyPositions(of: node)) { $1 }
          for child in overlay.tree.children(of: node) {
            let name = overlay.tree.name(of: child)
            pending.append((child, path == "/" ? "/" + name : path + "/" + name))
          }
        }
      }
    }
    return SourceMap(nodes: nodes, properties: properties)
  }

  /// Each fragment of an overlay with the path it was applied at:
  /// `target-path`, or `target`, a phandle that `__fixups__` resolved
  /// through a label (now in the merged `/__symbols__`) or one of the base.
  private static func fragments(of overlay: DeviceTree, in merged: DeviceTree)
    -> [(NodeID, String)]
  {
    let labels = Dictionary(
      overlay.fixups.filter { $0.property == "target" }.map { ($0.path, $0.label) },
      uniquingKeysWith: { first, _ in first })
    let symbols = merged.node(path: "/__symbols__")
    return overlay.children(of: overlay.root.id).compactMap { fragment in
      if let path = overlay.property("target-path", of: fragment)?.string {
        return (fragment, path)
      }
      if let label = labels[overlay.path(of: fragment)], let symbols,
        let path = merged.property(label, of: symbols)?.string
      {
        return (fragment, path)
      }
      if let phandle = overlay.property("target", of: fragment)?.firstCell,
        let target = merged.node(phandle: phandle)
      {
        return (fragment, merged.path(of: target))
      }
      return nil
    }
  }
}
