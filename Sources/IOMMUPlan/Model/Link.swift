// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Which binding a link comes from.
public enum LinkProperty: String, Hashable, Comparable, Sendable, CaseIterable {
  case iommus
  case iommuMap = "iommu-map"
  case mmuMasters = "mmu-masters"

  /// By name, as reports sort them (`iommu-map`, `iommus`, `mmu-masters`).
  public static func < (lhs: LinkProperty, rhs: LinkProperty) -> Bool {
    lhs.order < rhs.order
  }

  /// The place of the name in byte order, without comparing strings: a
  /// report sorts 100,000 links by it.
  private var order: Int {
    switch self {
    case .iommuMap: 0
    case .iommus: 1
    case .mmuMasters: 2
    }
  }
}

/// The input-ID window of an `iommu-map` entry.
public struct IDRange: Hashable, Sendable {
  public let base: UInt32
  public let length: UInt32
  /// `iommu-map-mask`, nil when absent (the kernel then masks nothing).
  public let mask: UInt32?

  public init(base: UInt32, length: UInt32, mask: UInt32?) {
    self.base = base
    self.length = length
    self.mask = mask
  }
}

/// One consumer-to-IOMMU reference, as the kernel would parse it.
public struct Link: Hashable, Sendable {
  public let consumer: NodeID
  public let supplier: NodeID
  // An entry number is bounded by the reference-cell limit: 32 bits hold
  // it, and a tree of 100,000 masters keeps 100,000 links.
  private let entry: UInt32
  public let property: LinkProperty
  /// The specifier cells the IOMMU driver receives (`iommus`: at most 16;
  /// `iommu-map`: the output base; `mmu-masters`: the stream IDs).
  public let arguments: Specifier
  /// `iommu-map` only.
  public let range: IDRange?

  public init(
    consumer: NodeID, supplier: NodeID, property: LinkProperty, index: Int,
    arguments: Specifier, range: IDRange? = nil
  ) {
    self.consumer = consumer
    self.supplier = supplier
    self.property = property
    self.entry = UInt32(clamping: index)
    self.arguments = arguments
    self.range = range
  }

  /// The entry number within the property (for `mmu-masters`, within the
  /// SMMU's list).
  public var index: Int { Int(entry) }

  /// The consumer and the binding: what a plan consumer is keyed by.
  public var consumerKey: ConsumerKey { ConsumerKey(consumer, property) }
}

/// A consumer is a node in one role: a PCIe root complex can be an `iommus`
/// consumer itself and the `iommu-map` node of its bus, each with its own
/// outcome.
public struct ConsumerKey: Hashable, Comparable, Sendable {
  public let node: NodeID
  public let property: LinkProperty

  public init(_ node: NodeID, _ property: LinkProperty) {
    self.node = node
    self.property = property
  }

  /// Tree order, then property: the order the analysis works in.
  public static func < (lhs: ConsumerKey, rhs: ConsumerKey) -> Bool {
    (lhs.node, lhs.property) < (rhs.node, rhs.property)
  }
}
