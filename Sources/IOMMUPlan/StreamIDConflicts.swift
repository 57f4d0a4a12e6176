import DeviceTree

/// Two masters that reach one IOMMU instance with the same stream ID.
///
/// On real 6.1 and 6.12 boots arm-smmu-v3 (and virtio-iommu) refuse the
/// second master that reuses an ID ("stream N already in tree") and that
/// device runs without translation; platform devices probe in tree order, so
/// the first node in the tree keeps it. arm-smmu v1/v2 masters whose SMR
/// entries match each other share one IOMMU group instead.
struct StreamIDConflicts {
  /// Consumer path -> why it loses translation (SMMUv3 `iommus` clashes).
  var losers: [String: String] = [:]

  private struct Claim {
    let link: Link
    let first: UInt64
    let last: UInt64
    let smrMask: UInt32
  }

  init(_ analysis: inout Analysis, inventory: [IOMMU]) {
    let tree = analysis.tree
    let snapshot = analysis
    for iommu in inventory where iommu.isAvailable {
      guard let driver = iommu.driver,
        [.armSMMU, .armSMMUv3].contains(driver) || driver.name == "virtio-iommu"
      else { continue }
      let exclusive = driver != .armSMMU
      let matchMask = tree[iommu.node].u32("stream-match-mask") ?? 0
      let claims = analysis.links.filter {
        $0.supplier == iommu.node && $0.property != .mmuMasters && snapshot.isEnabled($0.consumer)
      }.compactMap { Self.claim($0, matchMask: driver == .armSMMU ? matchMask : 0) }
        .sorted { ($0.link.consumer, $0.link.index) < ($1.link.consumer, $1.link.index) }
      var lookup = Lookup(claims)
      // One finding per pair of masters, naming every ID they share.
      var pairs: [PairKey: [(Claim, Claim)]] = [:]
      for (index, later) in claims.enumerated() {
        guard let earlier = Self.firstClash(later, before: index, in: claims, &lookup) else {
          continue
        }
        pairs[PairKey(later: later.link.consumer, earlier: earlier.link.consumer), default: []]
          .append((earlier, later))
      }
      for key in pairs.keys.sorted() {
        report(pairs[key] ?? [], exclusive: exclusive, iommu: iommu.path, &analysis)
      }
      for claim in claims { reportFolding(claim, exclusive: exclusive, &analysis) }
    }
  }

  /// Plain single IDs (the common case) are found through a table, so a
  /// hostile tree with thousands of masters on one SMMU stays linear; ranges
  /// and SMR-masked IDs, which are few, are compared one by one.
  private struct Lookup {
    /// Per plain ID, the first claim of each master that holds it.
    var byID: [UInt64: [Int]] = [:]
    var wide: [Int] = []
    init(_ claims: [Claim]) {
      for (index, claim) in claims.enumerated() {
        if claim.first == claim.last && claim.smrMask == 0 {
          let holders = byID[claim.first] ?? []
          if !holders.contains(where: { claims[$0].link.consumer == claim.link.consumer }) {
            byID[claim.first, default: []].append(index)
          }
        } else {
          wide.append(index)
        }
      }
    }
  }

  /// The first earlier claim of another master that clashes with `later`.
  private static func firstClash(
    _ later: Claim, before index: Int, in claims: [Claim], _ lookup: inout Lookup
  ) -> Claim? {
    let isPlain = later.first == later.last && later.smrMask == 0
    let pool: [Int] =
      isPlain ? lookup.wide + (lookup.byID[later.first] ?? []) : Array(claims.indices)
    var best: Int?
    for candidate in pool where candidate < index && candidate < (best ?? Int.max) {
      let claim = claims[candidate]
      if claim.link.consumer != later.link.consumer && clash(claim, later) { best = candidate }
    }
    return best.map { claims[$0] }
  }

  private static func claim(_ link: Link, matchMask: UInt32) -> Claim? {
    guard let base = link.arguments.first else { return nil }
    if let range = link.range {
      guard range.length > 0 else { return nil }
      return Claim(
        link: link, first: UInt64(base), last: UInt64(base) + UInt64(range.length) - 1,
        smrMask: 0)
    }
    let mask = link.arguments.count > 1 ? link.arguments[1] : matchMask
    return Claim(link: link, first: UInt64(base), last: UInt64(base), smrMask: mask)
  }

  /// Exact ranges overlap; an SMR mask widens a single ID to every ID that
  /// agrees with it outside the masked bits.
  private static func clash(_ a: Claim, _ b: Claim) -> Bool {
    if a.first == a.last && b.first == b.last && (a.smrMask | b.smrMask) != 0 {
      return (a.first ^ b.first) & UInt64(~(a.smrMask | b.smrMask)) == 0
    }
    return a.first <= b.last && b.first <= a.last
  }

  private struct PairKey: Hashable, Comparable {
    let later: NodeID
    let earlier: NodeID
    static func < (lhs: PairKey, rhs: PairKey) -> Bool {
      (lhs.later, lhs.earlier) < (rhs.later, rhs.earlier)
    }
  }

  private mutating func report(
    _ clashes: [(Claim, Claim)], exclusive: Bool, iommu: String, _ analysis: inout Analysis
  ) {
    guard let (earlier, later) = clashes.first else { return }
    let ids = clashes.map { hex(UInt32(truncatingIfNeeded: max($0.0.first, $0.1.first))) }
    let what =
      "stream ID\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", ")) on \(iommu) "
      + "\(ids.count == 1 ? "is" : "are") also used by \(earlier.link.consumerPath)"
    let bothPlatform = clashes.allSatisfy {
      $0.0.link.property == .iommus && $0.1.link.property == .iommus
    }
    if exclusive {
      let consequence =
        bothPlatform
        ? "; the IOMMU refuses the second master to probe and, as platform devices probe in "
          + "tree order, this one runs without translation"
        : "; the IOMMU refuses whichever of the two masters probes second"
      analysis.report(
        .streamIDConflict, later.link.consumer, later.link.property.rawValue, what + consequence)
      if bothPlatform { losers[later.link.consumerPath] = what }
    } else {
      analysis.report(
        .streamIDShared, later.link.consumer, later.link.property.rawValue,
        what + "; arm-smmu puts both masters in one IOMMU group")
    }
  }

  /// An `iommu-map-mask` that clears bits which vary inside an entry's RID
  /// window sends several devices (e.g. the functions of one slot) to one ID.
  private func reportFolding(_ claim: Claim, exclusive: Bool, _ analysis: inout Analysis) {
    guard let range = claim.link.range, let mask = range.mask, range.length > 1 else { return }
    let span = UInt64(range.length - 1)
    let varying = UInt32(
      truncatingIfNeeded: (UInt64(1) << UInt64(64 - span.leadingZeroBitCount)) - 1)
    let folded = varying & ~mask
    guard folded != 0 else { return }
    let effect =
      exclusive
      ? "only the first device to probe among those sharing an ID gets translation"
      : "devices sharing an ID share one IOMMU group"
    analysis.report(
      exclusive ? .streamIDConflict : .streamIDShared, claim.link.consumer,
      IOMMUMapBinding.maskProperty,
      "iommu-map-mask \(hex(mask)) folds RIDs that differ only in bits \(hex(folded)) of entry "
        + "\(claim.link.index) onto one stream ID; \(effect)")
  }
}
