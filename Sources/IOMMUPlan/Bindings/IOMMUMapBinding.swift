// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Reads `iommu-map` / `iommu-map-mask` on a bus node (PCI root complex,
/// fsl-mc, CDX) the way `of_map_id` does for the kernel version in force, and
/// warns where the other generation would read the map differently.
enum IOMMUMapBinding {
  static let property = "iommu-map"
  static let maskProperty = "iommu-map-mask"

  static func read(_ value: Property, of node: NodeID, _ reader: inout LinkReader) {
    let tree = reader.tree
    let layout = IOMMUMapLayout(reader.kernel)
    let map = DecodedIOMMUMap.decode(value, layout: layout, tree: tree)
    let other: IOMMUMapLayout = layout == .fixedTuples ? .targetCells : .fixedTuples
    if !map.means(sameAs: other, of: value, tree: tree) {
      let otherMap = DecodedIOMMUMap.decode(value, layout: other, tree: tree)
      let (old, new) = layout == .fixedTuples ? (map, otherMap) : (otherMap, map)
      reader.report(
        .iommuMapLayoutDiffers, node, property,
        "kernels before 7.2 read \(old.summary(tree: tree)); 7.2 reads \(new.summary(tree: tree))"
          + "; this report follows \(layout.name)")
    }
    if map.legacyQuirk {
      reader.report(
        .iommuMapLegacyQuirk, node, property,
        "4-cell entries aimed at 2-cell \(describeTargets(map, tree)): 7.2 passes one output cell "
          + "and warns once (of_check_bad_map)")
    }
    let mask = readMask(node, &reader)
    reportFailure(map.failure, node, after: map.entries.count, &reader)
    reader.reserve(map.entries.count)
    for entry in map.entries {
      check(entry, node: node, mask: mask, layout: layout, &reader)
    }
    reportOverlaps(map.entries, node: node, layout: layout, &reader)
  }

  private static func readMask(_ node: NodeID, _ reader: inout LinkReader) -> UInt32? {
    guard let value = reader.tree[node].property(maskProperty) else { return nil }
    if value.bytes.count != 4 {
      let effect =
        value.firstCell.map { "only the first cell (\(hex($0))) is used" }
        ?? "the kernel ignores it and masks nothing"
      reader.report(
        .iommuMapBadMask, node, maskProperty, "\(value.bytes.count) bytes instead of 4; \(effect)")
    }
    return value.firstCell
  }

  private static func check(
    _ entry: IOMMUMapEntry, node: NodeID, mask: UInt32?, layout: IOMMUMapLayout,
    _ reader: inout LinkReader
  ) {
    // Worded only when there is something to say: a map can have 100,000 entries.
    var range: String {
      "entry \(entry.index) (rid-base \(hex(entry.ridBase)), length \(hex(entry.length)))"
    }
    if let mask, entry.ridBase & ~mask != 0 {
      reader.report(
        .iommuMapMaskIgnoresRIDBase, node, property,
        "\(range): bits \(hex(entry.ridBase & ~mask)) are outside iommu-map-mask \(hex(mask)); "
          + "every lookup that reaches this entry fails with -EFAULT")
    }
    guard let target = entry.target else {
      reader.report(
        .iommuMapUnknownPhandle, node, property,
        "\(range): phandle \(hex(entry.phandle)) matches no node; IDs in this range get no "
          + "IOMMU (-ENODEV)")
      return
    }
    if entry.length == 0 {
      reader.report(
        .iommuMapZeroLength, node, property,
        "\(range): length 0 matches no ID, so devices behind \(reader.path(node)) get no IOMMU "
          + "unless boot firmware fills the length in (U-Boot does for Layerscape fsl-mc)")
    }
    if layout == .targetCells && entry.length > 1 && entry.outputs.count > 1 {
      reader.report(
        .iommuMapMultiIDRange, node, property,
        "\(range): maps \(entry.length) IDs to the \(entry.outputs.count)-cell specifier "
          + "\(hexList(entry.outputs)) of \(reader.path(target)); 7.2 rejects every ID in it "
          + "(-EINVAL)")
      return
    }
    reader.link(
      node, target, .iommuMap, index: entry.index, arguments: entry.outputs,
      range: IDRange(base: entry.ridBase, length: entry.length, mask: mask))
  }

