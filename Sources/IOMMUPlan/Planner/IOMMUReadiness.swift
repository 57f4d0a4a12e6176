// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// When one IOMMU instance can register with the IOMMU core, on one build.
///
/// A class: every link to the IOMMU asks for it, and a copy of a struct of
/// arrays and strings would retain each of them.
final class IOMMUReadiness {
  var state: Plan.IOMMUState.Readiness
  /// Modules that must load first: supplier modules, then the driver's own.
  var modules: [String] = []
  /// The driver's module, when it is one.
  var driverModule: String?
  /// The driver, when the table knows it.
  var driver: IOMMUDriver?
  /// The driver's module name or Kconfig symbol, and its mode and source.
  var driverName: String?
  var mode: DriverMode?
  var source: ModeSource?
  /// Why it never registers, or gives no translation: how the walk of a
  /// device that reaches it ends.
  var end: Plan.WalkEnd?
  /// `modules` as what a device that reaches this IOMMU waits for: made
  /// once, shared by every such device.
  var waits: [Plan.Wait] = []
  /// How the walk of a device whose every entry reaches this IOMMU ends, on
  /// this build: the planner words it once for all of them.
  var ending: Planner.Ending?

  init(state: Plan.IOMMUState.Readiness, driver: IOMMUDriver?) {
    self.state = state
    self.driver = driver
  }
}

/// One supplier link of a device node: fw_devlink's, or one its driver's
/// probe makes itself (`lookup`); with the modules that serve the supplier
/// through that property.
struct SupplierEdge {
  let property: String
  let device: NodeID
  let lookup: ProbeSupplierBinding?
  let driver: Plan.SupplierDriver
}

/// Works out readiness for every IOMMU, following fw_devlink's supplier
/// links transitively (clocks, power domains, interconnects, regulators, ...)
/// and the lookups drivers make themselves (`mediatek,larbs`), ignoring
/// fw_devlink links inside cycles, which it relaxes.
struct ReadinessResolver {
  let tree: DeviceTree
  let topology: Topology
  let build: KernelBuild
  private(set) var cache: [NodeID: IOMMUReadiness] = [:]
  /// Supplier edges between device nodes, discovered as needed.
  private(set) var supplierEdges: [NodeID: [SupplierEdge]] = [:]
  /// A node whose driver looks up a node that has no device: its probe
  /// fails, so it never binds.
  private var failingLookups: [NodeID: Plan.NeverReason] = [:]
  private var componentOf: [NodeID: Int] = [:]
  /// Each IOMMU's own `iommus` links, in entry order: a platform SMMU behind
  /// another IOMMU defers its own probe on it, strict or not.
  private let ownLinks: [NodeID: [Link]]
  private var visiting = Set<NodeID>()

  /// `roots`: the IOMMUs, plus any device whose own supplier chain matters
  /// (boot devices).
  init(
    tree: DeviceTree, topology: Topology, build: KernelBuild, roots: [NodeID], links: [Link] = []
  ) {
    self.tree = tree
    self.topology = topology
    self.build = build
    let rootSet = Set(roots)
    ownLinks = Dictionary(
      grouping: links.filter { $0.property == .iommus && rootSet.contains($0.consumer) },
      by: \.consumer
    ).mapValues { $0.sorted { $0.index < $1.index } }
    var queue = roots
    var seen = Set(roots)
    var drivers = SupplierDrivers(tree: tree, build: build)
    while let node = queue.popLast() {
      let (edges, failing) = deviceSuppliers(of: node, &drivers)
      supplierEdges[node] = edges
      if let failing { failingLookups[node] = failing }
      for edge in edges where seen.insert(edge.device).inserted { queue.append(edge.device) }
    }
    // Only fw_devlink relaxes a cycle: a driver's own lookup keeps failing.
    let graph = DependencyGraph(
      edges: supplierEdges.flatMap { node, edges in
        edges.filter { $0.lookup == nil }.map { (node, $0.device) }
      })
    for (index, component) in graph.components().enumerated() where component.count > 1 {
      for node in component { componentOf[node] = index }
    }
  }

