// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// How an IOMMU node is referenced.
public enum IOMMUBinding: String, Sendable {
  /// Through `iommus` or `iommu-map`.
  case generic
  /// Through its own `mmu-masters` (the deprecated ARM SMMU binding).
  case legacy
  /// Both at once, which arm-smmu cannot honour.
  case mixed
  /// Neither.
  case unused
}

/// A node in the IOMMU inventory: a link supplier, a node with `#iommu-cells`
/// or `mmu-masters`, or a node a known IOMMU driver matches.
public struct IOMMU: Hashable, Sendable {
  public let node: NodeID
  /// The first of its `/__symbols__` labels in sort order.
  public let label: String?
  public let compatible: [String]
  public let isAvailable: Bool
  public let status: String?
  /// `#iommu-cells`, nil when absent.
  public let iommuCells: UInt32?
  public let binding: IOMMUBinding
  public let driver: IOMMUDriver?
  /// How the kernel build provides the driver, and what says so; nil
  /// without a driver.
  public let mode: DriverMode?
  public let modeSource: ModeSource?
}
