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
  /// First index of each name, for nodes with many properties: lookups run
  /// for every ancestor of every consumer, so a linear search there would
  /// make a hostile node with a million properties cost a million per look.
  private let index: [String: Int]?

  init(
    id: NodeID, name: String, path: String, parent: NodeID?, children: [NodeID],
    properties: [Property]
  ) {
    self.id = id
    self.name = name
    self.path = path
    self.parent = parent
    self.children = children
    self.properties = properties
    if properties.count > 16 {
      var index: [String: Int] = [:]
      for (position, property) in properties.enumerated() where index[property.name] == nil {
        index[property.name] = position
      }
      self.index = index
    } else {
      self.index = nil
    }
  }

  /// The first property of that name, as libfdt's `fdt_getprop` finds it.
  public func property(_ name: String) -> Property? {
    guard let index else { return properties.first { $0.name == name } }
    return index[name].map { properties[$0] }
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