  /// Whether fw_devlink relaxes the link from `node` to `supplier` (both in
  /// one cycle).
  func isRelaxed(_ node: NodeID, _ edge: SupplierEdge) -> Bool {
    guard edge.lookup == nil, let component = componentOf[node] else { return false }
    return componentOf[edge.device] == component
  }

  /// Supplier cycles on the IOMMUs' dependency paths, as closed walks.
  var supplierCycles: [[NodeID]] {
    DependencyGraph(
      edges: supplierEdges.flatMap { node, edges in
        edges.filter { $0.lookup == nil }.map { (node, $0.device) }
      }
    )
    .cycles.filter { $0.count > 2 }
  }

  /// fw_devlink links to the supplier's device, never to an unavailable one,
  /// and never from a node to its own ancestor; then the driver's own
  /// lookups, to the node itself (`of_find_device_by_node()`), and the
  /// first that can never succeed.
  private func deviceSuppliers(of node: NodeID, _ drivers: inout SupplierDrivers) -> (
    [SupplierEdge], Plan.NeverReason?
  ) {
    let ancestors = Set(tree.ancestors(of: node))
    var result: [SupplierEdge] = []
    var seen = Set<NodeID>()
    for (property, supplier) in SupplierBindings.suppliers(
      of: node, in: tree, strict: build.fwDevlinkStrict)
    {
      guard let device = SupplierBindings.device(for: supplier, in: tree),
        device != node, !ancestors.contains(device), topology.isEnabled(device),
        seen.insert(device).inserted
      else { continue }
      result.append(
        SupplierEdge(
          property: property, device: device, lookup: nil,
          driver: drivers.driver(of: device, through: property)))
    }
    var failing: Plan.NeverReason?
    var looked = Set<NodeID>()
    for (binding, target) in ProbeSupplierBindings.lookups(of: node, in: tree) {
      if let target, binding.unavailable == .skipped && !tree[target].isAvailable { continue }
      guard let target, topology.isEnabled(target) else {
        if failing == nil {
          failing = .lookupFails(consumer: node, lookup: binding, target: target)
        }
        continue
      }
      guard target != node, looked.insert(target).inserted else { continue }
      result.append(
        SupplierEdge(
          property: binding.property, device: target, lookup: binding,
          driver: drivers.driver(of: target, through: binding.property)))
    }
    return (result, failing)
  }

  /// The driver modules a device node's compatible strings load.
  func driverModules(of node: NodeID) -> [String] {
    build.modules?.modules(for: tree[node]) ?? []
  }

  /// The modules that bind a device node: its aliases' modules, or the one
  /// `ParentDriver` says binds it.
  func bindingModules(of node: NodeID) -> [String] {
    var drivers = SupplierDrivers(tree: tree, build: build)
    return drivers.driver(of: node, through: nil).binds
  }

  mutating func readiness(of iommu: NodeID) -> IOMMUReadiness {
    // The masters of one IOMMU are neighbours: asked in a row, answered
    // without hashing.
    if let last, last.iommu == iommu { return last.readiness }
    if let known = cache[iommu] {
      last = (iommu, known)
      return known
    }
    visiting.insert(iommu)
    let result = resolve(iommu)
    result.waits = result.modules.map { Plan.Wait(iommu: iommu, module: $0) }
    visiting.remove(iommu)
    cache[iommu] = result
    last = (iommu, result)
    return result
  }

  private var last: (iommu: NodeID, readiness: IOMMUReadiness)?

