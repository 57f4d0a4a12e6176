import DeviceTree

/// What changed in IOMMU topology between two device trees (`iommu-plan
/// diff`), with nodes matched by path, never by phandle: recompiling a tree,
/// which renumbers its phandles, changes nothing here.
///
/// - IOMMUs (the inventory) are matched by path: added, removed, or changed
///   in whether they are enabled, `compatible`, `#iommu-cells`, binding or
///   driver.
/// - Devices that consume a link in either tree and exist in both are
///   compared for being enabled (the node and its ancestors available): a
///   board that enables its PCIe controller gains translated devices without
///   any IOMMU property changing.
/// - Links: first, links equal in everything but their index are paired
///   (reordering `iommus` entries or `mmu-masters` lists is no change); the
///   rest are paired by consumer, property and index, and differ in supplier,
///   stream IDs, ID window or mask ("changed"); what is left was added or
///   removed.
/// - Findings are matched by node path, code and property, not by message,
///   whose phandle values would differ.
public struct TopologyDiff: Sendable {
  public enum Change: String, Sendable {
    case added
    case removed
    case changed
  }

  public struct IOMMUChange: Sendable {
    public let change: Change
    public let path: String
    /// Nil when added.
    public let old: IOMMU?
    /// Nil when removed.
    public let new: IOMMU?
    /// For a change: what differs, as `field: old -> new`.
    public let details: [String]
  }

  /// A consumer that was enabled and is not, or the other way round.
  public struct DeviceChange: Sendable {
    public let path: String
    public let wasEnabled: Bool
  }

  public struct LinkChange: Sendable {
    public let change: Change
    public let old: Link?
    public let new: Link?

    /// Whichever side exists (the new one for a change).
    public var link: Link {
      guard let either = new ?? old else { preconditionFailure("a link change has a side") }
      return either
    }
  }

  public struct FindingChange: Sendable {
    /// `added` or `removed`.
    public let change: Change
    public let diagnostic: Diagnostic
  }

  public let old: Report
  public let new: Report
  public let iommus: [IOMMUChange]
  public let devices: [DeviceChange]
  public let links: [LinkChange]
  public let findings: [FindingChange]

  public var isEmpty: Bool {
    iommus.isEmpty && devices.isEmpty && links.isEmpty && findings.isEmpty
  }

  public init(
    old oldTree: DeviceTree, oldPath: String, new newTree: DeviceTree, newPath: String,
    kernel: KernelVersion = .newest
  ) {
    self.init(
      old: oldTree, Report(tree: oldTree, inputPath: oldPath, kernel: kernel),
      new: newTree, Report(tree: newTree, inputPath: newPath, kernel: kernel))
  }

  /// Compares two reports made by the caller (for one kernel build, say)
  /// from these trees.
  public init(old oldTree: DeviceTree, _ old: Report, new newTree: DeviceTree, _ new: Report) {
    self.old = old
    self.new = new
    iommus = Self.iommuChanges(old, oldTree, new, newTree)
    devices = Self.deviceChanges(old, oldTree, new, newTree)
    links = Self.linkChanges(old.links, new.links)
    findings = Self.findingChanges(old.diagnostics, new.diagnostics)
  }

  /// Whether a device would be created for the node: it and every ancestor
  /// are available.
  static func isEnabled(_ node: NodeID, in tree: DeviceTree) -> Bool {
    tree[node].isAvailable && tree.ancestors(of: node).allSatisfy { tree[$0].isAvailable }
  }

  private static func iommuChanges(
    _ old: Report, _ oldTree: DeviceTree, _ new: Report, _ newTree: DeviceTree
  ) -> [IOMMUChange] {
    let before = Dictionary(old.iommus.map { ($0.path, $0) }) { first, _ in first }
    let after = Dictionary(new.iommus.map { ($0.path, $0) }) { first, _ in first }
    return Set(before.keys).union(after.keys).sorted(by: TreeFinder.bytewise).compactMap { path in
      switch (before[path], after[path]) {
      case (let was?, let now?):
        let details = differences(was, oldTree, now, newTree)
        return details.isEmpty
          ? nil : IOMMUChange(change: .changed, path: path, old: was, new: now, details: details)
      case (let was?, nil):
        return IOMMUChange(change: .removed, path: path, old: was, new: nil, details: [])
      case (nil, let now?):
        return IOMMUChange(change: .added, path: path, old: nil, new: now, details: [])
      case (nil, nil):
        return nil
      }
    }
  }

