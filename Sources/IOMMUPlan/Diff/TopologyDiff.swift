// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// What changed in IOMMU topology between two device trees (`iommu-plan
/// diff`), compared report to report with nodes matched by path, never by
/// phandle: recompiling a tree, which renumbers its phandles, changes
/// nothing here.
///
/// - IOMMUs (the inventory) are matched by path: added, removed, or changed
///   in whether they are enabled, `compatible`, `#iommu-cells`, binding or
///   driver.
/// - Devices that consume a link in either report and are named by both are
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

  /// An IOMMU's status as `diff` compares it: its own `status`, and whether
  /// a device is created for it.
  public struct Status: Hashable, Sendable {
    /// The raw `status`, nil when absent.
    public let value: String?
    public let isAvailable: Bool
    public let isEnabled: Bool
  }

  /// One thing that differs between an IOMMU's two versions.
  public enum IOMMUDifference: Hashable, Sendable {
    case status(old: Status, new: Status)
    case compatible(old: [String], new: [String])
    case iommuCells(old: UInt32?, new: UInt32?)
    case binding(old: IOMMUBinding, new: IOMMUBinding)
    case driver(old: String?, new: String?)
  }

  public struct IOMMUChange: Sendable {
    public let change: Change
    public let path: String
    /// Nil when added.
    public let old: IOMMU?
    /// Nil when removed.
    public let new: IOMMU?
    /// For a change: what differs.
    public let differences: [IOMMUDifference]
  }

  /// A consumer that was enabled and is not, or the other way round.
  public struct DeviceChange: Sendable {
    public let path: String
    public let wasEnabled: Bool
  }

  /// A link of the old report, the new one, or both (`changed`).
  public struct LinkChange: Sendable {
    public let change: Change
    public let old: Link?
    public let new: Link?
  }

  public struct FindingChange: Sendable {
    /// `added` (a finding of the new report) or `removed` (of the old).
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

  public init(old: Report, new: Report) {
    self.old = old
    self.new = new
    iommus = Self.iommuChanges(old, new)
    devices = Self.deviceChanges(old, new)
    links = Self.linkChanges(old, new)
    findings = Self.findingChanges(old, new)
  }

  private static func iommuChanges(_ old: Report, _ new: Report) -> [IOMMUChange] {
    let before = Dictionary(old.iommus.map { (old.nodes.path($0.node), $0) }) { first, _ in first }
    let after = Dictionary(new.iommus.map { (new.nodes.path($0.node), $0) }) { first, _ in first }
    return Set(before.keys).union(after.keys).sorted(by: PathOrder.precedes).compactMap { path in
      switch (before[path], after[path]) {
      case (let was?, let now?):
        let differences = Self.differences(was, old, now, new)
        return differences.isEmpty
          ? nil
          : IOMMUChange(change: .changed, path: path, old: was, new: now, differences: differences)
      case (let was?, nil):
        return IOMMUChange(change: .removed, path: path, old: was, new: nil, differences: [])
      case (nil, let now?):
        return IOMMUChange(change: .added, path: path, old: nil, new: now, differences: [])
      case (nil, nil):
        return nil
      }
    }
  }

  private static func differences(
    _ was: IOMMU, _ old: Report, _ now: IOMMU, _ new: Report
  ) -> [IOMMUDifference] {
    var result: [IOMMUDifference] = []
    let before = Status(
      value: was.status, isAvailable: was.isAvailable, isEnabled: old.nodes.isEnabled(was.node))
    let after = Status(
      value: now.status, isAvailable: now.isAvailable, isEnabled: new.nodes.isEnabled(now.node))
    if before.isEnabled != after.isEnabled || before.value != after.value {
      result.append(.status(old: before, new: after))
    }
    if was.compatible != now.compatible {
      result.append(.compatible(old: was.compatible, new: now.compatible))
    }
    if was.iommuCells != now.iommuCells {
      result.append(.iommuCells(old: was.iommuCells, new: now.iommuCells))
    }
    if was.binding != now.binding { result.append(.binding(old: was.binding, new: now.binding)) }
    if was.driver != now.driver {
      result.append(.driver(old: was.driver?.name, new: now.driver?.name))
    }
    return result
  }

  private static func deviceChanges(_ old: Report, _ new: Report) -> [DeviceChange] {
    let before = Self.nodes(old)
    let after = Self.nodes(new)
    let consumers = Set(old.links.map { old.nodes.path($0.consumer) })
      .union(new.links.map { new.nodes.path($0.consumer) })
    return consumers.sorted(by: PathOrder.precedes).compactMap { path in
      guard let was = before[path], let now = after[path] else { return nil }
      let enabled = old.nodes.isEnabled(was)
      return enabled == new.nodes.isEnabled(now)
        ? nil : DeviceChange(path: path, wasEnabled: enabled)
    }
  }

  /// The report's nodes by path (the first node of a path, as lookups by
  /// path find it).
  private static func nodes(_ report: Report) -> [String: NodeID] {
    Dictionary(report.nodes.nodes.map { (report.nodes.path($0), $0) }) { first, _ in first }
  }

  /// What a link is, apart from its index and node ids.
  private struct Content: Hashable {
    let consumer: String
    let property: LinkProperty
    let supplier: String
    let arguments: Specifier
    let range: IDRange?

    init(_ link: Link, _ report: Report) {
      consumer = report.nodes.path(link.consumer)
      property = link.property
      supplier = report.nodes.path(link.supplier)
      arguments = link.arguments
      range = link.range
    }
  }

  private struct Slot: Hashable {
    let consumer: String
    let property: LinkProperty
    let index: Int

    init(_ link: Link, _ report: Report) {
      consumer = report.nodes.path(link.consumer)
      property = link.property
      index = link.index
    }
  }

  private static func linkChanges(_ old: Report, _ new: Report) -> [LinkChange] {
    // 1. Equal but for the index: unchanged (each old link pairs once).
    var unmatched = Dictionary(grouping: old.links.indices) { Content(old.links[$0], old) }
    var added: [Int] = []
    for (index, link) in new.links.enumerated() {
      let content = Content(link, new)
      if var same = unmatched[content], !same.isEmpty {
        same.removeFirst()
        unmatched[content] = same
      } else {
        added.append(index)
      }
    }
    var removed = unmatched.values.joined().sorted()
    // 2. Same slot, different content: changed.
    var changes: [(order: Order, change: LinkChange)] = []
    var bySlot = Dictionary(removed.map { (Slot(old.links[$0], old), $0) }) { first, _ in first }
    var paired = Set<Int>()
    added = added.filter { index in
      let link = new.links[index]
      guard let was = bySlot.removeValue(forKey: Slot(link, new)) else { return true }
      paired.insert(was)
      changes.append(
        (Order(link, new, .changed), LinkChange(change: .changed, old: old.links[was], new: link)))
      return false
    }
    removed = removed.filter { !paired.contains($0) }
    // 3. The rest.
    changes += removed.map {
      (
        Order(old.links[$0], old, .removed),
        LinkChange(change: .removed, old: old.links[$0], new: nil)
      )
    }
    changes += added.map {
      (Order(new.links[$0], new, .added), LinkChange(change: .added, old: nil, new: new.links[$0]))
    }
    return changes.sorted { $0.order < $1.order }.map(\.change)
  }

  /// Link order across two reports: by paths, as each report orders its own.
  private struct Order: Comparable {
    let consumer: String
    let property: LinkProperty
    let index: Int
    let supplier: String
    let change: String

    init(_ link: Link, _ report: Report, _ change: Change) {
      consumer = report.nodes.path(link.consumer)
      property = link.property
      index = link.index
      supplier = report.nodes.path(link.supplier)
      self.change = change.rawValue
    }

    static func < (lhs: Order, rhs: Order) -> Bool {
      if lhs.consumer != rhs.consumer { return PathOrder.precedes(lhs.consumer, rhs.consumer) }
      if lhs.property != rhs.property { return lhs.property < rhs.property }
      if lhs.index != rhs.index { return lhs.index < rhs.index }
      if lhs.supplier != rhs.supplier { return PathOrder.precedes(lhs.supplier, rhs.supplier) }
      // Removed before added, as a unified diff has it.
      return lhs.change > rhs.change
    }
  }

  private struct FindingKey: Hashable {
    let path: String?
    let code: DiagnosticCode
    let property: String?

    init(_ diagnostic: Diagnostic, _ report: Report) {
      path = diagnostic.node.map { report.nodes.path($0) }
      code = diagnostic.code
      property = diagnostic.property
    }
  }

  private static func findingChanges(_ old: Report, _ new: Report) -> [FindingChange] {
    var unmatched = Dictionary(grouping: old.diagnostics) { FindingKey($0, old) }
    var changes: [(report: Report, change: FindingChange)] = []
    for diagnostic in new.diagnostics {
      let key = FindingKey(diagnostic, new)
      if var same = unmatched[key], !same.isEmpty {
        same.removeFirst()
        unmatched[key] = same
      } else {
        changes.append((new, FindingChange(change: .added, diagnostic: diagnostic)))
      }
    }
    changes += unmatched.values.joined().map {
      (old, FindingChange(change: .removed, diagnostic: $0))
    }
    return changes.sorted { lhs, rhs in
      let left = sortKey(lhs.change.diagnostic, lhs.report)
      let right = sortKey(rhs.change.diagnostic, rhs.report)
      if left.path != right.path {
        if (left.path == nil) != (right.path == nil) { return left.path == nil }
        return PathOrder.precedes(left.path ?? "", right.path ?? "")
      }
      if left.rest != right.rest {
        return left.rest.lexicographicallyPrecedes(right.rest, by: TreeFinder.bytewise)
      }
      return lhs.change.change.rawValue > rhs.change.change.rawValue
    }.map(\.change)
  }

  /// A report's finding order (file-level first, path, code, property,
  /// message), comparable across reports.
  private static func sortKey(_ diagnostic: Diagnostic, _ report: Report) -> (
    path: String?, rest: [String]
  ) {
    (
      diagnostic.node.map { report.nodes.path($0) },
      [diagnostic.code.rawValue, diagnostic.property ?? "", diagnostic.message]
    )
  }
}
