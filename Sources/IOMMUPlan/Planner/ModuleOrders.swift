// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The orders the plan gives: every module the referenced IOMMUs need, and
/// with `--boot-device`, the set the initramfs needs.
struct ModuleOrders {
  private(set) var load: ModuleOrder

  init(
    tree: DeviceTree, topology: Topology, links: [Link], inventory: Inventory,
    planner: inout Planner
  ) {
    var order = ModuleOrder(build: planner.build)
    var referenced = Set<NodeID>()
    var last: NodeID?
    for link in links where link.property != .mmuMasters && link.supplier != last {
      // Masters of one SMMU are many and adjacent: each supplier is looked
      // at once per run.
      if topology.isEnabled(link.consumer) {
        referenced.insert(link.supplier)
        last = link.supplier
      }
    }
    // An IOMMU below a disabled node gets no device, so its module would
    // register nothing for it.
    for iommu in inventory.iommus
    where referenced.contains(iommu.node) && topology.isEnabled(iommu.node) {
      let readiness = planner.resolver.readiness(of: iommu.node)
      let suppliers = readiness.modules.filter { $0 != readiness.driverModule }
      for module in suppliers { order.add(module) }
      if let module = readiness.driverModule {
        order.add(module, after: suppliers, provides: iommu.node)
      }
    }
    Self.orderSuppliers(&order, planner.resolver)
    load = order
  }

  /// A supplier module loads before the modules of the devices it supplies
  /// (a clock controller's module before the SMMU driver, a power-domain
  /// provider's before that clock controller's), except inside a cycle; a
  /// child device's module after the module that creates the device.
  private static func orderSuppliers(_ order: inout ModuleOrder, _ resolver: ReadinessResolver) {
    let present = Set(order.modules)
    var binding: [NodeID: [String]] = [:]
    func modules(_ node: NodeID) -> [String] {
      if let known = binding[node] { return known }
      var found = resolver.bindingModules(of: node)
      if let module = resolver.cache[node]?.driverModule { found.append(module) }
      found = found.filter { present.contains($0) }
      binding[node] = found
      return found
    }
    for (node, edges) in resolver.supplierEdges {
      for edge in edges where !resolver.isRelaxed(node, edge) {
        let suppliers = edge.driver.modules.filter { present.contains($0) }
        for module in modules(node) {
          for supplier in suppliers { order.constrain(module, after: supplier) }
        }
        guard let child = edge.driver.child else { continue }
        for module in child.modules { order.constrain(module, after: child.creator) }
      }
    }
  }

  /// The devices' own driver modules and their suppliers, plus every module
  /// their IOMMU chains wait for, in load order.
  func boot(
    _ nodes: [NodeID], _ consumers: [Plan.Consumer], _ planner: inout Planner
  ) -> [Plan.ModuleLoad] {
    var order = load
    var wanted = Set<String>()
    for node in nodes {
      for consumer in consumers where consumer.node == node {
        wanted.formUnion(consumer.waits.compactMap(\.module))
      }
      let (suppliers, _) = planner.resolver.supplierModules(of: node)
      for module in suppliers { order.add(module) }
      for module in planner.resolver.bindingModules(of: node)
      where planner.build.mode(ofModule: module).0 == .module {
        order.add(module, after: suppliers)
        wanted.insert(module)
      }
      wanted.formUnion(suppliers)
    }
    return order.ordered(subset: wanted)
  }
}
