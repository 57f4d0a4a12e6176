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
///
/// The workers are plain threads, not libdispatch's: on Linux, libdispatch
/// gives its worker threads the nice value of their QoS class, so
/// `nice iommu-plan lint` in a CI job would be ignored by every worker but
/// the caller. A thread inherits the caller's.
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
    let work = Work(files, progress: progress, analyse: analyse)
    let finished = DispatchGroup()
    for _ in 1..<max(1, min(width, files.count)) {
      finished.enter()
      let thread = Thread {
        work.drain()
        finished.leave()
      }
      // Secondary threads get 512 KiB by default; a deep tree needs more.
      thread.stackSize = 8 << 20
      thread.start()
    }
    work.drain()
    finished.wait()
    return work.results
  }

  /// One file, start to end; the tree is dropped when this returns.
  static func lint(_ path: String, analyse: (DeviceTree, String) -> Report) -> LintedFile {
    let tree: DeviceTree
    do {
      tree = try TreeFile(path).load()
    } catch {
      return LintedFile(path: path, outcome: .unreadable(error.reason))
    }
    do {
      try ReportLimits.check(tree)
    } catch {
      return LintedFile(path: path, outcome: .unreadable(error.reason))
    }
    return LintedFile(path: path, outcome: .report(analyse(tree, path)))
  }

  /// The queue of files and the slots for their results, shared by the
  /// workers.
  private final class Work: Sendable {
    let files: [String]
    let progress: (@Sendable (Int) -> Void)?
    let analyse: @Sendable (DeviceTree, String) -> Report
    let slots: Mutex<[LintedFile?]>
    let next = Atomic<Int>(0)
    let finished = Atomic<Int>(0)

    init(
      _ files: [String], progress: (@Sendable (Int) -> Void)?,
      analyse: @escaping @Sendable (DeviceTree, String) -> Report
    ) {
      self.files = files
      self.progress = progress
      self.analyse = analyse
      slots = Mutex(Array(repeating: nil, count: files.count))
    }

    /// Takes files until there are none left.
    func drain() {
      while true {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < files.count else { return }
        let result = Linter.lint(files[index], analyse: analyse)
        slots.withLock { $0[index] = result }
        progress?(finished.wrappingAdd(1, ordering: .relaxed).newValue)
      }
    }

    var results: [LintedFile] {
      let results = slots.withLock { $0.compactMap { $0 } }
      precondition(results.count == files.count, "every file's slot is filled once")
      return results
    }
  }
}
