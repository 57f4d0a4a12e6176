// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#endif

/// Standard output and error, written with write(2).
///
/// When `iommu-plan … | head -1` closes the pipe, the rest of the output has
/// nowhere to go: with SIGPIPE ignored the write fails with EPIPE, the tool
/// stops writing and exits with the status it would have had, saying
/// nothing. `CommandOutput` ignores SIGPIPE before any command writes.
enum StandardStream {
  case output
  case error

  /// Writes all of `text`; false once the reader is gone (or another write
  /// error), after which nothing more is written.
  @discardableResult
  func write(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { write(bytes: $0) }
  }

  @discardableResult
  func write(bytes all: UnsafeBufferPointer<UInt8>) -> Bool {
    let descriptor = self == .output ? STDOUT_FILENO : STDERR_FILENO
    var offset = 0
    while offset < all.count {
      let written = Glibc.write(descriptor, all.baseAddress.map { $0 + offset }, all.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        return false
      }
      offset += written
    }
    return true
  }

  /// `iommu-plan: LINE` on standard error.
  static func complain(_ line: String) {
    StandardStream.error.write("iommu-plan: \(line)\n")
  }
}
