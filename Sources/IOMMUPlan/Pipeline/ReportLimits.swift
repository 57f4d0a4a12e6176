// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Bounds on what a report is built from, checked on the loaded tree before
/// a report is built; a tree past one is refused, not reported in part.
///
/// The kernel has neither limit; they are iommu-plan's own, because output
/// grows with them. Every `iommus`, `iommu-map` and `mmu-masters` cell can
/// become a link and a finding that names two paths: 64 MiB of
/// `iommus = <&smmu>` would be sixteen million of each. Every compatible
/// string is listed for the root and each IOMMU: 64 MiB of NULs would be 64
/// million empty strings. The busiest DTB of Debian's 6.1 arm64 kernel holds
/// 258 reference cells and 330 compatible strings; the limits leave room for
/// the benchmark's 100,000-master tree (200,000 cells, 100,000 strings) and
/// refuse a million references.
public struct ReportLimits: Sendable {
  public var maximumReferenceCells = 1 << 19
  public var maximumCompatibleStrings = 1 << 19

  public init() {}

  public static let standard = ReportLimits()
  public static var maximumReferenceCells: Int { standard.maximumReferenceCells }
  public static var maximumCompatibleStrings: Int { standard.maximumCompatibleStrings }

  static let references = [
    IommusBinding.property, IOMMUMapBinding.property, MMUMastersBinding.property,
  ]

  /// `check` with the standard limits.
  public static func check(_ tree: DeviceTree) throws(BlobError) { try standard.check(tree) }

  /// Throws when the tree's IOMMU reference properties hold more than
  /// `maximumReferenceCells` cells, or its `compatible` properties more than
  /// `maximumCompatibleStrings` strings, in total. Only the property a
  /// binding reads counts (the first of its name in each node, as
  /// `fdt_getprop` finds it): a repeated one is never read. Counts without
  /// splitting.
  public func check(_ tree: DeviceTree) throws(BlobError) {
    let references = Self.references.compactMap { name in tree.propertyName(name).map { (name, $0) }
    }
    let compatibleName = tree.propertyName("compatible")
    var cells = 0
    var strings = 0
    for node in 0..<tree.nodes.count {
      let id = NodeID(node)
      for (name, key) in references {
        guard let property = tree.property(key, of: id) else { continue }
        cells += property.bytes.count / 4
        if cells > maximumReferenceCells {
          throw BlobError(
            "more than \(maximumReferenceCells) cells of iommus, iommu-map and mmu-masters "
              + "(iommu-plan's limit); \(printable(tree.path(of: id))) reaches it with \(name)")
        }
      }
      if let compatibleName, let compatible = tree.property(compatibleName, of: id) {
        strings +=
          compatible.bytes.withUnsafeBytes { $0.count { $0 == 0 } }
          + (compatible.bytes.last == 0 ? 0 : 1)
        if strings > maximumCompatibleStrings {
          throw BlobError(
            "more than \(maximumCompatibleStrings) compatible strings (iommu-plan's limit); "
              + "\(printable(tree.path(of: id))) reaches it")
        }
      }
    }
  }
}
