/// A node's position in `DeviceTree.nodes` (pre-order, root = 0).
public struct NodeID: Hashable, Comparable, Sendable {
  public let rawValue: Int
  public init(_ rawValue: Int) { self.rawValue = rawValue }
  public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One node of the tree, with its properties as views of the blob.
///
/// A class, not a struct: every binding looks nodes up by id many times per
/// tree, and a reference costs one retain to hand out where a struct of
/// five reference-counted fields cost five.
public final class Node: Sendable {
  public let id: NodeID
  /// The name with its unit address, e.g. `iommu@15000000`; empty for the root.
  public let name: String
  /// The full path as libfdt's `fdt_get_path` prints it.
  public let path: String
  public let parent: NodeID?
  public let children: [NodeID]
  /// A slice of the tree's one array of properties, in blob order.
  public let properties: ArraySlice<Property>
  /// The phandle libfdt's `fdt_get_phandle` reports: `phandle`, then
  /// `linux,phandle`, each only when exactly one cell long; 0 when neither.
  public let phandle: UInt32
  /// First index of each name, for nodes with many properties: lookups run
  /// for every ancestor of every consumer, so a linear search there would
  /// make a hostile node with a million properties cost a million per look.
  private let index: [String: Int]?
  /// One bit per name length and first byte present among the properties
  /// (`signature`): the bindings ask every node for names nearly all lack
  /// (`iommus`, `iommu-map`, `mmu-masters`), and this answers most of those
  /// without comparing a string.
  private let names: UInt64

  init(
    id: NodeID, name: String, path: String, parent: NodeID?, children: [NodeID],
    properties: ArraySlice<Property>
  ) {
    self.id = id
    self.name = name
    self.path = path
    self.parent = parent
    self.children = children
    self.properties = properties
    var names: UInt64 = 0
    for property in properties { names |= Node.signature(property.name) }
    self.names = names
    var index: [String: Int]?
    if properties.count > 16 {
      var table: [String: Int] = [:]
      for (position, property) in zip(properties.indices, properties)
      where table[property.name] == nil {
        table[property.name] = position
      }
      index = table
    }
    self.index = index
    var phandle: UInt32 = 0
    for name in Node.phandleNames {
      if let value = Node.find(name, in: properties, index, names), value.bytes.count == 4 {
        phandle = value.bytes.cell(0)
        break
      }
    }
    self.phandle = phandle
  }

  private static let phandleNames = ["phandle", "linux,phandle"]

  /// The first property of that name, as libfdt's `fdt_getprop` finds it.
  public func property(_ name: String) -> Property? {
    Node.find(name, in: properties, index, names)
  }

  private static func find(
    _ name: String, in properties: ArraySlice<Property>, _ index: [String: Int]?, _ names: UInt64
  ) -> Property? {
    guard names & signature(name) != 0 else { return nil }
    if let index { return index[name].map { properties[$0] } }
    // Lengths first: a String's UTF-8 count is stored, and most names
    // differ in it, which spares the full comparison.
    let length = name.utf8.count
    return properties.first { $0.name.utf8.count == length && $0.name == name }
  }

  private static func signature(_ name: String) -> UInt64 {
    let utf8 = name.utf8
    return 1 << ((UInt64(utf8.count) &* 7 &+ UInt64(utf8.first ?? 0)) & 63)
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
}
