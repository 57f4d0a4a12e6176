// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `[#########---------] 312/576 files` on stderr while `lint` works, only
/// when stderr is a terminal: a CI log or a pipe never gets control
/// characters. Redrawn once per percent, from whichever worker finishes.
final class ProgressBar: Sendable {
  private let total: Int
  private let lastPercent = Mutex<Int>(-1)

  init?(total: Int) {
    let terminal = isatty(STDERR_FILENO) == 1
    let dumb = ProcessInfo.processInfo.environment["TERM"] == "dumb"
    guard terminal && !dumb && total > 1 else { return nil }
    self.total = total
  }

  func update(_ done: Int) {
    lastPercent.withLock { last in
      let percent = done * 100 / total
      guard percent != last else { return }
      last = percent
      let width = 30
      let filled = done * width / total
      let bar =
        String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
      Self.write("\r[\(bar)] \(done)/\(total) files")
    }
  }

  /// Clears the line, so the output that follows starts clean.
  func finish() {
    lastPercent.withLock { _ in Self.write("\r\u{1B}[2K") }
  }

  private static func write(_ text: String) {
    StandardStream.error.write(text)
  }
}
