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
  func write(_ text: String) -> Bool { write(bytes: Array(text.utf8)) }

  /// The same for bytes already encoded.
  @discardableResult
  func write(bytes all: [UInt8]) -> Bool {
    let descriptor = self == .output ? STDOUT_FILENO : STDERR_FILENO
    var bytes = all[...]
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

/// Standard output as a TextOutputStream, written in 64 KiB pieces: a
/// renderer streams a big document through it instead of building it whole.
/// After a failed write (the reader is gone) it drops the rest.
struct BufferedOutput: TextOutputStream {
  private var buffer: [UInt8] = []
  private var failed = false

  init() { buffer.reserveCapacity(1 << 16) }

  mutating func write(_ string: String) {
    guard !failed else { return }
    buffer.append(contentsOf: string.utf8)
    if buffer.count >= 1 << 16 { flush() }
  }

  mutating func flush() {
    guard !failed, !buffer.isEmpty else { return }
    failed = !StandardStream.output.write(bytes: buffer)
    buffer.removeAll(keepingCapacity: true)
  }
}
