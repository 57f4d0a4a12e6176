// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// One node of a tree, as a view: the tree and an id. Cheap to make and to
/// copy (one retain); every answer is read from the tree when asked for.
public struct Node: Sendable {
  let tree: DeviceTree
  public let id: NodeID

  /// The name with its unit address, e.g. `iommu@15000000`; empty for the root.
  public var name: String { tree.name(of: id) }
  /// The full path as libfdt's `fdt_get_path` prints it.
  public var path: String { tree.path(of: id) }
  public var parent: NodeID? { tree.parent(of: id) }
  public var children: [NodeID] { tree.children(of: id) }
  /// The properties in blob order.
  public var properties: Properties { tree.properties(of: id) }
  /// The phandle libfdt's `fdt_get_phandle` reports: `phandle`, then
  /// `linux,phandle`, each only when exactly one cell long; 0 when neither.
  public var phandle: UInt32 { tree.phandle(of: id) }

  /// The first property of that name, as libfdt's `fdt_getprop` finds it.
  public func property(_ name: String) -> Property? { tree.property(name, of: id) }

  public func property(_ name: PropertyName) -> Property? { tree.property(name, of: id) }

  /// The first cell of a property, as `of_property_read_u32` reads it.
  public func u32(_ name: String) -> UInt32? { property(name)?.firstCell }

  public var compatible: [String] {
    tree.compatibleName.flatMap { property($0) }?.strings ?? []
  }

  /// The raw `status` value, nil when absent.
  public var status: String? {
    tree.statusName.flatMap { property($0) }.map {
      $0.string ?? String(decoding: $0.bytes, as: UTF8.self)
    }
  }

  /// Whether the kernel's `__of_device_is_available` says yes: no `status`,
  /// or one that reads "okay" or "ok" up to its NUL. An unterminated value is
  /// never available.
  public var isAvailable: Bool {
    guard let status = tree.statusName.flatMap({ property($0) }) else { return true }
    guard let value = status.string else { return false }
    return value == "okay" || value == "ok"
  }
}
