// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// What iommu-plan knows about one device tree: the IOMMU inventory, every
/// link as the kernel parses it, the plan for one kernel build, and the
/// findings, in the orders the JSON contract gives, with the nodes they
/// mention. It holds no tree: renderers format it and nothing else.
public struct Report: Sendable {
  public struct Input: Sendable {
    /// The file as the user named it (`FILE#N` for one of several trees).
    public let path: String
    public let model: String?
    public let compatible: [String]
    /// The tree's entry in a DT table image or a concatenation.
    public let entry: TreeEntry?
    /// The overlays applied to the tree, in order.
    public let overlays: [String]
    /// For an overlay checked alone, the references it leaves to its base.
    public let overlayFixups: [OverlayFixup]?
  }

  public let input: Input
  /// The kernel generation whose parsing rules were applied.
  public let kernel: KernelVersion
  /// Every node the report mentions: paths, enabled state, path order.
  public let nodes: NodeTable
  /// Sorted by path.
  public let iommus: [IOMMU]
  /// Sorted by consumer path, property, index, then supplier path.
  public let links: [Link]
  public let plan: Plan
  /// Sorted by path (file-level first), code, property, then message.
  public let diagnostics: [Diagnostic]
  /// The nodes `explain` asked about, in the order asked.
  public let explanations: [Explanation]
  /// Where the nodes and properties mentioned are written, for a tree
  /// compiled from source.
  public let sources: SourceTable?

  public init(tree: DeviceTree, inputPath: String, kernel: KernelVersion = .newest) {
    self.init(tree: tree, inputPath: inputPath, build: KernelBuild(version: kernel))
  }

  /// The report of a loaded tree, named and placed as it was loaded.
  public init(
    loaded: consuming LoadedTree, build: KernelBuild, request: PlanRequest = PlanRequest()
  ) {
    let name = loaded.name
    let origin = Origin(entry: loaded.entry, overlays: loaded.overlays, sources: loaded.sources)
    self.init(tree: loaded.tree, inputPath: name, origin: origin, build: build, request: request)
  }

  /// Runs the stages over the tree: bindings, inventory, checks, planning.
  /// The tree is let go when the stages are done, before their results are
  /// put in order: a caller that hands it over (`consume`) frees the blob
  /// then.
  public init(
    tree: consuming DeviceTree, inputPath: String, build: KernelBuild,
    request: PlanRequest = PlanRequest()
  ) {
    self.init(tree: tree, inputPath: inputPath, origin: Origin(), build: build, request: request)
  }

  /// What the loader knows of a tree besides the tree.
  private struct Origin {
    var entry: TreeEntry?
    var overlays: [String] = []
    var sources: SourceMap?
  }

  private init(
    tree: consuming DeviceTree, inputPath: String, origin: Origin, build: KernelBuild,
    request: PlanRequest
  ) {
    let stages = Stages(
      tree: tree, inputPath: inputPath, origin: origin, build: build, request: request)
    self.init(
      input: stages.input, kernel: build.version, nodes: stages.nodes,
      iommus: stages.inventory.iommus, links: stages.links.links, plan: stages.planning.plan,
      diagnostics: stages.diagnostics, explanations: stages.planning.explanations,
      sources: stages.sources)
  }

  /// What the stages make of a tree, and the table of the nodes they name.
  private struct Stages {
    let input: Input
    let links: LinkSet
    let inventory: Inventory
    let checks: SystemChecks
    let planning: Planning
    let nodes: NodeTable
    let diagnostics: [Diagnostic]
    let sources: SourceTable?

    init(
      tree: DeviceTree, inputPath: String, origin: Origin, build: KernelBuild,
      request: PlanRequest
    ) {
      let topology = Topology(tree)
      links = LinkSet(tree: tree, topology: topology, kernel: build.version)
      inventory = Inventory(tree: tree, links: links, build: build)
      checks = SystemChecks(tree: tree, topology: topology, links: links, inventory: inventory)
      planning = Planning(
        tree: tree, topology: topology, links: links, inventory: inventory, build: build,
        request: request)
      let overlay = OverlayReview(tree)
      input = Input(
        path: inputPath, model: tree.root.property("model")?.firstString,
        compatible: tree.root.compatible, entry: origin.entry, overlays: origin.overlays,
        overlayFixups: overlay?.fixups)
      let found = links.diagnostics + checks.diagnostics + planning.diagnostics
      diagnostics = overlay?.reviewed(found) ?? found
      let mentioned = Report.mentioned(links, inventory, checks, planning, tree: tree)
      nodes = NodeTable(tree: tree, nodes: mentioned, enabled: topology.isEnabled)
      if let map = origin.sources {
        let linkProperties = links.links.map { (SourceTable.holder(of: $0), $0.property.rawValue) }
        let diagnosticProperties = found.compactMap { diagnostic in
          diagnostic.node.flatMap { node in diagnostic.property.map { (node, $0) } }
        }
        sources = SourceTable(
          map, nodes: mentioned, properties: linkProperties + diagnosticProperties)
      } else {
        sources = nil
      }
    }
  }

