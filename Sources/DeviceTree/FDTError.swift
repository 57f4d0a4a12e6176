// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A libfdt error code, as returned (negated) by every libfdt function.
///
/// libfdt 1.6.1's `fdt_strerror` does not know every code (it prints
/// "<unknown error>" for `FDT_ERR_ALIGNMENT`), so the names live here.
public struct FDTError: Error, RawRepresentable, Hashable, Sendable {
  /// The positive libfdt code (`FDT_ERR_*`).
  public let rawValue: Int32

  public init(rawValue: Int32) { self.rawValue = rawValue }

  /// The corresponding libfdt code is `FDT_ERR_NOTFOUND`.
  public static let notFound = FDTError(rawValue: 1)
  /// The corresponding libfdt code is `FDT_ERR_BADOFFSET`.
  public static let badOffset = FDTError(rawValue: 4)
  /// The corresponding libfdt code is `FDT_ERR_BADSTATE`.
  public static let badState = FDTError(rawValue: 7)
  /// The corresponding libfdt code is `FDT_ERR_TRUNCATED`.
  public static let truncated = FDTError(rawValue: 8)
  /// The corresponding libfdt code is `FDT_ERR_BADMAGIC`.
  public static let badMagic = FDTError(rawValue: 9)
  /// The corresponding libfdt code is `FDT_ERR_BADVERSION`.
  public static let badVersion = FDTError(rawValue: 10)
  /// The corresponding libfdt code is `FDT_ERR_BADSTRUCTURE`.
  public static let badStructure = FDTError(rawValue: 11)
  /// The corresponding libfdt code is `FDT_ERR_BADLAYOUT`.
  public static let badLayout = FDTError(rawValue: 12)
  /// The corresponding libfdt code is `FDT_ERR_ALIGNMENT`.
  public static let alignment = FDTError(rawValue: 19)

  private static let names: [Int32: (String, String)] = [
    1: ("FDT_ERR_NOTFOUND", "node or property not found"),
    2: ("FDT_ERR_EXISTS", "node or property already exists"),
    3: ("FDT_ERR_NOSPACE", "no space left in the blob"),
    4: ("FDT_ERR_BADOFFSET", "bad structure block offset"),
    5: ("FDT_ERR_BADPATH", "badly formatted path"),
    6: ("FDT_ERR_BADPHANDLE", "bad phandle"),
    7: ("FDT_ERR_BADSTATE", "blob is in an incomplete (sequential-write) state"),
    8: ("FDT_ERR_TRUNCATED", "blob or one of its blocks is truncated"),
    9: ("FDT_ERR_BADMAGIC", "bad magic: not a flattened device tree"),
    10: ("FDT_ERR_BADVERSION", "unsupported blob version"),
    11: ("FDT_ERR_BADSTRUCTURE", "corrupt structure block"),
    12: ("FDT_ERR_BADLAYOUT", "blocks in an unusable order"),
    13: ("FDT_ERR_INTERNAL", "libfdt internal error"),
    14: ("FDT_ERR_BADNCELLS", "bad #address-cells or #size-cells"),
    15: ("FDT_ERR_BADVALUE", "unexpected property value"),
    16: ("FDT_ERR_BADOVERLAY", "bad overlay"),
    17: ("FDT_ERR_NOPHANDLES", "no phandles left"),
    18: ("FDT_ERR_BADFLAGS", "bad flags"),
    19: ("FDT_ERR_ALIGNMENT", "blob is not 8-byte aligned"),
  ]

  /// The C name, such as `FDT_ERR_TRUNCATED`.
  public var name: String { Self.names[rawValue]?.0 ?? "FDT_ERR_\(rawValue)" }

  /// A short lowercase explanation.
  public var summary: String { Self.names[rawValue]?.1 ?? "unknown libfdt error" }
}

extension FDTError: CustomStringConvertible {
  public var description: String { "\(summary) (\(name))" }
}
