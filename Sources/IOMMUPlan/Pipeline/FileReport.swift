// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// One input of a run: its report, or why there is none.
///
/// In a run over several files a bad one does not stop the others; it keeps
/// its place in the output, so that output lines up with the arguments.
public struct FileReport: Sendable {
  public enum Outcome: Sendable {
    case report(Report)
    /// The file could not be read, is not a device tree, or is past a limit:
    /// one line.
    case unreadable(String)
  }

  /// The file as the run names it: as given, or joined under the directory
  /// that was given.
  public let path: String
  /// The kernel whose rules apply (or would have).
  public let kernel: KernelVersion
  public let outcome: Outcome

  public init(path: String, kernel: KernelVersion = .newest, outcome: Outcome) {
    self.path = path
    self.kernel = kernel
    self.outcome = outcome
  }

  public var report: Report? {
    if case .report(let report) = outcome { report } else { nil }
  }

  public var failure: String? {
    if case .unreadable(let reason) = outcome { reason } else { nil }
  }
}
