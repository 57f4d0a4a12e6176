import DeviceTree
import Dispatch
import Foundation
import Synchronization

/// One input of a `lint` run: its report, or why there is none.
public struct LintedFile: Sendable {
  public enum Outcome: Sendable {
    case report(Report)
    /// The file could not be read or is not a device tree; one line.
    case unreadable(String)
  }

  /// The file as `lint` names it: as given, or joined under the directory
  /// that was given.
  public let path: String
  public let outcome: Outcome

  public init(path: String, outcome: Outcome) {
    self.path = path
    self.outcome = outcome
  }

  public var report: Report? {
    if case .report(let report) = outcome { report } else { nil }
  }

  public var failure: String? {
    if case .unreadable(let reason) = outcome { reason } else { nil }
  }
}

/// Loads and analyses many device trees at once.
///
/// `width` threads take the next file from a shared counter until none are
/// left, so a slow file (a big blob, a `.dts` waiting for dtc) holds up one
/// thread, not a batch. Each result goes to its input's slot: the order of
/// the output never depends on scheduling. A thread holds one tree at a time
/// and keeps only the report, so memory grows with the findings, not with
/// the blobs.
public enum Linter {
  /// Checks `files` (as `TreeFinder` returns them), `width` at a time (the
  /// cores, by default), calling `progress` from the worker threads with the
  /// number finished so far. Returns one entry per file, in their order.
  public static func run(
    _ files: [String], kernel: KernelVersion = .newest,
    width: Int = ProcessInfo.processInfo.activeProcessorCount,
    progress: (@Sendable (Int) -> Void)? = nil
  ) -> [LintedFile] {
    run(files, width: width, progress: progress) { tree, path in
      Report(tree: tree, inputPath: path, kernel: kernel)
    }
  }

  /// The same, with the report made by `analyse` from each tree and its
  /// path, so that a caller can choose how (for one kernel build, say).
  public static func run(
    _ files: [String], width: Int = ProcessInfo.processInfo.activeProcessorCount,
    progress: (@Sendable (Int) -> Void)? = nil,
    analyse: @escaping @Sendable (DeviceTree, String) -> Report
  ) -> [LintedFile] {
    guard !files.isEmpty else { return [] }
    let slots = Mutex<[LintedFile?]>(Array(repeating: nil, count: files.count))
    let next = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: max(1, min(width, files.count))) { _ in
      while true {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < files.count else { return }
        let result = lint(files[index], analyse: analyse)
        slots.withLock { $0[index] = result }
        let done = finished.wrappingAdd(1, ordering: .relaxed).newValue
        progress?(done)
      }
    }
    let results = slots.withLock { $0.compactMap { $0 } }
    precondition(results.count == files.count, "every file's slot is filled once")
    return results
  }

  /// One file, start to end; the tree is dropped when this returns.
  static func lint(_ path: String, analyse: (DeviceTree, String) -> Report) -> LintedFile {
    do {
      let tree = try TreeFile(path).load()
      return LintedFile(path: path, outcome: .report(analyse(tree, path)))
    } catch {
      return LintedFile(path: path, outcome: .unreadable(error.reason))
    }
  }
}
