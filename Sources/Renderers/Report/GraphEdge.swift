// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// One edge of the graphs: a consumer node and an IOMMU it reaches, with
/// every link between the two. A device with sixteen `iommus` entries on one
/// SMMU is one edge whose label summarises the sixteen stream IDs.
struct GraphEdge {
  let consumer: NodeID
  let iommu: NodeID
  /// Indices into `Report.links`, in link order.
  private(set) var links: [Int]

  /// The edges of a report, in the order their first links appear.
  static func edges(_ report: Report) -> [GraphEdge] {
    struct Pair: Hashable {
      let consumer: NodeID
      let iommu: NodeID
    }
    var edges: [GraphEdge] = []
    var position: [Pair: Int] = [:]
    for (index, link) in report.links.enumerated() {
      let pair = Pair(consumer: link.consumer, iommu: link.supplier)
      if let known = position[pair] {
        edges[known].links.append(index)
      } else {
        position[pair] = edges.count
        edges.append(GraphEdge(consumer: link.consumer, iommu: link.supplier, links: [index]))
      }
    }
    return edges
  }

  /// How many specifiers a label lists before it says how many more there
  /// are.
  static let listed = 4

  /// One line per property: the property, its entry count when above one,
  /// and the first few IDs: `iommus, 6 entries: 0x808 0x0, 0x810 0x8, ... (+2 more)`.
  func label(_ report: Report, separator: String) -> String {
    var lines: [String] = []
    var start = 0
    while start < links.count {
      let property = report.links[links[start]].property
      var end = start
      while end < links.count && report.links[links[end]].property == property { end += 1 }
      let count = end - start
      let shown = links[start..<min(end, start + Self.listed)].map {
        Self.ids(report.links[$0])
      }
      var line =
        count == 1
        ? "\(property.rawValue)[\(report.links[links[start]].index)]"
        : "\(property.rawValue), \(count) entries"
      line += ": " + shown.joined(separator: ", ")
      if count > Self.listed { line += " (+\(count - Self.listed) more)" }
      lines.append(line)
      start = end
    }
    return lines.joined(separator: separator)
  }

  /// The IDs one link passes, without the brackets the text report uses.
  private static func ids(_ link: Link) -> String {
    switch link.property {
    case .iommus where link.arguments.isEmpty:
      "no cells"
    case .iommus:
      link.arguments.prefix(listed).map(hex).joined(separator: " ")
        + (link.arguments.count > listed ? " ... (\(link.arguments.count) cells)" : "")
    case .mmuMasters:
      link.arguments.count <= listed
        ? link.arguments.map(hex).joined(separator: " ")
        : link.arguments.prefix(listed).map(hex).joined(separator: " ")
          + " ... (\(link.arguments.count) stream IDs)"
    case .iommuMap:
      TextRenderer.specifier(link)
    }
  }
}
