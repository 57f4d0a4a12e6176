// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Two masters that reach one IOMMU instance with the same stream ID.
///
/// On real 6.1 and 6.12 boots arm-smmu-v3 (and virtio-iommu) refuse the
/// second master that reuses an ID ("stream N already in tree") and that
/// device runs without translation; platform devices probe in tree order, so
/// the first node in the tree keeps it. arm-smmu v1/v2 masters share one
/// IOMMU group when the later master's SMR entry lies inside the earlier
/// one's; an entry that overlaps it otherwise is refused like a second
/// SMMUv3 master.
struct StreamIDConflicts {
  /// Platform masters (`iommus`) that lose their stream ID to an earlier one.
  let losers: [NodeID: Plan.Cause]
  let diagnostics: [Diagnostic]
  /// The masters that meet on a stream ID, gathered per IOMMU and kind.
  let shared: [Plan.SharedStreamID]

  /// One master's claim on a range of stream IDs (or one ID widened by an
  /// SMR mask).
  private struct Claim {
    let first: UInt64
    let last: UInt64
    let consumer: NodeID
    let smrMask: UInt32
    private let position: UInt32

    init(link: Int, consumer: NodeID, first: UInt64, last: UInt64, smrMask: UInt32) {
      self.first = first
      self.last = last
      self.consumer = consumer
      self.smrMask = smrMask
      position = UInt32(truncatingIfNeeded: link)
    }

    /// The link's position in the link list.
    var link: Int { Int(position) }
    var isPlain: Bool { first == last && smrMask == 0 }
  }

  init(tree: DeviceTree, topology: Topology, links: [Link], inventory: Inventory) {
    var findings = Findings()
    var losers: [NodeID: Plan.Cause] = [:]
    var shared: [Plan.SharedStreamID] = []
    // The links of each checked IOMMU, as positions (a tree of masters has
    // one link per master, all on a few IOMMUs).
    var checked: [NodeID: IOMMUDriver.StreamIDSharing] = [:]
    for iommu in inventory.iommus where iommu.isAvailable {
      if let sharing = iommu.driver?.streamIDs, sharing != .unchecked {
        checked[iommu.node] = sharing
      }
    }
    var bySupplier: [NodeID: [UInt32]] = [:]
    var run: (supplier: NodeID, checked: Bool)?
    var found: [UInt32] = []
    for (index, link) in links.enumerated() {
      // A run of one supplier is looked up once.
      if run?.supplier != link.supplier {
        if let run, !found.isEmpty { bySupplier[run.supplier, default: []] += found }
        found.removeAll(keepingCapacity: true)
        run = (link.supplier, checked[link.supplier] != nil)
      }
      if run?.checked == true && link.property != .mmuMasters
        && topology.isEnabled(link.consumer)
      {
        found.append(UInt32(index))
      }
    }
    if let run, !found.isEmpty { bySupplier[run.supplier, default: []] += found }
    for iommu in inventory.iommus {
      guard let sharing = checked[iommu.node], let indices = bySupplier[iommu.node] else {
        continue
      }
      let exclusive = sharing == .exclusive
      let matchMask = exclusive ? 0 : tree[iommu.node].u32("stream-match-mask") ?? 0
      var claims: [Claim] = []
      claims.reserveCapacity(indices.count)
      for index in indices {
        if let claim = Self.claim(links[Int(index)], Int(index), matchMask: matchMask) {
          claims.append(claim)
        }
      }
      claims.sort { ($0.consumer, links[$0.link].index) < ($1.consumer, links[$1.link].index) }
      var report = Reporter(tree: tree, links: links, iommu: iommu.node, exclusive: exclusive)
      // In claim order, so a pair's IDs are listed in the later master's entry order.
      for (later, earlier) in Self.clashes(claims).sorted(by: { $0.0 < $1.0 }) {
        report.clash(earlier: claims[earlier], later: claims[later])
      }
      report.finish(&findings, &losers)
      shared += report.gathered()
      for claim in claims { report.folding(links[claim.link], &findings) }
    }
    self.losers = losers
    self.shared = shared
    diagnostics = findings.list
  }

