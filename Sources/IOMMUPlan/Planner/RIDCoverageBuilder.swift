// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// `of_map_id()` for all 65,536 requester IDs of a bus at once.
///
/// The kernel walks the entries in order for each ID; here the entries are
/// walked once, in the same order, and each entry claims the masked IDs in
/// its window that no earlier entry claimed (the first match wins). A
/// "next unclaimed" table with path compression makes every masked ID
/// claimed once, so a map of 100,000 entries costs its entries plus 65,536
/// steps, not their product. What stops the kernel's walk (an `id-base`
/// outside the mask, an entry that cannot be decoded) claims every ID still
/// unclaimed with that error; what is left after the last entry is a hole.
enum RIDCoverageBuilder {
  static let idCount = 1 << 16

  static func coverage(
    of bus: NodeID, map property: Property, tree: DeviceTree, layout: IOMMUMapLayout
  ) -> RIDCoverage {
    // of_property_read_u32: a mask shorter than a cell is ignored.
    let mask = tree[bus].property(IOMMUMapBinding.maskProperty)?.firstCell ?? 0xffff_ffff
    var claims = Claims()
    let map = DecodedIOMMUMap.walk(property, layout: layout, tree: tree) { entry in
      if entry.ridBase & ~mask != 0 {
        claims.claimRest(.failed(entry: entry.index, .maskIgnoresRIDBase))
        return false
      }
      guard let window = entry.matchable(layout), window.lowerBound < UInt64(idCount) else {
        return !claims.isFull
      }
      let answer: RIDCoverage.Answer
      if let target = entry.target {
        answer =
          layout == .targetCells && entry.length > 1 && entry.outputs.count > 1
          ? .failed(entry: entry.index, .multiIDRange)
          : .translated(
            entry: entry.index, iommu: target, base: entry.ridBase, outputs: entry.outputs)
      } else {
        answer = .failed(entry: entry.index, .unknownPhandle)
      }
      claims.claim(
        Int(window.lowerBound)...Int(min(window.upperBound, UInt64(idCount - 1))), answer)
      return !claims.isFull
    }
    switch map.failure {
    case .badLength(_, let whole):
      claims.claimRest(.failed(entry: whole ? nil : map.count, .badLength))
    case .unknownPhandle(let entry, _):
      claims.claimRest(.failed(entry: entry, .unknownPhandle))
    case .tooManyCells(let entry, _, _):
      claims.claimRest(.failed(entry: entry, .tooManyCells))
    case nil:
      break
    }
    claims.claimRest(.hole)
    return RIDCoverage(bus: bus, mask: mask, ranges: claims.ranges())
  }

  /// Which answer each masked ID got, first claim kept.
  private struct Claims {
    var answers: [RIDCoverage.Answer] = []
    /// Per masked ID: the index of its answer, or -1.
    var owner = [Int32](repeating: -1, count: idCount)
    /// Per masked ID: a lower bound of the next unclaimed ID at or after it
    /// (`idCount` when none).
    var next = [Int32](0..<Int32(idCount))
    var unclaimed = idCount

    var isFull: Bool { unclaimed == 0 }

    mutating func claim(_ ids: ClosedRange<Int>, _ answer: RIDCoverage.Answer) {
      var id = find(ids.lowerBound)
      guard id <= ids.upperBound else { return }
      answers.append(answer)
      let index = Int32(answers.count - 1)
      while id <= ids.upperBound {
        owner[id] = index
        unclaimed -= 1
        next[id] = Int32(id + 1)
        id = find(id + 1)
      }
    }

    mutating func claimRest(_ answer: RIDCoverage.Answer) {
      claim(0...(idCount - 1), answer)
    }

    /// The first unclaimed ID at or after `id`, shortening the chain.
    mutating func find(_ id: Int) -> Int {
      var root = id
      while root < idCount && Int(next[root]) != root { root = Int(next[root]) }
      var walk = id
      while walk < idCount && Int(next[walk]) != walk {
        let following = Int(next[walk])
        next[walk] = Int32(root)
        walk = following
      }
      return root
    }

    /// Runs of masked IDs with one answer, or with entries that continue
    /// one another.
    func ranges() -> [RIDCoverage.Range] {
      var ranges: [RIDCoverage.Range] = []
      var start = 0
      for id in 1...idCount where id == idCount || owner[id] != owner[start] {
        let answer = answers[Int(owner[start])]
        let range = RIDCoverage.Range(first: UInt32(start), last: UInt32(id - 1), answer: answer)
        start = id
        if let last = ranges.last, let merged = Self.continuing(last, range) {
          ranges[ranges.count - 1] = merged
        } else {
          ranges.append(range)
        }
      }
      return ranges
    }

    /// `previous` and `next` as one range, when `next` is translated by the
    /// entry after `previous`'s last, to the same IOMMU, with one output
    /// cell that continues `previous`'s.
    static func continuing(_ previous: RIDCoverage.Range, _ next: RIDCoverage.Range)
      -> RIDCoverage.Range?
    {
      guard case .translated(let first, let iommu, let base, let outputs) = previous.answer,
        case .translated(let entry, iommu, let nextBase, let nextOutputs) = next.answer,
        outputs.count == 1, nextOutputs.count == 1, next.first == previous.last &+ 1,
        entry == (previous.lastEntry ?? first) + 1,
        nextOutputs[0] &+ (next.first &- nextBase) == outputs[0] &+ (next.first &- base)
      else { return nil }
      return RIDCoverage.Range(
        first: previous.first, last: next.last, answer: previous.answer, lastEntry: entry)
    }
  }
}
