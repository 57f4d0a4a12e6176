import DeviceTree

/// What the planner is asked besides the build: devices that must come up
/// from the initramfs, and an existing module list to check.
public struct PlanRequest: Sendable {
  /// Node paths or labels.
  public var bootDevices: [String]
  /// An existing `modules.load` (or initramfs module list): file and names.
  public var modulesLoad: (file: String, modules: [String])?

  public init(bootDevices: [String] = [], modulesLoad: (file: String, modules: [String])? = nil) {
    self.bootDevices = bootDevices
    self.modulesLoad = modulesLoad
  }

  /// Module names from a `modules.load`-style list: one module (name or
  /// path) per line, `#` comments and blank lines ignored.
  public static func moduleList(_ text: String) -> [String] {
    text.split(separator: "\n").compactMap { line in
      let body = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
      let word = body.split(separator: " ").first.map(String.init) ?? ""
      return word.isEmpty ? nil : moduleKey(ModuleIndex.moduleName(fromPath: word))
    }
  }
}

/// Applies the kernel's probe-deferral rules (kernel-semantics.md 2, 4, 5.5)
/// to every consumer: `iommus` nodes, `iommu-map` bus nodes and legacy
/// masters. Disabled consumers never probe and are left out.
struct Planner {
  let build: KernelBuild
  var resolver: ReadinessResolver

  /// Available arm-smmu instances of both kinds: whichever kind probes second
  /// is refused, so neither can be counted on.
  let mixedSMMUs: Bool
  /// `ending(_:)` by the waits it was asked for.
  private var endings: [Set<Plan.Wait>: Ending] = [:]

  init(
    tree: DeviceTree, build: KernelBuild, inventory: [IOMMU], links: [Link],
    extraRoots: [NodeID] = []
  ) {
    self.build = build
    resolver = ReadinessResolver(
      tree: tree, build: build, roots: inventory.map(\.node) + extraRoots, links: links)
    let smmus = inventory.filter { $0.driver == .armSMMU && $0.isAvailable }
    let legacy = smmus.filter { tree[$0.node].property(MMUMastersBinding.property) != nil }
    mixedSMMUs = !legacy.isEmpty && legacy.count < smmus.count
  }

  var tree: DeviceTree { resolver.tree }

  mutating func consumers(_ analysis: Analysis) -> [Plan.Consumer] {
    var result: [Plan.Consumer] = []
    let byConsumer = Dictionary(grouping: analysis.links) { ConsumerKey($0.consumer, $0.property) }
    var keys = Set(byConsumer.keys)
    for node in tree.nodes {
      if node.property("iommus") != nil && analysis.pciHost(above: node.id) == nil {
        keys.insert(ConsumerKey(node.id, .iommus))
      }
      if node.property(IOMMUMapBinding.property) != nil {
        keys.insert(ConsumerKey(node.id, .iommuMap))
      }
    }
    for key in keys.sorted() where analysis.isEnabled(key.node) {
      let links = (byConsumer[key] ?? []).sorted { $0.index < $1.index }
      switch key.property {
      case .iommus: result.append(walk(key.node, links))
      case .iommuMap: result.append(map(key.node, links))
      case .mmuMasters: result.append(legacy(key.node, links))
      }
    }
    return result
  }

  /// `of_iommu_configure_dev`: entries in order; a deferral pauses the walk
  /// until that IOMMU registers, and a later disabled or unusable IOMMU still
  /// ends it without translation.
  private mutating func walk(_ node: NodeID, _ links: [Link]) -> Plan.Consumer {
    let path = tree[node].path
    let ids = links.compactMap(\.arguments.first)
    guard !links.isEmpty else {
      let empty = tree[node].property("iommus")?.cells.first == 0
      return Plan.Consumer(
        device: path, outcome: .noIOMMU, property: .iommus,
        reason: empty
          ? "iommus entry 0 is empty (phandle 0): no IOMMU"
          : "the kernel cannot parse iommus entry 0 (see the findings): no IOMMU",
        waitsFor: [], streamIDs: [])
    }
    var waits = Set<Plan.Wait>()
    var firstDriver: String?
    for link in links {
      // iommu_fwspec_init refuses a second IOMMU driver for one device
      // (-EINVAL), which ends the walk with no IOMMU.
      if tree[link.supplier].isAvailable, let driver = driverName(link.supplier) {
        if let firstDriver, firstDriver != driver {
          return Plan.Consumer(
            device: path, outcome: .unprotected, property: .iommus,
            reason: (waits.isEmpty ? "" : "waits for \(describe(waits)), then ")
              + "iommus[\(link.index)] needs \(driver) while earlier entries use \(firstDriver): "
              + "iommu_fwspec_init refuses a second IOMMU driver (-EINVAL) and it probes without "
              + "translation", waitsFor: waits.sorted(), streamIDs: ids)
        }
        firstDriver = firstDriver ?? driver
      }
      let step = evaluate(link)
      waits.formUnion(step.waits)
      if let final = step.final {
        return Plan.Consumer(
          device: path, outcome: final.0, property: .iommus,
          reason: (waits.isEmpty ? "" : "waits for \(describe(waits)), then ") + final.1,
          waitsFor: waits.sorted(), streamIDs: ids)
      }
    }
    return finish(path, .iommus, waits, ids)
  }

