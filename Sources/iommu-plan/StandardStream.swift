import Foundation

/// Standard output and error, written with write(2).
///
/// `FileHandle.write(_:)` traps when the reader has gone away (EPIPE), and
/// with SIGPIPE at its default the process would die before that. When
/// `iommu-plan … | head -1` closes the pipe, the rest of the output has
/// nowhere to go: the tool stops writing and exits with the status it would
/// have had, saying nothing.
enum StandardStream {
  case output
  case error

  /// Called once before the first write.
  static func ignoreBrokenPipes() { signal(SIGPIPE, SIG_IGN) }

  /// Writes all of `text`; false once the reader is gone (or another write
  /// error), after which nothing more is written.
  @discardableResult
  func write(_ text: String) -> Bool {
    let descriptor = self == .output ? STDOUT_FILENO : STDERR_FILENO
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let written = bytes.withUnsafeBytes { buffer in
        Foundation.write(descriptor, buffer.baseAddress, buffer.count)
      }
      if written < 0 {
        if errno == EINTR { continue }
        return false
      }
      bytes = bytes.dropFirst(written)
    }
    return true
  }
}