  /// Puts the stages' results in path order.
  private init(
    input: Input, kernel: KernelVersion, nodes: NodeTable, iommus: [IOMMU], links: [Link],
    plan: Plan, diagnostics: [Diagnostic], explanations: [Explanation], sources: SourceTable?
  ) {
    self.input = input
    self.sources = sources
    self.kernel = kernel
    self.nodes = nodes
    self.iommus = iommus.sorted { nodes.precedes($0.node, $1.node) }
    // Sorted as positions, then copied once: a tree of masters has 100,000
    // links, and each swap of a link would move it whole. A list already in
    // order (one big map) is kept as it is.
    func precedes(_ a: Link, _ b: Link) -> Bool {
      (nodes.rank(a.consumer), a.property, a.index, nodes.rank(a.supplier))
        < (nodes.rank(b.consumer), b.property, b.index, nodes.rank(b.supplier))
    }
    let inOrder = zip(links, links.dropFirst()).allSatisfy { !precedes($1, $0) }
    let sortedLinks =
      inOrder ? links : links.indices.sorted { precedes(links[$0], links[$1]) }.map { links[$0] }
    self.links = sortedLinks
    self.plan = Self.ordered(plan, links: sortedLinks, nodes: nodes)
    self.diagnostics = diagnostics.sorted { lhs, rhs in
      if (lhs.node == nil) != (rhs.node == nil) { return lhs.node == nil }
      let left = (lhs.node.map(nodes.rank) ?? -1, lhs.code.rawValue, lhs.property ?? "")
      let right = (rhs.node.map(nodes.rank) ?? -1, rhs.code.rawValue, rhs.property ?? "")
      return left != right ? left < right : lhs.message < rhs.message
    }
    let ordered = self.plan
    let iommus = self.iommus
    self.explanations = explanations.map {
      $0.walking(plan: ordered, links: sortedLinks, iommus: iommus)
    }
  }

  /// The worst severity found, nil when there are no findings.
  public var worstSeverity: Severity? { diagnostics.map(\.severity).max() }

  /// The stream IDs a consumer's links name: each entry's first cell, or
  /// for a legacy master every listed ID.
  public func streamIDs(of consumer: Plan.Consumer) -> [UInt32] {
    let links = self.links[consumer.links]
    return consumer.property == .mmuMasters
      ? links.flatMap { $0.arguments } : links.compactMap { $0.arguments.first }
  }

  /// Every node a report names, so the table can give its path.
  fileprivate static func mentioned(
    _ links: LinkSet, _ inventory: Inventory, _ checks: SystemChecks, _ planning: Planning,
    tree: DeviceTree
  ) -> [NodeID] {
    var nodes: [NodeID] = []
    nodes.reserveCapacity(links.links.count * 2 + inventory.iommus.count)
    for link in links.links {
      nodes.append(link.consumer)
      nodes.append(link.supplier)
    }
    nodes += links.properties.map(\.key.node)
    nodes += inventory.iommus.map(\.node)
    for diagnostic in links.diagnostics + checks.diagnostics + planning.diagnostics {
      if let node = diagnostic.node { nodes.append(node) }
    }
    let plan = planning.plan
    for consumer in plan.consumers {
      nodes.append(consumer.node)
      nodes += consumer.waits.map(\.iommu)
    }
    for state in plan.iommus {
      nodes.append(state.iommu)
      nodes += state.suppliers.map(\.device)
      for supplier in state.served { nodes += [supplier.device, supplier.consumer] }
      nodes += state.readiness.mentioned
    }
    for case .ambiguousDriver(let device, _) in plan.assumptions.notes { nodes.append(device) }
    for load in plan.loadOrder + (plan.bootModules ?? []) { nodes += load.provides }
    nodes += plan.bootDevices
    for group in plan.sharedStreamIDs { nodes += group.devices + [group.iommu] }
    for coverage in plan.coverage {
      nodes.append(coverage.bus)
      for range in coverage.ranges {
        if case .translated(_, let iommu, _, _) = range.answer { nodes.append(iommu) }
      }
    }
    for explanation in planning.explanations {
      nodes += [explanation.node].compactMap { $0 }
      if case .iommusUnderPCIHost(let host) = explanation.role { nodes.append(host) }
      if let function = explanation.pciFunction { nodes.append(function.bus) }
    }
    return nodes
  }

