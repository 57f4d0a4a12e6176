// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser
import Renderers

#if canImport(Glibc)
import Glibc
#endif

/// The exit statuses every command documents.
enum ExitStatus: Int32 {
  /// Done, nothing at or above the failing level.
  case success = 0
  /// Done, with error-level findings (report), failing findings (lint) or
  /// differences (diff).
  case findings = 1
  /// An input could not be read or is not a device tree.
  case unreadable = 2

  /// The worse of two.
  func worse(_ other: ExitStatus) -> ExitStatus { rawValue >= other.rawValue ? self : other }
}

/// A command that writes its output to standard output through one sink and
/// ends with a documented status: the one output path of every command.
protocol PlanCommand: ParsableCommand {
  /// Writes to `output` (flushed to standard output as it fills) and says
  /// how the run ended.
  func execute(_ output: inout TextOutput) -> ExitStatus
}

extension PlanCommand {
  func run() throws {
    // A closed pipe must end the run quietly, not kill it.
    signal(SIGPIPE, SIG_IGN)
    var broken = false
    var output = TextOutput(flushingTo: { bytes in
      if !broken {
        broken = !bytes.withUnsafeBufferPointer { StandardStream.output.write(bytes: $0) }
      }
      bytes.removeAll(keepingCapacity: true)
    })
    let status = execute(&output)
    output.flush()
    if status != .success { throw ExitCode(status.rawValue) }
  }
}
