// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
internal import CLibFDT

/// Writes a walked directory as a blob with libfdt's sequential-write API,
/// into a buffer of the size the walk computed (grown, up to the limit, if
/// libfdt asks for more). No pointer outlives `blob(of:file:)`.
///
/// Sharing names: `fdt_property` looks each name up by trying every place
/// in the strings block (libfdt 1.6.1's `fdt_find_string_`), so a tree
/// costs its property count times its names' bytes: a million files of
/// distinct names would take hours. A board's tree (thousands of
/// properties, a few hundred names) costs tens of millions of tries. The
/// walk counts them exactly; past `nameSearchBudget` the blob is written
/// without sharing names (`FDT_CREATE_FLAG_NO_NAME_DEDUP`): the same tree
/// in a larger blob, held to the same limit.
enum BlobWriter {
  /// About a tenth of a second of libfdt's search (1.5 ns a try).
  static let nameSearchBudget = 1 << 26

  static func blob(of walk: DirectoryWalk, file: String) throws(LoadError) -> [UInt8] {
    let sharingNames = walk.searchCost <= nameSearchBudget
    let size = walk.blobSize(sharingNames: sharingNames)
    guard size <= walk.limit else {
      throw LoadError(
        file: file,
        reason: "the tree makes a \(size)-byte blob, larger than the "
          + "\(walk.limits.maximumInputSize)-byte limit")
    }
    let flags = sharingNames ? 0 : UInt32(FDT_CREATE_FLAG_NO_NAME_DEDUP)
    var capacity = size
    while true {
      var blob = [UInt8](repeating: 0, count: capacity)
      let result = blob.withUnsafeMutableBytes { write(walk, into: $0, flags: flags) }
      if result == 0 {
        blob.removeSubrange(min(Int(BlobHeader.word(blob, 4)), blob.count)...)
        return blob
      }
      guard result == -FDT_ERR_NOSPACE, capacity < walk.limit else {
        throw LoadError(
          file: file,
          reason: "libfdt cannot write the tree: \(FDTError(rawValue: -result))")
      }
      capacity = min(walk.limit, capacity * 2)
    }
  }

  /// 0, or libfdt's (negative) error.
  private static func write(
    _ walk: DirectoryWalk, into buffer: UnsafeMutableRawBufferPointer, flags: UInt32
  ) -> Int32 {
    guard let fdt = buffer.baseAddress else { return -FDT_ERR_NOSPACE }
    var result = fdt_create_with_flags(fdt, Int32(buffer.count), flags)
    if result == 0 { result = fdt_finish_reservemap(fdt) }
    walk.names.withUnsafeBytes { names in
      walk.values.withUnsafeBytes { values in
        guard let nameBase = names.baseAddress else { return }
        for item in walk.items where result == 0 {
          let name = (nameBase + Int(item.name)).assumingMemoryBound(to: CChar.self)
          switch item.kind {
          case .beginNode: result = fdt_begin_node(fdt, name)
          case .endNode: result = fdt_end_node(fdt)
          case .property:
            // An empty value has no bytes to point at; libfdt copies none.
            let value = values.baseAddress.map { $0 + Int(item.value) } ?? nameBase
            result = fdt_property(fdt, name, value, item.length)
          }
        }
      }
    }
    if result == 0 { result = fdt_finish(fdt) }
    return result
  }
}
