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
    let uses = fixups.map { "&\($0.label) at \($0.path):\($0.property)" }
    let listed =
      uses.isEmpty
      ? "it has no __fixups__"
      : "\(counted(uses.count, "reference")) \(uses.count == 1 ? "resolves" : "resolve") when it "
        + "is applied: "
        + uses.joined(separator: ", ")
    return kept + [
      Diagnostic(
        .overlayCheckedAlone, node: nil, property: nil,
        "checked alone, as an overlay; \(listed)")
    ]
  }
}