  private static func reportFailure(
    _ failure: IOMMUMapFailure?, _ node: NodeID, after entries: Int, _ reader: inout LinkReader
  ) {
    switch failure {
    case .badLength(let why, let whole):
      let scope =
        whole
        ? "the kernel rejects the whole map (-EINVAL) and no ID translates"
        : "lookups that reach the bad entry fail (-EINVAL)"
      reader.report(.iommuMapBadLength, node, property, "\(why); \(scope)")
      reader.stop(
        node,
        ParseStop(
          property: .iommuMap, entry: whole ? 0 : entries,
          reason: whole ? .wholeMap(.iommuMapBadLength) : .malformed(.iommuMapBadLength)))
    case .unknownPhandle(let entry, let phandle):
      reader.stop(
        node,
        ParseStop(property: .iommuMap, entry: entry, reason: .malformed(.iommuMapUnknownPhandle)))
      reader.report(
        .iommuMapUnknownPhandle, node, property,
        "entry \(entry): phandle \(hex(phandle)) matches no node; 7.2 must resolve it to size the "
          + "entry, so every lookup that reaches it fails (-ENODEV)")
    case .tooManyCells(let entry, let target, let cells):
      reader.stop(
        node,
        ParseStop(property: .iommuMap, entry: entry, reason: .malformed(.iommuMapTooManyCells)))
      reader.report(
        .iommuMapTooManyCells, node, property,
        "entry \(entry): \(reader.path(target)) has #iommu-cells = \(cells), more than 16; "
          + "lookups that reach it fail (-EINVAL)")
    case nil:
      break
    }
  }

  /// Sweeps entries by start so a large map stays O(n log n); each entry is
  /// reported once, against the earlier entry that shadows it.
  private static func reportOverlaps(
    _ entries: [IOMMUMapEntry], node: NodeID, layout: IOMMUMapLayout,
    _ reader: inout LinkReader
  ) {
    var spans: [Span] = []
    spans.reserveCapacity(entries.count)
    for entry in entries {
      if let range = entry.matchable(layout) { spans.append(Span(range, entry: entry.index)) }
    }
    spans.sort { ($0.lower, $0.entry) < ($1.lower, $1.entry) }
    var reported = Set<Int>()
    var widest: Span?
    for span in spans {
      if let other = widest, other.upper >= span.lower {
        let (first, second) = other.entry < span.entry ? (other, span) : (span, other)
        if reported.insert(second.entry).inserted {
          reader.report(
            .iommuMapOverlap, node, property,
            "entries \(first.entry) and \(second.entry) both cover ID "
              + "\(hex(UInt32(max(span.lower, other.lower)))); entry \(first.entry) wins wherever "
              + "they overlap")
        }
      }
      if widest.map({ span.upper > $0.upper }) ?? true { widest = span }
    }
  }

  /// The IDs an entry can match: 20 bytes, where the entry is 40.
  private struct Span {
    let lower: UInt64
    let upper: UInt64
    private let position: UInt32

    init(_ range: ClosedRange<UInt64>, entry: Int) {
      lower = range.lowerBound
      upper = range.upperBound
      position = UInt32(truncatingIfNeeded: entry)
    }

    var entry: Int { Int(position) }
  }

  private static func describeTargets(_ map: DecodedIOMMUMap, _ tree: DeviceTree) -> String {
    let paths = Set(map.entries.compactMap { $0.target.map { tree.path(of: $0) } }).sorted()
    return paths.joined(separator: ", ")
  }
}
