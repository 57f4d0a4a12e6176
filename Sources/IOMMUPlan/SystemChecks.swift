import DeviceTree

/// Findings that need every link of the tree at once.
enum SystemChecks {
  static func run(_ inventory: [IOMMU], _ analysis: inout Analysis) {
    duplicatePhandles(&analysis)
    disabledTargets(&analysis)
    driverExpectations(inventory, &analysis)
    legacyBinding(inventory, &analysis)
    cycles(inventory, &analysis)
  }

  private static func duplicatePhandles(_ analysis: inout Analysis) {
    for duplicate in analysis.tree.duplicatePhandles {
      analysis.report(
        .duplicatePhandle, duplicate.loser, "phandle",
        "phandle \(hex(duplicate.phandle)) is also carried by \(analysis.path(duplicate.winner)), "
          + "which comes first in the tree and is the one every reference resolves to")
    }
  }

  /// `of_iommu_xlate` refuses an unavailable IOMMU, which ends the `iommus`
  /// walk with "no IOMMU" even when earlier entries succeeded.
  private static func disabledTargets(_ analysis: inout Analysis) {
    let tree = analysis.tree
    let groups = Dictionary(grouping: analysis.links.filter { $0.property != .mmuMasters }) {
      GroupKey(consumer: $0.consumer, property: $0.property)
    }
    for (key, links) in groups.sorted(by: { $0.key < $1.key })
    where analysis.isEnabled(key.consumer) {
      let disabled = links.filter { !tree[$0.supplier].isAvailable }.sorted { $0.index < $1.index }
      guard let first = disabled.first else { continue }
      let status = shortened(tree[first.supplier].status ?? "")
      if key.property == .iommus {
        var message =
          "entry \(first.index) targets \(first.supplierPath) (status \"\(status)\"): the kernel's "
          + "walk stops here and \(first.consumerPath) gets no IOMMU"
        if first.index > 0 {
          message += ", dropping the \(counted(first.index, "entry")) before it"
        }
        analysis.report(.iommuDisabled, key.consumer, key.property.rawValue, message)
      } else {
        for supplier in Set(disabled.map(\.supplier)).sorted() {
          let entries = disabled.filter { $0.supplier == supplier }.map { String($0.index) }
          analysis.report(
            .iommuDisabled, key.consumer, key.property.rawValue,
            "IDs of entries \(entries.joined(separator: ", ")) map to \(tree[supplier].path) "
              + "(status \"\(shortened(tree[supplier].status ?? ""))\") and get no IOMMU")
        }
      }
    }
  }

  private static func driverExpectations(_ inventory: [IOMMU], _ analysis: inout Analysis) {
    for iommu in inventory {
      guard let driver = iommu.driver else {
        analysis.report(
          .iommuUnknownDriver, iommu.node, "compatible",
          "compatible \(quoted(iommu.compatible)) matches no IOMMU driver iommu-plan knows")
        continue
      }
      let accepted = driver.iommuCells.map(String.init).joined(separator: " or ")
      if let cells = iommu.iommuCells, !driver.iommuCells.contains(Int(cells)) {
        analysis.report(
          .iommuCellsUnexpected, iommu.node, "#iommu-cells",
          "#iommu-cells = \(cells), but \(driver.name) accepts \(accepted)")
      } else if iommu.iommuCells == nil && driver == .armSMMUv3 {
        analysis.report(
          .iommuCellsUnexpected, iommu.node, "#iommu-cells",
          "no #iommu-cells: arm-smmu-v3 refuses to probe (it needs exactly 1)")
      }
    }
  }

