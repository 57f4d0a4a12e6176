// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Applies the kernel's probe-deferral rules (docs/kernel-rules.md §2–4, §6.5)
/// to every consumer: `iommus` nodes, `iommu-map` bus nodes and legacy
/// masters. Disabled consumers never probe and are left out.
struct Planner {
  let tree: DeviceTree
  let topology: Topology
  let build: KernelBuild
  let deadline: Plan.Deadline
  var resolver: ReadinessResolver

  /// Available arm-smmu instances of both kinds: whichever kind probes second
  /// is refused, so neither can be counted on.
  let mixedSMMUs: Bool
  /// By node index: the inventory's available IOMMUs, which every link's
  /// supplier is among (asked once per link, so not through a node view).
  private let available: [Bool]
  /// How a walk that waited for a set of waits ends: the same for every
  /// device that waits for the same modules, so each is made once and its
  /// waits array shared (a tree of 100,000 masters on one SMMU has one).
  private var endings: [Set<Plan.Wait>: Ending] = [:]
  /// The last walk's waits and ending: neighbours in the tree nearly always
  /// wait for the same things, and an array compares without hashing.
  private var lastEnding: (waits: [Plan.Wait], ending: Ending)?

  init(
    tree: DeviceTree, topology: Topology, build: KernelBuild, deadline: Plan.Deadline,
    inventory: Inventory, links: [Link], extraRoots: [NodeID] = []
  ) {
    self.tree = tree
    self.topology = topology
    self.build = build
    self.deadline = deadline
    resolver = ReadinessResolver(
      tree: tree, topology: topology, build: build,
      roots: inventory.iommus.map(\.node) + extraRoots, links: links)
    let smmus = inventory.iommus.filter { $0.driver == .armSMMU && $0.isAvailable }
    let legacy = smmus.filter { $0.binding == .legacy || $0.binding == .mixed }
    mixedSMMUs = !legacy.isEmpty && legacy.count < smmus.count
    var available = [Bool](repeating: false, count: tree.nodes.count)
    for iommu in inventory.iommus where iommu.isAvailable { available[iommu.node.rawValue] = true }
    self.available = available
  }

  /// Every enabled consumer, in tree order.
  mutating func consumers(_ set: LinkSet) -> [Plan.Consumer] {
    var result: [Plan.Consumer] = []
    result.reserveCapacity(set.properties.count)
    for read in set.properties where topology.isEnabled(read.key.node) {
      let links = set.links[read.links]
      switch read.key.property {
      case .iommus: result.append(walk(read.key.node, links))
      case .iommuMap: result.append(map(read.key.node, links))
      case .mmuMasters: break
      }
    }
    let masters = Dictionary(grouping: set.links.filter { $0.property == .mmuMasters }) {
      $0.consumer
    }
    for (master, links) in masters.sorted(by: { $0.key < $1.key })
    where topology.isEnabled(master) {
      result.append(legacy(master, links.sorted { $0.index < $1.index }))
    }
    return result
  }

  /// `of_iommu_configure_dev`: entries in order; a deferral pauses the walk
  /// until that IOMMU registers, and a later disabled or unusable IOMMU still
  /// ends it without translation.
  private mutating func walk(_ node: NodeID, _ links: ArraySlice<Link>) -> Plan.Consumer {
    guard !links.isEmpty else {
      let empty = tree.property(IommusBinding.property, of: node)?.firstCell == 0
      return Plan.Consumer(
        node: node, property: .iommus, outcome: .noIOMMU,
        cause: empty ? .emptyFirstEntry : .unparsableFirstEntry, waits: [], deadline: nil)
    }
    var waits: [Plan.Wait] = []
    // The one IOMMU every entry so far went to: its ending can be kept on it.
    var only: IOMMUReadiness?
    var firstDriver: String?
    for link in links {
      // iommu_fwspec_init refuses a second IOMMU driver for one device
      // (-EINVAL), which ends the walk with no IOMMU.
      if available[link.supplier.rawValue], let driver = driverName(link.supplier) {
        if let firstDriver, firstDriver != driver {
          let end = Plan.WalkEnd.secondDriver(
            entry: link.index, driver: driver, earlier: firstDriver)
          return ended(node, .iommus, waits, .walkEnded(end), outcome: end.outcome, at: link.index)
        }
        firstDriver = firstDriver ?? driver
      }
      let step = evaluate(link)
      add(step.waits, to: &waits)
      if let end = step.end {
        return ended(node, .iommus, waits, .walkEnded(end), outcome: end.outcome, at: link.index)
      }
      only = link.index == links.first?.index || only === step.readiness ? step.readiness : nil
    }
    if let only, only.waits == waits {
      if only.ending == nil { only.ending = ending(Set(waits)) }
      if let end = only.ending {
        return Plan.Consumer(
          node: node, property: .iommus, outcome: end.outcome, cause: end.cause,
          waits: end.waits, deadline: end.deadline)
      }
    }
    return finish(node, .iommus, waits)
  }

