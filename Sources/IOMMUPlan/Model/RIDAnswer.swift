// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// What one requester ID on a bus gets: the `iommu-map` lookup, then what
/// the IOMMU it lands on does for the kernel build planned.
///
/// Made from a report alone: the bus's coverage gives the lookup, the plan's
/// IOMMU state the readiness, and the rest of the coverage the other IDs
/// that share the stream ID.
public struct RIDAnswer: Sendable {
  public enum Outcome: String, Sendable {
    /// Translated from its first probe.
    case translated
    /// Defers until modules load, then translated (before the deadline).
    case deferred
    /// An IOMMU is found but no driver will take it.
    case unprotected
    /// The map gives it no IOMMU, or a disabled one.
    case noIOMMU = "no_iommu"
    /// The lookup fails with an error; no IOMMU.
    case error
    /// The IOMMU matches no known driver.
    case unknown
  }

  /// Another requester ID that the map sends to the same IOMMU and stream
  /// ID (a mask folding functions together, or overlapping entries).
  public struct Sharing: Sendable {
    /// Every such ID, as ranges, at most `RIDAnswer.listedSharers` of them.
    public let ranges: [ClosedRange<UInt32>]
    /// How many IDs share it, this one included.
    public let count: Int
    /// Whether the IOMMU refuses all but the first device to probe
    /// (SMMUv3, virtio-iommu) rather than grouping them (arm-smmu).
    public let exclusive: Bool
  }

  static let listedSharers = 8

  public let bus: NodeID
  public let rid: UInt32
  public let mask: UInt32
  /// The DT node of the PCI function asked about, when asked by node.
  public let node: NodeID?
  public let answer: RIDCoverage.Answer
  public let specifier: Specifier?
  public let outcome: Outcome
  /// For `deferred`: the modules that must load first.
  public let modules: [String]
  /// For `translated` and `deferred`, when others map to the same ID.
  public let sharing: Sharing?

  public var masked: UInt32 { rid & mask }
  public var iommu: NodeID? {
    if case .translated(_, let iommu, _, _) = answer { iommu } else { nil }
  }

  public var entry: Int? {
    switch answer {
    case .translated(let entry, _, _, _): entry
    case .failed(let entry, _): entry
    case .hole: nil
    }
  }

  /// The answer for `rid` (16 bits) on `bus`; nil when the bus has no
  /// `iommu-map` in this report.
  public init?(_ report: Report, bus: NodeID, rid: UInt32, node: NodeID? = nil) {
    guard let coverage = report.plan.coverage.first(where: { $0.bus == bus }),
      let range = coverage.range(of: rid & 0xffff)
    else { return nil }
    self.bus = bus
    self.rid = rid & 0xffff
    self.node = node
    mask = coverage.mask
    let masked = rid & coverage.mask & 0xffff
    answer = Self.entryAnswer(range, masked: masked, bus: bus, links: report.links)
    specifier = coverage.specifier(masked: masked, in: answer)
    guard case .translated(_, let iommu, _, _) = range.answer else {
      if case .hole = range.answer { outcome = .noIOMMU } else { outcome = .error }
      modules = []
      sharing = nil
      return
    }
    let info = report.iommus.first { $0.node == iommu }
    let state = report.plan.iommus.first { $0.iommu == iommu }
    guard info?.isAvailable ?? false, report.nodes.isEnabled(iommu) else {
      outcome = .noIOMMU
      modules = []
      sharing = nil
      return
    }
    switch state?.readiness {
    case .ready: (outcome, modules) = (.translated, [])
    case .afterModules: (outcome, modules) = (.deferred, state?.modules ?? [])
    case .never, .noXlate: (outcome, modules) = (.unprotected, [])
    case .unknown, nil: (outcome, modules) = (.unknown, [])
    }
    sharing = Self.sharing(
      coverage, iommu: iommu, streamID: specifier?.first, rid: self.rid,
      exclusive: info?.driver?.streamIDs == .exclusive)
  }

  /// The answer naming the entry that matches: a range of entries that
  /// continue one another is searched, in the links, for the first whose
  /// window holds the ID.
  private static func entryAnswer(
    _ range: RIDCoverage.Range, masked: UInt32, bus: NodeID, links: [Link]
  ) -> RIDCoverage.Answer {
    guard let last = range.lastEntry, case .translated(let first, let iommu, _, _) = range.answer
    else { return range.answer }
    let matching = links.first { link in
      guard link.consumer == bus, link.property == .iommuMap, (first...last).contains(link.index),
        let window = link.range
      else { return false }
      return masked >= window.base && UInt64(masked) < UInt64(window.base) + UInt64(window.length)
    }
    guard let matching, let window = matching.range else { return range.answer }
    return .translated(
      entry: matching.index, iommu: iommu, base: window.base, outputs: matching.arguments)
  }

  /// The requester IDs that land on the same IOMMU and first output cell:
  /// each whose masked ID is answered so, by the same IOMMU.
  private static func sharing(
    _ coverage: RIDCoverage, iommu: NodeID, streamID: UInt32?, rid: UInt32, exclusive: Bool
  ) -> Sharing? {
    guard let streamID else { return nil }
    var ranges: [ClosedRange<UInt32>] = []
    var count = 0
    for other in UInt32(0)...0xffff {
      let masked = other & coverage.mask
      guard let range = coverage.range(masked: masked & 0xffff),
        case .translated(_, iommu, _, _) = range.answer,
        coverage.specifier(masked: masked & 0xffff, in: range.answer)?.first == streamID
      else { continue }
      count += 1
      if let last = ranges.last, last.upperBound &+ 1 == other {
        ranges[ranges.count - 1] = last.lowerBound...other
      } else if ranges.count < listedSharers {
        ranges.append(other...other)
      }
    }
    return count > 1 ? Sharing(ranges: ranges, count: count, exclusive: exclusive) : nil
  }
}
