// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The kernel release whose rules the tool applies (major.minor).
///
/// Rules are modelled from Debian's 6.1 and 6.12 trees plus the 2026 patches
/// listed under "Kernel versions" in docs/kernel-rules.md; a release older
/// than 6.1 is read with 6.1's rules, which have been stable since the 5.9
/// `of_map_id` rework.
public struct KernelVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let major: Int
  public let minor: Int

  public init(_ major: Int, _ minor: Int) {
    self.major = major
    self.minor = minor
  }

  /// Accepts "6.12", "v6.1", or a release string such as "6.1.0-50-arm64".
  public init?(parsing text: String) {
    var body = Substring(text)
    if body.first == "v" { body = body.dropFirst() }
    let numbers = body.split(separator: ".", maxSplits: 2)
    guard numbers.count >= 2, let major = Int(numbers[0]) else { return nil }
    let minorDigits = numbers[1].prefix { $0.isNumber }
    guard let minor = Int(minorDigits), minorDigits.count == numbers[1].count || numbers.count == 2
    else { return nil }
    self.init(major, minor)
  }

  /// The newest release the tool models, and its default.
  public static let newest = KernelVersion(7, 2)

  /// The first release whose `of_map_id` sizes `iommu-map` entries by the
  /// target's `#iommu-cells` (commit ccb2fd725d41, queued for 7.2).
  public static let mapCellsRelease = KernelVersion(7, 2)

  public var sizesMapEntriesByTargetCells: Bool { self >= Self.mapCellsRelease }

  public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
    (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
  }

  public var description: String { "\(major).\(minor)" }
}
