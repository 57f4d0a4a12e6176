import DeviceTree

/// The bound on IOMMU references a tree may hold, checked before a report is
/// built.
///
/// Every `iommus`, `iommu-map` and `mmu-masters` cell can become a link, and
/// a link can carry a finding that names two paths; without a bound, 64 MiB
/// of `iommus = <&smmu>` would be sixteen million of each. The kernel has no
/// such limit, so this is iommu-plan's own: the busiest DTB of Debian's 6.1
/// arm64 kernel holds 258 such cells, and the limit is 65,536 (256 KiB of
/// references). A tree past it is refused, not reported in part.
public enum ReferenceLimit {
  public static let maximumCells = 1 << 16

  static let properties = [
    IommusBinding.property, IOMMUMapBinding.property, MMUMastersBinding.property,
  ]

  /// Throws when the tree's IOMMU reference properties hold more than
  /// `maximumCells` cells in total.
  public static func check(_ tree: DeviceTree) throws(BlobError) {
    var total = 0
    for node in tree.nodes {
      for property in node.properties where properties.contains(property.name) {
        total += property.bytes.count / 4
        if total > maximumCells {
          throw BlobError(
            "more than \(maximumCells) cells of iommus, iommu-map and mmu-masters "
              + "(iommu-plan's limit); \(printable(node.path)) reaches it with \(property.name)")
        }
      }
    }
  }
}
