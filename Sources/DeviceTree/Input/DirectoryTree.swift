// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A device tree kept as a directory, the way Linux shows the live tree in
/// /proc/device-tree and /sys/firmware/devicetree/base: a node is a
/// directory, a property a regular file whose bytes are the value.
///
/// It reads what `dtc -I fs` reads, with these choices:
/// - every regular file is a property and every directory a node, hidden
///   ones included; only `.` and `..` are left out;
/// - a `name` property that only repeats the node's name (up to the `@`)
///   and a NUL is dropped, as dtc's `name_properties` check drops it: the
///   node's name already says it (Linux shows one in many nodes);
/// - names are sorted byte-wise, properties before subnodes, so the blob
///   depends only on the directory's content (dtc keeps readdir's order);
/// - the directory named may be a symbolic link (/proc/device-tree is one),
///   but nothing below it is followed. A symbolic link inside is refused by
///   name: dtc 1.6.1 follows it (older dtc skipped it), but following could
///   loop or leave the tree, and skipping would drop a node unseen, and the
///   kernel's directories hold none;
/// - a FIFO, socket or device is refused by name, checked with lstat before
///   anything opens it (dtc skips them), so nothing can block the read;
/// - a file or directory that cannot be read is refused by name (dtc warns
///   and leaves the property out), because a tree that silently lacks a
///   property would mislead a report.
///
/// Everything is bounded by `LoadLimits`: the blob's size (property values
/// included), nodes, depth, path and property-name length. Files are read
/// with read(2) to their end, never trusting st_size (sysfs and procfs
/// files report 4096 or 0), and no further than the bytes the limit leaves.
public enum DirectoryTree {
  /// Builds a DTB from the directory at `path`; the directory itself is the
  /// root node (""). Errors name the file or directory at fault relative to
  /// `path`.
  public static func blob(at path: String, limits: LoadLimits) throws(LoadError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else {
      let error = errno
      let reason =
        switch error {
        case ENOENT: "no such directory"
        case ENOTDIR: "not a directory"
        default: "cannot open the directory: \(String(cString: strerror(error)))"
        }
      throw LoadError(file: path, reason: reason)
    }
    var walk = DirectoryWalk(file: path, limits: limits)
    try walk.readRoot(descriptor)
    return try BlobWriter.blob(of: walk, file: path)
  }
}