  private mutating func resolve(_ iommu: NodeID) -> IOMMUReadiness {
    let node = tree[iommu]
    let driver = IOMMUDriver.matching(node)
    let readiness = IOMMUReadiness(state: .ready, driver: driver)
    let mode: DriverMode
    let source: ModeSource
    let name: String
    if let driver {
      (mode, source) = build.mode(of: driver)
      name = driver.module.map { $0 } ?? "CONFIG_\(driver.kconfig)"
      if mode == .module { readiness.driverModule = driver.module.map(moduleKey) }
    } else if let module = driverModules(of: iommu).first {
      (mode, source) = build.mode(ofModule: module)
      name = module
      if mode == .module { readiness.driverModule = module }
    } else {
      readiness.state = .unknown
      readiness.end = .unknownDriver(iommu: iommu, compatible: node.compatible.first)
      return readiness
    }
    (readiness.driverName, readiness.mode, readiness.source) = (name, mode, source)
    // of_iommu_xlate checks only the IOMMU's own status, but
    // of_platform_populate creates no device below a disabled node, so no
    // driver ever probes this one.
    if !topology.isEnabled(iommu) {
      return never(.notCreated(iommu: iommu), readiness)
    }
    if mode == .absent {
      return never(.driverAbsent(driver: name, iommu: iommu), readiness)
    }
    if driver == .armSMMUv3 && node.u32("#iommu-cells") != 1 {
      return never(.smmuV3Cells(iommu: iommu), readiness)
    }
    let (supplierModules, missing) = supplierModules(of: iommu)
    if let missing { return never(missing, readiness) }
    var upstream: [String] = []
    for link in ownLinks[iommu] ?? [] where tree[link.supplier].isAvailable {
      if visiting.contains(link.supplier) {
        return never(.waitsForItself(iommu: iommu, upstream: link.supplier), readiness)
      }
      let above = self.readiness(of: link.supplier)
      if case .afterModules = above.state { upstream += above.modules }
    }
    readiness.modules =
      Array(Set(supplierModules + upstream)).sorted()
      + (readiness.driverModule.map { [$0] } ?? [])
    if let driver, !driver.hasOFXlate {
      readiness.state = .noXlate
      readiness.end = .noXlate(driver: driver.name, iommu: iommu)
      return readiness
    }
    readiness.state = readiness.modules.isEmpty ? .ready : .afterModules
    return readiness
  }

  private func never(_ reason: Plan.NeverReason, _ readiness: IOMMUReadiness) -> IOMMUReadiness {
    readiness.state = .never(reason)
    readiness.end = .neverRegisters(reason)
    readiness.modules = []
    return readiness
  }

  /// Every link on a node's supplier chains that orders probing, each
  /// from the node that has it, in the order a depth-first walk meets them.
  func chains(of root: NodeID) -> [(consumer: NodeID, edge: SupplierEdge)] {
    var result: [(NodeID, SupplierEdge)] = []
    var seen: Set<NodeID> = [root]
    var stack: [NodeID] = [root]
    while let node = stack.popLast() {
      for edge in supplierEdges[node] ?? [] where !isRelaxed(node, edge) {
        result.append((node, edge))
        if seen.insert(edge.device).inserted { stack.append(edge.device) }
      }
    }
    return result
  }

  /// Modules among a node's transitive suppliers; or why it can never
  /// probe (a supplier whose driver is absent, a lookup that fails).
  func supplierModules(of root: NodeID) -> ([String], Plan.NeverReason?) {
    if let failing = failingLookups[root] { return ([], failing) }
    var modules: [String] = []
    for (_, edge) in chains(of: root) {
      if let failing = failingLookups[edge.device] { return ([], failing) }
      let modes = edge.driver.modules.map { ($0, build.mode(ofModule: $0).0) }
      // Of several candidates, one that is not in the build binds nothing;
      // the others can still bind.
      let someBinds = edge.driver.ambiguous && modes.contains { $0.1 != .absent }
      for (module, mode) in modes {
        switch mode {
        case .module: modules.append(module)
        case .absent where !someBinds:
          return (
            [], .supplierAbsent(supplier: edge.device, property: edge.property, module: module)
          )
        case .absent, .builtin, .unknown: break
        }
      }
    }
    return (Array(Set(modules)).sorted(), nil)
  }

