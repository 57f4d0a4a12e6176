import DeviceTree

/// What iommu-plan knows about one device tree: the IOMMU inventory, every
/// link as the kernel parses it, the plan for one kernel build, and the
/// findings, in the orders the JSON contract gives, with the nodes they
/// mention. It holds no tree: renderers format it and nothing else.
public struct Report: Sendable {
  public struct Input: Sendable {
    /// The file as the user named it.
    public let path: String
    public let model: String?
    public let compatible: [String]
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

  public init(tree: DeviceTree, inputPath: String, kernel: KernelVersion = .newest) {
    self.init(tree: tree, inputPath: inputPath, build: KernelBuild(version: kernel))
  }

  /// Runs the stages over the tree: bindings, inventory, checks, planning.
  public init(
    tree: DeviceTree, inputPath: String, build: KernelBuild, request: PlanRequest = PlanRequest()
  ) {
    let topology = Topology(tree)
    let links = LinkSet(tree: tree, topology: topology, kernel: build.version)
    let inventory = Inventory(tree: tree, links: links, build: build)
    let checks = SystemChecks(tree: tree, topology: topology, links: links, inventory: inventory)
    let planning = Planning(
      tree: tree, topology: topology, links: links, inventory: inventory, build: build,
      request: request)
    let input = Input(
      path: inputPath, model: tree.root.property("model")?.firstString,
      compatible: tree.root.compatible)
    let nodes = NodeTable(
      tree: tree,
      nodes: Self.mentioned(links, inventory, checks, planning, tree: tree),
      enabled: topology.isEnabled)
    self.init(
      input: input, kernel: build.version, nodes: nodes, iommus: inventory.iommus,
      links: links.links, plan: planning.plan,
      diagnostics: links.diagnostics + checks.diagnostics + planning.diagnostics,
      explanations: planning.explanations)
  }

  /// Puts the stages' results in path order.
  private init(
    input: Input, kernel: KernelVersion, nodes: NodeTable, iommus: [IOMMU], links: [Link],
    plan: Plan, diagnostics: [Diagnostic], explanations: [Explanation]
  ) {
    self.input = input
    self.kernel = kernel
    self.nodes = nodes
    self.iommus = iommus.sorted { nodes.precedes($0.node, $1.node) }
    let sortedLinks = links.sorted { lhs, rhs in
      let left = (
        nodes.rank(lhs.consumer), lhs.property.rawValue, lhs.index, nodes.rank(lhs.supplier)
      )
      let right = (
        nodes.rank(rhs.consumer), rhs.property.rawValue, rhs.index, nodes.rank(rhs.supplier)
      )
      return left < right
    }
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
      ? links.flatMap(\.arguments) : links.compactMap(\.arguments.first)
  }

  /// Every node a report names, so the table can give its path.
  private static func mentioned(
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
      nodes += state.readiness.mentioned
    }
    for load in plan.loadOrder + (plan.bootModules ?? []) { nodes += load.provides }
    for explanation in planning.explanations {
      nodes += [explanation.node].compactMap { $0 }
      if case .iommusUnderPCIHost(let host) = explanation.role { nodes.append(host) }
    }
    return nodes
  }

  /// The plan in path order: consumers with their links' ranges, waits,
  /// IOMMUs and what each module provides.
  private static func ordered(_ plan: Plan, links: [Link], nodes: NodeTable) -> Plan {
    let consumers = plan.consumers.sorted {
      (nodes.rank($0.node), $0.property.rawValue) < (nodes.rank($1.node), $1.property.rawValue)
    }
    var ranged: [Plan.Consumer] = []
    ranged.reserveCapacity(consumers.count)
    // Links and consumers are in the same order, so each consumer's links
    // are the next run with its node and property.
    var cursor = 0
    var waits = WaitOrder(nodes: nodes)
    for consumer in consumers {
      let key = consumer.key
      while cursor < links.count && links[cursor].consumerKey != key
        && (nodes.rank(links[cursor].consumer), links[cursor].property.rawValue)
          < (nodes.rank(key.node), key.property.rawValue)
      {
        cursor += 1
      }
      let start = cursor
      while cursor < links.count && links[cursor].consumerKey == key { cursor += 1 }
      ranged.append(
        Plan.Consumer(
          node: consumer.node, property: consumer.property, outcome: consumer.outcome,
          cause: consumer.cause, waits: waits.sorted(consumer.waits),
          deadline: consumer.deadline, links: start..<cursor, end: consumer.end))
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
      loadOrder: provided(plan.loadOrder), bootModules: plan.bootModules.map(provided))
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
    case .driverAbsent(_, let iommu), .smmuV3Cells(let iommu): return [iommu]
    case .supplierAbsent(let supplier, _, _): return [supplier]
    case .waitsForItself(let iommu, let upstream): return [iommu, upstream]
    }
  }
}
