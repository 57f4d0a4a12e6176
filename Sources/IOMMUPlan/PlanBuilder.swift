import DeviceTree

/// Runs the planner over an analysed tree and adds the plan's findings:
/// stream-ID clashes, supplier cycles, the legacy binding on a modular
/// arm-smmu, and what a boot device needs from the initramfs.
enum PlanBuilder {
  static func build(
    analysis: inout Analysis, inventory: [IOMMU], build: KernelBuild, request: PlanRequest
  ) -> Plan {
    let tree = analysis.tree
    var bootNodes: [NodeID] = []
    for name in request.bootDevices {
      if let node = resolve(name, tree) {
        bootNodes.append(node)
      } else {
        analysis.report(
          .bootDeviceUnknown, nil, nil, "--boot-device \(name) names no node path or label here")
      }
    }
    var planner = Planner(
      tree: tree, build: build, inventory: inventory, links: analysis.links, extraRoots: bootNodes)
    var consumers = planner.consumers(analysis)
    let conflicts = StreamIDConflicts(&analysis, inventory: inventory)
    consumers = consumers.map { consumer in
      guard let clash = conflicts.losers[consumer.device], consumer.property == .iommus,
        [.translated, .deferred].contains(consumer.outcome)
      else { return consumer }
      return Plan.Consumer(
        device: consumer.device, outcome: .unprotected, property: consumer.property,
        reason: clash + "; the IOMMU refuses this second master, which runs without translation",
        waitsFor: consumer.waitsFor, streamIDs: consumer.streamIDs)
    }
    for cycle in planner.resolver.supplierCycles {
      analysis.report(
        .supplierCycle, cycle[0], nil,
        cycle.map { tree[$0].path }.joined(separator: " -> ")
          + ": fw_devlink relaxes these links, so none of them orders probing")
    }
    legacyChecks(consumers, inventory, build, &analysis)

    var order = ModuleOrder(build: build)
    var referenced = Set<NodeID>()
    for link in analysis.links
    where link.property != .mmuMasters && analysis.isEnabled(link.consumer) {
      referenced.insert(link.supplier)
    }
    for iommu in inventory where referenced.contains(iommu.node) && iommu.isAvailable {
      let readiness = planner.resolver.readiness(of: iommu.node)
      let suppliers = readiness.modules.filter { $0 != readiness.driverModule }
      for module in suppliers { order.add(module) }
      if let module = readiness.driverModule {
        order.add(module, after: suppliers, provides: iommu.path)
      }
    }
    orderSuppliers(&order, planner)
    var boot: [Plan.ModuleLoad]?
    if !bootNodes.isEmpty {
      var bootOrder = order
      boot = bootModules(bootNodes, consumers, &planner, &bootOrder, &analysis)
      if let list = request.modulesLoad, let boot {
        check(list, against: boot, &analysis)
      }
    }
    return Plan(
      assumptions: assumptions(build, inventory, order),
      consumers: consumers.sorted { ($0.device, $0.property) < ($1.device, $1.property) },
      loadOrder: order.ordered(), bootModules: boot)
  }

  /// A supplier module loads before the modules of the devices it supplies
  /// (a clock controller's module before the SMMU driver, a power-domain
  /// provider's before that clock controller's), except inside a cycle.
  private static func orderSuppliers(_ order: inout ModuleOrder, _ planner: Planner) {
    let resolver = planner.resolver
    let present = Set(order.modules)
    func modules(_ node: NodeID) -> [String] {
      var found = resolver.driverModules(of: node)
      if let module = resolver.cache[node]?.driverModule { found.append(module) }
      return found.filter { present.contains($0) }
    }
    for (node, edges) in resolver.supplierEdges {
      for edge in edges where !resolver.isRelaxed(node, edge.device) {
        for module in modules(node) {
          for supplier in modules(edge.device) { order.constrain(module, after: supplier) }
        }
      }
    }
  }

  /// A node named by path, or by a `/__symbols__` label (with or without &).
  static func resolve(_ name: String, _ tree: DeviceTree) -> NodeID? {
    if let node = tree.node(path: name) { return node }
    let label = name.hasPrefix("&") ? String(name.dropFirst()) : name
    return tree.nodes.first { tree.labels(of: $0.id).contains(label) }?.id
  }