  /// A bus node: each `iommu-map` entry is a separate route for the IDs it
  /// covers; the bus's outcome is the most delayed of its routes.
  private mutating func map(_ node: NodeID, _ links: [Link]) -> Plan.Consumer {
    let path = tree[node].path
    let ids = links.compactMap(\.arguments.first)
    guard !links.isEmpty else {
      return Plan.Consumer(
        device: path, outcome: .noIOMMU, property: .iommuMap,
        reason: "no usable iommu-map entry (see the findings): devices on it get no IOMMU",
        waitsFor: [], streamIDs: [])
    }
    var waits = Set<Plan.Wait>()
    var finals: [(Plan.Outcome, String, Int)] = []
    for link in links {
      if link.range?.length == 0 {
        finals.append(
          (.noIOMMU, "length 0 matches no ID (boot firmware may fill it in)", link.index))
        continue
      }
      let step = evaluate(link)
      waits.formUnion(step.waits)
      if let final = step.final { finals.append((final.0, final.1, link.index)) }
    }
    let order: [Plan.Outcome] = [.unknown, .unprotected, .noIOMMU]
    if let worst = order.first(where: { outcome in finals.contains { $0.0 == outcome } }),
      finals.count == links.count || worst != .noIOMMU
    {
      // Entries that fail the same way share one sentence.
      var reasons: [String] = []
      var entries: [String: [Int]] = [:]
      for final in finals where final.0 == worst {
        if entries[final.1] == nil { reasons.append(final.1) }
        entries[final.1, default: []].append(final.2)
      }
      let sentences = reasons.map { reason in
        let list = entries[reason] ?? []
        let which =
          list.count == 1
          ? "entry \(list[0])" : "entries \(list.map(String.init).joined(separator: ", "))"
        return "\(which): \(reason)"
      }
      return Plan.Consumer(
        device: path, outcome: worst, property: .iommuMap,
        reason: (waits.isEmpty ? "" : "waits for \(describe(waits)); ")
          + sentences.joined(separator: "; "),
        waitsFor: waits.sorted(), streamIDs: ids)
    }
    return finish(path, .iommuMap, waits, ids)
  }

  private mutating func finish(
    _ path: String, _ property: LinkProperty, _ waits: Set<Plan.Wait>, _ ids: [UInt32]
  ) -> Plan.Consumer {
    let end: Ending
    if let known = endings[waits] {
      end = known
    } else {
      end = ending(waits)
      endings[waits] = end
    }
    return Plan.Consumer(
      device: path, outcome: end.outcome, property: property, reason: end.reason,
      waitsFor: end.waits, streamIDs: ids)
  }

  /// How a walk that waited for `waits` ends; the same for every device
  /// that waits for the same modules, so each is worded once and shared
  /// (a tree of 100,000 masters on one SMMU has one).
  private func ending(_ waits: Set<Plan.Wait>) -> Ending {
    guard !waits.isEmpty else {
      return Ending(
        outcome: .translated,
        reason: "its IOMMU driver and everything it needs are built in: translated from the "
          + "first probe", waits: [])
    }
    let deadline = build.deferredProbeTimeout
    if deadline == 0 {
      return Ending(
        outcome: .unprotected,
        reason: "needs \(describe(waits)), but deferred_probe_timeout is 0: the deadline is "
          + "late_initcall itself, so it probes without translation before any module loads",
        waits: waits.sorted())
    }
    let (names, verb) = (describe(waits), moduleCount(waits) == 1 ? "loads" : "load")
    let until =
      deadline < 0
      ? "it waits indefinitely (deferred_probe_timeout=-1)"
      : "unless \(moduleCount(waits) == 1 ? "it loads" : "they load") within \(deadline) s of "
        + "late_initcall (each driver registration re-arms the timer), it probes without "
        + "translation and stays that way"
    let strict = build.fwDevlinkStrict ? " (fw_devlink.strict: also held by a device link)" : ""
    return Ending(
      outcome: .deferred, reason: "defers until \(names) \(verb)\(strict); \(until)",
      waits: waits.sorted())
  }