  private static func claim(_ link: Link, _ index: Int, matchMask: UInt32) -> Claim? {
    guard let base = link.arguments.first else { return nil }
    if let range = link.range {
      guard range.length > 0 else { return nil }
      return Claim(
        link: index, consumer: link.consumer, first: UInt64(base),
        last: UInt64(base) + UInt64(range.length) - 1, smrMask: 0)
    }
    let mask = link.arguments.count > 1 ? link.arguments[1] : matchMask
    return Claim(
      link: index, consumer: link.consumer, first: UInt64(base), last: UInt64(base),
      smrMask: mask)
  }

  /// For each claim that clashes with an earlier claim of another master,
  /// the first such earlier claim, as (later, earlier) indices.
  ///
  /// Plain single IDs (the common case) meet through a sort by ID, so a
  /// hostile tree with thousands of masters on one SMMU stays O(n log n);
  /// ranges and SMR-masked IDs, which are few, are compared one by one.
  private static func clashes(_ claims: [Claim]) -> [(Int, Int)] {
    let wide = claims.indices.filter { !claims[$0].isPlain }
    let plain = claims.indices.filter { claims[$0].isPlain }.sorted {
      (claims[$0].first, $0) < (claims[$1].first, $1)
    }
    var result: [(Int, Int)] = []
    var start = 0
    while start < plain.count {
      var end = start + 1
      while end < plain.count && claims[plain[end]].first == claims[plain[start]].first { end += 1 }
      let group = plain[start..<end]
      start = end
      for later in group {
        let same = group.first { $0 < later && claims[$0].consumer != claims[later].consumer }
        let other = wide.first {
          $0 < later && claims[$0].consumer != claims[later].consumer
            && clash(claims[$0], claims[later])
        }
        if let earliest = [same, other].compactMap({ $0 }).min() {
          result.append((later, earliest))
        }
      }
    }
    for later in wide {
      let earlier = claims.indices.first {
        $0 < later && claims[$0].consumer != claims[later].consumer
          && clash(claims[$0], claims[later])
      }
      if let earlier { result.append((later, earlier)) }
    }
    return result
  }

  /// Exact ranges overlap; an SMR mask widens a single ID to every ID that
  /// agrees with it outside the masked bits.
  private static func clash(_ a: Claim, _ b: Claim) -> Bool {
    if a.first == a.last && b.first == b.last && (a.smrMask | b.smrMask) != 0 {
      return (a.first ^ b.first) & UInt64(~(a.smrMask | b.smrMask)) == 0
    }
    return a.first <= b.last && b.first <= a.last
  }

  /// Words the clashes of one IOMMU: one finding per pair of masters, naming
  /// every ID they share.
  private struct Reporter {
    let tree: DeviceTree
    let links: [Link]
    let iommu: NodeID
    let exclusive: Bool
    private var pairs: [PairKey: [(earlier: Claim, later: Claim)]] = [:]
    /// Each pair's kind, as `finish` decided it.
    private var kinds: [PairKey: Plan.SharedStreamID.Kind] = [:]

    init(tree: DeviceTree, links: [Link], iommu: NodeID, exclusive: Bool) {
      self.tree = tree
      self.links = links
      self.iommu = iommu
      self.exclusive = exclusive
    }

    mutating func clash(earlier: Claim, later: Claim) {
      pairs[PairKey(later: later.consumer, earlier: earlier.consumer), default: []]
        .append((earlier, later))
    }

    mutating func finish(_ findings: inout Findings, _ losers: inout [NodeID: Plan.Cause]) {
      for key in pairs.keys.sorted() {
        guard let clashes = pairs[key], let (earlier, later) = clashes.first else { continue }
        let ids = clashes.map { UInt32(truncatingIfNeeded: max($0.earlier.first, $0.later.first)) }
        let what =
          "stream ID\(ids.count == 1 ? "" : "s") \(ids.map(hex).joined(separator: ", ")) on "
          + "\(tree.path(of: iommu)) \(ids.count == 1 ? "is" : "are") also used by "
          + tree.path(of: earlier.consumer)
        let bothPlatform = clashes.allSatisfy {
          links[$0.earlier.link].property == .iommus && links[$0.later.link].property == .iommus
        }
        let property = links[later.link].property.rawValue
        // arm_smmu_find_sme reuses an SMR only when the new entry lies
        // inside it; any other overlap is refused with -EINVAL.
        let partly = !exclusive && clashes.contains { !Self.lies($0.later, inside: $0.earlier) }
        kinds[key] = exclusive || partly ? .exclusive : .shared
        guard exclusive || partly else {
          findings.report(
            .streamIDShared, later.consumer, property,
            what + "; arm-smmu puts both masters in one IOMMU group")
          continue
        }
        let refuses =
          partly
          ? "; arm-smmu refuses an SMR that overlaps another without lying inside it "
            + "(arm_smmu_find_sme: -EINVAL)"
          : "; the IOMMU refuses"
        let consequence =
          bothPlatform
          ? refuses + (partly ? "" : " the second master to probe")
            + " and, as platform devices probe in tree order, this one runs without translation"
          : refuses + (partly ? " to" : "") + " whichever of the two masters probes second"
        findings.report(.streamIDConflict, later.consumer, property, what + consequence)
        if bothPlatform {
          losers[later.consumer] = .streamIDTaken(ids: ids, iommu: iommu, earlier: earlier.consumer)
        }
      }
    }

