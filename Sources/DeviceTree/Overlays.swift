// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// A reference an overlay leaves for the bootloader to resolve: `label`
/// (from `/__fixups__`), used by the cell at `offset` of `property` of the
/// node at `path`.
public struct OverlayFixup: Hashable, Sendable {
  public let label: String
  public let path: String
  public let property: String
  public let offset: Int
}

extension DeviceTree {
  /// Whether the tree is an overlay: a child of the root holds an
  /// `__overlay__` node (dtc's `fragment@N` for `/plugin/;` sources), or
  /// it has `/__fixups__`.
  public var isOverlay: Bool {
    if node(path: "/__fixups__") != nil { return true }
    return children(of: root.id).contains { fragment in
      children(of: fragment).contains { name(of: $0) == "__overlay__" }
    }
  }

  /// The labels of `/__symbols__`.
  public var symbols: Set<String> {
    guard let node = node(path: "/__symbols__") else { return [] }
    return Set(properties(of: node).map(\.name))
  }

  /// Every reference listed in `/__fixups__`, in order: each property is a
  /// label, each of its strings `path:property:offset`. An entry that does
  /// not read so is skipped (libfdt would refuse the overlay).
  public var fixups: [OverlayFixup] {
    guard let node = node(path: "/__fixups__") else { return [] }
    var fixups: [OverlayFixup] = []
    for property in properties(of: node) {
      for use in property.strings {
        let parts = use.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let offset = Int(parts[2]) else { continue }
        fixups.append(
          OverlayFixup(
            label: property.name, path: String(parts[0]), property: String(parts[1]),
            offset: offset))
      }
    }
    return fixups
  }
}