  /// A bus node: each `iommu-map` entry is a separate route for the IDs it
  /// covers; the bus's outcome is the most delayed of its routes.
  private mutating func map(_ node: NodeID, _ links: ArraySlice<Link>) -> Plan.Consumer {
    guard !links.isEmpty else {
      return Plan.Consumer(
        node: node, property: .iommuMap, outcome: .noIOMMU, cause: .noUsableMapEntry, waits: [],
        deadline: nil)
    }
    var waits: [Plan.Wait] = []
    var ends: [(end: Plan.WalkEnd, entry: Int)] = []
    var failing: Int?
    for link in links {
      if failing == nil, let range = link.range, let mask = range.mask,
        range.base & ~mask != 0
      {
        failing = link.index
      }
      if let failing {
        ends.append((.maskIgnoresRIDBase(entry: failing), link.index))
        continue
      }
      if link.range?.length == 0 {
        ends.append((.zeroLength, link.index))
        continue
      }
      let step = evaluate(link)
      add(step.waits, to: &waits)
      if let end = step.end { ends.append((end, link.index)) }
    }
    let order: [Plan.Outcome] = [.unknown, .unprotected, .noIOMMU]
    guard
      let worst = order.first(where: { outcome in ends.contains { $0.end.outcome == outcome } }),
      ends.count == links.count || worst != .noIOMMU
    else { return finish(node, .iommuMap, waits) }
    // Entries that end the same way share one account.
    var groups: [(end: Plan.WalkEnd, entries: [Int])] = []
    for (end, entry) in ends where end.outcome == worst {
      if let index = groups.firstIndex(where: { $0.end == end }) {
        groups[index].entries.append(entry)
      } else {
        groups.append((end, [entry]))
      }
    }
    let cause = Plan.Cause.mapEntries(
      groups.map { Plan.EntryGroup(end: $0.end, entries: $0.entries) })
    return ended(node, .iommuMap, waits, cause, outcome: worst, at: nil)
  }

  /// A walk that an entry ended: it waited for `waits` first.
  private func ended(
    _ node: NodeID, _ property: LinkProperty, _ waits: [Plan.Wait], _ cause: Plan.Cause,
    outcome: Plan.Outcome, at entry: Int?
  ) -> Plan.Consumer {
    var waitsForDeadline = !waits.isEmpty
    var outcome = outcome
    if cause.waitsForAnIOMMUThatNeverRegisters {
      waitsForDeadline = true
      // With deferred_probe_timeout=-1 the timer never runs out:
      // driver_deferred_probe_check_state keeps returning -EPROBE_DEFER, so
      // the device stays deferred instead of probing without translation.
      if deadline == .never { outcome = .deferred }
    }
    return Plan.Consumer(
      node: node, property: property, outcome: outcome, cause: cause,
      waits: sorted(Set(waits)), deadline: waitsForDeadline ? deadline : nil, end: entry)
  }

  private mutating func finish(
    _ node: NodeID, _ property: LinkProperty, _ waits: [Plan.Wait]
  ) -> Plan.Consumer {
    let end: Ending
    if let last = lastEnding, last.waits == waits {
      end = last.ending
    } else {
      let key = Set(waits)
      if let known = endings[key] {
        end = known
      } else {
        end = ending(key)
        endings[key] = end
      }
      lastEnding = (waits, end)
    }
    return Plan.Consumer(
      node: node, property: property, outcome: end.outcome, cause: end.cause, waits: end.waits,
      deadline: end.deadline)
  }

