// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// Bounds that keep the memory and time of a load proportional to a real
/// device tree, whatever the input. A blob past any of them is refused with a
/// `BlobError` that names the limit; none is a silent truncation.
///
/// The defaults are far above anything real: the 576 DTBs of Debian's 6.1
/// arm64 kernel reach 123 KiB, 997 nodes, 109-byte paths and 11 levels, and
/// arm64 Linux itself refuses a DTB over 2 MiB (`MAX_FDT_SIZE`).
public struct LoadLimits: Hashable, Sendable {
  /// Bytes read from a file, stdin or dtc, and bytes in a blob.
  public var maximumInputSize: Int
  /// Nodes in one tree: bounds the tree's tables and every pass over its
  /// nodes.
  public var maximumNodeCount: Int
  /// Bytes in one node's full path, which bounds every node name too, and
  /// every path made for a report or a lookup.
  public var maximumPathLength: Int
  /// Bytes in one string of the strings block (a property name). libfdt
  /// measures a name each time it reads a property, so a long one shared by
  /// many properties would cost their product.
  public var maximumPropertyNameLength: Int
  /// How long dtc may take to compile a `.dts` input.
  public var compileTime: Duration

  public init(
    maximumInputSize: Int = 64 << 20, maximumNodeCount: Int = 1 << 17,
    maximumPathLength: Int = 1024, maximumPropertyNameLength: Int = 1024,
    compileTime: Duration = .seconds(60)
  ) {
    self.maximumInputSize = maximumInputSize
    self.maximumNodeCount = maximumNodeCount
    self.maximumPathLength = maximumPathLength
    self.maximumPropertyNameLength = maximumPropertyNameLength
    self.compileTime = compileTime
  }

  public static let standard = LoadLimits()

  /// The deepest level below the root that Linux unflattens: `FDT_MAX_DEPTH`
  /// is 64 in drivers/of/fdt.c, and `unflatten_dt_nodes` skips (with a
  /// WARN) every node at depth 63 or more, the root being depth 0. Not a
  /// setting: it is the kernel's. A deeper node is refused rather than
  /// dropped, because a report that silently lacks nodes would mislead.
  public static let maximumDepth = 62
}

/// The largest blob accepted by default (`LoadLimits.standard`).
public let maximumBlobSize = LoadLimits.standard.maximumInputSize