  /// Supplier devices on the chains of `roots` whose driver `modules.alias`
  /// leaves ambiguous, each once, in tree order.
  func ambiguousSuppliers(of roots: [NodeID]) -> [(device: NodeID, modules: [String])] {
    var found: [NodeID: [String]] = [:]
    for root in roots {
      for (_, edge) in chains(of: root) where edge.driver.ambiguous {
        found[edge.device] = edge.driver.binds
      }
    }
    return found.keys.sorted().map { ($0, found[$0] ?? []) }
  }

  private func supplier(_ consumer: NodeID, _ edge: SupplierEdge) -> Plan.Supplier {
    Plan.Supplier(
      property: edge.property, device: edge.device, consumer: consumer, lookup: edge.lookup,
      driver: edge.driver,
      modules: edge.driver.modules.map { ($0, build.mode(ofModule: $0).0) })
  }

  /// The planner's view of every IOMMU it evaluated, for the report.
  func states() -> [Plan.IOMMUState] {
    cache.keys.sorted().compactMap { iommu in
      guard let readiness = cache[iommu] else { return nil }
      let suppliers = (supplierEdges[iommu] ?? []).map { supplier(iommu, $0) }
      // Once per device, with the IOMMU or else the first node in the tree
      // that needs it: a clock controller every larb uses is told about once.
      var first: [NodeID: (consumer: NodeID, edge: SupplierEdge)] = [:]
      func precedes(_ lhs: NodeID, _ rhs: NodeID) -> Bool {
        lhs == iommu || (rhs != iommu && lhs < rhs)
      }
      for (consumer, edge) in chains(of: iommu) where edge.driver.child != nil {
        if let known = first[edge.device], !precedes(consumer, known.consumer) { continue }
        first[edge.device] = (consumer, edge)
      }
      let served = first.keys.sorted().compactMap { device in
        first[device].map { supplier($0.consumer, $0.edge) }
      }
      return Plan.IOMMUState(
        iommu: iommu, readiness: readiness.state, driver: readiness.driver,
        driverName: readiness.driverName, mode: readiness.mode, source: readiness.source,
        modules: readiness.modules, suppliers: suppliers, served: served)
    }
  }
}

/// Which modules serve a supplier device through a property: what its
/// compatible strings' aliases give, narrowed by `ParentDriver` to the one
/// that binds it, plus the module of the child that serves the property.
/// Each device's aliases are matched once.
struct SupplierDrivers {
  let tree: DeviceTree
  let build: KernelBuild
  private var aliases: [NodeID: [String]] = [:]

  init(tree: DeviceTree, build: KernelBuild) {
    self.tree = tree
    self.build = build
  }

  /// `property` nil: what binds the node, whatever names it.
  mutating func driver(of device: NodeID, through property: String?) -> Plan.SupplierDriver {
    // Without a modules directory nothing is matched (Plan.Note.suppliersUnmatched).
    guard let modules = build.modules else { return Plan.SupplierDriver(binds: []) }
    let candidates: [String]
    if let known = aliases[device] {
      candidates = known
    } else {
      candidates = modules.modules(for: tree[device])
      aliases[device] = candidates
    }
    guard let (parent, name) = ParentDriver.matching(compatible: tree[device].compatible) else {
      return Plan.SupplierDriver(binds: candidates, ambiguous: candidates.count > 1)
    }
    let binds = moduleKey(parent.module)
    var child: Plan.SupplierDriver.Child?
    if let property, parent.serves.contains(property) {
      child = Plan.SupplierDriver.Child(
        creator: binds, name: name, modules: modules.modules(forPlatformDevice: name))
    }
    return Plan.SupplierDriver(
      binds: [binds], unbound: candidates.filter { $0 != binds }, child: child)
  }
}
