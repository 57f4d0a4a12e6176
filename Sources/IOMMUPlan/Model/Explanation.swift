// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Where the kernel stops reading an IOMMU property: nothing from that entry
/// on becomes a link.
public struct ParseStop: Hashable, Sendable {
  public enum Reason: Hashable, Sendable {
    /// An empty `iommus` entry (phandle 0) ends the walk.
    case emptyEntry
    /// The entry cannot be parsed; the finding with this code says why.
    case malformed(DiagnosticCode)
    /// The whole `iommu-map` is rejected before any entry is read.
    case wholeMap(DiagnosticCode)
  }

  public let property: LinkProperty
  public let entry: Int
  public let reason: Reason

  public init(property: LinkProperty, entry: Int, reason: Reason) {
    self.property = property
    self.entry = entry
    self.reason = reason
  }
}

/// What `explain` was asked about, resolved against the tree: the node and
/// its chain, step by step, each step with the kernel rule behind it. The
/// steps point into the report (links, the plan's consumers and IOMMU
/// states), which hold the facts.
public struct Explanation: Sendable {
  /// The kernel behaviour a step follows.
  public enum Rule: String, Sendable, CaseIterable {
    /// `of_iommu_configure_dev`: `iommus` in order, strict `#iommu-cells`,
    /// stopping at the first entry that fails.
    case iommusWalk = "iommus_walk"
    /// `of_map_id`: a device's ID, masked, against the entries in order;
    /// the first match wins.
    case mapLookup = "map_lookup"
    /// arm-smmu's legacy search of `mmu-masters` when an SMMU registers.
    case legacyMasters = "legacy_masters"
    /// `of_iommu_xlate` refuses an unavailable IOMMU.
    case disabledIOMMU = "disabled_iommu"
    /// A built-in IOMMU driver registers before late_initcall.
    case builtinDriver = "builtin_driver"
    /// A modular IOMMU registers when its module loads; until then
    /// `driver_deferred_probe_check_state` defers its consumers.
    case modularDriver = "modular_driver"
    /// Nothing registers the IOMMU: consumers wait for the deadline.
    case neverRegisters = "never_registers"
    /// The driver registers but has no `of_xlate`.
    case noXlate = "no_xlate"
    /// No known driver or module alias.
    case unknownDriver = "unknown_driver"
    /// fw_devlink's mandatory supplier links of the IOMMU's node.
    case supplierLinks = "supplier_links"
    /// Devices the IOMMU driver's probe looks up itself and waits on
    /// (`mediatek,larbs`), which fw_devlink does not parse.
    case driverSuppliers = "driver_suppliers"
    /// Suppliers on the IOMMU's chains served by a platform device their
    /// driver creates, whose module must load too.
    case createdDevice = "created_device"
    /// Deferred until the IOMMU registers or the deferred-probe timer fires.
    case deferredProbe = "deferred_probe"
    /// The IOMMU is there before the device's driver probes.
    case translated
    /// `of_dma_configure` swallows every IOMMU error but -EPROBE_DEFER.
    case withoutTranslation = "without_translation"
    /// The device tree gives the device no usable IOMMU.
    case noIOMMU = "no_iommu"
    /// Legacy masters get an identity domain at best.
    case legacyDomain = "legacy_domain"
  }

  public enum Step: Hashable, Sendable {
    /// The entries of one consumer's walk: a range of `Report.links`, the
    /// entry where the kernel's walk ends (if before the last), and where
    /// the property stops being readable.
    case entries(ConsumerKey, links: Range<Int>, end: Int?, stop: ParseStop?)
    /// An IOMMU the walk reaches: its driver and mode
    /// (`Plan.state(of:)`), or that it is disabled.
    case iommu(NodeID)
    /// One list of the IOMMU's suppliers (`Plan.IOMMUState.suppliers(_:)`).
    case suppliers(NodeID, Plan.SupplierList)
    /// A consumer's outcome.
    case outcome(ConsumerKey)
  }

  /// One consumer's chain.
  public struct Walk: Sendable {
    public let key: ConsumerKey
    public let steps: [(step: Step, rule: Rule)]
  }

  /// What the node is to the kernel's IOMMU code.
  public enum Role: Hashable, Sendable {
    /// A consumer: `Plan.consumers(of:)` has it.
    case consumer
    /// `iommus` below a PCI host bridge, which the kernel never reads.
    case iommusUnderPCIHost(host: NodeID)
    /// Disabled, or below a disabled node: no device is created.
    case disabled
    /// No `iommus`, no `iommu-map`, and no SMMU lists it in `mmu-masters`.
    case notReferenced
  }

