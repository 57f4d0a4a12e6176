// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An input named on the command line: a `.dtb`, `-` for standard input, or a
/// `.dts` that dtc compiles first.
public struct TreeFile: Hashable, Sendable {
  /// The name as given; reports and errors use it unchanged.
  public let path: String

  public init(_ path: String) { self.path = path }

  public var isStandardInput: Bool { path == "-" }
  public var isSource: Bool { path.hasSuffix(".dts") || path.hasSuffix(".dtsi") }

  /// Reads (or compiles) and parses the input, refusing one past `limits`.
  public func load(limits: LoadLimits = .standard) throws(LoadError) -> DeviceTree {
    let blob =
      try isSource
      ? DTSCompiler.compile(path, limits: limits) : readBlob(limit: limits.maximumInputSize)
    do {
      return try DeviceTree(blob: blob, limits: limits)
    } catch {
      throw LoadError(file: path, reason: error.reason)
    }
  }

  /// Opens the file the way `cat` does: a FIFO blocks until a writer opens
  /// it, then is read to its end (or to what the header asks for).
  private func readBlob(limit: Int) throws(LoadError) -> [UInt8] {
    if isStandardInput { return try Self.readBounded(STDIN_FILENO, file: path, limit: limit) }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw LoadError(file: path, reason: whyNotOpened()) }
    defer { close(descriptor) }
    // Linux opens a directory for reading; read(2) would then fail.
    var status = stat()
    if fstat(descriptor, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR {
      throw LoadError(file: path, reason: "is a directory")
    }
    return try Self.readBounded(descriptor, file: path, limit: limit)
  }

  /// Why open(2) failed, in the order a user checks: is it there (stat
  /// follows links, so a link that lstat still sees leads nowhere), is it
  /// a directory, can it be read.
  private func whyNotOpened() -> String {
    var status = stat()
    guard stat(path, &status) == 0 else {
      var link = stat()
      let isLink = lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK
      return isLink ? "a symbolic link that leads nowhere (or in a loop)" : "no such file"
    }
    if status.st_mode & S_IFMT == S_IFDIR { return "is a directory" }
    return "cannot open for reading (permission denied?)"
  }

  /// Reads no more than the blob needs: once the first chunk is in, a wrong
  /// magic ends the read (the parser reports it), and a right one bounds it
  /// by the header's totalsize. Otherwise at most `limit` + 1 bytes, so that
  /// /dev/zero, /dev/urandom or an endless pipe cost one chunk, not memory.
  /// Bytes go straight from read(2) into the array the tree keeps.
  static func readBounded(_ descriptor: Int32, file: String, limit: Int) throws(LoadError)
    -> [UInt8]
  {
    var bytes = [UInt8](repeating: 0, count: min(limit + 1, 1 << 16))
    var count = 0
    var wanted = limit + 1
    var headerSeen = false
    while count < wanted {
      if count == bytes.count {
        bytes.append(contentsOf: repeatElement(0, count: min(wanted - count, bytes.count)))
      }
      let room = min(bytes.count, wanted) - count
      let got = bytes.withUnsafeMutableBytes { buffer in
        guard let base = buffer.baseAddress else { return 0 }
        return read(descriptor, base + count, room)
      }
      if got < 0 {
        if errno == EINTR { continue }
        throw LoadError(file: file, reason: "read failed: \(String(cString: strerror(errno)))")
      }
      if got == 0 { break }
      count += got
      if !headerSeen && count >= 8 {
        headerSeen = true
        guard BlobHeader.word(bytes, 0) == BlobHeader.magic else { break }
        let total = Int(BlobHeader.word(bytes, 4))
        if total > limit {
          throw LoadError(
            file: file, reason: "header says \(total) bytes, more than the \(limit)-byte limit")
        }
        wanted = max(total, 8)
        if bytes.count < wanted {
          bytes.append(contentsOf: repeatElement(0, count: wanted - bytes.count))
        }
      }
    }
    bytes.removeSubrange(count...)
    if bytes.count > limit {
      throw LoadError(
        file: file, reason: "larger than the \(limit)-byte limit for a device tree")
    }
    if bytes.isEmpty { throw LoadError(file: file, reason: "empty file") }
    return bytes
  }
}
