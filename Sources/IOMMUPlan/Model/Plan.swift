// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// What the planner predicts for one board on one kernel build.
///
/// Facts, not prose: each consumer carries its outcome, the cause as a
/// value, what it waits for and its deadline; each IOMMU its driver, mode
/// and suppliers. Renderers word them.
public struct Plan: Sendable {
  public enum Outcome: String, Sendable, CaseIterable {
    /// Its IOMMU's driver is built in and nothing it needs is a module.
    case translated
    /// It defers until modules load and IOMMU instances probe, then gets
    /// translation, provided that happens before the deferred-probe deadline.
    case deferred
    /// An available IOMMU is referenced but no driver will take it.
    case unprotected
    /// The device tree gives it no IOMMU (the kernel's walk stops first).
    case noIOMMU = "no_iommu"
    /// A legacy `mmu-masters` master: identity domain at best, never deferred.
    case legacy
    /// The IOMMU matches no known driver and no module alias.
    case unknown
  }

  /// One IOMMU instance a device waits for, and the module that must load
  /// for it (its driver's, or one of its suppliers').
  public struct Wait: Hashable, Sendable {
    public let iommu: NodeID
    public let module: String?

    public init(iommu: NodeID, module: String?) {
      self.iommu = iommu
      self.module = module
    }
  }

  /// When a device that waits for an IOMMU gives up and probes without it
  /// (`driver_deferred_probe_check_state`).
  public enum Deadline: Hashable, Sendable {
    /// `CONFIG_MODULES=n`: right after late_initcall.
    case afterLateInitcall
    /// `deferred_probe_timeout=0`: at late_initcall itself.
    case atLateInitcall
    /// The deferred-probe timer: this many seconds after late_initcall,
    /// re-armed by each driver registration while it runs.
    case seconds(Int)
    /// `deferred_probe_timeout=-1`: never.
    case never

    /// 32 bits for a consumer to keep: 0 for none.
    var code: Int32 {
      switch self {
      case .afterLateInitcall: -1
      case .atLateInitcall: -2
      case .never: -3
      case .seconds(let seconds): Int32(clamping: max(seconds, 1))
      }
    }

    init?(code: Int32) {
      switch code {
      case 0: return nil
      case -1: self = .afterLateInitcall
      case -2: self = .atLateInitcall
      case -3: self = .never
      default: self = .seconds(Int(code))
      }
    }
  }

  /// Why an IOMMU instance never registers.
  public enum NeverReason: Hashable, Sendable {
    /// Its driver (named by module or Kconfig symbol) is not in the build.
    case driverAbsent(driver: String, iommu: NodeID)
    /// arm-smmu-v3 refuses an SMMU whose `#iommu-cells` is not 1.
    case smmuV3Cells(iommu: NodeID)
    /// A supplier's driver is not in the build.
    case supplierAbsent(supplier: NodeID, property: String, module: String)
    /// A driver's own lookup (`lookup.property` on `consumer`) names a node
    /// that has no device (nil: a phandle that resolves to nothing), so
    /// that driver's probe fails and `consumer` never binds.
    case lookupFails(consumer: NodeID, lookup: ProbeSupplierBinding, target: NodeID?)
    /// It waits, through its own `iommus`, for an IOMMU that waits for it.
    case waitsForItself(iommu: NodeID, upstream: NodeID)
    /// It is available, but a node above it is not: no device is created
    /// for it.
    case notCreated(iommu: NodeID)
  }

  /// How one entry of a consumer's walk ends it.
  public enum WalkEnd: Hashable, Sendable {
    /// The entry's IOMMU is disabled: no IOMMU.
    case disabled(property: LinkProperty, entry: Int, iommu: NodeID)
    /// `iommu_fwspec_init` refuses a second IOMMU driver for one device.
    case secondDriver(entry: Int, driver: String, earlier: String)
    /// A generic arm-smmu in a system with legacy instances.
    case mixedSMMUs(iommu: NodeID)
    /// No known driver and no module alias.
    case unknownDriver(iommu: NodeID, compatible: String?)
    /// The IOMMU never registers; the device gives up at the deadline.
    case neverRegisters(NeverReason)
    /// The driver has no `of_xlate` (omap-iommu).
    case noXlate(driver: String, iommu: NodeID)
    /// The driver's `of_xlate` takes only 1-cell specifiers.
    case rejectsSpecifier(driver: String, cells: Int)
    /// An `iommu-map` entry of length 0 matches no ID.
    case zeroLength
    /// `iommu-map-mask` clears bits of entry `entry`'s rid-base: of_map_id
    /// fails (-EFAULT) for every ID no earlier entry matched, so this entry
    /// and every later one are never used.
    case maskIgnoresRIDBase(entry: Int)