  /// A PCI function described in the tree below a bus with an `iommu-map`:
  /// the bus, and the requester ID its `reg` gives (bus << 8 | devfn, from
  /// the first cell, as `of_pci_get_devfn()` and the bus number read it).
  public struct PCIFunction: Hashable, Sendable {
    public let bus: NodeID
    public let rid: UInt32
  }

  /// The name as it was asked for: a path or a label.
  public let name: String
  /// Nil when the name matches no node.
  public let node: NodeID?
  public let role: Role
  /// Whether the tree has `/__symbols__`, without which labels cannot be
  /// resolved.
  public let hasSymbols: Bool
  /// Where the node's IOMMU properties stop being readable.
  public let stops: [ParseStop]
  /// Each of the node's consumers' chains, in the plan's order.
  public let walks: [Walk]
  /// Set when the node is a PCI function the kernel configures through its
  /// bus's `iommu-map`.
  public let pciFunction: PCIFunction?

  public init(
    name: String, node: NodeID?, role: Role, hasSymbols: Bool, stops: [ParseStop] = [],
    walks: [Walk] = [], pciFunction: PCIFunction? = nil
  ) {
    self.pciFunction = pciFunction
    self.name = name
    self.node = node
    self.role = role
    self.hasSymbols = hasSymbols
    self.stops = stops
    self.walks = walks
  }

  /// The chains told from the ordered report's plan, links and IOMMUs.
  func walking(plan: Plan, links: [Link], iommus: [IOMMU]) -> Explanation {
    guard let node, role == .consumer else { return self }
    // Each IOMMU once, however many of the node's walks reach it.
    var seen = Set<NodeID>()
    let walks = plan.consumers(of: node).map { consumer in
      Walk(key: consumer.key, steps: Self.steps(consumer, plan, links, iommus, stops, &seen))
    }
    return Explanation(
      name: name, node: node, role: role, hasSymbols: hasSymbols, stops: stops, walks: walks,
      pciFunction: pciFunction)
  }

  private static func steps(
    _ consumer: Plan.Consumer, _ plan: Plan, _ links: [Link], _ iommus: [IOMMU],
    _ stops: [ParseStop], _ seen: inout Set<NodeID>
  ) -> [(step: Step, rule: Rule)] {
    let rule: Rule =
      switch consumer.property {
      case .iommus: .iommusWalk
      case .iommuMap: .mapLookup
      case .mmuMasters: .legacyMasters
      }
    let stop = stops.first { $0.property == consumer.property }
    var steps: [(step: Step, rule: Rule)] = [
      (.entries(consumer.key, links: consumer.links, end: consumer.end, stop: stop), rule)
    ]
    // In the order the walk first reaches each IOMMU, up to where it ends.
    for link in links[consumer.links] {
      if let end = consumer.end, link.index > end { break }
      guard seen.insert(link.supplier).inserted else { continue }
      let state = plan.state(of: link.supplier)
      let iommu = iommus.first { $0.node == link.supplier }
      steps.append((.iommu(link.supplier), iommuRule(state, iommu)))
      let lists: [(Plan.SupplierList, Rule)] = [
        (.links, .supplierLinks), (.lookups, .driverSuppliers), (.created, .createdDevice),
      ]
      for (list, rule) in lists where !(state?.suppliers(list).isEmpty ?? true) {
        steps.append((.suppliers(link.supplier, list), rule))
      }
    }
    steps.append((.outcome(consumer.key), outcomeRule(consumer.outcome)))
    return steps
  }

  private static func iommuRule(_ state: Plan.IOMMUState?, _ iommu: IOMMU?) -> Rule {
    guard let iommu, iommu.isAvailable else { return .disabledIOMMU }
    // An SMMU only legacy masters name is never waited for, so the planner
    // has no state for it: its driver's mode is the whole story.
    guard let state else {
      switch iommu.mode {
      case .module: return .modularDriver
      case .builtin: return .builtinDriver
      case .absent: return .neverRegisters
      case .unknown, nil: return .unknownDriver
      }
    }
    switch state.readiness {
    case .never: return .neverRegisters
    case .noXlate: return .noXlate
    case .unknown: return .unknownDriver
    case .ready, .afterModules: return state.mode == .module ? .modularDriver : .builtinDriver
    }
  }

  private static func outcomeRule(_ outcome: Plan.Outcome) -> Rule {
    switch outcome {
    case .deferred: .deferredProbe
    case .translated: .translated
    case .unprotected: .withoutTranslation
    case .noIOMMU: .noIOMMU
    case .legacy: .legacyDomain
    case .unknown: .unknownDriver
    }
  }
}
