// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree

/// Facts about the tree's shape that every stage asks of many nodes, worked
/// out in one pass: whether a device is created for a node, and the PCI host
/// bridge it sits below.
///
/// Asked per node by walking ancestors, these cost depth x nodes; a parent
/// precedes its children in pre-order, so each is one step from its parent's.
struct Topology: Sendable {
  /// A device is created only for a node that is available, below available
  /// nodes (`of_platform_populate` skips a disabled subtree).
  private let enabled: [Bool]
  /// The outermost ancestor with `device_type = "pci"`, i.e. the host
  /// bridge; -1 when there is none.
  private let hosts: [Int32]

  init(_ tree: DeviceTree) {
    let count = tree.nodes.count
    var enabled = [Bool](repeating: true, count: count)
    var hosts = [Int32](repeating: -1, count: count)
    let deviceType = tree.propertyName("device_type")
    for node in tree.nodes {
      let id = node.id
      let available = node.isAvailable
      guard let parent = node.parent else {
        enabled[id.rawValue] = available
        continue
      }
      enabled[id.rawValue] = available && enabled[parent.rawValue]
      if hosts[parent.rawValue] >= 0 {
        hosts[id.rawValue] = hosts[parent.rawValue]
      } else if let deviceType, tree.property(deviceType, of: parent)?.string == "pci" {
        hosts[id.rawValue] = Int32(parent.rawValue)
      }
    }
    self.enabled = enabled
    self.hosts = hosts
  }

  func isEnabled(_ node: NodeID) -> Bool { enabled[node.rawValue] }

  /// The host bridge above the node: anything below it is a PCI device,
  /// configured through that root complex's `iommu-map`.
  func pciHost(above node: NodeID) -> NodeID? {
    let host = hosts[node.rawValue]
    return host < 0 ? nil : NodeID(Int(host))
  }
}
