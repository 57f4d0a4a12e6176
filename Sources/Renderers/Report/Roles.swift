// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// The outcomes of a node in the graphs: one per binding that makes it a
/// consumer (a PCIe root complex can be an `iommus` consumer and the
/// `iommu-map` node of its bus, each with its own outcome).
struct Roles {
  private let byNode: [NodeID: [Plan.Consumer]]

  init(_ plan: Plan) {
    byNode = Dictionary(grouping: plan.consumers, by: \.node)
  }

  func of(_ node: NodeID) -> [Plan.Consumer] { byNode[node] ?? [] }

  /// `deferred`, or with two roles `iommus: deferred, iommu-map: translated`.
  static func label(_ roles: [Plan.Consumer], separator: String) -> String? {
    switch roles.count {
    case 0: nil
    case 1: roles[0].outcome.rawValue
    default:
      roles.map { "\($0.property.rawValue): \($0.outcome.rawValue)" }
        .joined(separator: separator)
    }
  }

  /// The outcome a node is coloured by: its most troubling role's.
  static func worst(_ roles: [Plan.Consumer]) -> Plan.Outcome? {
    order.first { outcome in roles.contains { $0.outcome == outcome } }
  }

  /// Outcomes, most troubling first.
  static let order: [Plan.Outcome] = [
    .unprotected, .unknown, .deferred, .legacy, .noIOMMU, .translated,
  ]

  static let colours: [Plan.Outcome: String] = [
    .translated: "palegreen", .deferred: "orange", .unprotected: "tomato",
    .noIOMMU: "lightgrey", .legacy: "lightblue", .unknown: "khaki",
  ]
}

extension Report {
  /// The consumers of links, each once, in path order.
  var linkConsumers: [NodeID] {
    var result: [NodeID] = []
    for link in links where result.last != link.consumer { result.append(link.consumer) }
    return result
  }
}