  private static func legacyChecks(
    _ consumers: [Plan.Consumer], _ inventory: [IOMMU], _ build: KernelBuild,
    _ analysis: inout Analysis
  ) {
    guard consumers.contains(where: { $0.outcome == .legacy }) else { return }
    // Only a known build is a fact worth an error; the default assumption
    // (tristate drivers are modules) shows in the masters' reasons instead.
    let (mode, source) = build.mode(of: .armSMMU)
    guard mode != .builtin, source != .default else { return }
    for iommu in inventory where iommu.binding == .legacy || iommu.binding == .mixed {
      analysis.report(
        .legacyBindingRequiresBuiltinSMMU, iommu.node, MMUMastersBinding.property,
        "arm-smmu is \(mode.rawValue) (\(source.rawValue)): the deprecated binding depends on "
          + "initcall ordering a module cannot have (ARM_SMMU_LEGACY_DT_BINDINGS needs "
          + "ARM_SMMU=y), so its masters get no SMMU")
    }
  }

  /// The device's own driver modules and their suppliers, plus every module
  /// its IOMMU chain waits for, in load order.
  private static func bootModules(
    _ nodes: [NodeID], _ consumers: [Plan.Consumer], _ planner: inout Planner,
    _ order: inout ModuleOrder, _ analysis: inout Analysis
  ) -> [Plan.ModuleLoad] {
    let tree = analysis.tree
    var wanted = Set<String>()
    for node in nodes {
      let path = tree[node].path
      for consumer in consumers where consumer.device == path {
        wanted.formUnion(consumer.waitsFor.compactMap(\.module))
      }
      let (suppliers, _) = planner.resolver.supplierModules(of: node)
      for module in suppliers { order.add(module) }
      for module in planner.resolver.driverModules(of: node)
      where planner.build.mode(ofModule: module).0 == .module {
        order.add(module, after: suppliers)
        wanted.insert(module)
      }
      wanted.formUnion(suppliers)
    }
    return order.ordered(subset: wanted)
  }

  private static func check(
    _ list: (file: String, modules: [String]), against boot: [Plan.ModuleLoad],
    _ analysis: inout Analysis
  ) {
    let position = Dictionary(
      list.modules.enumerated().map { (moduleKey($0.element), $0.offset) },
      uniquingKeysWith: { first, _ in first })
    for load in boot {
      guard let here = position[load.module] else {
        analysis.report(
          .bootModuleMissing, nil, nil,
          "\(list.file) lacks \(load.module)\(load.provides.isEmpty ? "" : " (provides \(load.provides.joined(separator: ", ")))")"
        )
        continue
      }
      for need in load.needs {
        if let there = position[need], there > here {
          analysis.report(
            .bootModuleOrder, nil, nil,
            "\(list.file) loads \(load.module) (line \(here + 1)) before \(need) "
              + "(line \(there + 1)), which it needs")
        }
      }
    }
  }

  private static func assumptions(
    _ build: KernelBuild, _ inventory: [IOMMU], _ order: ModuleOrder
  ) -> Plan.Assumptions {
    var drivers: [String: Plan.DriverAssumption] = [:]
    for driver in Set(inventory.compactMap(\.driver)) {
      let (mode, source) = build.mode(of: driver)
      let name = driver.module.map(moduleKey) ?? "CONFIG_\(driver.kconfig)"
      drivers[name] = Plan.DriverAssumption(module: name, mode: mode, source: source)
    }
    for module in order.modules where drivers[module] == nil {
      let (mode, source) = build.mode(ofModule: module)
      drivers[module] = Plan.DriverAssumption(module: module, mode: mode, source: source)
    }
    var notes: [String] = []
    if build.config == nil && build.modules == nil {
      notes.append(
        "no --config or --modules-dir: tristate IOMMU drivers are assumed modules and bool ones "
          + "built in")
    }
    if build.modules == nil {
      notes.append(
        "no --modules-dir: the IOMMUs' suppliers (clocks, power domains, ...) cannot be matched "
          + "to modules and are assumed built in")
    }
    return Plan.Assumptions(
      kernelVersion: build.version, modules: build.modulesEnabled,
      deferredProbeTimeout: build.deferredProbeTimeout, fwDevlinkStrict: build.fwDevlinkStrict,
      legacyBindings: build.legacyBindings,
      drivers: drivers.values.sorted { $0.module < $1.module }, notes: notes)
  }
}
