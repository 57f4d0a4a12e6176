// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The supplier properties fw_devlink parses (`of_supplier_bindings` in
/// drivers/of/property.c, 6.12 order; docs/kernel-rules.md §7.3), reduced to
/// what the planner needs: for a node, the nodes it waits for.
///
/// `iommus`, `iommu-map` and `dmas` are optional suppliers: only with
/// `fw_devlink.strict=1` do they order probing.
enum SupplierBindings {
  /// Property name -> `#cells` property of the target (nil: plain phandles).
  private static let simple: [(String, String?, optional: Bool)] =
    [
      ("clocks", "#clock-cells", false),
      ("interconnects", "#interconnect-cells", false),
      ("iommus", "#iommu-cells", true),
      ("mboxes", "#mbox-cells", false),
      ("io-channels", "#io-channel-cells", false),
      ("io-backends", "#io-backend-cells", false),
      ("dmas", "#dma-cells", true),
      ("power-domains", "#power-domain-cells", false),
      ("hwlocks", "#hwlock-cells", false),
      ("extcon", nil, false),
      ("nvmem-cells", nil, false),
      ("phys", "#phy-cells", false),
      ("wakeup-parent", nil, false),
      ("pwms", "#pwm-cells", false),
      ("resets", "#reset-cells", false),
      ("leds", nil, false),
      ("backlight", nil, false),
      ("panel", nil, false),
      ("msi-parent", "#msi-cells", false),
      ("pses", "#pse-cells", false),
      ("power-supplies", nil, false),
      ("gpio", "#gpio-cells", false),
      ("gpios", "#gpio-cells", false),
      ("interrupts-extended", "#interrupt-cells", false),
      ("access-controllers", "#access-controller-cells", false),
    ] + (0...8).map { ("pinctrl-\($0)", nil, false) }

  /// The nodes `node` names as suppliers, each with the property naming it.
  static func suppliers(of node: NodeID, in tree: DeviceTree, strict: Bool) -> [(
    property: String, supplier: NodeID
  )] {
    var result: [(String, NodeID)] = []
    for property in tree[node].properties {
      let name = property.name
      if let binding = simple.first(where: { $0.0 == name }) {
        if binding.optional && !strict { continue }
        result += targets(node, name, cellsName: binding.1, tree).map { (name, $0) }
      } else if name == "iommu-map" {
        if strict { result += mapTargets(property, tree).map { (name, $0) } }
      } else if name.hasSuffix("-supply") {
        result += targets(node, name, cellsName: nil, tree).map { (name, $0) }
      } else if name.hasSuffix("-gpios") || name.hasSuffix("-gpio"),
        !name.hasSuffix(",nr-gpios"), tree[node].property("gpio-hog") == nil
      {
        result += targets(node, name, cellsName: "#gpio-cells", tree).map { (name, $0) }
      } else if name == "interrupts", let parent = interruptParent(of: node, tree) {
        result.append((name, parent))
      }
    }
    return result
  }

  /// Walks a phandle list the way fw_devlink's `parse_prop_cells` does in
  /// 6.12 (a missing `#cells` counts as 0), stopping at the first error.
  private static func targets(
    _ node: NodeID, _ name: String, cellsName: String?, _ tree: DeviceTree
  ) -> [NodeID] {
    guard
      var iterator = try? PhandleIterator(
        tree: tree, node: node, listName: name, cellsName: cellsName, cellCount: 0)
    else { return [] }
    var found: [NodeID] = []
    while (try? iterator.next()) == true {
      if let target = iterator.target { found.append(target) }
    }
    return found
  }

  /// fw_devlink's `parse_iommu_maps` reads the phandle of every 4-cell tuple
  /// (it was never taught 7.2's variable entry size).
  private static func mapTargets(_ property: Property, _ tree: DeviceTree) -> [NodeID] {
    let cells = property.cells
    return stride(from: 1, to: cells.count, by: 4).compactMap { tree.node(phandle: cells[$0]) }
  }

  /// `interrupt-parent`, inherited from the nearest ancestor that has one.
  private static func interruptParent(of node: NodeID, _ tree: DeviceTree) -> NodeID? {
    for candidate in [node] + tree.ancestors(of: node) {
      if let phandle = tree[candidate].u32("interrupt-parent") {
        return tree.node(phandle: phandle)
      }
    }
    return nil
  }

  /// The node that becomes the supplier's device: the node itself or its
  /// nearest ancestor with a `compatible` (a regulator or a clock output
  /// described as a child is served by its parent's driver).
  static func device(for node: NodeID, in tree: DeviceTree) -> NodeID? {
    for candidate in [node] + tree.ancestors(of: node) where candidate != tree.root.id {
      if !tree[candidate].compatible.isEmpty { return candidate }
    }
    return nil
  }
}
