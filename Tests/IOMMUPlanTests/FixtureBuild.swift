// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Foundation
import IOMMUPlan
import TestSupport

/// A fixture may say which kernel build it is planned for, on a comment line
/// near its top: `// build: module=arm_smmu config=ARM_SMMU_LEGACY_DT_BINDINGS=y
/// alias=qcom,gpucc:gpucc_mod platform=clk-x:clk_x timeout=0 strict boot=/ufs
/// modules-load=a,b`. `alias` is an `of:` alias of a compatible, `platform` a
/// `platform:` alias of a platform device name.
/// Without one, the planner's defaults apply.
enum FixtureBuild {
  static func parse(_ source: String, kernel: KernelVersion = .newest) -> (KernelBuild, PlanRequest)
  {
    let marker = "// build: "
    let line = source.split(separator: "\n").prefix(8).first { $0.hasPrefix(marker) }
    var overrides: [String: DriverMode] = [:]
    var config: [String] = []
    var aliases: [(pattern: String, module: String)] = []
    var dependencies: [String: [String]] = [:]
    var builtin = Set<String>()
    var timeout: Int?
    var strict = false
    var request = PlanRequest()
    for token in (line?.dropFirst(marker.count) ?? "").split(separator: " ") {
      let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
      let value = parts.count > 1 ? parts[1] : ""
      switch parts[0] {
      case "module": overrides[value] = .module
      case "builtin": overrides[value] = .builtin
      case "absent": overrides[value] = .absent
      case "config": config.append("CONFIG_" + value)
      case "alias":
        let pair = value.split(separator: ":").map(String.init)
        aliases.append(("of:N*T*C\(pair[0])C*", pair[1]))
      case "platform":
        let pair = value.split(separator: ":").map(String.init)
        aliases.append(("platform:\(pair[0])", pair[1]))
      case "dep":
        let pair = value.split(separator: ":").map(String.init)
        dependencies[pair[0], default: []].append(pair[1])
      case "builtin-module": builtin.insert(value)
      case "timeout": timeout = Int(value)
      case "strict": strict = true
      case "boot": request.bootDevices.append(value)
      case "modules-load":
        request.modulesLoad = ("modules.load", value.split(separator: ",").map(String.init))
      default: break
      }
    }
    let modules =
      aliases.isEmpty && dependencies.isEmpty && builtin.isEmpty
      ? nil
      : ModuleIndex(
        release: "fixture", builtin: builtin,
        paths: Dictionary(
          uniqueKeysWithValues: Set(
            aliases.map(\.module) + dependencies.keys
              + dependencies.values.flatMap { $0 }
          ).subtracting(builtin).map {
            ($0, "kernel/fixture/\($0).ko")
          }),
        dependencies: dependencies, aliases: aliases)
    let build = KernelBuild(
      version: kernel,
      config: config.isEmpty ? nil : KernelConfig(text: config.joined(separator: "\n")),
      modules: modules, overrides: overrides, deferredProbeTimeout: timeout, fwDevlinkStrict: strict
    )
    return (build, request)
  }

  /// A report on a fixture next to the calling test, planned for the build its
  /// `// build:` line names.
  static func report(_ name: String, kernel: KernelVersion = .newest, file: String = #filePath)
    throws -> Report
  {
    let url = Fixtures.url(name, near: file)
    let source = try String(contentsOf: url, encoding: .utf8)
    let (build, request) = parse(source, kernel: kernel)
    return Report(
      tree: try DeviceTree(blob: Fixtures.blob(dts: url)), inputPath: name, build: build,
      request: request)
  }
}
