// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Load, limits, report: what every command does with each input file, in
/// one place, so that `report`, `lint`, `explain` and `diff` read a file the
/// same way and refuse the same inputs with the same words.
public struct Pipeline: Sendable {
  public var build: KernelBuild
  public var request: PlanRequest
  /// How files are read: limits, preprocessor options, overlays.
  public var input: InputOptions
  public var reportLimits: ReportLimits

  public init(
    build: KernelBuild = KernelBuild(), request: PlanRequest = PlanRequest(),
    input: InputOptions = InputOptions(), reportLimits: ReportLimits = .standard
  ) {
    self.build = build
    self.request = request
    self.input = input
    self.reportLimits = reportLimits
  }

  public var loadLimits: LoadLimits { input.limits }

  /// Reads `path` (a file, a directory laid out like /proc/device-tree, or
  /// `-` for standard input) and reports each tree it holds, in order. A
  /// name a report gave one tree of several (`FILE#N`) reads that one.
  public func run(_ path: String) -> [FileReport] {
    if let (file, index) = Self.member(path) {
      let all = run(file)
      guard all.indices.contains(index) else {
        return [
          FileReport(
            path: path, kernel: build.version,
            outcome: .unreadable("\(file) holds \(counted(all.count, "tree")), numbered from 0"))
        ]
      }
      return [all[index]]
    }
    return TreeFile(path).load(options: input).map { loaded in
      switch loaded {
      case .failure(let error):
        return FileReport(
          path: error.file, kernel: build.version, outcome: .unreadable(error.reason))
      case .success(let tree):
        return report(tree)
      }
    }
  }

  /// The one tree `path` names, for commands that read one: a file that
  /// holds several is refused with the names to give instead.
  public func single(_ path: String) -> FileReport {
    let all = run(path)
    if all.count == 1, let only = all.first { return only }
    let names = all.count > 2 ? "\(path)#0 ... \(path)#\(all.count - 1)" : "\(path)#0 or \(path)#1"
    return FileReport(
      path: path, kernel: build.version,
      outcome: .unreadable("holds \(all.count) trees: name one, as \(names)"))
  }

  /// `FILE#N` when FILE exists and the whole name does not.
  static func member(_ path: String) -> (String, Int)? {
    guard let hash = path.lastIndex(of: "#"), let index = Int(path[path.index(after: hash)...]),
      index >= 0, !TreeFile.exists(path)
    else { return nil }
    let file = String(path[..<hash])
    return TreeFile.exists(file) ? (file, index) : nil
  }

  /// The report of one loaded tree, or why it is past the report limits.
  public func report(_ loaded: consuming LoadedTree) -> FileReport {
    let name = loaded.name
    do throws(BlobError) {
      try reportLimits.check(loaded.tree)
    } catch {
      return FileReport(path: name, kernel: build.version, outcome: .unreadable(error.reason))
    }
    let report = Report(loaded: loaded, build: build, request: request)
    return FileReport(path: name, kernel: build.version, outcome: .report(report))
  }

  /// The report of a tree already loaded, named `path`; the tree is let go
  /// as early as the report allows.
  public func report(_ tree: consuming DeviceTree, path: String) -> Report {
    Report(tree: tree, inputPath: path, build: build, request: request)
  }
}
