import ArgumentParser
import Foundation
import IOMMUPlan

/// The kernel build the plan is for, shared by `report` and `explain`.
struct BuildOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Apply this kernel release's rules (X.Y; default: the modules directory's, else 7.2).",
      discussion: "Before 7.2, iommu-map is read as fixed 4-cell entries.",
      valueName: "X.Y"))
  var kernelVersion: KernelVersionArgument?

  @Option(help: "A kernel .config (plain or gzip, as /proc/config.gz).")
  var config: String?

  @Option(help: "A /lib/modules/<release> directory (modules.builtin, .alias, .dep, .softdep).")
  var modulesDir: String?

  @Option(
    name: .customLong("module"),
    help: "Treat this driver (module name or Kconfig symbol) as a module.")
  var modules: [String] = []

  @Option(name: .customLong("builtin"), help: "Treat this driver as built in.")
  var builtins: [String] = []

  @Option(name: .customLong("absent"), help: "Treat this driver as not in the build.")
  var absents: [String] = []

  @Option(help: "The deferred_probe_timeout= kernel parameter, in seconds (-1: forever).")
  var deferredProbeTimeout: Int?

  @Flag(help: "Boot with fw_devlink.strict=1 (IOMMU and DMA links order probing too).")
  var fwDevlinkStrict = false

  @Option(help: "A device (path or label) that must come up from the initramfs.")
  var bootDevice: [String] = []

  @Option(help: "A modules.load (or initramfs module list) to check against --boot-device.")
  var checkModulesLoad: String?

  func validate() throws {
    if checkModulesLoad != nil && bootDevice.isEmpty {
      throw ValidationError("--check-modules-load needs at least one --boot-device")
    }
  }

  /// Loads the config and modules directory; a bad one is an unreadable input.
  func kernelBuild() throws(PlanInputError) -> KernelBuild {
    let config = try config.map { path throws(PlanInputError) in try KernelConfig.load(path: path) }
    let index = try modulesDir.map { path throws(PlanInputError) in
      try ModuleIndex.load(directory: path)
    }
    var overrides: [String: DriverMode] = [:]
    for name in absents { overrides[name] = .absent }
    for name in builtins { overrides[name] = .builtin }
    for name in modules { overrides[name] = .module }
    let version =
      kernelVersion?.version ?? index.flatMap { KernelVersion(parsing: $0.release) } ?? .newest
    return KernelBuild(
      version: version, config: config, modules: index, overrides: overrides,
      deferredProbeTimeout: deferredProbeTimeout, fwDevlinkStrict: fwDevlinkStrict)
  }

  func request() throws(PlanInputError) -> PlanRequest {
    var request = PlanRequest(bootDevices: bootDevice)
    if let file = checkModulesLoad {
      guard let data = FileManager.default.contents(atPath: file) else {
        throw PlanInputError(file: file, reason: "cannot read the module list")
      }
      request.modulesLoad = (file, PlanRequest.moduleList(String(decoding: data, as: UTF8.self)))
    }
    return request
  }
}
