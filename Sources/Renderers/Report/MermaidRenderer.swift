// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import DeviceTree
import IOMMUPlan

/// A Mermaid flowchart of the same graph as the DOT output (one edge per
/// consumer and IOMMU, disabled consumers dashed), for Markdown pages and
/// merge-request comments.
public enum MermaidRenderer: Renderer {
  public static let identifier = "mermaid"

  public static func render(_ report: Report, to output: inout TextOutput) {
    let nodes = report.nodes
    output.write("flowchart LR\n")
    // Mermaid ids in order of first use: IOMMUs, then devices.
    var iommuIDs: [NodeID: String] = [:]
    var deviceIDs: [NodeID: String] = [:]
    var next = 0
    func id(_ node: NodeID, _ table: inout [NodeID: String]) -> String {
      if let known = table[node] { return known }
      let new = "n\(next)"
      next += 1
      table[node] = new
      return new
    }
    for iommu in report.iommus {
      let name = id(iommu.node, &iommuIDs)
      let path = nodes.path(iommu.node)
      output.write("  subgraph s\(name)[\(text(iommu.label ?? path))]\n")
      output.write("    \(name){{\(text(path + (iommu.isAvailable ? "" : " (disabled)")))}}\n")
      output.write("  end\n")
    }
    let roles = Roles(report.plan)
    for node in report.linkConsumers {
      let consumers = roles.of(node)
      let label =
        Roles.label(consumers, separator: ", ")
        ?? (nodes.isEnabled(node) ? "not probed" : "disabled")
      output.write("  \(id(node, &deviceIDs))[\(text(nodes.path(node) + " " + label))]")
      output.write(":::\(Roles.worst(consumers)?.rawValue ?? "disabled")\n")
    }
    for edge in GraphEdge.edges(report) {
      let label = edge.label(report, separator: "; ")
      let arrow = roles.of(edge.consumer).isEmpty ? "-.->" : "-->"
      output.write("  \(id(edge.consumer, &deviceIDs)) \(arrow)|\(text(label))| ")
      output.write("\(id(edge.iommu, &iommuIDs))\n")
    }
    for (outcome, colour) in Roles.colours.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
      output.write("  classDef \(outcome.rawValue) fill:\(colour)\n")
    }
    output.write("  classDef disabled fill:white,stroke-dasharray:5 5\n")
  }

  /// A quoted Mermaid label; `"` must be written as an entity.
  private static func text(_ value: String) -> String {
    "\"" + value.replacing("\"", with: "#quot;") + "\""
  }
}
