// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// The kernel build a capture shows: what `verify` plans the booted tree
/// with, where the user's options do not say otherwise.
public enum CaptureFacts {
  /// What the user gave, which the capture never overrides.
  public struct Given: Sendable {
    public var kernelVersion = false
    public var config = false
    public var deferredProbeTimeout = false

    public init(
      kernelVersion: Bool = false, config: Bool = false, deferredProbeTimeout: Bool = false
    ) {
      self.kernelVersion = kernelVersion
      self.config = config
      self.deferredProbeTimeout = deferredProbeTimeout
    }
  }

  /// `build` with the capture's release, config and command line.
  public static func build(_ build: KernelBuild, from capture: Capture, given: Given)
    throws(PlanInputError) -> KernelBuild
  {
    var build = build
    if !given.kernelVersion, build.modules == nil,
      let version = capture.release.flatMap(KernelVersion.init(parsing:))
    {
      build.version = min(version, .newest)
    }
    if !given.config, build.config == nil, let config = capture.config {
      build.config = try KernelConfig.load(path: config)
    }
    let parameters = (capture.commandLine ?? "").split(separator: " ")
    for parameter in parameters {
      let pair = parameter.split(separator: "=", maxSplits: 1)
      guard pair.count == 2 else { continue }
      switch pair[0] {
      case "deferred_probe_timeout" where !given.deferredProbeTimeout:
        build.deferredProbeTimeoutOverride = Int(pair[1])
      case "fw_devlink.strict":
        build.fwDevlinkStrict = pair[1] == "1" || pair[1] == "y"
      default:
        break
      }
    }
    return build
  }

  /// How each IOMMU driver of `report` was provided, as the capture shows
  /// it: a module in `proc/modules` is a module; a driver bound to its
  /// platform IOMMU device but loaded as no module is built in. Drivers the
  /// user named keep the user's word.
  public static func overrides(_ report: Report, _ capture: Capture, keeping given: Set<String>)
    -> [String: DriverMode]
  {
    var overrides: [String: DriverMode] = [:]
    let bound = Set(
      capture.devices.filter { $0.bus == .platform && $0.driver != nil }.compactMap(\.ofNode))
    for iommu in report.iommus {
      guard let driver = iommu.driver, let module = driver.module,
        !given.contains(module), !given.contains(driver.kconfig)
      else { continue }
      if capture.isLoaded(module) == true {
        overrides[module] = .module
      } else if bound.contains(report.nodes.path(iommu.node)) {
        overrides[module] = .builtin
      }
    }
    return overrides
  }
}
