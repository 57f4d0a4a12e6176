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

/// Works out readiness for every IOMMU, following fw_devlink's supplier
/// links transitively (clocks, power domains, interconnects, regulators, ...)
/// and ignoring links inside cycles, which fw_devlink relaxes.
struct ReadinessResolver {
  let tree: DeviceTree
  let topology: Topology
  let build: KernelBuild
  private(set) var cache: [NodeID: IOMMUReadiness] = [:]
  /// Supplier edges between device nodes, discovered as needed.
  private(set) var supplierEdges: [NodeID: [(property: String, device: NodeID)]] = [:]
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
    while let node = queue.popLast() {
      let edges = deviceSuppliers(of: node)
      supplierEdges[node] = edges
      for edge in edges where seen.insert(edge.device).inserted { queue.append(edge.device) }
    }
    let graph = DependencyGraph(
      edges: supplierEdges.flatMap { node, edges in edges.map { (node, $0.device) } })
    for (index, component) in graph.components().enumerated() where component.count > 1 {
      for node in component { componentOf[node] = index }
    }
  }

  /// Whether fw_devlink relaxes the link from `node` to `supplier` (both in
  /// one cycle).
  func isRelaxed(_ node: NodeID, _ supplier: NodeID) -> Bool {
    guard let component = componentOf[node] else { return false }
    return componentOf[supplier] == component
  }

  /// Supplier cycles on the IOMMUs' dependency paths, as closed walks.
  var supplierCycles: [[NodeID]] {
    DependencyGraph(edges: supplierEdges.flatMap { node, edges in edges.map { (node, $0.device) } })
      .cycles.filter { $0.count > 2 }
  }

  /// fw_devlink links to the supplier's device, never to an unavailable one,
  /// and never from a node to its own ancestor.
  private func deviceSuppliers(of node: NodeID) -> [(property: String, device: NodeID)] {
    let ancestors = Set(tree.ancestors(of: node))
    var result: [(String, NodeID)] = []
    var seen = Set<NodeID>()
    for (property, supplier) in SupplierBindings.suppliers(
      of: node, in: tree, strict: build.fwDevlinkStrict)
    {
      guard let device = SupplierBindings.device(for: supplier, in: tree),
        device != node, !ancestors.contains(device), topology.isEnabled(device),
        seen.insert(device).inserted
      else { continue }
      result.append((property, device))
    }
    return result
  }

  /// The driver modules a device node's compatible strings load.
  func driverModules(of node: NodeID) -> [String] {
    build.modules?.modules(for: tree[node]) ?? []
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

  /// Modules among a node's transitive suppliers; or why it can never
  /// probe (a supplier whose driver is absent).
  func supplierModules(of iommu: NodeID) -> ([String], Plan.NeverReason?) {
    var modules: [String] = []
    var seen: Set<NodeID> = [iommu]
    var stack: [NodeID] = [iommu]
    while let node = stack.popLast() {
      for edge in supplierEdges[node] ?? [] where seen.insert(edge.device).inserted {
        if let component = componentOf[node], componentOf[edge.device] == component { continue }
        for module in driverModules(of: edge.device) {
          switch build.mode(ofModule: module).0 {
          case .module: modules.append(module)
          case .absent:
            return (
              [],
              .supplierAbsent(supplier: edge.device, property: edge.property, module: module)
            )
          case .builtin, .unknown: break
          }
        }
        stack.append(edge.device)
      }
    }
    return (Array(Set(modules)).sorted(), nil)
  }

  /// The planner's view of every IOMMU it evaluated, for the report.
  func states() -> [Plan.IOMMUState] {
    cache.keys.sorted().compactMap { iommu in
      guard let readiness = cache[iommu] else { return nil }
      let suppliers = (supplierEdges[iommu] ?? []).map { edge in
        Plan.Supplier(
          property: edge.property, device: edge.device,
          modules: driverModules(of: edge.device).map { ($0, build.mode(ofModule: $0).0) })
      }
      return Plan.IOMMUState(
        iommu: iommu, readiness: readiness.state, driver: readiness.driver,
        driverName: readiness.driverName, mode: readiness.mode, source: readiness.source,
        modules: readiness.modules, suppliers: suppliers)
    }
  }
}
