/// A node's position in `DeviceTree.nodes` (pre-order, root = 0).
public struct NodeID: Hashable, Comparable, Sendable {
  public let rawValue: Int
  public init(_ rawValue: Int) { self.rawValue = rawValue }
  public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One node of the tree, with its properties copied out of the blob.
public struct Node: Sendable {
  public let id: NodeID
  /// The name with its unit address, e.g. `iommu@15000000`; empty for the root.
  public let name: String
  /// The full path as libfdt's `fdt_get_path` prints it.
  public let path: String
  public let parent: NodeID?
  public internal(set) var children: [NodeID]
  public let properties: [Property]

  public func property(_ name: String) -> Property? {
    properties.first { $0.name == name }
  }

  /// The first cell of a property, as `of_property_read_u32` reads it.
  public func u32(_ name: String) -> UInt32? { property(name)?.firstCell }

  public var compatible: [String] { property("compatible")?.strings ?? [] }

  /// The raw `status` value, nil when absent.
  public var status: String? {
    property("status").map { $0.string ?? String(decoding: $0.bytes, as: UTF8.self) }
  }

  /// Whether the kernel's `__of_device_is_available` says yes: no `status`,
  /// or one that reads "okay" or "ok" up to its NUL. An unterminated value is
  /// never available.
  public var isAvailable: Bool {
    guard let status = property("status") else { return true }
    guard let value = status.string else { return false }
    return value == "okay" || value == "ok"
  }

  /// The phandle libfdt's `fdt_get_phandle` reports: `phandle`, then
  /// `linux,phandle`, each only when exactly one cell long; 0 when neither.
  public var phandle: UInt32 {
    for name in ["phandle", "linux,phandle"] {
      if let property = property(name), property.bytes.count == 4 { return property.cells[0] }
    }
    return 0
  }
}