  /// The plan in path order: consumers with their links' ranges, waits,
  /// IOMMUs and what each module provides.
  private static func ordered(_ plan: Plan, links: [Link], nodes: NodeTable) -> Plan {
    let consumers = plan.consumers
    let order = consumers.indices.sorted { lhs, rhs in
      (nodes.rank(consumers[lhs].node), consumers[lhs].property)
        < (nodes.rank(consumers[rhs].node), consumers[rhs].property)
    }
    var ranged: [Plan.Consumer] = []
    ranged.reserveCapacity(consumers.count)
    // Links and consumers are in the same order, so each consumer's links
    // are the next run with its node and property.
    var cursor = 0
    var waits = WaitOrder(nodes: nodes)
    for index in order {
      let consumer = consumers[index]
      let key = (nodes.rank(consumer.node), consumer.property)
      while cursor < links.count
        && (nodes.rank(links[cursor].consumer), links[cursor].property) < key
      {
        cursor += 1
      }
      let start = cursor
      while cursor < links.count && links[cursor].consumerKey == consumer.key { cursor += 1 }
      ranged.append(consumer.with(links: start..<cursor, waits: waits.sorted(consumer.waits)))
    }
    func provided(_ loads: [Plan.ModuleLoad]) -> [Plan.ModuleLoad] {
      loads.map {
        Plan.ModuleLoad(
          module: $0.module, path: $0.path, provides: $0.provides.sorted(by: nodes.precedes),
          needs: $0.needs)
      }
    }
    return Plan(
      assumptions: plan.assumptions, consumers: ranged,
      iommus: plan.iommus.sorted { nodes.precedes($0.iommu, $1.iommu) },
      loadOrder: provided(plan.loadOrder), bootModules: plan.bootModules.map(provided),
      bootDevices: plan.bootDevices, unknownBootDevices: plan.unknownBootDevices,
      coverage: plan.coverage.sorted { nodes.precedes($0.bus, $1.bus) },
      sharedStreamIDs: plan.sharedStreamIDs.map {
        Plan.SharedStreamID(
          iommu: $0.iommu, kind: $0.kind, devices: $0.devices.sorted(by: nodes.precedes),
          streamIDs: $0.streamIDs)
      }.sorted { lhs, rhs in
        (nodes.rank(lhs.iommu), nodes.rank(lhs.devices[0]), lhs.kind.rawValue)
          < (nodes.rank(rhs.iommu), nodes.rank(rhs.devices[0]), rhs.kind.rawValue)
      })
  }

  /// Waits in path order. Consumers that wait for the same things share one
  /// array; it is sorted once and shared again.
  private struct WaitOrder {
    let nodes: NodeTable
    var done: [[Plan.Wait]: [Plan.Wait]] = [:]

    mutating func sorted(_ waits: [Plan.Wait]) -> [Plan.Wait] {
      guard waits.count > 1 else { return waits }
      if let known = done[waits] { return known }
      let result = waits.sorted {
        (nodes.rank($0.iommu), $0.module ?? "") < (nodes.rank($1.iommu), $1.module ?? "")
      }
      done[waits] = result
      return result
    }
  }
}

extension Plan.IOMMUState.Readiness {
  /// Nodes the reason names.
  var mentioned: [NodeID] {
    guard case .never(let reason) = self else { return [] }
    switch reason {
    case .driverAbsent(_, let iommu), .smmuV3Cells(let iommu), .notCreated(let iommu):
      return [iommu]
    case .supplierAbsent(let supplier, _, _): return [supplier]
    case .lookupFails(let consumer, _, let target): return [consumer] + [target].compactMap { $0 }
    case .waitsForItself(let iommu, let upstream): return [iommu, upstream]
    }
  }
}
