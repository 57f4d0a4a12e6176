// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs the pipeline over many files at once.
///
/// `width` threads take the next file from a shared counter until none are
/// left, so a slow file (a big blob, a `.dts` waiting for dtc) holds up one
/// thread, not a batch. Each result goes to its input's slot: the order of
/// the output never depends on scheduling. A thread holds one tree at a time
/// and keeps only the report, which holds no tree, so memory grows with the
/// findings, not with the blobs.
///
/// The workers are plain POSIX threads, not libdispatch's: on Linux,
/// libdispatch gives its worker threads the nice value of their QoS class,
/// so `nice iommu-plan lint` in a CI job would be ignored by every worker
/// but the caller. A thread inherits the caller's.
public enum Linter {
  /// The online processors: the default width.
  public static var processors: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

  /// Reports `files` (as `TreeFinder` returns them), `width` at a time,
  /// calling `progress` from the worker threads with the number finished so
  /// far. Returns the entries of each file (one per tree it holds), in the
  /// files' order.
  public static func run(
    _ files: [String], pipeline: Pipeline = Pipeline(), width: Int = processors,
    progress: (@Sendable (Int) -> Void)? = nil
  ) -> [FileReport] {
    guard !files.isEmpty else { return [] }
    let work = Work(files, pipeline: pipeline, progress: progress)
    let helpers = (1..<max(1, min(width, files.count))).compactMap { _ in
      WorkerThread { work.drain() }
    }
    work.drain()
    for helper in helpers { helper.join() }
    return work.results
  }

  /// The queue of files and the slots for their results, shared by the
  /// workers.
  private final class Work: Sendable {
    let files: [String]
    let pipeline: Pipeline
    let progress: (@Sendable (Int) -> Void)?
    let slots: Mutex<[[FileReport]?]>
    let next = Atomic<Int>(0)
    let finished = Atomic<Int>(0)

    init(_ files: [String], pipeline: Pipeline, progress: (@Sendable (Int) -> Void)?) {
      self.files = files
      self.pipeline = pipeline
      self.progress = progress
      slots = Mutex(Array(repeating: nil, count: files.count))
    }

    /// Takes files until there are none left; the tree is dropped as soon as
    /// its report is made.
    func drain() {
      while true {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < files.count else { return }
        let result = pipeline.run(files[index])
        slots.withLock { $0[index] = result }
        progress?(finished.wrappingAdd(1, ordering: .relaxed).newValue)
      }
    }

    var results: [FileReport] {
      let results = slots.withLock { $0.compactMap { $0 } }
      precondition(results.count == files.count, "every file's slot is filled once")
      return results.flatMap { $0 }
    }
  }
}