  private func ending(_ waits: Set<Plan.Wait>) -> Ending {
    guard !waits.isEmpty else {
      return Ending(outcome: .translated, cause: .builtIn, waits: [], deadline: nil)
    }
    if build.deferredProbeTimeout == 0 {
      return Ending(
        outcome: .unprotected, cause: .timeoutZero, waits: sorted(waits), deadline: deadline)
    }
    return Ending(
      outcome: .deferred, cause: .waitsForModules, waits: sorted(waits), deadline: deadline)
  }

  struct Ending {
    let outcome: Plan.Outcome
    let cause: Plan.Cause
    let waits: [Plan.Wait]
    let deadline: Plan.Deadline?
  }

  /// A walk's waits, each once, in the order met; an entry that adds
  /// nothing new leaves the array as it was (often the IOMMU's own).
  private func add(_ more: [Plan.Wait], to waits: inout [Plan.Wait]) {
    if waits.isEmpty {
      waits = more
      return
    }
    for wait in more where !waits.contains(wait) { waits.append(wait) }
  }

  /// In tree order here; the report puts them in path order.
  private func sorted(_ waits: Set<Plan.Wait>) -> [Plan.Wait] {
    waits.sorted { ($0.iommu, $0.module ?? "") < ($1.iommu, $1.module ?? "") }
  }

  /// One entry of a walk: what it waits for, and how it ends the walk when
  /// it does.
  private mutating func evaluate(_ link: Link) -> (
    waits: [Plan.Wait], end: Plan.WalkEnd?, readiness: IOMMUReadiness?
  ) {
    guard available[link.supplier.rawValue] else {
      return ([], .disabled(property: link.property, entry: link.index, iommu: link.supplier), nil)
    }
    let readiness = resolver.readiness(of: link.supplier)
    let waits = readiness.waits
    if mixedSMMUs && readiness.driver == .armSMMU && link.property != .mmuMasters {
      return (waits, .mixedSMMUs(iommu: link.supplier), readiness)
    }
    switch readiness.state {
    case .unknown, .never, .noXlate:
      return (waits, readiness.end, readiness)
    case .ready, .afterModules:
      if let driver = readiness.driver, driver.rejectsOtherCellCounts,
        link.arguments.count != 1
      {
        let end = Plan.WalkEnd.rejectsSpecifier(driver: driver.name, cells: link.arguments.count)
        return (waits, end, readiness)
      }
      return (waits, nil, readiness)
    }
  }

  private func legacy(_ node: NodeID, _ links: [Link]) -> Plan.Consumer {
    let (mode, source) = build.mode(of: .armSMMU)
    let attachment: Plan.LegacyAttachment
    if mode != .builtin {
      attachment = .needsBuiltin(mode: mode, assumed: source == .default)
    } else if mixedSMMUs {
      attachment = .mixed
    } else if !build.legacyBindings {
      attachment = .bindingsDisabled
    } else {
      attachment = .identity
    }
    return Plan.Consumer(
      node: node, property: .mmuMasters, outcome: .legacy, cause: .legacy(attachment), waits: [],
      deadline: nil)
  }

  /// The driver that would take an IOMMU: the table's name, or its module.
  private mutating func driverName(_ iommu: NodeID) -> String? {
    let readiness = resolver.readiness(of: iommu)
    return readiness.driver?.name ?? readiness.driverModule
  }
}

extension Plan.Cause {
  /// Whether what ends the walk is an IOMMU that never registers (for a
  /// map, every entry that decides the outcome): the device waits for it
  /// until the deadline.
  fileprivate var waitsForAnIOMMUThatNeverRegisters: Bool {
    switch self {
    case .walkEnded(.neverRegisters): true
    case .mapEntries(let groups):
      groups.allSatisfy {
        if case .neverRegisters = $0.end { true } else { false }
      }
    default: false
    }
  }
}
