// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import DeviceTree
import FoundationEssentials
import IOMMUPlan

/// The kernel whose rules apply and the limits inputs are held to: the same
/// options, with the same help, in every command.
struct RulesOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Apply this kernel release's rules (X.Y, or a release such as 6.1.0-50-arm64; default: "
        + "the modules directory's, else 7.2, the newest modelled).",
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

  // Unconditional, so that `--deferred-probe-timeout -1` reads -1 as the
  // value rather than as an option.
  @Option(
    parsing: .unconditional,
    help: "The deferred_probe_timeout= kernel parameter, in seconds (-1: forever).")
  var deferredProbeTimeout: Int?

  @Flag(help: "Boot with fw_devlink.strict=1 (IOMMU and DMA links order probing too).")
  var fwDevlinkStrict = false

  @Option(
    help: ArgumentHelp(
      "Refuse inputs larger than this many bytes.",
      discussion: "The default, 64 MiB, is far above any real device tree.",
      valueName: "bytes"))
  var maxInputSize: Int = LoadLimits.standard.maximumInputSize

  func validate() throws {
    if maxInputSize < 1 { throw ValidationError("--max-input-size must be at least 1") }
    if let version = kernelVersion?.version, version > .newest {
      // Newer rules are not known, and applying 7.2's in silence would
      // pass a report off as that kernel's.
      throw ValidationError(
        "--kernel-version \(version) is newer than \(KernelVersion.newest), the newest release "
          + "iommu-plan models")
    }
  }

  /// The pipeline every input goes through; a config or modules directory
  /// that cannot be used is an unreadable input.
  func pipeline(request: PlanRequest = PlanRequest(), input: InputArguments) throws(PlanInputError)
    -> Pipeline
  {
    try pipeline(request: request, options: input.options(limits: limits))
  }

  /// For a command that reads inputs with no preprocessor or overlay
  /// options (`verify`).
  func pipeline(request: PlanRequest = PlanRequest(), options: InputOptions? = nil)
    throws(PlanInputError) -> Pipeline
  {
    Pipeline(
      build: try kernelBuild(), request: request, input: options ?? InputOptions(limits: limits))
  }

  var limits: LoadLimits { LoadLimits(maximumInputSize: maxInputSize) }

  private func kernelBuild() throws(PlanInputError) -> KernelBuild {
    let config = try config.map { path throws(PlanInputError) in try KernelConfig.load(path: path) }
    let index = try modulesDir.map { path throws(PlanInputError) in
      try ModuleIndex.load(directory: path)
    }
    var overrides: [String: DriverMode] = [:]
    for name in absents { overrides[name] = .absent }
    for name in builtins { overrides[name] = .builtin }
    for name in modules { overrides[name] = .module }
    // A modules directory of a release newer than modelled is read with the
    // newest rules modelled (its assumptions line says which).
    let version = min(
      kernelVersion?.version ?? index.flatMap { KernelVersion(parsing: $0.release) } ?? .newest,
      .newest)
    return KernelBuild(
      version: version, config: config, modules: index, overrides: overrides,
      deferredProbeTimeout: deferredProbeTimeout, fwDevlinkStrict: fwDevlinkStrict)
  }
}

/// What `report` asks of the plan besides the build.
struct BootOptions: ParsableArguments {
  @Option(help: "A device (path or label) that must come up from the initramfs.")
  var bootDevice: [String] = []

  @Option(help: "A modules.load (or initramfs module list) to check against --boot-device.")
  var checkModulesLoad: String?

  func validate() throws {
    if checkModulesLoad != nil && bootDevice.isEmpty {
      throw ValidationError("--check-modules-load needs at least one --boot-device")
    }
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
