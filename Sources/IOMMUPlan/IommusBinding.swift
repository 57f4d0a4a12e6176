import DeviceTree

/// Reads `iommus` the way `of_iommu_configure_dev` does: entry by entry with
/// the strict `#iommu-cells` parser, stopping at the first empty or malformed
/// entry. Entries before the stop keep their effect; nothing after it is seen.
enum IommusBinding {
  static let property = "iommus"

  static func read(_ node: NodeID, _ analysis: inout Analysis) {
    let tree = analysis.tree
    guard let value = tree[node].property(property) else { return }
    if value.hasPartialCell {
      analysis.report(
        .partialCell, node, property,
        "\(value.bytes.count) bytes is not whole cells; the last \(value.bytes.count % 4) are ignored"
      )
    }
    if let host = analysis.pciHost(above: node) {
      analysis.report(
        .iommusUnderPCIHost, node, property,
        "\(tree[node].path) is a PCI device below \(tree[host].path): the kernel configures it "
          + "through the root complex's iommu-map and never reads this property")
      return
    }
    var iterator: PhandleIterator
    do {
      iterator = try PhandleIterator(
        tree: tree, node: node, listName: property, cellsName: "#iommu-cells", cellCount: -1)
    } catch {
      return
    }
    do {
      while try iterator.next() {
        if iterator.phandle == 0 {
          reportEmpty(iterator, analysis: &analysis)
          return
        }
        guard let target = iterator.target else { return }
        if iterator.argumentCount > maximumPhandleArguments {
          analysis.report(
            .iommusTooManyArgs, node, property,
            "entry \(iterator.entry) has \(iterator.argumentCount) argument cells "
              + "(#iommu-cells of \(tree[target].path)); the kernel passes only the first 16")
        }
        analysis.link(
          node, target, .iommus, index: iterator.entry, arguments: iterator.arguments())
      }
    } catch {
      reportMalformed(error, iterator: iterator, node: node, analysis: &analysis)
    }
  }

  private static func reportEmpty(_ iterator: PhandleIterator, analysis: inout Analysis) {
    let after = iterator.cells.count - iterator.cell - 1
    guard after > 0 else { return }
    analysis.report(
      .iommusEntriesAfterEmpty, iterator.consumer, property,
      "entry \(iterator.entry) is empty (phandle 0) and ends the kernel's walk; the "
        + "\(counted(after, "cell")) after it (\(hexList(Array(iterator.cells.suffix(after))))) are ignored"
    )
  }

  private static func reportMalformed(
    _ error: PhandleError, iterator: PhandleIterator, node: NodeID, analysis: inout Analysis
  ) {
    let tree = analysis.tree
    let entry = error.entry ?? 0
    let ignored = ignoredTail(error, iterator)
    switch error.kind {
    case .unknownPhandle(let phandle):
      analysis.report(
        .iommusUnknownPhandle, node, property,
        "entry \(entry): phandle \(hex(phandle)) matches no node\(ignored)")
    case .missingCellsProperty(let target, _):
      analysis.report(
        .iommusMissingCells, node, property,
        "entry \(entry): target \(tree[target].path) has no #iommu-cells\(ignored)")
    case .overrun(let target, let needed, let found):
      let name = target.map { tree[$0].path } ?? "the target"
      analysis.report(
        .iommusEntryOverrun, node, property,
        "entry \(entry): \(name) has #iommu-cells = \(needed) but the property has "
          + "\(counted(found, "cell")) left\(ignored)"
      )
    default:
      break
    }
  }

  /// Says what the stop costs: the rest of the property is never read.
  private static func ignoredTail(_ error: PhandleError, _ iterator: PhandleIterator) -> String {
    let lost = iterator.cells.count - (error.cell ?? 0)
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
