import DeviceTree

/// What iommu-plan knows about one input file: the IOMMU inventory, every
/// link as the kernel parses it, the plan for one kernel build, and the
/// findings.
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
  /// Sorted by path.
  public let iommus: [IOMMU]
  /// Sorted by consumer path, property, then index.
  public let links: [Link]
  public let plan: Plan
  /// Sorted by path (file-level first), then code.
  public let diagnostics: [Diagnostic]

  public init(tree: DeviceTree, inputPath: String, kernel: KernelVersion = .newest) {
    self.init(tree: tree, inputPath: inputPath, build: KernelBuild(version: kernel))
  }

  public init(
    tree: DeviceTree, inputPath: String, build: KernelBuild, request: PlanRequest = PlanRequest()
  ) {
    var analysis = Analysis(tree: tree, kernel: build.version)
    for node in tree.nodes {
      IommusBinding.read(node.id, &analysis)
      IOMMUMapBinding.read(node.id, &analysis)
      MMUMastersBinding.read(node.id, &analysis)
    }
    let inventory = Self.inventory(analysis)
    SystemChecks.run(inventory, &analysis)
    plan = PlanBuilder.build(
      analysis: &analysis, inventory: inventory, build: build, request: request)

    input = Input(
      path: inputPath, model: tree.root.property("model")?.firstString,
      compatible: tree.root.compatible)
    kernel = build.version
    iommus = inventory
    links = analysis.links.sorted(by: Link.ordered)
    diagnostics = analysis.diagnostics.sorted(by: Diagnostic.ordered)
  }

  /// The worst severity found, nil when there are no findings.
  public var worstSeverity: Severity? { diagnostics.map(\.severity).max() }

  private static func inventory(_ analysis: Analysis) -> [IOMMU] {
    let tree = analysis.tree
    let generic = Set(analysis.links.filter { $0.property != .mmuMasters }.map(\.supplier))
    var members = generic
    for node in tree.nodes {
      let hasCells = node.property("#iommu-cells") != nil
      if hasCells || node.property(MMUMastersBinding.property) != nil
        || IOMMUDriver.matching(node) != nil
      {
        members.insert(node.id)
      }
    }
    return members.map { id in
      let node = tree[id]
      let legacy = node.property(MMUMastersBinding.property) != nil
      let binding: IOMMUBinding =
        switch (generic.contains(id), legacy) {
        case (true, true): .mixed
        case (true, false): .generic
        case (false, true): .legacy
        case (false, false): .unused
        }
      return IOMMU(
        node: id, path: node.path, label: tree.labels(of: id).first,
        compatible: node.compatible, isAvailable: node.isAvailable, status: node.status,
        iommuCells: node.u32("#iommu-cells"), binding: binding,
        driver: IOMMUDriver.matching(node))
    }.sorted { $0.path < $1.path }
  }
}
