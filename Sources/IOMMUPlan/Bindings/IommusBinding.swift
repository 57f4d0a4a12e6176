// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Reads `iommus` the way `of_iommu_configure_dev` does: entry by entry with
/// the strict `#iommu-cells` parser, stopping at the first empty or malformed
/// entry. Entries before the stop keep their effect; nothing after it is seen.
enum IommusBinding {
  static let property = "iommus"

  /// Returns false when the kernel never reads the property (below a PCI
  /// host bridge).
  @discardableResult
  static func read(_ value: Property, of node: NodeID, _ reader: inout LinkReader) -> Bool {
    let tree = reader.tree
    if value.hasPartialCell {
      reader.report(
        .partialCell, node, property,
        "\(value.bytes.count) bytes is not whole cells; the last \(value.bytes.count % 4) are ignored"
      )
    }
    if let host = reader.topology.pciHost(above: node) {
      reader.report(
        .iommusUnderPCIHost, node, property,
        "\(tree.path(of: node)) is a PCI device below \(tree.path(of: host)): the kernel "
          + "configures it through the root complex's iommu-map and never reads this property")
      return false
    }
    var iterator: PhandleIterator
    do {
      iterator = try PhandleIterator(
        tree: tree, node: node, listName: property, cellsName: "#iommu-cells", cellCount: -1)
    } catch {
      return true
    }
    do {
      while try iterator.next() {
        if iterator.phandle == 0 {
          reader.stop(
            node, ParseStop(property: .iommus, entry: iterator.entry, reason: .emptyEntry))
          reportEmpty(iterator, &reader)
          return true
        }
        guard let target = iterator.target else { return true }
        if iterator.argumentCount > maximumPhandleArguments {
          reader.report(
            .iommusTooManyArgs, node, property,
            "entry \(iterator.entry) has \(iterator.argumentCount) argument cells "
              + "(#iommu-cells of \(tree.path(of: target))); the kernel passes only the first 16")
        }
        reader.link(
          node, target, .iommus, index: iterator.entry, arguments: iterator.specifier())
      }
    } catch {
      reportMalformed(error, iterator: iterator, node: node, &reader)
    }
    return true
  }

  private static func reportEmpty(_ iterator: PhandleIterator, _ reader: inout LinkReader) {
    let cells = iterator.property.cellCount
    let after = cells - iterator.cell - 1
    guard after > 0 else { return }
    let rest = (iterator.cell + 1..<cells).lazy.map { iterator.property.bytes.cell($0) }
    reader.report(
      .iommusEntriesAfterEmpty, iterator.consumer, property,
      "entry \(iterator.entry) is empty (phandle 0) and ends the kernel's walk; the "
        + "\(counted(after, "cell")) after it (\(hexList(rest))) are ignored"
    )
  }

  private static func reportMalformed(
    _ error: PhandleError, iterator: PhandleIterator, node: NodeID, _ reader: inout LinkReader
  ) {
    let tree = reader.tree
    let entry = error.entry ?? 0
    let ignored = ignoredTail(error, iterator)
    let code: DiagnosticCode
    switch error.kind {
    case .unknownPhandle(let phandle):
      code = .iommusUnknownPhandle
      reader.report(
        code, node, property, "entry \(entry): phandle \(hex(phandle)) matches no node\(ignored)")
    case .missingCellsProperty(let target, _):
      code = .iommusMissingCells
      reader.report(
        code, node, property,
        "entry \(entry): target \(tree.path(of: target)) has no #iommu-cells\(ignored)")
    case .overrun(let target, let needed, let found):
      code = .iommusEntryOverrun
      let name = target.map { tree.path(of: $0) } ?? "the target"
      reader.report(
        code, node, property,
        "entry \(entry): \(name) has #iommu-cells = \(needed) but the property has "
          + "\(counted(found, "cell")) left\(ignored)"
      )
    default:
      return
    }
    reader.stop(node, ParseStop(property: .iommus, entry: entry, reason: .malformed(code)))
  }

  /// Says what the stop costs: the rest of the property is never read.
  private static func ignoredTail(_ error: PhandleError, _ iterator: PhandleIterator) -> String {
    let lost = iterator.property.cellCount - (error.cell ?? 0)
    let earlier = error.entry ?? 0
    let kept =
      switch earlier {
      case 0: ""
      case 1: "; entry 0 still applies"
      default: "; entries 0 to \(earlier - 1) still apply"
      }
    return "; the kernel's walk stops here, leaving \(counted(lost, "cell")) unread\(kept)"
  }
}