    public var outcome: Outcome {
      switch self {
      case .disabled, .zeroLength, .maskIgnoresRIDBase: .noIOMMU
      case .unknownDriver: .unknown
      case .secondDriver, .mixedSMMUs, .neverRegisters, .noXlate, .rejectsSpecifier: .unprotected
      }
    }
  }

  /// `iommu-map` entries that end their IDs' lookups the same way.
  public struct EntryGroup: Hashable, Sendable {
    public let end: WalkEnd
    /// Entry numbers, in map order.
    public let entries: [Int]
  }

  /// What a legacy `mmu-masters` master can expect.
  public enum LegacyAttachment: Hashable, Sendable {
    /// arm-smmu is not built in: no SMMU at all (`assumed`: by default).
    case needsBuiltin(mode: DriverMode, assumed: Bool)
    /// Generic arm-smmu instances exist too; whichever kind probes second
    /// is refused.
    case mixed
    /// `CONFIG_ARM_SMMU_LEGACY_DT_BINDINGS` is not set.
    case bindingsDisabled
    /// An identity (bypass) domain when its SMMU registers.
    case identity
  }

  /// Why a consumer has its outcome.
  public enum Cause: Hashable, Sendable {
    /// Translated: everything it needs is built in.
    case builtIn
    /// Deferred until the modules it waits for load.
    case waitsForModules
    /// It needs modules, but `deferred_probe_timeout=0` gives up first.
    case timeoutZero
    /// `iommus` entry 0 is empty (phandle 0).
    case emptyFirstEntry
    /// `iommus` entry 0 cannot be parsed.
    case unparsableFirstEntry
    /// No `iommu-map` entry could be read.
    case noUsableMapEntry
    /// An `iommus` entry ends the walk. (Boxed, as the next one: a consumer
    /// keeps its cause, and these are the large ones.)
    indirect case walkEnded(WalkEnd)
    /// `iommu-map` entries end their lookups; the worst outcome's groups.
    case mapEntries([EntryGroup])
    /// An SMMUv3 or virtio-iommu refuses this second master of a stream ID.
    indirect case streamIDTaken(ids: [UInt32], iommu: NodeID, earlier: NodeID)
    /// A legacy master.
    case legacy(LegacyAttachment)
  }

  public struct Consumer: Sendable {
    public let node: NodeID
    /// Which binding makes it a consumer.
    public let property: LinkProperty
    public let outcome: Outcome
    public let cause: Cause
    /// Sorted by IOMMU path, then module.
    public let waits: [Wait]
    // Numbers in 32 bits: a tree of masters keeps one consumer per master.
    private let deadlineCode: Int32
    private let firstLink: UInt32
    private let linkCount: UInt32
    private let endEntry: Int32

    public var key: ConsumerKey { ConsumerKey(node, property) }

    /// When it gives up on an IOMMU that is not there; nil when nothing
    /// keeps it waiting.
    public var deadline: Deadline? { Deadline(code: deadlineCode) }

    /// Its links: a range of `Report.links` (the entries of its walk, in
    /// order); empty when the property yields none.
    public var links: Range<Int> { Int(firstLink)..<Int(firstLink + linkCount) }

    /// The `iommus` entry where the kernel's walk stops, when an entry ends
    /// it before the last.
    public var end: Int? { endEntry < 0 ? nil : Int(endEntry) }

    public init(
      node: NodeID, property: LinkProperty, outcome: Outcome, cause: Cause, waits: [Wait],
      deadline: Deadline?, links: Range<Int> = 0..<0, end: Int? = nil
    ) {
      self.node = node
      self.property = property
      self.outcome = outcome
      self.cause = cause
      self.waits = waits
      deadlineCode = deadline?.code ?? 0
      firstLink = UInt32(clamping: links.lowerBound)
      linkCount = UInt32(clamping: links.count)
      endEntry = end.map { Int32(clamping: $0) } ?? -1
    }

    /// The same consumer with its links placed in the report.
    func with(links: Range<Int>, waits: [Wait]) -> Consumer {
      Consumer(
        node: node, property: property, outcome: outcome, cause: cause, waits: waits,
        deadline: deadline, links: links, end: end)
    }

