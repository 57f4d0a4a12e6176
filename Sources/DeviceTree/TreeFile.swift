import Foundation

/// An input named on the command line: a `.dtb`, `-` for standard input, or a
/// `.dts` that dtc compiles first.
public struct TreeFile: Hashable, Sendable {
  /// The name as given; reports and errors use it unchanged.
  public let path: String

  public init(_ path: String) { self.path = path }

  public var isStandardInput: Bool { path == "-" }
  public var isSource: Bool { path.hasSuffix(".dts") || path.hasSuffix(".dtsi") }

  /// Reads (or compiles) and parses the input.
  public func load() throws(LoadError) -> DeviceTree {
    let blob = try isSource ? DTSCompiler.compile(path) : readBlob()
    do {
      return try DeviceTree(blob: blob)
    } catch {
      throw LoadError(file: path, reason: error.reason)
    }
  }

  private func readBlob() throws(LoadError) -> [UInt8] {
    let handle: FileHandle
    if isStandardInput {
      handle = FileHandle.standardInput
    } else {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw LoadError(file: path, reason: "no such file")
      }
      guard !isDirectory.boolValue else { throw LoadError(file: path, reason: "is a directory") }
      guard let opened = FileHandle(forReadingAtPath: path) else {
        throw LoadError(file: path, reason: "cannot open for reading (permission denied?)")
      }
      handle = opened
    }
    defer { if !isStandardInput { try? handle.close() } }
    return try Self.readBounded(handle, file: path)
  }

  /// Reads at most `maximumBlobSize` bytes, so that /dev/zero or an endless
  /// pipe cannot exhaust memory.
  static func readBounded(_ handle: FileHandle, file: String) throws(LoadError) -> [UInt8] {
    var bytes: [UInt8] = []
    while true {
      let chunk: Data?
      do {
        chunk = try handle.read(upToCount: 1 << 20)
      } catch {
        throw LoadError(file: file, reason: "read failed: \(error.localizedDescription)")
      }
      guard let chunk, !chunk.isEmpty else { break }
      bytes.append(contentsOf: chunk)
      if bytes.count > maximumBlobSize {
        throw LoadError(
          file: file, reason: "larger than the \(maximumBlobSize)-byte limit for a device tree")
      }
    }
    if bytes.isEmpty { throw LoadError(file: file, reason: "empty file") }
    return bytes
  }
}
