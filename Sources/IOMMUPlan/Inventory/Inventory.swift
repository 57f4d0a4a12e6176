// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The inventory stage: every IOMMU of the tree, with its binding and its
/// driver as the kernel build provides it.
struct Inventory: Sendable {
  /// In path order, which messages that list IOMMUs follow.
  let iommus: [IOMMU]

  init(tree: DeviceTree, links: LinkSet, build: KernelBuild) {
    var generic = Set<NodeID>()
    for link in links.links where link.property != .mmuMasters { generic.insert(link.supplier) }
    var members = generic
    let cells = tree.propertyName("#iommu-cells")
    let masters = tree.propertyName(MMUMastersBinding.property)
    for node in tree.nodes {
      let id = node.id
      if cells.map({ tree.hasProperty($0, id) }) == true
        || masters.map({ tree.hasProperty($0, id) }) == true
        || IOMMUDriver.matching(node) != nil
      {
        members.insert(id)
      }
    }
    iommus = members.map { id in
      let node = tree[id]
      let legacy = masters.map { tree.hasProperty($0, id) } ?? false
      let binding: IOMMUBinding =
        switch (generic.contains(id), legacy) {
        case (true, true): .mixed
        case (true, false): .generic
        case (false, true): .legacy
        case (false, false): .unused
        }
      let driver = IOMMUDriver.matching(node)
      let mode = driver.map { build.mode(of: $0) }
      return IOMMU(
        node: id, label: tree.labels(of: id).first, compatible: node.compatible,
        isAvailable: node.isAvailable, status: node.status, iommuCells: node.u32("#iommu-cells"),
        binding: binding, driver: driver, mode: mode?.0, modeSource: mode?.1)
    }.sorted { PathOrder.precedes(tree.path(of: $0.node), tree.path(of: $1.node)) }
  }
}
