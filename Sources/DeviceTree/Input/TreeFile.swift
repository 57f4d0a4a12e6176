// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An input named on the command line, read by what it holds, not by its
/// name: a DTB (or several, concatenated), an Android DT table image,
/// device-tree source (compiled the kbuild way, `SourceCompiler`), or a
/// directory laid out like `/proc/device-tree`. `-` is standard input.
public struct TreeFile: Hashable, Sendable {
  /// The name as given; reports and errors use it unchanged.
  public let path: String

  public init(_ path: String) { self.path = path }

  public var isStandardInput: Bool { path == "-" }

  /// Every tree the input holds, each loaded (with the overlays of
  /// `options` applied) or with the reason it could not be. An input that
  /// cannot be read at all is one failure, named as the input.
  public func load(options: InputOptions) -> [Result<LoadedTree, LoadError>] {
    let content: Content
    let overlays: [Overlay]
    do throws(LoadError) {
      content = try self.content(options: options)
      overlays = try options.overlays.map { file throws(LoadError) in
        try Overlay.load(file, options: options)
      }
    } catch {
      return [.failure(error)]
    }
    return content.members(of: path, limits: options.limits).map { member in
      member.flatMap { loaded in
        do throws(LoadError) {
          return .success(try Overlay.apply(overlays, to: loaded, limits: options.limits))
        } catch {
          return .failure(error)
        }
      }
    }
  }

  /// The first (or only) tree of the input, without overlays.
  public func load(limits: LoadLimits = .standard) throws(LoadError) -> DeviceTree {
    guard let first = load(options: InputOptions(limits: limits)).first else {
      throw LoadError(file: path, reason: "no device tree")
    }
    return try first.get().tree
  }

  /// What an input holds, before its trees are parsed.
  enum Content {
    /// Blobs cut from a DTB, a concatenation or a DT table image; `single`
    /// when the file is one plain DTB, named as the file.
    case blobs([ContainedTree], single: Bool)
    case compiled(blob: [UInt8], positions: SourceMap.Text?)

    func members(of path: String, limits: LoadLimits) -> [Result<LoadedTree, LoadError>] {
      switch self {
      case .compiled(let blob, let positions):
        do throws(BlobError) {
          let tree = try DeviceTree(blob: blob, limits: limits)
          return [
            .success(
              LoadedTree(
                name: path, tree: tree, sources: positions.flatMap { SourceMap($0, tree: tree) }))
          ]
        } catch {
          return [.failure(LoadError(file: path, reason: error.reason))]
        }
      case .blobs(let contained, let single):
        return contained.map { member in
          let name = single ? path : "\(path)#\(member.index)"
          let entry =
            single
            ? nil
            : TreeEntry(
              index: member.index, id: member.id, revision: member.revision, custom: member.custom)
          do throws(BlobError) {
            let tree = try DeviceTree(blob: member.blob, limits: limits)
            return .success(LoadedTree(name: name, tree: tree, entry: entry))
          } catch {
            return .failure(LoadError(file: name, reason: error.reason))
          }
        }
      }
    }
  }

