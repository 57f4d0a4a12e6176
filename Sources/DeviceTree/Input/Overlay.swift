// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
internal import CLibFDT

/// A device-tree overlay to apply to base trees, as a bootloader applies
/// one before the kernel sees the tree: libfdt's `fdt_overlay_apply`.
///
/// libfdt resolves an overlay's `__fixups__` through the base's
/// `/__symbols__` and says only "not found" when a label is missing, and it
/// leaves the base undefined after a failure. Labels are checked first, so
/// a failure names the overlay, the label and where the overlay uses it.
struct Overlay {
  /// As the user named it (`FILE#N` for an entry of a DT table image).
  let name: String
  let tree: DeviceTree
  /// Where its nodes and properties are written, for an overlay source.
  let sources: SourceMap?

  /// Reads an overlay file (a DTBO, overlay source, or a DT table image,
  /// from which `options.overlayEntry` picks one entry).
  static func load(_ file: String, options: InputOptions) throws(LoadError) -> Overlay {
    let content = try TreeFile(file).content(options: options)
    let members = content.members(of: file, limits: options.limits)
    let chosen: Result<LoadedTree, LoadError>
    switch options.overlayEntry {
    case nil:
      guard members.count == 1, let only = members.first else {
        throw LoadError(
          file: file,
          reason: "holds \(members.count) trees: choose one with --dtbo-index or --dtbo-id")
      }
      chosen = only
    case .index(let index):
      guard members.indices.contains(index) else {
        throw LoadError(
          file: file, reason: "has no entry \(index) (it holds \(members.count), from 0)")
      }
      chosen = members[index]
    case .id(let id):
      guard let found = members.first(where: { (try? $0.get().entry?.id) == id }) else {
        throw LoadError(file: file, reason: "has no entry with id \(hex(id))")
      }
      chosen = found
    }
    let loaded = try chosen.get()
    guard loaded.tree.isOverlay else {
      throw LoadError(
        file: loaded.name, reason: "is not an overlay (no fragment with an __overlay__ node)")
    }
    return Overlay(name: loaded.name, tree: loaded.tree, sources: loaded.sources)
  }

  /// `base` with every overlay applied in order, with the positions of the
  /// sources among them carried over (`OverlaidSources`).
  static func apply(_ overlays: [Overlay], to base: LoadedTree, limits: LoadLimits)
    throws(LoadError) -> LoadedTree
  {
    guard !overlays.isEmpty else { return base }
    if base.tree.isOverlay {
      throw LoadError(file: base.name, reason: "is itself an overlay: give a base tree")
    }
    let room = base.tree.blob.count + overlays.reduce(0) { $0 + 2 * $1.tree.blob.count } + 4096
    guard room <= limits.maximumInputSize else {
      throw LoadError(
        file: base.name,
        reason: "with its overlays it would exceed the \(limits.maximumInputSize)-byte limit")
    }
    var blob = [UInt8](repeating: 0, count: room)
    var symbols = base.tree.symbols
    let opened = base.tree.blob.withUnsafeBytes { source in
      blob.withUnsafeMutableBytes { fdt_open_into(source.baseAddress, $0.baseAddress, Int32(room)) }
    }
    guard opened == 0 else {
      throw LoadError(file: base.name, reason: "cannot open for overlays: \(reason(opened))")
    }
    for overlay in overlays {
      for fixup in overlay.tree.fixups where !symbols.contains(fixup.label) {
        let advice =
          symbols.isEmpty
          ? "the base has no /__symbols__ (compile it with dtc -@, or give its source)"
          : "the base has no such label"
        throw LoadError(
          file: overlay.name,
          reason: "cannot apply to \(base.name): label \(printable(fixup.label)) (used by "
            + "\(printable(fixup.path)):\(printable(fixup.property))) is not resolved: \(advice)")
      }
      var copy = overlay.tree.blob
      let applied = blob.withUnsafeMutableBytes { base in
        copy.withUnsafeMutableBytes { fdt_overlay_apply(base.baseAddress, $0.baseAddress) }
      }
      guard applied == 0 else {
        throw LoadError(
          file: overlay.name, reason: "cannot apply to \(base.name): \(reason(applied))")
      }
      // Labels an overlay brings are there for the next one.
      symbols.formUnion(overlay.tree.symbols)
    }
    _ = blob.withUnsafeMutableBytes { fdt_pack($0.baseAddress) }
    let size = Int(BlobHeader.word(blob, 4))
    blob.removeSubrange(min(size, blob.count)...)
    do throws(BlobError) {
      let tree = try DeviceTree(blob: blob, limits: limits)
      let sources = OverlaidSources.map(
        merged: tree, base: OverlaidSources.Part(tree: base.tree, sources: base.sources),
        overlays: overlays.map { OverlaidSources.Part(tree: $0.tree, sources: $0.sources) })
      return LoadedTree(
        name: base.name, tree: tree, sources: sources, entry: base.entry,
        overlays: base.overlays + overlays.map(\.name))
    } catch {
      throw LoadError(file: base.name, reason: "after overlays: \(error.reason)")
    }
  }

  private static func reason(_ code: Int32) -> String {
    String(cString: fdt_strerror(code)).lowercased()
  }
}
