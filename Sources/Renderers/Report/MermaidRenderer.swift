import DeviceTree
import IOMMUPlan

/// A Mermaid flowchart of the same graph as the DOT output, for Markdown
/// pages and merge-request comments.
public enum MermaidRenderer {
  public static let identifier = "mermaid"

  public static func render(_ report: Report) -> String {
    var output = TextOutput()
    render(report, to: &output)
    return output.text
  }

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
      let label = Roles.label(consumers, separator: ", ").map { " " + $0 } ?? ""
      output.write("  \(id(node, &deviceIDs))[\(text(nodes.path(node) + label))]")
      if let worst = Roles.worst(consumers) { output.write(":::\(worst.rawValue)") }
      output.write("\n")
    }
    for link in report.links {
      let label = "\(TextRenderer.reference(link)) \(TextRenderer.specifier(link))"
      output.write("  \(id(link.consumer, &deviceIDs)) -->|\(text(label))| ")
      output.write("\(id(link.supplier, &iommuIDs))\n")
    }
    for (outcome, colour) in Roles.colours.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
      output.write("  classDef \(outcome.rawValue) fill:\(colour)\n")
    }
  }

  /// A quoted Mermaid label; `"` must be written as an entity.
  private static func text(_ value: String) -> String {
    "\"" + value.replacing("\"", with: "#quot;") + "\""
  }
}
