// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// One device tree read from an input, with what is known of where it came
/// from.
public struct LoadedTree: Sendable {
  /// How reports name it: the file as given, or `FILE#N` for the N-th
  /// (0-based) tree of a file that holds several.
  public let name: String
  public let tree: DeviceTree
  /// Where each node and property is written, when the tree was compiled
  /// from source (and no overlay changed it).
  public let sources: SourceMap?
  /// The entry of a DT table image or a concatenation it came from.
  public let entry: TreeEntry?
  /// The overlays applied to it, in order, as named.
  public let overlays: [String]

  public init(
    name: String, tree: DeviceTree, sources: SourceMap? = nil, entry: TreeEntry? = nil,
    overlays: [String] = []
  ) {
    self.name = name
    self.tree = tree
    self.sources = sources
    self.entry = entry
    self.overlays = overlays
  }
}

/// A tree's place in a file that holds several: its 0-based index, and for
/// an Android DT table image the entry's id, revision and custom words.
public struct TreeEntry: Hashable, Sendable {
  public let index: Int
  public let id: UInt32?
  public let revision: UInt32?
  public let custom: [UInt32]

  public init(index: Int, id: UInt32? = nil, revision: UInt32? = nil, custom: [UInt32] = []) {
    self.index = index
    self.id = id
    self.revision = revision
    self.custom = custom
  }
}

/// Which entry of an overlay image to apply (`--dtbo-index`, `--dtbo-id`).
public enum OverlayEntry: Hashable, Sendable {
  case index(Int)
  case id(UInt32)
}

/// How inputs are read: limits, what the preprocessor adds, and overlays
/// to apply to every base tree.
public struct InputOptions: Hashable, Sendable {
  public var limits: LoadLimits
  public var sources: SourceOptions
  /// Overlay files (DTBO, overlay source, or a DT table image), applied in
  /// order.
  public var overlays: [String]
  /// For an overlay file that holds several trees.
  public var overlayEntry: OverlayEntry?

  public init(
    limits: LoadLimits = .standard, sources: SourceOptions = SourceOptions(),
    overlays: [String] = [], overlayEntry: OverlayEntry? = nil
  ) {
    self.limits = limits
    self.sources = sources
    self.overlays = overlays
    self.overlayEntry = overlayEntry
  }
}
