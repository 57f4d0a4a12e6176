import DeviceTree

/// When one IOMMU instance can register with the IOMMU core, on one build.
struct IOMMUReadiness {
  enum State {
    /// Built in, and everything it needs is built in: ready before
    /// late_initcall.
    case ready
    /// Ready once `modules` have loaded.
    case afterModules
    /// Never registers, so its consumers wait until the deferred-probe
    /// deadline (the reason says why).
    case never(String)
    /// Registers, but gives its consumers no translation (omap-iommu has no
    /// of_xlate): they go on without one as soon as it is there.
    case rejects(String)
    /// No known driver and no module alias.
    case unknown(String)
  }

  var state: State
  /// Modules that must load first: supplier modules, then the driver's own.
  var modules: [String] = []
  /// The driver's module, when it is one.
  var driverModule: String?
  /// The driver, when the table knows it.
  var driver: IOMMUDriver?
}

/// Works out readiness for every IOMMU, following fw_devlink's supplier
/// links transitively (clocks, power domains, interconnects, regulators, ...)
/// and ignoring links inside cycles, which fw_devlink relaxes.
struct ReadinessResolver {
  let tree: DeviceTree
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
  init(tree: DeviceTree, build: KernelBuild, roots: [NodeID], links: [Link] = []) {
    self.tree = tree
    self.build = build
    ownLinks = Dictionary(grouping: links.filter { $0.property == .iommus }, by: \.consumer)
      .mapValues { $0.sorted { $0.index < $1.index } }
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
        device != node, !ancestors.contains(device), isEnabled(device),
        seen.insert(device).inserted
      else { continue }
      result.append((property, device))
    }
    return result
  }

  private func isEnabled(_ node: NodeID) -> Bool {
    tree[node].isAvailable && tree.ancestors(of: node).allSatisfy { tree[$0].isAvailable }
  }

  /// The driver modules a device node's compatible strings load.
  func driverModules(of node: NodeID) -> [String] {
    build.modules?.modules(for: tree[node]) ?? []
  }

  mutating func readiness(of iommu: NodeID) -> IOMMUReadiness {
    if let known = cache[iommu] { return known }
    visiting.insert(iommu)
    let result = resolve(iommu)
    visiting.remove(iommu)
    cache[iommu] = result
    return result
  }

  private mutating func resolve(_ iommu: NodeID) -> IOMMUReadiness {
    let node = tree[iommu]
    let driver = IOMMUDriver.matching(node)
    var readiness = IOMMUReadiness(state: .ready, driver: driver)
    let mode: DriverMode
    let name: String
    if let driver {
      (mode, _) = build.mode(of: driver)
      name = driver.module.map { $0 } ?? "CONFIG_\(driver.kconfig)"
      if mode == .module { readiness.driverModule = driver.module.map(moduleKey) }
    } else if let module = driverModules(of: iommu).first {
      (mode, _) = build.mode(ofModule: module)
      name = module
      if mode == .module { readiness.driverModule = module }
    } else {
      readiness.state = .unknown(
        "\(node.path) (\(node.compatible.first ?? "no compatible")) matches no IOMMU driver "
          + "iommu-plan knows and no module alias")
      return readiness
    }
    if mode == .absent {
      readiness.state = .never("\(name) is not in this build, so nothing registers \(node.path)")
      return readiness
    }
    if driver == .armSMMUv3 && node.u32("#iommu-cells") != 1 {
      readiness.state = .never(
        "arm-smmu-v3 refuses to probe \(node.path) (\"missing/invalid #iommu-cells\")")
      return readiness
    }
    let (supplierModules, missing) = supplierModules(of: iommu)
    if let missing {
      readiness.state = .never(missing)
      return readiness
    }
    var upstream: [String] = []
    for link in ownLinks[iommu] ?? [] where tree[link.supplier].isAvailable {
      if visiting.contains(link.supplier) {
        readiness.state = .never(
          "\(node.path) waits through its own iommus for \(tree[link.supplier].path), which waits "
            + "for it")
        return readiness
      }
      let above = self.readiness(of: link.supplier)
      if case .afterModules = above.state { upstream += above.modules }
    }
    readiness.modules =
      Array(Set(supplierModules + upstream)).sorted()
      + (readiness.driverModule.map { [$0] } ?? [])
    if let driver, !driver.hasOFXlate {
      readiness.state = .rejects(
        "\(driver.name) has no of_xlate: once \(node.path) registers, of_iommu gives no IOMMU")
      return readiness
    }
    readiness.state = readiness.modules.isEmpty ? .ready : .afterModules
    return readiness
  }

  /// Modules among a node's transitive suppliers; or the reason it can
  /// never probe (a supplier whose driver is absent).
  func supplierModules(of iommu: NodeID) -> ([String], String?) {
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
              "its supplier \(tree[edge.device].path) (\(edge.property)) needs \(module), "
                + "which is not in this build"
            )
          case .builtin, .unknown: break
          }
        }
        stack.append(edge.device)
      }
    }
    return (Array(Set(modules)).sorted(), nil)
  }
}