    /// The modules it waits for, sorted and each once.
    public var modules: [String] {
      // One wait or one module, nearly always: no set for those.
      let named = waits.compactMap { $0.module }
      return named.count < 2 ? named : Array(Set(named)).sorted()
    }
  }

  /// A device a node cannot probe before: a link fw_devlink makes from the
  /// node, or one its driver's probe waits on itself (`lookup`).
  public struct Supplier: Sendable {
    public let property: String
    public let device: NodeID
    /// The node whose property names the device: the IOMMU for its own
    /// suppliers, a supplier for a supplier's supplier.
    public let consumer: NodeID
    /// The driver lookup behind the link; nil for fw_devlink's.
    public let lookup: ProbeSupplierBinding?
    /// Which drivers serve the device, and how the planner chose them.
    public let driver: SupplierDriver
    /// `driver.modules` and how the build provides each.
    public let modules: [(name: String, mode: DriverMode)]
  }

  /// The modules that serve a supplier device through one property.
  public struct SupplierDriver: Hashable, Sendable {
    /// A platform device the node's driver creates from its probe, whose
    /// driver provides what the property asks for (`ParentDriver`).
    public struct Child: Hashable, Sendable {
      /// The module of the driver that binds the node and creates it.
      public let creator: String
      /// Its platform device name (`clk-mt8195-vdo0`).
      public let name: String
      /// The modules its `platform:` alias names; empty without one.
      public let modules: [String]
    }

    /// The modules that bind the node: what `modules.alias` gives, or the
    /// one `ParentDriver` names when it knows the node.
    public let binds: [String]
    /// Modules `modules.alias` also names for the node that the table says
    /// never bind it (an autoload-only match table).
    public let unbound: [String]
    /// `modules.alias` names several and no table says which binds: each is
    /// waited for.
    public let ambiguous: Bool
    public let child: Child?

    public init(
      binds: [String], unbound: [String] = [], ambiguous: Bool = false, child: Child? = nil
    ) {
      self.binds = binds
      self.unbound = unbound
      self.ambiguous = ambiguous
      self.child = child
    }

    /// Every module that must load for the property to be served: the
    /// binders, then the child's.
    public var modules: [String] { binds + (child?.modules ?? []) }
  }

  /// Which of an IOMMU's suppliers `explain` lists in one step.
  public enum SupplierList: Hashable, Sendable {
    /// fw_devlink's links from the IOMMU node.
    case links
    /// Devices the IOMMU driver's probe looks up and waits on itself.
    case lookups
    /// Devices on the IOMMU's supplier chains that a child device serves.
    case created
  }

  /// When one IOMMU instance can register, and why.
  public struct IOMMUState: Sendable {
    public enum Readiness: Hashable, Sendable {
      /// Built in, with everything it needs: ready before late_initcall.
      case ready
      /// Ready once `modules` have loaded.
      case afterModules
      /// Never registers.
      case never(NeverReason)
      /// Registers, but gives no translation (no `of_xlate`).
      case noXlate
      /// No known driver and no module alias.
      case unknown
    }

    public let iommu: NodeID
    public let readiness: Readiness
    /// The driver from the table, when it knows one.
    public let driver: IOMMUDriver?
    /// Its driver's module name or Kconfig symbol, and how the build
    /// provides it; nil for an unknown driver.
    public let driverName: String?
    public let mode: DriverMode?
    public let source: ModeSource?
    /// Modules that must load first: supplier modules, then the driver's.
    public let modules: [String]
    /// The IOMMU node's own suppliers: fw_devlink's links in property
    /// order, then its driver's lookups.
    public let suppliers: [Supplier]
    /// Every supplier on its chains, its own or a supplier's, that a child
    /// device serves, each once (with the IOMMU, or else the first node in
    /// the tree, as the node that needs it), in tree order.
    public let served: [Supplier]

    /// The suppliers `explain` lists in one step.
    public func suppliers(_ list: SupplierList) -> [Supplier] {
      switch list {
      case .links: suppliers.filter { $0.lookup == nil }
      case .lookups: suppliers.filter { $0.lookup != nil }
      case .created: served
      }
    }
  }

  public struct DriverAssumption: Sendable {
    /// Module name, or the Kconfig symbol for a bool driver.
    public let module: String
    public let mode: DriverMode
    public let source: ModeSource
  }

