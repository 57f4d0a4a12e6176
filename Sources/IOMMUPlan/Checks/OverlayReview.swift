// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// An overlay checked on its own, without the base it is written for.
///
/// Its references to the base's labels hold a placeholder phandle
/// (0xffffffff) that the bootloader's `fdt_overlay_apply` replaces through
/// `__fixups__`, so an unresolved phandle at a place `__fixups__` lists is
/// not a finding: the property is read up to it, as nothing after it can be
/// decoded without the base. What is left is said in one note that lists
/// the fixups.
struct OverlayReview {
  let fixups: [OverlayFixup]
  /// The (node, property) pairs a fixup patches.
  private let patched: Set<Place>

  private struct Place: Hashable {
    let node: NodeID
    let property: String
  }

  static let unresolvedCodes: Set<DiagnosticCode> = [
    .iommusUnknownPhandle, .iommuMapUnknownPhandle, .mmuMastersUnknownPhandle,
  ]

  /// Nil for a tree that is not an overlay.
  init?(_ tree: DeviceTree) {
    guard tree.isOverlay else { return nil }
    fixups = tree.fixups
    patched = Set(
      fixups.compactMap { fixup in
        tree.node(path: fixup.path).map { Place(node: $0, property: fixup.property) }
      })
  }

  func reviewed(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
    let kept = diagnostics.filter { diagnostic in
      guard Self.unresolvedCodes.contains(diagnostic.code), let node = diagnostic.node,
        let property = diagnostic.property
      else { return true }
      return !patched.contains(Place(node: node, property: property))
    }
    // Each label once, in the order first used, with how often: the full
    // list is in the JSON (`input.overlay_fixups`).
    var labels: [String] = []
    var uses: [String: Int] = [:]
    for fixup in fixups {
      if uses[fixup.label] == nil { labels.append(fixup.label) }
      uses[fixup.label, default: 0] += 1
    }
    let named = labels.map { label in
      let count = uses[label] ?? 1
      return "&\(label)" + (count == 1 ? "" : " (\(count))")
    }
    let listed =
      fixups.isEmpty
      ? "it has no __fixups__"
      : "\(counted(fixups.count, "reference")) to \(counted(labels.count, "label")) of its base "
        + "\(fixups.count == 1 ? "resolves" : "resolve") when it is applied: "
        + named.joined(separator: ", ")
    return kept + [
      Diagnostic(
        .overlayCheckedAlone, node: nil, property: nil,
        "checked alone, as an overlay; \(listed)")
    ]
  }
}