  struct Ending {
    let outcome: Plan.Outcome
    let reason: String
    let waits: [Plan.Wait]
  }

  /// One entry of a walk: what it waits for, and the end of the walk when
  /// this entry ends it.
  private mutating func evaluate(_ link: Link) -> (
    waits: [Plan.Wait], final: (Plan.Outcome, String)?
  ) {
    let iommu = tree[link.supplier]
    guard iommu.isAvailable else {
      return (
        [],
        (
          .noIOMMU,
          "\(link.property.rawValue)[\(link.index)] reaches \(iommu.path), which is "
            + "disabled: it probes without an IOMMU"
        )
      )
    }
    let readiness = resolver.readiness(of: link.supplier)
    let waits = readiness.modules.map { Plan.Wait(iommu: iommu.path, module: $0) }
    if mixedSMMUs && readiness.driver == .armSMMU && link.property != .mmuMasters {
      return (
        waits,
        (
          .unprotected,
          "\(iommu.path) is a generic arm-smmu in a system with legacy "
            + "mmu-masters instances: arm-smmu refuses whichever kind probes second, so it cannot "
            + "count on translation"
        )
      )
    }
    switch readiness.state {
    case .unknown(let why):
      return (waits, (.unknown, why))
    case .never(let why):
      return (waits, (.unprotected, "\(why); it probes without translation \(lateDeadline)"))
    case .rejects(let why):
      return (
        waits, (.unprotected, "\(why); it probes without translation as soon as that is registered")
      )
    case .ready, .afterModules:
      if let driver = readiness.driver, driver.rejectsOtherCellCounts,
        link.arguments.count != 1
      {
        return (
          waits,
          (
            .unprotected,
            "\(driver.name)'s of_xlate rejects a \(link.arguments.count)-cell "
              + "specifier: it probes without translation"
          )
        )
      }
      return (waits, nil)
    }
  }

  /// When a device gives up on an IOMMU that never registers.
  private var lateDeadline: String {
    guard build.modulesEnabled else { return "right after late_initcall" }
    let timeout = build.deferredProbeTimeout
    if timeout < 0 { return "never (deferred_probe_timeout=-1: it waits forever)" }
    return timeout == 0
      ? "at late_initcall" : "once the deferred-probe timeout (\(timeout) s) fires"
  }

  private func legacy(_ node: NodeID, _ links: [Link]) -> Plan.Consumer {
    let path = tree[node].path
    let (mode, source) = build.mode(of: .armSMMU)
    let reason: String
    if mode != .builtin {
      let assumed = source == .default ? " (assumed; give --config or --builtin arm_smmu)" : ""
      reason =
        "legacy mmu-masters needs arm-smmu built in with CONFIG_ARM_SMMU_LEGACY_DT_BINDINGS; "
        + "with arm-smmu \(mode.rawValue)\(assumed) it gets no SMMU at all"
    } else if mixedSMMUs {
      reason =
        "attached with an identity domain only if its SMMU's kind probes first: generic arm-smmu "
        + "instances exist too, and arm-smmu refuses whichever kind probes second"
    } else if !build.legacyBindings {
      reason =
        "CONFIG_ARM_SMMU_LEGACY_DT_BINDINGS is not set: arm-smmu reports \"SMMU support "
        + "unavailable\" for mmu-masters and this master gets no SMMU"
    } else {
      reason =
        "attached with an identity (bypass) domain when its SMMU registers; never deferred, "
        + "no DMA-API translation"
    }
    return Plan.Consumer(
      device: path, outcome: .legacy, property: .mmuMasters, reason: reason, waitsFor: [],
      streamIDs: links.flatMap(\.arguments))
  }

  /// The driver that would take an IOMMU: the table's name, or its module.
  private mutating func driverName(_ iommu: NodeID) -> String? {
    let readiness = resolver.readiness(of: iommu)
    return readiness.driver?.name ?? readiness.driverModule
  }

  private func describe(_ waits: Set<Plan.Wait>) -> String {
    let modules = Array(Set(waits.compactMap(\.module))).sorted()
    return modules.isEmpty ? "its IOMMU" : modules.joined(separator: ", ")
  }

  private func moduleCount(_ waits: Set<Plan.Wait>) -> Int {
    Set(waits.compactMap(\.module)).count
  }

  struct ConsumerKey: Hashable, Comparable {
    let node: NodeID
    let property: LinkProperty
    init(_ node: NodeID, _ property: LinkProperty) {
      self.node = node
      self.property = property
    }
    static func < (lhs: ConsumerKey, rhs: ConsumerKey) -> Bool {
      (lhs.node, lhs.property) < (rhs.node, rhs.property)
    }
  }
}
