// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The checks stage: findings that need every link of the tree at once.
struct SystemChecks: Sendable {
  let diagnostics: [Diagnostic]

  init(tree: DeviceTree, topology: Topology, links: LinkSet, inventory: Inventory) {
    var findings = Findings()
    let context = Context(tree: tree, topology: topology, links: links.links)
    context.duplicatePhandles(&findings)
    context.disabledTargets(&findings)
    context.driverExpectations(inventory, &findings)
    context.legacyBinding(inventory, &findings)
    context.cycles(inventory, &findings)
    diagnostics = findings.list
  }

  private struct Context {
    let tree: DeviceTree
    let topology: Topology
    let links: [Link]

    func path(_ node: NodeID) -> String { tree.path(of: node) }

    func duplicatePhandles(_ findings: inout Findings) {
      for duplicate in tree.duplicatePhandles {
        findings.report(
          .duplicatePhandle, duplicate.loser, "phandle",
          "phandle \(hex(duplicate.phandle)) is also carried by \(path(duplicate.winner)), which "
            + "comes first in the tree and is the one every reference resolves to")
      }
    }

    /// `of_iommu_xlate` refuses an unavailable IOMMU, which ends the `iommus`
    /// walk with "no IOMMU" even when earlier entries succeeded.
    func disabledTargets(_ findings: inout Findings) {
      var start = 0
      while start < links.count {
        // A consumer's links of one property are adjacent, in entry order.
        var end = start + 1
        while end < links.count && links[end].consumerKey == links[start].consumerKey { end += 1 }
        defer { start = end }
        let run = links[start..<end]
        guard let first = run.first, first.property != .mmuMasters,
          topology.isEnabled(first.consumer),
          run.contains(where: { !tree[$0.supplier].isAvailable })
        else { continue }
        report(disabledIn: run, &findings)
      }
    }

    private func report(disabledIn run: ArraySlice<Link>, _ findings: inout Findings) {
      let disabled = run.filter { !tree[$0.supplier].isAvailable }.sorted { $0.index < $1.index }
      guard let first = disabled.first else { return }
      let consumer = first.consumer
      if first.property == .iommus {
        let status = shortened(tree[first.supplier].status ?? "")
        var message =
          "entry \(first.index) targets \(path(first.supplier)) (status \"\(status)\"): the "
          + "kernel's walk stops here and \(path(consumer)) gets no IOMMU"
        if first.index > 0 {
          message += ", dropping the \(counted(first.index, "entry")) before it"
        }
        findings.report(.iommuDisabled, consumer, first.property.rawValue, message)
        return
      }
      for supplier in Set(disabled.map(\.supplier)).sorted() {
        let entries = disabled.filter { $0.supplier == supplier }.map { String($0.index) }
        findings.report(
          .iommuDisabled, consumer, first.property.rawValue,
          "IDs of entries \(entries.joined(separator: ", ")) map to \(path(supplier)) "
            + "(status \"\(shortened(tree[supplier].status ?? ""))\") and get no IOMMU")
      }
    }

    func driverExpectations(_ inventory: Inventory, _ findings: inout Findings) {
      for iommu in inventory.iommus {
        guard let driver = iommu.driver else {
          findings.report(
            .iommuUnknownDriver, iommu.node, "compatible",
            "compatible \(quoted(iommu.compatible)) matches no IOMMU driver iommu-plan knows")
          continue
        }
        let accepted = driver.iommuCells.map(String.init).joined(separator: " or ")
        if let cells = iommu.iommuCells, !driver.iommuCells.contains(Int(cells)) {
          findings.report(
            .iommuCellsUnexpected, iommu.node, "#iommu-cells",
            "#iommu-cells = \(cells), but \(driver.name) accepts \(accepted)")
        } else if iommu.iommuCells == nil && driver == .armSMMUv3 {
          findings.report(
            .iommuCellsUnexpected, iommu.node, "#iommu-cells",
            "no #iommu-cells: arm-smmu-v3 refuses to probe (it needs exactly 1)")
        }
      }
    }