  /// Facts nothing stated, which the plan assumed.
  public enum Note: Hashable, Sendable {
    /// No `--config` or `--modules-dir`: tristate drivers are modules.
    case defaultModes
    /// No `--modules-dir`: suppliers cannot be matched to modules.
    case suppliersUnmatched
    /// `modules.alias` names several modules for a supplier device and no
    /// table says which binds it: the plan waits for each.
    case ambiguousDriver(device: NodeID, modules: [String])
  }

  public struct Assumptions: Sendable {
    public let kernelVersion: KernelVersion
    public let modules: Bool
    public let deferredProbeTimeout: Int
    public let fwDevlinkStrict: Bool
    public let legacyBindings: Bool
    public let drivers: [DriverAssumption]
    public let notes: [Note]

    /// When a waiting device gives up, on this build.
    public var deadline: Deadline {
      if !modules { return .afterLateInitcall }
      if deferredProbeTimeout < 0 { return .never }
      return deferredProbeTimeout == 0 ? .atLateInitcall : .seconds(deferredProbeTimeout)
    }
  }

  public struct ModuleLoad: Sendable {
    public let module: String
    /// The path relative to the modules directory, when known.
    public let path: String?
    /// IOMMU instances this module's driver provides, in path order.
    public let provides: [NodeID]
    /// Modules that must load before it.
    public let needs: [String]
  }

  public let assumptions: Assumptions
  /// Sorted by device path, then property.
  public let consumers: [Consumer]
  /// Every IOMMU the planner evaluated, in path order.
  public let iommus: [IOMMUState]
  /// Every module needed for the referenced IOMMUs to probe, suppliers first.
  public let loadOrder: [ModuleLoad]
  /// With `--boot-device`: what must be in the initramfs, in load order.
  public let bootModules: [ModuleLoad]?
  /// The `--boot-device` nodes found, in the order given.
  public let bootDevices: [NodeID]
  /// The `--boot-device` names that match no node.
  public let unknownBootDevices: [String]
  /// Per `iommu-map` bus, what each requester ID gets; in tree order here,
  /// in path order in a report.
  public let coverage: [RIDCoverage]
  /// Masters the device tree puts on one stream ID of one IOMMU.
  public let sharedStreamIDs: [SharedStreamID]

  /// Devices (through `iommus` or an `iommu-map` bus) that reach one IOMMU
  /// with a stream ID in common: arm-smmu puts them in one IOMMU group
  /// (`shared`); SMMUv3, virtio-iommu, and arm-smmu for an SMR that only
  /// partly overlaps give it to the first to probe (`exclusive`). Only what
  /// the tree decides: PCI topology (bridges, ACS) also groups devices, and
  /// is not known before boot.
  public struct SharedStreamID: Sendable {
    public enum Kind: String, Sendable {
      case shared
      case exclusive
    }

    public let iommu: NodeID
    public let kind: Kind
    /// In tree order.
    public let devices: [NodeID]
    public let streamIDs: [UInt32]

    public init(iommu: NodeID, kind: Kind, devices: [NodeID], streamIDs: [UInt32]) {
      self.iommu = iommu
      self.kind = kind
      self.devices = devices
      self.streamIDs = streamIDs
    }
  }

  public init(
    assumptions: Assumptions, consumers: [Consumer], iommus: [IOMMUState],
    loadOrder: [ModuleLoad], bootModules: [ModuleLoad]?, bootDevices: [NodeID] = [],
    unknownBootDevices: [String] = [], coverage: [RIDCoverage] = [],
    sharedStreamIDs: [SharedStreamID] = []
  ) {
    self.coverage = coverage
    self.sharedStreamIDs = sharedStreamIDs
    self.assumptions = assumptions
    self.consumers = consumers
    self.iommus = iommus
    self.loadOrder = loadOrder
    self.bootModules = bootModules
    self.bootDevices = bootDevices
    self.unknownBootDevices = unknownBootDevices
  }

  /// The consumers of one node (one per binding), in property order.
  public func consumers(of node: NodeID) -> ArraySlice<Consumer> {
    // Consumers are sorted by path: one node's are adjacent.
    guard let first = consumers.firstIndex(where: { $0.node == node }) else { return [] }
    var end = first
    while end < consumers.count && consumers[end].node == node { end += 1 }
    return consumers[first..<end]
  }

  /// The planner's view of one IOMMU.
  public func state(of iommu: NodeID) -> IOMMUState? {
    iommus.first { $0.iommu == iommu }
  }
}
