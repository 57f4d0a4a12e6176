// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A directory tree read into the order a blob is written in (see
/// `DirectoryTree` for what is read and refused). Names and values go into
/// two byte arrays and each token is three integers, so a tree costs about
/// its blob's size however many small files it has.
///
/// The blob's size is known exactly as the walk goes, and each step is
/// refused as soon as it would pass the limit: a directory of millions of
/// entries stops being listed once they could not fit, so the names held
/// while listing stay in proportion to the limit too.
struct DirectoryWalk {
  struct Item {
    enum Kind { case beginNode, property, endNode }
    let kind: Kind
    /// Where the NUL-terminated name starts in `names`.
    let name: Int32
    /// Where the value starts in `values`, and its length.
    let value: Int32
    let length: Int32
  }

  /// The smallest token: FDT_PROP, length and name offset.
  static let propertyTokenSize = 12
  /// Header (40 bytes, padded to 48 for the 16-byte entries that follow)
  /// and the empty memory reservation map, as `fdt_create` lays them out.
  static let blobPrefixSize = 64

  private(set) var items: [Item] = []
  private(set) var names: [UInt8] = []
  private(set) var values: [UInt8] = []
  /// FDT_END included.
  private(set) var structureSize = 4
  /// The strings block with each property name once, and with every
  /// property's name (when libfdt is told not to share them).
  private(set) var sharedStringsSize = 0
  private(set) var unsharedStringsSize = 0
  /// How many places `fdt_property` would compare a name at while sharing
  /// names (see `BlobWriter`).
  private(set) var searchCost = 0
  /// For each distinct property name: where it is in `names`, and its end
  /// as libfdt lays it out (the strings block grows downward while being
  /// written, so this is its distance from the top).
  private var propertyNames: [[UInt8]: (name: Int32, end: Int)] = [:]
  private var nodeCount = 1
  /// The names from the root to the directory being read.
  private var components: [[UInt8]] = []

  let file: String
  let limits: LoadLimits
  /// libfdt counts in `int`.
  let limit: Int

  init(file: String, limits: LoadLimits) {
    self.file = file
    self.limits = limits
    limit = min(limits.maximumInputSize, Int(Int32.max))
  }

  func blobSize(sharingNames: Bool) -> Int {
    Self.blobPrefixSize + structureSize
      + (sharingNames ? sharedStringsSize : unsharedStringsSize)
  }

  /// Reads the root directory, which `descriptor` is open on (and which this
  /// closes).
  mutating func readRoot(_ descriptor: Int32) throws(LoadError) {
    try readNode(descriptor, name: [], depth: 0, pathLength: 1)
  }

  private mutating func readNode(_ descriptor: Int32, name: [UInt8], depth: Int, pathLength: Int)
    throws(LoadError)
  {
    guard let directory = fdopendir(descriptor) else {
      let error = errno
      close(descriptor)
      throw failure("cannot list \(relative()): \(String(cString: strerror(error)))")
    }
    defer { closedir(directory) }
    let (files, subdirectories) = try list(directory, descriptor)
    let nameOffset = Int32(names.count)
    names += name + [0]
    items.append(Item(kind: .beginNode, name: nameOffset, value: 0, length: 0))
    structureSize += 4 + Self.aligned(name.count + 1) + 4  // FDT_BEGIN_NODE, name, FDT_END_NODE
    try checkSize()
    for file in files { try readProperty(file, in: descriptor, node: name) }
    for subdirectory in subdirectories {
      try readSubnode(subdirectory, in: descriptor, depth: depth + 1, parentPathLength: pathLength)
    }
    items.append(Item(kind: .endNode, name: 0, value: 0, length: 0))
  }