    func legacyBinding(_ inventory: Inventory, _ findings: inout Findings) {
      for iommu in inventory.iommus where iommu.binding == .mixed {
        let consumers = Set(
          links.filter { $0.supplier == iommu.node && $0.property != .mmuMasters }
            .map { path($0.consumer) }
        ).sorted()
        findings.report(
          .mmuMastersWithGenericConsumers, iommu.node, MMUMastersBinding.property,
          "\(path(iommu.node)) lists mmu-masters and is also referenced by "
            + "\(consumers.joined(separator: ", ")); a legacy SMMU gives those generic consumers "
            + "no translation")
      }
      let smmus = inventory.iommus.filter { $0.driver == .armSMMU && $0.isAvailable }
      let legacy = smmus.filter { tree[$0.node].property(MMUMastersBinding.property) != nil }
      let generic = smmus.filter { tree[$0.node].property(MMUMastersBinding.property) == nil }
      if let first = legacy.first, !generic.isEmpty {
        findings.report(
          .mixedSMMUBindings, first.node, MMUMastersBinding.property,
          "legacy arm-smmu \(legacy.map { path($0.node) }.joined(separator: ", ")) and generic "
            + "\(generic.map { path($0.node) }.joined(separator: ", ")): arm-smmu refuses "
            + "whichever kind probes second (\"not probing due to mismatched DT properties\")")
      }
      let masters = Dictionary(grouping: links.filter { $0.property == .mmuMasters }) {
        $0.consumer
      }
      for (master, listed) in masters.sorted(by: { $0.key < $1.key }) {
        let owners = Set(listed.map { path($0.supplier) }).sorted()
        guard owners.count > 1 else { continue }
        findings.report(
          .masterInTwoSMMUs, master, nil,
          "listed in the mmu-masters of \(owners.joined(separator: " and ")); arm-smmu attaches "
            + "it to whichever of them bound to the driver first")
      }
    }

    /// Probe dependencies are edges: `iommus` and `iommu-map` links between
    /// nodes that will probe (a disabled IOMMU means "no IOMMU", not a wait,
    /// and legacy masters never defer), plus a PCI IOMMU's own RID when its
    /// root complex's `iommu-map` sends that RID back to an IOMMU
    /// (virtio-iommu must be left out of the map it translates for, or it
    /// waits for itself).
    func cycles(_ inventory: Inventory, _ findings: inout Findings) {
      let probing = { (node: NodeID) in topology.isEnabled(node) }
      let probes = { (link: Link) in
        link.property != .mmuMasters && probing(link.consumer) && probing(link.supplier)
      }
      var own: [(consumer: NodeID, supplier: NodeID)] = []
      var notes: [NodeID: String] = [:]
      for iommu in inventory.iommus where probing(iommu.node) {
        guard let (rid, link) = ownRequesterID(iommu.node), probing(link.supplier) else { continue }
        own.append((iommu.node, link.supplier))
        notes[iommu.node] =
          " (its own RID \(hex(rid)) is mapped by \(path(link.consumer)) iommu-map entry "
          + "\(link.index))"
      }
      // Only a node that is also a supplier can lie on a cycle: a tree of
      // 100,000 masters leaves the graph its few IOMMUs.
      var suppliers = Set(own.map(\.supplier))
      var last: NodeID?
      for link in links where link.supplier != last && probes(link) {
        suppliers.insert(link.supplier)
        last = link.supplier
      }
      var edges = own.filter { suppliers.contains($0.consumer) }
      var consumer: (node: NodeID, supplies: Bool)?
      for link in links where probes(link) {
        if consumer?.node != link.consumer {
          consumer = (link.consumer, suppliers.contains(link.consumer))
        }
        if consumer?.supplies == true { edges.append((link.consumer, link.supplier)) }
      }
      let graph = DependencyGraph(edges: edges)
      for cycle in graph.cycles {
        let detail = cycle.dropLast().compactMap { notes[$0] }.joined()
        findings.report(
          .dependencyCycle, cycle[0], nil,
          cycle.map { path($0) }.joined(separator: " -> ")
            + detail
            + (cycle.count == 2
              ? ": it would wait for itself"
              : ": none of these can finish probing before the others"))
      }
    }

    /// The RID of a node that sits on a PCI bus below a root complex with an
    /// `iommu-map`, and the map entry that RID hits first.
    private func ownRequesterID(_ node: NodeID) -> (UInt32, Link)? {
      guard let host = topology.pciHost(above: node),
        let parent = tree[node].parent,
        tree[parent].u32("#address-cells") == 3,
        let physHigh = tree[node].u32("reg")
      else { return nil }
      let rid = (physHigh >> 8) & 0xffff
      let hit = links.filter { $0.consumer == host && $0.property == .iommuMap }
        .sorted { $0.index < $1.index }
        .first { link in
          guard let range = link.range else { return false }
          let masked = rid & (range.mask ?? .max)
          return masked >= range.base
            && UInt64(masked) < UInt64(range.base) + UInt64(range.length)
        }
      return hit.map { (rid, $0) }
    }
  }
}
