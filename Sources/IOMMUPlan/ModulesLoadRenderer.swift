/// The plan's module order, one per line as `modules.load` lists them (paths
/// relative to the modules directory when it is known): the boot modules
/// when `--boot-device` was given, else every module the IOMMUs need.
public enum ModulesLoadRenderer {
  public static let identifier = "modules-load"

  public static func render(_ report: Report) -> String {
    let loads = report.plan.bootModules ?? report.plan.loadOrder
    return loads.map { ($0.path ?? $0.module) + "\n" }.joined()
  }
}
