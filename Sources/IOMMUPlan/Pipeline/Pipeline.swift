// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Load, limits, report: what every command does with each input file, in
/// one place, so that `report`, `lint`, `explain` and `diff` read a file the
/// same way and refuse the same inputs with the same words.
public struct Pipeline: Sendable {
  public var build: KernelBuild
  public var request: PlanRequest
  public var loadLimits: LoadLimits
  public var reportLimits: ReportLimits

  public init(
    build: KernelBuild = KernelBuild(), request: PlanRequest = PlanRequest(),
    loadLimits: LoadLimits = .standard, reportLimits: ReportLimits = .standard
  ) {
    self.build = build
    self.request = request
    self.loadLimits = loadLimits
    self.reportLimits = reportLimits
  }

  /// Reads `path` (a file, or `-` for standard input) and reports it.
  public func run(_ path: String) -> FileReport {
    let tree: DeviceTree
    do throws(LoadError) {
      tree = try TreeFile(path).load(limits: loadLimits)
    } catch {
      return FileReport(path: path, kernel: build.version, outcome: .unreadable(error.reason))
    }
    do throws(BlobError) {
      try reportLimits.check(tree)
    } catch {
      return FileReport(path: path, kernel: build.version, outcome: .unreadable(error.reason))
    }
    let report = report(consume tree, path: path)
    return FileReport(path: path, kernel: build.version, outcome: .report(report))
  }

  /// The report of a tree already loaded, named `path`; the tree is let go
  /// as early as the report allows.
  public func report(_ tree: consuming DeviceTree, path: String) -> Report {
    Report(tree: tree, inputPath: path, build: build, request: request)
  }
}
