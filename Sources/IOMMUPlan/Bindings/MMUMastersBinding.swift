// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Reads the deprecated ARM SMMU binding: `mmu-masters` on the SMMU node,
/// each master followed by its own `#stream-id-cells` stream IDs.
///
/// arm-smmu walks the list with the strict iterator and copies every stream
/// ID (no 16-cell clamp: it sizes its buffer from the entry), and skips empty
/// entries. A malformed entry aborts the search for every master after it.
enum MMUMastersBinding {
  static let property = "mmu-masters"

  static func read(_ value: Property, of smmu: NodeID, _ reader: inout LinkReader) {
    let tree = reader.tree
    if value.hasPartialCell {
      reader.report(
        .partialCell, smmu, property,
        "\(value.bytes.count) bytes is not whole cells; the last \(value.bytes.count % 4) are ignored"
      )
    }
    var iterator: PhandleIterator
    do {
      iterator = try PhandleIterator(
        tree: tree, node: smmu, listName: property, cellsName: "#stream-id-cells", cellCount: -1)
    } catch {
      return
    }
    do {
      while try iterator.next() {
        guard let master = iterator.target else { continue }
        reader.link(
          master, smmu, .mmuMasters, index: iterator.entry,
          arguments: iterator.specifier(limit: iterator.argumentCount))
      }
    } catch {
      reportMalformed(error, iterator: iterator, smmu: smmu, &reader)
    }
  }

  private static func reportMalformed(
    _ error: PhandleError, iterator: PhandleIterator, smmu: NodeID, _ reader: inout LinkReader
  ) {
    let tree = reader.tree
    let entry = error.entry ?? 0
    // arm-smmu searches the lists of every bound SMMU in turn and gives up on
    // the first error, so the damage reaches other SMMUs' masters too.
    let tail =
      "; arm-smmu's search stops here, so no master from this entry on is found, nor any "
      + "listed by an SMMU searched after this one"
    switch error.kind {
    case .unknownPhandle(let phandle):
      reader.report(
        .mmuMastersUnknownPhandle, smmu, property,
        "entry \(entry): phandle \(hex(phandle)) matches no node\(tail)")
    case .missingCellsProperty(let master, _):
      reader.report(
        .mmuMastersMissingStreamIDCells, smmu, property,
        "entry \(entry): master \(tree.path(of: master)) has no #stream-id-cells\(tail)")
    case .overrun(let master, let needed, let found):
      let name = master.map { tree.path(of: $0) } ?? "the master"
      reader.report(
        .mmuMastersEntryOverrun, smmu, property,
        "entry \(entry): \(name) has #stream-id-cells = \(needed) but the property has "
          + "\(counted(found, "cell")) left"
          + tail)
    default:
      break
    }
  }
}
