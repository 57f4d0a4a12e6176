// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import IOMMUPlan

/// The plan's module order, one per line as `modules.load` lists them (paths
/// relative to the modules directory when it is known): the boot modules
/// when `--boot-device` was given, else every module the IOMMUs need.
public enum ModulesLoadRenderer: Renderer {
  public static let identifier = "modules-load"

  public static func render(_ report: Report, to output: inout TextOutput) {
    for load in report.plan.bootModules ?? report.plan.loadOrder {
      output.write((load.path ?? load.module) + "\n")
    }
  }
}
