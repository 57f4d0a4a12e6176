// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// What a bus node's `iommu-map` does with every 16-bit requester ID (PCI
/// bus << 8 | device << 3 | function; an fsl-mc ICID): `of_map_id()` for
/// each, as the kernel generation in force reads the map.
///
/// The kernel masks the ID first and looks the masked ID up, so the ranges
/// are of masked IDs: a requester ID gets the answer of `rid & mask` (with
/// no mask, its own). Consecutive masked IDs with the same answer form one
/// range; a range that translates keeps its entry's base and outputs, so
/// any ID in it gives its specifier.
public struct RIDCoverage: Sendable {
  /// Why a lookup fails: the kernel's error, returned from
  /// `of_iommu_configure()`; the device gets no IOMMU.
  public enum LookupError: String, Sendable, CaseIterable {
    /// The map's length is wrong for the whole map (or, from 7.2, the entry
    /// is cut short): -EINVAL.
    case badLength = "bad_length"
    /// An entry reached before a match has an `id-base` outside the mask:
    /// -EFAULT.
    case maskIgnoresRIDBase = "mask_ignores_rid_base"
    /// The matching entry's phandle (from 7.2, any entry walked) resolves to
    /// nothing: -ENODEV.
    case unknownPhandle = "unknown_phandle"
    /// 7.2: an entry maps several IDs to a multi-cell specifier: -EINVAL.
    case multiIDRange = "multi_id_range"
    /// 7.2: the target has more than 16 `#iommu-cells`: -EINVAL.
    case tooManyCells = "too_many_cells"

    public var errno: String {
      switch self {
      case .badLength, .multiIDRange, .tooManyCells: "-EINVAL"
      case .maskIgnoresRIDBase: "-EFAULT"
      case .unknownPhandle: "-ENODEV"
      }
    }
  }

  public enum Answer: Hashable, Sendable {
    /// Entry `entry` matches: `iommu`, with the output `masked - base +
    /// outputs` (each cell).
    case translated(entry: Int, iommu: NodeID, base: UInt32, outputs: Specifier)
    /// No entry matches: "no iommu-map translation", and no IOMMU.
    case hole
    /// The lookup fails at `entry` (nil: before any entry).
    case failed(entry: Int?, LookupError)
  }

  public struct Range: Sendable {
    public let first: UInt32
    public let last: UInt32
    public let answer: Answer
    /// The last entry of the range: entries that continue one another (the
    /// same IOMMU, one output cell carrying on where the previous entry's
    /// stopped, as maps of one-RID entries are written) are one range, and
    /// `answer` holds the first.
    public let lastEntry: Int?

    public init(first: UInt32, last: UInt32, answer: Answer, lastEntry: Int? = nil) {
      self.first = first
      self.last = last
      self.answer = answer
      self.lastEntry = lastEntry
    }
  }

  /// The bus node holding the map.
  public let bus: NodeID
  /// `iommu-map-mask` as the kernel reads it (all ones when absent or short).
  public let mask: UInt32
  /// Of masked IDs, in order, covering 0...0xffff.
  public let ranges: [Range]

  public init(bus: NodeID, mask: UInt32, ranges: [Range]) {
    self.bus = bus
    self.mask = mask
    self.ranges = ranges
  }

  /// The range that answers `rid` (16 bits): the one holding `rid & mask`.
  public func range(of rid: UInt32) -> Range? {
    range(masked: rid & mask & 0xffff)
  }

  /// The range holding a masked ID.
  public func range(masked rid: UInt32) -> Range? {
    var low = 0
    var high = ranges.count
    while low < high {
      let middle = (low + high) / 2
      if ranges[middle].last < rid { low = middle + 1 } else { high = middle }
    }
    return low < ranges.count && ranges[low].first <= rid ? ranges[low] : nil
  }

  /// The specifier a masked ID is given, for a translated answer.
  public func specifier(masked id: UInt32, in answer: Answer) -> Specifier? {
    guard case .translated(_, _, let base, let outputs) = answer else { return nil }
    let offset = id &- base
    return Specifier(outputs.map { $0 &+ offset })
  }
}