  private static func differences(
    _ was: IOMMU, _ oldTree: DeviceTree, _ now: IOMMU, _ newTree: DeviceTree
  ) -> [String] {
    var details: [String] = []
    let enabled = (isEnabled(was.node, in: oldTree), isEnabled(now.node, in: newTree))
    if enabled.0 != enabled.1 || was.status != now.status {
      details.append("status \(status(was, enabled.0)) -> \(status(now, enabled.1))")
    }
    if was.compatible != now.compatible {
      details.append("compatible \(quoted(was.compatible)) -> \(quoted(now.compatible))")
    }
    if was.iommuCells != now.iommuCells {
      details.append("#iommu-cells \(cells(was.iommuCells)) -> \(cells(now.iommuCells))")
    }
    if was.binding != now.binding {
      details.append("binding \(was.binding.rawValue) -> \(now.binding.rawValue)")
    }
    if was.driver != now.driver {
      details.append("driver \(was.driver?.name ?? "none") -> \(now.driver?.name ?? "none")")
    }
    return details
  }

  /// "okay", "disabled", or "okay (below a disabled node)".
  static func status(_ iommu: IOMMU, _ enabled: Bool) -> String {
    let own = iommu.status.map { "\"\($0)\"" } ?? "absent"
    if iommu.isAvailable && !enabled { return "\(own) (below a disabled node)" }
    return own
  }

  static func cells(_ value: UInt32?) -> String { value.map { "<\($0)>" } ?? "absent" }

  private static func deviceChanges(
    _ old: Report, _ oldTree: DeviceTree, _ new: Report, _ newTree: DeviceTree
  ) -> [DeviceChange] {
    let consumers = Set(old.links.map(\.consumerPath)).union(new.links.map(\.consumerPath))
    return consumers.sorted(by: TreeFinder.bytewise).compactMap { path in
      guard let was = oldTree.node(path: path), let now = newTree.node(path: path) else {
        return nil
      }
      let before = isEnabled(was, in: oldTree)
      return before == isEnabled(now, in: newTree)
        ? nil : DeviceChange(path: path, wasEnabled: before)
    }
  }

  /// What a link is, apart from its index and node ids.
  private struct Content: Hashable {
    let consumer: String
    let property: LinkProperty
    let supplier: String
    let arguments: [UInt32]
    let range: IDRange?

    init(_ link: Link) {
      consumer = link.consumerPath
      property = link.property
      supplier = link.supplierPath
      arguments = link.arguments
      range = link.range
    }
  }

  private struct Slot: Hashable {
    let consumer: String
    let property: LinkProperty
    let index: Int

    init(_ link: Link) {
      consumer = link.consumerPath
      property = link.property
      index = link.index
    }
  }

  private static func linkChanges(_ old: [Link], _ new: [Link]) -> [LinkChange] {
    // 1. Equal but for the index: unchanged (each old link pairs once).
    var unmatched = Dictionary(grouping: old, by: Content.init)
    var added: [Link] = []
    for link in new {
      if var same = unmatched[Content(link)], !same.isEmpty {
        same.removeFirst()
        unmatched[Content(link)] = same
      } else {
        added.append(link)
      }
    }
    var removed = unmatched.values.joined().sorted(by: Link.ordered)
    // 2. Same slot, different content: changed.
    var changes: [LinkChange] = []
    var bySlot = Dictionary(removed.map { (Slot($0), $0) }) { first, _ in first }
    added = added.filter { link in
      guard let was = bySlot.removeValue(forKey: Slot(link)) else { return true }
      changes.append(LinkChange(change: .changed, old: was, new: link))
      return false
    }
    let paired = Set(changes.compactMap(\.old))
    removed = removed.filter { !paired.contains($0) }
    // 3. The rest.
    changes += removed.map { LinkChange(change: .removed, old: $0, new: nil) }
    changes += added.map { LinkChange(change: .added, old: nil, new: $0) }
    return changes.sorted { lhs, rhs in
      Link.ordered(lhs.link, rhs.link)
        || (!Link.ordered(rhs.link, lhs.link) && lhs.change.rawValue > rhs.change.rawValue)
    }
  }

  private struct FindingKey: Hashable {
    let path: String?
    let code: DiagnosticCode
    let property: String?

    init(_ diagnostic: Diagnostic) {
      path = diagnostic.path
      code = diagnostic.code
      property = diagnostic.property
    }
  }

  private static func findingChanges(_ old: [Diagnostic], _ new: [Diagnostic]) -> [FindingChange] {
    var unmatched = Dictionary(grouping: old, by: FindingKey.init)
    var changes: [FindingChange] = []
    for diagnostic in new {
      if var same = unmatched[FindingKey(diagnostic)], !same.isEmpty {
        same.removeFirst()
        unmatched[FindingKey(diagnostic)] = same
      } else {
        changes.append(FindingChange(change: .added, diagnostic: diagnostic))
      }
    }
    changes += unmatched.values.joined().map { FindingChange(change: .removed, diagnostic: $0) }
    return changes.sorted { lhs, rhs in
      if Diagnostic.ordered(lhs.diagnostic, rhs.diagnostic) { return true }
      if Diagnostic.ordered(rhs.diagnostic, lhs.diagnostic) { return false }
      return lhs.change.rawValue > rhs.change.rawValue
    }
  }
}