  /// The directory's regular files and subdirectories, each sorted
  /// byte-wise; anything else is refused before it is opened.
  private mutating func list(_ directory: OpaquePointer, _ descriptor: Int32) throws(LoadError)
    -> (files: [[UInt8]], subdirectories: [[UInt8]])
  {
    var files: [[UInt8]] = []
    var subdirectories: [[UInt8]] = []
    var listedSize = 0
    while true {
      errno = 0
      guard let entry = readdir(directory) else {
        let error = errno
        if error != 0 {
          throw failure("cannot list \(relative()): \(String(cString: strerror(error)))")
        }
        break
      }
      let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
      if name == [0x2e] || name == [0x2e, 0x2e] { continue }
      var status = stat()
      let found = fstatat(descriptor, Self.cString(name), &status, AT_SYMLINK_NOFOLLOW)
      guard found == 0 else {
        let error = errno
        throw failure("cannot stat \(relative(name)): \(String(cString: strerror(error)))")
      }
      switch status.st_mode & S_IFMT {
      case S_IFREG:
        files.append(name)
        listedSize += Self.propertyTokenSize + (propertyNames[name] == nil ? name.count + 1 : 0)
      case S_IFDIR:
        subdirectories.append(name)
        listedSize += 8 + Self.aligned(name.count + 1)
      case S_IFLNK:
        throw failure(
          "\(relative(name)) is a symbolic link, which is not followed (a device-tree directory "
            + "holds none)")
      default:
        throw failure(
          "\(relative(name)) is \(Self.kind(status.st_mode)), neither a regular file (a property) "
            + "nor a directory (a node)")
      }
      // The least each entry adds to the blob: its token and name, or only
      // the token for a property name already in the strings block (which
      // a directory, holding each name once, can do only as often as names
      // were paid for). Listing stops once they could not fit.
      if blobSize(sharingNames: true) + listedSize > limit {
        throw failure(
          "\(relative()) holds more entries than fit in the \(limits.maximumInputSize)-byte limit")
      }
    }
    return (files.sorted(by: Self.precedes), subdirectories.sorted(by: Self.precedes))
  }

  private mutating func readSubnode(
    _ name: [UInt8], in parent: Int32, depth: Int, parentPathLength: Int
  ) throws(LoadError) {
    if depth > LoadLimits.maximumDepth {
      throw failure(
        "node \(nodePath(name)) is \(depth) levels below the root; Linux unflattens "
          + "\(LoadLimits.maximumDepth) (FDT_MAX_DEPTH 64) and drops deeper nodes")
    }
    let pathLength = parentPathLength + (depth == 1 ? 0 : 1) + name.count
    if pathLength > limits.maximumPathLength {
      throw failure(
        "node \(nodePath(name)) has a path longer than the \(limits.maximumPathLength)-byte limit")
    }
    if nodeCount == limits.maximumNodeCount {
      throw failure(
        "more than the \(limits.maximumNodeCount)-node limit (at \(relative(name)))")
    }
    nodeCount += 1
    let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
    let descriptor = openat(parent, Self.cString(name), flags)
    guard descriptor >= 0 else {
      let error = errno
      throw failure("cannot open \(relative(name)): \(String(cString: strerror(error)))")
    }
    components.append(name)
    defer { components.removeLast() }
    try readNode(descriptor, name: name, depth: depth, pathLength: pathLength)
  }

  private mutating func readProperty(_ name: [UInt8], in directory: Int32, node: [UInt8])
    throws(LoadError)
  {
    if name.count > limits.maximumPropertyNameLength {
      throw failure(
        "\(relative(name)): the property name is longer than the "
          + "\(limits.maximumPropertyNameLength)-byte limit")
    }
    // O_NONBLOCK and O_NOFOLLOW keep a FIFO or link put in its place since
    // it was listed from blocking the open or leading elsewhere; fstat then
    // refuses it.
    let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
    let descriptor = openat(directory, Self.cString(name), flags)
    guard descriptor >= 0 else {
      let error = errno
      throw failure("cannot open \(relative(name)): \(String(cString: strerror(error)))")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
      throw failure("\(relative(name)) stopped being a regular file while it was read")
    }
    let known = propertyNames[name]
    let fixed =
      blobSize(sharingNames: true) + Self.propertyTokenSize + (known == nil ? name.count + 1 : 0)
    let start = values.count
    let length = try readValue(descriptor, sizeHint: Int(status.st_size), room: limit - fixed, name)
    if name == Self.nameProperty && Self.repeatsNodeName(values[start...], node) {
      values.removeSubrange(start...)
      return
    }
    let place: (name: Int32, end: Int)
    if let known {
      // Sharing, fdt_property finds the name by trying every place from the
      // bottom of the strings block, where the newest name is.
      searchCost += sharedStringsSize - known.end + 1
      place = known
    } else {
      searchCost += sharedStringsSize + 1
      sharedStringsSize += name.count + 1
      place = (Int32(names.count), sharedStringsSize)
      names += name + [0]
      propertyNames[name] = place
    }
    unsharedStringsSize += name.count + 1
    items.append(
      Item(kind: .property, name: place.name, value: Int32(start), length: Int32(length)))
    structureSize += Self.propertyTokenSize + Self.aligned(length)
    try checkSize(at: name)
  }