    /// The pairs joined into sets of masters, one per kind: masters linked
    /// through a chain of pairs of one kind meet on the IOMMU together.
    func gathered() -> [Plan.SharedStreamID] {
      var result: [Plan.SharedStreamID] = []
      for kind in [Plan.SharedStreamID.Kind.shared, .exclusive] {
        var parent: [NodeID: NodeID] = [:]
        func root(_ node: NodeID) -> NodeID {
          var node = node
          while let up = parent[node], up != node { node = up }
          return node
        }
        var ids: [NodeID: Set<UInt32>] = [:]
        for (key, clashes) in pairs where kinds[key] == kind {
          for node in [key.later, key.earlier] where parent[node] == nil { parent[node] = node }
          let (a, b) = (root(key.later), root(key.earlier))
          if a != b { parent[max(a, b)] = min(a, b) }
          for clash in clashes {
            ids[key.later, default: []].insert(
              UInt32(truncatingIfNeeded: max(clash.earlier.first, clash.later.first)))
          }
        }
        var members: [NodeID: [NodeID]] = [:]
        for node in parent.keys { members[root(node), default: []].append(node) }
        for group in members.values {
          let devices = group.sorted()
          let streamIDs = devices.reduce(into: Set<UInt32>()) { $0.formUnion(ids[$1] ?? []) }
          result.append(
            Plan.SharedStreamID(
              iommu: iommu, kind: kind, devices: devices, streamIDs: streamIDs.sorted()))
        }
      }
      // Every set has at least the two masters of its first pair.
      return result.sorted { lhs, rhs in
        (lhs.devices[0], lhs.kind.rawValue) < (rhs.devices[0], rhs.kind.rawValue)
      }
    }

    /// Whether every ID `later` matches is matched by `earlier`'s SMR, so
    /// that arm-smmu reuses that entry. Ranges (iommu-map) claim exact IDs.
    private static func lies(_ later: Claim, inside earlier: Claim) -> Bool {
      guard later.first == later.last, earlier.first == earlier.last else { return true }
      return later.smrMask & earlier.smrMask == later.smrMask
        && (later.first ^ earlier.first) & UInt64(~earlier.smrMask) == 0
    }

    /// An `iommu-map-mask` that clears bits which vary inside an entry's RID
    /// window sends several devices (e.g. the functions of one slot) to one ID.
    func folding(_ link: Link, _ findings: inout Findings) {
      guard let range = link.range, let mask = range.mask, range.length > 1 else { return }
      let span = UInt64(range.length - 1)
      let varying = UInt32(
        truncatingIfNeeded: (UInt64(1) << UInt64(64 - span.leadingZeroBitCount)) - 1)
      let folded = varying & ~mask
      guard folded != 0 else { return }
      let effect =
        exclusive
        ? "only the first device to probe among those sharing an ID gets translation"
        : "devices sharing an ID share one IOMMU group"
      findings.report(
        exclusive ? .streamIDConflict : .streamIDShared, link.consumer,
        IOMMUMapBinding.maskProperty,
        "iommu-map-mask \(hex(mask)) folds RIDs that differ only in bits \(hex(folded)) of entry "
          + "\(link.index) onto one stream ID; \(effect)")
    }
  }

  private struct PairKey: Hashable, Comparable {
    let later: NodeID
    let earlier: NodeID
    static func < (lhs: PairKey, rhs: PairKey) -> Bool {
      (lhs.later, lhs.earlier) < (rhs.later, rhs.earlier)
    }
  }
}
