// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The planning stage: the planner over the earlier stages' results, and the
/// plan's own findings (stream-ID clashes, supplier cycles, the legacy
/// binding on a modular arm-smmu, what a boot device needs from the
/// initramfs), and the nodes `explain` asked about.
struct Planning {
  /// Consumers in tree order; the report puts everything in path order.
  let plan: Plan
  let diagnostics: [Diagnostic]
  let explanations: [Explanation]

  init(
    tree: DeviceTree, topology: Topology, links: LinkSet, inventory: Inventory,
    build: KernelBuild, request: PlanRequest
  ) {
    var findings = Findings()
    var bootNodes: [NodeID] = []
    var unknownBootDevices: [String] = []
    for name in request.bootDevices {
      guard let node = Self.resolve(name, tree) else {
        unknownBootDevices.append(name)
        findings.report(
          .bootDeviceUnknown, nil, nil, "--boot-device \(name) names no node path or label here")
        continue
      }
      bootNodes.append(node)
      if !topology.isEnabled(node) {
        findings.report(
          .bootDeviceDisabled, node, "status",
          "--boot-device \(name) is disabled (or below a disabled node): no device is created "
            + "for it, so it never probes and no module list can bring it up")
      }
    }
    let deadline = Self.deadline(build)
    var planner = Planner(
      tree: tree, topology: topology, build: build, deadline: deadline, inventory: inventory,
      links: links.links, extraRoots: bootNodes)
    var consumers = planner.consumers(links)
    let conflicts = StreamIDConflicts(
      tree: tree, topology: topology, links: links.links, inventory: inventory)
    findings.append(conflicts.diagnostics)
    for index in consumers.indices where !conflicts.losers.isEmpty {
      let consumer = consumers[index]
      guard consumer.property == .iommus, let cause = conflicts.losers[consumer.node],
        [.translated, .deferred].contains(consumer.outcome)
      else { continue }
      consumers[index] = Plan.Consumer(
        node: consumer.node, property: consumer.property, outcome: .unprotected, cause: cause,
        waits: consumer.waits, deadline: consumer.deadline, end: consumer.end)
    }
    for cycle in planner.resolver.supplierCycles {
      findings.report(
        .supplierCycle, cycle[0], nil,
        cycle.map { tree.path(of: $0) }.joined(separator: " -> ")
          + ": fw_devlink relaxes these links, so none of them orders probing")
    }
    Self.legacyChecks(consumers, inventory, build, &findings)

    let orders = ModuleOrders(
      tree: tree, topology: topology, links: links.links, inventory: inventory,
      planner: &planner)
    var boot: [Plan.ModuleLoad]?
    if !bootNodes.isEmpty {
      boot = orders.boot(bootNodes, consumers, &planner)
      if let list = request.modulesLoad, let boot {
        Self.check(list, against: boot, tree, &findings)
      }
    }
    // Only the suppliers of IOMMUs the plan evaluated, and of boot devices,
    // are worth a note.
    let ambiguous = planner.resolver.ambiguousSuppliers(
      of: planner.resolver.cache.keys.sorted() + bootNodes)
    plan = Plan(
      assumptions: Self.assumptions(
        build, inventory, orders.load,
        ambiguous: ambiguous.map {
          Plan.Note.ambiguousDriver(device: $0.device, modules: $0.modules)
        }),
      consumers: consumers,
      iommus: planner.resolver.states(), loadOrder: orders.load.ordered(), bootModules: boot,
      bootDevices: bootNodes, unknownBootDevices: unknownBootDevices,
      coverage: Self.coverage(tree: tree, links: links, build: build),
      sharedStreamIDs: conflicts.shared)
    diagnostics = findings.list
    explanations = request.explain.map {
      Self.explanation($0, tree: tree, topology: topology, links: links, consumers: consumers)
    }
  }

  /// The requester-ID coverage of every bus node with an `iommu-map`.
  private static func coverage(tree: DeviceTree, links: LinkSet, build: KernelBuild)
    -> [RIDCoverage]
  {
    let layout = IOMMUMapLayout(build.version)
    return links.properties.compactMap { property in
      guard property.key.property == .iommuMap,
        let map = tree[property.key.node].property(IOMMUMapBinding.property)
      else { return nil }
      return RIDCoverageBuilder.coverage(
        of: property.key.node, map: map, tree: tree, layout: layout)
    }
  }

  static func deadline(_ build: KernelBuild) -> Plan.Deadline {
    let timeout = build.deferredProbeTimeout
    if !build.modulesEnabled { return .afterLateInitcall }
    if timeout < 0 { return .never }
    return timeout == 0 ? .atLateInitcall : .seconds(timeout)
  }

  /// A node named by path, or by a `/__symbols__` label (with or without &).
  static func resolve(_ name: String, _ tree: DeviceTree) -> NodeID? {
    if let node = tree.node(path: name) { return node }
    let label = name.hasPrefix("&") ? String(name.dropFirst()) : name
    return tree.nodes.first { tree.labels(of: $0.id).contains(label) }?.id
  }