  /// Reads the open file to its end into `values`, refusing it once it
  /// holds more than `room` bytes. `sizeHint` (st_size) only sizes the first
  /// read.
  private mutating func readValue(_ descriptor: Int32, sizeHint: Int, room: Int, _ name: [UInt8])
    throws(LoadError) -> Int
  {
    guard room >= 0 else {
      throw failure(
        "the tree passes the \(limits.maximumInputSize)-byte limit at \(relative(name))")
    }
    let start = values.count
    var count = 0
    // One byte past the room shows a file too large in the same read.
    var capacity = min(max(sizeHint, 0), room, 1 << 20) + 1
    values.append(contentsOf: repeatElement(0, count: capacity))
    while count <= room {
      if count == capacity {
        let more = min(max(capacity, 4096), room + 1 - capacity)
        values.append(contentsOf: repeatElement(0, count: more))
        capacity += more
      }
      let wanted = capacity - count
      let offset = start + count
      let got = values.withUnsafeMutableBytes { buffer in
        guard let base = buffer.baseAddress else { return 0 }
        return read(descriptor, base + offset, wanted)
      }
      if got < 0 {
        let error = errno
        if error == EINTR { continue }
        throw failure("cannot read \(relative(name)): \(String(cString: strerror(error)))")
      }
      if got == 0 { break }
      count += got
    }
    values.removeSubrange((start + count)...)
    if count > room {
      throw failure(
        "\(relative(name)) holds more than the \(room) bytes left of the "
          + "\(limits.maximumInputSize)-byte limit")
    }
    return count
  }

  private func checkSize(at name: [UInt8]? = nil) throws(LoadError) {
    if blobSize(sharingNames: true) > limit {
      throw failure(
        "the tree passes the \(limits.maximumInputSize)-byte limit at \(relative(name))")
    }
  }

  private func failure(_ reason: String) -> LoadError { LoadError(file: file, reason: reason) }

  /// The entry (or, without a name, the directory being read) relative to
  /// the root directory, for messages.
  private func relative(_ name: [UInt8]? = nil) -> String {
    let parts = components + (name.map { [$0] } ?? [])
    if parts.isEmpty { return "the directory" }
    return Self.shortened(parts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/"))
  }

  private func nodePath(_ name: [UInt8]) -> String {
    Self.shortened(
      "/" + (components + [name]).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    )
  }

  /// One line, whatever the names hold, and at most about 200 characters.
  private static func shortened(_ text: String) -> String {
    guard text.count > 200 else { return printable(text) }
    return printable(String(text.prefix(100)) + "/.../" + String(text.suffix(90)))
  }

  private static let nameProperty = Array("name".utf8)

  /// dtc's test, byte for byte: the length is the base name's (up to the
  /// `@`) plus one, and the value starts with it; the last byte is not
  /// looked at.
  private static func repeatsNodeName(_ value: ArraySlice<UInt8>, _ node: [UInt8]) -> Bool {
    let base = node.prefix { $0 != UInt8(ascii: "@") }
    return value.count == base.count + 1 && value.starts(with: base)
  }

  private static func aligned(_ count: Int) -> Int { (count + 3) & ~3 }

  /// Byte-wise order, as strcmp and `dtc -s` sort; memcmp because names
  /// that share a long prefix would make an element-wise loop the walk's
  /// main cost.
  private static func precedes(_ first: [UInt8], _ second: [UInt8]) -> Bool {
    let common = min(first.count, second.count)
    let order = first.withUnsafeBytes { a in
      second.withUnsafeBytes { b in
        guard let a = a.baseAddress, let b = b.baseAddress else { return Int32(0) }
        return memcmp(a, b, common)
      }
    }
    return order != 0 ? order < 0 : first.count < second.count
  }

  /// The name as libc takes it; an array passes as a pointer to its bytes.
  private static func cString(_ name: [UInt8]) -> [CChar] {
    name.map { CChar(bitPattern: $0) } + [0]
  }

  private static func kind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: "a FIFO"
    case S_IFSOCK: "a socket"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    default: "of unknown type \(hex(mode & S_IFMT))"
    }
  }
}
