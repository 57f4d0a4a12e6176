// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// How `of_map_id` cuts `iommu-map` into entries.
enum IOMMUMapLayout: Sendable {
  /// Up to 7.1: fixed `(id-base, phandle, out-base, length)` tuples; the
  /// target's `#iommu-cells` is ignored and one output cell is passed.
  case fixedTuples
  /// 7.2 (ccb2fd725d41): `3 + #iommu-cells` cells per entry (1 when the
  /// property is absent), with a fallback for legacy 4-cell maps aimed at
  /// 2-cell IOMMUs.
  case targetCells

  init(_ kernel: KernelVersion) {
    self = kernel.sizesMapEntriesByTargetCells ? .targetCells : .fixedTuples
  }

  var name: String {
    switch self {
    case .fixedTuples: "kernels before 7.2"
    case .targetCells: "7.2"
    }
  }
}

/// One decoded `iommu-map` entry.
struct IOMMUMapEntry: Hashable {
  let index: Int
  let ridBase: UInt32
  let phandle: UInt32
  let target: NodeID?
  let outputs: Specifier
  let length: UInt32

  /// The same entry as far as the kernel is concerned (the index aside).
  func means(sameAs other: IOMMUMapEntry) -> Bool {
    ridBase == other.ridBase && phandle == other.phandle && outputs == other.outputs
      && length == other.length
  }

  /// The IDs (after masking) this entry can match, or nil when none: a zero
  /// length, or a fixed tuple whose end wraps past 2^32 (u32 arithmetic).
  func matchable(_ layout: IOMMUMapLayout) -> ClosedRange<UInt64>? {
    guard length > 0 else { return nil }
    let end = UInt64(ridBase) + UInt64(length)
    if layout == .fixedTuples && end > UInt64(UInt32.max) + 1 { return nil }
    return UInt64(ridBase)...min(end - 1, UInt64(UInt32.max))
  }
}

/// Why decoding stopped early.
enum IOMMUMapFailure: Hashable {
  /// `wholeMap`: rejected before any entry is walked, so no ID translates.
  case badLength(String, wholeMap: Bool)
  case unknownPhandle(entry: Int, phandle: UInt32)
  case tooManyCells(entry: Int, target: NodeID, cells: UInt32)
}

/// A map as one kernel generation reads it.
struct DecodedIOMMUMap: Hashable {
  var entries: [IOMMUMapEntry] = []
  var failure: IOMMUMapFailure?
  /// 7.2's `of_check_bad_map` fallback applied.
  var legacyQuirk = false

  /// Entries decoded before the walk stopped (all of them, unless `visit`
  /// stopped it).
  var count = 0

  static func decode(
    _ property: Property, layout: IOMMUMapLayout, tree: DeviceTree
  ) -> DecodedIOMMUMap {
    var entries: [IOMMUMapEntry] = []
    var map = walk(property, layout: layout, tree: tree) { entry in
      entries.append(entry)
      return true
    }
    map.entries = entries
    return map
  }

  /// Decodes entry by entry, handing each to `visit`, without keeping them:
  /// a map of 100,000 entries is read twice (once per kernel generation)
  /// and held once. `visit` returns false to stop.
  static func walk(
    _ property: Property, layout: IOMMUMapLayout, tree: DeviceTree,
    _ visit: (IOMMUMapEntry) -> Bool
  ) -> DecodedIOMMUMap {
    switch layout {
    case .fixedTuples: decodeFixed(property, tree: tree, visit)
    case .targetCells: decodeByTargetCells(property, tree: tree, visit)
    }
  }

  /// Whether `other` reads the map as this does: the same entries (base,
  /// phandle, outputs, length) and the same place where decoding stops,
  /// whatever the wording of why. Walks the other reading without keeping it.
  func means(
    sameAs layout: IOMMUMapLayout, of property: Property, tree: DeviceTree
  ) -> Bool {
    var position = 0
    var same = true
    let other = Self.walk(property, layout: layout, tree: tree) { entry in
      guard position < entries.count, entries[position].means(sameAs: entry) else {
        same = false
        return false
      }
      position += 1
      return true
    }
    return same && other.count == entries.count && other.stop == stop
  }

