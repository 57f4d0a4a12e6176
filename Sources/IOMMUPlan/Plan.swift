/// What the planner predicts for one board on one kernel build.
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
  public struct Wait: Hashable, Sendable, Comparable {
    public let iommu: String
    public let module: String?
    public static func < (lhs: Wait, rhs: Wait) -> Bool {
      (lhs.iommu, lhs.module ?? "") < (rhs.iommu, rhs.module ?? "")
    }
  }

  public struct Consumer: Sendable {
    public let device: String
    public let outcome: Outcome
    /// Which binding makes it a consumer (a PCIe root complex can be both an
    /// `iommus` consumer itself and the `iommu-map` node for its bus).
    public let property: LinkProperty
    /// One line.
    public let reason: String
    public let waitsFor: [Wait]
    public let streamIDs: [UInt32]
  }

  public struct DriverAssumption: Sendable {
    /// Module name, or the Kconfig symbol for a bool driver.
    public let module: String
    public let mode: DriverMode
    public let source: ModeSource
  }

  public struct Assumptions: Sendable {
    public let kernelVersion: KernelVersion
    public let modules: Bool
    public let deferredProbeTimeout: Int
    public let fwDevlinkStrict: Bool
    public let legacyBindings: Bool
    public let drivers: [DriverAssumption]
    /// Facts nothing stated, in words (e.g. "no --config: ...").
    public let notes: [String]
  }

  public struct ModuleLoad: Sendable {
    public let module: String
    /// The path relative to the modules directory, when known.
    public let path: String?
    /// IOMMU instances this module's driver provides.
    public let provides: [String]
    /// Modules that must load before it.
    public let needs: [String]
  }

  public let assumptions: Assumptions
  /// Sorted by device path.
  public let consumers: [Consumer]
  /// Every module needed for the referenced IOMMUs to probe, suppliers first.
  public let loadOrder: [ModuleLoad]
  /// With `--boot-device`: what must be in the initramfs, in load order.
  public let bootModules: [ModuleLoad]?
}
