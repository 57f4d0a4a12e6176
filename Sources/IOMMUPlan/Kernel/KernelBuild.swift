// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Everything the planner knows about the kernel that will boot the board.
///
/// Modes come from, strongest first: `--module/--builtin/--absent` flags,
/// a modules directory, a `.config`, then defaults (tristate IOMMU drivers
/// are modules, bool ones built in; any other driver is assumed built in).
public struct KernelBuild: Sendable {
  public var version: KernelVersion
  public var config: KernelConfig?
  public var modules: ModuleIndex?
  /// Flag overrides keyed by module key or by Kconfig symbol (no `CONFIG_`).
  public var overrides: [String: DriverMode]
  public var deferredProbeTimeoutOverride: Int?
  public var fwDevlinkStrict: Bool

  public init(
    version: KernelVersion = .newest, config: KernelConfig? = nil, modules: ModuleIndex? = nil,
    overrides: [String: DriverMode] = [:], deferredProbeTimeout: Int? = nil,
    fwDevlinkStrict: Bool = false
  ) {
    self.version = version
    self.config = config
    self.modules = modules
    self.overrides = Dictionary(
      overrides.map { (Self.overrideKey($0.key), $0.value) }, uniquingKeysWith: { $1 })
    self.deferredProbeTimeoutOverride = deferredProbeTimeout
    self.fwDevlinkStrict = fwDevlinkStrict
  }

  /// Module names fold `-` to `_`; Kconfig symbols lose `CONFIG_`.
  static func overrideKey(_ name: String) -> String {
    name.hasPrefix("CONFIG_") ? String(name.dropFirst(7)) : moduleKey(name)
  }

  /// `CONFIG_MODULES`; a modules directory implies it, the default is on.
  public var modulesEnabled: Bool {
    config?.isEnabled("MODULES") ?? true
  }

  /// The deferred-probe timeout in seconds (-1: wait forever): the kernel
  /// parameter if given, then 7.1's `CONFIG_DRIVER_DEFERRED_PROBE_TIMEOUT`,
  /// then the 6.x default (10 with modules, 0 without).
  public var deferredProbeTimeout: Int {
    if let deferredProbeTimeoutOverride { return deferredProbeTimeoutOverride }
    if version >= KernelVersion(7, 1), let value = config?.integer("DRIVER_DEFERRED_PROBE_TIMEOUT")
    {
      return value
    }
    return modulesEnabled ? 10 : 0
  }

  /// `CONFIG_ARM_SMMU_LEGACY_DT_BINDINGS` (bool, default n, needs ARM_SMMU=y).
  public var legacyBindings: Bool { config?.isEnabled("ARM_SMMU_LEGACY_DT_BINDINGS") ?? false }

  /// The mode of an IOMMU driver from the table.
  public func mode(of driver: IOMMUDriver) -> (DriverMode, ModeSource) {
    let key = driver.module.map(moduleKey)
    if let mode = (key.flatMap { overrides[$0] }) ?? overrides[driver.kconfig] {
      return (mode, .flag)
    }
    if let modules, let key {
      if modules.builtin.contains(key) { return (.builtin, .modulesDir) }
      if modules.paths[key] != nil { return (.module, .modulesDir) }
    }
    if let mode = config?.mode(of: driver.kconfig) {
      return (driver.isTristate || mode != .module ? mode : .builtin, .config)
    }
    if config != nil { return (.absent, .config) }
    if modules != nil && driver.isTristate { return (.absent, .modulesDir) }
    return (driver.isTristate ? .module : .builtin, .default)
  }

  /// The mode of a module found through `modules.alias` (or named by a flag).
  public func mode(ofModule name: String) -> (DriverMode, ModeSource) {
    let key = moduleKey(name)
    if let mode = overrides[key] { return (mode, .flag) }
    if let modules {
      if modules.builtin.contains(key) { return (.builtin, .modulesDir) }
      if modules.paths[key] != nil { return (.module, .modulesDir) }
      return (.absent, .modulesDir)
    }
    return (.module, .default)
  }
}