  private static func legacyBinding(_ inventory: [IOMMU], _ analysis: inout Analysis) {
    let referrers = Dictionary(
      grouping: analysis.links.filter { $0.property != .mmuMasters }, by: \.supplier)
    for iommu in inventory where iommu.binding == .mixed {
      let consumers = Set((referrers[iommu.node] ?? []).map(\.consumerPath)).sorted()
      analysis.report(
        .mmuMastersWithGenericConsumers, iommu.node, MMUMastersBinding.property,
        "\(iommu.path) lists mmu-masters and is also referenced by \(consumers.joined(separator: ", ")); "
          + "a legacy SMMU gives those generic consumers no translation")
    }
    let smmus = inventory.filter { $0.driver == .armSMMU && $0.isAvailable }
    let legacy = smmus.filter { analysis.tree[$0.node].property("mmu-masters") != nil }
    let generic = smmus.filter { analysis.tree[$0.node].property("mmu-masters") == nil }
    if let first = legacy.first, !generic.isEmpty {
      analysis.report(
        .mixedSMMUBindings, first.node, MMUMastersBinding.property,
        "legacy arm-smmu \(legacy.map(\.path).joined(separator: ", ")) and generic "
          + "\(generic.map(\.path).joined(separator: ", ")): arm-smmu refuses whichever kind "
          + "probes second (\"not probing due to mismatched DT properties\")")
    }
    let masters = Dictionary(grouping: analysis.links.filter { $0.property == .mmuMasters }) {
      $0.consumer
    }
    for (master, links) in masters.sorted(by: { $0.key < $1.key }) {
      let owners = Set(links.map(\.supplierPath)).sorted()
      guard owners.count > 1 else { continue }
      analysis.report(
        .masterInTwoSMMUs, master, nil,
        "listed in the mmu-masters of \(owners.joined(separator: " and ")); arm-smmu attaches it "
          + "to whichever of them bound to the driver first")
    }
  }

  /// Probe dependencies are edges: `iommus` and `iommu-map` links between
  /// nodes that will probe (a disabled IOMMU means "no IOMMU", not a wait, and
  /// legacy masters never defer), plus a PCI IOMMU's own RID when its root
  /// complex's `iommu-map` sends that RID back to an IOMMU (virtio-iommu must
  /// be left out of the map it translates for, or it waits for itself).
  private static func cycles(_ inventory: [IOMMU], _ analysis: inout Analysis) {
    let snapshot = analysis
    let probing = { (node: NodeID) in snapshot.isEnabled(node) }
    var edges = analysis.links
      .filter { $0.property != .mmuMasters && probing($0.consumer) && probing($0.supplier) }
      .map { ($0.consumer, $0.supplier) }
    var notes: [NodeID: String] = [:]
    // Each root complex's map, grouped and sorted once, not once per IOMMU.
    let maps = Dictionary(
      grouping: analysis.links.filter { $0.property == .iommuMap }, by: \.consumer
    ).mapValues { $0.sorted { $0.index < $1.index } }
    for iommu in inventory where probing(iommu.node) {
      guard let (rid, link) = ownRequesterID(iommu.node, analysis, maps: maps),
        probing(link.supplier)
      else { continue }
      edges.append((iommu.node, link.supplier))
      notes[iommu.node] =
        " (its own RID \(hex(rid)) is mapped by \(link.consumerPath) iommu-map entry \(link.index))"
    }
    let graph = DependencyGraph(edges: edges)
    for cycle in graph.cycles {
      let detail = cycle.dropLast().compactMap { notes[$0] }.joined()
      analysis.report(
        .dependencyCycle, cycle[0], nil,
        cycle.map { analysis.path($0) }.joined(separator: " -> ")
          + detail
          + (cycle.count == 2
            ? ": it would wait for itself" : ": none of these can finish probing before the others")
      )
    }
  }

  /// The RID of a node that sits on a PCI bus below a root complex with an
  /// `iommu-map`, and the map entry that RID hits first.
  private static func ownRequesterID(
    _ node: NodeID, _ analysis: Analysis, maps: [NodeID: [Link]]
  ) -> (UInt32, Link)? {
    let tree = analysis.tree
    guard let host = analysis.pciHost(above: node),
      let parent = tree[node].parent,
      tree[parent].u32("#address-cells") == 3,
      let physHigh = tree[node].u32("reg")
    else { return nil }
    let rid = (physHigh >> 8) & 0xffff
    let hit = maps[host]?.first { link in
      guard let range = link.range else { return false }
      let masked = rid & (range.mask ?? .max)
      return masked >= range.base && UInt64(masked) < UInt64(range.base) + UInt64(range.length)
    }
    return hit.map { (rid, $0) }
  }

  private struct GroupKey: Hashable, Comparable {
    let consumer: NodeID
    let property: LinkProperty
    static func < (lhs: GroupKey, rhs: GroupKey) -> Bool {
      (lhs.consumer, lhs.property) < (rhs.consumer, rhs.property)
    }
  }
}

/// A status or similar string from the blob, cut to 64 characters: it is
/// quoted once per consumer, so its length must not multiply.
func shortened(_ text: String) -> String {
  text.count > 64 ? text.prefix(64) + "..." : text
}

func quoted(_ strings: [String]) -> String {
  strings.map { "\"\($0)\"" }.joined(separator: ", ")
}