  private static func decodeFixed(
    _ property: Property, tree: DeviceTree, _ visit: (IOMMUMapEntry) -> Bool
  ) -> DecodedIOMMUMap {
    var map = DecodedIOMMUMap()
    let bytes = property.bytes.count
    guard bytes > 0, bytes.isMultiple(of: 16) else {
      map.failure = .badLength("\(bytes) bytes is not a non-zero multiple of 16", wholeMap: true)
      return map
    }
    let cells = property.cells
    var last: (phandle: UInt32, target: NodeID?)?
    for (index, start) in stride(from: 0, to: cells.count, by: 4).enumerated() {
      let phandle = cells[start + 1]
      if last?.phandle != phandle { last = (phandle, tree.node(phandle: phandle)) }
      let entry = IOMMUMapEntry(
        index: index, ridBase: cells[start], phandle: phandle, target: last?.target,
        outputs: [cells[start + 2]], length: cells[start + 3])
      guard visit(entry) else { return map }
      map.count += 1
    }
    return map
  }

  private static func decodeByTargetCells(
    _ property: Property, tree: DeviceTree, _ visit: (IOMMUMapEntry) -> Bool
  ) -> DecodedIOMMUMap {
    var map = DecodedIOMMUMap()
    guard !property.hasPartialCell else {
      map.failure = .badLength("\(property.bytes.count) bytes is not whole cells", wholeMap: true)
      return map
    }
    let cells = property.cells
    let cellsName = "#iommu-cells"
    var last: (phandle: UInt32, target: NodeID, cells: UInt32)?
    var offset = 0
    var index = 0
    while offset < cells.count {
      guard cells.count - offset >= 2 else {
        map.failure = .badLength("entry \(index) is cut short after 1 cell", wholeMap: false)
        return map
      }
      let phandle = cells[offset + 1]
      // Maps name one or two IOMMUs: each is looked up once per run.
      if last?.phandle != phandle {
        last = tree.node(phandle: phandle).map {
          (phandle, $0, tree.property(cellsName, of: $0)?.firstCell ?? 1)
        }
      }
      guard let found = last else {
        map.failure = .unknownPhandle(entry: index, phandle: phandle)
        return map
      }
      let target = found.target
      var outputCount = found.cells
      guard outputCount <= UInt32(maximumPhandleArguments) else {
        map.failure = .tooManyCells(entry: index, target: target, cells: outputCount)
        return map
      }
      if index == 0 && outputCount == 2 { map.legacyQuirk = isLegacyFourCellMap(cells) }
      if map.legacyQuirk { outputCount = 1 }
      let size = 3 + Int(outputCount)
      guard cells.count - offset >= size else {
        map.failure = .badLength(
          "entry \(index) needs \(size) cells (3 + #iommu-cells of \(tree.path(of: target))) "
            + "but \(cells.count - offset) remain", wholeMap: false)
        return map
      }
      let entry = IOMMUMapEntry(
        index: index, ridBase: cells[offset], phandle: phandle, target: target,
        outputs: Specifier(cells[offset + 2..<offset + 2 + Int(outputCount)]),
        length: cells[offset + size - 1])
      guard visit(entry) else { return map }
      map.count += 1
      offset += size
      index += 1
    }
    return map
  }

  /// `of_check_bad_map`: whole 4-cell groups, one phandle throughout, and
  /// every length 1 — the shape of pre-7.2 maps aimed at 2-cell SMMUs.
  private static func isLegacyFourCellMap(_ cells: [UInt32]) -> Bool {
    guard cells.count.isMultiple(of: 4), cells.count >= 4 else { return false }
    return stride(from: 0, to: cells.count, by: 4).allSatisfy {
      cells[$0 + 1] == cells[1] && cells[$0 + 3] == 1
    }
  }

  private var stop: String {
    switch failure {
    case nil: ""
    case .badLength(_, let whole): whole ? "rejected" : "stops after \(count)"
    case .unknownPhandle(let entry, _), .tooManyCells(let entry, _, _): "stops at \(entry)"
    }
  }

  /// A short account for messages, e.g. "3 entries of 4 cells".
  func summary(tree: DeviceTree) -> String {
    var parts: [String] = []
    if !entries.isEmpty {
      let sizes = Set(entries.map { 3 + $0.outputs.count })
      let size = sizes.count == 1 ? "\(sizes.first ?? 4) cells" : "mixed sizes"
      parts.append("\(entries.count) entr\(entries.count == 1 ? "y" : "ies") of \(size)")
    }
    switch failure {
    case .badLength(let why, _): parts.append("bad length (\(why))")
    case .unknownPhandle(let entry, let phandle):
      parts.append("entry \(entry) with unknown phandle \(hex(phandle))")
    case .tooManyCells(let entry, let target, let cells):
      parts.append("entry \(entry) aimed at \(tree.path(of: target)) with \(cells) cells")
    case nil: break
    }
    return parts.isEmpty ? "no entries" : parts.joined(separator: ", then ")
  }
}
