// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// What the planner is asked besides the build: devices that must come up
/// from the initramfs, an existing module list to check, and nodes to
/// explain.
public struct PlanRequest: Sendable {
  /// Node paths or labels.
  public var bootDevices: [String]
  /// An existing `modules.load` (or initramfs module list): file and names.
  public var modulesLoad: (file: String, modules: [String])?
  /// Node paths or labels whose chains `explain` tells.
  public var explain: [String]

  public init(
    bootDevices: [String] = [], modulesLoad: (file: String, modules: [String])? = nil,
    explain: [String] = []
  ) {
    self.bootDevices = bootDevices
    self.modulesLoad = modulesLoad
    self.explain = explain
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
