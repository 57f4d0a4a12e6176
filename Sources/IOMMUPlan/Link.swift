import DeviceTree

/// Which binding a link comes from.
public enum LinkProperty: String, Hashable, Comparable, Sendable, CaseIterable {
  case iommus
  case iommuMap = "iommu-map"
  case mmuMasters = "mmu-masters"

  public static func < (lhs: LinkProperty, rhs: LinkProperty) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
}

/// The input-ID window of an `iommu-map` entry.
public struct IDRange: Hashable, Sendable {
  public let base: UInt32
  public let length: UInt32
  /// `iommu-map-mask`, nil when absent (the kernel then masks nothing).
  public let mask: UInt32?
}

/// One consumer-to-IOMMU reference, as the kernel would parse it.
public struct Link: Hashable, Sendable {
  public let consumer: NodeID
  public let consumerPath: String
  public let supplier: NodeID
  public let supplierPath: String
  public let property: LinkProperty
  /// The entry number within the property (for `mmu-masters`, within the
  /// SMMU's list).
  public let index: Int
  /// The specifier cells the IOMMU driver receives (`iommus`: at most 16;
  /// `iommu-map`: the output base; `mmu-masters`: the stream IDs).
  public let arguments: [UInt32]
  /// `iommu-map` only.
  public let range: IDRange?

  static func ordered(_ lhs: Link, _ rhs: Link) -> Bool {
    (lhs.consumerPath, lhs.property.rawValue, lhs.index, lhs.supplierPath)
      < (rhs.consumerPath, rhs.property.rawValue, rhs.index, rhs.supplierPath)
  }
}