  /// Reads the input and sorts it by its first bytes.
  func content(options: InputOptions) throws(LoadError) -> Content {
    let limits = options.limits
    if !isStandardInput && Self.isDirectory(path) {
      // A directory of .dts files, given by mistake, must not read as a
      // tree whose properties are source files.
      guard
        ["compatible", "#address-cells", "#size-cells"].contains(where: { name in
          var status = stat()
          return lstat(path + "/" + name, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
        })
      else {
        throw LoadError(
          file: path,
          reason: "is a directory, but not a device tree laid out like /proc/device-tree (no "
            + "compatible or #address-cells file at its top)")
      }
      let blob = try DirectoryTree.blob(at: path, limits: limits)
      return .blobs(
        [ContainedTree(index: 0, id: nil, revision: nil, custom: [], blob: blob)], single: true)
    }
    let bytes = try readInput(limit: limits.maximumInputSize)
    switch TreeContainer.kind(of: bytes) {
    case .blob where bytes.count < 8 || Int(BlobHeader.word(bytes, 4)) >= bytes.count:
      // One blob, whole or cut short: the parser names what is wrong.
      return .blobs([ContainedTree(index: 0, blob: bytes)], single: true)
    case .blob, .tableImage:
      let trees = try TreeContainer.split(bytes, file: path, limits: limits)
      return .blobs(trees, single: trees.count == 1 && TreeContainer.kind(of: bytes) == .blob)
    case .other:
      // Text is source; anything else is a blob with a wrong magic, which
      // the parser names.
      guard Self.isSource(bytes) else {
        return .blobs(
          [ContainedTree(index: 0, id: nil, revision: nil, custom: [], blob: bytes)], single: true)
      }
      let compiled = try compile(bytes, options: options)
      return .compiled(blob: compiled.blob, positions: compiled.positions)
    }
  }

  /// Source from a regular file is compiled where it is, so that its own
  /// directory is on the include path and cpp names it as the user did;
  /// from a pipe it is copied first, and the working directory stands in
  /// for its directory.
  private func compile(_ bytes: [UInt8], options: InputOptions) throws(LoadError)
    -> SourceCompiler.Output
  {
    var status = stat()
    if !isStandardInput && stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG {
      return try SourceCompiler.compile(
        path, name: path, options: options.sources, limits: options.limits)
    }
    guard let scratch = Subprocess.scratchDirectory() else {
      throw LoadError(file: path, reason: "cannot create a scratch directory")
    }
    let copy = scratch + "/input.dts"
    defer {
      unlink(copy)
      rmdir(scratch)
    }
    let descriptor = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw LoadError(file: path, reason: "cannot copy the source") }
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
    guard written == bytes.count else {
      throw LoadError(file: path, reason: "cannot copy the source")
    }
    return try SourceCompiler.compile(
      copy, name: path, base: ".", options: options.sources, limits: options.limits)
  }

  /// Text that dtc could read: it has the version tag every source carries,
  /// or includes a file that may (a board's `.dts` includes its SoC's
  /// `.dtsi`). Other text is refused as a blob, with its magic named, rather
  /// than handed to dtc for a syntax error.
  static func isSource(_ bytes: [UInt8]) -> Bool {
    guard !bytes.contains(0) else { return false }
    let markers = ["/dts-v1/", "#include", "/include/"].map { Array($0.utf8) }
    return markers.contains { bytes.firstRange(of: $0) != nil }
  }

  /// Whether something is at `path` (a link is followed).
  public static func exists(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0
  }

  private static func isDirectory(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
  }

  /// Opens the file the way `cat` does: a FIFO blocks until a writer opens
  /// it, then is read to its end.
  private func readInput(limit: Int) throws(LoadError) -> [UInt8] {
    if isStandardInput {
      return try Self.readBounded(STDIN_FILENO, file: path, limit: limit, stopAtBlobEnd: false)
    }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw LoadError(file: path, reason: whyNotOpened()) }
    defer { close(descriptor) }
    return try Self.readBounded(descriptor, file: path, limit: limit, stopAtBlobEnd: false)
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

  /// Reads no more than the input needs, and at most `limit` + 1 bytes.
  /// Once the first chunk is in, binary data with neither magic ends the
  /// read (the parser names the magic), so /dev/zero or /dev/urandom cost
  /// one chunk, not memory; an endless text costs the limit. With
  /// `stopAtBlobEnd` (dtc's output), a blob is read to its header's
  /// totalsize only; otherwise on, as DTBs may be concatenated. Bytes go
  /// straight from read(2) into the array the tree keeps.
  static func readBounded(_ descriptor: Int32, file: String, limit: Int, stopAtBlobEnd: Bool)
    throws(LoadError) -> [UInt8]
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
        let magic = BlobHeader.word(bytes, 0)
        if magic != BlobHeader.magic {
          if magic == TableImage.magic || !bytes[..<count].contains(0) { continue }
          break
        }
        let total = Int(BlobHeader.word(bytes, 4))
        if total > limit {
          throw LoadError(
            file: file, reason: "header says \(total) bytes, more than the \(limit)-byte limit")
        }
        guard stopAtBlobEnd else { continue }
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