  private static func legacyChecks(
    _ consumers: [Plan.Consumer], _ inventory: Inventory, _ build: KernelBuild,
    _ findings: inout Findings
  ) {
    guard consumers.contains(where: { $0.outcome == .legacy }) else { return }
    // Only a known build is a fact worth an error; the default assumption
    // (tristate drivers are modules) shows in the masters' causes instead.
    let (mode, source) = build.mode(of: .armSMMU)
    guard mode != .builtin, source != .default else { return }
    for iommu in inventory.iommus where iommu.binding == .legacy || iommu.binding == .mixed {
      findings.report(
        .legacyBindingRequiresBuiltinSMMU, iommu.node, MMUMastersBinding.property,
        "arm-smmu is \(mode.rawValue) (\(source.rawValue)): the deprecated binding depends on "
          + "initcall ordering a module cannot have (ARM_SMMU_LEGACY_DT_BINDINGS needs "
          + "ARM_SMMU=y), so its masters get no SMMU")
    }
  }

  private static func check(
    _ list: (file: String, modules: [String]), against boot: [Plan.ModuleLoad],
    _ tree: DeviceTree, _ findings: inout Findings
  ) {
    let position = Dictionary(
      list.modules.enumerated().map { (moduleKey($0.element), $0.offset) },
      uniquingKeysWith: { first, _ in first })
    for load in boot {
      guard let here = position[load.module] else {
        let provides = load.provides.map { tree.path(of: $0) }.sorted(by: PathOrder.precedes)
        findings.report(
          .bootModuleMissing, nil, nil,
          "\(list.file) lacks \(load.module)"
            + (provides.isEmpty ? "" : " (provides \(provides.joined(separator: ", ")))"))
        continue
      }
      for need in load.needs {
        if let there = position[need], there > here {
          findings.report(
            .bootModuleOrder, nil, nil,
            "\(list.file) loads \(load.module) (line \(here + 1)) before \(need) "
              + "(line \(there + 1)), which it needs")
        }
      }
    }
  }

  private static func assumptions(
    _ build: KernelBuild, _ inventory: Inventory, _ order: ModuleOrder, ambiguous: [Plan.Note]
  ) -> Plan.Assumptions {
    var drivers: [String: Plan.DriverAssumption] = [:]
    for driver in Set(inventory.iommus.compactMap(\.driver)) {
      let (mode, source) = build.mode(of: driver)
      let name = driver.module.map(moduleKey) ?? "CONFIG_\(driver.kconfig)"
      drivers[name] = Plan.DriverAssumption(module: name, mode: mode, source: source)
    }
    for module in order.modules where drivers[module] == nil {
      let (mode, source) = build.mode(ofModule: module)
      drivers[module] = Plan.DriverAssumption(module: module, mode: mode, source: source)
    }
    var notes: [Plan.Note] = []
    if build.config == nil && build.modules == nil { notes.append(.defaultModes) }
    if build.modules == nil { notes.append(.suppliersUnmatched) }
    notes += ambiguous
    return Plan.Assumptions(
      kernelVersion: build.version, modules: build.modulesEnabled,
      deferredProbeTimeout: build.deferredProbeTimeout, fwDevlinkStrict: build.fwDevlinkStrict,
      legacyBindings: build.legacyBindings,
      drivers: drivers.values.sorted { $0.module < $1.module }, notes: notes)
  }

  private static func explanation(
    _ name: String, tree: DeviceTree, topology: Topology, links: LinkSet,
    consumers: [Plan.Consumer]
  ) -> Explanation {
    let hasSymbols = tree.node(path: "/__symbols__") != nil
    guard let node = resolve(name, tree) else {
      return Explanation(name: name, node: nil, role: .notReferenced, hasSymbols: hasSymbols)
    }
    let stops = [LinkProperty.iommus, .iommuMap].compactMap {
      links.stops[ConsumerKey(node, $0)]
    }
    let hasIommus = tree.property(IommusBinding.property, of: node) != nil
    let role: Explanation.Role
    if consumers.contains(where: { $0.node == node }) {
      role = .consumer
    } else if hasIommus, let host = topology.pciHost(above: node) {
      role = .iommusUnderPCIHost(host: host)
    } else if !topology.isEnabled(node)
      && (hasIommus || tree.property(IOMMUMapBinding.property, of: node) != nil
        || links.links.contains { $0.consumer == node })
    {
      role = .disabled
    } else {
      role = .notReferenced
    }
    return Explanation(
      name: name, node: node, role: role, hasSymbols: hasSymbols, stops: stops,
      pciFunction: pciFunction(node, tree: tree))
  }

  /// A node below a bus with an `iommu-map` whose parent has PCI addresses
  /// (`#address-cells = <3>`): the kernel matches it to a `pci_dev` by
  /// devfn and configures that device through the map with its requester
  /// ID. The bus number is the one the address gives, as firmware and the
  /// kernel's enumeration usually agree on it.
  static func pciFunction(_ node: NodeID, tree: DeviceTree) -> Explanation.PCIFunction? {
    guard let parent = tree.parent(of: node), tree[parent].u32("#address-cells") == 3,
      let address = tree[node].u32("reg"),
      let bus = tree.ancestors(of: node).first(where: {
        tree.property(IOMMUMapBinding.property, of: $0) != nil
      })
    else { return nil }
    return Explanation.PCIFunction(bus: bus, rid: (address >> 8) & 0xffff)
  }
}
